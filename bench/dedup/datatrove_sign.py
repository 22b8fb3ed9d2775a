#!/usr/bin/env python3
"""datatrove_sign.py: the signing step of datatrove's MinhashDedupSignature
(FineWeb config: word 5-grams, 14 buckets x 8 hashes, 64-bit xxhash), written
out with numpy and python3-xxhash because PyPI (and so datatrove itself) is
not reachable from this machine. It follows datatrove's code path:
simplify_text (lowercase, punctuation to spaces, digit runs to 0, NFD with
marks stripped, whitespace collapsed), " ".join of each 5-gram hashed with
xxh64_intdigest, then np.min((h * a + b) % (2**61 - 1)) per permutation.
Word splitting is str.split (datatrove uses a language word tokenizer, which
is slower still), so this is a generous stand-in.

Usage: datatrove_sign.py FILE.jsonl [N_DOCS]  -> prints MB/s and docs/s (CPU).
"""
import json
import re
import string
import sys
import time
import unicodedata

import numpy as np
import xxhash

PUNCT = str.maketrans(string.punctuation + "‘’“”–—…«»", " " * (len(string.punctuation) + 9))
MERSENNE = np.uint64((1 << 61) - 1)


def simplify(t):
    t = t.lower().translate(PUNCT)
    t = re.sub(r"\d+", "0", t)
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", t.strip())


def main():
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    texts = []
    with open(path) as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= n:
                break
    gen = np.random.RandomState(seed=1)
    a, b = [np.array([gen.randint(1, int(MERSENNE), dtype=np.uint64) for _ in range(14 * 8)], dtype=np.uint64)
            for _ in range(2)]
    a, b = a.reshape(1, -1), b.reshape(1, -1)
    size = sum(len(t.encode()) for t in texts)
    c0 = time.process_time()
    for t in texts:
        w = simplify(t).split()
        sh = np.fromiter((xxhash.xxh64_intdigest(" ".join(w[i:i + 5])) for i in range(max(1, len(w) - 4))),
                         dtype=np.uint64).reshape(-1, 1)
        with np.errstate(over="ignore"):
            sig = np.min((sh * a + b) % MERSENNE, axis=0)
        _ = [sig[i * 8:(i + 1) * 8].tobytes() for i in range(14)]
    dt = time.process_time() - c0
    print("peer=datatrove-algorithm(numpy) docs=%d MB=%.1f cpu_s=%.3f MB/s/core=%.2f docs/s/core=%.0f"
          % (len(texts), size / 1e6, dt, size / 1e6 / dt, len(texts) / dt))


if __name__ == "__main__":
    main()

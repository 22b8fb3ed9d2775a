#!/usr/bin/env python3
"""gen_neardup.py: plants near-duplicates at known Jaccard similarities into
a base of distinct real-text documents, for the dedup accuracy test and
benchmark.

Real prose: every text file under /usr/share/common-licenses and
/usr/share/doc (copyright files, READMEs; .gz ones decompressed), split into
words; only lowercase-ASCII alphabetic words are kept, so corpusd's
normalization leaves them unchanged and the Jaccard similarity computed here
is exactly that of the shingle sets corpusd signs. Words are shuffled (seeded)
into documents of --words words each, so base documents share no n-grams by
construction beyond chance.

A planted pair (A, B): B keeps A's first k words and replaces the rest with
other words, which leaves the shingles inside the common prefix shared. k is
solved for a target similarity drawn uniformly inside each bucket, and the
exact Jaccard of the two shingle sets (word 5-grams, or byte 24-grams with
--char) is computed and written to truth.jsonl.

Exact copies (--exact N): B is A with its case and whitespace changed (which
the exact configuration normalizes away).

Usage: gen_neardup.py OUT_DIR --pairs-per-bucket N [--buckets 0.5:1.0:0.05]
       [--words 120] [--char 24] [--exact N] [--seed S] [--files K]
Outputs OUT_DIR/in-XX.jsonl (documents, K files) and OUT_DIR/truth.jsonl.
"""
import argparse
import gzip
import json
import os
import random
import re

WORD = re.compile(r"^[a-z]+$")


def corpus_words():
    words = []
    roots = ["/usr/share/common-licenses", "/usr/share/doc"]
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            dirs.sort()
            if len(words) >= 400000:
                break
            for f in sorted(files):
                p = os.path.join(dirpath, f)
                if os.path.islink(p):
                    continue
                try:
                    if f.endswith(".gz"):
                        with gzip.open(p, "rb") as fh:
                            data = fh.read(1 << 20)
                    else:
                        with open(p, "rb") as fh:
                            data = fh.read(1 << 20)
                except OSError:
                    continue
                if b"\0" in data[:4096]:
                    continue
                for w in data.decode("utf-8", "replace").split():
                    w = w.strip(".,;:()[]{}\"'!?<>*`").lower()
                    if 2 <= len(w) <= 14 and WORD.match(w):
                        words.append(w)
    if len(words) < 100000:
        raise SystemExit("gen_neardup: not enough prose under /usr/share (found %d words)" % len(words))
    return words


def shingles(words, char):
    if char:
        t = " ".join(words)
        return {t[i:i + char] for i in range(len(t) - char + 1)}
    return {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}


def jaccard(a, b):
    return len(a & b) / len(a | b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pairs-per-bucket", type=int, default=1000)
    ap.add_argument("--buckets", default="0.5:1.0:0.05")
    ap.add_argument("--words", type=int, default=120)
    ap.add_argument("--char", type=int, default=0)
    ap.add_argument("--exact", type=int, default=0)
    ap.add_argument("--singles", type=int, default=0, help="extra unpaired base documents")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--files", type=int, default=4)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pool = corpus_words()
    lo, hi, step = (float(x) for x in a.buckets.split(":"))
    buckets = []
    x = lo
    while x < hi - 1e-9:
        buckets.append((round(x, 4), round(min(x + step, hi), 4)))
        x += step

    def fresh(n):
        return [pool[rng.randrange(len(pool))] for _ in range(n)]

    os.makedirs(a.out, exist_ok=True)
    docs, truth = [], []
    n = 0
    L = a.words
    for (blo, bhi) in buckets:
        made = 0
        while made < a.pairs_per_bucket:
            A = fresh(L)
            sa = shingles(A, a.char)
            target = rng.uniform(blo, bhi)
            tail = fresh(L)
            best = None
            lo_k, hi_k = 1, L - 1
            if not a.char:
                # Distinct word 5-grams: sharing c = k-4 of m = L-4 each gives
                # J = c / (2m - c); start there and check the exact value.
                m = L - 4
                k = int(round(2 * m * target / (1 + target))) + 4
                if 5 <= k < L:
                    B = A[:k] + tail[k:]
                    s = jaccard(sa, shingles(B, a.char))
                    best = (B, s)
                    if blo <= s < bhi:
                        lo_k = hi_k + 1   # done: skip the search
            # Otherwise binary search of the prefix length (J grows with k).
            while lo_k <= hi_k:
                k = (lo_k + hi_k) // 2
                B = A[:k] + tail[k:]
                s = jaccard(sa, shingles(B, a.char))
                if best is None or abs(s - target) < abs(best[1] - target):
                    best = (B, s)
                if s < target:
                    lo_k = k + 1
                else:
                    hi_k = k - 1
            B, s = best
            if not (blo <= s < bhi) or s >= 1.0:
                continue
            ida, idb = "a%07d" % n, "b%07d" % n
            n += 1
            docs.append({"id": ida, "text": " ".join(A), "metadata": {"snapshot": "S0"}})
            docs.append({"id": idb, "text": " ".join(B), "metadata": {"snapshot": "S0"}})
            truth.append({"kind": "near", "a": ida, "b": idb, "s": s, "bucket": blo})
            made += 1
    for _ in range(a.exact):
        A = fresh(L)
        ida, idb = "a%07d" % n, "b%07d" % n
        n += 1
        B = " \n ".join(" ".join(w.upper() if i % 3 == 0 else w for i, w in enumerate(A[j:j + 7])) for j in range(0, L, 7))
        docs.append({"id": ida, "text": " ".join(A), "metadata": {"snapshot": "S0"}})
        docs.append({"id": idb, "text": "  " + B + " ", "metadata": {"snapshot": "S0"}})
        truth.append({"kind": "exact", "a": ida, "b": idb, "s": 1.0, "bucket": 1.0})
    for _ in range(a.singles):
        docs.append({"id": "c%07d" % n, "text": " ".join(fresh(L)), "metadata": {"snapshot": "S0"}})
        n += 1
    rng.shuffle(docs)
    files = [open(os.path.join(a.out, "in-%02d.jsonl" % i), "w") for i in range(a.files)]
    for i, d in enumerate(docs):
        files[i % a.files].write(json.dumps(d) + "\n")
    for f in files:
        f.close()
    with open(os.path.join(a.out, "truth.jsonl"), "w") as f:
        for t in truth:
            f.write(json.dumps(t) + "\n")


if __name__ == "__main__":
    main()

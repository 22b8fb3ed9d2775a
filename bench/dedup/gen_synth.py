#!/usr/bin/env python3
"""gen_synth.py OUT_DIR N_DOCS [FILES]: N synthetic documents of 40 random
words from a 50k-word vocabulary, 5% exact copies (case changed) and 10% near
copies (3 words changed) of earlier documents, split over FILES JSONL files.
For the end-to-end dedup benchmark (memory and time at 1M/4M documents)."""
import json
import os
import sys

import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
nfiles = int(sys.argv[3]) if len(sys.argv) > 3 else 8
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
vocab = ["".join(rng.choice(letters, size=rng.integers(3, 10))) for _ in range(50000)]
files = [open(os.path.join(out, "synth-%02d.jsonl" % i), "w") for i in range(nfiles)]
chunk = 100000
made = 0
for start in range(0, n, chunk):
    m = min(chunk, n - start)
    idx = rng.integers(0, len(vocab), size=(m, 40))
    kind = rng.random(m)
    for j in range(m):
        i = start + j
        row = idx[j]
        if i > 100 and kind[j] < 0.15:
            src = rng.integers(max(0, j - 5000), j) if j > 0 else 0
            row = idx[src].copy()
            if kind[j] >= 0.05:
                row[rng.integers(0, 40, size=3)] = rng.integers(0, len(vocab), size=3)
        text = " ".join(vocab[k] for k in row)
        if i > 100 and kind[j] < 0.05:
            text = text.upper()
        files[i % nfiles].write('{"id":"synth/%09d","text":"%s","metadata":{"snapshot":"S1"}}\n' % (i, text))
for f in files:
    f.close()

#!/usr/bin/env python3
"""evaluate.py: the article-extraction-benchmark metric, as its authors define it.

Tokens: the regex \\w+ (Unicode). Shingles: word 4-grams with multiset counts
(a text shorter than 4 tokens gives one shorter shingle; an empty text none).
Per page TP, FP and FN are normalised by their sum. Precision is the mean of
TP/(TP+FP) over pages with TP+FP > 0; recall the mean of TP/(TP+FN) over
pages with TP+FN > 0; F1 is the harmonic mean of the two means.

usage: evaluate.py GROUND_TRUTH.json PRED.jsonl [--per-page]
PRED.jsonl holds one {"id": <page hash>, "text": ...} per page; pages of the
ground truth missing from PRED count as empty predictions.
Prints "precision P recall R f1 F pages N" on the last line.
"""
import json
import re
import sys
from collections import Counter

TOKEN_RE = re.compile(r'\w+', re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def shingles(text, n=4):
    toks = TOKEN_RE.findall(text or '')
    out = []
    for i in range(0, max(1, len(toks) - n + 1)):
        s = tuple(toks[i:i + n])
        if s:
            out.append(s)
    return Counter(out)


def page_scores(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0.0
    for k in set(t) | set(p):
        a, b = t.get(k, 0), p.get(k, 0)
        tp += min(a, b)
        fp += max(0, b - a)
        fn += max(0, a - b)
    s = tp + fp + fn
    if s > 0:
        tp, fp, fn = tp / s, fp / s, fn / s
    return tp, fp, fn


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    gt = json.load(open(sys.argv[1], encoding='utf-8'))
    preds = {}
    with open(sys.argv[2], encoding='utf-8') as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                preds[r['id']] = r.get('text', '')
    per_page = '--per-page' in sys.argv
    ps, rs = [], []
    rows = []
    for key in sorted(gt):
        tp, fp, fn = page_scores(gt[key].get('articleBody', ''), preds.get(key, ''))
        p = tp / (tp + fp) if tp + fp > 0 else None
        r = tp / (tp + fn) if tp + fn > 0 else None
        if p is not None:
            ps.append(p)
        if r is not None:
            rs.append(r)
        rows.append((key, p, r))
    if per_page:
        for key, p, r in sorted(rows, key=lambda x: min(x[1] if x[1] is not None else 1, x[2] if x[2] is not None else 1)):
            print('%s p=%s r=%s' % (key, 'n/a' if p is None else '%.3f' % p, 'n/a' if r is None else '%.3f' % r))
    P = sum(ps) / len(ps) if ps else 0.0
    R = sum(rs) / len(rs) if rs else 0.0
    F = 2 * P * R / (P + R) if P + R > 0 else 0.0
    print('precision %.4f recall %.4f f1 %.4f pages %d' % (P, R, F, len(gt)))
    return 0


if __name__ == '__main__':
    sys.exit(main())

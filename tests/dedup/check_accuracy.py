#!/usr/bin/env python3
"""check_accuracy.py: compares corpusd's near-duplicate detection per
similarity bucket with the LSH curve 1-(1-s^r)^b, and checks exact copies.

Usage: check_accuracy.py TRUTH REJECTS BANDS ROWS [--tolerance 5]
                         [--check exact:T | signature:T]
With --check (the run used jaccard_check with threshold T), the expected
rate of a pair is:
  exact:     P_lsh(s) if s >= T else 0 (its Jaccard is known exactly);
  signature: P(some band has all its r rows equal AND at least ceil(T*b*r)
             of the b*r rows are equal), each row equal with probability s
             independently (the MinHash model), computed exactly by dynamic
             programming over the bands.
A planted B counts as detected when B is in the rejects (removed). The
expected rate of a bucket is the mean of P(s) over its pairs' actual
similarities. Fails (exit 1) when any bucket is off by more than the
tolerance (percentage points), when an exact copy was missed, or when a
base document A (or an unpaired one) was removed: the earlier id of a pair
is always the one kept.
"""
import functools
import gzip
import math
import json
import sys


def lsh(s, b, r):
    return 1 - (1 - s ** r) ** b


@functools.lru_cache(maxsize=None)
def p_signature(s, b, r, t):
    import numpy as np
    need = math.ceil(t * b * r - 1e-9)
    band = np.array([math.comb(r, k) * s ** k * (1 - s) ** (r - k) for k in range(r + 1)])
    notfull = band.copy()
    notfull[r] = 0.0
    full = np.zeros(r + 1)
    full[r] = band[r]
    a0 = np.array([1.0])   # no band fully equal yet, by number of equal rows
    a1 = np.array([0.0])   # some band fully equal
    for _ in range(b):
        a0, a1 = np.convolve(a0, notfull), np.convolve(a1, band) + np.convolve(a0, full)
    return float(a1[need:].sum())


def main():
    args = sys.argv[1:]
    tol = 5.0
    check = None
    if "--check" in args:
        i = args.index("--check")
        mode, t = args[i + 1].split(":")
        check = (mode, float(t))
        del args[i:i + 2]
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tol = float(args[i + 1])
        del args[i:i + 2]
    truth_p, rej_p, b, r = args[0], args[1], int(args[2]), int(args[3])
    opener = gzip.open if rej_p.endswith(".gz") else open
    removed = {}
    with opener(rej_p, "rt") as f:
        for line in f:
            d = json.loads(line)
            removed[d["id"]] = d["metadata"]
    buckets = {}
    ok = True
    exact_total = exact_found = 0
    a_ids = set()
    for line in open(truth_p):
        t = json.loads(line)
        a_ids.add(t["a"])
        if t["kind"] == "exact":
            exact_total += 1
            m = removed.get(t["b"])
            if m and m.get("duplicate_of") == t["a"] and m.get("dedup_method") == "exact":
                exact_found += 1
            continue
        p = lsh(t["s"], b, r)
        if check and check[0] == "exact":
            p = p if t["s"] >= check[1] else 0.0
        elif check:
            p = p_signature(round(t["s"], 4), b, r, check[1])
        bk = buckets.setdefault(t["bucket"], [0, 0, 0.0])
        bk[0] += 1
        bk[1] += 1 if t["b"] in removed else 0
        bk[2] += p
    print("bucket   pairs  detected%  expected%  diff")
    for k in sorted(buckets):
        n, hit, exp = buckets[k]
        obs, ex = 100.0 * hit / n, 100.0 * exp / n
        bad = abs(obs - ex) > tol
        ok &= not bad
        print("%.2f   %6d   %7.2f    %7.2f   %+.2f%s" % (k, n, obs, ex, obs - ex, "  FAIL" if bad else ""))
    false_removed = [i for i in removed if i.startswith("a") or i.startswith("c")]
    print("exact copies found: %d/%d; base documents removed: %d" % (exact_found, exact_total, len(false_removed)))
    if exact_found != exact_total or false_removed:
        ok = False
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""check_accuracy.py: compares corpusd's near-duplicate detection per
similarity bucket with the LSH curve 1-(1-s^r)^b, and checks exact copies.

Usage: check_accuracy.py TRUTH REJECTS BANDS ROWS [--tolerance 5]
A planted B counts as detected when B is in the rejects (removed). The
expected rate of a bucket is the mean of P(s) over its pairs' actual
similarities. Fails (exit 1) when any bucket is off by more than the
tolerance (percentage points), when an exact copy was missed, or when a
base document A (or an unpaired one) was removed: the earlier id of a pair
is always the one kept.
"""
import gzip
import json
import sys


def main():
    args = sys.argv[1:]
    tol = 5.0
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
        p = 1 - (1 - t["s"] ** r) ** b
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

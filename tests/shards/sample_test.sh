#!/bin/sh
# sample_test.sh: `corpusd sample` picks by hash of id: reproducible, a
# superset when the corpus grows (--fraction), the same picks as the
# pipeline's `sample` stage; --tokens respects each stratum's proportional
# budget (source x metadata.language), and every stratum gets its share.
set -u
here=$(cd "$(dirname "$0")" && pwd)
CORPUSD=${CORPUSD:-$here/../../bin/corpusd}
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PYTHON" - "$tmp" <<'PY'
import json, random, sys
d = sys.argv[1]; rng = random.Random(3)
def doc(i, snap):
    return {'id': f'{snap}/doc{i}', 'text': 'w ' * rng.randint(1, 400), 'source': rng.choice(['cc', 'cc', 'cc', 'github', 'synth']),
            'metadata': {'language': rng.choice(['en', 'en', 'de', 'fr'])}}
a = [doc(i, 'A') for i in range(3000)]; b = [doc(i, 'B') for i in range(3000)]
open(f'{d}/a.jsonl', 'w').write(''.join(json.dumps(x) + '\n' for x in a))
open(f'{d}/b.jsonl', 'w').write(''.join(json.dumps(x) + '\n' for x in b))
PY
fail=0
S() { "$CORPUSD" sample --quiet "$@"; }
S "$tmp/a.jsonl" -o "$tmp/f1.jsonl" --fraction 0.3 --seed 7 || fail=1
S "$tmp/a.jsonl" -o "$tmp/f2.jsonl" --fraction 0.3 --seed 7 --by source || fail=1
S "$tmp/a.jsonl" "$tmp/b.jsonl" -o "$tmp/fab.jsonl" --fraction 0.3 --seed 7 || fail=1
S "$tmp/a.jsonl" -o "$tmp/f5.jsonl" --fraction 0.5 --seed 7 || fail=1
S "$tmp/a.jsonl" -o "$tmp/fs.jsonl" --fraction 0.3 --seed 8 || fail=1
cmp -s "$tmp/f1.jsonl" "$tmp/f2.jsonl" || { echo "FAIL: --fraction depends on --by"; fail=1; }
# the pipeline stage with the same seed picks the same documents
cat > "$tmp/p.yaml" <<YAML
seed: 7
run_dir: $tmp/run
inputs: [$tmp/a.jsonl]
stages:
  - sample: {fraction: 0.3}
output: {format: jsonl, compression: none}
YAML
"$CORPUSD" run "$tmp/p.yaml" --quiet --threads 1 || fail=1
cat "$tmp"/run/out/main/*.jsonl > "$tmp/stage.jsonl"
S "$tmp/a.jsonl" "$tmp/b.jsonl" -o "$tmp/t1.jsonl" --tokens 60000 --by source,metadata.language --seed 7 || fail=1
S "$tmp/b.jsonl" "$tmp/a.jsonl" -o "$tmp/t2.jsonl" --tokens 60000 --by source,metadata.language --seed 7 || fail=1
S "$tmp/a.jsonl" "$tmp/b.jsonl" -o "$tmp/t3.jsonl" --tokens 10000 --by source --per-stratum --seed 7 || fail=1
"$PYTHON" - "$tmp" <<'PY' || fail=1
import json, sys, collections
d = sys.argv[1]
ids = lambda f: [json.loads(l)['id'] for l in open(f'{d}/{f}')]
docs = {json.loads(l)['id']: json.loads(l) for f in ('a.jsonl', 'b.jsonl') for l in open(f'{d}/{f}')}
f1, fab, f5, fs, st = set(ids('f1.jsonl')), set(ids('fab.jsonl')), set(ids('f5.jsonl')), set(ids('fs.jsonl')), set(ids('stage.jsonl'))
assert 0.25 < len(f1) / 3000 < 0.35, len(f1)
assert f1 <= fab, 'grown corpus: old picks must stay'
assert {i for i in fab if i.startswith('A/')} == f1, 'picks of A must not depend on B'
assert f1 <= f5, 'a larger fraction only adds documents'
assert f1 != fs, 'another seed picks other documents'
assert f1 == st, 'corpusd sample and the sample stage disagree'
for l in open(f'{d}/f1.jsonl'):
    x = json.loads(l); assert x['text'] == docs[x['id']]['text'] and x['metadata'] == docs[x['id']]['metadata']
# --tokens: proportional budgets per stratum (tokens estimated as bytes/4)
est = lambda x: (len(x['text'].encode()) + 3) // 4
key = lambda x: (x['source'], x['metadata']['language'])
tot = collections.Counter(); 
for x in docs.values(): tot[key(x)] += est(x)
T = sum(tot.values())
t1 = ids('t1.jsonl'); assert sorted(t1) == sorted(ids('t2.jsonl')), 'input order changed the token sample'
got = collections.Counter()
for i in t1: got[key(docs[i])] += est(docs[i])
for k in tot:
    budget = int(60000 * tot[k] / T)
    assert got[k] <= budget, (k, got[k], budget)
    assert got[k] >= budget * 0.6, ('stratum under-filled', k, got[k], budget)
t3 = collections.Counter()
for i in ids('t3.jsonl'): t3[docs[i]['source']] += est(docs[i])
assert set(t3) == {'cc', 'github', 'synth'} and all(9000 <= v <= 10000 for v in t3.values()), t3
print('ok: fraction', len(f1), 'tokens', sum(got.values()), dict(t3))
PY
exit $fail

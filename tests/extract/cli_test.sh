#!/bin/sh
# cli_test.sh: `corpusd extract` on one HTML file (stdout), on JSONL input
# through the readers registry (stage: text replaced, title/html_lang set,
# empty pages dropped as extract_empty), and its usage errors.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$tmp/page.html" <<'HTML'
<html lang="de"><head><title>Der Titel</title></head><body>
<nav><a href="/">Startseite</a> <a href="/x">Nachrichten</a></nav>
<div class="article-body">
<p>Der Ausschuss hat am Dienstag über den neuen Haushalt beraten, der seit Monaten geprüft wird, und einen Plan beschlossen.</p>
<p>Die Mitglieder sagten, die Entscheidung spiegele wider, was die Bürger in den Anhörungen im Frühjahr gefordert hätten.</p>
<p>Der Plan geht nun an den Rat, der nächsten Monat darüber abstimmen soll, sagte die Vorsitzende nach der Sitzung.</p>
</div>
<footer>Impressum und Datenschutz</footer>
</body></html>
HTML
out=$("$CORPUSD" extract "$tmp/page.html") || fail "single file exit $?"
echo "$out" | grep -q "Der Ausschuss hat am Dienstag" || fail "main text missing: $out"
echo "$out" | grep -q "Startseite" && fail "nav kept in precision mode"
echo "$out" | grep -q "Impressum" && fail "footer kept in precision mode"
full=$("$CORPUSD" extract "$tmp/page.html" --mode full) || fail "full mode exit"
echo "$full" | grep -q "Startseite" || fail "full mode lost the nav text"
gzip -c "$tmp/page.html" >"$tmp/page.html.gz"
"$CORPUSD" extract "$tmp/page.html.gz" | grep -q "Der Plan geht nun" || fail ".html.gz input"

"$CORPUSD" extract "$tmp/page.html" --mode nonsense >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --mode is not a usage error"

# JSONL input: the HTML is in `text`; the stage replaces it.
"$PYTHON" - "$tmp/page.html" "$tmp/in.jsonl" <<'PY'
import json, sys
html = open(sys.argv[1], encoding='utf-8').read()
with open(sys.argv[2], 'w') as f:
    f.write(json.dumps({'id': 'a', 'text': html, 'metadata': {'url': 'http://x/a'}}) + '\n')
    f.write(json.dumps({'id': 'b', 'text': '<html><body><script>x()</script></body></html>'}) + '\n')
    f.write(json.dumps({'id': 'c', 'text': '<html><head><meta charset="iso-8859-1"></head><body><p>plain words caf\u00e9</p></body></html>'}) + '\n')
PY
"$CORPUSD" extract "$tmp/in.jsonl" -o "$tmp/out.jsonl" --rejects "$tmp/rej.jsonl" --mode precision 2>"$tmp/err" || { cat "$tmp/err"; fail "jsonl run"; }
"$PYTHON" - "$tmp/out.jsonl" "$tmp/rej.jsonl" <<'PY' || exit 1
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
rej = [json.loads(l) for l in open(sys.argv[2])]
ids = [d['id'] for d in out]
assert ids == ['a', 'c'], ids
a = out[0]
assert 'Der Ausschuss hat am Dienstag' in a['text'], a['text']
assert '<p>' not in a['text'] and 'Startseite' not in a['text'], a['text']
assert a['metadata']['title'] == 'Der Titel', a['metadata']
assert a['metadata']['html_lang'] == 'de', a['metadata']
assert a['metadata']['url'] == 'http://x/a'
assert out[1]['text'] == 'plain words caf\u00e9', out[1]
assert [d['id'] for d in rej] == ['b'], rej
assert rej[0]['metadata']['drop_reason'] == 'extract_empty', rej[0]
PY
exit 0

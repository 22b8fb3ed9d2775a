#!/bin/sh
# reference_test.sh: differential test of corpusd's NeMo Curator cascade and
# of the datatrove FineWeb / Gopher-repetition line and paragraph rules
# against Python transcriptions of their reference definitions (NeMo Curator
# nemo_curator/stages/text/filters/heuristic_filter.py + utils/constants.py;
# datatrove fineweb_quality_filter.py and gopher_repetition_filter.py),
# on real prose: the license texts every Debian system ships in
# /usr/share/common-licenses, cut into documents of 3..40 lines, plus
# variants with repeated lines, digits, URLs and bullets.
# Rules that depend on NLTK tokenization or punkt (Gopher quality, C4, the
# datatrove n-gram rules, FineWeb's list ratio) are not compared here.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
ls /usr/share/common-licenses/GPL-3 >/dev/null 2>&1 || { echo "skip: /usr/share/common-licenses missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$PYTHON - "$T" <<'PY'
import json, random, sys, glob
T = sys.argv[1]
rnd = random.Random(11)
docs = []
for path in sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except (UnicodeDecodeError, IsADirectoryError):
        continue
    i = 0
    while i < len(lines):
        n = rnd.randint(3, 40)
        chunk = lines[i:i + n]; i += n
        text = "\n".join(chunk)
        if not text.strip():
            continue
        docs.append(text)
        r = rnd.random()
        if r < 0.15:
            docs.append(text + ("\n" + chunk[0]) * rnd.randint(1, 6))
        elif r < 0.25:
            docs.append(text + " " + " ".join(str(rnd.randint(0, 99999)) for _ in range(rnd.randint(5, 60))))
        elif r < 0.35:
            docs.append(text + "\nSee https://www.gnu.org/licenses/ and http://example.com/a_b-c?d=1&e=%41 ." * rnd.randint(1, 4))
        elif r < 0.45:
            docs.append("\n".join("\u2022 " + l for l in chunk))
        elif r < 0.5:
            docs.append(text + "\n\n" + text + "\n\nread more")
with open(f"{T}/in.jsonl", "w") as f:
    for k, d in enumerate(docs):
        f.write(json.dumps({"id": f"d{k}", "text": d}) + "\n")
print(len(docs), "documents", file=sys.stderr)
PY
printf 'stages:\n  - nemo_heuristics: {}\n' > "$T/nemo.yaml"
printf 'stages:\n  - fineweb: {new_line_ratio: 1.0e9}\n' > "$T/fw.yaml"
printf 'stages:\n  - gopher_repetition: {top_2_gram_frac: 0, top_3_gram_frac: 0, top_4_gram_frac: 0, dup_5_gram_frac: 0, dup_6_gram_frac: 0, dup_7_gram_frac: 0, dup_8_gram_frac: 0, dup_9_gram_frac: 0, dup_10_gram_frac: 0}\n' > "$T/gr.yaml"
for c in nemo fw gr; do
  "$CORPUSD" filter "$T/in.jsonl" -o "$T/$c.out" --rejects "$T/$c.rej" --config "$T/$c.yaml" 2>"$T/err" \
    || { cat "$T/err"; echo "FAIL: corpusd filter ($c)"; exit 1; }
done
$PYTHON - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
docs = [json.loads(l) for l in open(f"{T}/in.jsonl")]

def got(name):
    r = {d["id"]: (d["metadata"]["drop_reason"], d["metadata"].get("filter_value")) for d in map(json.loads, open(f"{T}/{name}.rej"))}
    return r

# ---- NeMo Curator English cascade, transcribed from its definitions ----
END = (".", "?", "!", '"', "'")
ELL = ["...", "[...]", "\u2026", "(...)", "[\u2026]", "-\u00bb", "read more..", "read more"]
POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "privacy overview", "use of cookies",
          "use cookies", "privacy & cookies policy", "privacy and cookies policy"]
COMMON = {"the", "be", "to", "of", "and", "that", "have", "with"}
URL = re.compile(r"http[s]?://(?:[a-zA-Z]|[0-9]|[$\-_@.&+]|[!*\(\),]|(?:%[0-9a-fA-F][0-9a-fA-F]))+")
ALNUM = re.compile("[a-zA-Z0-9\n?!,.]")
def sentences(t): return [x for x in t.split("\n") if len(x.strip()) > 0]
def ngrams(w, n): return list(zip(*[w[i:] for i in range(n)]))
def nemo(t):
    n = len(t)
    if not n: return "nemo_alpha_numeric"
    if (n - len(ALNUM.findall(t))) / n > 0.25: return "nemo_alpha_numeric"
    words = t.strip().split()
    sym = sum(1 for w in words if w in ELL or len(re.findall("#+", w)) / len(w) > 0.5)
    if (sym / len(words) if words else 1.0) > 0.1: return "nemo_symbol_to_word"
    if sum(c.isdigit() and c.isdecimal() for c in t) / n > 0.15: return "nemo_numbers_ratio"
    if sum(len(u) for u in URL.findall(t)) / n > 0.2: return "nemo_urls_ratio"
    if sum(c in "\t\n\r\b " for c in t) / n > 0.25: return "nemo_white_space"
    if sum(c in "{}\u27e8\u27e9[]()" for c in t) / n > 0.1: return "nemo_parentheses_ratio"
    paras = t.split("\n\n")
    bp = 0
    for p in paras:
        p = p.strip().lower()
        if "lorem ipsum" in p: return "nemo_boilerplate_string_ratio"
        if any(s in p for s in POLICY): bp += 1
    if bp / len(paras) > 0.4: return "nemo_boilerplate_string_ratio"
    s = sentences(t)
    if not s or len(set(s)) / len(s) < 0.7: return "nemo_repeated_lines"
    if len(set(paras)) / len(paras) < 0.7: return "nemo_repeated_paragraphs"
    if len("".join(set(s))) / len("".join(s)) < 0.8: return "nemo_repeated_lines_char"
    pj = len("".join(paras))
    if not pj or len("".join(set(paras))) / pj < 0.8: return "nemo_repeated_paragraphs_char"
    if not (50 <= len(words) <= 100000): return "nemo_word_count"
    if sum(1 for x in s if not x.strip().endswith(END)) / len(s) > 0.85: return "nemo_punctuation"
    if sum(1 for w in words if any(c.isalpha() for c in w)) / len(words) < 0.8: return "nemo_words_without_alphabets"
    if sum(1 for w in words if w in COMMON) < 2: return "nemo_common_english_words"
    m = sum(len(w) for w in words) / len(words)
    if not (3 <= m <= 10): return "nemo_mean_word_length"
    if max(len(w) for w in words) > 1000: return "nemo_max_word_length"
    if sum(1 for x in s if any(x.strip().lower().endswith(e) for e in ELL)) / len(s) > 0.3: return "nemo_ellipsis"
    for k, lim in ((2, .2), (3, .18), (4, .16)):
        if len(words) < k: return f"nemo_repeating_top_{k}grams"
        g = ngrams(words, k)
        cnt = {}
        for x in g: cnt[x] = cnt.get(x, 0) + 1
        best = max(cnt.values())
        top = next(x for x in g if cnt[x] == best)   # first seen among ties
        joined = " ".join(top)
        if (n - len(t.replace(joined, ""))) / n > lim: return f"nemo_repeating_top_{k}grams"
    for k, lim in ((5, .15), (6, .14), (7, .13), (8, .12), (9, .11), (10, .10)):
        if len(words) < k: return f"nemo_repeating_dup_{k}gram"
        cnt, dup, ov = {}, 0, 0
        for x in ngrams(words, k):
            cnt[x] = cnt.get(x, 0) + 1
            if cnt[x] > 1:
                dup += sum(len(w) for w in x[ov:]) + min(k - ov, k - 1)
                ov = k
            ov = max(ov - 1, 0)
        if dup / n > lim: return f"nemo_repeating_dup_{k}gram"
    return None

# ---- datatrove FineWeb (lines, short lines, duplicated characters) ----
def find_dups(xs):
    seen, de, dc = set(), 0, 0
    for x in xs:
        if x in seen: de += 1; dc += len(x)
        else: seen.add(x)
    return de, dc
def fineweb(t):
    lines = t.split("\n")
    r = sum(1 for l in lines if l.endswith((".", "'", '"', "!", "?"))) / len(lines)
    if r <= 0.12: return "line_punct_ratio"
    if sum(1 for l in lines if len(l) <= 30) / len(lines) >= 0.67: return "short_line_ratio"
    d = len(t.replace("\n", ""))
    if not d or find_dups([l for l in lines if l.strip() != ""])[1] / d >= 0.01: return "char_dup_ratio"
    return None

# ---- datatrove Gopher repetition (paragraph and line rules) ----
def gopher_rep(t):
    if not t: return None
    paras = re.split(r"\n{2,}", t.strip())
    de, dc = find_dups(paras)
    if de / len(paras) > 0.3: return "dup_para_frac"
    if dc / len(t) > 0.2: return "dup_para_char_frac"
    lines = re.split("\n+", t)
    de, dc = find_dups(lines)
    if de / len(lines) > 0.3: return "dup_line_frac"
    if dc / len(t) > 0.2: return "dup_line_char_frac"
    return None

bad = 0
for name, fn in (("nemo", nemo), ("fw", fineweb), ("gr", gopher_rep)):
    g = got(name)
    mism = [(d["id"], fn(d["text"]), g.get(d["id"], (None,))[0]) for d in docs if fn(d["text"]) != g.get(d["id"], (None,))[0]]
    drops = sum(1 for d in docs if fn(d["text"]))
    import collections
    print(f"{name}: {len(docs)} documents, reference drops {drops}, mismatches {len(mism)}", dict(collections.Counter(fn(d["text"]) for d in docs)))
    for m in mism[:10]: print("   ", m)
    bad += len(mism)
sys.exit(1 if bad else 0)
PY

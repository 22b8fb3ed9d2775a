"""reference.py: Python transcriptions of the reference rule definitions,
used by tests/filter/reference_test.sh (differential test) and
bench/filter/run.sh (a same-run Python baseline):

 - nemo(text): NeMo Curator's English heuristic cascade
   (nemo_curator/stages/text/filters/heuristic_filter.py, utils/constants.py),
   returning corpusd's reason name for the first failing filter or None;
 - fineweb(text): datatrove FineWebQualityFilter without its NLTK list ratio;
 - gopher_rep(text): datatrove GopherRepetitionFilter's paragraph and line rules.
"""
import re

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


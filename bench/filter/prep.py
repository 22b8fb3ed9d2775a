#!/usr/bin/env python3
"""prep.py: builds the filter benchmark's data from Debian documentation.

Debian Reference (debian-reference-{en,de,es,fr,it,ja,pt,zh-cn,zh-tw}) ships
the same book in several translations as HTML. Its <p> paragraphs are real
prose. A translated paragraph that is byte-identical to an English one is an
untranslated leftover and is not used as a label for the other language.

Writes into OUTDIR:
  langid_docs.tsv      LANG<TAB>TEXT  documents: 5 consecutive paragraphs
  langid_snippets.tsv  LANG<TAB>TEXT  the first 200 characters of each document
  english.jsonl        English documents (5 paragraphs each, '\n'-joined),
                       repeated REPEAT times with distinct ids, for throughput
  langid_train.txt     fastText training lines (__label__LANG TEXT) from the
                       documents after the first PER_LANG of each language
                       (never the evaluated ones)
"""
import glob, json, sys
from html.parser import HTMLParser

LANGS = {"en": "en", "de": "de", "es": "es", "fr": "fr", "it": "it", "ja": "ja", "pt": "pt",
         "zh-cn": "zh", "zh-tw": "zh"}
ROOT = "/usr/share/debian-reference"


class Paras(HTMLParser):
    def __init__(self):
        super().__init__()
        self.paras, self.cur = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.cur = []

    def handle_endtag(self, tag):
        if tag == "p" and self.cur is not None:
            t = " ".join("".join(self.cur).split())
            if t:
                self.paras.append(t)
            self.cur = None

    def handle_data(self, d):
        if self.cur is not None:
            self.cur.append(d)


def paras(suffix):
    out = []
    for f in sorted(glob.glob(f"{ROOT}/*.{suffix}.html")):
        p = Paras()
        with open(f, encoding="utf-8", errors="replace") as fh:
            p.feed(fh.read())
        out += p.paras
    return out


def main():
    outdir, per_lang, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    en = paras("en")
    en_set = set(en)
    docs, snips, train = [], [], []
    for suf, code in LANGS.items():
        ps = paras(suf)
        if not ps:
            continue
        if suf != "en":
            ps = [p for p in ps if p not in en_set]
        groups = ["\n".join(ps[i:i + 5]) for i in range(0, len(ps) - 4, 5)]
        groups = [g for g in groups if len(g) >= 200]
        train += [(code, g) for g in groups[per_lang:]]
        groups = groups[:per_lang]
        for g in groups:
            docs.append((code, g))
            snips.append((code, g[:200]))
    with open(f"{outdir}/langid_docs.tsv", "w", encoding="utf-8") as f:
        for c, t in docs:
            f.write(f"{c}\t{t.replace(chr(9), ' ').replace(chr(10), ' ')}\n")
    with open(f"{outdir}/langid_snippets.tsv", "w", encoding="utf-8") as f:
        for c, t in snips:
            f.write(f"{c}\t{t.replace(chr(9), ' ').replace(chr(10), ' ')}\n")
    with open(f"{outdir}/langid_train.txt", "w", encoding="utf-8") as f:
        for c, t in train:
            f.write(f"__label__{c} {' '.join(t.split())}\n")
    groups = ["\n".join(en[i:i + 5]) for i in range(0, len(en) - 4, 5)]
    with open(f"{outdir}/english.jsonl", "w", encoding="utf-8") as f:
        for r in range(repeat):
            for i, g in enumerate(groups):
                f.write(json.dumps({"id": f"debian-reference/{r}/{i}", "text": g,
                                    "metadata": {"url": f"https://www.debian.org/doc/manuals/debian-reference/{i}.html"}},
                                   ensure_ascii=False) + "\n")


main()

"""gen_html.py DIR N SEED: writes N HTML pages shaped like crawled web pages
(navigation, scripts, inline styles, paragraphs of English-like text from a
Zipf-distributed vocabulary, link lists; 5-120 KB each), so that the WARC
made from them compresses about as much as CommonCrawl's (4-6x)."""
import os, random, sys

out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
syll = ["ka", "lo", "mi", "ten", "ra", "vis", "on", "el", "dar", "ne", "so", "pre", "tion", "al", "ing", "er", "ba", "cu", "st"]
vocab = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(30000)]
import itertools
cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))
common = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "with", "as", "was", "on"]

def sentence():
    words = rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 24))
    for i in range(0, len(words), 3):
        words[i] = rng.choice(common)
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."

os.makedirs(out, exist_ok=True)
for i in range(n):
    target = int(rng.lognormvariate(10.2, 0.7))
    target = max(5000, min(target, 120000))
    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
             f"<title>{sentence()[:60]}</title>",
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<style>body{font-family:sans-serif;margin:0}.nav a{padding:4px 8px;color:#333}.c{max-width:800px}</style>",
             "<script>(function(w,d){w.dataLayer=w.dataLayer||[];w.dataLayer.push({event:'pv',id:%d});})(window,document);</script>" % i,
             '</head><body><div class="nav">']
    parts += [f'<a href="/{rng.choice(vocab)}/{rng.randint(1, 9999)}">{rng.choice(vocab)}</a>' for _ in range(rng.randint(5, 30))]
    parts.append('</div><div class="c"><article>')
    size = sum(len(p) for p in parts)
    while size < target:
        p = "<p>" + " ".join(sentence() for _ in range(rng.randint(2, 8))) + "</p>\n"
        parts.append(p)
        size += len(p)
    parts.append("</article></div><footer>")
    parts += [f'<a href="https://{rng.choice(vocab)}.com/">{rng.choice(vocab)}</a>' for _ in range(rng.randint(3, 15))]
    parts.append("</footer></body></html>\n")
    with open(os.path.join(out, f"p{i:06d}.html"), "w") as f:
        f.write("".join(parts))

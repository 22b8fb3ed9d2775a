#!/usr/bin/env python3
"""make_corpus.py: builds the tokenizer parity corpus from text on this Debian
machine, deterministically (sorted file lists, seeded choices).

    make_corpus.py OUT.jsonl TARGET_BYTES OUT_INVALID.bin

OUT.jsonl: one {"text": ...} per document: translated UI strings in ~100
languages (gettext .mo catalogues), translated man pages (ja, zh, ru, ...),
Debian docs, C headers from /usr/include, Python from /usr/lib/python3, X11
Compose tables (symbols), and generated documents with long whitespace runs,
numbers, emoji sequences, CJK, math and combining marks (NFC).
OUT_INVALID.bin: text with ill-formed UTF-8 sequences of every kind.
"""
import glob
import gettext
import gzip
import json
import os
import random
import sys

out_path, target, bad_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(1234)
MAX_DOC = 48 * 1024


def read(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
        if path.endswith('.gz'):
            data = gzip.decompress(data)
        return data.decode('utf-8', errors='replace')
    except Exception:
        return None


def mo_text(path):
    try:
        with open(path, 'rb') as f:
            t = gettext.GNUTranslations(f)
        vals = [v for k, v in sorted(t._catalog.items(), key=lambda kv: str(kv[0])) if k]
        return '\n'.join(str(v) for v in vals)
    except Exception:
        return None


def sample(paths, n):
    paths = sorted(paths)
    rng.shuffle(paths)
    return paths[:n]


def synthetic():
    docs = []
    ws = [' ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2003', '\u0085', '\u2028', '\x0b', '\x0c']
    for i in range(40):
        parts = []
        for _ in range(200):
            r = rng.random()
            if r < 0.3:
                parts.append(rng.choice(ws) * rng.choice([1, 2, 3, 7, 16, 100, 1000]))
            elif r < 0.5:
                parts.append(''.join(rng.choice(ws) for _ in range(rng.randint(1, 30))))
            else:
                parts.append(rng.choice(['word', 'Hello', 'x', '42', '!!', 'über', '日本', 'don\'t', 'IT\'S']))
        docs.append(''.join(parts))
    digits = ['0123456789', '٠١٢٣٤٥٦٧٨٩', '０１２３４５６７８９', '०१२३४५६७८९', '¹²³', 'ⅠⅡⅢⅣ']
    for i in range(30):
        parts = []
        for _ in range(400):
            d = rng.choice(digits)
            parts.append(''.join(rng.choice(d) for _ in range(rng.randint(1, 40))))
            parts.append(rng.choice([' ', '.', ',', '-', '+', 'e', '/', ':', ' $', '%', '\n', '']))
        docs.append(''.join(parts))
    emoji = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '🇯🇵', '❤️', '🏳️‍🌈', '🧑🏿‍💻', '✌🏻', '🤖', '🫠', '👩‍🔬', '©️', '#️⃣']
    for i in range(20):
        docs.append(''.join(rng.choice(emoji) + rng.choice(['', ' ', 'ok ', '\n', 'and']) for _ in range(1500)))
    cjk = ''.join(chr(c) for c in range(0x4E00, 0x9FA5, 7)) + 'ひらがなカタカナ한국어텍스트'
    for i in range(20):
        docs.append(''.join(rng.choice(cjk) if rng.random() < 0.9 else rng.choice(['。', '、', ' ', '\n', 'abc', '123']) for _ in range(8000)))
    math = ['\\frac{a}{b}', '\\sum_{i=1}^{n} x_i', '\\int_0^\\infty e^{-x^2}dx', '∀x∈ℝ', '∂f/∂x', '√2', '≤', '≠', '∞',
            '𝑥', '𝐀', '𝔽_p', 'α+β=γ', 'x^2+y^2=z^2', '$E=mc^2$', '\\mathbb{R}^n', '∑', '∏', '⊗', '→', 'ℵ₀', 'f(x)=3x²−2x+1']
    for i in range(20):
        docs.append(' '.join(rng.choice(math) for _ in range(3000)))
    comb = ['e\u0301', 'a\u0308', 'n\u0303', '\u1100\u1161\u11a8', '\u0041\u030a', 'c\u0327\u0301', 'o\u031b\u0323',
            '\u212b', '\u2126', 'ﬁ', '\u0958', 'ſ', 'K', '\u0345', 'ι\u0308\u0301', 'か\u3099', '\u0644\u0627', 'Å']
    for i in range(20):
        docs.append(''.join(rng.choice(comb) + rng.choice(['', ' ', 'x', '\'S', '\'ll']) for _ in range(3000)))
    if not os.environ.get('NO_LONG_PIECES'):     # quadratic for the references; the benchmark leaves them out
        docs.append('aaaa' * 3000)               # one long pre-token (heap merge path)
        docs.append('x' + '.' * 6000)            # a long punctuation run
    docs.append('<|endoftext|> text <|im_start|>user\nhi<|im_end|> <|begin_of_text|>' * 50)
    return docs


docs = synthetic()
size = sum(len(d.encode()) for d in docs)
sources = [
    ('mo', sample(glob.glob('/usr/share/locale/*/LC_MESSAGES/*.mo'), 3000), mo_text, 0.22),
    ('man', sample([p for p in glob.glob('/usr/share/man/*/man*/*.gz') if '/man/man' not in p], 600), read, 0.14),
    ('doc', sample(glob.glob('/usr/share/doc/*/*') + glob.glob('/usr/share/doc/*/*.gz'), 3000), read, 0.16),
    ('include', sample(glob.glob('/usr/include/**/*.h', recursive=True), 4000), read, 0.18),
    ('python', sample(glob.glob('/usr/lib/python3/**/*.py', recursive=True), 4000), read, 0.18),
    ('compose', sample(glob.glob('/usr/share/X11/locale/*/Compose'), 20), read, 0.04),
]
for name, paths, fn, share in sources:
    budget, got = int(target * share), 0
    for p in paths:
        if got >= budget:
            break
        if not os.path.isfile(p):
            continue
        t = fn(p)
        if not t:
            continue
        t = t[:MAX_DOC]
        docs.append(t)
        got += len(t.encode())
    size += got
with open(out_path, 'w', encoding='utf-8') as f:
    for d in docs:
        f.write(json.dumps({'text': d}, ensure_ascii=False) + '\n')

bad = [b'\x80', b'\xbf', b'\xc0\x80', b'\xc1\xbf', b'\xc2', b'\xe0\x80\x80', b'\xe0\xa0', b'\xed\xa0\x80', b'\xed\xbf\xbf',
       b'\xef\xbf', b'\xf0\x80\x80\x80', b'\xf0\x90\x80', b'\xf4\x90\x80\x80', b'\xf5\x80\x80\x80', b'\xff', b'\xfe',
       b'\xf8\x88\x80\x80\x80', b'\xe2\x82', b'\xf0\x9f\x98']
good = ['hello ', 'world', ' café', '日本語', '😀', '\n', '  ', '123', 'don\'t']
parts = []
for _ in range(20000):
    parts.append(rng.choice(good).encode() if rng.random() < 0.7 else rng.choice(bad))
parts.append(b'\xf0\x9f\x98')  # truncated at the end
with open(bad_path, 'wb') as f:
    f.write(b''.join(parts))
print(f'{len(docs)} documents, {size} bytes')

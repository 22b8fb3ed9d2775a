#!/usr/bin/env python3
"""gen_corpus.py DIR NFILES NDOCS: writes NFILES JSONL inputs of NDOCS documents
each (mixed plain, .gz and .zst via the zstd CLI), with varied metadata, unicode,
embedded NULs and a few malformed lines, for the pipeline tests."""
import gzip, json, os, random, subprocess, sys

out, nfiles, ndocs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
rng = random.Random(1234)
words = ("the of and to in is was for on that with as by at from his her it an were are which this "
         "be or has had not but first one their its new after who they have two been also other more "
         "über straße 数据 données ñandú Ελληνικά").split()
for f in range(nfiles):
    lines = []
    for i in range(ndocs):
        n = rng.randint(5, 120)
        text = " ".join(rng.choice(words) for _ in range(n))
        if i % 97 == 0:
            text += "\x00nul\u2028sep"
        doc = {"id": f"f{f:03d}/{i}", "text": text,
               "metadata": {"language": rng.choice(["en", "en", "de", "fr"]),
                            "quality": round(rng.random(), 4), "n": i}}
        if i % 3 == 0:
            doc["source"] = rng.choice(["cc", "github"])
        lines.append(json.dumps(doc, ensure_ascii=(i % 2 == 0)))
        if i % 500 == 250:
            lines.append('{"id": "broken", "text": ')  # malformed
    data = ("\n".join(lines) + "\n").encode()
    kind = f % 3
    if kind == 0:
        open(os.path.join(out, f"part{f:03d}.jsonl"), "wb").write(data)
    elif kind == 1:
        with gzip.open(os.path.join(out, f"part{f:03d}.jsonl.gz"), "wb") as g:
            g.write(data)
    else:
        p = os.path.join(out, f"part{f:03d}.jsonl.zst")
        subprocess.run(["zstd", "-q", "-f", "-o", p], input=data, check=True)

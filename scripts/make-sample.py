#!/usr/bin/env python3
"""make-sample.py: writes data/sample/docs.jsonl, the small JSONL sample that
`make demo` runs on. The texts are written here, by us, for the demo; they mix
languages, sources, quality scores and a few exact duplicates so that every
stage has something to keep and something to drop."""
import json, random

rng = random.Random(2026)
topics = {
    "en": [
        "The river delta supports a wide range of birds, and local volunteers count them every spring.",
        "A compiler translates source code into machine code; the optimiser then removes redundant work.",
        "Bread rises because yeast ferments sugars and releases carbon dioxide into the dough.",
        "The committee met on Tuesday to review the budget and agreed to fund two new libraries.",
        "Prime numbers have exactly two divisors, and there are infinitely many of them, as Euclid showed.",
        "Solar panels convert sunlight into electricity, and batteries store the surplus for the night.",
    ],
    "de": [
        "Der Zug nach Hamburg fährt heute wegen Bauarbeiten eine halbe Stunde später ab.",
        "Die Bibliothek hat ihre Öffnungszeiten verlängert und bietet jetzt auch Abendkurse an.",
    ],
    "fr": [
        "Le marché du samedi attire les habitants du quartier, qui viennent acheter des légumes frais.",
        "La chercheuse a présenté ses résultats sur la migration des oiseaux lors du colloque.",
    ],
}
docs = []
n = 0
for lang, sentences in topics.items():
    for k in range(8 if lang == "en" else 4):
        body = " ".join(rng.sample(sentences, len(sentences)) * rng.randint(1, 3))
        n += 1
        docs.append({
            "id": f"sample/{n:03d}",
            "text": body,
            "source": rng.choice(["cc", "cc", "github"]),
            "metadata": {"language": lang, "quality": round(rng.random(), 3),
                         "url": f"https://example.org/{lang}/{n}"},
        })
# exact duplicates of two documents, under other ids
for i in (0, 3):
    d = dict(docs[i]); d["id"] = docs[i]["id"] + "-copy"
    docs.append(d)
with open("data/sample/docs.jsonl", "w", encoding="utf-8") as f:
    for d in docs:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(len(docs), "documents")

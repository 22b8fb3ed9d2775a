// ref.js: the reference tokenizers for the parity test and the benchmark.
//   node ref.js export NAME OUT.tiktoken        write tiktoken's NAME ranks as "base64 rank" lines
//   node ref.js hf TOKENIZER.json IN.jsonl OUT  ids per JSONL document (HF tokenizers, Rust)
//   node ref.js tiktoken NAME IN.jsonl OUT      ids per document (tiktoken encode_ordinary)
//   node ref.js hf-raw|tiktoken-raw X IN OUT    ids of a whole file read as UTF-8 (U+FFFD for bad bytes)
// IN.jsonl holds {"text": ...} per line; OUT gets one line of space-separated ids per document.
// With BENCH=1 it prints "MBPS <MB/s>" of encoding alone (after loading and a warm-up).
'use strict';
const fs = require('fs');
const path = require('path');
const [, , mode, arg, input, output] = process.argv;
const nm = path.join(__dirname, 'node_modules');
const req = (m) => require(path.join(nm, m));

function tiktokenEncoder(name) {
  return req('tiktoken').get_encoding(name);
}

function exportRanks(name, out) {
  // js-tiktoken's compact form: "! offset tok tok ..." lines where ranks run on from offset.
  const data = req(`tiktoken/encoders/${name}.json`);
  const lines = [];
  for (const line of data.bpe_ranks.split('\n')) {
    if (!line) continue;
    const parts = line.split(' ');
    let rank = parseInt(parts[1], 10);
    for (const tok of parts.slice(2)) lines.push(`${tok} ${rank++}`);
  }
  fs.writeFileSync(out, lines.join('\n') + '\n');
}

function readDocs(file, raw) {
  const buf = fs.readFileSync(file);
  if (raw) return [buf.toString('utf8')];
  return buf.toString('utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l).text);
}

async function main() {
  if (mode === 'export') return exportRanks(arg, input);
  const raw = mode.endsWith('-raw');
  const docs = readDocs(input, raw);
  let encode;
  let free = () => {};
  if (mode.startsWith('hf')) {
    const { Tokenizer } = req('@anush008/tokenizers');
    const tok = Tokenizer.fromFile(arg);
    encode = async (t) => (await tok.encode(t, null, { addSpecialTokens: false })).getIds();
  } else {
    const enc = tiktokenEncoder(arg);
    encode = async (t) => enc.encode_ordinary(t);
    free = () => enc.free();
  }
  const bench = process.env.BENCH === '1';
  if (bench) for (const d of docs.slice(0, 20)) await encode(d);
  const t0 = process.hrtime.bigint();
  const out = [];
  let bytes = 0;
  for (const d of docs) {
    const ids = await encode(d);
    bytes += Buffer.byteLength(d, 'utf8');
    out.push(Array.from(ids).join(' '));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (bench) console.log(`MBPS ${(bytes / 1e6 / secs).toFixed(2)} IDS ${out.reduce((a, l) => a + (l ? l.split(' ').length : 0), 0)}`);
  fs.writeFileSync(output, out.join('\n') + '\n');
  free();
}
main().catch((e) => { console.error(e); process.exit(1); });

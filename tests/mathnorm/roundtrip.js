#!/usr/bin/env node
// roundtrip.js: the MathML -> LaTeX round-trip quality check of issue #5.
//
//   node roundtrip.js EXPRESSIONS CORPUSD WORKDIR [BENCH_REPEAT]
//
// For every LaTeX expression:
//   1. render it to MathML with temml and with katex (output "mathml"),
//      stripping the TeX annotation, so only presentation MathML is left;
//   2. convert that MathML back to LaTeX with corpusd
//      (`corpusd mathnorm --mathml-lines`) and with the npm peer
//      mathml-to-latex, on the same inputs in the same run;
//   3. render each result again with temml and compare it with temml's
//      rendering of the original expression, after canonicalisation:
//      whitespace dropped, attributes sorted, attribute-less <mrow> flattened
//      into its parent (or unwrapped when it is a fixed-arity argument).
// Prints a table (equivalent share, throughput) and RESULT lines for the
// test script; writes the failures to WORKDIR/failures-*.txt. With
// BENCH_REPEAT, also times both converters on the MathML repeated that many
// times (corpusd as one process over a file, the peer in-process).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
const nm = process.env.MATHNORM_NODE_MODULES || path.join(here, 'node_modules');
const temml = require(path.join(nm, 'temml', 'dist', 'temml.cjs'));
const katex = require(path.join(nm, 'katex'));
const m2l = require(path.join(nm, 'mathml-to-latex'));
const MathMLToLaTeX = m2l.MathMLToLaTeX || (m2l.default && m2l.default.MathMLToLaTeX);

const [exprFile, corpusd, work, benchArg] = process.argv.slice(2);
const benchRepeat = benchArg ? parseInt(benchArg, 10) : 0;
const exprs = fs.readFileSync(exprFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
fs.mkdirSync(work, { recursive: true });

// ---------------------------------------------------------------- rendering
function renderTemml(tex) {
  try {
    const s = temml.renderToString(tex, { displayMode: true, annotate: false, throwOnError: true });
    return s;
  } catch (e) {
    return null;
  }
}

function renderKatex(tex) {
  try {
    let s = katex.renderToString(tex, { output: 'mathml', displayMode: true, throwOnError: true });
    s = s.replace(/^<span class="katex">/, '').replace(/<\/span>$/, '');
    return stripAnnotation(s);
  } catch (e) {
    return null;
  }
}

function stripAnnotation(s) {
  // <semantics>X<annotation encoding="application/x-tex">..</annotation></semantics> -> X
  return s.replace(/<annotation encoding="application\/x-tex">[\s\S]*?<\/annotation>/g, '')
    .replace(/<semantics>/g, '').replace(/<\/semantics>/g, '');
}

// --------------------------------------------------------- canonicalisation
function decode(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e];
  });
}

function parse(xml) {
  const root = { name: '#root', attrs: {}, children: [] };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let m;
  while ((m = re.exec(xml))) {
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      const t = decode(m[5]);
      if (t.trim() !== '') top.children.push({ text: t.trim() });
      continue;
    }
    if (m[1]) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const attrs = {};
    const ar = /([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
    let a;
    while ((a = ar.exec(m[3]))) attrs[a[1]] = decode(a[3] !== undefined ? a[3] : a[4]);
    const el = { name: m[2], attrs, children: [] };
    top.children.push(el);
    if (!m[4]) stack.push(el);
  }
  return root;
}

const FIXED = new Set(['mfrac', 'msub', 'msup', 'msubsup', 'munder', 'mover', 'munderover', 'mroot', 'mmultiscripts']);

function canon(node) {
  if (node.text !== undefined) return node;
  const kids = node.children.map(canon);
  let out = [];
  if (FIXED.has(node.name)) {
    out = kids.map((k) => (k.name === 'mrow' && Object.keys(k.attrs).length === 0 && k.children.length === 1 ? k.children[0] : k));
  } else {
    for (const k of kids) {
      if (k.name === 'mrow' && Object.keys(k.attrs).length === 0) out.push(...k.children);
      else out.push(k);
    }
  }
  return { name: node.name, attrs: node.attrs, children: out };
}

function serial(node) {
  if (node.text !== undefined) return JSON.stringify(node.text);
  const at = Object.keys(node.attrs).sort().map((k) => `${k}=${JSON.stringify(node.attrs[k])}`).join(' ');
  return `<${node.name}${at ? ' ' + at : ''}>${node.children.map(serial).join('')}</${node.name}>`;
}

function canonical(xml) {
  return xml === null ? null : serial(canon(parse(xml)));
}

// -------------------------------------------------------------- conversion
function runCorpusd(mathmls, tag) {
  const inFile = path.join(work, `in-${tag}.txt`);
  fs.writeFileSync(inFile, mathmls.map((s) => (s || '').replace(/\n/g, ' ')).join('\n') + '\n');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(corpusd, ['mathnorm', '--mathml-lines', inFile], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`corpusd failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.split('\n');
  return { out: mathmls.map((_, i) => lines[i] || ''), secs, stderr: r.stderr.trim() };
}

function runPeer(mathmls) {
  const t0 = process.hrtime.bigint();
  const out = mathmls.map((s) => {
    try {
      return MathMLToLaTeX.convert(s || '');
    } catch (e) {
      return '';
    }
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { out, secs };
}

// ---------------------------------------------------------------------- run
const ref = exprs.map((e) => canonical(renderTemml(e)));
const valid = exprs.map((_, i) => ref[i] !== null);
const nvalid = valid.filter(Boolean).length;
const sources = { temml: exprs.map(renderTemml), katex: exprs.map(renderKatex) };

const rows = [];
for (const [src, mathmls] of Object.entries(sources)) {
  const bytes = mathmls.reduce((n, s) => n + (s ? Buffer.byteLength(s) : 0), 0);
  const results = { corpusd: runCorpusd(mathmls, src), 'mathml-to-latex': runPeer(mathmls) };
  for (const [tool, r] of Object.entries(results)) {
    let ok = 0, n = 0;
    const fails = [];
    for (let i = 0; i < exprs.length; i++) {
      if (!valid[i] || mathmls[i] === null) continue;
      n++;
      const back = canonical(renderTemml(r.out[i]));
      if (back !== null && back === ref[i]) ok++;
      else fails.push(`${exprs[i]}\n  -> ${r.out[i]}\n  mathml: ${mathmls[i]}\n  want: ${ref[i]}\n  got:  ${back}\n`);
    }
    fs.writeFileSync(path.join(work, `failures-${tool}-${src}.txt`), fails.join('\n'));
    rows.push({ src, tool, ok, n, share: n ? ok / n : 0, mbps: bytes / 1e6 / r.secs, secs: r.secs });
  }
}

console.log(`expressions: ${exprs.length} (${nvalid} rendered by temml)`);
console.log('source  converter         equivalent        share   MB/s   seconds');
for (const r of rows) {
  console.log(`${r.src.padEnd(7)} ${r.tool.padEnd(17)} ${String(r.ok).padStart(5)}/${String(r.n).padEnd(5)}  ` +
    `${(100 * r.share).toFixed(1).padStart(6)}%  ${r.mbps.toFixed(2).padStart(6)}  ${r.secs.toFixed(3)}`);
}
for (const r of rows) console.log(`RESULT ${r.tool} ${r.src} ${r.share.toFixed(4)}`);

if (benchRepeat > 0) {
  const all = [];
  for (let r = 0; r < benchRepeat; r++) all.push(...sources.temml.filter((x) => x !== null), ...sources.katex.filter((x) => x !== null));
  const bytes = all.reduce((n, s) => n + Buffer.byteLength(s), 0);
  const c = runCorpusd(all, 'bench');
  const p = runPeer(all);
  console.log(`\nthroughput on ${all.length} MathML formulas (${(bytes / 1e6).toFixed(1)} MB):`);
  console.log('converter           formulas/s      MB/s');
  console.log(`corpusd           ${(all.length / c.secs).toFixed(0).padStart(12)}  ${(bytes / 1e6 / c.secs).toFixed(2).padStart(8)}`);
  console.log(`mathml-to-latex   ${(all.length / p.secs).toFixed(0).padStart(12)}  ${(bytes / 1e6 / p.secs).toFixed(2).padStart(8)}`);
  console.log(`ratio corpusd/mathml-to-latex: ${(p.secs / c.secs).toFixed(1)}x`);
}

#!/usr/bin/env node
// asciimath.js: AsciiMath -> LaTeX compared with the npm peer asciimath2tex.
//   node asciimath.js EXPRESSIONS CORPUSD
// Both LaTeX results are rendered by temml; the share of expressions whose
// canonical MathML trees are equal (agreement with the peer) is printed as
// "RESULT asciimath AGREEMENT", and the disagreements are listed.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const nm = process.env.MATHNORM_NODE_MODULES || path.join(__dirname, 'node_modules');
const temml = require(path.join(nm, 'temml', 'dist', 'temml.cjs'));
const A2T = require(path.join(nm, 'asciimath2tex'));
const parser = new (A2T.default || A2T)();
const [file, corpusd] = process.argv.slice(2);
const exprs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
const r = spawnSync(corpusd, ['mathnorm', '--asciimath-lines', file], { encoding: 'utf8' });
if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
const ours = r.stdout.split('\n');
function render(tex) {
  try { return temml.renderToString(tex, { displayMode: true, annotate: false, throwOnError: true }); } catch (e) { return null; }
}
// same canonicalisation as roundtrip.js: whitespace, attribute order, mrow flattening
function canon(xml) {
  if (xml === null) return null;
  let s = xml.replace(/>\s+</g, '><');
  s = s.replace(/<mrow>/g, '').replace(/<\/mrow>/g, '');
  s = s.replace(/<(\w+)((?:\s+[\w:-]+="[^"]*")+)\s*(\/?)>/g, (m, n, at, sl) => {
    const a = at.trim().match(/[\w:-]+="[^"]*"/g).sort().join(' ');
    return `<${n} ${a}${sl}>`;
  });
  return s;
}
let agree = 0;
const diffs = [];
exprs.forEach((e, i) => {
  let peer;
  try { peer = parser.parse(e); } catch (x) { peer = null; }
  const a = canon(render(ours[i] || '')), b = peer === null ? null : canon(render(peer));
  if (a !== null && a === b) agree++;
  else diffs.push(`${e}\n  corpusd:      ${ours[i]}\n  asciimath2tex: ${peer}`);
});
console.log(diffs.join('\n'));
console.log(`asciimath: ${agree}/${exprs.length} agree with asciimath2tex after temml rendering`);
console.log(`RESULT asciimath ${(agree / exprs.length).toFixed(4)}`);

// readability_bench.js: @mozilla/readability + jsdom over the same pages,
// one process, one thread. Reads every file first, then times parse +
// extraction (CPU seconds of the process, all its threads, and wall). usage: node readability_bench.js OUT.jsonl FILE...
// Writes {"id", "text"} per page (id = file name without .html) for the
// quality evaluator and prints "readability N docs X MB T s".
const fs = require('fs');
const path = require('path');
const { JSDOM, VirtualConsole } = require('jsdom');
const { Readability } = require('@mozilla/readability');

const out = process.argv[2];
const files = process.argv.slice(3);
const pages = files.map((f) => [path.basename(f).replace(/\.html?$/, ''), fs.readFileSync(f, 'utf8')]);
let bytes = 0;
for (const [, h] of pages) bytes += Buffer.byteLength(h, 'utf8');
const vc = new VirtualConsole();
const lines = [];
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (const [id, html] of pages) {
  let text = '';
  try {
    const dom = new JSDOM(html, { virtualConsole: vc });
    const art = new Readability(dom.window.document).parse();
    text = art && art.textContent ? art.textContent : '';
    dom.window.close();
  } catch (e) {
    text = '';
  }
  lines.push(JSON.stringify({ id, text }));
}
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cu = process.cpuUsage(c0);
const secs = (cu.user + cu.system) / 1e6;
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`readability ${pages.length} docs ${(bytes / 1e6).toFixed(1)} MB wall ${wall.toFixed(3)} s cpu ${secs.toFixed(3)} s`);

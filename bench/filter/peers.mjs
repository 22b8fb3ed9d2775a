// peers.mjs: runs cld3-asm and franc on a LANG<TAB>TEXT file and prints
// "LANG<TAB>PRED_CLD3<TAB>PRED_FRANC" per line, plus timings on stderr.
// franc answers ISO 639-3; it is mapped to 639-1 for the languages in the set.
import { readFileSync } from 'node:fs';
import { loadModule } from 'cld3-asm';
import { franc } from 'franc';

const M3 = { eng: 'en', deu: 'de', spa: 'es', fra: 'fr', ita: 'it', jpn: 'ja', por: 'pt', cmn: 'zh', zho: 'zh' };
const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.length);
const cld = await loadModule();
const id = cld.create(0, 1000);
let tc = 0, tf = 0;
const out = [];
for (const l of lines) {
  const tab = l.indexOf('\t');
  const lang = l.slice(0, tab), text = l.slice(tab + 1);
  let t0 = process.hrtime.bigint();
  const r = id.findLanguage(text);
  tc += Number(process.hrtime.bigint() - t0);
  let c = (r.language || 'und').split('-')[0];
  t0 = process.hrtime.bigint();
  const f = franc(text, { minLength: 1 });
  tf += Number(process.hrtime.bigint() - t0);
  out.push(`${lang}\t${c}\t${M3[f] || f}`);
}
id.dispose();
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`cld3_ms=${(tc / 1e6).toFixed(1)} franc_ms=${(tf / 1e6).toFixed(1)}\n`);

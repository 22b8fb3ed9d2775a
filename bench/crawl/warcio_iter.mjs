// warcio_iter.mjs FILE: iterates every record of a WARC with the npm warcio
// package on one thread, reading each record's whole payload, and prints
// "records bytes".
const { WARCParser } = await import(`${process.env.WARCIO_MODULES}/node_modules/warcio/dist/index.js`);
import { createReadStream } from "node:fs";
const parser = new WARCParser(createReadStream(process.argv[2]));
let n = 0, bytes = 0;
for await (const record of parser) {
  const data = await record.readFully(false);
  bytes += data.length;
  n++;
}
console.log(n, bytes);

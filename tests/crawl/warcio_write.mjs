// warcio_write.mjs OUT.warc.gz EXPECTED.jsonl [plain]
// Writes a WARC with the npm `warcio` package (an independent writer), one
// gzip member per record, and the facts a reader must recover, computed here
// from what was written: type, uri, record_id, offset (sum of the serialized
// member sizes), length (Content-Length) and payload_sha256 (of the bytes
// handed to warcio as the payload: the HTTP entity body for responses, the
// whole block otherwise).
// warcio is imported from $WARCIO_MODULES (an npm prefix outside tests/,
// so its C sources are not globbed into the unit-test build).
const { WARCRecord, WARCSerializer } = await import(`${process.env.WARCIO_MODULES}/node_modules/warcio/dist/index.js`);
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const [out, expected, mode] = process.argv.slice(2);
const gzip = mode !== "plain";
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
const enc = new TextEncoder();
const parts = [];
const facts = [];
let offset = 0;

// The block of one serialized record (node's zlib, not ours): the bytes
// after the header's blank line, Content-Length of them.
function blockOf(bytes) {
  const raw = Buffer.from(gzip ? gunzipSync(bytes) : bytes);
  const end = raw.indexOf("\r\n\r\n");
  const m = /Content-Length: *(\d+)/i.exec(raw.subarray(0, end).toString("latin1"));
  return raw.subarray(end + 4, end + 4 + Number(m[1]));
}

async function add(opts, payload, httpHeaders) {
  async function* content() { yield payload; }
  const record = await WARCRecord.create({ ...opts, ...(httpHeaders ? { httpHeaders } : {}) }, content());
  const bytes = await WARCSerializer.serialize(record, { gzip });
  const h = record.warcHeaders.headers;
  facts.push({
    type: opts.type,
    uri: opts.url || "",
    record_id: h.get("WARC-Record-ID"),
    offset,
    length: Number(h.get("Content-Length")),
    payload_sha256: createHash("sha256").update(opts.type === "response" ? payload : blockOf(bytes)).digest("hex"),
  });
  parts.push(bytes);
  offset += bytes.length;
}

const info = await WARCRecord.createWARCInfo({ filename: "warcio.warc.gz", warcVersion: "WARC/1.1" },
  { software: "warcio.js", format: "WARC File Format 1.1" });
{
  const bytes = await WARCSerializer.serialize(info, { gzip });
  facts.push({ type: "warcinfo", uri: "", record_id: info.warcHeaders.headers.get("WARC-Record-ID"), offset,
               length: Number(info.warcHeaders.headers.get("Content-Length")),
               payload_sha256: createHash("sha256").update(blockOf(bytes)).digest("hex") });
  parts.push(bytes);
  offset += bytes.length;
}
for (let i = 0; i < 60; i++) {
  const version = i % 3 === 0 ? "WARC/1.0" : "WARC/1.1";
  const url = `https://site${i % 7}.example.org/page/${i}?q=${Math.floor(rnd() * 1e6)}`;
  const date = `2025-06-${String(1 + (i % 28)).padStart(2, "0")}T0${i % 10}:00:00Z`;
  const kind = i % 6;
  if (kind === 0 || kind === 1 || kind === 2) {
    // HTML response, various sizes (up to ~300 KB), some with binary bytes.
    const n = Math.floor(rnd() * (kind === 2 ? 300000 : 5000));
    let body = `<!doctype html><html><head><title>Page ${i}</title></head><body>`;
    while (body.length < n) body += `<p>Paragraph ${body.length} of page ${i}: ${rnd().toString(36)}</p>\n`;
    body += "</body></html>";
    const payload = enc.encode(body);
    await add({ url, date, type: "response", warcVersion: version }, payload,
              { "Content-Type": "text/html; charset=utf-8", "Content-Length": String(payload.length), Server: "test" });
  } else if (kind === 3) {
    const payload = enc.encode(`GET /page/${i} HTTP/1.1\r\nHost: site${i % 7}.example.org\r\n\r\n`);
    await add({ url, date, type: "request", warcVersion: version, warcHeaders: { "Content-Type": "application/http; msgtype=request" } }, payload);
  } else if (kind === 4) {
    const payload = new Uint8Array(Math.floor(rnd() * 20000));
    for (let k = 0; k < payload.length; k++) payload[k] = Math.floor(rnd() * 256);
    await add({ url, date, type: "resource", warcVersion: version, warcHeaders: { "Content-Type": "application/octet-stream" } }, payload);
  } else {
    const payload = enc.encode(`fetchTimeMs: ${i * 17}\r\nlanguages-cld2: {"reliable":true}\r\n`);
    await add({ url, date, type: "metadata", warcVersion: version, warcHeaders: { "Content-Type": "application/warc-fields" } }, payload);
  }
}
// A WET-style conversion record.
{
  const payload = enc.encode("Plain text of a converted page.\nSecond line with ünïcödé.\n");
  await add({ url: "https://wet.example.org/", date: "2025-06-30T00:00:00Z", type: "conversion", warcVersion: "WARC/1.0",
              warcHeaders: { "Content-Type": "text/plain", "WARC-Identified-Content-Language": "eng,deu",
                             "WARC-Refers-To": "<urn:uuid:11111111-2222-3333-4444-555555555555>" } }, payload);
}
const total = new Uint8Array(offset);
let at = 0;
for (const p of parts) { total.set(p, at); at += p.length; }
writeFileSync(out, total);
writeFileSync(expected, facts.map((f) => JSON.stringify(f)).join("\n") + "\n");

"""faultserver.py ROOT PORTFILE [SECONDS]: a small HTTP server on 127.0.0.1
for the crawl tests. It serves files under ROOT, honours Range, and injects
faults chosen by the first path component:

  /ok/F        plain 200/206
  /drop/F      the first response drops the connection halfway through the body
  /503/F       the first response is 503, then success
  /429/F       the first response is 429 (Retry-After: 0), then success
  /stall/F     the first response sends half the body, then stalls (no bytes)
  /short/F     every response ends 100 bytes before its Content-Length
  /droprange/F the first response drops halfway; later ones ignore Range (200)
  /slow/F      each response takes ~0.3 s (to observe concurrency)
  /stats       JSON: requests per path, the most /slow/ requests at once,
               and the Authorization headers received

It writes its port to PORTFILE and exits after SECONDS (default 120).
"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORTFILE = sys.argv[1], sys.argv[2]
LIFETIME = float(sys.argv[3]) if len(sys.argv) > 3 else 120
lock = threading.Lock()
counts = {}
auth = []
active = 0
max_active = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        global active, max_active
        slow = self.path.startswith("/slow/")
        if self.headers.get("Authorization"):
            auth.append(self.headers.get("Authorization"))
        with lock:
            n = counts.get(self.path, 0)
            counts[self.path] = n + 1
            if slow:
                active += 1
                max_active = max(max_active, active)
        try:
            self.serve(n)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            if slow:
                with lock:
                    active -= 1

    def serve(self, n):
        if self.path == "/stats":
            body = json.dumps({"counts": counts, "max_active": max_active, "auth": auth}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        parts = self.path.lstrip("/").split("/", 1)
        mode, rel = (parts[0], parts[1]) if len(parts) == 2 else ("ok", parts[0])
        path = os.path.join(ROOT, rel.split("?")[0])
        if not os.path.isfile(path):
            self.send_error(404)
            return
        if mode in ("503", "429") and n == 0:
            self.send_response(int(mode))
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"busy\n")
            return
        data = open(path, "rb").read()
        start, end = 0, len(data)
        rng = self.headers.get("Range")
        ignore_range = mode == "droprange" and n > 0
        if rng and not ignore_range:
            a, b = rng.split("=", 1)[1].split("-", 1)
            start = int(a)
            end = int(b) + 1 if b else len(data)
            end = min(end, len(data))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:end]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if mode == "slow":
            time.sleep(0.3)
        if (mode in ("drop", "droprange") and n == 0) or (mode == "stall" and n == 0):
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            if mode == "stall":
                time.sleep(30)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "short":
            self.wfile.write(body[: max(0, len(body) - 100)])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
threading.Timer(LIFETIME, srv.shutdown).start()
srv.serve_forever()

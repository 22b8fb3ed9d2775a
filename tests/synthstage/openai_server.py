"""A small OpenAI chat-completions server on 127.0.0.1 for the synth tests.

It answers deterministically from the prompt (QA pairs about the document),
and injects faults in order: the 1st request gets HTTP 500, the 2nd stalls
past the client's timeout, the 3rd gets a malformed JSON body. A document
containing REFUSE gets an answer without the required prefix. It writes its
port to argv[1] and the count of requests to argv[2] on exit (SIGTERM)."""
import json, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        global count
        with lock:
            count += 1
            n = count
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if n == 1:
            self.send_response(500); self.end_headers(); self.wfile.write(b"boom"); return
        if n == 2:
            time.sleep(3)  # the client times out first
            try:
                self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
            except Exception:
                pass
            return
        if n == 3:
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
            self.wfile.write(b'{"choices": [{"message": {"content": "trunc'); return
        user = body["messages"][-1]["content"]
        doc = user.split("Text:\n", 1)[-1].strip()
        if "REFUSE" in doc:
            content = "I would rather not write any questions about this particular document, it asks me to refuse."
        else:
            first = doc.split()[0] if doc.split() else "it"
            sent = doc.split(".")[0].strip()
            content = (f"Question: What does the text say first about {first}?\nAnswer: {sent}.\n"
                       f"Question: Is the text about {first}?\nAnswer: Yes.")
        reply = {"id": f"r{n}", "object": "chat.completion", "model": body.get("model"),
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 10, "completion_tokens": len(content.split())}}
        data = json.dumps(reply).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))


def stop(*a):
    open(sys.argv[2], "w").write(str(count))
    threading.Thread(target=srv.shutdown).start()


signal.signal(signal.SIGTERM, stop)
guard = threading.Timer(120, stop)   # never outlives the test
guard.daemon = True                  # ...and never keeps it alive either
guard.start()
srv.serve_forever()

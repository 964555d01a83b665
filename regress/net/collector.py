#!/usr/bin/env python3
"""TLS report collector of the filter-mtasts test network: the HTTPS
endpoint of the https: ruas of the test domains (RFC 8460 5.2).

It serves HTTPS itself, with the network's certificate for its name,
and keeps every POST it is sent: DIR/N.body (the body as received) and
DIR/N.json (method, path, headers, status answered).  It answers 201,
or 503 while DIR/fail exists, so a test can make it fail and recover.

  GET /health   200 "ok" (readiness probe)

usage: collector.py ADDRESS PORT CERT KEY DIR
"""

import http.server
import json
import os
import ssl
import sys
import threading

BODY_MAX = 20 * 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mtasts-collector"
    sys_version = ""

    def answer(self, status, text=b""):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(text)

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, b"ok")
        else:
            self.answer(404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n < 0 or n > BODY_MAX:
            self.answer(413)
            return
        body = self.rfile.read(n)
        d = self.server.dir
        status = 503 if os.path.exists(os.path.join(d, "fail")) else 201
        with self.server.lock:
            self.server.seq += 1
            seq = self.server.seq
        meta = {"method": "POST", "path": self.path, "status": status,
                "headers": {k.lower(): v for k, v in self.headers.items()}}
        with open(os.path.join(d, "%d.body" % seq), "wb") as f:
            f.write(body)
        with open(os.path.join(d, "%d.json.tmp" % seq), "w") as f:
            json.dump(meta, f)
        os.rename(os.path.join(d, "%d.json.tmp" % seq),
                  os.path.join(d, "%d.json" % seq))
        self.answer(status)

    def log_message(self, fmt, *args):
        sys.stderr.write("collector: " + (fmt % args) + "\n")


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: collector.py ADDRESS PORT CERT KEY DIR")
    addr, port, cert, key, d = sys.argv[1:]
    os.makedirs(d, exist_ok=True)
    srv = http.server.ThreadingHTTPServer((addr, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.dir = d
    srv.seq = 0
    srv.lock = threading.Lock()
    srv.serve_forever()


if __name__ == "__main__":
    main()

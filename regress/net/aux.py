#!/usr/bin/env python3
"""Auxiliary HTTP server behind nginx for the filter-mtasts test network.

nginx proxies the policy hosts that need behaviour a static file cannot
give to this server (standard library only):

  GET /health          200 "ok" (readiness probe)
  GET /stall/NAME      200 + text/plain headers at once, then STALL seconds
                       of silence, then the body of DIR/NAME
                       ("headers, then stall": a client must time out)
  GET /chunked/NAME    the body of DIR/NAME with Transfer-Encoding: chunked
                       (no Content-Length, so only a streaming size limit
                       catches an oversized body)

usage: aux.py ADDRESS PORT DIR [STALL]
"""

import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so that chunked transfer coding is legal in the response.
    protocol_version = "HTTP/1.1"
    server_version = "mtasts-aux"
    sys_version = ""

    def body(self, prefix):
        name = self.path[len(prefix):]
        if not name or "/" in name or name.startswith("."):
            return None
        try:
            with open(os.path.join(self.server.docdir, name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def head(self, status, extra):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self):
        if self.path == "/health":
            self.head(200, [("Content-Length", "3")])
            self.wfile.write(b"ok\n")
        elif self.path.startswith("/stall/") and self.body("/stall/") is not None:
            data = self.body("/stall/")
            self.head(200, [("Content-Length", str(len(data)))])
            time.sleep(self.server.stall)
            self.wfile.write(data)
        elif self.path.startswith("/chunked/") and self.body("/chunked/") is not None:
            data = self.body("/chunked/")
            self.head(200, [("Transfer-Encoding", "chunked")])
            for i in range(0, len(data), 4096):
                chunk = data[i:i + 4096]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.head(404, [("Content-Length", "0")])

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))


def main():
    addr, port, docdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = http.server.ThreadingHTTPServer((addr, port), Handler)
    # A stalled handler must not keep the process alive at shutdown.
    srv.daemon_threads = True
    srv.docdir = docdir
    srv.stall = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    srv.serve_forever()


if __name__ == "__main__":
    main()

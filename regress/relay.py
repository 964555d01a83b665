#!/usr/bin/env python3
# relay.py - SMTP sessions with the relay of "filter-mtasts filter -R"
# for regress/relay.sh; run inside the test network's namespace.
#
# usage: relay.py ADDRESS PORT SINKEVENTS
#
# Prints "ok - relay: ..." / "not ok - relay: ..." lines: what the
# relay refuses (a domain without a dane or sts-enforce verdict, a
# client without a loopback address, a second domain in one
# transaction, commands out of order, an overlong line) and what it
# passes on (pipelined commands, a message of several megabytes,
# dot-stuffed, arriving whole at the MX host).

import json
import socket
import sys
import time

ADDR, PORT, EVENTS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
NONLOOP = "198.51.100.25"	# the network's non-loopback address
failed = 0


def check(cond, what, detail=""):
    global failed
    if cond:
        print("ok - relay: %s" % what)
    else:
        failed = 1
        print("not ok - relay: %s" % what)
    if detail:
        for l in str(detail).splitlines():
            print("# " + l)


class Session:
    def __init__(self, source=None):
        self.s = socket.socket()
        if source:
            self.s.bind((source, 0))
        self.s.settimeout(60)
        self.s.connect((ADDR, PORT))
        self.f = self.s.makefile("rb")

    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                lines.append("EOF")
                break
            l = l.decode(errors="replace").rstrip("\r\n")
            lines.append(l)
            if len(l) < 4 or l[3] != "-":
                break
        return lines[-1]

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def hello(src=None):
    s = Session(src)
    g = s.reply()
    s.cmd("EHLO sender.example")
    return s, g


def sink_message(rcpt, wait=20):
    end = time.time() + wait
    while time.time() < end:
        try:
            with open(EVENTS) as fh:
                for line in fh:
                    e = json.loads(line)
                    if e.get("event") == "message" and rcpt in e.get("rcpts", []):
                        return e
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return None


# a client from a non-loopback address
try:
    s, g = Session(NONLOOP), None
    g = s.reply()
    more = s.f.readline()
    check(g.startswith("554 5.7.1") and not more,
          "a client from a non-loopback address gets 554 and the door",
          "%s: %s" % (NONLOOP, g))
    s.close()
except OSError as e:
    check(False, "a client from a non-loopback address gets 554 and the door", e)

s, g = hello()
check(g.startswith("220 "), "greeting", g)
r = s.cmd("RCPT TO:<a@ee.v.example>")
check(r.startswith("503 "), "RCPT before MAIL: 503", r)
s.cmd("MAIL FROM:<sender@sender.example>")
r = s.cmd("RCPT TO:<u@nosts.example>")
check(r.startswith("451 4.7.5 nosts.example: verdict none"),
      "a domain without a policy (verdict none): 451 4.7.5, never relayed", r)
r = s.cmd("RCPT TO:<u@mxbogus.example>")
check(r.startswith("451 4.7.5 mxbogus.example: verdict defer"),
      "a domain whose verdict is defer: 451 4.7.5", r)
r = s.cmd("RCPT TO:<u@[192.0.2.1]>")
check(r.startswith("451 4.7.5"), "an address literal: 451 4.7.5", r)
r = s.cmd("DATA")
check(r.startswith("554 "), "DATA without a recipient: 554", r)
r = s.cmd("RCPT TO:<p1@ee.v.example>")
check(r.startswith("250 2.1.5 mx1.ee.v.example"),
      "a DANE domain: the MX host's own 250", r)
r = s.cmd("RCPT TO:<p1@failover.v.example>")
check(r.startswith("452 4.5.3"), "a second domain in the transaction: 452 4.5.3", r)
r = s.cmd("X" * 1200)
check(r.startswith("500 5.5.2"), "a line over 1000 bytes: 500", r)
r = s.cmd("RSET")
check(r.startswith("250 "), "RSET", r)
s.close()

# pipelined, and a message of 3 MiB with dots at line starts
s, g = hello()
lines = []
for i in range(40000):
    lines.append(("." if i % 7 == 0 else "") + ("line %06d " % i) + "x" * 64)
body = "Subject: big\r\nX-Test-Id: big\r\n\r\n" + "\r\n".join(lines) + "\r\n"
stuffed = body.replace("\r\n.", "\r\n..")
want = len(body.encode())
s.s.sendall(b"MAIL FROM:<sender@sender.example>\r\n"
            b"RCPT TO:<big@ee.v.example>\r\nDATA\r\n")
r = [s.reply(), s.reply(), s.reply()]
check(r[0].startswith("250") and r[1].startswith("250") and
      r[2].startswith("354"), "pipelined MAIL, RCPT, DATA: 250, 250, 354", r)
t0 = time.time()
s.s.sendall(stuffed.encode() + b".\r\n")
r = s.reply()
check(r.startswith("250 2.0.0 mx1.ee.v.example"),
      "a %d-byte message streamed: the MX host's 250" % want,
      "%s (%.2f s)" % (r, time.time() - t0))
e = sink_message("big@ee.v.example")
check(e is not None and e.get("size") == want and e.get("tls", "").startswith("TLSv1"),
      "the MX host got it whole, over TLS, the dots unstuffed",
      "size %s, want %d" % (e and e.get("size"), want))

# the MX host closes after a transaction; the next finds the kept
# connection gone and makes a new one; the one after keeps it
def small(rcpt):
    r = [s.cmd("MAIL FROM:<sender@sender.example>"),
         s.cmd("RCPT TO:<%s>" % rcpt), s.cmd("DATA")]
    if not r[2].startswith("354"):
        return r
    s.s.sendall(b"Subject: small\r\n\r\nsmall\r\n.\r\n")
    return r + [s.reply()]


for rcpt, what in (("closeafter1@ee.v.example", "the MX host then closes"),
                   ("reuse1@ee.v.example", "a kept connection gone: a new one"),
                   ("reuse2@ee.v.example", "the next transaction")):
    r = small(rcpt)
    check(len(r) == 4 and r[3].startswith("250 2.0.0 mx1.ee.v.example") and
          sink_message(rcpt) is not None, "delivered: %s" % what, r)
r = s.cmd("QUIT")
check(r.startswith("221"), "QUIT", r)
s.close()

# A local user's idle connections do not lock smtpd out: with SESS_MAX
# (128) open, a new one gets its greeting and the idlest between
# transactions is closed; one in a transaction, idle for longer, stays.
SESS_MAX = 128
busy, g = hello()
r = busy.cmd("MAIL FROM:<sender@sender.example>")
r = busy.cmd("RCPT TO:<busy@ee.v.example>")
idle = []
for i in range(SESS_MAX - 1):
    c, g = hello()
    idle.append(c)
late = Session()
g = late.reply()
idle[0].s.settimeout(10)	# a bound, not a wait: the 421 comes at once
try:
    first = idle[0].f.readline().decode(errors="replace").rstrip("\r\n")
    gone = idle[0].f.readline()
except OSError as e:
    first, gone = "no 421: %s" % e, b""
check(g.startswith("220 ") and first.startswith("421 4.3.2") and not gone,
      "%d connections: a new one is greeted, the idlest one closed with 421"
      % SESS_MAX, "new: %s; idlest: %s" % (g, first))
r = idle[1].cmd("NOOP")
check(r.startswith("250"), "... the other idle ones stay", r)
r = busy.cmd("DATA")
if r.startswith("354"):
    busy.s.sendall(b"Subject: busy\r\n\r\nbusy\r\n.\r\n")
    r = busy.reply()
check(r.startswith("250 2.0.0 mx1.ee.v.example") and
      sink_message("busy@ee.v.example") is not None,
      "... the one in a transaction, idle for longer, is not closed: "
      "delivered", r)
for c in idle + [late, busy]:
    c.close()
sys.exit(failed)

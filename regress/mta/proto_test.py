#!/usr/bin/env python3
# proto_test.py - protocol tests of "filter-mtasts daemon": the Postfix
# socketmap (netstrings, socketmap_table(5)) and the Exim line socket
# (${readsocket}), with no MTA.  Run inside the test network
# (regress/net/net.sh), against a daemon that started there with an
# empty state directory (slow.example must not be cached yet):
#
#	proto_test.py --socketmap 127.0.0.1:8461 --exim /path/exim.sock
#
# Prints "ok - PREFIX: ..." or "not ok - PREFIX: ..." with "# " detail
# lines; exit status 1 if a check failed.  Assertions are about answers
# and the order they arrive in, never about durations; every wait is
# bounded.

import argparse
import select
import socket
import sys
import threading
import time

ENFORCE = "OK secure match=mx1.enforce.example servername=hostname"
WILDCARD = "OK secure match=a.mx.wildcard.example servername=hostname"
NOTFOUND = "NOTFOUND "
DANE_ONLY = "OK dane-only"
NOMATCH_WHY = "no MX host matches"
WAIT = 15		# seconds for an answer that needs a policy fetch
SLOW_WAIT = 45		# seconds for slow.example (its fetch stalls)

prefix = "proto"
nfail = 0
npass = 0


def report(ok, what, details):
    global nfail, npass
    if ok:
        npass += 1
    else:
        nfail += 1
    print("%s - %s: %s" % ("ok" if ok else "not ok", prefix, what))
    for d in details:
        for line in str(d).splitlines():
            print("# " + line)
    sys.stdout.flush()


class Check:
    """with Check("what") as c: c.note(...); c.bad(...)"""

    def __init__(self, what):
        self.what, self.details, self.failed = what, [], False

    def note(self, s):
        self.details.append(s)

    def bad(self, s):
        self.failed = True
        self.details.append(s)

    def expect(self, got, want, label):
        if got == want:
            self.note("%s -> %r" % (label, got))
        else:
            self.bad("%s -> %r, expected %r" % (label, got, want))

    def __enter__(self):
        return self

    def __exit__(self, etype, e, tb):
        if etype is not None:
            self.bad("%s: %s" % (etype.__name__, e))
        report(not self.failed, self.what, self.details)
        return True


def netstring(b):
    return b"%d:%s," % (len(b), b)


def req(key, name=b"postfix"):
    return netstring(name + b" " + key.encode())


class Conn:
    """A client connection with a receive buffer."""

    def __init__(self, addr, unix=False):
        if unix:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(WAIT)
            self.s.connect(addr)
        else:
            self.s = socket.create_connection(addr, timeout=WAIT)
        self.buf = b""
        self.eof = False

    def send(self, b):
        self.s.sendall(b)

    def shut(self):
        self.s.shutdown(socket.SHUT_WR)

    def close(self):
        self.s.close()

    def fill(self, timeout):
        """One recv (bounded); False on timeout."""
        if self.eof:
            return True
        r, _, _ = select.select([self.s], [], [], timeout)
        if not r:
            return False
        try:
            d = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.eof = True
        self.buf += d
        return True

    def netstring(self, timeout=WAIT):
        """The next netstring payload (str), None at EOF; raises on
        timeout or a malformed reply."""
        end = time.time() + timeout
        while True:
            if b":" in self.buf:
                n, rest = self.buf.split(b":", 1)
                if not n.isdigit():
                    raise ValueError("malformed reply %r" % self.buf[:40])
                n = int(n)
                if len(rest) >= n + 1:
                    if rest[n:n + 1] != b",":
                        raise ValueError("reply without comma %r" % self.buf[:40])
                    self.buf = rest[n + 1:]
                    return rest[:n].decode()
            if self.eof:
                return None
            left = end - time.time()
            if left <= 0 or not self.fill(left):
                raise TimeoutError("no reply within %d s" % timeout)

    def closed(self, timeout=5):
        """Read until EOF; returns (closed, bytes received)."""
        end = time.time() + timeout
        while not self.eof:
            left = end - time.time()
            if left <= 0 or not self.fill(left):
                return False, self.buf
        return True, self.buf

    def ready(self):
        """A complete netstring is buffered (after a non-blocking read)."""
        self.fill(0)
        if b":" not in self.buf:
            return self.eof
        n, rest = self.buf.split(b":", 1)
        return not n.isdigit() or len(rest) >= int(n) + 1


def sm_query(addr, keys, timeout=WAIT):
    c = Conn(addr)
    c.send(b"".join(req(k) for k in keys))
    out = [c.netstring(timeout) for _ in keys]
    c.close()
    return out


def exim_query(path, data, shut=True, timeout=WAIT):
    c = Conn(path, unix=True)
    c.send(data)
    if shut:
        c.shut()
    closed, got = c.closed(timeout)
    c.close()
    return closed, got.decode(errors="replace")


def still_serving(addr, c):
    got = sm_query(addr, ["nosts.example"])
    c.expect(got, [NOTFOUND], "then a fresh connection: nosts.example")


# ------------------------------------------------------------ socketmap

def t_pipeline(addr):
    keys = ["enforce.example", "nosts.example", "dane.example",
            "nomatch.example", "testing.example", "danests.example",
            "wildcard.example"]
    want = [ENFORCE, NOTFOUND, DANE_ONLY, None, NOTFOUND, DANE_ONLY,
            WILDCARD]
    with Check("socketmap: 7 pipelined requests in one write, cold cache: "
               "answered in request order") as c:
        got = sm_query(addr, keys)
        for k, g, w in zip(keys, got, want):
            if w is None:
                if g and g.startswith("TEMP ") and NOMATCH_WHY in g:
                    c.note("%s -> %r" % (k, g))
                else:
                    c.bad("%s -> %r, expected TEMP ...%s..." % (k, g, NOMATCH_WHY))
            else:
                c.expect(g, w, k)
    # a cold domain first, warm ones after it: the warm answers are
    # known at once but must wait for the head of the line
    with Check("socketmap: a cold domain (a policy fetch) pipelined before "
               "cached ones: still answered first") as c:
        keys = ["cached.example", "nosts.example", "enforce.example"]
        got = sm_query(addr, keys)
        c.expect(got[0], "OK secure match=mx.cached.example servername=hostname",
                 keys[0])
        c.expect(got[1:], [NOTFOUND, ENFORCE], "then " + ", ".join(keys[1:]))
    with Check("socketmap: one connection, 20 sequential round trips, "
               "then 128 pipelined requests in one write (the most that "
               "may wait): answered in order") as c:
        conn = Conn(addr)
        for i in range(20):
            conn.send(req("enforce.example" if i % 2 else "dane.example"))
            g = conn.netstring()
            w = ENFORCE if i % 2 else DANE_ONLY
            if g != w:
                c.bad("round trip %d: %r, expected %r" % (i, g, w))
        keys = ["enforce.example", "nosts.example", "dane.example",
                "wildcard.example"] * 32
        want = [ENFORCE, NOTFOUND, DANE_ONLY, WILDCARD] * 32
        conn.send(b"".join(req(k) for k in keys))
        got = [conn.netstring() for _ in keys]
        conn.close()
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
        if bad:
            c.bad("%d of 128 out of order or wrong, first at %d: %r" %
                  (len(bad), bad[0], got[bad[0]]))
        else:
            c.note("128 answers in order")
    with Check("socketmap: 129 pipelined requests for unknown domains in "
               "one write -> connection closed (at most 128 may wait); the "
               "daemon keeps serving") as c:
        conn = Conn(addr)
        conn.send(b"".join(req("nx%d.nosuch.example" % i) for i in range(129)))
        closed, got = conn.closed(WAIT)
        conn.close()
        if not closed:
            c.bad("still open after %d s" % WAIT)
        c.note("%d bytes of answers before the close" % len(got))
        still_serving(addr, c)


def t_notdomains(addr):
    keys = [".enforce.example", ".example", "[127.0.25.1]", "[ipv6:::1]",
            "127.0.25.1"]
    with Check("socketmap: \".parent\" and \"[address]\" keys -> NOTFOUND") as c:
        got = sm_query(addr, keys)
        for k, g in zip(keys, got):
            c.expect(g, NOTFOUND, k)


def t_malformed(addr):
    pay = b"postfix nosts.example"
    cases = [
        ("non-digit length", b"abc:" + pay + b","),
        ("leading zero in the length", b"021:" + pay + b","),
        ("length 1101 (> 1100)", netstring(b"postfix " + b"a" * 1093)),
        ("length 99999999999", b"99999999999:" + pay + b","),
        ("missing comma", b"%d:%s;" % (len(pay), pay)),
        ("binary junk", b"\x00\xff\xfe\x80\x01junk\r\n\x7f"),
        ("a request without a key", netstring(b"postfix")),
        ("an empty netstring", b"0:,"),
    ]
    for what, data in cases:
        with Check("socketmap: %s -> connection closed without a reply; the "
                   "daemon keeps serving" % what) as c:
            conn = Conn(addr)
            conn.send(data)
            closed, got = conn.closed()
            conn.close()
            if not closed:
                c.bad("still open after 5 s")
            if got:
                c.bad("got %r" % got[:60])
            still_serving(addr, c)
    with Check("socketmap: a length prefix, then EOF (half-close) -> closed "
               "without a reply") as c:
        conn = Conn(addr)
        conn.send(b"30:postfix enf")
        conn.shut()
        closed, got = conn.closed()
        conn.close()
        if not closed:
            c.bad("still open after 5 s")
        if got:
            c.bad("got %r" % got[:60])
        still_serving(addr, c)
    with Check("socketmap: length exactly 1100 is read (the key is no "
               "domain: NOTFOUND)") as c:
        conn = Conn(addr)
        conn.send(netstring(b"postfix " + b"a" * 1092))
        c.expect(conn.netstring(), NOTFOUND, "1100-byte request")
        conn.close()


def t_halfopen(addr):
    with Check("socketmap: a client that sent half a netstring and waits "
               "holds back no one else") as c:
        stuck = Conn(addr)
        stuck.send(b"30:postfix enf")
        got = sm_query(addr, ["enforce.example", "nosts.example"])
        c.expect(got, [ENFORCE, NOTFOUND], "another connection meanwhile")
        if stuck.ready():
            c.bad("the half-open connection got something: %r" % stuck.buf[:60])
        stuck.close()
        still_serving(addr, c)


def t_concurrent(addr, n=50):
    doms = [("enforce.example", ENFORCE), ("nosts.example", NOTFOUND),
            ("dane.example", DANE_ONLY), ("danests.example", DANE_ONLY),
            ("wildcard.example", WILDCARD), ("testing.example", NOTFOUND),
            ("modenone.example", NOTFOUND), (".enforce.example", NOTFOUND)]
    with Check("socketmap: %d concurrent clients (all connected before any "
               "asks), 3 pipelined requests each: all answered, in order" % n) as c:
        conns = [Conn(addr) for _ in range(n)]
        barrier = threading.Barrier(n)
        results = [None] * n

        def worker(i):
            mine = [doms[(i + j) % len(doms)] for j in range(3)]
            try:
                barrier.wait(timeout=WAIT)
                conns[i].send(b"".join(req(d) for d, _ in mine))
                got = [conns[i].netstring() for _ in mine]
                results[i] = (got, [w for _, w in mine])
            except Exception as e:  # reported below
                results[i] = ("%s: %s" % (type(e).__name__, e), None)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT * 2)
        for conn in conns:
            conn.close()
        good = sum(1 for r in results if r and r[1] is not None and r[0] == r[1])
        c.note("%d of %d clients got their 3 answers in order" % (good, n))
        for i, r in enumerate(results):
            if not r or r[1] is None or r[0] != r[1]:
                c.bad("client %d: %r" % (i, r))
                break
        if good != n:
            c.failed = True


def t_slow(addr):
    with Check("socketmap: slow.example (its policy fetch stalls) on one "
               "connection does not delay another connection's answer") as c:
        a = Conn(addr)
        a.send(req("slow.example") + req("nosts.example"))
        # a round trip on a third connection: the daemon's event loop
        # has read A's requests by the time this is answered
        c.expect(sm_query(addr, ["testing.example"]), [NOTFOUND],
                 "sync connection: testing.example")
        b = Conn(addr)
        b.send(req("enforce.example"))
        order = []
        a_got = []
        b_got = None
        end = time.time() + SLOW_WAIT
        while (len(a_got) < 2 or b_got is None) and time.time() < end:
            r, _, _ = select.select([a.s, b.s], [], [], max(0, end - time.time()))
            if b.s in r and b_got is None:
                b.fill(0)
                if b.ready():
                    b_got = b.netstring()
                    order.append("B enforce.example")
            if a.s in r:
                a.fill(0)
                while len(a_got) < 2 and a.ready():
                    v = a.netstring()
                    a_got.append(v)
                    order.append("A %s" % ("slow.example", "nosts.example")[len(a_got) - 1])
                    if v is None:
                        break
        a.close()
        b.close()
        c.note("arrival order: " + ", ".join(order))
        c.expect(b_got, ENFORCE, "B: enforce.example")
        if not order or order[0] != "B enforce.example":
            c.bad("B's answer did not arrive first")
        if len(a_got) == 2:
            c.note("A: slow.example -> %r, nosts.example -> %r" % tuple(a_got))
            if not (a_got[0] or "").startswith(("NOTFOUND", "TEMP")):
                c.bad("slow.example: expected NOTFOUND (fetch failed, no "
                      "cache) or TEMP")
            if a_got[1] != NOTFOUND:
                c.bad("nosts.example behind slow.example: %r" % a_got[1])
        else:
            c.bad("A got %d of its 2 answers within %d s" % (len(a_got), SLOW_WAIT))


# ----------------------------------------------------------------- Exim

def t_exim(path):
    with Check("exim socket: one line per connection, half-close, one "
               "answer line, then the daemon closes") as c:
        for dom, want in [("enforce.example", "MTA-STS mx1.enforce.example\n"),
                          ("wildcard.example", "MTA-STS a.mx.wildcard.example\n"),
                          ("dane.example", "DANE\n"),
                          ("danests.example", "DANE\n"),
                          ("nosts.example", "NONE\n"),
                          ("testing.example", "NONE\n")]:
            closed, got = exim_query(path, dom.encode() + b"\n")
            c.expect(got, want, dom)
            if not closed:
                c.bad("%s: not closed after the answer" % dom)
        closed, got = exim_query(path, b"nomatch.example\n")
        if got.startswith("DEFER ") and NOMATCH_WHY in got and got.endswith("\n"):
            c.note("nomatch.example -> %r" % got)
        else:
            c.bad("nomatch.example -> %r, expected DEFER ...%s..." % (got, NOMATCH_WHY))
        closed, got = exim_query(path, b"[127.0.25.1]\n")
        c.expect(got, "NONE\n", "[127.0.25.1] (an address literal)")
        closed, got = exim_query(path, b"bad..example\n")
        c.expect(got, "DEFER not a domain name\n", "bad..example")
    with Check("exim socket: a last line without newline, then half-close: "
               "answered") as c:
        closed, got = exim_query(path, b"nosts.example")
        c.expect(got, "NONE\n", "nosts.example (no newline)")
        if not closed:
            c.bad("not closed after the answer")
    with Check("exim socket: two lines on one connection: two answers in "
               "order") as c:
        closed, got = exim_query(path, b"cached.example\nnosts.example\n")
        c.expect(got, "MTA-STS mx.cached.example\nNONE\n", "cached.example, nosts.example")
    with Check("exim socket: an over-long line (1000 bytes, no newline) -> "
               "closed without a reply; the daemon keeps serving") as c:
        conn = Conn(path, unix=True)
        conn.send(b"a" * 1000)
        closed, got = conn.closed()
        conn.close()
        if not closed:
            c.bad("still open after 5 s")
        if got:
            c.bad("got %r" % got[:60])
        closed, got = exim_query(path, b"enforce.example\n")
        c.expect(got, "MTA-STS mx1.enforce.example\n", "then a fresh connection")
    with Check("exim socket: an over-long line that ends in a newline "
               "(400 bytes) -> closed without a reply") as c:
        closed, got = exim_query(path, b"a" * 399 + b"\n", shut=False)
        if not closed:
            c.bad("still open after 5 s")
        if got:
            c.bad("got %r" % got[:60])
        closed, got = exim_query(path, b"enforce.example\n")
        c.expect(got, "MTA-STS mx1.enforce.example\n", "then a fresh connection")


def main():
    global prefix
    ap = argparse.ArgumentParser()
    ap.add_argument("--socketmap", required=True, help="HOST:PORT")
    ap.add_argument("--exim", required=True, help="unix socket path")
    ap.add_argument("--prefix", default="proto")
    a = ap.parse_args()
    prefix = a.prefix
    host, port = a.socketmap.rsplit(":", 1)
    addr = (host, int(port))
    start = time.time()
    # slow.example first, while nothing is cached
    t_slow(addr)
    t_pipeline(addr)
    t_notdomains(addr)
    t_malformed(addr)
    t_halfopen(addr)
    t_concurrent(addr)
    t_exim(a.exim)
    print("# %s: protocol checks took %d s" % (prefix, time.time() - start))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# proto_test.py - protocol tests of "filter-mtasts daemon": the Postfix
# socketmap (netstrings, socketmap_table(5)) and the Exim line socket
# (${readsocket}), with no MTA.  Run inside the test network
# (regress/net/net.sh), against a daemon that started there with an
# empty state directory (slow.example must not be cached yet):
#
#	proto_test.py --socketmap 127.0.0.1:8461 --exim /path/exim.sock
#
# With --hostile PID (regress/hostile_server.sh), against a daemon with
# no network whose front process is PID, on UNIX sockets: clients that
# never read, fill a socket with slow-drip connections or never finish
# a request.  Only address literals are asked there, which need no DNS.
#
#	proto_test.py --hostile PID --socketmap unix:/path/sm.sock \
#	    --socketmap2 unix:/path/sm2.sock --exim /path/exim.sock
#
# Prints "ok - PREFIX: ..." or "not ok - PREFIX: ..." with "# " detail
# lines; exit status 1 if a check failed.  Assertions are about answers,
# the order they arrive in, closes and memory, never about durations;
# every wait is bounded.

import argparse
import os
import resource
import select
import socket
import struct
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


def unix_connect(path):
    """A blocking connect, bounded: when the listen queue is full, a
    UNIX socket with a Python timeout fails at once (EAGAIN), while a
    blocking one waits, at most SO_SNDTIMEO."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", WAIT, 0))
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    s.settimeout(WAIT)
    return s


class Conn:
    """A client connection with a receive buffer."""

    def __init__(self, addr, unix=False):
        if unix or isinstance(addr, str):
            self.s = unix_connect(addr)
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


# -------------------------------------------------------------- hostile
#
# The daemon's bounds (filter-mtasts(8), daemon): a request must be
# complete READ_BOUND seconds after its first byte, answers must be
# read within WRITE_BOUND seconds; a socket that has all its
# connections closes its oldest idle one for a new one.

LITERAL = "[192.0.2.1]"		# an address literal: answered without DNS
READ_BOUND = 10
WRITE_BOUND = 10
CLOSE_WAIT = 30		# a close due after one of the bounds comes by then
FLOOD = 600		# slow-drip connections, more than a socket takes
SENT_MAX = 100 << 20	# what a never-reading client tries to send
RSS_GROWTH_MAX = 32 << 10	# kB the front may grow by meanwhile
HUP = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ValueError("no VmRSS for pid %d" % pid)


def hung_up(s, timeout=0):
    """The daemon closed s (seen without reading from it)."""
    p = select.poll()
    p.register(s, HUP)
    return bool(p.poll(timeout * 1000))


def wait_hung_up(socks, timeout):
    """Polls until every socket of socks is closed by the daemon, at most
    timeout seconds; returns how many are still open."""
    end = time.time() + timeout
    left = list(socks)
    while left:
        left = [s for s in left if not hung_up(s)]
        if not left or time.time() >= end:
            break
        hung_up(left[0], min(1, max(0, end - time.time())))
    return len(left)


def literal_query(addr, proto, timeout=WAIT):
    """One literal on a fresh connection: the answer, or None."""
    if proto == "exim":
        try:
            _, got = exim_query(addr, LITERAL.encode() + b"\n",
                                timeout=timeout)
        except OSError as e:
            return "%s: %s" % (type(e).__name__, e)
        return got
    c = Conn(addr)
    try:
        c.send(req(LITERAL))
        return c.netstring(timeout)
    except (OSError, TimeoutError, ValueError) as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        c.close()


def literal_answer(proto):
    return "NONE\n" if proto == "exim" else NOTFOUND


def fill(conn, one, pid):
    """Sends pipelined copies of one and never reads: until SENT_MAX
    bytes went, the daemon closed, or a send made no progress for 2 s.
    Returns (bytes sent, why it stopped, peak VmRSS of pid in kB)."""
    chunk = one * (65536 // len(one))
    conn.s.setblocking(False)
    sent, pos, peak, mark = 0, 0, rss_kb(pid), 0
    why = "sent all"
    while sent < SENT_MAX:
        try:
            n = conn.s.send(chunk[pos:])
        except BlockingIOError:
            _, w, _ = select.select([], [conn.s], [], 2)
            if not w:
                why = "the daemon stopped reading"
                break
            continue
        except (BrokenPipeError, ConnectionResetError):
            why = "the daemon closed"
            break
        sent += n
        pos = (pos + n) % len(chunk)
        if sent - mark >= 1 << 20:
            mark = sent
            peak = max(peak, rss_kb(pid))
    return sent, why, max(peak, rss_kb(pid))


def t_nonreader(pid, targets):
    """targets: (name, addr, proto); all filled first, then the closes
    awaited together."""
    stuck = []
    for name, addr, proto in targets:
        one = (LITERAL.encode() + b"\n" if proto == "exim" else
               req(LITERAL))
        with Check("%s: a client pipelining up to %d MB of requests that "
                   "never reads does not grow the front by %d MB; another "
                   "client is answered meanwhile" %
                   (name, SENT_MAX >> 20, RSS_GROWTH_MAX >> 10)) as c:
            rss0 = rss_kb(pid)
            conn = Conn(addr)
            sent, why, peak = fill(conn, one, pid)
            c.note("sent %.1f MB (%s); front VmRSS %d kB before, at most "
                   "%d kB meanwhile" % (sent / 1048576, why, rss0, peak))
            if peak - rss0 >= RSS_GROWTH_MAX:
                c.bad("the front grew by %d kB" % (peak - rss0))
            c.expect(literal_query(addr, proto), literal_answer(proto),
                     "another connection: %s" % LITERAL)
            stuck.append((name, conn, time.time()))
    for name, conn, stopped in stuck:
        with Check("%s: the never-reading client is closed (answers "
                   "unread for %d s)" % (name, WRITE_BOUND)) as c:
            if wait_hung_up([conn.s], stopped + CLOSE_WAIT - time.time()):
                c.bad("still open %d s after it stopped sending" %
                      CLOSE_WAIT)
            conn.close()


def t_resume(addr, proto, n=100000):
    """n pipelined requests, not read until the daemon stops reading;
    then read while sending the rest: every answer comes, in order."""
    one = LITERAL.encode() + b"\n" if proto == "exim" else req(LITERAL)
    ans = literal_answer(proto).encode()
    if proto != "exim":
        ans = b"%d:%s," % (len(ans), ans)
    with Check("%s: %d pipelined requests, not read until the daemon stops "
               "reading, then read: all answered, in order" %
               (proto, n)) as c:
        conn = Conn(addr)
        data, sent, reading, stalled = one * n, 0, False, False
        end = time.time() + WAIT * 2
        while len(conn.buf) < len(ans) * n and time.time() < end:
            want_w = [conn.s] if sent < len(data) else []
            r, w, _ = select.select([conn.s] if reading else [], want_w,
                                    [], 1)
            if w:
                sent += conn.s.send(data[sent:sent + 65536])
            elif not reading:
                # a second without progress: the daemon stopped reading
                if sent < len(data):
                    c.note("the daemon stopped reading after %d of %d "
                           "bytes" % (sent, len(data)))
                    stalled = True
                reading = True
            if r:
                d = conn.s.recv(1 << 20)
                if not d:
                    break
                conn.buf += d
        c.note("%d bytes of answers" % len(conn.buf))
        if not stalled:
            c.bad("the daemon read all %d bytes while no answer was read" %
                  len(data))
        if conn.buf != ans * n:
            c.bad("expected %d answers %r" % (n, ans))
        conn.close()


def drip_open(addr, first):
    s = unix_connect(addr)
    try:
        s.sendall(first)
    except OSError:
        pass		# refused: the daemon closed it already
    return s


def t_flood(addr, others):
    """FLOOD connections to addr that each sent one byte of a request;
    others: (name, addr, proto) asked meanwhile."""
    with Check("socketmap: %d slow-drip connections (one byte each) on one "
               "socket: a new client there, and on the other sockets, is "
               "answered; again after the evicted ones reconnect" %
               FLOOD) as c:
        conns = [drip_open(addr, b"2") for _ in range(FLOOD)]
        for rnd in range(3):
            for name, a, proto in [("socketmap", addr, "socketmap")] + others:
                c.expect(literal_query(a, proto, READ_BOUND),
                         literal_answer(proto),
                         "round %d, a new client on %s: %s" %
                         (rnd, name, LITERAL))
            closed = [i for i, s in enumerate(conns) if hung_up(s)]
            c.note("round %d: %d of %d slow-drip connections closed by the "
                   "daemon" % (rnd, len(closed), FLOOD))
            for i in closed:
                conns[i].close()
                conns[i] = drip_open(addr, b"2")
        c.note("%d connections still open" % sum(
            1 for s in conns if not hung_up(s)))
    with Check("socketmap: the slow-drip connections are all closed "
               "(a request not complete %d s after its first byte)" %
               READ_BOUND) as c:
        n = wait_hung_up(conns, CLOSE_WAIT)
        if n:
            c.bad("%d of %d still open after %d s" % (n, FLOOD, CLOSE_WAIT))
        for s in conns:
            s.close()


class Dripper(threading.Thread):
    """Sends data one byte a second until the daemon closes or it is
    all sent; records what came back and whether it was closed."""

    def __init__(self, addr, data, pace=1.0):
        threading.Thread.__init__(self, daemon=True)
        self.conn, self.data, self.pace = Conn(addr), data, pace
        self.closed, self.got, self.sent = False, b"", 0

    def run(self):
        s = self.conn.s
        end = time.time() + CLOSE_WAIT
        while time.time() < end:
            if self.sent < len(self.data):
                try:
                    s.send(self.data[self.sent:self.sent + 1])
                    self.sent += 1
                except OSError:
                    self.closed = True
                    return
            # the pace, and a close seen as soon as it comes
            r, _, _ = select.select([s], [], [], self.pace)
            if r:
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    self.closed = True
                    return
                self.got += d
        self.conn.close()


def t_cutoff_start(addrs):
    """Half-sent requests dripped a byte a second: never complete."""
    ds = []
    for name, addr, proto in addrs:
        if proto == "exim":
            data = b"a-long-domain-that-never-ends.example.example.example"
        else:
            data = b"90:postfix a-long-domain-that-never-ends.example.example"
        d = Dripper(addr, data)
        d.start()
        ds.append((name, d))
    # and a request dripped within the bound: answered
    for name, addr, proto in addrs:
        one = (LITERAL.encode() + b"\n" if proto == "exim" else
               req(LITERAL))
        d = Dripper(addr, one, pace=min(0.25, (READ_BOUND / 2) / len(one)))
        d.start()
        ds.append((name + " (slow but within the bound)", d))
    return ds


def t_cutoff_check(ds):
    for name, d in ds:
        d.join(CLOSE_WAIT + WAIT)
        if "within the bound" in name:
            with Check("%s: a request sent a byte at a time: "
                       "answered" % name) as c:
                c.note("sent %d bytes" % d.sent)
                want = literal_answer("exim" if "exim" in name else "").encode()
                if not d.got.startswith(b"%d:%s," % (len(want), want)
                                        if "exim" not in name else want):
                    c.bad("got %r" % d.got[:60])
            continue
        with Check("%s: a request dripped a byte a second is cut off (not "
                   "complete %d s after its first byte), without an "
                   "answer" % (name, READ_BOUND)) as c:
            c.note("sent %d bytes" % d.sent)
            if not d.closed:
                c.bad("still open after %d s" % CLOSE_WAIT)
            if d.got:
                c.bad("got %r" % d.got[:60])


def hostile(pid, sm, sm2, exim):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = FLOOD + 100
    if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    cut = t_cutoff_start([("socketmap (second socket)", sm2, "socketmap"),
                          ("exim", exim, "exim")])
    t_resume(sm, "socketmap")
    t_resume(exim, "exim")
    t_nonreader(pid, [("socketmap", sm, "socketmap"),
                      ("exim", exim, "exim")])
    t_flood(sm, [("socketmap (second socket)", sm2, "socketmap"),
                 ("exim", exim, "exim")])
    t_cutoff_check(cut)
    with Check("the daemon still answers") as c:
        c.expect(literal_query(sm, "socketmap"), NOTFOUND, "socketmap")
        c.expect(literal_query(exim, "exim"), "NONE\n", "exim")


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def wait_nfds(pid, n, timeout=WAIT):
    """Polls until pid has at most n descriptors open."""
    end = time.time() + timeout
    while nfds(pid) > n and time.time() < end:
        select.select([], [], [], 0.05)
    return nfds(pid) <= n


def round_trip(conn, proto):
    if proto == "exim":
        conn.send(LITERAL.encode() + b"\n")
        end = time.time() + WAIT
        while b"\n" not in conn.buf and conn.fill(max(0, end - time.time())):
            if conn.eof:
                break
        line, _, conn.buf = conn.buf.partition(b"\n")
        return line.decode() + "\n"
    conn.send(req(LITERAL))
    return conn.netstring()


def stuff(conns, proto):
    """Pipelines requests on conns without reading until the daemon
    reads no more from any of them (bounded: WAIT seconds)."""
    one = LITERAL.encode() + b"\n" if proto == "exim" else req(LITERAL)
    chunk = one * (65536 // len(one))
    pos = {}
    for x in conns:
        x.s.setblocking(False)
        pos[x] = 0
    end = time.time() + WAIT
    while time.time() < end:
        for x in conns:
            while True:
                try:
                    n = x.s.send(chunk[pos[x]:])
                except BlockingIOError:
                    break
                pos[x] = (pos[x] + n) % len(chunk)
        # a daemon that still reads would take more within a second
        _, w, _ = select.select([], [x.s for x in conns], [], 1)
        if not w:
            return True
    return False


def t_share(pid, share, addr, proto, others):
    """A daemon whose open-file limit gives each socket share
    connections; addr is one of its sockets, others the rest."""
    base = nfds(pid)
    ans = literal_answer(proto)
    with Check("%s, %d connections a socket (the share of a low open-file "
               "limit): a new connection closes the one that has gone "
               "longest without a complete request" % (proto, share)) as c:
        conns = [Conn(addr) for _ in range(share)]
        for i, x in enumerate(conns):
            if round_trip(x, proto) != ans:
                c.bad("connection %d not answered" % i)
        # 1 asks again: 0 is now the one idle longest, then 2
        c.expect(round_trip(conns[1], proto), ans, "connection 1 again")
        for k, victim in enumerate((0, 2)):
            new = Conn(addr)
            c.expect(round_trip(new, proto), ans, "new connection %d" % k)
            conns.append(new)
            wait_hung_up([conns[victim].s], 2)
            closed = [i for i, x in enumerate(conns) if hung_up(x.s)]
            c.note("then closed by the daemon: %s" % closed)
            if closed != sorted([0, 2][:k + 1]):
                c.bad("expected %s" % sorted([0, 2][:k + 1]))
        for name, a, p in others:
            c.expect(literal_query(a, p), literal_answer(p),
                     "a new client of the %s socket" % name)
        for x in conns:
            x.close()
    if not wait_nfds(pid, base):
        report(False, "%s: the daemon closes what its clients closed" % proto,
               ["%d descriptors open, %d before" % (nfds(pid), base)])
        return
    with Check("%s, %d connections a socket: one owed nothing is closed "
               "first, else the one owed answers longest; the new one is "
               "answered" % (proto, share)) as c:
        stuck = [Conn(addr) for _ in range(share - 1)]
        if not stuff(stuck, proto):
            c.bad("the daemon kept reading from clients that never read")
        idle = Conn(addr)
        c.expect(round_trip(idle, proto), ans, "an idle connection")
        new = Conn(addr)
        c.expect(round_trip(new, proto), ans, "a new connection")
        wait_hung_up([idle.s], 2)
        if not hung_up(idle.s):
            c.bad("the idle connection is still open")
        n = sum(1 for x in stuck if hung_up(x.s))
        if n:
            c.bad("%d connections owed answers closed" % n)
        # all owed now but the new one: let it go, then fill its place
        new.close()
        idle.close()
        if not wait_nfds(pid, base + share - 1):
            c.bad("the daemon did not close the connections closed")
        more = Conn(addr)
        stuff([more], proto)
        stuck.append(more)
        new = Conn(addr)
        c.expect(round_trip(new, proto), ans,
                 "a new connection when every one is owed answers")
        end = time.time() + 2
        while (not any(hung_up(x.s) for x in stuck) and
               time.time() < end):
            hung_up(stuck[0].s, 0.1)
        n = sum(1 for x in stuck if hung_up(x.s))
        c.note("%d of %d connections owed answers closed" % (n, share))
        if n != 1:
            c.bad("expected 1")
        if hung_up(more.s):
            c.bad("the one owed answers for the shortest time was closed")
        for x in stuck + [new]:
            x.close()


def sockaddr(spec):
    if spec.startswith("unix:"):
        return spec[5:]
    host, port = spec.rsplit(":", 1)
    return (host, int(port))


def main():
    global prefix
    ap = argparse.ArgumentParser()
    ap.add_argument("--socketmap", required=True, help="HOST:PORT or unix:PATH")
    ap.add_argument("--socketmap2", help="another socketmap socket (--hostile)")
    ap.add_argument("--exim", required=True, help="unix socket path")
    ap.add_argument("--hostile", type=int, metavar="PID",
                    help="the hostile-client checks; PID: the front process")
    ap.add_argument("--share", type=int, metavar="N",
                    help="with --hostile: the daemon takes N connections a "
                    "socket; only the checks of the share")
    ap.add_argument("--prefix", default="proto")
    a = ap.parse_args()
    prefix = a.prefix
    addr = sockaddr(a.socketmap)
    start = time.time()
    if a.hostile and a.share:
        t_share(a.hostile, a.share, addr, "socketmap",
                [("exim", a.exim, "exim")])
        t_share(a.hostile, a.share, a.exim, "exim",
                [("socketmap", addr, "socketmap")])
    elif a.hostile:
        hostile(a.hostile, addr, sockaddr(a.socketmap2), a.exim)
    else:
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

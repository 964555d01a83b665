#!/usr/bin/env python3
"""Ask the three front-ends of filter-mtasts about one domain, round
after round, until each gives the answer for the wanted MX host or the
time is up.  Used by regress/ttl.sh, inside the test network.

usage: ttl.py SOCKETMAP EXIMSOCK TABLESOCK DOMAIN SECONDS WHAT MX [OLD]

SOCKETMAP is HOST:PORT of "daemon -l socketmap=", EXIMSOCK the path of
"daemon -l exim=unix:", TABLESOCK the -S socket of "filter".  Prints
one "ok - ttl: WHAT: FRONT ..." or "not ok - ..." line per front-end,
with "# " lines: each answer it gave when it changed, and when (seconds
since the start).  A front-end that gave the answer for MX fails if it
later gives that for OLD again.  Exit status 1 if a check failed.
Every wait is bounded by SECONDS; the pause between rounds only paces
the polling.
"""

import socket
import sys
import time

ROUND = 0.5	# seconds between rounds


def netstring(b):
    return b"%d:%s," % (len(b), b)


def read_netstring(s):
    buf = b""
    while b":" not in buf:
        c = s.recv(1)
        if not c:
            raise EOFError("socketmap: connection closed")
        buf += c
        if len(buf) > 10:
            raise ValueError("socketmap: bad length")
    n = int(buf[:-1])
    data = b""
    while len(data) < n + 1:
        c = s.recv(n + 1 - len(data))
        if not c:
            raise EOFError("socketmap: connection closed")
        data += c
    if data[-1:] != b",":
        raise ValueError("socketmap: no ',' after the data")
    return data[:-1].decode()


def read_all(s, limit=4096):
    data = b""
    while len(data) < limit:
        c = s.recv(limit - len(data))
        if not c:
            break
        data += c
    return data.decode()


def ask_socketmap(addr, domain, timeout):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout) as s:
        s.sendall(netstring(b"postfix " + domain.encode()))
        return read_netstring(s)


def ask_exim(path, domain, timeout):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(domain.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        return read_all(s).rstrip("\n")


def ask_table(path, domain, timeout):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b"relayhost " + domain.encode() + b"\n")
        line = b""
        while not line.endswith(b"\n") and len(line) < 1024:
            c = s.recv(1)
            if not c:
                break
            line += c
        return line.decode().rstrip("\n")


def answers(mx):
    return {
        "socketmap": "OK secure match=%s servername=hostname" % mx,
        "exim": "MTA-STS %s" % mx,
        "table": "found smtp+tls://%s:25" % mx,
    }


def main():
    if len(sys.argv) not in (8, 9):
        sys.exit(__doc__.split("\n\n")[1])
    smap, exim, table, domain, secs, what, mx = sys.argv[1:8]
    old = sys.argv[8] if len(sys.argv) == 9 else None
    fronts = [("socketmap", lambda t: ask_socketmap(smap, domain, t)),
              ("exim", lambda t: ask_exim(exim, domain, t)),
              ("table", lambda t: ask_table(table, domain, t))]
    want = answers(mx)
    was = answers(old) if old else {}
    start = time.monotonic()
    end = start + float(secs)
    got = {}		# front -> seconds to the wanted answer
    back = {}		# front -> an old answer after the wanted one
    seen = {f: [] for f, _ in fronts}
    while len(got) < len(fronts) and time.monotonic() < end:
        for name, ask in fronts:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                a = ask(left)
            except (OSError, EOFError, ValueError) as e:
                a = "(%s: %s)" % (type(e).__name__, e)
            t = time.monotonic() - start
            if not seen[name] or seen[name][-1][1] != a:
                seen[name].append((t, a))
            if a == want[name] and name not in got:
                got[name] = t
            elif name in got and a == was.get(name):
                back[name] = t
        left = end - time.monotonic()
        if len(got) < len(fronts) and left > 0:
            time.sleep(min(ROUND, left))
    failed = 0
    for name, _ in fronts:
        if name in got and name not in back:
            print("ok - ttl: %s: %s gives %s after %.1f s"
                  % (what, name, mx, got[name]))
        else:
            failed += 1
            if name in back:
                why = "went back to %s at %.1f s" % (old, back[name])
            else:
                why = "not within %s s" % secs
            print("not ok - ttl: %s: %s gives %s (%s)"
                  % (what, name, mx, why))
        for t, a in seen[name]:
            print("# %6.1f s  %s" % (t, a))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

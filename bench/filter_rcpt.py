#!/usr/bin/env python3
"""Per-RCPT latency of the OpenSMTPD filter on a cache hit, and of the
table socket: N rcpt-to requests for a domain already resolved, one
at a time, as smtpd sends them.  Run inside the test network:

  sh regress/net/net.sh exec DIR python3 bench/filter_rcpt.py FM DIR [N]

Prints median, p99 and max in microseconds.  Not a test."""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "regress"))
FM, NET = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
WORK = tempfile.mkdtemp()
os.chmod(WORK, 0o755)
sys.argv = ["fakesmtpd.py", FM, NET, WORK]
import fakesmtpd as fs  # noqa: E402  (reads its paths from argv)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    os.makedirs(os.path.dirname(fs.SOCK), exist_ok=True)
    fs.STATE = os.path.join(WORK, "state")
    f = fs.Filter("0.6")
    f.rcpt(1, "warm@enforce.example")
    f.results(1, 30)
    lat = []
    for i in range(N):
        t = time.monotonic()
        sid = f.rcpt(2 + i, "b%d@enforce.example" % i)
        res, _ = f.results(1, 30)
        lat.append(time.monotonic() - t)
        if res.get(sid) != "proceed":
            sys.exit("unexpected answer: %r" % res)
    us = [x * 1e6 for x in lat]
    print("filter rcpt-to, cache hit (%d): median %.0f us, p99 %.0f us, "
          "max %.0f us" % (N, pct(us, .5), pct(us, .99), max(us)))
    fs.slowest = 0
    lat = []
    for i in range(N):
        t = time.monotonic()
        fs.ask(["relayhost enforce.example"])
        lat.append(time.monotonic() - t)
    us = [x * 1e6 for x in lat]
    print("table socket relayhost, new connection each (%d): median %.0f "
          "us, p99 %.0f us, max %.0f us" % (N, pct(us, .5), pct(us, .99),
                                            max(us)))
    f.close()


main()

#!/usr/bin/env python3
"""The network process killed under load, in daemon and filter mode:
every request is answered, none is left hanging, and new domains are
resolved again within a bound.  Run by regress/supervise.sh inside the
test network.

usage: supervise.py FILTER_MTASTS NETDIR WORKDIR
"""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

FM, NET, WORK = sys.argv[1:4]
RESOLVER = "127.0.53.2"
SOCKETMAP = ("127.0.0.1", 8465)
BOUND = 10.0		# s: new domains resolved again after the kill
REQ_MAX = 30.0		# s: no answer by then is a request left hanging
failed = 0


def check(ok, what, *detail):
    global failed
    print("%s - supervise: %s" % ("ok" if ok else "not ok", what))
    for d in (detail if not ok else ()):
        for line in str(d).splitlines():
            print("# " + line)
    if not ok:
        failed += 1
    sys.stdout.flush()


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as fp:
            return [int(p) for p in fp.read().split()]
    except OSError:
        return []


def netproc(front):
    """The network process: the child of the spawner, the front's child."""
    for sp in children(front):
        for n in children(sp):
            return n
    return None


def until(cond, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def base_args(state):
    return ["-r", RESOLVER, "-a", NET + "/root.key", "-c", NET + "/ca.pem",
            "-s", state]


# --- daemon ---

def netstring(b):
    return b"%d:%s," % (len(b), b)


def sm_ask(domain, timeout=REQ_MAX):
    """One socketmap request on its own connection: (answer, seconds)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(SOCKETMAP, timeout) as s:
            s.settimeout(timeout)
            s.sendall(netstring(b"postfix " + domain.encode()))
            buf = b""
            while True:
                m = re.match(rb"(\d+):", buf)
                if m and len(buf) >= m.end() + int(m.group(1)) + 1:
                    n = int(m.group(1))
                    return (buf[m.end():m.end() + n].decode(),
                            time.monotonic() - t0)
                c = s.recv(4096)
                if not c:
                    return ("(closed)", time.monotonic() - t0)
                buf += c
    except OSError as e:
        return ("(%s)" % e, time.monotonic() - t0)


def load(stop, results, prefix):
    """Ask, one after the other, about new domains, and a known one."""
    i = 0
    while not stop.is_set():
        d = "%s%d.example" % (prefix, i) if i % 2 else "enforce.example"
        t = time.monotonic()
        a, took = sm_ask(d)
        results.append((t, d, a, took))
        i += 1


def answered(a):
    return a.startswith(("OK ", "NOTFOUND", "TEMP "))


def daemon_test():
    err = open(os.path.join(WORK, "daemon.err"), "wb")
    p = subprocess.Popen([FM, "daemon", *base_args(WORK + "/state-d"),
                          "-l", "socketmap=%s:%d" % SOCKETMAP],
                         stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    log = lambda: open(os.path.join(WORK, "daemon.err"),
                       errors="replace").read()
    try:
        if not until(lambda: "ready" in log(), 30):
            check(False, "daemon: starts", log())
            return
        a, _ = sm_ask("enforce.example")
        check(a.startswith("OK secure"), "daemon: answers before the kill",
              a)
        stop, results = threading.Event(), []
        threads = [threading.Thread(target=load, args=(stop, results,
                   "d%d-" % k)) for k in range(8)]
        for t in threads:
            t.start()
        until(lambda: len(results) > 200, 20)
        victim = netproc(p.pid)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        # a domain never seen, asked until it gets a verdict again
        back = None
        n = 0
        while time.monotonic() - killed < BOUND + 5:
            a, _ = sm_ask("fresh%d.example" % n)
            n += 1
            if a.startswith("NOTFOUND"):
                back = time.monotonic() - killed
                break
            time.sleep(0.05)
        # the load goes on a while with the new process
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join(REQ_MAX + 5)
        after = [r for r in results if r[0] >= killed]
        bad = [r for r in results if not answered(r[2])]
        slow = [r for r in results if r[3] > REQ_MAX - 1]
        temps = [r for r in after if r[2].startswith("TEMP ")]
        check(not bad and not slow and len(after) > 0,
              "daemon: %d requests under load, %d after the kill: every "
              "one answered, none hanging" % (len(results), len(after)),
              *["%s -> %s after %.1f s" % r[1:] for r in (bad + slow)[:10]])
        check(all("network process" in r[2] or "no verdict in time" in r[2]
                  for r in temps),
              "daemon: the temporary failures meanwhile say why (%d)"
              % len(temps), *[r[2] for r in temps[:5]])
        check(back is not None and back < BOUND,
              "daemon: a new domain is resolved again %s after the kill"
              % ("%.2f s" % back if back is not None else "never"),
              log()[-2000:])
        check(re.search(r"network process %d killed by signal 9" % victim,
                        log()) is not None and
              re.search(r"network process \d+ started", log()) is not None,
              "daemon: the death and the new process are logged", log())
        print("# daemon: kill -9 to the first new domain answered: %.2f s"
              % (back or -1))
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


# --- filter ---

class Filter:
    """filter-mtasts filter, smtpd's side played over a socketpair."""

    def __init__(self):
        self.sock, theirs = socket.socketpair()
        self.errpath = os.path.join(WORK, "filter.err")
        err = open(self.errpath, "ab")
        self.proc = subprocess.Popen(
            [FM, "filter", *base_args(WORK + "/state-f"),
             "-S", WORK + "/run/table.sock"],
            stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=err)
        theirs.close()
        self.buf = b""
        self.send("config|smtpd-version|7.6.0", "config|protocol|0.7",
                  "config|smtp-session-timeout|300",
                  "config|subsystem|smtp-in", "config|ready")

    def send(self, *lines):
        self.sock.sendall("".join(l + "\n" for l in lines).encode())

    def lines(self, timeout):
        out = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = select.select([self.sock], [], [], 0.05)[0]
            if r:
                d = self.sock.recv(65536)
                if not d:
                    break
                self.buf += d
                while b"\n" in self.buf:
                    l, self.buf = self.buf.split(b"\n", 1)
                    out.append(l.decode())
            elif out:
                break
        return out

    def log(self):
        return open(self.errpath, errors="replace").read()


def filter_test():
    os.makedirs(WORK + "/run", exist_ok=True)
    f = Filter()
    try:
        until(lambda: "register|ready" in " ".join(f.lines(0.2)), 20)
        sent = {}
        n = 0

        def rcpt(dom):
            nonlocal n
            n += 1
            sid = "%016x" % n
            sent[sid] = (time.monotonic(), dom)
            f.send("filter|0.7|1.0|smtp-in|rcpt-to|%s|%016x|a@%s"
                   % (sid, n, dom))

        got = {}

        def collect(timeout):
            for l in f.lines(timeout):
                p = l.split("|")
                if p[0] == "filter-result" and p[1] in sent:
                    got[p[1]] = (time.monotonic(), "|".join(p[3:]))

        for i in range(50):
            rcpt("r%d.example" % i)
        collect(5)
        victim = netproc(f.proc.pid)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        back = None
        i = 0
        while time.monotonic() - killed < BOUND + 5 and back is None:
            rcpt("k%d.example" % i)
            i += 1
            collect(0.2)
            for sid, (t, r) in got.items():
                if sent[sid][0] >= killed and r == "proceed" and \
                   back is None:
                    back = t - killed
        end = time.monotonic() + REQ_MAX
        while len(got) < len(sent) and time.monotonic() < end:
            collect(0.5)
        missing = [sent[s][1] for s in sent if s not in got]
        check(not missing and f.proc.poll() is None,
              "filter: %d RCPTs, before, during and after the kill: each "
              "got its answer" % len(sent), *missing[:10])
        check(back is not None and back < BOUND,
              "filter: a new domain is resolved again %s after the kill"
              % ("%.2f s" % back if back is not None else "never"),
              f.log()[-2000:])
        print("# filter: kill -9 to the first new RCPT proceeding: %.2f s"
              % (back or -1))
    finally:
        f.sock.close()
        try:
            f.proc.wait(10)
        except subprocess.TimeoutExpired:
            f.proc.kill()


daemon_test()
filter_test()
sys.exit(1 if failed else 0)

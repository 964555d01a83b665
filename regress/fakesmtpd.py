#!/usr/bin/env python3
"""Play smtpd's side of the filter and proc-table protocols against
filter-mtasts, inside the test network (run through net.sh exec).

usage: fakesmtpd.py FILTER_MTASTS NETDIR WORKDIR

Prints one "ok - filter: ..." / "not ok - ..." line per check, with
"# " detail lines.  Order of answers is asserted, never durations;
the slowest table answer is logged as a "# " line.
"""

import os
import pwd
import select
import socket
import struct
import subprocess
import sys
import time

FM, NET, WORK = sys.argv[1:4]
STATE = os.path.join(WORK, "state")	# per protocol version, see main()
SOCK = os.path.join(WORK, "run", "table.sock")
failed = 0
slowest = 0.0


def check(ok, what, *detail):
    global failed
    print(("ok - " if ok else "not ok - ") + "filter: " + what)
    if not ok:
        failed += 1
        for d in detail:
            for line in str(d).splitlines():
                print("# " + line)


class Filter:
    """One filter-mtasts filter process, talking over a socketpair."""

    def __init__(self, version, extra=()):
        self.sock, theirs = socket.socketpair()
        self.err = open(os.path.join(WORK, "filter.err"), "ab")
        self.proc = subprocess.Popen(
            [FM, "filter", "-r", "127.0.53.2", "-a", NET + "/root.key",
             "-c", NET + "/ca.pem", "-s", STATE, "-S", SOCK,
             "-x", "Local.Example.", *extra],
            stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=self.err)
        theirs.close()
        self.buf = b""
        self.version = version
        conf = ["config|smtpd-version|%s" % ("7.6.0" if version == "0.7"
                                             else "6.8.0p2")]
        if version == "0.7":
            conf.append("config|protocol|0.7")
        conf += ["config|smtp-session-timeout|300",
                 "config|subsystem|smtp-in", "config|subsystem|smtp-out",
                 "config|ready"]
        self.send(*conf)
        self.registered = []
        while True:
            line = self.readline(10)
            if line is None:
                break
            self.registered.append(line)
            if line == "register|ready":
                break

    def send(self, *lines):
        self.sock.sendall("".join(l + "\n" for l in lines).encode())

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def rcpt(self, n, addr):
        sid = "%016x" % n
        self.send("report|%s|1.0|smtp-in|link-connect|%s|rdns|pass|"
                  "127.0.0.1:%d|127.0.26.1:25" % (self.version, sid, 1000 + n),
                  "filter|%s|1.0|smtp-in|rcpt-to|%s|%016x|%s"
                  % (self.version, sid, 0x1000 + n, addr))
        return sid

    def results(self, count, timeout):
        out = {}
        order = []
        end = time.monotonic() + timeout
        while len(out) < count:
            line = self.readline(max(0.1, end - time.monotonic()))
            if line is None:
                break
            f = line.split("|")
            if f[0] == "filter-result":
                out[f[1]] = "|".join(f[3:])
                order.append(f[1])
        return out, order

    def close(self):
        self.sock.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        return self.proc.returncode


def ask(lines):
    """The table server: one request, one line back; time each."""
    global slowest
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    f = s.makefile("rw")
    out = []
    for l in lines:
        t = time.monotonic()
        f.write(l + "\n")
        f.flush()
        out.append(f.readline().strip())
        slowest = max(slowest, time.monotonic() - t)
    s.close()
    return out


def table_text(requests):
    """smtpd 7.6: the text protocol of smtpd-tables(7) on stdin/stdout."""
    # The table peeks at its first byte: give it a socket like smtpd.
    a, b = socket.socketpair()
    p = subprocess.Popen([FM, "table", "mtasts", SOCK],
                         stdin=b.fileno(), stdout=b.fileno())
    b.close()
    f = a.makefile("rw")
    f.write("config|smtpd-version|7.6.0\nconfig|protocol|0.1\n"
            "config|tablename|mtasts\nconfig|ready\n")
    f.flush()
    reg = []
    while True:
        l = f.readline().strip()
        reg.append(l)
        if l in ("register|ready", ""):
            break
    out = []
    for i, (op, service, key) in enumerate(requests):
        f.write("table|0.1|1.0|mtasts|%s|%s|id%d|%s\n" % (op, service, i,
                                                          key))
        f.flush()
        out.append(f.readline().strip())
    f.close()
    a.close()
    p.wait(5)
    return reg, out


def table_imsg(requests):
    """smtpd 6.8: imsg frames on fd 0 (table_proc.c, API version 2).
    Only the path, as the table-mtasts shell wrapper passes it."""
    a, b = socket.socketpair()
    p = subprocess.Popen([FM, "table", SOCK], stdin=b.fileno())
    b.close()

    def frame(typ, payload):
        a.sendall(struct.pack("=IHHII", typ, 16 + len(payload), 0, 0,
                              os.getpid()) + payload)

    def reply():
        hdr = b""
        while len(hdr) < 16:
            hdr += a.recv(16 - len(hdr))
        typ, length, _, _, _ = struct.unpack("=IHHII", hdr)
        body = b""
        while len(body) < length - 16:
            body += a.recv(length - 16 - len(body))
        return typ, body

    frame(2, struct.pack("=I", 2) + b"mtasts".ljust(2048, b"\0"))
    out = [reply()]
    for typ, service, key in requests:
        frame(typ, struct.pack("=iQ", service, 0) + key.encode() + b"\0")
        out.append(reply())
    frame(3, b"")
    a.close()
    p.wait(5)
    return out


def smtp_out(f):
    """Two relay sessions reported by smtpd: one with TLS, one without."""
    v = f.version
    f.send("report|%s|2.0|smtp-out|link-connect|00000000000000a1|mx1|pass|"
           "127.0.26.1:40000|127.0.25.1:25" % v,
           "report|%s|2.0|smtp-out|link-tls|00000000000000a1|"
           "TLSv1.3:TLS_AES_256_GCM_SHA384:256" % v,
           "report|%s|2.0|smtp-out|link-disconnect|00000000000000a1" % v,
           "report|%s|2.0|smtp-out|link-connect|00000000000000a2|mx2|pass|"
           "127.0.26.1:40001|127.0.25.2:25" % v,
           "report|%s|2.0|smtp-out|link-disconnect|00000000000000a2" % v)
    want = ["smtp-out 00000000000000a1 to 127.0.25.1:25: TLS TLSv1.3:"
            "TLS_AES_256_GCM_SHA384:256",
            "smtp-out 00000000000000a2 to 127.0.25.2:25: closed without TLS"]
    end = time.monotonic() + 5
    while time.monotonic() < end:
        log = open(os.path.join(WORK, "filter.err")).read()
        if all(w in log for w in want):
            return True
        time.sleep(0.02)
    return False


def processes():
    """(user, pid, root dir) of each filter-mtasts filter process."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as fp:
                args = fp.read().split(b"\0")
            if len(args) < 2 or not args[0].endswith(b"filter-mtasts") \
                    or args[1] != b"filter" or SOCK.encode() not in args:
                continue
            uid = os.stat("/proc/" + pid).st_uid
            found.append((pwd.getpwuid(uid).pw_name, int(pid),
                          os.readlink("/proc/%s/root" % pid)))
        except OSError:
            continue
    return found


def main():
    global STATE
    os.makedirs(os.path.dirname(SOCK), exist_ok=True)
    for version in ("0.6", "0.7"):
        # A fresh cache each time: the first run's failed fetch of
        # slow.example would otherwise be rate-limited, not slow.
        STATE = os.path.join(WORK, "state-" + version)
        f = Filter(version)
        check("register|filter|smtp-in|rcpt-to" in f.registered and
              f.registered[-1:] == ["register|ready"],
              "protocol %s: registers rcpt-to, then ready" % version,
              f.registered)
        sids = {
            "enforce": f.rcpt(1, "a@enforce.example"),
            "nomatch": f.rcpt(2, "b@NoMatch.Example"),
            "bare": f.rcpt(3, "postmaster"),
            "literal": f.rcpt(4, "c@[192.0.2.1]"),
            "local": f.rcpt(5, "d@local.example"),
            "testing": f.rcpt(6, "e@testing.example"),
            "dane": f.rcpt(7, "f@dane.example"),
            "slow": f.rcpt(8, "g@slow.example"),
        }
        res, order = f.results(len(sids), 40)
        if version == "0.6":
            # Verdicts came back, so the network process is set up.
            procs = processes()
            users = sorted(p[0] for p in procs)
            check(len(procs) == 3 and
                  users == ["_mtasts", "_mtasts", "root"],
                  "front and network process run as _mtasts, the spawner "
                  "as root", procs)
            roots = [p[2] for p in procs]
            check(os.path.realpath(STATE) in roots,
                  "network process is chrooted to the state directory",
                  procs)
        want = {"enforce": "proceed", "bare": "proceed",
                "literal": "proceed", "local": "proceed",
                "testing": "proceed", "dane": "proceed", "slow": "proceed"}
        log = open(os.path.join(WORK, "filter.err")).read()
        check("rcpt local.example" not in log,
              "protocol %s: a -x domain (given as Local.Example.) is not "
              "looked up" % version, log)
        for name, exp in want.items():
            got = res.get(sids[name])
            check(got == exp, "protocol %s: %s rcpt: %s" % (version, name,
                                                             exp), got)
        got = res.get(sids["nomatch"], "")
        check(got.startswith("reject|451 4.7.5 nomatch.example: "),
              "protocol %s: enforce policy matching no MX: 451 4.7.5"
              % version, got)
        check(sids["slow"] in order and
              order.index(sids["enforce"]) < order.index(sids["slow"]),
              "protocol %s: a slow policy host does not hold back other "
              "sessions" % version, order)
        if version == "0.6":
            t = ask(["check enforce.example", "check ENFORCE.example.",
                     "relayhost enforce.example", "check dane.example",
                     "relayhost dane.example", "check testing.example",
                     "relayhost testing.example", "relayhost nomatch.example",
                     "check [192.0.2.1]", "relayhost [IPv6:2001:db8::1]",
                     "check nomatch.example",
                     "check never-seen.example", "bogus request"])
            exp = ["found", "found", "found smtp+tls://mx1.enforce.example:25",
                   "found", "found smtp+tls://mx.dane.example:25",
                   "not-found", "not-found", "not-found", "not-found",
                   "not-found"]
            check(t[:10] == exp, "table socket answers from memory; "
                  "address literals have no policy", t)
            check(t[10].startswith("error MTA-STS policy id 1"),
                  "table socket: a defer verdict is an error, so a "
                  "listener without the filter fails closed", t[10])
            check(t[11].startswith("error "),
                  "table socket: a domain never seen is an error "
                  "(smtpd tempfails)", t[11])
            check(t[12].startswith("error "), "table socket: malformed "
                  "request is an error", t[12])
            reg, out = table_text([("check", "domain", "enforce.example"),
                                   ("check", "domain", "testing.example"),
                                   ("lookup", "relayhost", "enforce.example"),
                                   ("lookup", "relayhost", "testing.example"),
                                   ("check", "domain", "never.example"),
                                   ("check", "alias", "x"),
                                   ("check", "domain", "nomatch.example")])
            check(reg == ["register|domain", "register|relayhost",
                          "register|ready"],
                  "table 7.6 text protocol: registers domain and relayhost",
                  reg)
            check(out[:6] == ["check-result|id0|found",
                          "check-result|id1|not-found",
                          "lookup-result|id2|found|smtp+tls://"
                          "mx1.enforce.example:25",
                          "lookup-result|id3|not-found",
                          "check-result|id4|error|no verdict yet for this "
                          "domain",
                          "check-result|id5|error|service not offered"],
                  "table 7.6 text protocol: answers", out[:6])
            check(out[6].startswith("check-result|id6|error|MTA-STS policy "
                                    "id 1"),
                  "table 7.6 text protocol: a defer verdict is an error "
                  "(smtpd tempfails the RCPT)", out[6:])
            im = table_imsg([(5, 0x002, "enforce.example"),
                             (5, 0x002, "testing.example"),
                             (6, 0x200, "enforce.example"),
                             (6, 0x200, "testing.example"),
                             (5, 0x002, "unseen.example"),
                             (5, 0x002, "nomatch.example")])
            r = [(t, struct.unpack("=i", b[:4])[0] if len(b) >= 4 else None,
                  b[4:]) for t, b in im]
            check(r[0] == (0, None, b""), "table 6.8 imsg: OPEN gets OK",
                  r[0])
            check(r[1][:2] == (0, 1) and r[2][:2] == (0, 0),
                  "table 6.8 imsg: CHECK K_DOMAIN found / not found", r)
            check(r[3] == (0, 1, b"smtp+tls://mx1.enforce.example:25\0") and
                  r[4][:2] == (0, 0),
                  "table 6.8 imsg: LOOKUP K_RELAYHOST", r)
            check(r[5][:2] == (0, -1),
                  "table 6.8 imsg: a domain never seen is an error", r[5])
            check(r[6][:2] == (0, -1),
                  "table 6.8 imsg: a defer verdict is an error (smtpd "
                  "tempfails the RCPT)", r[6])
            print("# table: slowest answer %.3f ms" % (slowest * 1000))
            check(smtp_out(f), "smtp-out reports: TLS outcome logged per "
                  "destination", open(os.path.join(WORK, "filter.err")).read())
        rc = f.close()
        check(rc is not None, "protocol %s: exits when smtpd closes the "
              "filter's stdin" % version, rc)
        # It sees the link close a moment after the front is gone.
        end = time.monotonic() + 10
        while processes() and time.monotonic() < end:
            time.sleep(0.02)
        check(not processes(), "protocol %s: network process exits with "
              "the front" % version, processes())
    cached = os.path.join(STATE, "enforce.example")
    check(os.path.exists(cached) and
          pwd.getpwuid(os.stat(cached).st_uid).pw_name == "_mtasts",
          "policy cached on disk by the unprivileged network process")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

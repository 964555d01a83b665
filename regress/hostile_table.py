#!/usr/bin/env python3
"""The table socket of "filter-mtasts filter" against hostile local
users, inside the test network (run through net.sh exec by
regress/hostile_table.sh).

usage: hostile_table.py FILTER_MTASTS NETDIR WORKDIR LOOKUP_USER

FILTER_MTASTS must be executable by LOOKUP_USER (the lookup user of
smtpd, whose group may use the socket) and by nobody.  Prints one
"ok - hostile_table: ..." / "not ok - ..." line per check, with "# "
detail lines.  Every wait is bounded; the only fixed windows are those
over which CPU time is measured.
"""

import errno
import grp
import os
import pwd
import select
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

FM, NET, WORK, LOOKUP_USER = sys.argv[1:5]
SOCK = os.path.join(WORK, "run", "table.sock")
STATE = os.path.join(WORK, "state")
LOOKUP_GID = pwd.getpwnam(LOOKUP_USER).pw_gid
ASK_BOUND = 1.5		# s: the table's own bound is 1 s
CONN_MAX = 64		# tablesrv.c
IDLE = 10		# s, tablesrv.c
CLK_TCK = os.sysconf("SC_CLK_TCK")
failed = 0


def check(ok, what, *detail, why=()):
    """One result; detail lines always, why lines on failure only."""
    global failed
    print(("ok - " if ok else "not ok - ") + "hostile_table: " + what)
    if not ok:
        failed += 1
        detail += tuple(why)
    for d in detail:
        for line in str(d).splitlines():
            print("# " + line)
    sys.stdout.flush()


def until(cond, timeout, step=0.02):
    """Poll cond() until true or timeout seconds passed; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def as_user(user):
    """setpriv prefix: user's uid and primary group, no other groups."""
    pw = pwd.getpwnam(user)
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
            "--clear-groups"]


class Filter:
    """filter-mtasts filter, smtpd's side played over a socketpair."""

    def __init__(self, args=(), prefix=(), sock=SOCK, state=STATE):
        self.sock, theirs = socket.socketpair()
        self.errpath = os.path.join(WORK, "filter.err")
        err = open(self.errpath, "ab")
        self.proc = subprocess.Popen(
            [*prefix, FM, "filter", "-r", "127.0.53.2",
             "-a", NET + "/root.key", "-c", NET + "/ca.pem", "-s", state,
             "-S", sock, "-x", "local.example", *args],
            stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=err)
        theirs.close()
        err.close()
        self.buf = b""
        self.send("config|smtpd-version|7.6.0", "config|protocol|0.7",
                  "config|smtp-session-timeout|300",
                  "config|subsystem|smtp-in", "config|ready")
        self.ready = False
        while True:
            line = self.readline(10)
            if line is None:
                break
            if line == "register|ready":
                self.ready = True
                break

    def send(self, *lines):
        self.sock.sendall("".join(l + "\n" for l in lines).encode())

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                data = self.sock.recv(4096)
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def rcpts(self, addrs, timeout):
        """RCPT TO each; the filter-result of each, by address."""
        sids = {}
        for n, addr in enumerate(addrs, 1):
            sid = "%016x" % n
            sids[sid] = addr
            self.send("report|0.7|1.0|smtp-in|link-connect|%s|rdns|pass|"
                      "127.0.0.1:%d|127.0.26.1:25" % (sid, 1000 + n),
                      "filter|0.7|1.0|smtp-in|rcpt-to|%s|%016x|%s"
                      % (sid, 0x1000 + n, addr))
        out = {}
        end = time.monotonic() + timeout
        while len(out) < len(sids):
            line = self.readline(max(0.1, end - time.monotonic()))
            if line is None:
                break
            f = line.split("|")
            if f[0] == "filter-result" and f[1] in sids:
                out[sids[f[1]]] = "|".join(f[3:])
        return out

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        with open(self.errpath, errors="replace") as fp:
            return fp.read()

    def close(self):
        self.sock.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the front process, seen from /proc ---

def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as fp:
        f = fp.read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])		# utime, stime


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def ids(pid):
    """The real uid and gid of pid."""
    out = {}
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid"):
                out[k] = int(v.split()[0])
    return out["Uid"], out["Gid"]


def nofile(pid, soft=None):
    """The descriptor limits of pid; with soft, set its soft limit
    first.  As pid's own user: root may lack CAP_SYS_RESOURCE."""
    uid, gid = ids(pid)
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
           "--clear-groups", "prlimit", "--pid", str(pid), "--noheadings",
           "--raw", "--output=SOFT,HARD"]
    if soft is not None:
        subprocess.run(cmd[:-3] + ["--nofile=%d:" % soft], check=True,
                       timeout=10)
    out = subprocess.run(cmd + ["--nofile"], check=True, timeout=10,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


# --- clients of the socket ---

def connect(path=SOCK, timeout=5):
    """A connection; a full backlog is tried again for timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() >= end:
                raise
        time.sleep(0.01)


def ask(line, path=SOCK, timeout=ASK_BOUND):
    """One request on a new connection: the answer, or why none."""
    try:
        s = connect(path)
    except OSError as e:
        return "connect: %s" % e
    s.settimeout(timeout)
    try:
        s.sendall((line + "\n").encode())
        buf = b""
        while b"\n" not in buf:
            data = s.recv(4096)
            if not data:
                return "closed: %r" % buf
            buf += data
        return buf.split(b"\n", 1)[0].decode()
    except OSError as e:
        return "error: %s" % e
    finally:
        s.close()


def closed(s):
    """The filter closed s (EOF or reset), without waiting."""
    if not select.select([s], [], [], 0)[0]:
        return False
    try:
        return s.recv(4096, socket.MSG_PEEK) == b""
    except OSError:
        return True


def table(requests, user=None, path=SOCK, timeout=5):
    """filter-mtasts table, 7.6 text protocol, as user: the answers and
    the time each took; None for a question not answered in timeout."""
    a, b = socket.socketpair()
    err = open(os.path.join(WORK, "table.err"), "ab")
    p = subprocess.Popen([*(as_user(user) if user else []), FM, "table",
                          "mtasts", path], stdin=b.fileno(),
                         stdout=b.fileno(), stderr=err)
    b.close()
    err.close()
    a.sendall(b"config|smtpd-version|7.6.0\nconfig|protocol|0.1\n"
              b"config|tablename|mtasts\nconfig|ready\n")
    buf = b""
    out = []

    def line(t):
        nonlocal buf
        end = time.monotonic() + t
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([a], [], [], left)[0]:
                return None
            data = a.recv(4096)
            if not data:
                return None
            buf += data
        l, buf = buf.split(b"\n", 1)
        return l.decode(errors="replace")

    while line(timeout) not in ("register|ready", None):
        pass
    for i, (op, service, key) in enumerate(requests):
        t0 = time.monotonic()
        a.sendall(("table|0.1|1.0|mtasts|%s|%s|id%d|%s\n"
                   % (op, service, i, key)).encode())
        out.append((line(timeout), time.monotonic() - t0))
    a.close()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return out


def check_lookup(what, user=None, want="check-result|id0|found",
                 key="enforce.example"):
    [(got, took)] = table([("check", "domain", key)], user)
    check(got == want and took < ASK_BOUND,
          "%s: filter-mtasts table answers within %.1f s" % (what, ASK_BOUND),
          "answer %r after %.3f s" % (got, took))


# --- the checks ---

def check_access(f):
    st = os.stat(SOCK)
    check(stat.S_IMODE(st.st_mode) == 0o660 and st.st_uid == 0 and
          st.st_gid == LOOKUP_GID,
          "socket is mode 0660, owner root, group %s (that of %s)"
          % (grp.getgrgid(LOOKUP_GID).gr_name, LOOKUP_USER),
          "mode %o uid %d gid %d" % (stat.S_IMODE(st.st_mode), st.st_uid,
                                     st.st_gid))
    check_lookup("user %s, groups cleared" % LOOKUP_USER, LOOKUP_USER)
    probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
             "try:\n    s.connect(sys.argv[1])\n    print('connected')\n"
             "except OSError as e:\n    print(e.errno)\n")
    r = subprocess.run([*as_user("nobody"), sys.executable, "-c", probe,
                        SOCK], capture_output=True, text=True, timeout=10)
    check(r.stdout.strip() == str(errno.EACCES),
          "user nobody (not in the group) cannot connect: EACCES",
          r.stdout, r.stderr)
    [(got, took)] = table([("check", "domain", "enforce.example")], "nobody")
    check(got is not None and got.startswith("check-result|id0|error|") and
          took < ASK_BOUND,
          "filter-mtasts table run by nobody answers an error, at once",
          "answer %r after %.3f s" % (got, took))


def check_unsafe_dir():
    """A socket directory others may write: the filter refuses to start."""
    d = os.path.join(WORK, "open")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o1777)
    f = Filter(sock=os.path.join(d, "table.sock"),
               state=os.path.join(WORK, "state-open"))
    gone = until(lambda: not f.alive(), 10)
    rc = f.proc.returncode
    f.close()
    check(gone and rc != 0, "socket directory writable by others (mode "
          "1777): the filter refuses to start", "exit status %r" % rc)


def check_sigpipe(f):
    """Requests, then close before the answers: 50 times."""
    burst = b"check enforce.example\n" * 3000
    for _ in range(50):
        try:
            s = connect()
        except OSError:
            break		# the filter is gone
        try:
            s.sendall(burst)
        except OSError:
            pass
        s.close()
    got = ask("check enforce.example")
    alive = f.alive()
    check(alive and got == "found", "clients closing before their "
          "answers are written (SIGPIPE): the filter lives on and answers",
          "alive %s, exit %r, answer %r" % (f.alive(), f.proc.returncode,
                                            got))


def check_limit(f):
    """More idle connections than the limit: the oldest are closed."""
    extra = 20
    held = [connect() for _ in range(CONN_MAX + extra)]
    # the first connection is the least recently active
    n = until(lambda: sum(closed(s) for s in held) >= extra, 5)
    gone = sum(closed(s) for s in held)
    first = closed(held[0])
    check_lookup("with %d idle connections held" % (CONN_MAX + extra), None)
    for s in held:
        s.close()
    check(n and first and gone <= extra + 1,
          "%d connections over the limit of %d: the %d least recently "
          "active are closed" % (CONN_MAX + extra, CONN_MAX, extra),
          "%d closed by the filter" % gone)


def check_pipelining(f):
    """Pipelines requests and does not read: bounded memory, then every
    answer once it reads."""
    pid = f.proc.pid
    before = rss_kb(pid)
    s = connect()
    s.setblocking(False)
    req = b"check nomatch.example\n"
    chunk = req * 2048
    sent = 0
    limit = 8 * 1024 * 1024
    end = time.monotonic() + 30
    while sent < limit and time.monotonic() < end:
        try:
            sent += s.send(chunk[sent % len(req):])
        except BlockingIOError:
            # the filter stopped reading, or is behind: 0.5 s to go on
            if not select.select([], [s], [], 0.5)[1]:
                break
    grown = rss_kb(pid) - before
    check(sent < limit and grown < 8192,
          "a client that pipelines and never reads: the filter stops "
          "reading; its memory grows by %d kB" % grown,
          "%d bytes of requests sent, RSS %d kB before" % (sent, before))
    # now read everything: one answer per complete request, in order
    s.setblocking(True)
    s.settimeout(20)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    want = sent // len(req)
    answers = 0
    bad = None
    buf = b""
    if sent < limit:
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
                lines = buf.split(b"\n")
                buf = lines.pop()
                for l in lines:
                    if not l.startswith(b"error MTA-STS policy") and bad is None:
                        bad = l
                answers += len(lines)
        except OSError as e:
            bad = bad or str(e)
    s.close()
    check(answers == want and bad is None and buf == b"",
          "... and once it reads, every answer arrives, then EOF",
          "%d answers for %d requests, odd one %r" % (answers, want, bad))


def settle_fds(pid, base):
    return until(lambda: nfds(pid) <= base, 15)


def check_emfile_held(f, base):
    """Out of descriptors with connections held: no spin, answers."""
    pid = f.proc.pid
    soft, _ = nofile(pid)
    nofile(pid, nfds(pid) + 4)
    held = []
    try:
        held = [connect() for _ in range(40)]
        t0 = cpu_ticks(pid)
        w0 = time.monotonic()
        answers = []
        while time.monotonic() - w0 < 1.5:
            answers.append(ask("check enforce.example"))
            time.sleep(0.1)	# pacing the lookups, not a synchronisation
        ticks = cpu_ticks(pid) - t0
        window = time.monotonic() - w0
    finally:
        nofile(pid, soft)
        for s in held:
            s.close()
    check(ticks < 0.2 * window * CLK_TCK and
          all(a == "found" for a in answers),
          "descriptor limit reached, 40 connections held: no busy loop, "
          "and lookups answered",
          "%d ticks of CPU over %.2f s (%d/s); answers %s"
          % (ticks, window, CLK_TCK, sorted(set(answers))))


def check_emfile_full(f, base):
    """No descriptor to spare at all: accept pauses; a full backlog does
    not hold the table; all is well once descriptors are free."""
    pid = f.proc.pid
    settled = settle_fds(pid, base)
    soft, _ = nofile(pid)
    limit = nfds(pid)
    nofile(pid, limit)
    held = []
    try:
        for _ in range(70):
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            try:
                s.connect(SOCK)
            except (BlockingIOError, ConnectionRefusedError):
                s.close()
                break
            held.append(s)
        t0 = cpu_ticks(pid)
        w0 = time.monotonic()
        [(got, took)] = table([("check", "domain", "enforce.example")],
                              timeout=3)
        # the rest of the window: nothing but the waiting connections
        while time.monotonic() - w0 < 1.5:
            time.sleep(0.1)
        ticks = cpu_ticks(pid) - t0
        window = time.monotonic() - w0
    finally:
        nofile(pid, soft)
        for s in held:
            s.close()
    check(settled and ticks < 0.2 * window * CLK_TCK,
          "no descriptor left (limit = %d open), %d connections waiting: "
          "accept pauses, no busy loop" % (limit, len(held)),
          "%d ticks of CPU over %.2f s (%d/s)" % (ticks, window, CLK_TCK))
    check(got is not None and got.startswith("check-result|id0|error|") and
          took < ASK_BOUND,
          "... filter-mtasts table, its connect refused or never "
          "accepted, answers an error within %.1f s" % ASK_BOUND,
          "answer %r after %.3f s" % (got, took))
    got = until(lambda: ask("check enforce.example") == "found", 5)
    check(got and f.alive(), "... and answers again once descriptors are "
          "free", "alive %s" % f.alive())


def check_idle(f, s, opened):
    left = opened + IDLE + 5 - time.monotonic()
    gone = until(lambda: closed(s), max(left, 0.1), 0.1)
    took = time.monotonic() - opened
    check(gone and f.alive() and took > IDLE - 1,
          "an idle connection is closed after %d s" % IDLE,
          "%.1f s after it was opened" % took,
          why=["filter exit status %r" % f.proc.returncode])
    s.close()


def check_log_quoting():
    """smtpd 6.8 (imsg): a key with a newline is logged quoted."""
    a, b = socket.socketpair()
    errpath = os.path.join(WORK, "table-imsg.err")
    with open(errpath, "wb") as err:
        p = subprocess.Popen([FM, "table", SOCK], stdin=b.fileno(),
                             stderr=err)
    b.close()

    def frame(typ, payload):
        a.sendall(struct.pack("=IHHII", typ, 16 + len(payload), 0, 0,
                              os.getpid()) + payload)

    def reply():
        buf = b""
        a.settimeout(5)
        while len(buf) < 16:
            data = a.recv(16 - len(buf))
            if not data:
                return None
            buf += data
        typ, length = struct.unpack("=IH", buf[:6])
        body = b""
        while len(body) < length - 16:
            data = a.recv(length - 16 - len(body))
            if not data:
                return None
            body += data
        return typ, body

    try:
        frame(2, struct.pack("=I", 2) + b"mtasts".ljust(2048, b"\0"))
        reply()
        frame(5, struct.pack("=iQ", 0x002, 0) +
              b"evil.example\nfilter-mtasts: forged line\0")
        r = reply()
        frame(3, b"")
    except OSError as e:
        r = str(e)
    a.close()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    with open(errpath, errors="replace") as fp:
        log = fp.read()
    check(r is not None and r[1][:4] == struct.pack("=i", -1) and
          "\nfilter-mtasts: forged line" not in log and
          "evil.example\\x0afilter-mtasts: forged line" in log,
          "table (6.8): a key with a newline is an error, logged quoted",
          log.strip(), why=[repr(r)])


class FakeFilter(threading.Thread):
    """A table socket of our own: the first connection is dropped after
    the request, the second answers its first request late."""

    def __init__(self, path, backlog):
        super().__init__(daemon=True)
        self.path = path
        self.ls = socket.socket(socket.AF_UNIX)
        self.ls.bind(path)
        self.ls.listen(backlog)
        self.stop = False

    def run(self):
        self.ls.settimeout(0.1)
        conns = 0
        while not self.stop:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conns += 1
            threading.Thread(target=self.serve, args=(c, conns),
                             daemon=True).start()

    def serve(self, c, n):
        c.settimeout(10)
        f = c.makefile("rwb")
        try:
            first = True
            for line in f:
                if n == 1:
                    break
                if n == 2 and first:
                    time.sleep(1.3)		# the late answer under test
                first = False
                word = b"found" if b"late.example" in line else b"not-found"
                f.write(word + b"\n")
                f.flush()
        except OSError:
            pass
        c.close()


def check_late_answer():
    path = os.path.join(WORK, "fake.sock")
    ff = FakeFilter(path, 8)
    ff.start()
    out = table([("check", "domain", "late.example"),
                 ("check", "domain", "other.example")], path=path)
    ff.stop = True
    got = [o[0] for o in out]
    check(got == ["check-result|id0|error|filter-mtasts not reachable",
                  "check-result|id1|not-found"],
          "table: an answer that comes too late is never taken for the "
          "next question's", got)


def check_full_backlog():
    """A listener that never accepts, its backlog full: connect must not
    block the table."""
    path = os.path.join(WORK, "stuck.sock")
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(path)
    ls.listen(0)
    held = []
    for _ in range(8):
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        try:
            s.connect(path)
            held.append(s)
        except BlockingIOError:
            s.close()
            break
    [(got, took)] = table([("check", "domain", "enforce.example")],
                          path=path, timeout=4)
    for s in held:
        s.close()
    ls.close()
    check(got is not None and got.startswith("check-result|id0|error|") and
          took < ASK_BOUND,
          "table: a socket whose backlog is full answers an error within "
          "%.1f s" % ASK_BOUND, "answer %r after %.3f s" % (got, took))


def check_not_root():
    """Started by smtpd as its own user (no "user root"): the socket is
    that user's, mode 0660, and the lookup user gets answers."""
    pw = pwd.getpwnam(LOOKUP_USER)
    d = os.path.join(WORK, "user")
    run = os.path.join(d, "run")
    state = os.path.join(d, "state")
    for x in (d, run, state):
        os.makedirs(x, exist_ok=True)
        os.chown(x, pw.pw_uid, pw.pw_gid)
    sock = os.path.join(run, "table.sock")
    f = Filter(prefix=as_user(LOOKUP_USER), sock=sock, state=state)
    try:
        st = os.stat(sock) if f.ready else None
        check(st is not None and stat.S_IMODE(st.st_mode) == 0o660 and
              st.st_uid == pw.pw_uid and st.st_gid == pw.pw_gid,
              "not started as root: the socket is mode 0660, the user's "
              "and its group's",
              st and "mode %o uid %d gid %d" % (stat.S_IMODE(st.st_mode),
                                                st.st_uid, st.st_gid),
              why=[f.stderr()[-2000:]])
        [(got, took)] = table([("check", "domain", "enforce.example")],
                              LOOKUP_USER, path=sock)
        check(got is not None and got.startswith("check-result|id0|") and
              "not reachable" not in got and took < ASK_BOUND,
              "... and the lookup user's table gets answers",
              "answer %r after %.3f s" % (got, took))
    finally:
        f.close()


def check_flood(f):
    """60 000 checks of domains nobody resolved: each starts a lookup and
    enters the filter's memory, but the verdicts in use stay."""
    before = ask("check enforce.example")
    s = connect()
    s.settimeout(20)
    n, batch, answers, buf = 60000, 500, 0, b""
    try:
        for i in range(0, n, batch):
            s.sendall(b"".join(b"check flood%d.example\n" % j
                               for j in range(i, i + batch)))
            want = answers + batch
            while answers < want:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
                answers += buf.count(b"\n")
                buf = buf[buf.rfind(b"\n") + 1:]
    except OSError as e:
        print("# flood: %s" % e)
    finally:
        s.close()
    after = ask("check enforce.example")
    relay = ask("relayhost enforce.example")
    check(before == "found" and answers == n and after == "found" and
          relay.startswith("found smtp+tls://mx1.enforce.example"),
          "%d checks of new domains: the verdict in use is still answered "
          "from memory" % n, "before %r, %d answers, after %r, relayhost %r"
          % (before, answers, after, relay))


def check_cache_trouble():
    """A directory where a cache entry belongs: the network process logs
    that the entry could not be kept."""
    state = os.path.join(WORK, "state-trouble")
    os.makedirs(os.path.join(state, "nosts.example"), exist_ok=True)
    f = Filter(sock=os.path.join(WORK, "run", "trouble.sock"), state=state)
    try:
        res = f.rcpts(["a@nosts.example"], 30)
        said = until(lambda: "nosts.example: cache: cannot record that "
                     "there is no policy" in f.stderr(), 10)
        check(res.get("a@nosts.example") == "proceed" and said,
              "a directory where the cache entry belongs: the RCPT "
              "proceeds, the network process logs why the entry is lost",
              res, f.stderr()[-1500:])
    finally:
        f.close()


def start():
    """The filter, with the verdicts of enforce.example (sts-enforce) and
    nomatch.example (defer) in memory; None if it cannot be."""
    f = Filter()
    if not f.ready:
        check(False, "filter-mtasts filter starts", why=[f.stderr()])
        f.close()
        return None
    res = f.rcpts(["a@enforce.example", "b@nomatch.example"], 40)
    if res.get("a@enforce.example") != "proceed" or \
            not res.get("b@nomatch.example", "").startswith("reject|451"):
        check(False, "filter-mtasts filter knows enforce.example and "
              "nomatch.example", why=[res, f.stderr()])
        f.close()
        return None
    return f


def alive(f):
    """f, or a new filter if f died (the check that killed it failed)."""
    if f.alive():
        return f
    print("# the filter died (status %r): starting another"
          % f.proc.returncode)
    f.close()
    return start()


def main():
    os.makedirs(os.path.dirname(SOCK), exist_ok=True)
    os.chmod(os.path.dirname(SOCK), 0o755)
    if (f := start()) is None:
        return 1
    check_access(f)
    check_unsafe_dir()
    check_sigpipe(f)
    if (f := alive(f)) is None:
        return 1
    base = nfds(f.proc.pid)
    # the idle connection must be the only one left alone meanwhile:
    # nothing that makes the filter close connections to make room
    idle = connect()
    idle_opened = time.monotonic()
    check_log_quoting()
    check_late_answer()
    check_full_backlog()
    check_not_root()
    check_pipelining(f)
    check_idle(f, idle, idle_opened)
    check_flood(f)
    check_cache_trouble()
    for c in (check_limit, check_emfile_held, check_emfile_full):
        if (f := alive(f)) is None:
            return 1
        settle_fds(f.proc.pid, base)
        c(f, base) if c != check_limit else c(f)
    check(f.alive(), "the filter is still running at the end",
          why=["exit status %r" % f.proc.returncode, f.stderr()[-2000:]])
    f.close()
    check(f.proc.returncode == 0, "... and exits with status 0 when smtpd "
          "closes its standard input",
          why=["exit status %r" % f.proc.returncode, f.stderr()[-3000:]])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

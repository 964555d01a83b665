#!/usr/bin/python3
# mock.py - a stand-in for filter-mtasts with the command line of its
# OpenSMTPD modes and fixed answers, to check the harness's "mtasts"
# phase itself (never a test of filter-mtasts):
#
#	FILTER_MTASTS=regress/smtpd/mock.py sh regress/smtpd/smtpd.sh run 6.8 mtasts
#
# mock.py filter ... -S SOCKET: the rcpt-to filter (stub.py's protocol
#   code): holds slow.example for 5 s (other sessions go on), fetches
#   nomatch.example's policy and refuses it with 451 4.7.0, proceeds
#   otherwise; serves SOCKET
#   with one "KIND SERVICE KEY" request per connection; forks a child
#   that runs as _mtasts until the filter exits.
# mock.py table SOCKET: the proc table (imsg for 6.8, text for 7.x),
#   asking SOCKET.
# The answers are what filter-mtasts should decide for the network's
# domains: a fixed map, no DNS and no HTTPS.

import os
import pwd
import socket
import ssl
import sys
import threading
import urllib.request

import stub

ROUTES = {d: "smtp+tls://%s:25" % mx for d, mx in (
    ("enforce.example", "mx1.enforce.example"),
    ("rotate.example", "mx.rotate.example"),
    ("twotxt.example", "mx.twotxt.example"),
    ("mxwrongname.example", "mx.mxwrongname.example"),
    ("mxnotls.example", "mx.mxnotls.example"),
    ("dane.example", "mx.dane.example"),
    ("cached.example", "mx.cached.example"),
)}
REFUSE = {"nomatch.example"}
HOLD = {"slow.example": 5.0}


def nolog(_msg):
    pass


def resolve(kind, service, key):
    if kind == "check":
        return (1 if key in ROUTES else 0), None
    if service == "relayhost" and key in ROUTES:
        return 1, ROUTES[key]
    return 0, None


def serve_socket(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o666)
    srv.listen(16)
    while True:
        c, _ = srv.accept()
        with c:
            req = c.makefile().readline().split()
            if len(req) == 3:
                r, v = resolve(*req)
                c.sendall(("%d %s\n" % (r, v or "-")).encode())


def network_child():
    r, w = os.pipe()
    if os.fork() == 0:
        os.close(w)
        pw = pwd.getpwnam("_mtasts")
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        os.read(r, 1)		# EOF once the filter is gone
        os._exit(0)
    os.close(r)
    return w


def fetch(cafile, domain):
    """The policy, as filter-mtasts would fetch it (errors ignored)."""
    try:
        ctx = ssl.create_default_context(cafile=cafile)
        url = "https://mta-sts.%s/.well-known/mta-sts.txt" % domain
        with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
            return r.read()
    except (OSError, ValueError):
        return None


def cmd_filter(args):
    sockpath = args[args.index("-S") + 1]
    cafile = args[args.index("-c") + 1]
    keep = network_child()
    threading.Thread(target=serve_socket, args=(sockpath,), daemon=True).start()
    lock = threading.Lock()

    def send(line):
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    for line in sys.stdin:
        f = line.rstrip("\n").split("|")
        if f[0] == "config" and f[1:2] == ["ready"]:
            send("register|filter|smtp-in|rcpt-to")
            send("register|ready")
        elif f[0] == "filter" and len(f) >= 8 and f[4] == "rcpt-to":
            sid, token = f[5], f[6]
            domain = "|".join(f[7:]).rpartition("@")[2].strip("<>").lower()
            if domain in REFUSE:
                ans = "reject|451 4.7.0 mock: no MX matches the MTA-STS policy"
            else:
                ans = "proceed"

            def answer(sid=sid, token=token, ans=ans, domain=domain):
                if domain in REFUSE:
                    fetch(cafile, domain)
                send("filter-result|%s|%s|%s" % (sid, token, ans))
            t = threading.Timer(HOLD.get(domain, 0.0), answer)
            t.daemon = True
            t.start()
    os.close(keep)


def cmd_table(args):
    sockpath = args[-1]

    def ask(kind, service, key):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.settimeout(1)
                c.connect(sockpath)
                c.sendall(("%s %s %s\n" % (kind, service, key)).encode())
                r, v = c.makefile().readline().split()
                return int(r), (None if v == "-" else v)
        except (OSError, ValueError):
            return -1, None
    stub.serve_table(nolog, ask)


def main():
    a = sys.argv[1:]
    if a and a[0] == "filter":
        cmd_filter(a[1:])
    elif a and a[0] == "table":
        cmd_table(a[1:])
    else:
        print("usage: mock.py filter ... -S SOCKET | mock.py table SOCKET",
              file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

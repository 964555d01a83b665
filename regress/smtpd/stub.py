#!/usr/bin/env python3
# stub.py - a minimal OpenSMTPD proc filter and proc table, independent
# of filter-mtasts, that prove the end-to-end harness (smtpd.sh) itself:
# the same smtpd.conf shape, protocols and outcomes, with fixed answers.
#
# usage: stub.py filter LOG [DOMAIN ...]
#        stub.py table [TABLENAME] MAPFILE	(as PATH_LIBEXEC/table-stub)
#
# filter: filter protocol 0.6 (OpenSMTPD 6.8) and 0.7 (7.x) on
# stdin/stdout; registers smtp-in rcpt-to and answers "proceed", or
# "reject|451 4.7.1 ..." when the recipient domain is one of DOMAIN.
# Every request and answer is logged to LOG.
#
# table: the 6.8 binary imsg protocol (requests and replies on fd 0) or
# the 7.6 text protocol 0.1 (stdin/stdout), told apart by the first
# bytes smtpd sends.  MAPFILE has "DOMAIN RELAYURL" lines: check domain
# DOMAIN is found; lookup relayhost DOMAIN returns RELAYURL, or
# not-found when RELAYURL is "-".  Requests are logged to MAPFILE.log.

import os
import struct
import sys
import time


def logger(path):
    fh = open(path, "a")

    def log(msg):
        fh.write("%.6f %d %s\n" % (time.time(), os.getpid(), msg))
        fh.flush()
    return log


# ---------------------------------------------------------------- filter

def cmd_filter(logpath, reject):
    log = logger(logpath)
    reject = {d.lower() for d in reject}
    out = sys.stdout
    for line in sys.stdin:
        line = line.rstrip("\n")
        log("< " + line)
        f = line.split("|")
        if f[0] == "config" and f[1:2] == ["ready"]:
            for l in ("register|filter|smtp-in|rcpt-to", "register|ready"):
                log("> " + l)
                out.write(l + "\n")
            out.flush()
        elif f[0] == "filter" and len(f) >= 8 and f[4] == "rcpt-to":
            sid, token, rcpt = f[5], f[6], "|".join(f[7:])
            domain = rcpt.rpartition("@")[2].strip("<>").lower()
            if domain in reject:
                ans = "filter-result|%s|%s|reject|451 4.7.1 stub filter refuses %s" % (
                    sid, token, domain)
            else:
                ans = "filter-result|%s|%s|proceed" % (sid, token)
            log("> " + ans)
            out.write(ans + "\n")
            out.flush()
    log("eof")


# ---------------------------------------------------------------- table

def load_map(path):
    m = {}
    with open(path) as fh:
        for line in fh:
            p = line.split()
            if len(p) == 2:
                m[p[0].lower()] = p[1]
    return m


def map_resolver(routes):
    """(kind, service, key) -> (r, value) from a static DOMAIN -> URL map."""
    def resolve(kind, service, key):
        if kind == "check":
            return (1 if key in routes else 0), None
        if service == "relayhost" and routes.get(key, "-") != "-":
            return 1, routes[key]
        return 0, None
    return resolve


def table_imsg(log, resolve, first):
    # OpenSMTPD 6.8 table_proc.c: struct imsg_hdr { u32 type; u16 len;
    # u16 flags; u32 peerid; u32 pid; }, host byte order; replies go to fd 0.
    OK, OPEN, CLOSE, UPDATE, CHECK, LOOKUP, FETCH = 0, 2, 3, 4, 5, 6, 7
    K_DOMAIN, K_RELAYHOST = 0x002, 0x200
    hdr = struct.Struct("=IHHII")
    buf = first
    fd = 0

    def reply(payload):
        os.write(fd, hdr.pack(OK, hdr.size + len(payload), 0, 0, os.getpid()) + payload)

    while True:
        while len(buf) < hdr.size or len(buf) < hdr.unpack_from(buf)[1]:
            chunk = os.read(fd, 65536)
            if not chunk:
                log("eof")
                return
            buf += chunk
        mtype, mlen = hdr.unpack_from(buf)[:2]
        payload, buf = buf[hdr.size:mlen], buf[mlen:]
        if mtype == OPEN:
            ver = struct.unpack_from("=I", payload)[0]
            log("open version=%d name=%r" % (
                ver, payload[4:].split(b"\0")[0].decode(errors="replace")))
            reply(b"")
        elif mtype in (CHECK, LOOKUP):
            service = struct.unpack_from("=i", payload)[0]
            rest = payload[4:]
            # 6.8: int service; size_t nparams (0); key NUL
            if len(rest) >= 9 and struct.unpack_from("=Q", rest)[0] == 0:
                rest = rest[8:]
            key = rest.split(b"\0")[0].decode(errors="replace").lower()
            kind = "check" if mtype == CHECK else "lookup"
            svc = {K_DOMAIN: "domain", K_RELAYHOST: "relayhost"}.get(service, hex(service))
            r, val = resolve(kind, svc, key)
            log("%s %s %s -> %s" % (kind, svc, key,
                                    val if r == 1 and val else ("found" if r == 1 else "not-found")))
            reply(struct.pack("=i", r) + (val.encode() + b"\0" if val else b""))
        elif mtype == FETCH:
            log("fetch -> not-found")
            reply(struct.pack("=i", 0))
        elif mtype == UPDATE:
            log("update")
            reply(struct.pack("=i", 1))
        elif mtype == CLOSE:
            log("close")
            return
        else:
            log("unknown imsg type %d" % mtype)
            return


def table_text(log, resolve, first):
    # OpenSMTPD 7.6 smtpd-tables(7), protocol 0.1, on stdin/stdout.
    data = first
    out = sys.stdout

    def send(line):
        log("> " + line)
        out.write(line + "\n")
        out.flush()

    def lines():
        nonlocal data
        while True:
            while b"\n" in data:
                line, data = data.split(b"\n", 1)
                yield line.decode(errors="replace")
            chunk = os.read(0, 65536)
            if not chunk:
                return
            data += chunk

    for line in lines():
        log("< " + line)
        f = line.split("|")
        if f[0] == "config" and f[1:2] == ["ready"]:
            send("register|domain")
            send("register|relayhost")
            send("register|ready")
        elif f[0] == "table" and len(f) >= 7:
            op, rest = f[4], f[5:]
            if op in ("check", "lookup") and len(rest) >= 3:
                svc, rid, key = rest[0], rest[1], "|".join(rest[2:]).lower()
                r, val = resolve(op, svc, key)
                res = "found" if r == 1 else ("not-found" if r == 0 else "error|lookup failed")
                if op == "lookup" and r == 1:
                    res += "|" + val
                send("%s-result|%s|%s" % (op, rid, res))
            elif op == "fetch" and len(rest) >= 2:
                send("fetch-result|%s|not-found" % rest[1])
            elif op == "update" and len(rest) >= 1:
                send("update-result|%s|ok" % rest[0])
    log("eof")


def serve_table(log, resolve):
    first = os.read(0, 65536)
    if first[:1].isalpha():
        log("text protocol")
        table_text(log, resolve, first)
    else:
        log("imsg protocol")
        table_imsg(log, resolve, first)


def cmd_table(args):
    mapfile = args[-1]
    log = logger(mapfile + ".log")
    log("argv %r" % (args,))
    serve_table(log, map_resolver(load_map(mapfile)))


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "filter":
        cmd_filter(a[1], a[2:])
    elif len(a) in (2, 3) and a[0] == "table":
        cmd_table(a[1:])
    else:
        print("usage: stub.py filter LOG [DOMAIN ...]\n"
              "       stub.py table [TABLENAME] MAPFILE", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# sink.py - the SMTP sink of the filter-mtasts end-to-end tests: one
# asyncio process answering on port 25 of every MX host address of the
# test network (regress/net/net.sh), with per-host certificates from the
# network's test CA (see /work/shared/docs/test-network.md, section 10).
#
# usage: sink.py certs NETDIR OUTDIR [NAME=MODE ...]
#        sink.py serve OUTDIR
#
# "certs" reads the network's zone files (NETDIR/zones/*.body), finds
# every MX host (an A record in 127.0.25.0/24) and writes OUTDIR/hosts
# ("ADDRESS NAME MODE" lines) and OUTDIR/certs/NAME.{pem,key}.  MODE is
# "valid" unless given as NAME=MODE:
#	valid		certificate for NAME from the test CA
#	wrongname	certificate from the test CA for another name
#	untrusted	certificate for NAME from the network's untrusted CA
#	selfsigned	self-signed certificate for NAME
#	expired		certificate for NAME from the test CA, expired
#	notls		no certificate: EHLO does not offer STARTTLS
# Hosts with a TLSA record (_25._tcp.NAME) get the network's TLSA key
# (NETDIR/pki/mx.key), so that "3 1 1" records match them.
#
# "serve" listens on every address of OUTDIR/hosts, accepts any
# MAIL/RCPT, appends each message to OUTDIR/mbox/NAME with trace headers
# prepended (X-Sink-Host, X-Sink-TLS, X-Sink-SNI, X-Sink-Peer,
# X-Sink-Envelope) and writes one JSON line per event to
# OUTDIR/events.jsonl (ready, connect, starttls, tls-failed, message,
# disconnect).  OUTDIR/ready appears once every listener is bound.
#
# The local part of a recipient can ask for a failure, for the relay's
# tests: "rcpt452..." and "rcpt550..." get that reply to RCPT;
# "dropdata..." closes the connection in the middle of the message, and
# "stalldata..." waits (at most STALL seconds) before its reply to the
# end of the message, and keeps nothing if the client goes meanwhile;
# both only the first time each address comes ("data-dropped" and
# "data-stalled" events), so a retry is delivered; "closeafter..."
# closes the connection right after its reply to the end of the message.

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time

MX_NET = "127.0.25."
MODES = ("valid", "wrongname", "untrusted", "selfsigned", "expired", "notls")
WRONG_NAME = "wrong-name.other.example"
MAX_LINE = 4096
STALL = 60
MAX_MESSAGE = 10 * 1024 * 1024
IDLE = 300


def die(msg):
    print("sink.py: " + msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- certs

def zone_records(netdir):
    """(owner, type, rdata) of every record in the zone bodies."""
    zdir = os.path.join(netdir, "zones")
    for f in sorted(os.listdir(zdir)):
        if not f.endswith(".body"):
            continue
        with open(os.path.join(zdir, f)) as fh:
            for line in fh:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 5 and p[3] in ("A", "TLSA", "MX"):
                    yield p[0].rstrip(".").lower(), p[3], p[4]


def openssl(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(["openssl"] + args, env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        die("openssl %s failed: %s" % (args[0], r.stderr.strip()))


def make_cert(netdir, out, name, mode, keyfile):
    pki = os.path.join(netdir, "pki")
    cnf = os.path.join(pki, "openssl.cnf")
    key = os.path.join(out, name + ".key")
    pem = os.path.join(out, name + ".pem")
    if keyfile:
        with open(keyfile, "rb") as src, open(key, "wb") as dst:
            dst.write(src.read())
    else:
        openssl(["genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", key])
    os.chmod(key, 0o600)
    san = WRONG_NAME if mode == "wrongname" else name
    env = {"SAN": "DNS:" + san}
    if mode == "expired":
        csr = os.path.join(out, name + ".csr")
        openssl(["req", "-new", "-config", cnf, "-key", key, "-subj",
                 "/CN=" + san, "-out", csr], env)
        now = time.time()
        fmt = "%Y%m%d%H%M%SZ"
        openssl(["ca", "-batch", "-config", cnf, "-extensions", "leafext",
                 "-notext", "-in", csr, "-out", pem,
                 "-startdate", time.strftime(fmt, time.gmtime(now - 30 * 86400)),
                 "-enddate", time.strftime(fmt, time.gmtime(now - 86400))], env)
        return
    args = ["req", "-x509", "-new", "-config", cnf, "-extensions", "leafext",
            "-key", key, "-out", pem, "-subj", "/CN=" + san, "-days", "90"]
    if mode != "selfsigned":
        ca = "untrusted-ca" if mode == "untrusted" else "ca"
        args += ["-CA", os.path.join(pki, ca + ".pem"),
                 "-CAkey", os.path.join(pki, ca + ".key")]
    openssl(args, env)


def cmd_certs(netdir, outdir, overrides):
    modes = {}
    for o in overrides:
        name, sep, mode = o.partition("=")
        if not sep or mode not in MODES:
            die("bad NAME=MODE: %s" % o)
        modes[name.rstrip(".").lower()] = mode
    hosts = {}
    tlsa = set()
    for owner, rtype, rdata in zone_records(netdir):
        if rtype == "A" and rdata.startswith(MX_NET):
            hosts[owner] = rdata
        elif rtype == "TLSA" and owner.startswith("_25._tcp."):
            tlsa.add(owner[len("_25._tcp."):])
    if not hosts:
        die("no MX host addresses (%s*) in %s/zones" % (MX_NET, netdir))
    for name in modes:
        if name not in hosts:
            die("no MX host %s in the network" % name)
    certs = os.path.join(outdir, "certs")
    os.makedirs(certs, exist_ok=True)
    lines = []
    for name, addr in sorted(hosts.items(), key=lambda h: h[1].split(".")[-1].zfill(3)):
        mode = modes.get(name, "valid")
        if mode != "notls":
            keyfile = os.path.join(netdir, "pki", "mx.key") if name in tlsa else None
            make_cert(netdir, certs, name, mode, keyfile)
        lines.append("%s %s %s\n" % (addr, name, mode))
    with open(os.path.join(outdir, "hosts.new"), "w") as fh:
        fh.writelines(lines)
    os.rename(os.path.join(outdir, "hosts.new"), os.path.join(outdir, "hosts"))


# ---------------------------------------------------------------- serve

class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.mboxdir = os.path.join(outdir, "mbox")
        os.makedirs(self.mboxdir, exist_ok=True)
        self.events = open(os.path.join(outdir, "events.jsonl"), "a")
        self.hosts = []
        with open(os.path.join(outdir, "hosts")) as fh:
            for line in fh:
                addr, name, mode = line.split()
                self.hosts.append((addr, name, mode))
        self.nsession = 0
        self.nmessage = 0
        self.once = set()     # addresses whose failure was served

    def first_time(self, rcpts, prefix):
        """The first recipient with that prefix not yet served, or None."""
        for r in rcpts:
            if r.lower().startswith(prefix) and r.lower() not in self.once:
                self.once.add(r.lower())
                return r
        return None

    def event(self, kind, **kw):
        rec = {"ts": round(time.time(), 6), "event": kind}
        rec.update(kw)
        self.events.write(json.dumps(rec, sort_keys=True) + "\n")
        self.events.flush()

    def context(self, name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certs = os.path.join(self.outdir, "certs")
        ctx.load_cert_chain(os.path.join(certs, name + ".pem"),
                            os.path.join(certs, name + ".key"))

        def sni(sslobj, servername, _ctx):
            # remembered on the SSLObject, read back after the handshake
            sslobj.sink_sni = servername
            return None
        ctx.sni_callback = sni
        return ctx

    async def run(self):
        servers = []
        for addr, name, mode in self.hosts:
            ctx = None if mode == "notls" else self.context(name)

            def handler(r, w, addr=addr, name=name, mode=mode, ctx=ctx):
                return Session(self, addr, name, mode, ctx, r, w).run()
            servers.append(await asyncio.start_server(
                handler, addr, 25, reuse_address=True))
        self.event("ready", hosts=len(servers))
        with open(os.path.join(self.outdir, "ready"), "w") as fh:
            fh.write("%d\n" % os.getpid())
        stop = asyncio.get_running_loop().create_future()
        for s in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(
                s, lambda: stop.done() or stop.set_result(None))
        await stop
        for s in servers:
            s.close()
        self.event("stop")

    def deliver(self, sess, data):
        self.nmessage += 1
        qid = "%d.%d" % (os.getpid(), self.nmessage)
        tls = sess.tls or "none"
        sni = sess.sni or "none"
        msgid = testid = None
        for line in data.split(b"\r\n"):
            if not line:
                break
            m = re.match(rb"(?i)(message-id|x-test-id):\s*(.*)", line)
            if m:
                v = m.group(2).decode("ascii", "replace").strip()
                if m.group(1).lower() == b"message-id":
                    msgid = v
                else:
                    testid = v
        trace = [
            "X-Sink-Host: %s [%s] queue-id=%s" % (sess.name, sess.addr, qid),
            "X-Sink-TLS: %s" % tls,
            "X-Sink-SNI: %s" % sni,
            "X-Sink-Peer: %s helo=%s" % (sess.peer, sess.helo),
            "X-Sink-Envelope: from=<%s> to=%s" % (
                sess.mail, ",".join("<%s>" % r for r in sess.rcpts)),
        ]
        body = data.decode("utf-8", "replace").split("\r\n")
        if body and body[-1] == "":
            body.pop()
        out = ["From %s %s" % (sess.mail or "MAILER-DAEMON",
                               time.asctime(time.gmtime()))]
        out += trace
        for line in body:
            if re.match(r">*From ", line):
                line = ">" + line
            out.append(line)
        out.append("")
        with open(os.path.join(self.mboxdir, sess.name), "a") as fh:
            fh.write("\n".join(out) + "\n")
        self.event("message", host=sess.name, addr=sess.addr, session=sess.sid,
                   queue_id=qid, mail_from=sess.mail, rcpts=list(sess.rcpts),
                   tls=tls, sni=sni, message_id=msgid, test_id=testid,
                   size=len(data))
        return qid


class Session:
    def __init__(self, sink, addr, name, mode, ctx, reader, writer):
        sink.nsession += 1
        self.sink, self.addr, self.name, self.mode, self.ctx = \
            sink, addr, name, mode, ctx
        self.reader, self.writer = reader, writer
        self.sid = sink.nsession
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = "%s:%s" % (peer[0], peer[1])
        self.tls = None
        self.sni = None
        self.helo = None
        self.reset()

    def reset(self):
        self.mail = None
        self.rcpts = []

    def event(self, kind, **kw):
        self.sink.event(kind, host=self.name, addr=self.addr,
                        session=self.sid, peer=self.peer, **kw)

    async def reply(self, text):
        self.writer.write(text.encode() + b"\r\n")
        await self.writer.drain()

    async def readline(self):
        line = await asyncio.wait_for(self.reader.readuntil(b"\n"), IDLE)
        if len(line) > MAX_LINE:
            raise ValueError("line too long")
        return line

    async def run(self):
        self.event("connect", mode=self.mode)
        why = "quit"
        try:
            await self.reply("220 %s ESMTP filter-mtasts test sink" % self.name)
            while True:
                try:
                    line = await self.readline()
                except asyncio.IncompleteReadError:
                    why = "eof"
                    break
                if not await self.command(line.rstrip(b"\r\n").decode("utf-8", "replace")):
                    break
        except (ConnectionError, asyncio.TimeoutError, ValueError, OSError,
                asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ssl.SSLError) as e:
            why = "%s: %s" % (type(e).__name__, e)
        finally:
            self.event("disconnect", why=why)
            try:
                self.writer.close()
            except Exception:
                pass

    async def command(self, line):
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        if verb in ("EHLO", "HELO"):
            self.helo = arg.strip() or "-"
            self.reset()
            if verb == "HELO":
                await self.reply("250 %s" % self.name)
                return True
            ext = ["8BITMIME", "SIZE %d" % MAX_MESSAGE, "ENHANCEDSTATUSCODES"]
            if self.ctx is not None and self.tls is None:
                ext.append("STARTTLS")
            lines = [self.name + " hello " + self.helo] + ext
            await self.reply("\r\n".join(
                "250%s%s" % ("-" if i < len(lines) - 1 else " ", l)
                for i, l in enumerate(lines)))
        elif verb == "STARTTLS":
            if self.ctx is None or self.tls is not None:
                await self.reply("502 5.5.1 STARTTLS not offered")
                return True
            await self.reply("220 2.0.0 ready to start TLS")
            try:
                await self.writer.start_tls(self.ctx)
            except (ssl.SSLError, ConnectionError, OSError) as e:
                self.event("tls-failed", error=str(e),
                           reason=getattr(e, "reason", None))
                return False
            obj = self.writer.get_extra_info("ssl_object")
            self.tls = "%s %s" % (obj.version(), obj.cipher()[0])
            self.sni = getattr(obj, "sink_sni", None)
            self.helo = None
            self.reset()
            self.event("starttls", version=obj.version(), cipher=obj.cipher()[0],
                       sni=self.sni)
        elif verb == "MAIL":
            m = re.match(r"(?i)FROM:\s*<([^>]*)>", arg)
            if not m:
                await self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
                return True
            self.reset()
            self.mail = m.group(1)
            await self.reply("250 2.1.0 ok")
        elif verb == "RCPT":
            m = re.match(r"(?i)TO:\s*<([^>]*)>", arg)
            if self.mail is None:
                await self.reply("503 5.5.1 MAIL first")
            elif not m:
                await self.reply("501 5.5.4 syntax: RCPT TO:<address>")
            elif m.group(1).lower().startswith("rcpt452"):
                await self.reply("452 4.2.2 %s: mailbox full (test)" % m.group(1))
            elif m.group(1).lower().startswith("rcpt550"):
                await self.reply("550 5.1.1 %s: no such user (test)" % m.group(1))
            else:
                self.rcpts.append(m.group(1))
                await self.reply("250 2.1.5 ok")
        elif verb == "DATA":
            if not self.rcpts:
                await self.reply("503 5.5.1 RCPT first")
                return True
            await self.reply("354 end data with <CR><LF>.<CR><LF>")
            drop = self.sink.first_time(self.rcpts, "dropdata")
            stall = self.sink.first_time(self.rcpts, "stalldata")
            data = bytearray()
            while True:
                if drop is not None and len(data) > 0:
                    self.event("data-dropped", rcpt=drop, size=len(data))
                    self.writer.transport.abort()
                    return False
                line = await asyncio.wait_for(self.reader.readuntil(b"\n"), IDLE)
                if line in (b".\r\n", b".\n"):
                    break
                if line.startswith(b"."):
                    line = line[1:]
                if not line.endswith(b"\r\n"):
                    line = line.rstrip(b"\n") + b"\r\n"
                if len(data) < MAX_MESSAGE:
                    data += line
            if stall is not None:
                self.event("data-stalled", rcpt=stall, size=len(data))
                try:
                    got = await asyncio.wait_for(self.reader.read(1), STALL)
                except asyncio.TimeoutError:
                    got = b"x"
                if not got:
                    self.event("data-abandoned", rcpt=stall)
                    return False
            close = any(r.lower().startswith("closeafter") for r in self.rcpts)
            qid = self.sink.deliver(self, bytes(data))
            self.reset()
            await self.reply("250 2.0.0 ok queued as %s" % qid)
            if close:
                return False
        elif verb == "RSET":
            self.reset()
            await self.reply("250 2.0.0 ok")
        elif verb == "NOOP":
            await self.reply("250 2.0.0 ok")
        elif verb == "QUIT":
            await self.reply("221 2.0.0 bye")
            return False
        else:
            await self.reply("502 5.5.2 command not recognized")
        return True


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "certs":
        cmd_certs(a[1], a[2], a[3:])
    elif len(a) == 2 and a[0] == "serve":
        asyncio.run(Sink(a[1]).run())
    else:
        print("usage: sink.py certs NETDIR OUTDIR [NAME=MODE ...]\n"
              "       sink.py serve OUTDIR", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

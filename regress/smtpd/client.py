#!/usr/bin/env python3
# client.py - SMTP submission for the filter-mtasts end-to-end tests.
#
# usage: client.py send SERVER RCPT TESTID EVENTS [TIMEOUT]
#        client.py wait-port ADDRESS PORT SECONDS
#        client.py get EVENTS TESTID EVENT FIELD
#        client.py delivered SINKEVENTS RCPT
#
# "send" submits one message (From: sender@sender.example, header
# X-Test-Id: TESTID) to RCPT through SERVER port 25 and appends one JSON
# line per step to EVENTS, each with a wall-clock timestamp: connect,
# ehlo, mail, rcpt-sent, rcpt-reply, data-reply, error.  Each line is
# flushed at once, so another process can follow the session.  Exit
# status: 0 message accepted, 1 RCPT refused (its reply is in EVENTS),
# 2 any other failure.  It never retries.
#
# "wait-port" polls until ADDRESS:PORT accepts a TCP connection and
# answers with a 220 greeting (exit 0), or SECONDS pass (exit 1).
#
# "get" prints FIELD of the last EVENT of submission TESTID in EVENTS
# (exit 1 if there is none).  "delivered" prints "HOST TLS SNI" (TLS as
# version_cipher) for every message the sink (sink.py, its
# events.jsonl) accepted for RCPT; nothing if none.

import json
import smtplib
import socket
import sys
import time

SENDER = "sender@sender.example"


def log(fh, kind, **kw):
    rec = {"ts": round(time.time(), 6), "event": kind}
    rec.update(kw)
    fh.write(json.dumps(rec, sort_keys=True) + "\n")
    fh.flush()


def send(server, rcpt, testid, events, timeout):
    with open(events, "a") as fh:
        try:
            s = smtplib.SMTP(server, 25, local_hostname="client.example",
                             timeout=timeout)
            log(fh, "connect", id=testid, rcpt=rcpt)
            code, text = s.ehlo()
            log(fh, "ehlo", id=testid, code=code)
            code, text = s.mail(SENDER)
            log(fh, "mail", id=testid, code=code, text=text.decode(errors="replace"))
            if code != 250:
                return 2
            log(fh, "rcpt-sent", id=testid, rcpt=rcpt)
            code, text = s.rcpt(rcpt)
            log(fh, "rcpt-reply", id=testid, rcpt=rcpt, code=code,
                text=text.decode(errors="replace"))
            if code not in (250, 251):
                try:
                    s.quit()
                except smtplib.SMTPException:
                    pass
                return 1
            msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: filter-mtasts test %s\r\n"
                   "Message-ID: <%s.%d@sender.example>\r\nX-Test-Id: %s\r\n\r\n"
                   "test message %s\r\n" % (SENDER, rcpt, testid, testid,
                                            int(time.time() * 1000), testid,
                                            testid))
            code, text = s.data(msg)
            text = text.decode(errors="replace")
            # OpenSMTPD: "250 2.0.0 <8 hex digits> Message accepted for delivery"
            words = text.split()
            qid = words[1] if len(words) > 1 and code == 250 else None
            log(fh, "data-reply", id=testid, code=code, text=text, msgid=qid)
            try:
                s.quit()
            except smtplib.SMTPException:
                pass
            return 0 if code == 250 else 2
        except (OSError, smtplib.SMTPException) as e:
            log(fh, "error", id=testid, error="%s: %s" % (type(e).__name__, e))
            return 2


def wait_port(addr, port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with socket.create_connection((addr, port), timeout=2) as c:
                c.settimeout(2)
                if c.recv(4).startswith(b"220"):
                    c.sendall(b"QUIT\r\n")
                    return 0
        except OSError:
            pass
        time.sleep(0.05)
    return 1


def read_events(path):
    try:
        with open(path) as fh:
            for line in fh:
                try:
                    yield json.loads(line)
                except ValueError:
                    pass
    except FileNotFoundError:
        return


def get(events, testid, event, field):
    val = None
    for e in read_events(events):
        if e.get("id") == testid and e.get("event") == event and field in e:
            val = e[field]
    if val is None:
        return 1
    print(val)
    return 0


def delivered(sinkevents, rcpt):
    rcpt = rcpt.lower()
    for e in read_events(sinkevents):
        if e.get("event") == "message" and rcpt in [r.lower() for r in e.get("rcpts", [])]:
            print("%s %s %s" % (e["host"], e["tls"].replace(" ", "_"), e["sni"]))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) in (5, 6) and a[0] == "send":
        sys.exit(send(a[1], a[2], a[3], a[4], float(a[5]) if len(a) == 6 else 60))
    if len(a) == 4 and a[0] == "wait-port":
        sys.exit(wait_port(a[1], int(a[2]), float(a[3])))
    if len(a) == 5 and a[0] == "get":
        sys.exit(get(*a[1:]))
    if len(a) == 3 and a[0] == "delivered":
        sys.exit(delivered(a[1], a[2]))
    print("usage: client.py send SERVER RCPT TESTID EVENTS [TIMEOUT]\n"
          "       client.py wait-port ADDRESS PORT SECONDS\n"
          "       client.py get EVENTS TESTID EVENT FIELD\n"
          "       client.py delivered SINKEVENTS RCPT", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()

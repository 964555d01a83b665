#!/usr/bin/env python3
# mtatool.py - small helpers of regress/mta/mta.sh (Python standard
# library only).
#
# usage: mtatool.py send SERVER RCPT TESTID EVENTS [TIMEOUT]
#        mtatool.py wait-port ADDRESS PORT SECONDS
#        mtatool.py get EVENTS TESTID EVENT FIELD
#        mtatool.py delivered SINKEVENTS RCPT
#        mtatool.py sessions SINKEVENTS HOST
#        mtatool.py pfqueue RCPT < "postqueue -j" output
#        mtatool.py eximqueue RCPT < "exim -bp" output
#
# send: one message (From: sender@sender.example, header X-Test-Id:
#   TESTID) to RCPT through SERVER port 25; one JSON line per step is
#   appended to EVENTS (connect, rcpt-reply, data-reply with the queue
#   id the MTA named, error).  Exit 0 if the MTA accepted it.
# wait-port: until ADDRESS:PORT greets with 220 (exit 0) or SECONDS
#   pass (exit 1).
# get: FIELD of the last EVENT of TESTID in EVENTS (exit 1 if none).
# delivered: "HOST TLS SNI" for every copy the sink (sink.py) accepted
#   for RCPT, TLS as version_cipher.
# sessions: how many SMTP sessions the sink saw at HOST.
# pfqueue / eximqueue: "QUEUEID REASON" for RCPT if it is still queued
#   (not delivered), nothing otherwise.

import json
import re
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


# "250 2.0.0 Ok: queued as 4F3A2A76172" (Postfix), "OK id=1xV96J-0003VA-39"
# (Exim)
QUEUE_ID = re.compile(r"(?:queued as |id=)([0-9A-Za-z-]+)")


def send(server, rcpt, testid, events, timeout):
    with open(events, "a") as fh:
        try:
            s = smtplib.SMTP(server, 25, local_hostname="client.example",
                             timeout=timeout)
            log(fh, "connect", id=testid, rcpt=rcpt)
            s.ehlo()
            code, text = s.mail(SENDER)
            if code != 250:
                log(fh, "error", id=testid, error="MAIL: %d %s" % (code, text))
                return 2
            code, text = s.rcpt(rcpt)
            log(fh, "rcpt-reply", id=testid, code=code,
                text=text.decode(errors="replace"))
            if code not in (250, 251):
                s.quit()
                return 1
            msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: filter-mtasts %s\r\n"
                   "Message-ID: <%s.%d@sender.example>\r\nX-Test-Id: %s\r\n"
                   "\r\nTest message %s.\r\n" %
                   (SENDER, rcpt, testid, testid, int(time.time() * 1000),
                    testid, testid))
            code, text = s.data(msg)
            text = text.decode(errors="replace")
            m = QUEUE_ID.search(text)
            log(fh, "data-reply", id=testid, code=code, text=text,
                queue_id=m.group(1) if m else None)
            s.quit()
            return 0 if code == 250 else 2
        except (OSError, smtplib.SMTPException) as e:
            log(fh, "error", id=testid, error="%s: %s" % (type(e).__name__, e))
            return 2


def wait_port(addr, port, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            with socket.create_connection((addr, port), timeout=1) as s:
                s.settimeout(2)
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return 0
        except OSError:
            pass
        time.sleep(0.05)
    return 1


def records(path):
    try:
        with open(path) as fh:
            for line in fh:
                try:
                    yield json.loads(line)
                except ValueError:
                    pass
    except OSError:
        return


def get(events, testid, event, field):
    val = None
    for r in records(events):
        if r.get("id") == testid and r.get("event") == event and field in r:
            val = r[field]
    if val is None:
        return 1
    print(val)
    return 0


def delivered(sinkevents, rcpt):
    for r in records(sinkevents):
        if r.get("event") == "message" and rcpt.lower() in \
                [x.lower() for x in r.get("rcpts", [])]:
            print(r.get("host"), (r.get("tls") or "none").replace(" ", "_"),
                  r.get("sni") or "none")
    return 0


def sessions(sinkevents, host):
    print(sum(1 for r in records(sinkevents)
              if r.get("event") == "connect" and r.get("host") == host))
    return 0


def pfqueue(rcpt):
    for line in sys.stdin:
        try:
            q = json.loads(line)
        except ValueError:
            continue
        for r in q.get("recipients", []):
            if r.get("address", "").lower() == rcpt.lower():
                print(q.get("queue_id"), q.get("queue_name"),
                      r.get("delay_reason", ""))
    return 0


def eximqueue(rcpt):
    # "  0m   374 1xV96Q-0003gl-2T <sender@...>" then recipients, "D " for
    # delivered ones, a blank line between messages
    qid = None
    for line in sys.stdin:
        m = re.match(r"\s*\S+\s+\S+\s+([0-9A-Za-z]{6}-[0-9A-Za-z]{4,6}-"
                     r"[0-9A-Za-z]{2,4})\s", line)
        if m:
            qid = m.group(1)
            continue
        if not line.strip():
            qid = None
            continue
        if qid and line.split()[-1].lower() == rcpt.lower() and \
                not line.strip().startswith("D "):
            print(qid, "queued")
    return 0


def main():
    a = sys.argv[1:]
    if len(a) in (5, 6) and a[0] == "send":
        return send(a[1], a[2], a[3], a[4], float(a[5]) if len(a) > 5 else 30)
    if len(a) == 4 and a[0] == "wait-port":
        return wait_port(a[1], int(a[2]), float(a[3]))
    if len(a) == 5 and a[0] == "get":
        return get(*a[1:])
    if len(a) == 3 and a[0] == "delivered":
        return delivered(a[1], a[2])
    if len(a) == 3 and a[0] == "sessions":
        return sessions(a[1], a[2])
    if len(a) == 2 and a[0] == "pfqueue":
        return pfqueue(a[1])
    if len(a) == 2 and a[0] == "eximqueue":
        return eximqueue(a[1])
    sys.stderr.write(__doc__ if __doc__ else "usage: see mtatool.py\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())

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
#   appended to EVENTS (connect, ehlo, mail, rcpt-sent, rcpt-reply,
#   data-reply with the queue id the MTA named, error).  Exit 0 if the
#   MTA accepted it.  TIMEOUT defaults to 30 seconds.
# wait-port: until ADDRESS:PORT greets with 220 (exit 0) or SECONDS
#   pass (exit 1).
# get: FIELD of the last EVENT of TESTID in EVENTS (exit 1 if none).
# delivered: "HOST TLS SNI" for every copy the sink (sink.py) accepted
#   for RCPT, TLS as version_cipher.
# sessions: how many SMTP sessions the sink saw at HOST.
# pfqueue / eximqueue: "QUEUEID REASON" for RCPT if it is still queued
#   (not delivered), nothing otherwise.
#
# send, wait-port, get and delivered are regress/e2e.py's, shared with
# regress/smtpd/client.py.

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import e2e  # noqa: E402


def sessions(sinkevents, host):
    print(sum(1 for r in e2e.read_events(sinkevents)
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


if __name__ == "__main__":
    sys.exit(e2e.main("usage: see mtatool.py\n", 30, extra={
        "sessions": (2, sessions),
        "pfqueue": (1, pfqueue),
        "eximqueue": (1, eximqueue),
    }))

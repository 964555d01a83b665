#!/usr/bin/env python3
# client.py - SMTP submission for the filter-mtasts end-to-end tests.
#
# usage: client.py send SERVER RCPT TESTID EVENTS [TIMEOUT]
#        client.py wait-port ADDRESS PORT SECONDS
#        client.py get EVENTS TESTID EVENT FIELD
#        client.py delivered SINKEVENTS RCPT
#        client.py send-multi SERVER RCPT,RCPT... TESTID EVENTS TIMEOUT
#
# "send" submits one message (From: sender@sender.example, header
# X-Test-Id: TESTID) to RCPT through SERVER port 25 and appends one JSON
# line per step to EVENTS, each with a wall-clock timestamp: connect,
# ehlo, mail, rcpt-sent, rcpt-reply, data-reply (OpenSMTPD's message id
# as "msgid"), error.  Each line is flushed at once, so another process
# can follow the session.  Exit status: 0 message accepted, 1 RCPT
# refused (its reply is in EVENTS), 2 any other failure.  It never
# retries.  TIMEOUT defaults to 60 seconds.
#
# "wait-port" polls until ADDRESS:PORT accepts a TCP connection and
# answers with a 220 greeting (exit 0), or SECONDS pass (exit 1).
#
# "get" prints FIELD of the last EVENT of submission TESTID in EVENTS
# (exit 1 if there is none).  "delivered" prints "HOST TLS SNI" (TLS as
# version_cipher) for every message the sink (sink.py, its
# events.jsonl) accepted for RCPT; nothing if none.
#
# "send-multi" is "send" of one message to several recipients (one
# rcpt-reply event each, with its rcpt); exit 0 if any was accepted and
# the message too.
#
# The code is regress/e2e.py's, shared with regress/mta/mtatool.py.

import os
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import e2e  # noqa: E402

USAGE = ("usage: client.py send SERVER RCPT TESTID EVENTS [TIMEOUT]\n"
         "       client.py wait-port ADDRESS PORT SECONDS\n"
         "       client.py get EVENTS TESTID EVENT FIELD\n"
         "       client.py delivered SINKEVENTS RCPT\n"
         "       client.py send-multi SERVER RCPT,RCPT... TESTID EVENTS TIMEOUT\n")


def send_multi(server, rcpts, testid, events, timeout):
    rcpts = rcpts.split(",")
    with open(events, "a") as fh:
        try:
            s = smtplib.SMTP(server, 25, local_hostname="client.example",
                             timeout=float(timeout))
            e2e.log(fh, "connect", id=testid, rcpt=rcpts[0])
            s.ehlo()
            code, text = s.mail(e2e.SENDER)
            ok = []
            for r in rcpts:
                e2e.log(fh, "rcpt-sent", id=testid, rcpt=r)
                code, text = s.rcpt(r)
                e2e.log(fh, "rcpt-reply", id=testid, rcpt=r, code=code,
                        text=text.decode(errors="replace"))
                if code in (250, 251):
                    ok.append(r)
            if not ok:
                e2e.quit_quietly(s)
                return 1
            msg = ("From: <%s>\r\nTo: %s\r\nSubject: filter-mtasts test %s\r\n"
                   "Message-ID: <%s.%d@sender.example>\r\nX-Test-Id: %s\r\n\r\n"
                   "test message %s\r\n.leading dot\r\n" % (
                       e2e.SENDER, ", ".join("<%s>" % r for r in ok), testid,
                       testid, int(time.time() * 1000), testid, testid))
            code, text = s.data(msg)
            text = text.decode(errors="replace")
            e2e.log(fh, "data-reply", id=testid, code=code, text=text,
                    msgid=e2e.queue_id(code, text))
            e2e.quit_quietly(s)
            return 0 if code == 250 else 2
        except (OSError, smtplib.SMTPException) as e:
            e2e.log(fh, "error", id=testid, error="%s: %s" % (type(e).__name__, e))
            return 2


if __name__ == "__main__":
    sys.exit(e2e.main(USAGE, 60, id_key="msgid",
                      extra={"send-multi": (5, send_multi)}))

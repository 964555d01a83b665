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
# The code is regress/e2e.py's, shared with regress/mta/mtatool.py.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import e2e  # noqa: E402

USAGE = ("usage: client.py send SERVER RCPT TESTID EVENTS [TIMEOUT]\n"
         "       client.py wait-port ADDRESS PORT SECONDS\n"
         "       client.py get EVENTS TESTID EVENT FIELD\n"
         "       client.py delivered SINKEVENTS RCPT\n")

if __name__ == "__main__":
    sys.exit(e2e.main(USAGE, 60, id_key="msgid"))

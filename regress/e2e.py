# e2e.py - Python shared by the helpers of the filter-mtasts end-to-end
# tests, regress/smtpd/client.py and regress/mta/mtatool.py (standard
# library only): SMTP submission with timestamped events, the wait for
# an SMTP greeting, and queries of those events and of the sink's
# (regress/smtpd/sink.py, its events.jsonl).
#
# main() runs the subcommands both helpers have:
#   send SERVER RCPT TESTID EVENTS [TIMEOUT]
#   wait-port ADDRESS PORT SECONDS
#   get EVENTS TESTID EVENT FIELD
#   delivered SINKEVENTS RCPT
# and those a helper adds.
#
# "send" submits one message (From: sender@sender.example, header
# X-Test-Id: TESTID) to RCPT through SERVER port 25 and appends one JSON
# line per step to EVENTS, each with a wall-clock timestamp: connect,
# ehlo, mail, rcpt-sent, rcpt-reply, data-reply (with the queue id the
# server named, under a key the helper chooses), error.  Each line is
# flushed at once, so another process can follow the session.  Exit
# status: 0 message accepted, 1 RCPT refused (its reply is in EVENTS),
# 2 any other failure.  It never retries.
#
# "wait-port" polls until ADDRESS:PORT accepts a TCP connection and
# answers with a 220 greeting (exit 0), or SECONDS pass (exit 1).
#
# "get" prints FIELD of the last EVENT of submission TESTID in EVENTS
# (exit 1 if there is none).  "delivered" prints "HOST TLS SNI" (TLS as
# version_cipher) for every message the sink accepted for RCPT; nothing
# if none.

import json
import re
import smtplib
import socket
import sys
import time

SENDER = "sender@sender.example"

# "250 2.0.0 Ok: queued as 4F3A2A76172" (Postfix), "OK id=1xV96J-0003VA-39"
# (Exim)
QUEUED_AS = re.compile(r"(?:queued as |id=)([0-9A-Za-z-]+)")


def queue_id(code, text):
    """The queue id in a DATA reply: Postfix's and Exim's forms, else
    (OpenSMTPD: "250 2.0.0 <8 hex digits> Message accepted for
    delivery") the second word of a 250 reply; None if there is none."""
    m = QUEUED_AS.search(text)
    if m:
        return m.group(1)
    words = text.split()
    return words[1] if len(words) > 1 and code == 250 else None


def log(fh, kind, **kw):
    rec = {"ts": round(time.time(), 6), "event": kind}
    rec.update(kw)
    fh.write(json.dumps(rec, sort_keys=True) + "\n")
    fh.flush()


def quit_quietly(s):
    try:
        s.quit()
    except smtplib.SMTPException:
        pass


def send(server, rcpt, testid, events, timeout, id_key="queue_id"):
    with open(events, "a") as fh:
        try:
            s = smtplib.SMTP(server, 25, local_hostname="client.example",
                             timeout=timeout)
            log(fh, "connect", id=testid, rcpt=rcpt)
            code, text = s.ehlo()
            log(fh, "ehlo", id=testid, code=code)
            code, text = s.mail(SENDER)
            text = text.decode(errors="replace")
            log(fh, "mail", id=testid, code=code, text=text)
            if code != 250:
                log(fh, "error", id=testid, error="MAIL: %d %s" % (code, text))
                return 2
            log(fh, "rcpt-sent", id=testid, rcpt=rcpt)
            code, text = s.rcpt(rcpt)
            log(fh, "rcpt-reply", id=testid, rcpt=rcpt, code=code,
                text=text.decode(errors="replace"))
            if code not in (250, 251):
                quit_quietly(s)
                return 1
            msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: filter-mtasts test %s\r\n"
                   "Message-ID: <%s.%d@sender.example>\r\nX-Test-Id: %s\r\n\r\n"
                   "test message %s\r\n" % (SENDER, rcpt, testid, testid,
                                            int(time.time() * 1000), testid,
                                            testid))
            code, text = s.data(msg)
            text = text.decode(errors="replace")
            log(fh, "data-reply", id=testid, code=code, text=text,
                **{id_key: queue_id(code, text)})
            quit_quietly(s)
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
                if c.recv(512).startswith(b"220"):
                    c.sendall(b"QUIT\r\n")
                    return 0
        except OSError:
            pass
        time.sleep(0.05)
    return 1


def read_events(path):
    """The JSON lines of an events file (none if it cannot be read)."""
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
        if e.get("event") == "message" and \
                rcpt in [r.lower() for r in e.get("rcpts", [])]:
            print(e.get("host"), (e.get("tls") or "none").replace(" ", "_"),
                  e.get("sni") or "none")
    return 0


def main(usage, timeout, id_key="queue_id", extra=None):
    """Run the subcommand named in sys.argv and return its exit status;
    2 after printing USAGE if there is none.  TIMEOUT: send's default;
    ID_KEY: the data-reply key of the queue id; EXTRA: {name: (number
    of arguments, function)}, the helper's own subcommands."""
    a = sys.argv[1:]
    if len(a) in (5, 6) and a[0] == "send":
        return send(a[1], a[2], a[3], a[4],
                    float(a[5]) if len(a) == 6 else timeout, id_key)
    if len(a) == 4 and a[0] == "wait-port":
        return wait_port(a[1], int(a[2]), float(a[3]))
    if len(a) == 5 and a[0] == "get":
        return get(*a[1:])
    if len(a) == 3 and a[0] == "delivered":
        return delivered(a[1], a[2])
    if a and a[0] in (extra or {}) and len(a) == extra[a[0]][0] + 1:
        return extra[a[0]][1](*a[1:])
    sys.stderr.write(usage)
    return 2

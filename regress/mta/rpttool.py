#!/usr/bin/python3
# rpttool.py - the TLS reporting (RFC 8460) helpers of regress/mta/mta.sh
# (Python standard library only).
#
# usage: rpttool.py dgram SOCKET          datagrams (one per line) from stdin
#        rpttool.py burst SOCKET DOMAIN N  N successful sessions, at once
#        rpttool.py sendmail SERVER -i -f FROM -- RCPT   (message on stdin)
#        rpttool.py socketmap ADDRESS:PORT NAME KEY
#        rpttool.py count SHOW DOMAIN FIELD
#        rpttool.py verify DAY COLLECTORDIR MBOX EVENTSDIR
#
# dgram / burst: what Postfix 3.10's TLSRPT client library (libtlsrpt,
#   datagram protocol version 1) sends to smtp_tlsrpt_socket_name, the
#   same JSON, one datagram per session, to the AF_UNIX SOCK_DGRAM
#   SOCKET.  Postfix 3.10 is not packaged for Debian 12: this plays it.
# sendmail: a sendmail(8) for "filter-mtasts report send -m": the
#   message goes to SERVER port 25 (the MTA under test) over SMTP.
#   Exit 0 when the MTA took it, 75 otherwise.
# socketmap: the answer of the socketmap server for "NAME KEY", without
#   its netstring framing.
# count: FIELD (successful, failed, policies, report, attempts) of
#   DOMAIN in the output of "filter-mtasts report show" (file SHOW),
#   or "-" when it is not there.
# verify: the reports the collectors got: COLLECTORDIR (collector.py's
#   POSTs) and MBOX (the sink's mailbox of mx.reports.example), each
#   checked against RFC 8460 (4.4 JSON, 5.2 HTTPS, 5.3 mail) and what
#   the day at the MTAs should have produced.  Prints "ok - ..." and
#   "not ok - ..." lines, and one report decoded; writes each report's
#   JSON to EVENTSDIR/DOMAIN.json.

import base64
import email
import email.policy
import gzip
import json
import os
import re
import smtplib
import socket
import sys

T = "tlsrpt"
RESULT_TYPES = {
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-expired", "certificate-not-trusted", "validation-failure",
    "tlsa-invalid", "dnssec-invalid", "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"}
STS_ENFORCE = ["version: STSv1", "mode: enforce", "mx: mx1.enforce.example",
               "max_age: 86400"]


def dgram(sockpath, lines):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n = 0
    for line in lines:
        line = line.strip()
        if line:
            s.sendto(line.encode(), sockpath)
            n += 1
    print(n)
    return 0


def burst(sockpath, domain, n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d = json.dumps({"dpv": "1", "d": domain, "pr": "v=TLSRPTv1;rua=x",
                    "policies": [{"policy-type": 9, "t": 0, "f": 0}]})
    sent = 0
    for _ in range(int(n)):
        try:
            s.sendto(d.encode(), sockpath)
            sent += 1
        except OSError:
            break
    print(sent)
    return 0


def sendmail(server, args):
    try:
        frm = args[args.index("-f") + 1]
        rcpt = args[args.index("--") + 1]
    except (ValueError, IndexError):
        print("sendmail: usage: -i -f FROM -- RCPT", file=sys.stderr)
        return 64
    msg = sys.stdin.buffer.read()
    try:
        with smtplib.SMTP(server, 25, local_hostname="reporter.example",
                          timeout=30) as s:
            s.sendmail(frm, [rcpt], msg)
    except (OSError, smtplib.SMTPException) as e:
        print("sendmail: %s" % e, file=sys.stderr)
        return 75
    return 0


def socketmap(addr, name, key):
    host, port = addr.rsplit(":", 1)
    req = ("%s %s" % (name, key)).encode()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"%d:%s," % (len(req), req))
        buf = b""
        while True:
            m = re.match(rb"(\d+):", buf)
            if m and len(buf) >= m.end() + int(m.group(1)) + 1:
                print(buf[m.end():m.end() + int(m.group(1))].decode())
                return 0
            d = s.recv(65536)
            if not d:
                print("(closed) %r" % buf)
                return 1
            buf += d


def count(show, domain, field):
    with open(show) as fh:
        for line in fh:
            w = line.split()
            if len(w) > 2 and w[1] == domain:
                if field in w:
                    print(w[w.index(field) + 1])
                    return 0
    print("-")
    return 0


# -------------------------------------------------------------- verify

class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what, detail=None):
        if cond:
            print("ok - %s: %s" % (T, what))
        else:
            self.failed += 1
            print("not ok - %s: %s" % (T, what))
            for line in (detail or "").splitlines():
                print("# " + line)


def rfc8460(rep, day):
    """What does not conform to RFC 8460 4.4 in a report, or []."""
    bad = []
    keys = {"organization-name", "date-range", "contact-info", "report-id",
            "policies"}
    if set(rep) != keys:
        bad.append("members %s" % sorted(rep))
        return bad
    for k in ("organization-name", "contact-info", "report-id"):
        if not isinstance(rep[k], str) or not rep[k]:
            bad.append("%s not a string" % k)
    dr = rep["date-range"]
    if dr != {"start-datetime": day + "T00:00:00Z",
              "end-datetime": day + "T23:59:59Z"}:
        bad.append("date-range %r is not the UTC day %s" % (dr, day))
    if not isinstance(rep["policies"], list) or not rep["policies"]:
        bad.append("policies not a non-empty array")
        return bad
    for p in rep["policies"]:
        if set(p) != {"policy", "summary", "failure-details"}:
            bad.append("policy members %s" % sorted(p))
            continue
        pol = p["policy"]
        if not set(pol) <= {"policy-type", "policy-string", "policy-domain",
                            "mx-host"} or \
                pol.get("policy-type") not in ("sts", "tlsa",
                                               "no-policy-found") or \
                not isinstance(pol.get("policy-domain"), str):
            bad.append("policy %r" % pol)
        for k in ("policy-string", "mx-host"):
            if k in pol and (not isinstance(pol[k], list) or
                             not all(isinstance(s, str) for s in pol[k])):
                bad.append("%s not an array of strings" % k)
        s = p["summary"]
        if set(s) != {"total-successful-session-count",
                      "total-failure-session-count"} or \
                not all(isinstance(v, int) and v >= 0 for v in s.values()):
            bad.append("summary %r" % s)
        for fd in p["failure-details"]:
            if fd.get("result-type") not in RESULT_TYPES or \
                    not isinstance(fd.get("failed-session-count"), int) or \
                    fd["failed-session-count"] < 1:
                bad.append("failure detail %r" % fd)
            if not set(fd) <= {"result-type", "sending-mta-ip",
                               "receiving-mx-hostname", "receiving-mx-helo",
                               "receiving-ip", "failed-session-count",
                               "additional-information",
                               "failure-reason-code"}:
                bad.append("failure detail members %s" % sorted(fd))
    return bad


def domain_of(rep):
    # report-id: DAY.DOMAIN@SUBMITTER
    m = re.match(r"\d{4}-\d\d-\d\d\.(.+)@[^@]+$", rep.get("report-id", ""))
    return m.group(1) if m else None


def posts(cdir):
    out = []
    for f in sorted(os.listdir(cdir), key=lambda x: (len(x), x)):
        if not f.endswith(".json"):
            continue
        with open(os.path.join(cdir, f)) as fh:
            meta = json.load(fh)
        with open(os.path.join(cdir, f[:-5] + ".body"), "rb") as fh:
            meta["body"] = fh.read()
        out.append(meta)
    return out


def mails(mbox):
    if not os.path.exists(mbox):
        return []
    with open(mbox, "rb") as fh:
        data = fh.read()
    msgs = re.split(rb"(?m)^From \S+ .*\n", data)
    return [email.message_from_bytes(m, policy=email.policy.default)
            for m in msgs if m.strip()]


def policies(rep, ptype):
    return [p for p in rep["policies"] if p["policy"]["policy-type"] == ptype]


def details(rep, rtype):
    return [fd for p in rep["policies"] for fd in p["failure-details"]
            if fd["result-type"] == rtype]


def summary(p):
    return (p["summary"]["total-successful-session-count"],
            p["summary"]["total-failure-session-count"])


def expect(c, reports):
    """What the day at the MTAs should have produced, per domain."""
    r = reports.get
    rep = r("enforce.example")
    sts = rep and policies(rep, "sts")
    c.check(sts and len(sts) == 1 and sts[0]["policy"]["policy-string"] ==
            STS_ENFORCE and sts[0]["policy"]["mx-host"] ==
            ["mx1.enforce.example"] and summary(sts[0]) == (3, 1) and
            details(rep, "certificate-host-mismatch"),
            "enforce.example: one sts policy (Exim and Postfix sessions "
            "merged), 3 successful, 1 failed (certificate-host-mismatch, "
            "from a datagram)", json.dumps(rep))
    rep = r("mxwrongname.example")
    fd = rep and details(rep, "validation-failure")
    c.check(fd and fd[0].get("receiving-mx-hostname") ==
            "mx.mxwrongname.example" and "certificate" in
            fd[0].get("failure-reason-code", "") and
            summary(policies(rep, "sts")[0]) == (0, 1),
            "mxwrongname.example: Exim's certificate failure "
            "(msg:host:defer), validation-failure at its MX host",
            json.dumps(rep))
    rep = r("mxnotls.example")
    fd = rep and details(rep, "starttls-not-supported")
    c.check(fd and fd[0].get("receiving-ip", "").startswith("127.0.25.") and
            fd[0].get("sending-mta-ip") == "127.0.0.1",
            "mxnotls.example: starttls-not-supported, with both addresses",
            json.dumps(rep))
    rep = r("dane.example")
    tl = rep and policies(rep, "tlsa")
    c.check(tl and tl[0]["policy"]["policy-domain"] == "mx.dane.example" and
            re.match(r"3 1 1 [0-9A-F]{64}$",
                     tl[0]["policy"]["policy-string"][0]) and
            summary(tl[0])[0] >= 1,
            "dane.example: a tlsa policy for mx.dane.example with its "
            "record, a DANE-verified session", json.dumps(rep))
    rep = r("testing.example")
    sts = rep and policies(rep, "sts")
    c.check(sts and "mode: testing" in sts[0]["policy"]["policy-string"] and
            summary(sts[0])[0] >= 1,
            "testing.example: mode testing is reported too",
            json.dumps(rep))
    for d, rt in (("http500.example", "sts-policy-fetch-error"),
                  ("expired.example", "sts-webpki-invalid"),
                  ("badpolicy.example", "sts-policy-invalid"),
                  ("danebogus.example", "dnssec-invalid")):
        rep = r(d)
        c.check(rep and details(rep, rt),
                "%s: %s, found before any connection" % (d, rt),
                json.dumps(rep))
    rep = r("nomatch.example")
    fd = rep and details(rep, "validation-failure")
    c.check(fd and fd[0].get("receiving-mx-hostname") ==
            "mx.nomatch.example",
            "nomatch.example: enforce, no MX matches: validation-failure "
            "per MX host", json.dumps(rep))
    rep = r("reports.example")
    np = rep and policies(rep, "no-policy-found")
    c.check(np and summary(np[0]) == (1, 0) and len(rep["policies"]) == 1,
            "reports.example: the one message of the day counts, no report "
            "mail does (TLS-Required: No)", json.dumps(rep))


def verify(day, cdir, mbox, outdir):
    c = Checks()
    reports = {}
    # HTTPS (RFC 8460 5.2)
    ps = posts(cdir)
    by = {}
    for p in ps:
        try:
            rep = json.loads(gzip.decompress(p["body"]))
        except (OSError, ValueError) as e:
            c.check(False, "POST %s: gzip JSON" % p["path"], str(e))
            continue
        by.setdefault(domain_of(rep), []).append((p, rep))
    c.check(ps and all(p["method"] == "POST" and p["path"] == "/tlsrpt" and
                       p["headers"].get("content-type") ==
                       "application/tlsrpt+gzip" for p in ps),
            "https: %d POSTs of application/tlsrpt+gzip to the rua's path" %
            len(ps))
    https_domains = {"enforce.example", "mxwrongname.example",
                     "dane.example", "http500.example", "expired.example",
                     "nomatch.example", "danebogus.example",
                     "badpolicy.example"}
    for d in sorted(https_domains):
        got = by.get(d, [])
        st = [p["status"] for p, _ in got]
        if d == "danebogus.example":
            c.check(st and set(st) == {503},
                    "https %s: only failures (503), then dropped: %s" %
                    (d, st))
            continue
        c.check(st[:1] == [503] and st[-1:] == [201] and st.count(201) == 1,
                "https %s: failed while the collector failed (503), retried, "
                "then delivered once (201): %s" % (d, st))
        if got:
            reports[d] = got[-1][1]
    c.check(set(by) == https_domains,
            "https: reports for exactly the domains with an https rua",
            "got %s" % sorted(by))
    # mail (RFC 8460 5.3)
    mailto_domains = {"enforce.example", "mxnotls.example", "dane.example",
                      "testing.example", "nomatch.example",
                      "danebogus.example", "reports.example",
                      "badpolicy.example"}
    got = {}
    for m in mails(mbox):
        rd = m.get("TLS-Report-Domain")
        if rd is None:
            continue
        subj = " ".join(str(m["Subject"]).split())
        parts = [p for p in m.walk()
                 if p.get_content_type() == "application/tlsrpt+gzip"]
        ok = (m.get_content_type() == "multipart/report" and
              m.get_param("report-type") == "tlsrpt" and
              m["TLS-Report-Submitter"] == "sender.example" and
              m["TLS-Required"] == "No" and
              m["Auto-Submitted"] == "auto-generated" and
              re.match(r"Report Domain: %s Submitter: sender\.example "
                       r"Report-ID: <%s\.%s@sender\.example>$" %
                       (re.escape(rd), day, re.escape(rd)), subj) and
              len(parts) == 1 and
              re.match(r"sender\.example!%s!\d+!\d+\.json\.gz$" %
                       re.escape(rd), parts[0].get_filename() or ""))
        try:
            rep = json.loads(gzip.decompress(parts[0].get_content()))
        except (IndexError, OSError, ValueError):
            rep = None
        c.check(ok and rep is not None and domain_of(rep) == rd,
                "mail for %s: multipart/report; report-type=tlsrpt, the "
                "RFC 8460 5.3 subject and headers, TLS-Required: No, "
                "Auto-Submitted, a gzip JSON attachment named "
                "sender!domain!begin!end.json.gz" % rd,
                "subject %r\n%s" % (subj, m.as_string()[:600]))
        got.setdefault(rd, []).append(rep)
    c.check(set(got) == mailto_domains and
            all(len(v) == 1 for v in got.values()),
            "mail: one report for each domain with a mailto rua, none twice",
            "got %s" % {k: len(v) for k, v in got.items()})
    for d, v in got.items():
        if d in reports:
            c.check(v[0] == reports[d],
                    "%s: the same report both ways" % d)
        elif v[0] is not None:
            reports[d] = v[0]
    for d, rep in sorted(reports.items()):
        bad = rfc8460(rep, day)
        c.check(not bad, "%s: the report has RFC 8460 4.4's members and "
                "types, the day's date-range" % d, "\n".join(bad))
        with open(os.path.join(outdir, d + ".json"), "w") as fh:
            json.dump(rep, fh, indent=2)
    expect(c, reports)
    if "enforce.example" in reports:
        print("# one report, decoded (enforce.example):")
        for line in json.dumps(reports["enforce.example"],
                               indent=2).splitlines():
            print("#   " + line)
    return 1 if c.failed else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "dgram" and len(argv) == 3:
        return dgram(argv[2], sys.stdin)
    if len(argv) == 5 and argv[1] == "burst":
        return burst(argv[2], argv[3], argv[4])
    if len(argv) >= 3 and argv[1] == "sendmail":
        return sendmail(argv[2], argv[3:])
    if len(argv) == 5 and argv[1] == "socketmap":
        return socketmap(argv[2], argv[3], argv[4])
    if len(argv) == 5 and argv[1] == "count":
        return count(argv[2], argv[3], argv[4])
    if len(argv) == 6 and argv[1] == "verify":
        return verify(argv[2], argv[3], argv[4], argv[5])
    print("usage: see rpttool.py", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

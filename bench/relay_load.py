#!/usr/bin/env python3
# relay_load.py - the load of bench/relay.sh: N messages of SIZE bytes
# to RCPT through SERVER:25, over P SMTP sessions at once (a new
# transaction per message), each tagged X-Test-Id: TAG-I; then waits
# (at most 120 s) until the sink (sink.py, its events.jsonl) has them
# all and prints one line:
#   TAG n=N delivered=D rate=R msg/s latency median=M ms p90=Q ms
# rate: messages per second from the first submission to the last
# delivery; latency: from smtpd's 250 to the end of DATA until the
# sink had the message.  With P 0, the messages go one at a time over
# one session, each sent once the one before arrived: the latency of a
# message alone, without the queue of a load.
#
# usage: relay_load.py SERVER RCPT N P SIZE SINKEVENTS TAG
#        relay_load.py hop RELAY:PORT MX RCPT N SIZE
#
# "hop" measures the relay alone, without smtpd's queue: N messages of
# SIZE bytes one after the other, through the relay at RELAY:PORT, then
# straight to the MX host at address MX over STARTTLS (port 25, not
# verified; one session, as smtpd keeps its own), each the time of a
# whole transaction, MAIL to the 250 after the message; it prints both
# medians and their difference, the relay's cost.

import json
import smtplib
import socket
import ssl
import sys
import threading
import time



def hop_times(host, port, rcpt, n, body, tls):
    s = smtplib.SMTP(host, port, local_hostname="client.example", timeout=60)
    s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
    s.ehlo("client.example")
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        s.mail("sender@sender.example")
        s.rcpt(rcpt)
        s.putcmd("data")
        code, _ = s.getreply()
        if code != 354:
            raise SystemExit("DATA: %d" % code)
        s.send(body.encode() + b".\r\n")
        code, _ = s.getreply()
        out.append((time.perf_counter() - t0) * 1000)
        if code != 250:
            raise SystemExit("end of data: %d" % code)
    s.quit()
    out.sort()
    return out[len(out) // 2]


if sys.argv[1] == "hop":
    relay, mx, rcpt, n, size = sys.argv[2:7]
    line = "x" * 76 + "\r\n"
    body = "Subject: hop\r\n\r\n" + line * (int(size) // len(line))
    rh, rp = relay.rsplit(":", 1)
    hop_times(rh, int(rp), rcpt, 5, body, False)	# warm
    a = hop_times(rh, int(rp), rcpt, int(n), body, False)
    b = hop_times(mx, 25, rcpt, int(n), body, True)
    print("hop n=%s MAIL to 250: via the relay median=%.2f ms, "
          "straight to the MX host median=%.2f ms, added %.2f ms"
          % (n, a, b, a - b))
    sys.exit(0)

server, rcpt, n, p, size, events, tag = sys.argv[1:8]
n, p, size = int(n), int(p), int(size)
accepted = {}
lock = threading.Lock()
line = "x" * 76 + "\r\n"
body = line * (size // len(line))


def worker(ids, wait=False):
    s = smtplib.SMTP(server, 25, local_hostname="client.example", timeout=60)
    for i in ids:
        if wait:
            end = time.time() + 30
            while len(delivered()) < i and time.time() < end:
                time.sleep(0.001)
        tid = "%s-%d" % (tag, i)
        msg = ("From: <sender@sender.example>\r\nTo: <%s>\r\n"
               "Subject: bench\r\nX-Test-Id: %s\r\n\r\n%s" % (rcpt, tid, body))
        s.sendmail("sender@sender.example", [rcpt], msg)
        with lock:
            accepted[tid] = time.time()
    s.quit()


got = {}
offset = [0]


def delivered():
    try:
        with open(events) as fh:
            fh.seek(offset[0])
            while True:
                l = fh.readline()
                if not l.endswith("\n"):
                    break
                offset[0] += len(l)
                try:
                    e = json.loads(l)
                except ValueError:
                    continue
                t = e.get("test_id") or ""
                if e.get("event") == "message" and t.startswith(tag + "-"):
                    got.setdefault(t, e["ts"])
    except OSError:
        pass
    return got


delivered()	# what came before is not ours
got.clear()
start = time.time()
if p == 0:
    threads = [threading.Thread(target=worker, args=(range(n), True))]
else:
    threads = [threading.Thread(target=worker, args=(range(k, n, p),))
               for k in range(p)]
for t in threads:
    t.start()
for t in threads:
    t.join()
end = time.time() + 120
while True:
    got = delivered()
    if len(got) >= n or time.time() > end:
        break
    time.sleep(0.1)
lat = sorted((got[t] - accepted[t]) * 1000 for t in got if t in accepted)
last = max(got.values()) if got else start
rate = len(got) / (last - start) if last > start else 0
med = lat[len(lat) // 2] if lat else 0
p90 = lat[int(len(lat) * 0.9)] if lat else 0
print("%s n=%d delivered=%d rate=%.1f msg/s latency median=%.2f ms p90=%.2f ms"
      % (tag, n, len(got), rate, med, p90))

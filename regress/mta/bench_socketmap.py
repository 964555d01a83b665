#!/usr/bin/env python3
# bench_socketmap.py - load benchmark of the socketmap of "filter-mtasts
# daemon" (not a test: it asserts nothing but the answers' form).
#
#	bench_socketmap.py --socketmap 127.0.0.1:8461 [-n REQUESTS]
#	    [-c CONNECTIONS] [-d DEPTH] [-p PROCESSES] [DOMAIN ...]
#
# First one request per domain warms the daemon's memory (answers it
# must fetch first are waited for), then REQUESTS lookups go over
# CONNECTIONS connections, spread over PROCESSES client processes, each
# connection keeping DEPTH requests in flight (1: one request, one
# answer, as Postfix's smtp(8) does).  Prints lookups per second and the
# latency of each lookup (send to answer) at p50, p90, p99 and max.
# The domains default to those of regress/net/net.sh with a verdict.
# Bounded: every answer is waited for at most 30 s.

import argparse
import asyncio
import multiprocessing
import os
import sys
import time

DOMAINS = ["enforce.example", "nosts.example", "dane.example",
           "danests.example", "wildcard.example", "testing.example",
           "modenone.example", "cached.example"]
TIMEOUT = 30


def netstring(b):
    return b"%d:%s," % (len(b), b)


async def read_ns(reader):
    n = await reader.readuntil(b":")
    data = await reader.readexactly(int(n[:-1]) + 1)
    if data[-1:] != b",":
        raise ValueError("reply without comma")
    return data[:-1]


async def connection(host, port, reqs, depth, lat, answers):
    reader, writer = await asyncio.open_connection(host, port)
    sent = []
    i = 0
    try:
        while i < len(reqs) or sent:
            while i < len(reqs) and len(sent) < depth:
                writer.write(reqs[i])
                sent.append(time.perf_counter())
                i += 1
            await writer.drain()
            a = await asyncio.wait_for(read_ns(reader), TIMEOUT)
            lat.append(time.perf_counter() - sent.pop(0))
            answers[a.split(b" ", 1)[0]] = answers.get(a.split(b" ", 1)[0], 0) + 1
    finally:
        writer.close()


async def run_part(host, port, n, conns, depth, domains, offset):
    reqs = [netstring(b"postfix " + d.encode()) for d in domains]
    per = [n // conns + (1 if k < n % conns else 0) for k in range(conns)]
    lat, answers = [], {}
    tasks = []
    for k in range(conns):
        mine = [reqs[(offset + k + j) % len(reqs)] for j in range(per[k])]
        tasks.append(connection(host, port, mine, depth, lat, answers))
    await asyncio.gather(*tasks)
    return lat, answers


def part(args):
    host, port, n, conns, depth, domains, offset, start_at, q = args
    # all processes start together
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    c0 = os.times()
    lat, answers = asyncio.run(run_part(host, port, n, conns, depth, domains,
                                        offset))
    c1 = os.times()
    q.put((lat, answers, time.perf_counter() - t0,
           (c1.user - c0.user) + (c1.system - c0.system)))


async def warm(host, port, domains):
    reader, writer = await asyncio.open_connection(host, port)
    out = {}
    for d in domains:
        writer.write(netstring(b"postfix " + d.encode()))
        await writer.drain()
        out[d] = (await asyncio.wait_for(read_ns(reader), TIMEOUT)).decode()
    writer.close()
    return out


def pct(sorted_lat, p):
    if not sorted_lat:
        return float("nan")
    k = min(len(sorted_lat) - 1, max(0, int(round(p / 100.0 * len(sorted_lat))) - 1))
    return sorted_lat[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socketmap", default="127.0.0.1:8461")
    ap.add_argument("-n", type=int, default=20000, help="requests")
    ap.add_argument("-c", type=int, default=8, help="connections")
    ap.add_argument("-d", type=int, default=1, help="requests in flight per connection")
    ap.add_argument("-p", type=int, default=1, help="client processes")
    ap.add_argument("domains", nargs="*")
    a = ap.parse_args()
    host, port = a.socketmap.rsplit(":", 1)
    port = int(port)
    domains = a.domains or DOMAINS
    if a.c < a.p or a.n < a.c:
        sys.exit("need requests >= connections >= processes")

    t = time.perf_counter()
    w = asyncio.run(warm(host, port, domains))
    print("warm-up: %d domains in %.2f s" % (len(domains), time.perf_counter() - t))
    for d in domains:
        print("  %-20s %s" % (d, w[d]))

    q = multiprocessing.Queue()
    start_at = time.time() + 0.2
    procs = []
    for k in range(a.p):
        n = a.n // a.p + (1 if k < a.n % a.p else 0)
        c = a.c // a.p + (1 if k < a.c % a.p else 0)
        pr = multiprocessing.Process(target=part, args=((host, port, n, c, a.d,
                                                         domains, k, start_at, q),))
        pr.start()
        procs.append(pr)
    t0 = time.time()
    results = [q.get(timeout=TIMEOUT * 10) for _ in procs]
    for pr in procs:
        pr.join()
    wall = max(r[2] for r in results)
    lat = sorted(x for r in results for x in r[0])
    answers = {}
    for r in results:
        for k, v in r[1].items():
            answers[k.decode()] = answers.get(k.decode(), 0) + v
    cpu = sum(r[3] for r in results)
    del t0
    print("load: %d requests, %d connections, %d in flight each, %d client "
          "process(es), warm cache" % (len(lat), a.c, a.d, a.p))
    print("answers: %s" % ", ".join("%s %d" % kv for kv in sorted(answers.items())))
    print("throughput: %.0f lookups/s (%.2f s wall; client CPU %.2f s)" %
          (len(lat) / wall, wall, cpu))
    print("latency: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms" %
          tuple(1000 * pct(lat, p) for p in (50, 90, 99, 100)))
    return 0 if len(lat) == a.n else 1


if __name__ == "__main__":
    sys.exit(main())

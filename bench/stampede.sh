#!/bin/sh
# stampede.sh - many clients at once for one new domain (root; not a
# test): a daemon just started, an empty state directory, the network's
# resolver flushed, then N requests for DOMAIN in flight together (64
# connections, N/64 pipelined on each).  Prints the DNS queries the
# network's resolver received and the policy fetches nginx served:
# what the answer cost, however many asked.
#
# usage: sh bench/stampede.sh [N [DOMAIN]]	(default 1024 enforce.example)

B=stampede.sh
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/benchlib.sh
. "$top/bench/benchlib.sh"

n=${1:-1024}
domain=${2:-enforce.example}
conns=64
[ "$n" -ge "$conns" ] || conns=$n

bench_need
bench_start stampede

queries() {
	nsx unbound-control -c "$dir/unbound.conf" stats_noreset 2>/dev/null |
	    sed -n 's/^total.num.queries=//p'
}

fm_stop
nsx unbound-control -c "$dir/unbound.conf" flush_zone . >/dev/null
nsx unbound-control -c "$dir/unbound.conf" flush_bogus >/dev/null
fm_start || exit 1
f0=$(sh "$net" fetches "$dir" "$domain")
q0=$(queries)
res=$(sml -q -c "$conns" -p $(((n + conns - 1) / conns)) -n "$n" \
    -T 30000 "$SOCKETMAP" "$domain")
q1=$(queries)
f1=$(sh "$net" fetches "$dir" "$domain")
echo "$res"
echo "stampede, $n requests for $domain at once: last answered after" \
    "$(($(field max_us "$res") / 1000)) ms, $((q1 - q0)) DNS queries to" \
    "the resolver, $((f1 - f0)) policy fetches; $(field ok "$res") OK," \
    "$(field temp "$res") TEMP"

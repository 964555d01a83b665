#!/bin/sh
# Time filter-mtasts on the hermetic test network (root only): query
# a cold pass (empty state directory: DNS, policy fetch, cache write)
# and a cached pass (same directory: DNS only, no fetch), N runs each.
# The network's resolver is warm after the first run in both cases.
# usage: sh bench/query.sh [N]

n=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
fm=$top/filter-mtasts/filter-mtasts
work=$(mktemp -d)
export NET_NS=mtasts-bench
trap 'sh "$net" stop "$work/net" >/dev/null 2>&1; rm -rf "$work"' EXIT

sh "$net" start "$work/net" >/dev/null || exit 1

# run STATEDIR: one query, prints its wall time in microseconds
run() {
	t0=$(date +%s%N)
	sh "$net" exec "$work/net" "$fm" query -j -r 127.0.53.2 \
	    -a "$work/net/root.key" -c "$work/net/ca.pem" -s "$1" \
	    enforce.example >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

run "$work/warmup" >/dev/null
i=0
while [ $i -lt "$n" ]; do
	run "$work/cold.$i"
	i=$((i + 1))
done | median | awk '{ printf "cold query (fetch + cache write): median %.1f ms\n", $1 / 1000 }'
run "$work/cached" >/dev/null
i=0
while [ $i -lt "$n" ]; do
	run "$work/cached"
	i=$((i + 1))
done | median | awk '{ printf "cached query (no fetch): median %.1f ms\n", $1 / 1000 }'
i=0
while [ $i -lt "$n" ]; do
	t0=$(date +%s%N)
	sh "$net" exec "$work/net" /bin/true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
	i=$((i + 1))
done | median | awk '{ printf "process start in the namespace (overhead included above): median %.1f ms\n", $1 / 1000 }'
id _mtasts >/dev/null 2>&1 &&
    sh "$net" exec "$work/net" python3 "$top/bench/filter_rcpt.py" "$fm" \
    "$work/net" 2000

#!/bin/sh
# cold.sh - the cold pass (root; not a test): a daemon just started,
# with an empty state directory and libunbound's cache empty, and the
# network's resolver flushed, is asked at once about every domain of
# the test network but slow.example (its policy host stalls on
# purpose): the time until the last of them is answered, and the DNS
# queries the network's resolver received meanwhile.  Then the same
# domains once more, from memory.  ROUNDS runs (default 5), each with
# a new daemon; the median.
#
# usage: sh bench/cold.sh [ROUNDS]

set -u
B=cold.sh
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/benchlib.sh
. "$top/bench/benchlib.sh"

rounds=${1:-5}
domains=$(sed -n '/^DOMAINS="/,/"$/p' "$top/regress/net/net.sh" |
    tr -d '"' | sed 's/^DOMAINS=//' | tr ' ' '\n' | grep -v '^slow$' |
    grep . | sed 's/$/.example/' | tr '\n' ' ')
n=$(echo $domains | wc -w)

bench_need
bench_start cold

queries() {
	nsx unbound-control -c "$dir/unbound.conf" stats_noreset 2>/dev/null |
	    sed -n 's/^total.num.queries=//p'
}

: >"$work/times"
: >"$work/queries"
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	fm_stop
	rm -rf "$work/state"
	mkdir -p "$work/state"
	nsx unbound-control -c "$dir/unbound.conf" flush_zone . >/dev/null
	nsx unbound-control -c "$dir/unbound.conf" flush_bogus >/dev/null
	fm_start || exit 1
	q0=$(queries)
	# shellcheck disable=SC2086
	res=$(sml -q -c "$n" -p 1 -n "$n" -T 30000 "$SOCKETMAP" $domains)
	q1=$(queries)
	echo $(($(field max_us "$res") / 1000)) >>"$work/times"
	echo $((q1 - q0)) >>"$work/queries"
	say "round $r: $n domains, last answered after $(($(field max_us "$res") / 1000)) ms, $((q1 - q0)) queries to the resolver; $(field temp "$res") TEMP"
done
# shellcheck disable=SC2086
res=$(sml -q -c "$n" -p 1 -n "$n" -T 30000 "$SOCKETMAP" $domains)
echo
echo "cold pass, $n domains at once (median of $rounds): $(median <"$work/times") ms, $(median <"$work/queries") queries to the resolver"
echo "the same from memory: $(($(field max_us "$res") / 1000)) ms"

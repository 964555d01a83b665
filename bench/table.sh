#!/bin/sh
# table.sh - the performance table of filter-mtasts in one run (root;
# not a test): cached hits against a null server (hits.sh), the cold
# pass (cold.sh), 10 000 new domains without policy (scale.sh), the
# ${run} call (exim.sh), memory per cached verdict (mem.sh).  Each
# script's own output is kept in the work directory; the table sums
# them up.  "make bench" runs it.
#
# usage: sh bench/table.sh

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT

run() {
	name=$1
	shift
	echo "table.sh: $name ..." >&2
	sh "$top/bench/$name.sh" "$@" >"$out/$name" 2>&1 ||
	    { echo "table.sh: $name failed:" >&2; tail -n 20 "$out/$name" >&2; }
}

run hits 5 5
run cold 5
run scale 10000 10000
run exim 500
run mem 20000

hit() {
	awk -v s="$1" '$1 == s && $2 ~ /^[0-9]+$/ { print $2, $3, $4; exit }' \
	    "$out/hits"
}
set -- $(hit 64x1)
h1="$1 req/s, null $2 ($3x)"
set -- $(hit 8x16)
h2="$1 req/s, null $2 ($3x)"
cold=$(sed -n 's/^cold pass, [0-9]* domains at once (median of [0-9]*): //p' "$out/cold")
flood=$(awk '$1 == "0" && $2 == "10000" { print $3 " req/s, " $7 " TEMP" }' "$out/scale")
exim=$(sed -n 's/^exim DOMAIN, verdict on disk: //p' "$out/exim")
mem=$(sed -n 's/.*verdicts in use: //p' "$out/mem")

printf '%-44s %s\n' "measurement" "result"
printf '%-44s %s\n' "cached hit, 64 conns x 1" "$h1"
printf '%-44s %s\n' "cached hit, 8 x 16 pipelined" "$h2"
printf '%-44s %s\n' "cold pass, every test domain but slow" "$cold"
printf '%-44s %s\n' "10 000 new domains without policy" "$flood"
printf '%-44s %s\n' "exim DOMAIN (\${run}), verdict on disk" "$exim"
printf '%-44s %s\n' "memory per cached verdict (front)" "$mem"
printf '%-44s %s\n' "memory per pass in flight (network)" \
    "4 712 B, and 296 B per MX host (sizeof, lib/pass.h)"

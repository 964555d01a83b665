#!/bin/sh
# exim.sh - the cost of one "filter-mtasts exim DOMAIN" call, as Exim's
# ${run} makes it, when a verdict in date is on disk, against /bin/true
# (not a test; no network needed).  N calls each (default 500), the
# mean wall time per call; hyperfine's figures too when it is there.
#
# usage: sh bench/exim.sh [N]

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
n=${1:-500}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 700 "$dir"
mkdir "$dir/.verdicts"
printf 'filter-mtasts-verdict 1\nexpires %s\nstatus 0\nline MTA-STS mx1.saved.example\n' \
    $(($(date +%s) + 600)) >"$dir/.verdicts/saved.example"
[ "$("$FILTER_MTASTS" exim -s "$dir" saved.example)" = \
    "MTA-STS mx1.saved.example" ] || { echo "exim.sh: no answer from disk"; exit 1; }

# per_call CMD...: mean milliseconds of n runs.
per_call() {
	pc_t0=$(date +%s%N)
	pc_i=0
	while [ $pc_i -lt "$n" ]; do
		"$@" >/dev/null
		pc_i=$((pc_i + 1))
	done
	echo "$(( ($(date +%s%N) - pc_t0) / n / 1000 ))"
}

x=$(per_call "$FILTER_MTASTS" exim -s "$dir" saved.example)
t=$(per_call /bin/true)
printf 'exim DOMAIN, verdict on disk: %d.%03d ms per call; /bin/true: %d.%03d ms (%d calls, from sh)\n' \
    $((x / 1000)) $((x % 1000)) $((t / 1000)) $((t % 1000)) "$n"
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 20 -r "$n" "$FILTER_MTASTS exim -s $dir saved.example" \
	    /bin/true 2>/dev/null | grep -E 'Benchmark|Time'
fi

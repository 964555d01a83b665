#!/bin/sh
# mem.sh - memory per cached verdict in the front of the daemon (root;
# not a test): N never-seen domains asked about twice each, so that
# each is a verdict in use (past probation), through the socketmap;
# the front's resident set before and after, per verdict.
#
# usage: sh bench/mem.sh [N]	(default 20000, at most the memory's
#				 50000 verdicts)

set -u
B=mem.sh
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/benchlib.sh
. "$top/bench/benchlib.sh"

n=${1:-20000}

bench_need
bench_start mem
before=$(rss "$fm_pid")
for pass in 1 2; do
	res=$(sml -q -c 64 -p 1 -n "$n" -g mem.example -T 30000 "$SOCKETMAP")
	say "pass $pass: $(field rate "$res") req/s, $(field temp "$res") TEMP"
done
after=$(rss "$fm_pid")
echo
echo "front: $before KiB before, $after KiB after $n verdicts in use:" \
    "$(( (after - before) * 1024 / n )) bytes per cached verdict"

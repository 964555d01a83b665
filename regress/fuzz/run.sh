#!/bin/sh
# Run the libFuzzer targets that "make fuzz" builds.
#	sh regress/fuzz/run.sh SECONDS	each target for SECONDS
#	sh regress/fuzz/run.sh -s	smoke test: each target for 50000 runs
# One line per target: "ok - fuzz_X: N execs, no crash",
# "not ok - fuzz_X: crashed (artifact: PATH)" or "skip - fuzz_X: not built".
# Exits 1 when a target crashed, 2 on a usage error.
#
# The targets run one after the other, on a temporary copy of
# seeds/X, so a run never writes into the tree.  The temporary
# directory is removed unless it holds a crash artifact; the
# sanitizer report then goes to stderr.  With FUZZ_LOGDIR set,
# libFuzzer's output is also kept there as fuzz_X.log.

usage() {
	echo "usage: sh run.sh seconds | -s" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in
-s)
	limit=-runs=50000
	;;
''|*[!0-9]*)
	usage
	;;
*)
	# libFuzzer takes -max_total_time=0 as "no limit".
	[ "$1" -gt 0 ] || usage
	limit=-max_total_time=$1
	;;
esac

dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-mtasts.XXXXXXXX") || exit 2
keep=0
failed=0

cleanup() {
	if [ "$keep" -eq 0 ]; then
		rm -rf "$tmp"
	else
		rm -rf "$tmp"/corpus-*
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Total executions: the final stats, else the "Done N runs" line.
execs() {
	n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' \
	    "$1" | tail -n 1)
	if [ -z "$n" ]; then
		n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$1" | tail -n 1)
	fi
	echo "${n:-unknown}"
}

fuzz() {
	name=$1
	bin=$dir/$name
	if [ ! -x "$bin" ]; then
		echo "skip - $name: not built"
		return
	fi
	corpus=$tmp/corpus-$name
	art=$tmp/artifacts-$name
	log=$tmp/$name.log
	mkdir -p "$corpus" "$art" || exit 2
	seeds=$dir/seeds/${name#fuzz_}
	if [ -d "$seeds" ]; then
		for f in "$seeds"/*; do
			[ -f "$f" ] && cp "$f" "$corpus/"
		done
	fi
	"$bin" "$limit" -timeout=30 -print_final_stats=1 \
	    -artifact_prefix="$art/" "$corpus" >"$log" 2>&1
	rc=$?
	if [ -n "$FUZZ_LOGDIR" ]; then
		cp "$log" "$FUZZ_LOGDIR/$name.log"
	fi
	artifact=
	for f in "$art"/*; do
		if [ -f "$f" ]; then
			artifact=$f
			break
		fi
	done
	if [ $rc -eq 0 ] && [ -z "$artifact" ]; then
		echo "ok - $name: $(execs "$log") execs, no crash"
		return
	fi
	keep=1
	failed=1
	echo "not ok - $name: crashed" \
	    "(artifact: ${artifact:-none, exit status $rc})"
	# The report is what CI logs need; the input is in the artifact.
	grep -v '^#[0-9]* *\(NEW\|REDUCE\|pulse\|INITED\|RELOAD\)' "$log" |
	    tail -n 60 >&2
}

for t in fuzz_record fuzz_policy fuzz_match fuzz_http fuzz_dns_wire \
    fuzz_vwire fuzz_netstring fuzz_ipc fuzz_cache fuzz_tablesrv \
    fuzz_table_text fuzz_table_imsg fuzz_exim fuzz_vstore \
    fuzz_smtp_reply fuzz_rptdgram fuzz_relay fuzz_tlsrpt_record; do
	fuzz $t
done
exit $failed

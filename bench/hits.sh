#!/bin/sh
# hits.sh - cached-hit throughput of the daemon's socketmap against the
# machine's ceiling (root; not a test).  Starts the hermetic network,
# "filter-mtasts daemon" in it and bench/nullsm beside it (same
# namespace, same loopback, answering every request at once with the
# daemon's answer for enforce.example), warms a small set of domains
# in the daemon, then runs bench/smload against each, interleaved,
# ROUNDS times SECONDS per run, for 64 connections x 1 request in
# flight (Postfix's way: one smtp(8) process, one request) and 8
# connections x 16 pipelined.  Prints the median rate and latency of
# each, and the daemon's rate as a share of nullsm's (the median of
# the rounds' shares: the load of a shared machine drifts).
#
# Then, for STRACE_N requests of each shape against each server: with
# perf(1), the server's system calls, CPU time and context switches
# per request (perf stat -p: counters, no slowdown); with strace(1),
# its system calls by name (strace -c -f -p on the daemon's front).
#
# usage: sh bench/hits.sh [SECONDS [ROUNDS]]
#
# env: STRACE_N (20000), and those of bench/benchlib.sh (FILTER_MTASTS,
#      NET_NS, BENCH_KEEP)

set -u
B=hits.sh
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/benchlib.sh
. "$top/bench/benchlib.sh"

secs=${1:-5}
rounds=${2:-5}
strace_n=${STRACE_N:-20000}
SHAPES="64x1 8x16"
DOMAINS="enforce.example wildcard.example nosts.example dane.example
danests.example testing.example modenone.example cached.example"
ENFORCE="OK secure match=mx1.enforce.example servername=hostname"

bench_need
bench_start hits
null_start "$ENFORCE" || exit 1

# each twice: the second use moves a verdict past probation
for d in $DOMAINS $DOMAINS; do
	w=$(sml -W TEMP -t 60 "$SOCKETMAP" "$d")
	[ "$(field reached "$w")" = 1 ] || { say "$d: no answer: $w"; exit 1; }
done
for d in $DOMAINS; do
	w=$(sml -W TEMP -t 5 "$SOCKETMAP" "$d")
	printf '%s: %s\n' "$d" "${w#*answer=}"
done >"$work/answers"
say "warm: $(wc -l <"$work/answers") domains: $(tr '\n' ';' <"$work/answers" | cut -c1-300)"

# run TARGET SHAPE: one timed run; its result line in $work/res
run() {
	case $1 in
	daemon)	rn_a=$SOCKETMAP ;;
	null)	rn_a=$NULLADDR ;;
	esac
	# shellcheck disable=SC2086
	sml -q -c "${2%x*}" -p "${2#*x}" -t "$secs" -T 10000 "$rn_a" \
	    $DOMAINS | grep '^result' >>"$work/res.$1.$2"
}

say "$rounds rounds of $secs s per run, interleaved: $SHAPES, daemon and nullsm"
r=0
while [ "$r" -lt "$rounds" ]; do
	for s in $SHAPES; do
		run daemon "$s"
		run null "$s"
	done
	r=$((r + 1))
done

# med TARGET SHAPE FIELD: the median of FIELD over the runs
med() {
	while read -r md_l; do
		field "$3" " $md_l"
	done <"$work/res.$1.$2" | median
}

# bad TARGET SHAPE: answers that were not answers, over all runs
bad_sum() {
	while read -r bs_l; do
		echo $(($(field temp " $bs_l") + $(field timeout " $bs_l") + \
		    $(field lost " $bs_l") + $(field other " $bs_l")))
	done <"$work/res.$1.$2" | awk '{ s += $1 } END { print s + 0 }'
}

echo
echo "cached hits, socketmap over TCP on 127.0.0.1, median of $rounds runs of $secs s"
# ratio SHAPE: the median over the rounds of daemon/null, each round's
# two runs side by side in time (the load of the machine drifts)
ratio() {
	sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$work/res.daemon.$1" >"$work/rd"
	sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$work/res.null.$1" >"$work/rn"
	paste "$work/rd" "$work/rn" | awk '$2 > 0 { printf "%.3f\n", $1 / $2 }' |
	    median
}

printf '%-7s %12s %12s %8s %18s %18s %8s\n' shape daemon_req/s null_req/s \
    ratio daemon_p50/p99_us null_p50/p99_us bad
for s in $SHAPES; do
	dr=$(med daemon "$s" rate) nr=$(med null "$s" rate)
	printf '%-7s %12s %12s %8s %18s %18s %8s\n' "$s" "$dr" "$nr" \
	    "$(ratio "$s")" \
	    "$(med daemon "$s" p50_us)/$(med daemon "$s" p99_us)" \
	    "$(med null "$s" p50_us)/$(med null "$s" p99_us)" \
	    "$(($(bad_sum daemon "$s") + $(bad_sum null "$s")))"
done
echo "(ratio: the median of daemon/null within each round; bad: TEMP, other,"
echo "timeout or lost answers; the rates of the runs, in order:)"
for s in $SHAPES; do
	for t in daemon null; do
		printf '  %-6s %-5s %s\n' "$t" "$s" "$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' \
		    "$work/res.$t.$s" | tr '\n' ' ')"
	done
done

# target TARGET: its address
target() {
	case $1 in
	daemon)	echo "$SOCKETMAP" ;;
	null)	echo "$NULLADDR" ;;
	esac
}

# counted PID TARGET SHAPE: perf stat on PID (the daemon's front or
# nullsm) for strace_n requests of SHAPE: system calls, CPU time and
# context switches per request, without slowing it down
counted() {
	# shellcheck disable=SC2086
	perf stat -x ';' -e raw_syscalls:sys_enter,task-clock,context-switches \
	    -p "$1" -o "$work/perf.out" -- nsenter --net="/run/netns/$NET_NS" -- \
	    "$SMLOAD" -q -c "${3%x*}" -p "${3#*x}" -n "$strace_n" -T 30000 \
	    "$(target "$2")" $DOMAINS >"$work/perf.res" 2>&1
	ct_n=$(field n "$(grep '^result' "$work/perf.res")")
	awk -F ';' -v n="${ct_n:-0}" -v who="$2" -v shape="$3" '
	    $3 == "raw_syscalls:sys_enter" { sc = $1 }
	    $3 == "task-clock" { ms = $1 }
	    $3 == "context-switches" { cs = $1 }
	    END { if (n > 0 && sc != "")
		printf "%-7s %-7s %8d %10.2f %12.2f %10.2f\n", who, shape, n,
		    sc / n, ms * 1000 / n, cs / n
		else print who, shape, "perf stat failed" }' "$work/perf.out"
}

# straced PID TARGET SHAPE: strace -c on PID for strace_n requests of
# SHAPE: the system calls, by name, per request
straced() {
	strace -c -f -p "$1" -o "$work/strace.out" 2>"$work/strace.err" &
	st_pid=$!
	st_end=$(($(now) + WAIT))
	until [ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$1/status")" != 0 ]; do
		if gone "$st_pid" || [ "$(now)" -ge "$st_end" ]; then
			say "strace does not attach: $(cat "$work/strace.err")"
			return 1
		fi
		sleep 0.05
	done
	# shellcheck disable=SC2086
	st_r=$(sml -q -c "${3%x*}" -p "${3#*x}" -n "$strace_n" -T 30000 \
	    "$(target "$2")" $DOMAINS | grep '^result')
	kill -INT "$st_pid"
	wait "$st_pid"
	st_n=$(field n " $st_r")
	st_total=$(awk '$NF == "total" { print $4 }' "$work/strace.out")
	st_top=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $4, $NF }' \
	    "$work/strace.out" | sort -nr | head -n 6 |
	    awk -v n="$st_n" '{ printf " %s %.2f", $2, $1 / n }')
	printf '%-7s %-7s %8d %10d %8s %s\n' "$2" "$3" "$st_n" "$st_total" \
	    "$(awk -v t="$st_total" -v n="$st_n" 'BEGIN { printf "%.2f", t / n }')" \
	    "$st_top"
}

if have perf; then
	echo
	echo "per request, perf stat -p on the server ($strace_n requests each, no slowdown)"
	printf '%-7s %-7s %8s %10s %12s %10s\n' server shape requests syscalls \
	    cpu_us ctx_switch
	for s in $SHAPES; do
		counted "$fm_pid" daemon "$s"
		counted "$null_pid" null "$s"
	done
else
	say "perf not installed: no system call or CPU counts"
fi

if have strace; then
	echo
	echo "system calls by name, strace -c -f -p on the server ($strace_n requests each;"
	echo "strace slows the server, so pipelined requests arrive in larger batches: 8x16 counts are a lower bound)"
	printf '%-7s %-7s %8s %10s %8s  %s\n' server shape requests syscalls \
	    per_req "by call (per request)"
	for s in $SHAPES; do
		straced "$fm_pid" daemon "$s"
		straced "$null_pid" null "$s"
	done
else
	say "strace not installed: no system calls by name"
fi
exit 0

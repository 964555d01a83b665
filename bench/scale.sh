#!/bin/sh
# scale.sh - a flood of new domains through the daemon's socketmap
# (root; not a test).  Starts the hermetic network (regress/net/net.sh)
# and "filter-mtasts daemon" in it, then sends COUNT distinct names
# d0.SUFFIX, d1.SUFFIX, ... (default under example.: names that do not
# exist, so each one is a DNSSEC-validated NXDOMAIN) with bench/smload,
# SLICE names per run.  After each slice: its rate and latency, its
# TEMP, timeouts and lost requests, the resident memory (VmRSS) of the
# front and of the network process, their CPU time per request (user +
# system, /proc/PID/stat; far below 1e6 / rate: the time goes to
# waiting, e.g. on the disk), and the entries of the state directory.  Then how long until
#   - enforce.example (in use before the flood) is answered
#     "OK secure match=mx1.enforce.example ...",
#   - wildcard.example (first asked after the flood: DNS and a policy
#     fetch) is answered "OK secure match=a.mx.wildcard.example ...",
#   - a never-seen domain gets an answer that is not TEMP.
#
# usage: sh bench/scale.sh [COUNT [SLICE]]
#
# env: SCALE_CONNS (64), SCALE_DEPTH (1): smload's -c and -p
#      SCALE_SUFFIX (example): the flood's names are d<N>.SUFFIX
#      SCALE_TIMEOUT (30000): smload's per-request timeout, ms (the
#        daemon answers TEMP itself after 25 s)
#      and those of bench/benchlib.sh (FILTER_MTASTS, NET_NS, BENCH_KEEP)

set -u
B=scale.sh
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/benchlib.sh
. "$top/bench/benchlib.sh"

count=${1:-100000}
slice=${2:-10000}
conns=${SCALE_CONNS:-64}
depth=${SCALE_DEPTH:-1}
suffix=${SCALE_SUFFIX:-example}
timeout=${SCALE_TIMEOUT:-30000}
ENFORCE="OK secure match=mx1.enforce.example servername=hostname"
WILDCARD="OK secure match=a.mx.wildcard.example servername=hostname"

bench_need
bench_start scale
say "filter-mtasts daemon: front pid $fm_pid, network process pid $np_pid"
say "at start: front RSS $(rss "$fm_pid") KiB, network process RSS $(rss "$np_pid") KiB"

# enforce.example in use, as a domain mail goes to: twice, so its
# verdict is past the front's probation
w=$(sml -w "$ENFORCE" -t 60 "$SOCKETMAP" enforce.example)
say "before the flood: enforce.example (cold: DNS + policy fetch) $(field secs "$w") s, $(field tries "$w") tries"
w=$(sml -w "$ENFORCE" -t 60 "$SOCKETMAP" enforce.example)
say "before the flood: enforce.example (cached) $(field secs "$w") s"

say "flood: $count names d<N>.$suffix, $conns connections x $depth, slices of $slice"
printf '%7s %6s %7s %8s %8s %8s %5s %7s %9s %9s %8s %8s %7s\n' from n rate/s \
    p50_ms p99_ms max_ms TEMP to+lost front_KiB netp_KiB fr_us/rq np_us/rq entries
from=0 temp=0 fail=0 rates=
tck=$(getconf CLK_TCK)
fc0=$(cpu_ticks "$fm_pid") nc0=$(cpu_ticks "$np_pid")
t0=$(date +%s%N)
while [ "$from" -lt "$count" ]; do
	n=$slice
	[ $((from + n)) -gt "$count" ] && n=$((count - from))
	r=$(sml -q -c "$conns" -p "$depth" -n "$n" -T "$timeout" \
	    -g "$suffix" -o "$from" "$SOCKETMAP" | grep '^result')
	if [ -z "$r" ]; then
		say "smload failed at $from; the daemon's log:"
		tail -n 5 "$fm_log"
		exit 1
	fi
	st=$(field temp "$r")
	sf=$(($(field timeout "$r") + $(field lost "$r")))
	temp=$((temp + st)) fail=$((fail + sf))
	rates="$rates $(field rate "$r")"
	fc1=$(cpu_ticks "$fm_pid") nc1=$(cpu_ticks "$np_pid")
	printf '%7d %6d %7s %8s %8s %8s %5d %7d %9s %9s %8s %8s %7d\n' "$from" "$n" \
	    "$(field rate "$r")" \
	    "$(awk -v u="$(field p50_us "$r")" 'BEGIN { printf "%.2f", u / 1000 }')" \
	    "$(awk -v u="$(field p99_us "$r")" 'BEGIN { printf "%.2f", u / 1000 }')" \
	    "$(awk -v u="$(field max_us "$r")" 'BEGIN { printf "%.1f", u / 1000 }')" \
	    "$st" "$sf" "$(rss "$fm_pid")" "$(rss "$np_pid")" \
	    "$(awk -v t=$((fc1 - fc0)) -v k="$tck" -v n="$n" 'BEGIN { printf "%.0f", t * 1e6 / k / n }')" \
	    "$(awk -v t=$((nc1 - nc0)) -v k="$tck" -v n="$n" 'BEGIN { printf "%.0f", t * 1e6 / k / n }')" \
	    "$(entries "$work/state")"
	fc0=$fc1 nc0=$nc1
	from=$((from + n))
done
t1=$(date +%s%N)
say "flood: $count names in $(awk -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", t / 1e9 }') s, $temp TEMP, $fail timeouts or lost"

w1=$(sml -w "$ENFORCE" -t 60 "$SOCKETMAP" enforce.example)
w2=$(sml -w "$WILDCARD" -t 60 "$SOCKETMAP" wildcard.example)
w3=$(sml -W TEMP -t 60 -g "$suffix" -o $((count + 1000000)) "$SOCKETMAP")
echo
echo "summary: $count new domains through the socketmap, $conns x $depth"
printf '  %-58s %s\n' "rate per slice (req/s): first / lowest / last" \
    "$(echo "$rates" | awk '{ m = $1; for (i = 2; i <= NF; i++) if ($i < m) m = $i
	printf "%s / %s / %s", $1, m, $NF }')"
printf '  %-58s %s\n' "TEMP answers during the flood" "$temp"
printf '  %-58s %s\n' "timeouts + lost requests" "$fail"
printf '  %-58s %s\n' "front RSS now (KiB)" "$(rss "$fm_pid")"
printf '  %-58s %s\n' "network process RSS now (KiB)" "$(rss "$np_pid")"
printf '  %-58s %s\n' "state directory entries" "$(entries "$work/state")"
printf '  %-58s %s s (%s tries): %s\n' "enforce.example, in use before: until OK secure match=" \
    "$(field secs "$w1")" "$(field tries "$w1")" "$(field reached "$w1" | sed 's/1/reached/;s/0/NOT reached/')"
printf '  %-58s %s s (%s tries): %s\n' "wildcard.example, first seen now: until OK secure match=" \
    "$(field secs "$w2")" "$(field tries "$w2")" "$(field reached "$w2" | sed 's/1/reached/;s/0/NOT reached/')"
printf '  %-58s %s s (%s tries): %s\n' "d$((count + 1000000)).$suffix, never seen: until not TEMP" \
    "$(field secs "$w3")" "$(field tries "$w3")" "${w3#*answer=}"
gone "$fm_pid" && say "the daemon is gone: $(tail -n 3 "$fm_log")"
nw=$(grep -vc 'ready' "$fm_log")
[ "$nw" -eq 0 ] || say "daemon log: $nw lines besides ready, the last: $(tail -n 3 "$fm_log")"
exit 0

# shellcheck shell=sh disable=SC2154
# (SC2154: top is set by the caller)

# benchlib.sh - what bench/scale.sh and bench/hits.sh share: the hermetic
# network of regress/net/net.sh with "filter-mtasts daemon" running in
# it (as regress/mta/mta.sh starts it), smload run inside it, and the
# readings taken between runs.  POSIX sh, set -u safe; sourced after
# setting $top:  . "$top/bench/benchlib.sh"
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         network namespace (default mtasts-benchPID)
#      BENCH_KEEP=1   keep the work directory (its path is printed)

# shellcheck source=SCRIPTDIR/../regress/lib.sh
. "$top/regress/lib.sh"

SMLOAD=$top/bench/smload
NULLSM=$top/bench/nullsm
RESOLVER=127.0.53.2
SOCKETMAP=127.0.0.1:8461
NULLADDR=127.0.0.1:8470
WAIT=30			# seconds for the daemon or nullsm to come up
STOP_WAIT=10
KEEP=${BENCH_KEEP:-}
fm_pid='' null_pid='' work=''

say() {
	echo "$B: $*"
}

# bench_need: root, the network's tools, the programs built.
bench_need() {
	[ "$(id -u)" -eq 0 ] || { say "must run as root (network namespaces)"; exit 1; }
	for bn_c in ip nsenter setsid nsd unbound nginx ldns-keygen \
	    ldns-signzone dig curl openssl python3 ps; do
		have "$bn_c" || { say "$bn_c not installed (sh regress/mta/mta.sh setup)"; exit 1; }
	done
	id _mtasts >/dev/null 2>&1 || { say "no user _mtasts (sh regress/mta/mta.sh setup)"; exit 1; }
	for bn_p in "$FILTER_MTASTS" "$SMLOAD" "$NULLSM"; do
		[ -x "$bn_p" ] || { say "$bn_p is not built (make all bench-progs)"; exit 1; }
	done
}

# bench_start NAME: the work directory, the network, the daemon.
bench_start() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1-bench.XXXXXX") || exit 1
	chmod 755 "$work"
	dir=$work/net
	mkdir -p "$work/state" "$work/run"
	NET_NS=${NET_NS:-mtasts-$1$$}
	export NET_NS
	trap bench_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	if ! sh "$net" start "$dir" >"$work/net.err" 2>&1; then
		say "the network does not start:"
		cat "$work/net.err"
		exit 1
	fi
	ns_ino=$(stat -L -c %i "/run/netns/$NET_NS")
	fm_start || exit 1
}

# fm_start: "filter-mtasts daemon" in the network, state in $work/state;
# waits for "ready".  fm_pid is the front, np_pid the network process.
fm_start() {
	fm_log=$work/filter-mtasts.log
	: >"$fm_log"
	spawn "$fm_log" "$FILTER_MTASTS" daemon -r "$RESOLVER" \
	    -a "$dir/root.key" -c "$dir/ca.pem" -s "$work/state" -u _mtasts \
	    -l "socketmap=$SOCKETMAP" -l "exim=unix:$work/run/exim.sock"
	fm_pid=$!
	fs_end=$(($(now) + WAIT))
	until grep -q 'filter-mtasts: ready' "$fm_log" 2>/dev/null; do
		if gone "$fm_pid" || [ "$(now)" -ge "$fs_end" ]; then
			say "filter-mtasts daemon not ready: $(tail -n 5 "$fm_log")"
			return 1
		fi
		sleep 0.05
	done
	# the front's child is the spawner, whose child is the network process
	np_pid=$(ps --ppid "$fm_pid" -o pid= | awk 'NR == 1 { print $1 }')
	[ -n "$np_pid" ] &&
	    np_pid=$(ps --ppid "$np_pid" -o pid= | awk 'NR == 1 { print $1 }')
	[ -n "$np_pid" ] || { say "no network process under $fm_pid"; return 1; }
}

# null_start REPLY: bench/nullsm on $NULLADDR in the network.
null_start() {
	setsid nsenter --net="/run/netns/$NET_NS" -- "$NULLSM" -r "$1" \
	    "$NULLADDR" >"$work/nullsm.log" 2>&1 </dev/null &
	null_pid=$!
	ns_end=$(($(now) + WAIT))
	until grep -q 'listening' "$work/nullsm.log" 2>/dev/null; do
		if gone "$null_pid" || [ "$(now)" -ge "$ns_end" ]; then
			say "nullsm does not start: $(cat "$work/nullsm.log")"
			return 1
		fi
		sleep 0.05
	done
}

# fm_stop: the daemon, if it runs, TERM then KILL.
fm_stop() {
	stop_pid "$fm_pid"
	fm_pid=''
}

bench_cleanup() {
	trap '' PIPE
	trap - EXIT HUP INT TERM
	stop_pid "$null_pid"
	stop_pid "$fm_pid"
	[ -s "$dir/netns" ] && sh "$net" stop "$dir" >/dev/null 2>&1
	if [ "$KEEP" = 1 ]; then
		say "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}

# sml ARGS...: smload inside the network.
sml() {
	nsx "$SMLOAD" "$@"
}

# field NAME LINE: the value of NAME= in one of smload's lines.
field() {
	printf '%s\n' "$2" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

# rss PID: resident set in KiB (VmRSS), "-" if the process is gone.
rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null | grep . || echo -
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# entries DIR: cache files in a state directory (not temporary ones).
entries() {
	find "$1" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l
}

# median: of the numbers on standard input, one per line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

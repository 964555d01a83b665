#!/bin/sh
# hostile_server.sh - "filter-mtasts daemon" against hostile local
# clients: one that pipelines and never reads, slow-drip connections
# that fill a socket, half-sent requests; and a second daemon whose
# limit of 64 open files gives each of its 3 sockets 10 connections,
# filled with idle clients and clients that never read.  The daemons
# run with no network (a network namespace of their own when root):
# every key asked is an address literal, answered without DNS.  The
# checks are in regress/mta/proto_test.py --hostile; they assert
# answers, closes and a bound on the memory of the front, never
# durations.
#
# usage: sh hostile_server.sh

set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
top=$(cd "$(dirname "$0")/.." && pwd)
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
T=hostile
WAIT=20			# seconds: upper bound for the daemon to start

skip() {
	echo "skip - $T: $*"
	exit 0
}

[ -x "$FILTER_MTASTS" ] || skip "$FILTER_MTASTS is not built"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ -r /proc/self/status ] || skip "no /proc"

user=_mtasts
netns=
if [ "$(id -u)" -eq 0 ]; then
	id "$user" >/dev/null 2>&1 ||
	    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$user" ||
	    skip "cannot create user $user"
	# no network at all: a resolver that cannot be reached
	unshare --net true 2>/dev/null && netns="unshare --net --"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX") || exit 1
chmod 755 "$work"
pids=
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# The root zone's DS (RFC 7958 format as unbound reads it): never used,
# as no key asked here needs DNS, but the daemon wants an anchor.
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
    >"$work/root.key"

# start NAME [NOFILE]: a daemon with sockets $work/NAME-{sm,sm2,exim}.sock
# and that limit on open files; sets pid.  $netns execs the daemon, so
# pid is the front process.  (ulimit -n: dash, bash and ksh have it.)
# shellcheck disable=SC3045
start() {
	mkdir "$work/$1.state"
	: >"$work/$1.log"
	(ulimit -n "${2:-$(ulimit -n)}" && exec $netns "$FILTER_MTASTS" daemon -r 127.0.0.1 \
	    -a "$work/root.key" -s "$work/$1.state" -u "$user" \
	    -l "socketmap=unix:$work/$1-sm.sock" \
	    -l "socketmap=unix:$work/$1-sm2.sock" \
	    -l "exim=unix:$work/$1-exim.sock") >"$work/$1.log" 2>&1 &
	pid=$!
	pids="$pids $pid"
	end=$(($(date +%s) + WAIT))
	until grep -q 'filter-mtasts: ready' "$work/$1.log"; do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
			echo "not ok - $T: filter-mtasts daemon starts ($1)"
			sed 's/^/# /' "$work/$1.log"
			exit 1
		fi
		sleep 0.05
	done
}

# alive NAME: the checks left the daemon running
alive() {
	if kill -0 "$pid" 2>/dev/null; then
		echo "ok - $T: the daemon is still running after the checks ($1)"
	else
		echo "not ok - $T: the daemon is still running after the checks ($1)"
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		echo "# daemon log ($1):"
		sed 's/^/# /' "$work/$1.log"
	fi
}

rc=0
start big
python3 -u "$top/regress/mta/proto_test.py" --hostile "$pid" \
    --socketmap "unix:$work/big-sm.sock" \
    --socketmap2 "unix:$work/big-sm2.sock" \
    --exim "$work/big-exim.sock" --prefix "$T" || rc=1
alive big

# (64 - 32) / 3 sockets
start small 64
python3 -u "$top/regress/mta/proto_test.py" --hostile "$pid" --share 10 \
    --socketmap "unix:$work/small-sm.sock" --exim "$work/small-exim.sock" \
    --prefix "$T" || rc=1
for p in socketmap exim; do
	if grep -q "warning: $p socket full (10 connections): closing the longest idle" \
	    "$work/small.log"; then
		echo "ok - $T: the $p socket full is logged"
	else
		echo "not ok - $T: the $p socket full is logged"
		rc=1
	fi
done
alive small
exit $rc

#!/bin/sh
# hostile_server.sh - "filter-mtasts daemon" against hostile local
# clients: one that pipelines and never reads, slow-drip connections
# that fill a socket, half-sent requests.  The daemon runs with no
# network (a network namespace of its own when root): every key asked
# is an address literal, answered without DNS.  The checks are in
# regress/mta/proto_test.py --hostile; they assert answers, closes and
# a bound on the memory of the front, never durations.
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
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir "$work/state"
# The root zone's DS (RFC 7958 format as unbound reads it): never used,
# as no key asked here needs DNS, but the daemon wants an anchor.
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
    >"$work/root.key"

: >"$work/daemon.log"
# $netns execs the daemon: $! is the front process
$netns "$FILTER_MTASTS" daemon -r 127.0.0.1 -a "$work/root.key" \
    -s "$work/state" -u "$user" -l "socketmap=unix:$work/sm.sock" \
    -l "socketmap=unix:$work/sm2.sock" -l "exim=unix:$work/exim.sock" \
    >"$work/daemon.log" 2>&1 &
pid=$!
end=$(($(date +%s) + WAIT))
until grep -q 'filter-mtasts: ready' "$work/daemon.log"; do
	if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
		echo "not ok - $T: filter-mtasts daemon starts"
		sed 's/^/# /' "$work/daemon.log"
		exit 1
	fi
	sleep 0.05
done

python3 -u "$top/regress/mta/proto_test.py" --hostile "$pid" \
    --socketmap "unix:$work/sm.sock" --socketmap2 "unix:$work/sm2.sock" \
    --exim "$work/exim.sock" --prefix "$T"
rc=$?
if kill -0 "$pid" 2>/dev/null; then
	echo "ok - $T: the daemon is still running after the checks"
else
	echo "not ok - $T: the daemon is still running after the checks"
	rc=1
fi
if [ $rc -ne 0 ]; then
	echo "# daemon log:"
	sed 's/^/# /' "$work/daemon.log"
fi
exit $rc

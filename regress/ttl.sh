#!/bin/sh
# Verdicts follow the DNS: a domain rotates its MTA-STS setup (new MX
# host, new _mta-sts id, new policy) with records of a short TTL, and
# every front-end of filter-mtasts gives the new MX host no later than
# that TTL, and a margin, after the rotation.  The front-ends: the
# socketmap and Exim sockets of "filter-mtasts daemon" (Postfix, Exim)
# and the table socket of "filter-mtasts filter" (OpenSMTPD's relayhost).
# Each is asked in turn about rollover.example of regress/net/net.sh,
# which the network's resolver serves with 20-second TTLs.  Needs root.
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      MARGIN         seconds allowed past the TTL (default 10: the 5 s
#                     floor of a verdict's lifetime, and a pass)

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
MARGIN=${MARGIN:-10}
D=rollover.example
SOCKETMAP=127.0.0.1:8461
WAIT=30			# seconds: a process to start, a first verdict

skip_all() {
	echo "skip - ttl: $*"
	exit 0
}

not_ok() {
	echo "not ok - ttl: $1"
	shift
	for l; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

[ "$(id -u)" -eq 0 ] || skip_all "not root"
for c in ip nsenter unshare setsid mkfifo nsd unbound unbound-control nginx \
    ldns-keygen ldns-signzone dig curl openssl python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
done
ip netns list >/dev/null 2>&1 || skip_all "ip netns not available"
unshare --net true 2>/dev/null || skip_all "cannot create network namespaces"
id _mtasts >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts ||
    skip_all "cannot create user _mtasts"

work=$(mktemp -d) || exit 1
chmod 755 "$work"
dir=$work/net
NET_NS=mtasts-t$$	# unique: other test runs may be active
export NET_NS
daemon_pid='' filter_pid=''

# stop PID: TERM, then KILL if it is still there after 5 s.
# shellcheck disable=SC2317 # run by cleanup
stop() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	sp_end=$(($(date +%s) + 5))
	while kill -0 "$1" 2>/dev/null && [ "$(date +%s)" -lt "$sp_end" ]; do
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# shellcheck disable=SC2317 # run by the traps
cleanup() {
	trap - EXIT HUP INT TERM
	exec 3>&-
	stop "$filter_pid"
	stop "$daemon_pid"
	[ -s "$dir/netns" ] && sh "$net" stop "$dir" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$net" start "$dir" 2>"$work/start.err"; then
	not_ok "test network starts" "$(cat "$work/start.err")"
	exit 1
fi

# until_up SECS LOG PID CMD...: CMD succeeds before SECS pass, and PID
# lives meanwhile; else not ok, with LOG.
until_up() {
	uu_end=$(($(date +%s) + $1)) uu_log=$2 uu_pid=$3
	shift 3
	until "$@"; do
		if ! kill -0 "$uu_pid" 2>/dev/null; then
			not_ok "filter-mtasts starts" "it exited:" "$(tail -n 20 "$uu_log")"
			exit 1
		fi
		if [ "$(date +%s)" -ge "$uu_end" ]; then
			not_ok "filter-mtasts starts" "not up after $WAIT s:" \
			    "$(tail -n 20 "$uu_log")"
			exit 1
		fi
		sleep 0.05
	done
}

# The daemon, with both sockets, as Postfix and Exim use it.  setsid,
# net.sh exec, nsenter, unshare and sh all exec: $! is filter-mtasts.
mkdir -p "$work/run"
setsid sh "$net" exec "$dir" "$FILTER_MTASTS" daemon -r 127.0.53.2 \
    -a "$dir/root.key" -c "$dir/ca.pem" -s "$work/state-daemon" -u _mtasts \
    -l "socketmap=$SOCKETMAP" -l "exim=unix:$work/run/exim.sock" \
    >"$work/daemon.log" 2>&1 </dev/null &
daemon_pid=$!
until_up "$WAIT" "$work/daemon.log" "$daemon_pid" \
    grep -q 'filter-mtasts: ready' "$work/daemon.log"

# The filter, with smtpd's side of the stream played through FIFOs (its
# event loop cannot poll a regular file), the input kept open on fd 3;
# its table socket is what smtpd's table process asks.
mkfifo "$work/filter.in" "$work/filter.pipe"
cat <"$work/filter.pipe" >"$work/filter.out" &
setsid sh "$net" exec "$dir" "$FILTER_MTASTS" filter -r 127.0.53.2 \
    -a "$dir/root.key" -c "$dir/ca.pem" -s "$work/state-filter" -u _mtasts \
    -S "$work/run/table.sock" \
    <"$work/filter.in" >"$work/filter.pipe" 2>"$work/filter.log" &
filter_pid=$!
exec 3>"$work/filter.in"
printf '%s\n' 'config|smtpd-version|6.8.0p2' 'config|smtp-session-timeout|300' \
    'config|subsystem|smtp-in' 'config|ready' >&3
until_up "$WAIT" "$work/filter.log" "$filter_pid" \
    grep -q '^register|ready' "$work/filter.out"
echo "ok - ttl: network, daemon (socketmap, exim) and filter (table socket) start"

# ask SECS WHAT MX [OLD]: all three front-ends give MX within SECS.
ask() {
	nsenter --net="/run/netns/$NET_NS" -- python3 "$top/regress/ttl.py" \
	    "$SOCKETMAP" "$work/run/exim.sock" "$work/run/table.sock" "$D" "$@" 3>&-
}

# do_net WHAT CMD...: a change of the network the test depends on.
do_net() {
	dn_what=$1
	shift
	if ! "$@" >"$work/net.out" 2>&1; then
		not_ok "$dn_what" "$(cat "$work/net.out")"
		exit 1
	fi
}

# The TTL the zone gives, as the authoritative server serves it.
ttl=$(nsenter --net="/run/netns/$NET_NS" -- dig +norec +noall +answer \
    @127.0.53.1 "$D" MX | awk '{ print $2; exit }')
case $ttl in
[1-9] | [1-9][0-9])	;;
*)	not_ok "$D has a short TTL" "got: ${ttl:-nothing}"; exit 1 ;;
esac

ask "$WAIT" "before the rotation" "mx1.$D" || exit 1

printf 'version: STSv1\nmode: enforce\nmx: mx2.%s\nmax_age: 86400\n' "$D" \
    >"$work/policy2"
do_net "new policy for $D (mx2)" sh "$net" set-policy "$dir" "$D" "$work/policy2"
do_net "new MX for $D (mx2)" sh "$net" set-mx "$dir" "$D" 10 "mx2.$D"
do_net "new _mta-sts id for $D" sh "$net" set-txt "$dir" "_mta-sts.$D" 'v=STSv1; id=2'

# Right after the rotation a front-end may still give the old answer:
# libunbound in the network process keeps what it got for the TTL.
ask $((ttl + MARGIN)) "rotation, ${ttl} s TTL + ${MARGIN} s" "mx2.$D" "mx1.$D"
rc=$?

# A domain asked about once, at an RCPT, whose verdict then expired
# unused: smtpd asks the table for its relay host at a later delivery
# attempt, and the filter derives the verdict again for it rather than
# answer an error.
E=shortttl.example
printf 'filter|0.6|1.0|smtp-in|rcpt-to|00000000000000e1|00000000000000e2|a@%s\n' \
    "$E" >&3
until_up "$WAIT" "$work/filter.log" "$filter_pid" \
    grep -q '^filter-result|00000000000000e1|00000000000000e2|proceed' \
    "$work/filter.out"
rcpt_at=$(date +%s)
ettl=$(nsenter --net="/run/netns/$NET_NS" -- dig +norec +noall +answer \
    @127.0.53.1 "$E" MX | awk '{ print $2; exit }')
# The verdict's time is up; waited for on the clock, which is the point.
while [ "$(date +%s)" -le $((rcpt_at + ${ettl:-10} + 1)) ]; do
	sleep 0.2
done
got=$(nsenter --net="/run/netns/$NET_NS" -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"relayhost " + sys.argv[2].encode() + b"\n")
b = b""
while not b.endswith(b"\n"):
    c = s.recv(1024)
    if not c: break
    b += c
print(b.decode().strip())' "$work/run/table.sock" "$E")
if [ "$got" = "found smtp+tls://mx.$E:25" ]; then
	echo "ok - ttl: a verdict expired unused: the table's relayhost waits for it anew"
else
	not_ok "a verdict expired unused: the table's relayhost waits for it anew" \
	    "got: $got"
	rc=1
fi
if [ $rc -ne 0 ]; then
	echo "# daemon stderr:"
	sed 's/^/#   /' "$work/daemon.log"
	echo "# filter stderr:"
	sed 's/^/#   /' "$work/filter.log"
fi
exit $rc

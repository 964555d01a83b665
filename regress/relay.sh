#!/bin/sh
# The relay of "filter-mtasts filter -R" at the protocol level, without
# smtpd: the filter is started in the test network of regress/net/net.sh
# with a made-up smtpd handshake on its standard input, and relay.py
# speaks SMTP to the relay (what it refuses, what it passes on to the
# MX hosts of v.example).  regress/smtpd/smtpd.sh tests it with smtpd.
# Needs root and network namespaces; otherwise every check is skipped.
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         namespace name (default: mtasts-relay<pid>)

set -u
PATH=$PATH:/usr/sbin:/sbin

top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
PORT=7672

skip_all() {
	echo "skip - relay: $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "not root"
for c in ip nsenter unshare timeout nsd unbound unbound-control nginx \
    ldns-keygen ldns-signzone openssl python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
done
id _mtasts >/dev/null 2>&1 || skip_all "no user _mtasts"
unshare --net true 2>/dev/null || skip_all "cannot create network namespaces"
[ -x "$FILTER_MTASTS" ] || skip_all "$FILTER_MTASTS not built"

work=$(mktemp -d) || exit 1
chmod 755 "$work"
dir=$work/net
NET_NS=${NET_NS:-mtasts-relay$$}
export NET_NS
fpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	sh "$net" stop "$dir" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# -R takes loopback addresses only: refused before anything starts
out=$(timeout 10 "$FILTER_MTASTS" filter -S "$work/t.sock" -s "$work/s0" \
    -R 198.51.100.25:$PORT </dev/null 2>&1)
rc=$?
case $rc:$out in
0:*)	echo "not ok - relay: -R with a non-loopback address is refused"
	echo "# exit 0: $out" ;;
*"loopback address only"*)
	echo "ok - relay: -R with a non-loopback address is refused"
	echo "# $out" ;;
*)	echo "not ok - relay: -R with a non-loopback address is refused"
	echo "# exit $rc: $out" ;;
esac

if ! sh "$net" start "$dir" 2>"$work/start.err" >/dev/null; then
	echo "not ok - relay: network start"
	sed 's/^/# /' "$work/start.err"
	exit 1
fi

# smtpd's side of the filter protocol: the handshake, then silence
mkfifo "$work/in"
cat >"$work/run.sh" <<EOS
#!/bin/sh
exec "$FILTER_MTASTS" filter -r 127.0.53.2 -a "$dir/root.key" \
    -c "$dir/ca.pem" -s "$work/state" -S "$work/table.sock" \
    -R 127.0.0.1:$PORT <"$work/in" | cat >"$work/filter.out"
EOS
sh "$net" exec "$dir" sh "$work/run.sh" 2>"$work/filter.err" &
fpid=$!
exec 3>"$work/in"
printf 'config|smtpd-version|7.6.0\nconfig|protocol|0.7\nconfig|smtp-session-timeout|300\nconfig|subsystem|smtp-in\nconfig|ready\n' >&3

if ! sh "$net" exec "$dir" python3 "$top/regress/smtpd/client.py" \
    wait-port 127.0.0.1 $PORT 15 >/dev/null 2>&1; then
	echo "not ok - relay: the relay answers on 127.0.0.1:$PORT"
	sed 's/^/# /' "$work/filter.err"
	exit 1
fi
timeout -k 5 120 sh "$net" exec "$dir" python3 "$top/regress/relay.py" \
    127.0.0.1 $PORT "$dir/smtp/events.jsonl"
rc=$?
# reuse1 found the kept connection closed, reuse2 used reuse1's
kept=$(grep -c "relay ee.v.example: mx1.ee.v.example .*connection kept from the last transaction" "$work/filter.err")
new=$(grep -c "relay ee.v.example: mx1.ee.v.example .*DANE-EE record" "$work/filter.err")
if [ "$kept" -ge 1 ] && [ "$new" -ge 3 ]; then
	echo "ok - relay: a connection is kept for the next transaction of the domain, and made anew when the MX host closed it"
	echo "# $kept kept, $new new"
else
	echo "not ok - relay: a connection is kept for the next transaction of the domain, and made anew when the MX host closed it"
	echo "# $kept kept, $new new"
	rc=1
fi
if grep -q "relay: connection from 198.51.100.25 refused" "$work/filter.err"; then
	echo "ok - relay: the refused client is logged"
else
	echo "not ok - relay: the refused client is logged"
	rc=1
fi
[ $rc -eq 0 ] || sed 's/^/# filter: /' "$work/filter.err" | tail -n 20
exec 3>&-
exit $rc

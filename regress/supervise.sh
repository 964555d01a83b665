#!/bin/sh
# The network process killed (-9) under load, in daemon and filter
# mode, on the test network (regress/supervise.py): every request gets
# an answer and new domains are resolved again within a bound, as the
# front has a new network process started.  Needs root.

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}

[ "$(id -u)" -eq 0 ] || { echo "skip - supervise: not root"; exit 0; }
for c in ip nsenter nsd unbound nginx ldns-signzone python3; do
	command -v "$c" >/dev/null 2>&1 ||
	    { echo "skip - supervise: $c not installed"; exit 0; }
done
id _mtasts >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts ||
    { echo "skip - supervise: cannot create user _mtasts"; exit 0; }

work=$(mktemp -d) || exit 1
chmod 755 "$work"
NET_NS=mtasts-s$$
export NET_NS
trap 'sh "$net" stop "$work/net" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$net" start "$work/net" 2>"$work/start.err"; then
	echo "not ok - supervise: test network starts"
	sed 's/^/# /' "$work/start.err"
	exit 1
fi
sh "$net" exec "$work/net" python3 "$top/regress/supervise.py" \
    "$FILTER_MTASTS" "$work/net" "$work"

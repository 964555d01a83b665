#!/bin/sh
# The table socket of filter-mtasts filter played against by hostile
# local users (regress/hostile_table.py), the filter started as smtpd
# would, with a fake smtpd on its standard input and output: who may
# connect, clients that close early, hold connections, exhaust the
# descriptors or never read; and filter-mtasts table facing a late or
# stuck socket.  Needs root, and the user _smtpd or opensmtpd (the
# lookup user of smtpd, whose group may use the socket).

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}

[ "$(id -u)" -eq 0 ] || { echo "skip - hostile_table: not root"; exit 0; }
for c in ip nsenter nsd unbound nginx ldns-signzone python3 setpriv; do
	command -v "$c" >/dev/null 2>&1 ||
	    { echo "skip - hostile_table: $c not installed"; exit 0; }
done
lookup=
for u in _smtpd opensmtpd; do
	if id "$u" >/dev/null 2>&1; then
		lookup=$u
		break
	fi
done
[ -n "$lookup" ] ||
    { echo "skip - hostile_table: no user _smtpd or opensmtpd"; exit 0; }
id nobody >/dev/null 2>&1 ||
    { echo "skip - hostile_table: no user nobody"; exit 0; }
id _mtasts >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts ||
    { echo "skip - hostile_table: cannot create user _mtasts"; exit 0; }

work=$(mktemp -d) || exit 1
chmod 755 "$work"
NET_NS=mtasts-h$$
export NET_NS
trap 'sh "$net" stop "$work/net" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# The build directory may be closed to the unprivileged users.
mkdir "$work/bin"
cp "$FILTER_MTASTS" "$work/bin/filter-mtasts" || exit 1
chmod 755 "$work/bin" "$work/bin/filter-mtasts"

if ! sh "$net" start "$work/net" 2>"$work/start.err"; then
	echo "not ok - hostile_table: test network starts"
	sed 's/^/# /' "$work/start.err"
	exit 1
fi
sh "$net" exec "$work/net" python3 "$top/regress/hostile_table.py" \
    "$work/bin/filter-mtasts" "$work/net" "$work" "$lookup"
rc=$?
if [ $rc -ne 0 ] && [ -s "$work/filter.err" ]; then
	echo "# filter-mtasts stderr (last lines):"
	tail -n 30 "$work/filter.err" | sed 's/^/# /'
fi
exit $rc

#!/bin/sh
# The OpenSMTPD filter and proc-table protocols (6.8 and 7.6) played by
# regress/fakesmtpd.py against filter-mtasts on the test network:
# verdicts per RCPT, the table answers, privilege separation.
# Real smtpd runs are in regress/smtpd/.  Needs root.

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}

[ "$(id -u)" -eq 0 ] || { echo "skip - filter: not root"; exit 0; }
for c in ip nsenter nsd unbound nginx ldns-signzone python3; do
	command -v "$c" >/dev/null 2>&1 ||
	    { echo "skip - filter: $c not installed"; exit 0; }
done
id _mtasts >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts ||
    { echo "skip - filter: cannot create user _mtasts"; exit 0; }

work=$(mktemp -d) || exit 1
chmod 755 "$work"
NET_NS=mtasts-f$$
export NET_NS
trap 'sh "$net" stop "$work/net" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$net" start "$work/net" 2>"$work/start.err"; then
	echo "not ok - filter: test network starts"
	sed 's/^/# /' "$work/start.err"
	exit 1
fi
sh "$net" exec "$work/net" python3 "$top/regress/fakesmtpd.py" \
    "$FILTER_MTASTS" "$work/net" "$work"
rc=$?
if [ $rc -ne 0 ] && [ -s "$work/filter.err" ]; then
	echo "# filter-mtasts stderr:"
	sed 's/^/# /' "$work/filter.err"
fi
exit $rc

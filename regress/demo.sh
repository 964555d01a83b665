#!/bin/sh
# Show filter-mtasts checking what a domain publishes for MTA-STS.

top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/filter-mtasts:$PATH
fm=filter-mtasts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Print the command as one would type it, then its output and status.
show() {
	printf '$'
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9._/=-]*)	printf " '%s'" "$a" ;;
		*)			printf ' %s' "$a" ;;
		esac
	done
	echo
	"$@"
	echo "(exit $?)"
	echo
}

echo "== _mta-sts TXT records (RFC 8461 3.1)"
show "$fm" record "v=spf1 -all" "v=STSv1; id=20261122T0000"
show "$fm" record "v=STSv1; id=2026-11-22"
show "$fm" record -j "v=STSv1; id=one" "v=STSv1; id=two"

echo "== policy files (RFC 8461 3.2)"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n' \
    >"$tmp/good.txt"
printf 'version: STSv1\nmode: enforce\nmode: testing\nmx: mail.example.com.\nmax_age: 86400\n' \
    >"$tmp/bad.txt"
(cd "$tmp" && show "$fm" policy good.txt)
(cd "$tmp" && show "$fm" policy bad.txt)
(cd "$tmp" && show "$fm" policy -j good.txt)

echo "== MX patterns (RFC 8461 4.1)"
show "$fm" match "*.mx.example.net" "eu1.MX.example.net."
show "$fm" match "*.mx.example.net" "a.eu1.mx.example.net"

# The rest needs the hermetic test network (root, network namespaces).
if [ "$(id -u)" -ne 0 ] || ! command -v nsd >/dev/null 2>&1; then
	echo "(run as root after 'sh debian12.sh demo' for the network demo)"
	exit 0
fi

echo "== one pass per domain on a hermetic DNSSEC + HTTPS network"
net=$top/regress/net/net.sh
export NET_NS=mtasts-demo$$
trap 'sh "$net" stop "$tmp/net" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
sh "$net" start "$tmp/net" >/dev/null || exit 1
set -- enforce.example wildcard.example nomatch.example testing.example \
    nosts.example http500.example dane.example danests.example \
    danebogus.example
echo "\$ filter-mtasts query -j $* | (table)"
sh "$net" exec "$tmp/net" "$top/filter-mtasts/filter-mtasts" query -j \
    -r 127.0.53.2 -a "$tmp/net/root.key" -c "$tmp/net/ca.pem" \
    -s "$tmp/state" "$@" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
order = sys.argv[1:]
rows.sort(key=lambda r: order.index(r["domain"]))
print("%-20s %-12s %-24s %s" % ("domain", "verdict", "allowed MX", "reason"))
for r in rows:
    print("%-20s %-12s %-24s %s" % (r["domain"], r["verdict"],
        ",".join(r["mx"]) or "-", r["reason"][:78]))
' "$@"

echo
echo "== OpenSMTPD 6.8 relaying through filter-mtasts (filter + proc table)"
if [ -x /usr/sbin/smtpd ] || [ -x /var/tmp/filter-mtasts-smtpd68/root/usr/sbin/smtpd ]; then
	FILTER_MTASTS=$top/filter-mtasts/filter-mtasts NET_NS=mtasts-demo-smtpd$$ \
	    sh "$top/regress/smtpd/smtpd.sh" run 6.8 demo 2>&1 |
	    grep -vE '^(ok|not ok|skip) - |^# '
else
	echo "(OpenSMTPD not installed: sh regress/smtpd/smtpd.sh setup 6.8)"
fi

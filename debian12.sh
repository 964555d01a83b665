#!/bin/sh
# On a fresh Debian 12 machine, as root, install what filter-mtasts
# needs with apt-get and then:
#	sh debian12.sh demo	build it and show it at work
#	sh debian12.sh test	build it and run the whole test suite
set -e

build="make gcc libc6-dev pkg-config libevent-dev libunbound-dev
    libtls-dev libssl-dev libopensmtpd-dev zlib1g-dev"
# The hermetic test network: DNSSEC, HTTPS policy hosts, namespaces.
net="nsd ldnsutils unbound nginx-light bind9-dnsutils openssl curl
    iproute2 python3 util-linux"
# The Debian package: built, linted, its unit verified.
deb="build-essential dpkg-dev debhelper lintian systemd"
tests="$build $net clang libclang-rt-14-dev mandoc bmake $deb"

case $1 in
demo)	pkgs="$build $net" ;;
test)	pkgs=$tests ;;
*)	echo "usage: sh debian12.sh demo | test" >&2
	exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
	    grep -qx installed || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "debian12.sh: run as root to install:$missing" >&2
		exit 1
	fi
	echo "debian12.sh: installing:$missing"
	# The test network runs its own nsd, unbound and nginx: keep the
	# packages from starting system services on the host.
	norc=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		norc=1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null
	[ -n "$norc" ] && rm -f /usr/sbin/policy-rc.d
fi
cd "$(dirname "$0")"
# Real MTAs for the end-to-end tests: Debian's OpenSMTPD 6.8, and for
# the tests 7.6 built from Debian trixie's source package (cached).
# Neither ever replaces an MTA the machine already has.
if [ "$(id -u)" -eq 0 ]; then
	if [ "$1" = test ]; then
		sh regress/smtpd/smtpd.sh setup
		# Exim 4.96 and Postfix 3.7, unpacked beside each other.
		sh regress/mta/mta.sh setup || echo "debian12.sh: mta setup failed"
	else
		sh regress/smtpd/smtpd.sh setup 6.8
	fi || echo "debian12.sh: smtpd setup failed"
fi
exec make "$1"

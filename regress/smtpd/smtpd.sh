#!/bin/sh
# smtpd.sh - end-to-end tests of filter-mtasts with real OpenSMTPD: 6.8
# (Debian 12's package) and 7.6 (built from Debian trixie's source
# package), on the hermetic DNSSEC + HTTPS network of regress/net/net.sh
# with the SMTP sink sink.py behind every MX host address.
#
# usage: smtpd.sh setup [6.8]
#        smtpd.sh run VERSION [PHASE...]
#
# setup (root): installs with apt-get what the tests need (opensmtpd,
#   swaks, the network's daemons), creates the user _mtasts, and builds
#   OpenSMTPD 7.6 from Debian trixie's source package into
#   $SMTPD76_CACHE (default /var/tmp/filter-mtasts-smtpd76), reusing an
#   earlier build.  Idempotent; says what it did.
#
# run VERSION (6.8 or 7.6): starts the network (namespace $NET_NS,
#   default mtasts-smtpd), the sink and smtpd, submits messages to
#   127.0.26.1:25, lets smtpd deliver them, and prints one line per
#   check: "ok - smtpd VERSION: ...", "not ok - ..." with "# " detail
#   lines, or a single "skip - smtpd VERSION: ..." when it cannot run.
#   PHASE is "stub" (a minimal proc filter and proc table of our own,
#   stub.py: proves the harness), "mtasts" (filter-mtasts itself, with
#   the relay domain <mtasts> tls set-up) and/or "relay" (the verifying
#   relay of filter-mtasts, with the smtpd.conf of the manual,
#   relay.conf, against the MX hosts of v.example); default all three.
#   Exit status 1 if any check failed.
#   PHASE "demo" (make demo) prints a table of verdicts and outcomes;
#   "bench" runs bench/relay.sh's measurements.
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         network namespace name (default mtasts-smtpd, or
#                     mtasts-smtpdPID when that one exists)
#      SMTPD76_CACHE  where setup builds OpenSMTPD 7.6
#      SMTPD68_UNPACK=1  use (setup: make) an unpacked copy of Debian's
#                     opensmtpd 6.8 in $SMTPD68_CACHE (default
#                     /var/tmp/filter-mtasts-smtpd68) instead of the
#                     installed package; done anyway when installing
#                     it would remove another MTA, or it is missing
#      SMTPD_KEEP=1   keep the work directory (its path is printed)
#
# Each smtpd runs in the network namespace and in a private mount
# namespace with private directories bind-mounted over /var/spool, /run
# and its PATH_LIBEXEC (so /run/filter-mtasts is private to the test,
# and PATH_LIBEXEC/table-mtasts is ours).  The filter-mtasts binary is
# copied into that directory: smtpd's lka runs table-mtasts as the
# opensmtpd user, who may not be able to reach the caller's build
# directory.  See /work/shared/docs/test-network.md sections 10-12.
#
# Files: sink.py (the SMTP sink on every MX host address), client.py
# (submission with timestamped events; queries), stub.py (the stub proc
# filter and proc table), mock.py (a stand-in filter-mtasts with fixed
# answers, to check this harness: FILTER_MTASTS=regress/smtpd/mock.py);
# ../lib.sh holds the shell functions shared with regress/mta/mta.sh.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top/regress/lib.sh"
CACHE=${SMTPD76_CACHE:-/var/tmp/filter-mtasts-smtpd76}
KEEP=${SMTPD_KEEP:-}

SENDER_IP=127.0.26.1
RESOLVER=127.0.53.2
HELO=sender.example
SETTLE=40		# seconds: upper bound for a message to settle
SLOW_WAIT=45		# seconds: how long the slow.example session may take
STOP_WAIT=8		# seconds: from TERM to KILL
tool=$here/client.py	# submission and queries
SUBMIT_IP=$SENDER_IP
SUBMIT_WAIT=60		# seconds: submit's SMTP timeout

# ================================================================ setup

# What the tests and the network need besides OpenSMTPD, and what the
# 7.6 build needs (its source bundles libasr and a compat libtls).
PKGS="swaks libnet-ssleay-perl python3 openssl procps iproute2 util-linux
nsd ldnsutils unbound nginx-light bind9-dnsutils curl"
BUILD_PKGS="gcc make libc6-dev pkg-config libevent-dev libssl-dev
zlib1g-dev bison"
# Debian's opensmtpd 6.8 libraries, for the unpacked copy
LIBS68="libc6 libcrypt1 libdb5.3 libevent-2.1-7 libpam0g libssl3 zlib1g"
CACHE68=${SMTPD68_CACHE:-/var/tmp/filter-mtasts-smtpd68}

say() {
	echo "smtpd.sh setup: $*"
}

setup_packages() {
	if apt_install $PKGS $BUILD_PKGS; then
		say "packages: test and build packages present"
	else
		return 1
	fi
}

# OpenSMTPD 6.8: Debian's package, installed with apt-get -- unless that
# would remove another MTA (opensmtpd, exim4 and postfix conflict, see
# test-network.md section 12), or SMTPD68_UNPACK=1: then the .deb is
# unpacked into $CACHE68/root (never touching other MTAs), with its
# libraries, users and directories made by hand.
setup_smtpd68() {
	if [ "${SMTPD68_UNPACK:-}" != 1 ]; then
		if installed opensmtpd; then
			say "OpenSMTPD 6.8: package opensmtpd installed"
			return 0
		fi
		apt_update || return 1
		s6_rm=$(apt-get -s -qq install --no-install-recommends opensmtpd 2>/dev/null |
		    awk '$1 == "Remv" { printf " %s", $2 }')
		if [ -z "$s6_rm" ]; then
			apt_install opensmtpd || return 1
			say "OpenSMTPD 6.8: package opensmtpd installed"
			return 0
		fi
		say "OpenSMTPD 6.8: installing opensmtpd would remove$s6_rm: unpacking it instead"
	fi
	if [ -x "$CACHE68/root/usr/sbin/smtpd" ]; then
		say "OpenSMTPD 6.8: unpacked copy in $CACHE68/root"
	else
		apt_install $LIBS68 || return 1
		rm -rf "$CACHE68"
		mkdir -p "$CACHE68/deb" || return 1
		(cd "$CACHE68/deb" && apt-get download -qq opensmtpd 2>/dev/null) &&
		    dpkg-deb -x "$CACHE68"/deb/opensmtpd_*.deb "$CACHE68/root" || {
			say "OpenSMTPD 6.8: cannot download or unpack opensmtpd"
			return 1
		}
		say "OpenSMTPD 6.8: unpacked into $CACHE68/root"
	fi
	# what the package's postinst and directories would provide
	for s6_u in opensmtpd opensmtpq; do
		id "$s6_u" >/dev/null 2>&1 && continue
		useradd -r -U -M -d /var/lib/opensmtpd/empty -s /usr/sbin/nologin "$s6_u" ||
		    return 1
		say "user $s6_u: created"
	done
	# smtpctl refuses to run unless setgid opensmtpq (as packaged)
	chgrp opensmtpq "$CACHE68/root/usr/sbin/smtpctl" &&
	    chmod 2755 "$CACHE68/root/usr/sbin/smtpctl" || return 1
	# PATH_CHROOT, and the mount point for the private PATH_LIBEXEC
	mkdir -p /var/lib/opensmtpd/empty /usr/libexec/opensmtpd
}

setup_user() {
	if id _mtasts >/dev/null 2>&1; then
		say "user _mtasts: exists"
	elif useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts; then
		say "user _mtasts: created"
	else
		say "user _mtasts: useradd failed"
		return 1
	fi
}

# The URI of the host's configured Debian archive (the entry serving
# bookworm itself), from deb822 .sources files or one-line .list files.
mirror_uri() {
	for mu_f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$mu_f" ] || continue
		awk 'function flush() {
			if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && uris != "") {
				split(uris, u, " "); print u[1]; found = 1; exit
			}
			types = suites = uris = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
		/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
		/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
		END { if (!found) flush() }' "$mu_f"
	done | head -n 1 | grep . && return 0
	for mu_f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$mu_f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$mu_f" |
		    awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }'
	done | head -n 1 | grep .
}

# Build OpenSMTPD 7.6 from Debian trixie's source package, through a
# private apt configuration (the host's own sources and lists are never
# touched), into $CACHE/inst.  PATH_LIBEXEC is then
# $CACHE/inst/libexec/opensmtpd.
setup_smtpd76() {
	s7_inst=$CACHE/inst
	if [ -x "$s7_inst/sbin/smtpd" ] &&
	    "$s7_inst/sbin/smtpd" -h 2>&1 | grep -q 'OpenSMTPD 7\.6'; then
		say "OpenSMTPD 7.6: cached build in $s7_inst"
		return 0
	fi
	s7_start=$(now)
	s7_uri=$(mirror_uri) || {
		say "OpenSMTPD 7.6: no Debian bookworm archive in the apt sources"
		return 1
	}
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" \
	    "$CACHE/src" || return 1
	printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
	    "$s7_uri" >"$CACHE/apt/sources.list"
	s7_apt="-o Dir::Etc::SourceList=$CACHE/apt/sources.list
	    -o Dir::Etc::SourceParts=/nonexistent
	    -o Dir::State::Lists=$CACHE/apt/lists -o Dir::Cache=$CACHE/apt/cache"
	# shellcheck disable=SC2086
	apt-get $s7_apt update -qq || {
		say "OpenSMTPD 7.6: apt-get update (trixie sources) failed"
		return 1
	}
	# shellcheck disable=SC2086
	apt-cache $s7_apt showsrc opensmtpd >"$CACHE/showsrc" 2>/dev/null
	s7_ver=$(sed -n 's/^Version: //p' "$CACHE/showsrc" | grep '^7\.6\.' |
	    sort -V | tail -n 1)
	[ -n "$s7_ver" ] || {
		say "OpenSMTPD 7.6: no opensmtpd 7.6 source package in trixie"
		return 1
	}
	s7_src=$CACHE/src/$s7_ver
	rm -rf "$s7_src" "$CACHE/build"
	mkdir -p "$s7_src"
	# "opensmtpd/trixie" would pick the installed 6.8's version: name it.
	# The archive may lack the .dsc and .debian.tar.xz (seen: 404) while
	# serving the upstream tarball, which alone is enough.
	# shellcheck disable=SC2086
	(cd "$s7_src" && apt-get $s7_apt source --download-only -qq \
	    "opensmtpd=$s7_ver" >"$CACHE/source.log" 2>&1)
	s7_orig=$(ls "$s7_src"/opensmtpd_*.orig.tar.* 2>/dev/null | head -n 1)
	[ -n "$s7_orig" ] || {
		say "OpenSMTPD 7.6: cannot download the source of opensmtpd $s7_ver"
		cat "$CACHE/source.log"
		return 1
	}
	# apt checked the hashes; check the tarball against the signed index
	# once more, since apt-get failed if part of the package was missing
	s7_sum=$(awk -v f="$(basename "$s7_orig")" '
	    /^Checksums-Sha256:/ { in_s = 1; next }
	    /^[^ ]/ { in_s = 0 }
	    in_s && $3 == f { print $1; exit }' "$CACHE/showsrc")
	[ -n "$s7_sum" ] &&
	    [ "$(sha256sum "$s7_orig" | cut -d' ' -f1)" = "$s7_sum" ] || {
		say "OpenSMTPD 7.6: $(basename "$s7_orig") does not match the trixie Sources index"
		return 1
	}
	s7_dsc=$(ls "$s7_src"/opensmtpd_*.dsc 2>/dev/null | head -n 1)
	if [ -n "$s7_dsc" ] && ls "$s7_src"/opensmtpd_*.debian.tar.* >/dev/null 2>&1 &&
	    dpkg-source -x "$s7_dsc" "$CACHE/build" >>"$CACHE/source.log" 2>&1; then
		s7_how="Debian source package $s7_ver (with Debian's patches)"
	else
		rm -rf "$CACHE/build"
		mkdir -p "$CACHE/build"
		tar -xf "$s7_orig" -C "$CACHE/build" --strip-components=1 || return 1
		s7_how="upstream tarball of Debian source package $s7_ver (.dsc not available)"
	fi
	say "OpenSMTPD 7.6: building from the $s7_how"
	rm -rf "$s7_inst"
	# the users and the empty directory are those of Debian's opensmtpd
	# 6.8 package (installed above); the CA file is Debian's bundle
	(cd "$CACHE/build" &&
	    { [ -x configure ] || ./bootstrap; } &&
	    ./configure --prefix="$s7_inst" --sysconfdir="$s7_inst/etc" \
		--with-path-CAfile=/etc/ssl/certs/ca-certificates.crt \
		--with-user-smtpd=opensmtpd --with-user-queue=opensmtpq \
		--with-group-queue=opensmtpq \
		--with-path-empty=/var/lib/opensmtpd/empty &&
	    make -j"$(nproc 2>/dev/null || echo 2)" &&
	    make install) >"$CACHE/build.log" 2>&1 || {
		tail -n 30 "$CACHE/build.log"
		say "OpenSMTPD 7.6: build failed, see $CACHE/build.log"
		return 1
	}
	"$s7_inst/sbin/smtpd" -h 2>&1 | grep -q 'OpenSMTPD 7\.6' || {
		say "OpenSMTPD 7.6: the build does not report version 7.6"
		return 1
	}
	say "OpenSMTPD 7.6: built into $s7_inst in $(($(now) - s7_start)) s"
}

cmd_setup() {
	# "setup 6.8": only what make demo needs
	su_only=${1:-}
	[ $# -eq 0 ] || [ "$su_only" = 6.8 ] || usage
	if [ "$(id -u)" -ne 0 ]; then
		say "must run as root"
		exit 1
	fi
	su_start=$(now)
	su_rc=0
	setup_packages || su_rc=1
	setup_user || su_rc=1
	setup_smtpd68 || su_rc=1
	# the 7.6 build uses 6.8's users and PATH_CHROOT
	if [ $su_rc -eq 0 ] && [ "$su_only" != 6.8 ]; then
		setup_smtpd76 || su_rc=1
	fi
	say "done in $(($(now) - su_start)) s$([ $su_rc -eq 0 ] || echo ', with errors')"
	exit $su_rc
}

# ================================================================= run

# ---------------------------------------------------------- processes

# pids_matching STRING: processes of the test namespace whose command
# line contains STRING.
pids_matching() {
	for pm_p in $(ip netns pids "$NET_NS" 2>/dev/null); do
		in_ns "$pm_p" || continue
		tr '\0' ' ' <"/proc/$pm_p/cmdline" 2>/dev/null | grep -qF -- "$1" &&
		    echo "$pm_p"
	done
}

# stop_procs: what cleanup stops before the network.
stop_procs() {
	for cl_p in $bg_pids; do
		stop_pid "$cl_p"
	done
	stop_pid "$smtpd_pid"
	stop_pid "$sink_pid"
}

# ------------------------------------------------------------- smtpd

# conf_check CONF: smtpd -n in a mount namespace where PATH_LIBEXEC is
# ours (the proc table backends must exist for the file to parse).
conf_check() {
	unshare --mount --propagation private -- /bin/sh -c '
	    mount --bind "$1" "$2" || exit 125
	    exec "$3" -n -f "$4"' sh "$work/libexec" "$LIBEXEC" "$SMTPD" "$1" 2>&1
}

# start_smtpd NAME CONF: smtpd -d -v in the network namespace and a
# private mount namespace; spool, /run and log in $work/NAME (kept
# across restarts of the same NAME).  Sets smtpd_pid and smtpd_log.
start_smtpd() {
	st_d=$work/$1
	mkdir -p "$st_d/spool" "$st_d/run/filter-mtasts"
	smtpd_log=$st_d/smtpd.log
	echo "=== $(date '+%F %T') start $SMTPD -d -v -f $2" >>"$smtpd_log"
	# both sh -c exec too: $! is smtpd
	spawn "$smtpd_log" /bin/sh -c '
	    mount --bind "$1" /var/spool && mount --bind "$2" /run &&
	    mount --bind "$3" "$4" || exit 125
	    exec "$5" -d -v -f "$6"' sh "$st_d/spool" "$st_d/run" \
	    "$work/libexec" "$LIBEXEC" "$SMTPD" "$2"
	smtpd_pid=$!
	st_end=$(($(now) + 20))
	while :; do
		if ! in_ns "$smtpd_pid"; then
			# the first moments: it may not have entered the namespace yet
			if gone "$smtpd_pid"; then
				wait "$smtpd_pid" 2>/dev/null
				smtpd_err="smtpd exited during start"
				return 1
			fi
		elif nsx python3 "$tool" wait-port "$SENDER_IP" 25 1; then
			return 0
		fi
		if [ "$(now)" -ge "$st_end" ]; then
			smtpd_err="smtpd did not greet on $SENDER_IP:25 within 20 s"
			return 1
		fi
		sleep 0.1
	done
}

# stop_smtpd: stop it, then wait for its filter and table processes.
stop_smtpd() {
	[ -n "$smtpd_pid" ] || return 0
	stop_pid "$smtpd_pid"
	smtpd_pid=
	ss_end=$(($(now) + 5))
	while [ -n "$(pids_matching "$work/libexec/")" ] && [ "$(now)" -lt "$ss_end" ]; do
		sleep 0.1
	done
	ss_left=$(pids_matching "$work/libexec/")
	if [ -n "$ss_left" ]; then
		echo "# $T: still running 5 s after smtpd stopped (killed):"
		for ss_p in $ss_left; do
			echo "#   $(ps -o pid=,user=,args= -p "$ss_p")"
		done
		for ss_p in $ss_left; do
			in_ns "$ss_p" && kill -KILL "$ss_p" 2>/dev/null
		done
	fi
}

smtpctl() {
	nsenter -t "$smtpd_pid" -m -n "$SMTPCTL" "$@"
}

smtpd_tail() {
	grep -vE '^debug: (imsg|mproc|mta|scheduler|smtp|lka|queue|control)' \
	    "$smtpd_log" | tail -n 15
}

# ---------------------------------------------------------- messages

# delivered RCPT: lib.sh's, over both sinks: this script's (127.0.25.N)
# and the network's own (127.0.27.N, the v.example hosts).
delivered() {
	python3 "$tool" delivered "$work/sink/events.jsonl" "$1"
	python3 "$tool" delivered "$dir/smtp/events.jsonl" "$1"
}

# submit_many RCPT...: one message to each, in parallel sessions (the
# local part is the id); returns when every session has ended.
submit_many() {
	sm_pids=
	for sm_r; do
		submit "${sm_r%@*}" "$sm_r" 40 &
		sm_pids="$sm_pids $!"
	done
	for sm_p in $sm_pids; do
		wait "$sm_p"
	done
}

# queued RCPT: its line in "smtpctl show queue" (evpid|...|rcpt|...).
queued() {
	smtpctl show queue 2>/dev/null | awk -F'|' -v r="$1" 'tolower($6) == tolower(r)'
}

# attempted RCPT: a delivery attempt for RCPT ended in a temporary or
# permanent failure: logged by mta, or the envelope waits for a retry.
attempted() {
	grep -F " to=<$1> " "$smtpd_log" | grep -q 'mta delivery .*result="\(TempFail\|PermFail\)"' &&
	    return 0
	queued "$1" | awk -F'|' '$12 == "pending" && $11 + 0 >= 1 { f = 1 } END { exit !f }'
}

# settle RCPT...: wait until each message is in a mailbox or still
# queued after a delivery attempt (bounded by SETTLE seconds).  The
# local part of RCPT is its submission's id; messages that smtpd did
# not accept have nothing to wait for.
settle() {
	smtpctl schedule all >/dev/null 2>&1
	settle_until 0.2 "$@"
}

settled() {
	[ -n "$(delivered "$1")" ] || attempted "$1"
}

settle_alive() {
	in_ns "$smtpd_pid" && return 0
	echo "# $T: smtpd exited; not settled:$sl_todo"
	return 1
}

# verified RCPT: the smtpd session that delivered RCPT required TLS
# (smtp+tls://) and verified the certificate (6.8: server-cert-check
# result="success", 7.x: cert-check result="valid").
verified() {
	vf_sid=$(grep -F " to=<$1> " "$smtpd_log" |
	    grep 'mta delivery .*result="Ok"' | tail -n 1 | cut -d' ' -f1)
	[ -n "$vf_sid" ] &&
	    grep -q "^$vf_sid mta connecting address=smtp+tls://" "$smtpd_log" &&
	    grep -Eq "^$vf_sid mta (server-cert-check result=\"success\"|cert-check result=\"valid\")" \
		"$smtpd_log"
}

# expect_delivered RCPT MX [tls|verified]: exactly one copy, at MX, and
# with TLS (and SNI = MX for 7.x) or verified TLS if asked.
expect_delivered() {
	if ! one_copy "$1" "$2" '%s: delivered to %s, TLS %s, SNI %s'; then
		bad "$1: not delivered"
		ed_q=$(queued "$1")
		[ -n "$ed_q" ] && note "queued: $ed_q"
		return
	fi
	[ $# -ge 3 ] || return
	tls_ok "$1"
	case $V in
	6.8) [ "$ed_sni" = none ] && note "(OpenSMTPD 6.8 sends no SNI)" ;;
	*) [ "$ed_sni" = "$2" ] || bad "$1: SNI is $ed_sni, not $2" ;;
	esac
	if [ "$3" = verified ]; then
		if verified "$1"; then
			note "smtpd: TLS required and certificate verified for $2"
		else
			bad "$1: smtpd log shows no required+verified TLS session delivering it"
		fi
	fi
}

# expect_queued RCPT: not delivered anywhere, still queued.
expect_queued() {
	eq_got=$(delivered "$1")
	[ -z "$eq_got" ] || bad "$1: delivered: $eq_got"
	eq_q=$(queued "$1")
	if [ -n "$eq_q" ]; then
		note "queued: $(printf '%s' "$eq_q" | awk -F'|' '{ print $1, $12, "retry=" $11, $14 }')"
	else
		bad "$1: not in the queue"
	fi
	attempted "$1" || bad "$1: no delivery attempt seen"
}

# expect_refused RCPT: RCPT got 451 4.7.x; nothing queued or delivered.
expect_refused() {
	er_code=$(ev "${1%@*}" rcpt-reply code)
	er_text=$(ev "${1%@*}" rcpt-reply text)
	note "$1: RCPT reply: ${er_code:-none} $er_text"
	[ "$er_code" = 451 ] || bad "$1: RCPT reply is not 451"
	case $er_text in
	4.7.*) ;;
	*) bad "$1: enhanced status is not 4.7.x" ;;
	esac
	[ -z "$(queued "$1")" ] || bad "$1: queued: $(queued "$1")"
	[ -z "$(delivered "$1")" ] || bad "$1: delivered: $(delivered "$1")"
}

# accepted ID RCPT: the submission was accepted (DATA 250), else fail.
accepted() {
	ac_code=$(ev "$1" data-reply code)
	[ "$ac_code" = 250 ] && return 0
	ac_r=$(ev "$1" rcpt-reply code)
	ac_t=$(ev "$1" rcpt-reply text)
	ac_e=$(ev "$1" error error)
	bad "$2: submission not accepted${ac_r:+: RCPT $ac_r $ac_t}${ac_e:+: $ac_e}"
	return 1
}

# --------------------------------------------------------------- phases

# The stub checks, in the order they are printed.
STUB_CHECKS="start filter table enforce nosts nomatch wrongname notls notfound"

stub_title() {
	case $1 in
	start)		echo "stub: smtpd starts with the stub proc filter and proc table" ;;
	filter)		echo "stub: proc filter answers every rcpt-to (proceed, reject)" ;;
	table)		echo "stub: proc table answers check domain and lookup relayhost" ;;
	enforce)	echo "stub: enforce.example through the table: to mx1.enforce.example only, over verified TLS" ;;
	nosts)		echo "stub: nosts.example outside the table: relayed by MX lookup to mx.nosts.example" ;;
	nomatch)	echo "stub: filter reject: RCPT gets 451 4.7.1, nothing queued or delivered" ;;
	wrongname)	echo "stub: relay tls to a wrong-name certificate (mx.$WN): stays queued" ;;
	notls)		echo "stub: relay tls to a host without STARTTLS (mx.$NT): stays queued" ;;
	notfound)	echo "stub: relayhost lookup not-found: the message stays queued" ;;
	esac
}

phase_stub() {
	if ! start_smtpd stub "$work/stub.conf"; then
		not_ok "$(stub_title start)" "$smtpd_err" "$(smtpd_tail)"
		for st_c in $STUB_CHECKS; do
			[ "$st_c" = start ] ||
			    not_ok "$(stub_title "$st_c")" "smtpd with the stub is not running"
		done
		return
	fi
	ok "$(stub_title start)"
	submit_many s-enforce@enforce.example s-nosts@nosts.example \
	    s-nomatch@nomatch.example "s-wn@$WN" "s-nt@$NT" \
	    s-modenone@modenone.example
	settle s-enforce@enforce.example s-nosts@nosts.example "s-wn@$WN" \
	    "s-nt@$NT" s-modenone@modenone.example

	# the filter saw every RCPT and answered it
	fl=$work/stub/filter.log
	grep -q '^[^ ]* [0-9]* < config|ready' "$fl" || bad "no config|ready in the filter log"
	note "handshake: $(grep -o 'config|smtpd-version|.*' "$fl" | head -n 1)$(
	    grep -o 'config|protocol|.*' "$fl" | head -n 1 | sed 's/^/, /')"
	for sb_r in s-enforce@enforce.example s-nosts@nosts.example \
	    s-nomatch@nomatch.example "s-wn@$WN" "s-nt@$NT" s-modenone@modenone.example; do
		grep -q "< filter|[^|]*|[^|]*|smtp-in|rcpt-to|.*|$sb_r\$" "$fl" ||
		    bad "no rcpt-to request for $sb_r"
	done
	[ "$(grep -c '> filter-result|.*|proceed$' "$fl")" -eq 5 ] ||
	    bad "expected 5 proceed answers, got $(grep -c '> filter-result|.*|proceed$' "$fl")"
	result "$(stub_title filter)"

	tl=$work/stub/map.log
	note "$(sed -n 's/^[^ ]* [0-9]* \(imsg protocol\|text protocol\|argv .*\)$/\1/p' "$tl" |
	    tr '\n' ' ' | sed 's/ $//')"
	grep -q ' check domain enforce.example -> found$' "$tl" ||
	    grep -q '> check-result|[^|]*|found$' "$tl" || bad "no check domain found"
	grep -q ' lookup relayhost enforce.example -> smtp+tls://' "$tl" ||
	    grep -q '> lookup-result|[^|]*|found|smtp+tls://mx1.enforce.example:25$' "$tl" ||
	    bad "no lookup relayhost for enforce.example"
	grep -q 'nosts.example -> not-found$' "$tl" ||
	    grep -q '< table|.*|check|domain|[^|]*|nosts.example$' "$tl" ||
	    bad "no check domain for nosts.example"
	result "$(stub_title table)"

	accepted s-enforce s-enforce@enforce.example &&
	    expect_delivered s-enforce@enforce.example mx1.enforce.example verified
	result "$(stub_title enforce)"
	accepted s-nosts s-nosts@nosts.example &&
	    expect_delivered s-nosts@nosts.example mx.nosts.example
	result "$(stub_title nosts)"
	expect_refused s-nomatch@nomatch.example
	result "$(stub_title nomatch)"
	accepted s-wn "s-wn@$WN" && expect_queued "s-wn@$WN"
	result "$(stub_title wrongname)"
	accepted s-nt "s-nt@$NT" && expect_queued "s-nt@$NT"
	result "$(stub_title notls)"
	accepted s-modenone s-modenone@modenone.example &&
	    expect_queued s-modenone@modenone.example
	result "$(stub_title notfound)"
	stop_smtpd
}

# The filter-mtasts checks, in the order they are printed.
MTASTS_CHECKS="start enforce slow wrongname notls nomatch testing modenone
nosts dane cached ps smtp-out cached-restart"

mtasts_title() {
	case $1 in
	start)		echo "filter-mtasts: smtpd starts with the filter-mtasts filter and table" ;;
	enforce)	echo "enforce.example: delivered to mx1.enforce.example only (never mx2), over verified TLS" ;;
	slow)		echo "slow.example in a parallel session does not hold back enforce.example: its RCPT is answered first" ;;
	wrongname)	echo "$WN (enforce, policy MX has a wrong-name certificate): stays queued, nothing delivered" ;;
	notls)		echo "$NT (enforce, policy MX offers no STARTTLS): stays queued, nothing delivered" ;;
	nomatch)	echo "nomatch.example (no MX matches the policy): RCPT refused 451 4.7.x, nothing queued or delivered" ;;
	testing)	echo "testing.example (mode testing): delivered to mx.testing.example" ;;
	modenone)	echo "modenone.example (mode none): delivered to mx.modenone.example" ;;
	nosts)		echo "nosts.example (no MTA-STS): delivered to mx.nosts.example" ;;
	dane)		echo "dane.example: delivered to mx.dane.example over verified TLS" ;;
	cached)		echo "cached.example: delivered to mx.cached.example over verified TLS while its policy host works" ;;
	ps)		echo "the filter's network process runs as user _mtasts" ;;
	smtp-out)	echo "smtp-out reports (filter on the relay action): the TLS outcome is logged for mx1.enforce.example's address" ;;
	cached-restart)	echo "cached.example after its policy host fails (HTTP 500, new id) and smtpd+filter restart on the same state: delivered to mx.cached.example only, over verified TLS" ;;
	esac
}

mtasts_fail_all() {
	for mf_c in $MTASTS_CHECKS; do
		[ "$mf_c" = start ] && continue
		not_ok "$(mtasts_title "$mf_c")" "$1"
	done
}

check_ps() {
	ps -e -o pid=,user=,args= >"$work/ps.out"
	cp_found=
	while read -r cp_pid cp_user cp_args; do
		in_ns "$cp_pid" || continue
		# the program as run by smtpd ("$FM filter ...", or through an
		# interpreter), or renamed by setproctitle ("filter-mtasts: ...")
		case $cp_args in
		"$FM" | "$FM "* | *" $FM" | *" $FM "* | filter-mtasts*) ;;
		*) continue ;;
		esac
		note "pid $cp_pid user $cp_user: $cp_args"
		[ "$cp_user" = _mtasts ] && cp_found=1
	done <"$work/ps.out"
	[ -n "$why" ] || note "no filter-mtasts process in the namespace"
	[ -n "$cp_found" ] || bad "no filter-mtasts process runs as _mtasts"
}

phase_mtasts() {
	if [ ! -x "$FILTER_MTASTS" ]; then
		not_ok "$(mtasts_title start)" "FILTER_MTASTS=$FILTER_MTASTS is not executable"
		mtasts_fail_all "filter-mtasts is not built"
		return
	fi
	if ! start_smtpd mtasts "$work/mtasts.conf"; then
		not_ok "$(mtasts_title start)" "$smtpd_err" "$(smtpd_tail)"
		mtasts_fail_all "smtpd with filter-mtasts is not running"
		return
	fi
	ok "$(mtasts_title start)"

	# slow.example first, in the background; enforce.example once the
	# slow session's RCPT is out (its first policy fetch stalls)
	submit m-slow m-slow@slow.example "$SLOW_WAIT" &
	slow_pid=$!
	bg_pids="$bg_pids $slow_pid"
	slow_start=$(now)
	mt_end=$((slow_start + 15))
	until ev m-slow rcpt-sent ts >/dev/null || ev m-slow error error >/dev/null; do
		[ "$(now)" -lt "$mt_end" ] || break
		sleep 0.05
	done
	submit m-enforce m-enforce@enforce.example 40
	# the enforce domain: its RCPT reply must come before the slow one's
	mt_e=$(ev m-enforce rcpt-reply ts)
	mt_ss=$(ev m-slow rcpt-sent ts)
	mt_sr=$(ev m-slow rcpt-reply ts)

	submit_many "m-wn@$WN" "m-nt@$NT" m-nomatch@nomatch.example \
	    m-testing@testing.example m-modenone@modenone.example \
	    m-nosts@nosts.example m-dane@dane.example m-cached@cached.example
	settle m-enforce@enforce.example "m-wn@$WN" "m-nt@$NT" \
	    m-testing@testing.example m-modenone@modenone.example \
	    m-nosts@nosts.example m-dane@dane.example m-cached@cached.example

	# the checks of this first smtpd instance
	check_ps
	ps_fail=$fail ps_why=$why
	fail="" why=""

	if accepted m-enforce m-enforce@enforce.example; then
		expect_delivered m-enforce@enforce.example mx1.enforce.example verified
		[ -z "$(grep -F 'to=<m-enforce@enforce.example>' \
		    "$work/sink/mbox/mx2.enforce.example" 2>/dev/null)" ] ||
		    bad "a copy reached mx2.enforce.example"
		grep -q '"host": "mx2.enforce.example"' "$work/sink/events.jsonl" &&
		    note "(mx2.enforce.example saw a connection)"
	fi
	result "$(mtasts_title enforce)"

	# wait (bounded) for the slow session to finish, for its outcome
	while kill -0 "$slow_pid" 2>/dev/null && [ "$(now)" -lt $((slow_start + SLOW_WAIT + 5)) ]; do
		sleep 0.2
	done
	stop_pid "$slow_pid"
	mt_sr2=$(ev m-slow rcpt-reply ts)
	if [ -z "$mt_ss" ]; then
		bad "the slow.example session never sent its RCPT: $(ev m-slow error error)"
	elif [ -z "$mt_e" ]; then
		bad "enforce.example's RCPT got no reply: $(ev m-enforce error error)"
	else
		note "slow.example RCPT sent at $mt_ss; enforce.example RCPT answered at $mt_e ($(ev m-enforce rcpt-reply code))"
		[ "$(ev m-enforce rcpt-reply code)" = 250 ] ||
		    bad "enforce.example's RCPT was refused: $(ev m-enforce rcpt-reply text)"
		if [ -n "$mt_sr" ] &&
		    awk -v a="$mt_sr" -v b="$mt_e" 'BEGIN { exit !(a < b) }'; then
			bad "slow.example's RCPT was answered first, at $mt_sr"
		fi
		awk -v a="$mt_ss" -v b="$mt_e" 'BEGIN { exit !(a < b) }' ||
		    bad "enforce.example's RCPT was not answered after slow.example's RCPT was sent"
		if [ -n "$mt_sr2" ]; then
			note "slow.example RCPT answered at $mt_sr2: $(ev m-slow rcpt-reply code) $(ev m-slow rcpt-reply text)"
		else
			note "slow.example RCPT unanswered after ${SLOW_WAIT} s ($(ev m-slow error error))"
		fi
	fi
	result "$(mtasts_title slow)"

	accepted m-wn "m-wn@$WN" && expect_queued "m-wn@$WN"
	result "$(mtasts_title wrongname)"
	accepted m-nt "m-nt@$NT" && expect_queued "m-nt@$NT"
	result "$(mtasts_title notls)"
	expect_refused m-nomatch@nomatch.example
	# the refusal must rest on the policy: it was fetched
	mt_n=$(fetches nomatch.example)
	note "policy fetches of mta-sts.nomatch.example: $mt_n"
	[ "${mt_n:-0}" -ge 1 ] || bad "nomatch.example's policy was never fetched"
	result "$(mtasts_title nomatch)"
	for mt_d in testing modenone nosts; do
		accepted "m-$mt_d" "m-$mt_d@$mt_d.example" &&
		    expect_delivered "m-$mt_d@$mt_d.example" "mx.$mt_d.example"
		result "$(mtasts_title $mt_d)"
	done
	accepted m-dane m-dane@dane.example &&
	    expect_delivered m-dane@dane.example mx.dane.example verified
	result "$(mtasts_title dane)"
	accepted m-cached m-cached@cached.example &&
	    expect_delivered m-cached@cached.example mx.cached.example verified
	result "$(mtasts_title cached)"
	fail=$ps_fail why=$ps_why
	result "$(mtasts_title ps)"
	so_ip=$(sh "$net" exec "$dir" getent hosts mx1.enforce.example | awk '{ print $1; exit }')
	so_line=$(grep -F "smtp-out " "$smtpd_log" | grep -F " to $so_ip:25: TLS TLSv1." | head -n 1)
	if [ -n "$so_ip" ] && [ -n "$so_line" ]; then
		note "$so_line"
	else
		bad "no smtp-out TLS line for $so_ip:25 in smtpd's log"
	fi
	result "$(mtasts_title smtp-out)"

	# cached.example: the policy host fails, the record announces a new
	# policy; smtpd and the filter restart on the same state directory
	mt_f0=$(fetches cached.example)
	break_cached "$(mtasts_title cached-restart)" || return
	stop_smtpd
	if ! start_smtpd mtasts "$work/mtasts.conf"; then
		not_ok "$(mtasts_title cached-restart)" "restart: $smtpd_err" "$(smtpd_tail)"
		return
	fi
	submit m-cached2 m-cached2@cached.example 40
	settle m-cached2@cached.example
	accepted m-cached2 m-cached2@cached.example &&
	    expect_delivered m-cached2@cached.example mx.cached.example verified
	note "policy fetches of mta-sts.cached.example: $mt_f0 before the restart, $(fetches cached.example) after"
	result "$(mtasts_title cached-restart)"
	stop_smtpd
}

# ------------------------------------------------------------- relay

# relay_conf: relay.conf, the smtpd.conf of the manual, with the test's
# program and paths: filter-mtasts with the network's resolver, trust
# anchor, CA and a state directory of its own; the listener on the
# sender's address; the test's aliases and helo; "from local" becomes
# "from any" (the sender is 127.0.26.1).  Every other line is as the
# manual has it.
relay_conf() {
	sed -e '/^#/d' \
	    -e "s|/usr/local/sbin/filter-mtasts filter|$FM filter -r $RESOLVER -a $dir/root.key -c $dir/ca.pem -s $RSTATE|" \
	    -e "s|file:/etc/aliases|file:$work/aliases|" \
	    -e "s|^listen on localhost|listen on $SENDER_IP port 25 hostname $HELO|" \
	    -e "s|mail\.example\.org\$|$HELO|" -e "s|helo mail\.example\.org|helo $HELO|" \
	    -e 's|match from local|match from any|' "$here/relay.conf"
}

# The relay checks, in the order they are printed.
RELAY_CHECKS="start ee expired ta mismatch notls failover two-domains
rcpt452 rcpt550 dropdata killed log tlsrpt"

relay_title() {
	case $1 in
	start)		echo "relay: smtpd starts with the smtpd.conf of the manual (relay host smtp+notls://127.0.0.1:7672)" ;;
	ee)		echo "relay: ee.v.example (DANE-EE, self-signed): delivered to mx1.ee.v.example over TLS, SNI the MX name" ;;
	expired)	echo "relay: expired.v.example (DANE-EE, expired certificate): delivered to mx.expired.v.example" ;;
	ta)		echo "relay: ta.v.example (DANE-TA, private CA in the chain): delivered to mx.ta.v.example" ;;
	mismatch)	echo "relay: mismatch.v.example (TLSA mismatch, certificate valid under the CA): stays queued, never delivered" ;;
	notls)		echo "relay: notls.v.example (secure TLSA, no STARTTLS): stays queued, never delivered" ;;
	failover)	echo "relay: failover.v.example (enforce; first MX wrong-name, second good): delivered to mx2 only" ;;
	two-domains)	echo "relay: one message to a DANE and an STS domain: 452 4.5.3 for the second, smtpd retries it; both delivered once, each to its MX" ;;
	rcpt452)	echo "relay: the MX answers 452 to RCPT: smtpd gets that 452 (TempFail), the message stays queued" ;;
	rcpt550)	echo "relay: the MX answers 550 to RCPT: smtpd gets that 550 (PermFail)" ;;
	dropdata)	echo "relay: the MX drops the connection mid-DATA: the message stays queued, then delivered once on retry" ;;
	killed)		echo "relay: the network process killed mid-transaction: the message stays queued, then delivered once on retry" ;;
	log)		echo "relay: each delivery logged with MX host, TLS version and what authenticated it" ;;
	tlsrpt)		echo "relay: TLS reporting: failover.v.example's day has mx2's sessions successful, mx1's failed with certificate-host-mismatch; mismatch.v.example's failed under its tlsa policy" ;;
	esac
}

# relay_ok RCPT MX AUTH: one copy, at MX, over TLS 1.2/1.3 with SNI the
# MX name (6.8 sends no SNI itself: this is the relay's), and the
# filter's log line says AUTH authenticated it.
relay_ok() {
	if ! one_copy "$1" "$2" '%s: delivered to %s, TLS %s, SNI %s'; then
		bad "$1: not delivered"
		ro_q=$(queued "$1")
		[ -n "$ro_q" ] && note "queued: $ro_q"
		return
	fi
	tls_ok "$1"
	[ "$ed_sni" = "$2" ] || bad "$1: SNI is $ed_sni, not $2"
	ro_l=$(grep -F "relay ${1#*@}: delivered " "$smtpd_log" | grep -F "<$1>" | tail -n 1)
	case $ro_l in
	*" via $2 ["*"] TLSv1."*" $3: 250 "*) note "${ro_l#*filter-mtasts: }" ;;
	*) bad "$1: no log line \"relay ${1#*@}: delivered ... via $2 ... $3\"${ro_l:+: $ro_l}" ;;
	esac
}

# mta_result RCPT RESULT TEXT: smtpd logged a delivery attempt of RCPT
# with that result and TEXT in its status.
mta_result() {
	grep -F " to=<$1> " "$smtpd_log" | grep "mta delivery .*result=\"$2\"" |
	    grep -qF "$3"
}

# settle_delivered RCPT...: smtpd tries again now; wait (SETTLE) until
# each is delivered.
settle_delivered() {
	smtpctl schedule all >/dev/null 2>&1
	sd_end=$(($(now) + SETTLE))
	for sd_r; do
		until [ -n "$(delivered "$sd_r")" ]; do
			[ "$(now)" -lt "$sd_end" ] || break
			sleep 0.2
			smtpctl schedule all >/dev/null 2>&1
		done
	done
}

# sink_event EVENT RCPT: the network's sink logged EVENT for RCPT.
sink_event() {
	grep -F "\"event\": \"$1\"" "$dir/smtp/events.jsonl" 2>/dev/null |
	    grep -qF "\"rcpt\": \"$2\""
}

# netproc_pid: the network process, by its connection to an MX host.
netproc_pid() {
	nsx ss -Htnp state established "( dport = :25 )" 2>/dev/null |
	    sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

# relay_tlsrpt: the sessions the relay recorded for TLS reporting, as
# "report show" and "report json" read them from the state directory
# (each result is on disk before the relay answers smtpd).
relay_tlsrpt() {
	rt_day=$(date -u +%Y-%m-%d)
	"$FM" report show -s "$RSTATE" -d "$rt_day" >"$work/rshow" 2>&1
	note "$(grep -F '.v.example ' "$work/rshow")"
	rt_l=$(grep -F " failover.v.example " "$work/rshow")
	rt_ok=$(echo "$rt_l" | sed -n 's/.* successful \([0-9]*\) .*/\1/p')
	rt_f=$(echo "$rt_l" | sed -n 's/.* failed \([0-9]*\) .*/\1/p')
	# r-fo and r-two2 delivered at mx2; mx1 refused (at least once:
	# the relay may remember it)
	[ "${rt_ok:-0}" -ge 2 ] && [ "${rt_f:-0}" -ge 1 ] ||
	    bad "failover.v.example: successful ${rt_ok:-none}, failed ${rt_f:-none}; want 2 or more, 1 or more"
	"$FM" report json -s "$RSTATE" -d "$rt_day" failover.v.example \
	    >"$work/rjson" 2>&1
	python3 - "$work/rjson" <<'PY' || bad "failover.v.example's report: $(cat "$work/rjson")"
import json, sys
r = json.load(open(sys.argv[1]))
d = [x for p in r["policies"] if p["policy"]["policy-type"] == "sts"
     and "mx: mx2.failover.v.example" in p["policy"]["policy-string"]
     for x in p.get("failure-details", [])]
assert [x for x in d if x["result-type"] == "certificate-host-mismatch"
        and x["receiving-mx-hostname"] == "mx1.failover.v.example"], d
PY
	rt_l=$(grep -F " mismatch.v.example " "$work/rshow")
	case $rt_l in
	*" successful 0 failed "[1-9]*) ;;
	*) bad "mismatch.v.example: ${rt_l:-not recorded}; want only failed sessions" ;;
	esac
	"$FM" report json -s "$RSTATE" -d "$rt_day" mismatch.v.example \
	    2>&1 | grep -q '"policy-type": *"tlsa"' ||
	    bad "mismatch.v.example: no tlsa policy in its report"
}

phase_relay() {
	relay_conf >"$work/relay.conf"
	if ! start_smtpd relay "$work/relay.conf"; then
		not_ok "$(relay_title start)" "$smtpd_err" "$(smtpd_tail)"
		for rl_c in $RELAY_CHECKS; do
			[ "$rl_c" = start ] ||
			    not_ok "$(relay_title "$rl_c")" "smtpd with the relay is not running"
		done
		return
	fi
	ok "$(relay_title start)"

	submit_many r-ee@ee.v.example r-exp@expired.v.example \
	    r-ta@ta.v.example r-mm@mismatch.v.example r-nt@notls.v.example \
	    r-fo@failover.v.example rcpt452-a@ee.v.example \
	    rcpt550-a@ee.v.example dropdata-a@ee.v.example
	nsx python3 "$tool" send-multi "$SUBMIT_IP" \
	    r-two@ee.v.example,r-two2@failover.v.example r-two "$events" 40
	settle r-ee@ee.v.example r-exp@expired.v.example r-ta@ta.v.example \
	    r-mm@mismatch.v.example r-nt@notls.v.example r-fo@failover.v.example \
	    rcpt452-a@ee.v.example rcpt550-a@ee.v.example \
	    dropdata-a@ee.v.example r-two@ee.v.example r-two2@failover.v.example

	accepted r-ee r-ee@ee.v.example &&
	    relay_ok r-ee@ee.v.example mx1.ee.v.example DANE-EE
	[ "$V" = 6.8 ] && note "(OpenSMTPD 6.8 sends no SNI: the relay did)"
	result "$(relay_title ee)"
	accepted r-exp r-exp@expired.v.example &&
	    relay_ok r-exp@expired.v.example mx.expired.v.example DANE-EE
	result "$(relay_title expired)"
	accepted r-ta r-ta@ta.v.example &&
	    relay_ok r-ta@ta.v.example mx.ta.v.example DANE-TA
	result "$(relay_title ta)"
	for rl_d in mismatch:r-mm notls:r-nt; do
		rl_r=${rl_d#*:}@${rl_d%%:*}.v.example
		if accepted "${rl_d#*:}" "$rl_r"; then
			expect_queued "$rl_r"
			mta_result "$rl_r" TempFail "4.7.5 ${rl_d%%:*}.v.example: no MX host could be used: mx.${rl_d%%:*}.v.example" ||
			    bad "$rl_r: no TempFail 4.7.5 naming mx.${rl_d%%:*}.v.example in smtpd's log"
			note "$(grep -F "relay ${rl_d%%:*}.v.example: mx." "$smtpd_log" | head -n 1 | sed 's/.*filter-mtasts: //')"
		fi
		result "$(relay_title "${rl_d%%:*}")"
	done
	accepted r-fo r-fo@failover.v.example &&
	    relay_ok r-fo@failover.v.example mx2.failover.v.example "PKIX+MX name"
	grep -qF "relay failover.v.example: mx1.failover.v.example [" "$smtpd_log" ||
	    bad "no log line for the failed mx1.failover.v.example"
	result "$(relay_title failover)"

	# the domain smtpd sent second: 452 4.5.3, TempFail (never a
	# bounce), retried by smtpd on its own schedule (forced here)
	if [ "$(ev r-two data-reply code)" = 250 ]; then
		rl_452=
		for rl_r in r-two@ee.v.example r-two2@failover.v.example; do
			mta_result "$rl_r" TempFail "452 4.5.3" && rl_452="$rl_452 $rl_r"
			! grep -F " to=<$rl_r> " "$smtpd_log" |
			    grep -q 'result="PermFail"' || bad "$rl_r: a PermFail"
		done
		[ "$(echo $rl_452 | wc -w)" -eq 1 ] ||
		    bad "expected one TempFail 452 4.5.3, got:${rl_452:- none}"
		note "452 4.5.3 for$rl_452; queue: $(queued $rl_452 | awk -F'|' '{ print "retry", $11, "next try by smtpd in", $13, "s" }')"
		settle_delivered r-two@ee.v.example r-two2@failover.v.example
		relay_ok r-two@ee.v.example mx1.ee.v.example DANE-EE
		relay_ok r-two2@failover.v.example mx2.failover.v.example "PKIX+MX name"
	else
		bad "the two-domain message was not accepted: $(ev r-two data-reply text)"
	fi
	result "$(relay_title two-domains)"

	if accepted rcpt452-a rcpt452-a@ee.v.example; then
		mta_result rcpt452-a@ee.v.example TempFail "452 4.2.2 mx1.ee.v.example: rcpt452-a@ee.v.example: mailbox full" ||
		    bad "smtpd logged no TempFail with the MX's 452 4.2.2"
		[ -n "$(queued rcpt452-a@ee.v.example)" ] || bad "not queued"
		[ -z "$(delivered rcpt452-a@ee.v.example)" ] || bad "delivered"
		note "$(grep -F ' to=<rcpt452-a@ee.v.example> ' "$smtpd_log" | grep -o 'result=.*' | head -n 1)"
	fi
	result "$(relay_title rcpt452)"
	if accepted rcpt550-a rcpt550-a@ee.v.example; then
		mta_result rcpt550-a@ee.v.example PermFail "550 5.1.1 mx1.ee.v.example: rcpt550-a@ee.v.example: no such user" ||
		    bad "smtpd logged no PermFail with the MX's 550 5.1.1"
		note "$(grep -F ' to=<rcpt550-a@ee.v.example> ' "$smtpd_log" | grep -o 'result=.*' | head -n 1)"
	fi
	result "$(relay_title rcpt550)"

	if accepted dropdata-a dropdata-a@ee.v.example; then
		sink_event data-dropped dropdata-a@ee.v.example ||
		    bad "the sink did not drop the connection"
		mta_result dropdata-a@ee.v.example TempFail "4.4.2" ||
		    bad "smtpd logged no TempFail 4.4.2"
		settle_delivered dropdata-a@ee.v.example
		relay_ok dropdata-a@ee.v.example mx1.ee.v.example DANE-EE
	fi
	result "$(relay_title dropdata)"

	# the sink holds its answer to the end of the message; meanwhile the
	# network process (which holds the MX connection) is killed
	submit stalldata-k stalldata-k@ee.v.example 40
	smtpctl schedule all >/dev/null 2>&1
	rl_end=$(($(now) + SETTLE))
	until sink_event data-stalled stalldata-k@ee.v.example || [ "$(now)" -ge "$rl_end" ]; do
		sleep 0.1
	done
	rl_pid=$(netproc_pid)
	if ! accepted stalldata-k stalldata-k@ee.v.example; then
		:
	elif ! sink_event data-stalled stalldata-k@ee.v.example || [ -z "$rl_pid" ]; then
		bad "the transaction did not reach the stalled end of data (network process: ${rl_pid:-none})"
	else
		note "killed network process $rl_pid ($(ps -o user= -p "$rl_pid")) in the middle of the transaction"
		kill -KILL "$rl_pid"
		rl_end=$(($(now) + SETTLE))
		until attempted stalldata-k@ee.v.example || [ "$(now)" -ge "$rl_end" ]; do
			sleep 0.1
		done
		mta_result stalldata-k@ee.v.example TempFail "4.3.0" ||
		    bad "smtpd logged no TempFail 4.3.0: $(grep -F ' to=<stalldata-k@ee.v.example> ' "$smtpd_log" | tail -n 1)"
		[ -z "$(delivered stalldata-k@ee.v.example)" ] || bad "delivered before the retry"
		settle_delivered stalldata-k@ee.v.example
		relay_ok stalldata-k@ee.v.example mx1.ee.v.example DANE-EE
	fi
	result "$(relay_title killed)"

	rl_n=$(grep -c 'filter-mtasts: relay [^ ]*: delivered ' "$smtpd_log")
	note "$rl_n deliveries logged, e.g.:"
	note "$(grep 'filter-mtasts: relay [^ ]*: delivered ' "$smtpd_log" | head -n 1 | sed 's/.*filter-mtasts: //')"
	[ "$rl_n" -ge 8 ] || bad "fewer than 8 deliveries logged"
	result "$(relay_title log)"

	relay_tlsrpt
	result "$(relay_title tlsrpt)"
	stop_smtpd
}

# bench/relay.sh: numbers, not checks, in this harness.
phase_bench() {
	BENCH_RELAY_SOURCED=1 . "$top/bench/relay.sh"
	bench_relay
}

# demo_did RCPT: what smtpd did with the message, in a few words.
demo_did() {
	dd_code=$(ev "${1%@*}" rcpt-reply code)
	if [ "$dd_code" != 250 ]; then
		echo "refused at RCPT: $dd_code $(ev "${1%@*}" rcpt-reply text)"
		return
	fi
	dd_got=$(delivered "$1" | head -n 1)
	if [ -n "$dd_got" ]; then
		set -- "$1" $dd_got
		if verified "$1"; then
			echo "delivered to $2 over verified TLS (${3%%_*})"
		elif [ "$3" = none ]; then
			echo "delivered to $2 in plaintext"
		else
			echo "delivered to $2 over TLS (${3%%_*}), not verified"
		fi
		return
	fi
	dd_q=$(queued "$1" | awk -F'|' '{ print $14; exit }')
	dd_why=$(demo_mta_error "${1#*@}")
	echo "kept queued: ${dd_why:-${dd_q:-no delivery yet}}"
}

# demo_mta_error DOMAIN: smtpd's own words on why its allowed MX (the
# one relayhost answer) was not used: the session's error line.
demo_mta_error() {
	de_ip=$(nexec getent hosts "mx.$1" | awk '{ print $1; exit }')
	[ -n "$de_ip" ] || return
	for de_sid in $(grep -F "mta connecting address=smtp+tls://$de_ip:25" \
	    "$smtpd_log" | cut -d' ' -f1 | sort -u); do
		grep -E "^$de_sid mta (error reason=|ssl_check_name|.*(cert|TLS).*(fail|error))" \
		    "$smtpd_log" | head -n 1 | cut -d' ' -f3-
	done | head -n 1
}

# make demo: a handful of domains through smtpd and filter-mtasts, and
# a table of the verdict and what smtpd did with each message.
phase_demo() {
	if ! start_smtpd mtasts "$work/mtasts.conf"; then
		echo "smtpd did not start: $smtpd_err"
		smtpd_tail
		return
	fi
	dm_rcpts="d@enforce.example d@wildcard.example d@nomatch.example
	    d@testing.example d@nosts.example d@dane.example d@$WN d@$NT"
	dm_n=0
	for dm_r in $dm_rcpts; do
		dm_n=$((dm_n + 1))
		submit "d$dm_n" "d$dm_n@${dm_r#*@}" 40
	done
	dm_n=0
	dm_all=
	for dm_r in $dm_rcpts; do
		dm_n=$((dm_n + 1))
		dm_all="$dm_all d$dm_n@${dm_r#*@}"
	done
	settle $dm_all >/dev/null
	printf '\n%-20s %-12s %s\n' domain verdict "what OpenSMTPD $V did"
	for dm_r in $dm_all; do
		dm_d=${dm_r#*@}
		dm_v=$(grep -o "rcpt $dm_d: [a-z-]*" "$smtpd_log" | tail -n 1 |
		    awk '{ print $3 }')
		printf '%-20s %-12s %s\n' "$dm_d" "${dm_v:--}" "$(demo_did "$dm_r")"
	done
	echo
	stop_smtpd
}

cmd_run() {
	[ $# -ge 1 ] || usage
	V=$1
	shift
	T="smtpd $V"
	phases=${*:-stub mtasts relay}
	for rn_p in $phases; do
		case $rn_p in
		stub | mtasts | relay | demo | bench) ;;
		*) usage ;;
		esac
	done
	# LIBEXEC: the compiled-in PATH_LIBEXEC (our mount point);
	# HELPERS: where smtpd's own helpers (mail.local, ...) are
	case $V in
	6.8)	SMTPD=/usr/sbin/smtpd SMTPCTL=/usr/sbin/smtpctl
		LIBEXEC=/usr/libexec/opensmtpd HELPERS=$LIBEXEC
		if [ "${SMTPD68_UNPACK:-}" = 1 ] || ! [ -x "$SMTPD" ]; then
			SMTPD=$CACHE68/root/usr/sbin/smtpd
			SMTPCTL=$CACHE68/root/usr/sbin/smtpctl
			HELPERS=$CACHE68/root/usr/libexec/opensmtpd
		fi ;;
	7.6)	SMTPD=$CACHE/inst/sbin/smtpd SMTPCTL=$CACHE/inst/sbin/smtpctl
		LIBEXEC=$CACHE/inst/libexec/opensmtpd HELPERS=$LIBEXEC ;;
	*)	usage ;;
	esac

	[ "$(id -u)" -eq 0 ] || skip_all "not root"
	[ -x "$SMTPD" ] || skip_all "$SMTPD not installed (run: sh regress/smtpd/smtpd.sh setup)"
	"$SMTPD" -h 2>&1 | grep -q "OpenSMTPD $V" ||
	    skip_all "$SMTPD is not OpenSMTPD $V"
	[ -d "$LIBEXEC" ] || skip_all "no $LIBEXEC"
	need_tools ""
	id opensmtpd >/dev/null 2>&1 || skip_all "no user opensmtpd (Debian's opensmtpd package)"
	need_netns

	rn_start=$(now)
	ns_given=${NET_NS:-}
	NET_NS=${NET_NS:-mtasts-smtpd}
	export NET_NS
	smtpd_pid='' sink_pid='' bg_pids='' fail='' why=''
	# smtpd's lka (user opensmtpd) runs the proc tables from there
	make_work smtpd

	# our PATH_LIBEXEC: smtpd's own helpers, the stub, filter-mtasts
	# (copied: the caller's build directory may be closed to the
	# opensmtpd user) and the table-mtasts shim
	mkdir -p "$work/libexec" "$work/stub"
	cp -p "$HELPERS"/* "$work/libexec/" 2>/dev/null
	cp "$here/stub.py" "$work/libexec/stub.py"
	printf '#!/bin/sh\nexec /usr/bin/python3 %s table "$@"\n' \
	    "$work/libexec/stub.py" >"$work/libexec/table-stub"
	FM=$work/libexec/filter-mtasts
	[ -x "$FILTER_MTASTS" ] && cp "$FILTER_MTASTS" "$FM"
	printf '#!/bin/sh\nexec %s table "$@"\n' "$FM" >"$work/libexec/table-mtasts"
	chmod 755 "$work/libexec/table-stub" "$work/libexec/table-mtasts"
	STATE=$(mktemp -d "$work/state.XXXXXX")
	RSTATE=$(mktemp -d "$work/rstate.XXXXXX")

	cat >"$work/mtasts.conf" <<EOF
table mtasts mtasts:/run/filter-mtasts/table.sock
filter "mtasts" proc-exec "$FM filter -r $RESOLVER -a $dir/root.key -c $dir/ca.pem -s $STATE -S /run/filter-mtasts/table.sock" user root
listen on $SENDER_IP port 25 hostname $HELO filter "mtasts"
action "mtasts" relay domain <mtasts> tls helo $HELO filter "mtasts"
action "relay" relay helo $HELO
match from any for domain <mtasts> action "mtasts"
match from any for any action "relay"
EOF
	cat >"$work/stub.conf" <<EOF
table stub stub:$work/stub/map
filter "stub" proc-exec "/usr/bin/python3 $work/libexec/stub.py filter $work/stub/filter.log nomatch.example" user root
listen on $SENDER_IP port 25 hostname $HELO filter "stub"
action "stub" relay domain <stub> tls helo $HELO
action "relay" relay helo $HELO
match from any for domain <stub> action "stub"
match from any for any action "relay"
EOF

	rn_out=$(conf_check "$work/mtasts.conf")
	if [ $? -eq 0 ]; then ok "smtpd -n accepts the filter-mtasts smtpd.conf"
	else not_ok "smtpd -n accepts the filter-mtasts smtpd.conf" "$rn_out" \
	    "$(cat "$work/mtasts.conf")"
	fi
	relay_conf >"$work/relay.conf"
	echo "postmaster: root" >"$work/aliases"
	chmod 644 "$work/aliases"
	rn_out=$(conf_check "$work/relay.conf")
	if [ $? -eq 0 ]; then ok "smtpd -n accepts the relay smtpd.conf of the manual"
	else not_ok "smtpd -n accepts the relay smtpd.conf of the manual" "$rn_out" \
	    "$(cat "$work/relay.conf")"
	fi
	rn_out=$(conf_check "$work/stub.conf")
	if [ $? -eq 0 ]; then ok "smtpd -n accepts the stub smtpd.conf"
	else not_ok "smtpd -n accepts the stub smtpd.conf" "$rn_out"
	fi

	# mtasts-smtpd held by another run (or a killed one): take another
	if ! sh "$net" start "$dir" >"$work/net.err" 2>&1 &&
	    { [ -n "$ns_given" ] || ! grep -q 'namespace .* exists' "$work/net.err" ||
	    ! NET_NS=mtasts-smtpd$$ sh "$net" start "$dir" >"$work/net.err" 2>&1; }; then
		not_ok "test network and SMTP sink start" "$(cat "$work/net.err")"
		exit 1
	fi
	NET_NS=$(cat "$dir/netns")
	[ "$NET_NS" = mtasts-smtpd ] || echo "# $T: network namespace $NET_NS"
	net_up "test network and SMTP sink start" 15
	ok "test network and SMTP sink start ($(wc -l <"$work/sink/hosts") MX hosts; wrong-name certificate: mx.$WN, no STARTTLS: mx.$NT)"

	# the stub's routes: enforce.example to its policy MX, the two
	# broken policy MX hosts, and a domain whose relayhost is not found
	{
		echo "enforce.example smtp+tls://mx1.enforce.example:25"
		echo "$WN smtp+tls://mx.$WN:25"
		echo "$NT smtp+tls://mx.$NT:25"
		echo "modenone.example -"
	} >"$work/stub/map"
	: >"$work/stub/map.log"
	chmod 644 "$work/stub/map"
	chmod 666 "$work/stub/map.log"
	chmod 755 "$work/stub"

	for rn_p in $phases; do
		"phase_$rn_p"
	done
	echo "# $T: $(($(now) - rn_start)) s"
	[ "$nfail" -eq 0 ]
}

main "setup run" "$@"

#!/bin/sh
# mta.sh - end-to-end tests of filter-mtasts with real Exim 4.96 and
# Postfix 3.7 (Debian 12's packages) on the hermetic DNSSEC + HTTPS
# network of regress/net/net.sh, with the SMTP sink of
# regress/smtpd/sink.py behind every MX host address.
#
# usage: mta.sh setup
#        mta.sh run exim|postfix|proto|tlsrpt
#        mta.sh bench [BENCH_SOCKETMAP_ARGS...]
#
# setup (root): installs with apt-get what the network and the tests
#   need, unpacks Debian's exim4-daemon-light and postfix (apt-get
#   download + dpkg-deb -x) into private prefixes under $MTA_PREFIX
#   (default /var/tmp/filter-mtasts-mta) -- the two packages conflict
#   with each other and with opensmtpd, so neither is installed --,
#   installs their library dependencies with apt-get, and creates the
#   users and groups the packages' maintainer scripts would (Debian-exim,
#   postfix, postdrop) and _mtasts.  Idempotent; says what it did.
#
# run MTA: starts the network (namespace $NET_NS, default mtasts-mtaPID),
#   the sink, "filter-mtasts daemon" and the MTA, submits messages to
#   the MTA (Exim 127.0.26.2:25, Postfix 127.0.26.3:25), and judges
#   each by the sink's mailboxes and the MTA's log and queue.  Prints
#   "ok - MTA: ...", "not ok - ..." (with "# " detail lines) or one
#   "skip - MTA: ..."; exit status 1 if a check failed.  "proto" runs
#   proto_test.py (socketmap and Exim socket protocol, no MTA).
#   "tlsrpt" is TLS reporting (RFC 8460): a day of mail through Exim
#   (its event_action) and of datagrams as Postfix 3.10's TLSRPT
#   library sends them (rpttool.py), failures found before any
#   connection, a kill -9 of the network process while it records,
#   then "filter-mtasts report send" to the collectors of the network
#   (HTTPS, failing at first, and mail through Exim), each report
#   checked against RFC 8460.
#
# bench: bench_socketmap.py against a daemon with a warm cache (not a
#   test: it prints lookups per second and latencies); arguments go to
#   it, e.g. "-n 20000 -c 8 -d 1 -p 1".
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         network namespace (default mtasts-mtaPID)
#      MTA_PREFIX     where setup unpacks the MTAs
#      MTA_KEEP=1     keep the work directory (its path is printed)
#
# The MTA configurations are the files next to this script: exim.conf
# (complete; paths set with -D macros), postfix-main.cf (the lines
# filter-mtasts needs; the private instance's paths are appended here)
# and postfix-master.cf.  See /work/shared/docs/test-network.md and
# integration.md (sections E and F).  ../lib.sh holds the shell
# functions shared with regress/smtpd/smtpd.sh.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top/regress/lib.sh"
tool=$here/mtatool.py
rpttool=$here/rpttool.py
PREFIX=${MTA_PREFIX:-/var/tmp/filter-mtasts-mta}
APT_LOG=$PREFIX/apt.log
KEEP=${MTA_KEEP:-}

EXIM_ROOT=$PREFIX/exim
EXIM=$EXIM_ROOT/usr/sbin/exim4
PF_ROOT=$PREFIX/postfix
PF_LIB=$PF_ROOT/usr/lib/postfix
PF_SBIN=$PF_ROOT/usr/sbin

EXIM_IP=127.0.26.2
POSTFIX_IP=127.0.26.3
RESOLVER=127.0.53.2
SOCKETMAP=127.0.0.1:8461
EXIM_TCP=127.0.0.1:8462		# tlsrpt: a socket anyone may reach
HELO=sender.example
SETTLE=30		# seconds: upper bound for a message to settle
WAIT=20			# seconds: upper bound for a daemon to start or stop
STOP_WAIT=$WAIT
SUBMIT_WAIT=30		# seconds: submit's SMTP timeout

# ================================================================ setup

# The network (net.sh), the sink and the tests.
PKGS="python3 openssl procps iproute2 util-linux nsd ldnsutils unbound
nginx-light bind9-dnsutils curl netbase"
# Library packages that the unpacked binaries may need beyond their
# Depends (none known; the Depends are read from the .debs).
EXTRA_LIBS=""

say() {
	echo "mta.sh setup: $*"
}

# lib_depends DEB: the library packages among DEB's Depends and
# Pre-Depends (first alternative, no version).  Everything else
# (exim4-base, debconf, adduser, ...) belongs to package management.
lib_depends() {
	dpkg-deb -f "$1" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' |
	    tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' |
	    grep '^lib' | sort -u | tr '\n' ' '
}

# unpack PKG ROOT: apt-get download PKG, dpkg-deb -x it into ROOT, and
# install its library dependencies.  Skipped if ROOT/.deb names the
# candidate version already.
unpack() {
	up_pkg=$1 up_root=$2
	apt_update || return 1
	up_ver=$(apt-cache policy "$up_pkg" | sed -n 's/^ *Candidate: //p')
	if [ -z "$up_ver" ] || [ "$up_ver" = "(none)" ]; then
		say "$up_pkg: no candidate version in the apt sources"
		return 1
	fi
	if [ "$(cat "$up_root/.deb" 2>/dev/null)" = "${up_pkg}_$up_ver" ]; then
		say "$up_pkg $up_ver: unpacked in $up_root"
	else
		mkdir -p "$PREFIX/deb" || return 1
		# apt's download sandbox user must be able to write here
		id _apt >/dev/null 2>&1 && chown _apt "$PREFIX/deb"
		rm -f "$PREFIX/deb/${up_pkg}_"*.deb
		(cd "$PREFIX/deb" && apt-get download -qq "$up_pkg=$up_ver") || {
			say "$up_pkg: apt-get download failed"
			return 1
		}
		rm -rf "$up_root"
		mkdir -p "$up_root"
		dpkg-deb -x "$PREFIX/deb/${up_pkg}_"*.deb "$up_root" || {
			say "$up_pkg: dpkg-deb -x failed"
			return 1
		}
		echo "${up_pkg}_$up_ver" >"$up_root/.deb"
		say "$up_pkg $up_ver: unpacked into $up_root"
	fi
	# shellcheck disable=SC2046,SC2086
	apt_install $(lib_depends "$PREFIX/deb/${up_pkg}_"*.deb 2>/dev/null) $EXTRA_LIBS
}

# no_missing_libs BINARY [LD_LIBRARY_PATH]
no_missing_libs() {
	nm_out=$(LD_LIBRARY_PATH=${2:-} ldd "$1" 2>&1 | grep 'not found')
	[ -z "$nm_out" ] && return 0
	say "$1: missing libraries: $(echo "$nm_out" | tr -s ' \t\n' ' ')"
	return 1
}

# ensure_user NAME HOME: a system user NAME with a group NAME, as the
# packages' maintainer scripts create them (adduser --system).
ensure_user() {
	if id "$1" >/dev/null 2>&1; then
		say "user $1: exists"
		return 0
	fi
	if getent group "$1" >/dev/null; then
		useradd -r -g "$1" -M -d "$2" -s /usr/sbin/nologin "$1"
	else
		useradd -r -U -M -d "$2" -s /usr/sbin/nologin "$1"
	fi || { say "user $1: useradd failed"; return 1; }
	say "user $1: created"
}

ensure_group() {
	if getent group "$1" >/dev/null; then
		say "group $1: exists"
	elif groupadd -r "$1"; then
		say "group $1: created"
	else
		say "group $1: groupadd failed"
		return 1
	fi
}

setup_exim() {
	unpack exim4-daemon-light "$EXIM_ROOT" || return 1
	no_missing_libs "$EXIM" || return 1
	ensure_user Debian-exim /var/spool/exim4 || return 1
	se_v=$("$EXIM" -C /dev/null -bV 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
	"$EXIM" -C /dev/null -bV 2>/dev/null | grep '^Support for:' | grep -q ' DANE ' || {
		say "exim $se_v: no DANE support compiled in"
		return 1
	}
	say "exim $se_v: runs from $EXIM (DANE and DNSSEC compiled in)"
}

setup_postfix() {
	unpack postfix "$PF_ROOT" || return 1
	no_missing_libs "$PF_LIB/sbin/smtp" "$PF_LIB" || return 1
	ensure_user postfix /var/spool/postfix || return 1
	ensure_group postdrop || return 1
	# what Debian's postinst copies into /etc/postfix (meta_directory)
	cp "$PF_ROOT/usr/share/postfix/dynamicmaps.cf" "$PF_ROOT/etc/postfix/" ||
	    return 1
	sp_v=$(LD_LIBRARY_PATH=$PF_LIB "$PF_SBIN/postconf" -d -h mail_version 2>/dev/null)
	[ -n "$sp_v" ] || { say "postfix: postconf does not run"; return 1; }
	say "postfix $sp_v: runs from $PF_ROOT (LD_LIBRARY_PATH=$PF_LIB)"
}

setup_user() {
	ensure_user _mtasts /nonexistent
}

cmd_setup() {
	[ $# -eq 0 ] || usage
	[ "$(id -u)" -eq 0 ] || { say "must run as root"; exit 1; }
	su_start=$(now)
	su_rc=0
	mkdir -p "$PREFIX" || exit 1
	# shellcheck disable=SC2086
	apt_install $PKGS || su_rc=1
	setup_user || su_rc=1
	setup_exim || su_rc=1
	setup_postfix || su_rc=1
	say "done in $(($(now) - su_start)) s$([ $su_rc -eq 0 ] || echo ', with errors')"
	exit $su_rc
}

# ================================================================= run

# ---------------------------------------------------------- processes

# stop_procs: what cleanup stops before the network.
stop_procs() {
	stop_pid "$mta_pid"
	stop_pid "$fm_pid"
	stop_pid "$sink_pid"
}

# ------------------------------------------------------- filter-mtasts

fm_starts=0

# fm_start: "filter-mtasts daemon" as root in the network, dropping to
# _mtasts; state in $STATE (kept across restarts).  Waits for "ready".
fm_start() {
	fm_starts=$((fm_starts + 1))
	fm_log=$work/filter-mtasts.$fm_starts.log
	: >"$fm_log"
	# shellcheck disable=SC2086
	spawn "$fm_log" "$FILTER_MTASTS" daemon -r "$RESOLVER" -a "$dir/root.key" \
	    -c "$dir/ca.pem" -s "$STATE" -u _mtasts \
	    -l "socketmap=$SOCKETMAP" -l "exim=unix:$EXIM_SOCK" $FM_EXTRA
	fm_pid=$!
	fs_end=$(($(now) + WAIT))
	until grep -q 'filter-mtasts: ready' "$fm_log"; do
		if gone "$fm_pid"; then
			wait "$fm_pid" 2>/dev/null
			fm_err="filter-mtasts daemon exited: $(tail -n 5 "$fm_log")"
			fm_pid=
			return 1
		fi
		if [ "$(now)" -ge "$fs_end" ]; then
			fm_err="filter-mtasts daemon not ready after $WAIT s: $(tail -n 5 "$fm_log")"
			return 1
		fi
		sleep 0.05
	done
}

fm_stop() {
	stop_pid "$fm_pid"
	fm_pid=
}

# check_ps: every filter-mtasts process of the namespace runs as
# _mtasts, but the spawner (the front's child), which keeps root to
# start network processes as confined as the first.
check_ps() {
	cp_n=0
	ps -e -o pid=,ppid=,user=,args= >"$work/ps.out"
	while read -r cp_pid cp_ppid cp_user cp_args; do
		in_ns "$cp_pid" || continue
		case $cp_args in
		"$FILTER_MTASTS"* | filter-mtasts*) ;;
		*) continue ;;
		esac
		cp_n=$((cp_n + 1))
		note "pid $cp_pid user $cp_user: $(printf '%s' "$cp_args" | cut -c1-60)"
		[ "$cp_ppid" = "$fm_pid" ] && [ "$cp_user" = root ] && continue
		[ "$cp_user" = _mtasts ] || bad "pid $cp_pid runs as $cp_user"
	done <"$work/ps.out"
	[ "$cp_n" -ge 3 ] || bad "not the three filter-mtasts processes ($cp_n)"
}

# ----------------------------------------------------------- network

start_world() {
	if ! sh "$net" start "$dir" >"$work/net.err" 2>&1; then
		not_ok "network, sink and filter-mtasts daemon start" "$(cat "$work/net.err")"
		exit 1
	fi
	# mx.dane.example: self-signed, mx.danests.example: from the
	# untrusted CA -- both keep the key of the TLSA records, so DANE
	# verifies them and nothing else would
	net_up "network, sink and filter-mtasts daemon start" "$WAIT" \
	    mx.dane.example=selfsigned mx.danests.example=untrusted
	if ! fm_start; then
		not_ok "network, sink and filter-mtasts daemon start" "$fm_err"
		exit 1
	fi
	ok "network, sink and filter-mtasts daemon start ($(wc -l <"$work/sink/hosts") MX hosts; wrong-name certificate: mx.$WN, no STARTTLS: mx.$NT; daemon on $SOCKETMAP and $EXIM_SOCK)"
}

# ---------------------------------------------------------- messages

sessions() {
	python3 "$tool" sessions "$work/sink/events.jsonl" "$1"
}

qid() {
	ev "${1%@*}" data-reply queue_id
}

# The MTA's last log line about RCPT's delivery: delivered, deferred
# or failed.  Exim: "ID => RCPT ...", "ID == RCPT ...", "ID ** RCPT";
# Postfix: "ID: to=<RCPT>, ... status=...".
final_line() {
	fl_q=$(qid "$1")
	[ -n "$fl_q" ] || return 0
	case $MTA in
	exim)	grep -F " $fl_q " "$EXIM_LOG" |
		    grep -E " $fl_q (=>|==|\*\*) $1 " | tail -n 1 ;;
	postfix) grep -F "$fl_q: to=<$1>," "$PF_LOG" | grep ' status=' | tail -n 1 ;;
	esac
}

# settle RCPT...: until each accepted message was delivered, deferred
# or failed once (bounded by SETTLE seconds).
settle() {
	settle_until 0.1 "$@"
}

settled() {
	[ -n "$(final_line "$1")" ]
}

settle_alive() {
	:
}

# queued RCPT: "ID REASON" if the MTA still holds RCPT.
queued() {
	case $MTA in
	exim)	eximc -bp 2>/dev/null | python3 "$tool" eximqueue "$1" ;;
	postfix) pfc postqueue -j 2>/dev/null | python3 "$tool" pfqueue "$1" ;;
	esac
}

accepted() {
	ac_code=$(ev "${1%@*}" data-reply code)
	[ "$ac_code" = 250 ] && return 0
	bad "$1: submission not accepted: $(ev "${1%@*}" rcpt-reply code) $(ev "${1%@*}" rcpt-reply text) $(ev "${1%@*}" error error)"
	return 1
}

# expect_delivered RCPT MX [sts|dane|plain]: exactly one copy, at MX;
# with "sts" or "dane" also over TLS 1.2/1.3, verified the way the
# MTA log says for that route (mta_route), and for sts with SNI = MX.
expect_delivered() {
	accepted "$1" || return
	ed_line=$(final_line "$1")
	if ! one_copy "$1" "$2" 'sink: %s at %s, TLS %s, SNI %s'; then
		bad "$1: not delivered"
		[ -n "$ed_line" ] && note "$MTA: $ed_line"
		ed_q=$(queued "$1")
		[ -n "$ed_q" ] && note "queued: $ed_q"
		return
	fi
	note "$MTA: $ed_line"
	[ $# -ge 3 ] || return
	case $3 in
	sts | dane) tls_ok "$1" ;;
	esac
	[ "$3" = sts ] && [ "$ed_sni" != "$2" ] && bad "$1: SNI is $ed_sni, not $2"
	"route_$MTA" "$1" "$2" "$3"
}

# expect_queued RCPT WHAT: not delivered anywhere, still in the MTA's
# queue, and the MTA's log line for the attempt contains WHAT (an ERE).
expect_queued() {
	accepted "$1" || return
	eq_got=$(delivered "$1")
	[ -z "$eq_got" ] || bad "$1: delivered: $eq_got"
	eq_line=$(final_line "$1")
	note "$MTA: ${eq_line:-no log line for the attempt}"
	case $eq_line in
	*" == "* | *"status=deferred"*) ;;
	*) bad "$1: no deferral logged" ;;
	esac
	printf '%s\n' "$eq_line" | grep -Eq -- "$2" || bad "$1: the log line does not match /$2/"
	eq_q=$(queued "$1")
	if [ -n "$eq_q" ]; then
		note "queue: $eq_q"
	else
		bad "$1: not in the queue"
	fi
}

# ================================================================ Exim

EXIM_SOCK=

# exim_cmd HOW ARGS...: the test instance's exim (its configuration and
# -D macros) with ARGS; HOW is "here", "net" (in the network, with the
# test resolv.conf and CA store) or "spawn" (the same, detached: $! is
# exim).
exim_cmd() {
	ec_how=$1
	shift
	set -- "$EXIM" -C "$EXIM_CONF" -DFM_SOCKET="${FM_SOCKET_OVERRIDE:-$EXIM_SOCK}" \
	    -DFM_CA="$dir/ca.pem" -DSPOOL="$work/exim/spool" \
	    -DLOGS="$work/exim/log/%slog" -DPIDFILE="$work/exim/exim.pid" \
	    -DEXIM_PATH="$EXIM" -DHOSTNAME="$HELO" -DLISTEN="$EXIM_IP" "$@"
	case $ec_how in
	here)	"$@" ;;
	net)	nexec "$@" ;;
	spawn)	spawn "$work/exim/daemon.out" "$@" ;;
	esac
}

eximc() {
	exim_cmd here "$@"
}

# exim_bt DOMAIN [ARGS]: "router transport hosts" of exim -bt in the
# network, or "defer: MESSAGE".
exim_bt() {
	eb_d=$1
	shift
	exim_cmd net "$@" -bt "t@$eb_d" 2>&1 | awk '
	    /cannot be resolved at this time:/ {
		sub(/.*cannot be resolved at this time: /, "")
		print "defer: " $0; done = 1; exit }
	    /router = / { gsub(/[,=]/, " "); r = $2; t = $4 }
	    /^  host / { h = h (h ? ":" : "") $2 }
	    END { if (!done) print r, t, h }'
}

route_exim() {
	re_line=$(final_line "$1")
	case $3 in
	sts)	re_want="R=mtasts_enforce T=remote_smtp_mtasts .* H=$2 .* CV=yes" ;;
	dane)	re_want="R=dane_enforce T=remote_smtp_dane .* H=$2 .* CV=dane" ;;
	plain)	re_want="R=dnslookup T=remote_smtp .* H=$2 " ;;
	esac
	printf '%s\n' "$re_line" | grep -Eq -- "$re_want" ||
	    bad "$1: the Exim log line does not match /$re_want/"
}

exim_prepare() {
	EXIM_CONF=$work/exim/exim.conf
	EXIM_LOG=$work/exim/log/mainlog
	mkdir -p "$work/exim/spool" "$work/exim/log"
	chown -R Debian-exim:Debian-exim "$work/exim/spool" "$work/exim/log"
	# a copy: the delivery processes read it too, as Debian-exim (a
	# re-executed exim with -C drops privilege)
	cp "$here/exim.conf" "$EXIM_CONF"
	chmod 644 "$EXIM_CONF"
}

exim_daemon() {
	exim_cmd spawn -bdf
	mta_pid=$!
	if nsx python3 "$tool" wait-port "$EXIM_IP" 25 "$WAIT"; then
		note "$(grep 'daemon started' "$EXIM_LOG" | tail -n 1)"
	else
		bad "exim -bdf does not greet on $EXIM_IP:25" "$(tail -n 5 "$EXIM_LOG" "$work/exim/daemon.out" 2>&1)"
	fi
	result "exim daemon listens on $EXIM_IP:25"
}

phase_exim() {
	exim_prepare

	if eh_v=$(eximc -bV 2>&1); then
		note "$(printf '%s\n' "$eh_v" | head -n 1)"
		note "$(printf '%s\n' "$eh_v" | grep '^Support for:' | cut -c1-110)"
	else
		bad "exim -bV fails with exim.conf:" "$eh_v"
	fi
	result "exim -bV accepts exim.conf"

	# routing decisions, as the routers take them from the daemon's answers
	for eb in "enforce.example mtasts_enforce remote_smtp_mtasts mx1.enforce.example" \
	    "wildcard.example mtasts_enforce remote_smtp_mtasts a.mx.wildcard.example" \
	    "$WN mtasts_enforce remote_smtp_mtasts mx.$WN" \
	    "dane.example dane_enforce remote_smtp_dane mx.dane.example" \
	    "danests.example dane_enforce remote_smtp_dane mx.danests.example" \
	    "nosts.example dnslookup remote_smtp mx.nosts.example" \
	    "testing.example dnslookup remote_smtp mx.testing.example" \
	    "modenone.example dnslookup remote_smtp mx.modenone.example"; do
		# shellcheck disable=SC2086
		set -- $eb
		eb_got=$(exim_bt "$1")
		note "$1 -> $eb_got"
		[ "$eb_got" = "$2 $3 $4" ] || bad "$1: expected $2 $3 $4"
	done
	eb_got=$(exim_bt nomatch.example)
	note "nomatch.example -> $eb_got"
	case $eb_got in
	"defer: 451 4.7.5 MTA-STS "*"no MX host matches"*) ;;
	*) bad "nomatch.example: expected a 451 4.7.5 deferral naming the policy" ;;
	esac
	result "exim -bt with \${readsocket}: MTA-STS -> mtasts_enforce (policy hosts only), DANE (danests too) -> dane_enforce, NONE -> dnslookup, DEFER -> deferred"

	# the ${run} variant: no socket (a path that does not exist), the
	# state directory shows that "filter-mtasts exim" ran
	mkdir -p "$work/runstate"
	er_run="$FILTER_MTASTS exim -r $RESOLVER -a $dir/root.key -c $dir/ca.pem -s $work/runstate"
	FM_SOCKET_OVERRIDE=$work/run/nonexistent.sock
	for eb in "enforce.example mtasts_enforce remote_smtp_mtasts mx1.enforce.example" \
	    "danests.example dane_enforce remote_smtp_dane mx.danests.example" \
	    "nosts.example dnslookup remote_smtp mx.nosts.example"; do
		# shellcheck disable=SC2086
		set -- $eb
		eb_got=$(exim_bt "$1" "-DFM_RUN=$er_run")
		note "\${run}: $1 -> $eb_got"
		[ "$eb_got" = "$2 $3 $4" ] || bad "$1: expected $2 $3 $4"
		[ -e "$work/runstate/$1" ] || bad "no $work/runstate/$1: did \${run} run filter-mtasts exim?"
	done
	eb_got=$(exim_bt nomatch.example "-DFM_RUN=$er_run")
	note "\${run}: nomatch.example -> $eb_got"
	case $eb_got in
	"defer: 451 4.7.5 MTA-STS "*"no MX host matches"*) ;;
	*) bad "nomatch.example: expected a 451 4.7.5 deferral naming the policy" ;;
	esac
	eb_got=$(exim_bt enforce.example "-DFM_RUN=$work/run/no-such-program exim")
	note "\${run} of a missing program: enforce.example -> $eb_got"
	[ "$eb_got" = "defer: 451 4.7.5 filter-mtasts exited 127" ] ||
	    bad "a missing program must defer (exit 127)"
	result "exim -bt with \${run}{filter-mtasts exim ...}: the same routes; exit 75 and a missing program defer"
	eb_got=$(exim_bt enforce.example)
	FM_SOCKET_OVERRIDE=
	note "daemon socket missing: enforce.example -> $eb_got"
	[ "$eb_got" = "defer: 451 4.7.5 filter-mtasts unreachable" ] ||
	    bad "an unreachable daemon must defer"
	result "exim -bt with \${readsocket} and no daemon behind the socket: deferred, never routed"

	# the daemon
	exim_daemon
	[ -z "$fail" ] || return
	run_scenarios
}

# ============================================================= Postfix

# pfc CMD ARGS...: a Postfix command of the prefix, on the instance.
pfc() {
	pc_cmd=$1
	shift
	LD_LIBRARY_PATH=$PF_LIB "$PF_SBIN/$pc_cmd" -c "$PF_ETC" "$@"
}

# postfix_tls RCPT: the "... TLS connection established to HOST" line
# of the smtp(8) process that delivered RCPT, before that delivery.
postfix_tls() {
	pt_q=$(qid "$1")
	awk -v q="$pt_q: to=<$1>," '
	    / TLS connection established to / {
		p = $5; sub(/:$/, "", p); tls[p] = $0; next }
	    index($0, q) && / status=sent / {
		p = $5; sub(/:$/, "", p); print tls[p]; exit }' "$PF_LOG"
}

route_postfix() {
	rp_tls=$(postfix_tls "$1")
	note "postfix: ${rp_tls:-no TLS line}"
	case $3 in
	sts | dane)
		printf '%s\n' "$rp_tls" |
		    grep -q "Verified TLS connection established to $2\[" ||
		    bad "$1: no \"Verified TLS connection established to $2\"" ;;
	esac
}

# postmap_q DOMAIN: Postfix's own socketmap client against the daemon,
# the map of smtp_tls_policy_maps; the answer or "NOTFOUND"/"ERROR".
postmap_q() {
	pq_out=$(nsx env LD_LIBRARY_PATH="$PF_LIB" "$PF_SBIN/postmap" -c "$PF_ETC" \
	    -q "$1" "socketmap:inet:$SOCKETMAP:postfix" 2>&1)
	# exit 1 for "not found" and for a lookup error: only the latter
	# says something
	case $?.$pq_out in
	0.*) printf '%s\n' "$pq_out" ;;
	1.) echo NOTFOUND ;;
	*) echo "ERROR $(printf '%s' "$pq_out" | tr '\n' ' ')" ;;
	esac
}

phase_postfix() {
	PF_ETC=$work/postfix/etc
	PF_Q=$work/postfix/spool
	PF_LOG=$work/postfix/maillog
	mkdir -p "$PF_ETC" "$PF_Q" "$work/postfix/data"
	# what "postfix check" would create (postfix-files)
	for pp_d in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		mkdir -p "$PF_Q/$pp_d"
		chown postfix "$PF_Q/$pp_d"
		chmod 700 "$PF_Q/$pp_d"
	done
	mkdir -p "$PF_Q/maildrop" "$PF_Q/public" "$PF_Q/pid"
	chown postfix:postdrop "$PF_Q/maildrop" "$PF_Q/public"
	chmod 730 "$PF_Q/maildrop"
	chmod 710 "$PF_Q/public"
	chown postfix "$work/postfix/data"
	chmod 700 "$work/postfix/data"
	# the smtpd(8) listener on the sender address (inet_interfaces
	# would want that address on an interface)
	sed "s/^smtp      inet/$POSTFIX_IP:smtp inet/" "$here/postfix-master.cf" \
	    >"$PF_ETC/master.cf"
	{
		cat "$here/postfix-main.cf"
		cat <<EOF

# ---- The private instance of regress/mta/mta.sh: Debian's binaries
# unpacked into $PF_ROOT, everything else in $work/postfix.
compatibility_level = 3.6
queue_directory = $PF_Q
data_directory = $work/postfix/data
command_directory = $PF_SBIN
daemon_directory = $PF_LIB/sbin
shlib_directory = $PF_LIB
meta_directory = $PF_ROOT/etc/postfix
# the binaries' RUNPATH is /usr/lib/postfix: the daemons need this
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
	POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$PF_LIB
myhostname = $HELO
mydestination =
relayhost =
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
biff = no
# no syslog in the namespace: postlogd writes this file (only under
# maillog_file_prefixes: the default "/var, /dev/stdout" would refuse
# it, and master would exit at once, logging why to syslog)
maillog_file = $PF_LOG
maillog_file_prefixes = $work/postfix
EOF
	} >"$PF_ETC/main.cf"

	pp_out=$(pfc postconf -n 2>&1 >/dev/null)
	pp_v=$(pfc postconf -h mail_version 2>/dev/null)
	note "Postfix $pp_v, $PF_ETC/main.cf:"
	note "$(pfc postconf -n smtp_dns_support_level smtp_tls_security_level \
	    smtp_tls_CAfile smtp_tls_policy_maps 2>&1)"
	[ -z "$pp_out" ] || bad "postconf -n complains:" "$pp_out"
	case $pp_v in
	3.7.*) ;;
	*) bad "mail_version is not 3.7.x" ;;
	esac
	result "postconf accepts the private instance's main.cf (postfix-main.cf + paths)"

	# the policy answers as Postfix's own socketmap client gets them
	for pq in "enforce.example secure match=mx1.enforce.example servername=hostname" \
	    "wildcard.example secure match=a.mx.wildcard.example servername=hostname" \
	    "$WN secure match=mx.$WN servername=hostname" \
	    "$NT secure match=mx.$NT servername=hostname" \
	    "dane.example dane-only" "danests.example dane-only" \
	    "nosts.example NOTFOUND" "testing.example NOTFOUND" \
	    "modenone.example NOTFOUND" ".enforce.example NOTFOUND" \
	    "[127.0.25.1] NOTFOUND"; do
		pq_d=${pq%% *} pq_want=${pq#* }
		pq_got=$(postmap_q "$pq_d")
		note "$pq_d -> $pq_got"
		[ "$pq_got" = "$pq_want" ] || bad "$pq_d: expected $pq_want"
	done
	pq_got=$(postmap_q nomatch.example)
	note "nomatch.example -> $pq_got"
	case $pq_got in
	ERROR*"no MX host matches"*) ;;
	*) bad "nomatch.example: expected a temporary error naming the policy" ;;
	esac
	result "postmap -q through socketmap:inet:$SOCKETMAP: secure match= for enforce, dane-only for dane and danests (DANE wins), NOTFOUND otherwise, TEMP for nomatch"

	spawn "$work/postfix/master.out" env LD_LIBRARY_PATH="$PF_LIB" \
	    "$PF_LIB/sbin/master" -d -c "$PF_ETC"
	mta_pid=$!
	if nsx python3 "$tool" wait-port "$POSTFIX_IP" 25 "$WAIT"; then
		note "$(grep 'daemon started' "$PF_LOG" 2>/dev/null | tail -n 1)"
	else
		bad "postfix master does not greet on $POSTFIX_IP:25" \
		    "$(tail -n 5 "$PF_LOG" "$work/postfix/master.out" 2>&1)"
	fi
	result "postfix master listens on $POSTFIX_IP:25 (smtp without chroot)"
	[ -z "$fail" ] || return
	run_scenarios
}

# ========================================================== scenarios

run_scenarios() {
	p=${MTA%"${MTA#?}"}	# e- or p- message ids
	set -- "$p-enforce@enforce.example" "$p-wildcard@wildcard.example" \
	    "$p-wn@$WN" "$p-nt@$NT" "$p-nomatch@nomatch.example" \
	    "$p-testing@testing.example" "$p-modenone@modenone.example" \
	    "$p-nosts@nosts.example" "$p-dane@dane.example" \
	    "$p-danests@danests.example" "$p-cached@cached.example"
	for rs_r; do
		submit "${rs_r%@*}" "$rs_r"
	done
	settle "$@"

	expect_delivered "$p-enforce@enforce.example" mx1.enforce.example sts
	! delivered "$p-enforce@enforce.example" | grep -q mx2 ||
	    bad "a copy reached mx2.enforce.example"
	rs_n=$(sessions mx2.enforce.example)
	[ "$rs_n" -eq 0 ] || bad "mx2.enforce.example saw $rs_n SMTP sessions"
	result "enforce.example: delivered to mx1.enforce.example only, over verified TLS with SNI; mx2 never contacted"

	expect_delivered "$p-wildcard@wildcard.example" a.mx.wildcard.example sts
	for rs_h in b.c.mx.wildcard.example mx.wildcard.example; do
		rs_n=$(sessions "$rs_h")
		[ "$rs_n" -eq 0 ] || bad "$rs_h saw $rs_n SMTP sessions"
	done
	result "wildcard.example (mx: *.mx.wildcard.example): delivered to a.mx only, never b.c.mx or mx"

	case $MTA in
	exim)	rs_wn='R=mtasts_enforce T=remote_smtp_mtasts defer .*(certificate|verif)'
		rs_nt='R=mtasts_enforce T=remote_smtp_mtasts defer .*TLS' ;;
	postfix) rs_wn='status=deferred .*(certificate|verif)'
		rs_nt='status=deferred .*TLS is required' ;;
	esac
	expect_queued "$p-wn@$WN" "$rs_wn"
	result "$WN (enforce; the policy MX has a wrong-name certificate): stays queued, the log says why"
	expect_queued "$p-nt@$NT" "$rs_nt"
	result "$NT (enforce; the policy MX offers no STARTTLS): stays queued, the log says why"

	case $MTA in
	exim)	rs_nm='R=mtasts_lookup defer \(-1\): 451 4\.7\.5 MTA-STS .*no MX host matches' ;;
	postfix) rs_nm='status=deferred'
		grep -F 'socketmap server temporary error' "$PF_LOG" | grep -F 'no MX host matches' |
		    tail -n 1 >"$work/tmp.nm"
		if [ -s "$work/tmp.nm" ]; then
			note "postfix: $(cat "$work/tmp.nm")"
		else
			bad "no \"socketmap server temporary error: ... no MX host matches\" in the log"
		fi ;;
	esac
	expect_queued "$p-nomatch@nomatch.example" "$rs_nm"
	rs_n=$(sessions mx.nomatch.example)
	[ "$rs_n" -eq 0 ] || bad "mx.nomatch.example saw $rs_n SMTP sessions"
	result "nomatch.example (no MX matches the enforce policy: DEFER/TEMP): stays queued, never contacted, the log gives the reason"

	for rs_d in testing modenone nosts; do
		expect_delivered "$p-$rs_d@$rs_d.example" "mx.$rs_d.example" plain
		result "$rs_d.example: delivered normally to mx.$rs_d.example"
	done

	expect_delivered "$p-dane@dane.example" mx.dane.example dane
	result "dane.example: delivered with the MTA's own DANE verification (the MX certificate is self-signed: only DANE-EE can verify it)"
	expect_delivered "$p-danests@danests.example" mx.danests.example dane
	result "danests.example (DANE + MTA-STS enforce): DANE wins (the MX certificate is from an untrusted CA: MTA-STS verification would fail)"
	expect_delivered "$p-cached@cached.example" mx.cached.example sts
	result "cached.example: delivered to mx.cached.example over verified TLS"

	check_ps
	result "filter-mtasts runs as _mtasts"

	# cached.example: the policy host fails and the record announces a
	# new policy; the daemon restarts on the same state directory
	rs_f0=$(fetches cached.example)
	break_cached "cached.example after a restart" || return
	fm_stop
	if ! fm_start; then
		not_ok "cached.example after a restart" "$fm_err"
		return
	fi
	note "filter-mtasts daemon restarted on $STATE"
	case $MTA in
	exim)	rs_a=$(exim_bt cached.example)
		note "exim -bt: cached.example -> $rs_a"
		[ "$rs_a" = "mtasts_enforce remote_smtp_mtasts mx.cached.example" ] ||
		    bad "expected route mtasts_enforce to mx.cached.example" ;;
	postfix) rs_a=$(postmap_q cached.example)
		note "postmap -q: cached.example -> $rs_a"
		[ "$rs_a" = "secure match=mx.cached.example servername=hostname" ] ||
		    bad "expected secure match=mx.cached.example" ;;
	esac
	submit "$p-cached2" "$p-cached2@cached.example"
	settle "$p-cached2@cached.example"
	expect_delivered "$p-cached2@cached.example" mx.cached.example sts
	note "policy fetches of mta-sts.cached.example: $rs_f0 before, $(fetches cached.example) after (HTTP 500 now)"
	result "cached.example after the policy host broke (HTTP 500, id=2) and the daemon restarted on the same state: still only mx.cached.example, over verified TLS"
}


# ======================================================= TLS reporting

RPT_DOMAINS="enforce mxwrongname mxnotls dane testing http500 expired
nomatch danebogus reports badpolicy"

# postfix_dgrams: what Postfix 3.10's TLSRPT client library sends for
# a day at enforce.example (its sessions under the policy filter-mtasts
# gave it through the map "tlsrpt"): two successes and one failure.
postfix_dgrams() {
	rd_pol='"policy-type":2,"policy-domain": "enforce.example","policy-string":["version: STSv1","mode: enforce","mx: mx1.enforce.example","max_age: 86400"],"mx-host":["mx1.enforce.example"]'
	rd_head='{"dpv": "1","d": "enforce.example","pr": "v=TLSRPTv1; rua=mailto:tlsrpt@reports.example,https://rua.reports.example/tlsrpt","policies":[{'
	echo "$rd_head$rd_pol,\"t\":0,\"f\":0}]}"
	echo "$rd_head$rd_pol,\"t\":0,\"f\":0}]}"
	echo "$rd_head$rd_pol,\"failure-details\":[{\"c\":202,\"s\": \"198.51.100.25\",\"n\": \"mx1.enforce.example\",\"h\": \"mx1.enforce.example\",\"r\": \"127.0.25.1\",\"f\": \"X509_V_ERR_HOSTNAME_MISMATCH\"}],\"t\":1,\"f\":1}]}"
}

# rpt_show: "filter-mtasts report show" of the day into $work/show.
rpt_show() {
	"$FILTER_MTASTS" report show -s "$STATE" -d "$DAY" >"$work/show" 2>&1
}

# rpt_field DOMAIN FIELD: as report show says now, or "-".
rpt_field() {
	rpt_show
	python3 "$rpttool" count "$work/show" "$1" "$2"
}

# rpt_wait DOMAIN FIELD VALUE: until report show says so (bounded).
rpt_wait() {
	rw_end=$(($(now) + WAIT))
	until [ "$(rpt_field "$1" "$2")" = "$3" ]; do
		if [ "$(now)" -ge "$rw_end" ]; then
			bad "$1: $2 is $(rpt_field "$1" "$2"), not $3 after $WAIT s"
			note "$(cat "$work/show")"
			return 1
		fi
		sleep 0.1
	done
}

# netproc_pid: the network process (the spawner's child).
netproc_pid() {
	for np_s in $(ps -o pid= --ppid "$fm_pid" 2>/dev/null); do
		ps -o pid= --ppid "$np_s" 2>/dev/null
	done | head -n 1 | tr -d ' '
}

# rpt_send [ARGS]: "filter-mtasts report send" of the day, in the
# network, its output in $work/send.N.
rpt_sends=0
rpt_send() {
	rpt_sends=$((rpt_sends + 1))
	nexec "$FILTER_MTASTS" report send -s "$STATE" -r "$RESOLVER" \
	    -a "$dir/root.key" -c "$dir/ca.pem" -o "filter-mtasts regress" \
	    -C tlsrpt-reports@sender.example -m "$work/sendmail" -d "$DAY" \
	    "$@" >"$work/send.$rpt_sends" 2>&1
	note "report send $*: $(tr '\n' '|' <"$work/send.$rpt_sends")"
}

posts() {
	find "$dir/collector" -name '*.json' | wc -l
}

# rpt_intruders: the sockets that take results are the MTA's group's
# alone (-g): another local user can neither send a datagram nor have
# an Exim event line taken on the TCP socket anyone reaches.  What they
# try is for intruder.example, which must stay unrecorded.
rpt_intruders() {
	ri_modes=$(stat -c '%a %G' "$RPT_SOCK" "$EXIM_SOCK" | tr '\n' ' ')
	# the same datagram as nobody, then as nobody in the group -g names
	ri_py='import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.sendto(sys.argv[2].encode(), sys.argv[1])
    print("sent")
except OSError as e:
    print(e.strerror)'
	ri_dg='{"dpv":"1","d":"intruder.example","pr":"v=TLSRPTv1;rua=x","policies":[{"policy-type":9,"t":0,"f":1}]}'
	ri_sent=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    python3 -c "$ri_py" "$RPT_SOCK" "$ri_dg" 2>&1)
	ri_group=$(setpriv --reuid=nobody --regid=Debian-exim --clear-groups \
	    python3 -c "$ri_py" "$RPT_SOCK" "not a datagram" 2>&1)
	ri_line="tlsrpt tcp:close intruder.example mx.intruder.example 127.0.0.9 198.51.100.25 tls 0 - 0 made up"
	ri_reply=$(nsx python3 -c '
import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)), timeout=10)
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())' "$EXIM_TCP" "$ri_line" 2>&1)
	note "sockets: $ri_modes; a datagram as nobody: $ri_sent; as nobody in group Debian-exim: $ri_group; Exim line on $EXIM_TCP: $ri_reply"
	[ "$ri_modes" = "660 Debian-exim 660 Debian-exim " ] ||
	    bad "sockets not mode 660, group Debian-exim: $ri_modes"
	[ "$ri_sent" = "Permission denied" ] || bad "nobody: $ri_sent"
	[ "$ri_group" = sent ] || bad "nobody in group Debian-exim: $ri_group"
	case $ri_reply in
	"ERR TLS results are taken on an exim=unix: socket"*) ;;
	*) bad "an Exim event line on the TCP socket: $ri_reply" ;;
	esac
	result "results only from the MTA's group (-g): sockets 0660, a datagram of another user refused, an Exim event line on TCP answered ERR"
}

phase_tlsrpt() {
	MTA=exim
	DAY=$(date -u +%Y-%m-%d)
	exim_prepare
	exim_daemon

	# Postfix 3.10+: the map "tlsrpt" adds the policy attributes of its
	# TLSRPT support; "postfix" answers as ever (3.7 would refuse them)
	rp_sm=$(nsx python3 "$rpttool" socketmap "$SOCKETMAP" tlsrpt enforce.example)
	note "tlsrpt enforce.example -> $rp_sm"
	[ "$rp_sm" = "OK secure match=mx1.enforce.example servername=hostname policy_type=sts policy_domain=enforce.example mx_host_pattern=mx1.enforce.example { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx1.enforce.example } { policy_string = max_age: 86400 }" ] ||
	    bad "enforce.example: not the answer with the TLSRPT attributes"
	rp_sm=$(nsx python3 "$rpttool" socketmap "$SOCKETMAP" postfix enforce.example)
	note "postfix enforce.example -> $rp_sm"
	[ "$rp_sm" = "OK secure match=mx1.enforce.example servername=hostname" ] ||
	    bad "enforce.example: the map postfix changed its answer"
	for rp_d in dane.example:OK\ dane-only testing.example:NOTFOUND\  nosts.example:NOTFOUND\ ; do
		rp_sm=$(nsx python3 "$rpttool" socketmap "$SOCKETMAP" tlsrpt "${rp_d%%:*}")
		[ "$rp_sm" = "${rp_d#*:}" ] || bad "tlsrpt ${rp_d%%:*} -> $rp_sm, not ${rp_d#*:}"
	done
	result "socketmap map tlsrpt (Postfix 3.10+): policy_type, policy_domain, mx_host_pattern and policy_string for MTA-STS enforce, the usual answers otherwise; the map postfix unchanged"

	# a day of mail through Exim: sessions that work, that the policy
	# stops, and domains whose failures come before any connection
	set --
	for rp_d in $RPT_DOMAINS; do
		set -- "$@" "r-$rp_d@$rp_d.example"
	done
	for rp_r; do
		submit "${rp_r%@*}" "$rp_r"
	done
	settle "$@"
	rpt_intruders
	printf '%s\n' "$(postfix_dgrams)" | python3 "$rpttool" dgram "$RPT_SOCK" >/dev/null ||
	    bad "cannot send the Postfix datagrams"
	rpt_wait enforce.example successful 3 && rpt_wait enforce.example failed 1 &&
	    rpt_wait reports.example successful 1 && rpt_wait mxnotls.example failed 1 &&
	    rpt_wait dane.example successful 1 && rpt_wait nomatch.example failed 1
	note "$(cat "$work/show")"
	[ "$(rpt_field intruder.example successful)" = - ] &&
	    [ "$(rpt_field intruder.example failed)" = - ] ||
	    bad "intruder.example: recorded: $(grep intruder "$work/show")"
	for rp_d in http500 expired danebogus badpolicy; do
		[ "$(rpt_field "$rp_d.example" failed)" != - ] ||
		    bad "$rp_d.example: nothing recorded"
	done
	result "a day of results: Exim's events (tcp:close, msg:host:defer), Postfix's datagrams, and the failures passes found (fetch, webpki, DNSSEC, no MX match), per domain"

	# kill -9 of the network process while it records: what was
	# recorded stays, the file stays whole, recording goes on after
	python3 "$rpttool" burst "$RPT_SOCK" burst.example 300 >/dev/null
	rpt_wait burst.example successful 300
	rp_old=$(netproc_pid)
	python3 "$rpttool" burst "$RPT_SOCK" burst.example 100000 >"$work/burst.out" &
	rp_bg=$!
	rp_end=$(($(now) + WAIT))
	until [ "$(rpt_field burst.example successful)" -gt 1000 ] 2>/dev/null ||
	    [ "$(now)" -ge "$rp_end" ]; do
		sleep 0.01
	done
	rpt_show
	rp_before=$(python3 "$rpttool" count "$work/show" burst.example successful)
	[ -n "$rp_old" ] && kill -KILL "$rp_old"
	wait "$rp_bg"
	note "network process $rp_old killed with $rp_before recorded (of 100300 sent, $(cat "$work/burst.out") of the last 100000 taken by the socket)"
	rp_end=$(($(now) + WAIT))
	until rp_new=$(netproc_pid) && [ -n "$rp_new" ] && [ "$rp_new" != "$rp_old" ]; do
		[ "$(now)" -lt "$rp_end" ] || { bad "no new network process"; break; }
		sleep 0.1
	done
	rpt_show
	rp_after=$(python3 "$rpttool" count "$work/show" burst.example successful)
	[ "$rp_after" -ge "$rp_before" ] 2>/dev/null ||
	    bad "recorded before the kill: $rp_before, after: $rp_after"
	! grep -q 'not whole records' "$work/show" ||
	    bad "a torn record left behind: $(grep 'not whole' "$work/show")"
	# the new network process goes on with the same file and records
	rp_end=$(($(now) + WAIT))
	until python3 "$rpttool" burst "$RPT_SOCK" burst.example 10 >/dev/null &&
	    [ "$(rpt_field burst.example successful)" -gt "$rp_after" ]; do
		[ "$(now)" -lt "$rp_end" ] || { bad "nothing recorded after the restart"; break; }
		sleep 0.2
	done
	[ "$(rpt_field burst.example policies)" = 1 ] ||
	    bad "burst.example: $(rpt_field burst.example policies) policies: the record was written twice"
	note "after the restart: $(rpt_field burst.example successful) recorded"
	[ "$rp_before" -lt 100300 ] 2>/dev/null ||
	    bad "the burst was over before the kill: not a test of it"
	result "kill -9 of the network process while it records: nothing recorded is lost ($rp_before before, $rp_after after), no torn record, the new one adds to the same record"

	# the reports: the HTTPS collector fails at first.  report send
	# runs as _mtasts, which the build tree may be closed to: its
	# sendmail and the tool it runs are copied where it can read them.
	cp "$rpttool" "$work/rpttool.py" && chmod 644 "$work/rpttool.py"
	printf '#!/bin/sh\nexec /usr/bin/python3 %s sendmail %s "$@"\n' \
	    "$work/rpttool.py" "$EXIM_IP" >"$work/sendmail"
	chmod 755 "$work/sendmail"
	touch "$dir/collector/fail"
	rpt_send -n
	rp_p1=$(posts)
	[ "$(rpt_field mxnotls.example report)" = sent ] || bad "mxnotls.example (mailto only) not sent"
	[ "$(rpt_field http500.example report)" = pending ] &&
	    [ "$(rpt_field http500.example attempts)" = 1 ] || bad "http500.example (https only): not pending after one attempt"
	[ "$(rpt_field burst.example report)" = norecord ] || bad "burst.example (no TLSRPT record): not norecord"
	result "report send -n: mailto ruas delivered, https ruas failing (HTTP 503) kept for a retry, a domain without TLSRPT record not sent"
	rpt_send
	[ "$(posts)" = "$rp_p1" ] || bad "retried before the backoff"
	result "report send without -n: nothing retried before its time (backoff)"
	# a second sender while one runs (flock(1) holds the lock, as a
	# running one does): it says so and sends nothing
	rp_p1=$(posts)
	flock "$STATE/.tlsrpt" "$FILTER_MTASTS" report send -n -s "$STATE" \
	    -C x@sender.example -d "$DAY" >"$work/locked.out" 2>&1
	rp_rc=$?
	[ $rp_rc = 1 ] && grep -q 'another report send is running' "$work/locked.out" &&
	    [ "$(posts)" = "$rp_p1" ] ||
	    bad "report send while another runs: status $rp_rc, $(cat "$work/locked.out")"
	result "report send while another one runs: refused, nothing sent"
	# a report not delivered for 24 hours is dropped, and said
	rp_f=$STATE/.tlsrpt/$DAY/out/danebogus.example
	python3 -c 'import sys, time
f = open(sys.argv[1], "r+"); s = f.read()
s = "".join("first %d\n" % (time.time() - 86401) if l.startswith("first ") else l
    for l in s.splitlines(True))
f.seek(0); f.truncate(); f.write(s); f.close()' "$rp_f" || bad "cannot age $rp_f"
	rpt_send -n
	rp_st=$(rpt_field danebogus.example report)
	[ "$rp_st" = dropped ] || bad "danebogus.example: report $rp_st, not dropped"
	grep -q 'danebogus.example: report dropped: not delivered in 24 hours' \
	    "$work/send.$rpt_sends" || bad "the drop is not said"
	result "a report not delivered 24 hours after its first attempt is dropped, and said"
	rm -f "$dir/collector/fail"
	rpt_send -n
	for rp_d in $RPT_DOMAINS; do
		[ "$rp_d" = danebogus ] && continue
		rp_st=$(rpt_field "$rp_d.example" report)
		[ "$rp_st" = sent ] || bad "$rp_d.example: report $rp_st"
	done
	result "report send -n once the collector works: every report delivered (but the one dropped)"

	# the report mail went through Exim to mx.reports.example
	rp_end=$(($(now) + SETTLE))
	until [ "$(grep -c '=> tlsrpt@reports.example' "$EXIM_LOG")" -ge 8 ]; do
		[ "$(now)" -lt "$rp_end" ] || { bad "report mail not delivered: $(grep tlsrpt@ "$EXIM_LOG" | tail -n 3)"; break; }
		sleep 0.1
	done
	# anything Exim said about those sessions is recorded by now
	python3 "$rpttool" burst "$RPT_SOCK" sync.example 1 >/dev/null
	rpt_wait sync.example successful 1
	rp_n=$(rpt_field reports.example successful)
	[ "$rp_n" = 1 ] || bad "reports.example: $rp_n sessions recorded: report mail was counted"
	result "report mail delivered by Exim to mx.reports.example (a TLSRPT domain), and not counted: still 1 session for it, its one ordinary message"

	mkdir -p "$work/reports"
	python3 "$rpttool" verify "$DAY" "$dir/collector" \
	    "$work/sink/mbox/mx.reports.example" "$work/reports" >"$work/verify.out" 2>&1
	cat "$work/verify.out"
	npass=$((npass + $(grep -c '^ok - ' "$work/verify.out")))
	nfail=$((nfail + $(grep -c '^not ok - ' "$work/verify.out")))
	[ "$(date -u +%Y-%m-%d)" = "$DAY" ] || echo "# $T: the run crossed midnight UTC: results of $DAY only"
}

# ============================================================== proto

phase_proto() {
	nsx python3 -u "$here/proto_test.py" --socketmap "$SOCKETMAP" \
	    --exim "$EXIM_SOCK" --prefix "$T" >"$work/proto.out" 2>&1
	pp_rc=$?
	cat "$work/proto.out"
	npass=$((npass + $(grep -c '^ok - ' "$work/proto.out")))
	nfail=$((nfail + $(grep -c '^not ok - ' "$work/proto.out")))
	if [ $pp_rc -ne 0 ] && ! grep -q '^not ok - ' "$work/proto.out"; then
		not_ok "proto_test.py exited $pp_rc"
	fi
}

phase_bench() {
	# shellcheck disable=SC2086
	nsx python3 "$here/bench_socketmap.py" --socketmap "$SOCKETMAP" $BENCH_ARGS ||
	    not_ok "bench_socketmap.py failed"
}

# ================================================================ main

cmd_run() {
	[ $# -eq 1 ] || usage
	MTA=$1
	T=$MTA
	case $MTA in
	exim | tlsrpt) SUBMIT_IP=$EXIM_IP
		[ -x "$EXIM" ] || skip_all "$EXIM not unpacked (run: sh regress/mta/mta.sh setup)" ;;
	postfix) SUBMIT_IP=$POSTFIX_IP
		[ -x "$PF_SBIN/postfix" ] || skip_all "$PF_SBIN/postfix not unpacked (run: sh regress/mta/mta.sh setup)" ;;
	proto | bench) SUBMIT_IP= ;;
	*)	usage ;;
	esac
	[ "$(id -u)" -eq 0 ] || skip_all "not root"
	[ -x "$FILTER_MTASTS" ] || skip_all "$FILTER_MTASTS is not built"
	need_tools " (run: sh regress/mta/mta.sh setup)"
	case $MTA in
	exim | tlsrpt) rn_users="_mtasts Debian-exim" ;;
	postfix) rn_users="_mtasts postfix" ;;
	*)	rn_users=_mtasts ;;
	esac
	for rn_u in $rn_users; do
		id "$rn_u" >/dev/null 2>&1 || skip_all "no user $rn_u (run: sh regress/mta/mta.sh setup)"
	done
	need_netns

	rn_start=$(now)
	# one namespace per run: runs may go in parallel (a fixed name
	# checked for existence first would race)
	NET_NS=${NET_NS:-mtasts-mta$$}
	export NET_NS
	mta_pid='' fm_pid='' sink_pid=''
	# the MTAs' unprivileged processes read their configuration there
	make_work mta
	EXIM_SOCK=$work/run/exim.sock
	RPT_SOCK=$work/run/tlsrpt.sock
	FM_EXTRA=
	# results only from the MTA's group (-g); Exim's TCP socket too,
	# where anyone may write and no result is taken
	[ "$MTA" = tlsrpt ] && FM_EXTRA="-g Debian-exim -l tlsrpt=unix:$RPT_SOCK -l exim=$EXIM_TCP"
	mkdir -p "$work/run"
	STATE=$work/state
	mkdir -p "$STATE"

	start_world
	"phase_$MTA"
	echo "# $T: $npass passed, $nfail failed, $(($(now) - rn_start)) s"
	[ "$nfail" -eq 0 ]
}

cmd_bench() {
	BENCH_ARGS=$*
	cmd_run bench
}

main "setup run bench" "$@"

# shellcheck shell=sh disable=SC2154
# (SC2154: top, T, tool, work, dir... are set by the caller)

# lib.sh - shell functions shared by the end-to-end harnesses
# regress/smtpd/smtpd.sh and regress/mta/mta.sh.  POSIX sh, set -u safe;
# sourced, never run:  . "$top/regress/lib.sh"
#
# POSIX sh has no local variables: a function's own variables carry a
# prefix made from its name (ai_ for apt_install, sl_ for settle_until).
#
# The caller sets $top (the tree) before sourcing; this file sets PATH,
# the umask, net, sinkpy and the default of FILTER_MTASTS.  Then, for a run:
#   T            the prefix of every check line: "ok - $T: ...", e.g.
#                "smtpd 6.8" or "exim"
#   STOP_WAIT    seconds stop_pid waits after TERM before KILL
#   tool         the Python helper with send/get/delivered (client.py,
#                mtatool.py: both on regress/e2e.py)
#   SUBMIT_IP    where submit sends messages (port 25)
#   SUBMIT_WAIT  submit's SMTP timeout, seconds, unless one is given
#   SETTLE       settle_until's bound, seconds
#   KEEP         1: cleanup keeps the work directory
#   NET_NS       the network namespace (net.sh's, in $dir/netns)
# and defines the hooks stop_procs (cleanup), settled RCPT and
# settle_alive (settle_until).  make_work sets work, dir and events.
# For setup: a function say (apt_install's messages) and, optionally,
# APT_LOG (apt-get's output goes there, else to /dev/null).

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
umask 022

net=$top/regress/net/net.sh
sinkpy=$top/regress/smtpd/sink.py
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}

usage() {
	sed -n '/^# usage:/,/^#$/s/^# //p' "$0" >&2
	exit 2
}

have() {
	command -v "$1" >/dev/null 2>&1
}

now() {
	date +%s
}

# main COMMANDS [CMD ARG...]: the script's command line: cmd_CMD ARG...
# if CMD is one of the words of COMMANDS, else usage.
main() {
	mn_cmds=$1
	shift
	[ $# -ge 1 ] || usage
	for mn_c in $mn_cmds; do
		if [ "$1" = "$mn_c" ]; then
			shift
			"cmd_$mn_c" "$@"
			return
		fi
	done
	usage
}

# ================================================================ setup

installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -qq && apt_updated=1
}

# ai_run CMD...: CMD with its output in $APT_LOG (stderr too) if set,
# else its standard output discarded.
ai_run() {
	if [ -n "${APT_LOG:-}" ]; then
		"$@" >"$APT_LOG" 2>&1
	else
		"$@" >/dev/null
	fi
}

# apt_install PKG...: install those not installed yet, starting no
# service on the host (nsd, unbound, nginx, an MTA): a temporary
# policy-rc.d, only if none exists already.
apt_install() {
	ai_missing=
	for ai_p; do
		installed "$ai_p" || ai_missing="$ai_missing $ai_p"
	done
	[ -n "$ai_missing" ] || return 0
	say "packages: installing$ai_missing"
	ai_norc=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		ai_norc=1
	fi
	# shellcheck disable=SC2086
	apt_update && ai_run env DEBIAN_FRONTEND=noninteractive apt-get install \
	    -y -qq --no-install-recommends $ai_missing
	ai_rc=$?
	[ -n "$ai_norc" ] && rm -f /usr/sbin/policy-rc.d
	if [ $ai_rc -ne 0 ]; then
		[ -n "${APT_LOG:-}" ] && tail -n 20 "$APT_LOG"
		say "apt-get install failed:$ai_missing"
	fi
	return $ai_rc
}

# ================================================================= run

# ------------------------------------------------------------ reporting

nfail=0 npass=0 fail='' why=''

ok() {
	echo "ok - $T: $1"
	npass=$((npass + 1))
}

# not_ok WHAT [DETAIL...]: details become "# " lines.
not_ok() {
	echo "not ok - $T: $1"
	nfail=$((nfail + 1))
	shift
	for nk_l; do
		[ -n "$nk_l" ] && printf '%s\n' "$nk_l" | sed 's/^/# /'
	done
	return 0
}

# result WHAT: ok or not ok, by $fail; details in $why (one per line).
result() {
	if [ -z "$fail" ]; then
		ok "$1"
		[ -n "$why" ] && printf '%s\n' "$why" | sed 's/^/# /'
	else
		not_ok "$1" "$why"
	fi
	fail='' why=''
}

# note TEXT / bad TEXT: a detail line; "bad" also fails the check.
note() {
	why="${why:+$why
}$*"
}

bad() {
	fail=1
	note "$@"
}

skip_all() {
	echo "skip - $T: $*"
	exit 0
}

# need_tools HINT: skip the run ("skip - $T: TOOL not installedHINT")
# unless the network's and the harness's programs are there.
need_tools() {
	for nt_c in ip nsenter unshare setsid nsd unbound unbound-control nginx \
	    ldns-keygen ldns-signzone dig curl openssl python3 ps; do
		have "$nt_c" || skip_all "$nt_c not installed$1"
	done
}

need_netns() {
	ip netns list >/dev/null 2>&1 || skip_all "ip netns not available"
	unshare --net true 2>/dev/null || skip_all "cannot create network namespaces"
}

# ---------------------------------------------------------- processes

ns_ino=

# in_ns PID: PID lives in the test network namespace.
in_ns() {
	[ -n "$1" ] && [ -n "$ns_ino" ] &&
	    [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "net:[$ns_ino]" ]
}

# nsx CMD...: CMD in the test network namespace.
nsx() {
	nsenter --net="/run/netns/$NET_NS" -- "$@"
}

# nexec CMD...: CMD in the network with the test resolv.conf and CA store.
nexec() {
	sh "$net" exec "$dir" "$@"
}

# gone PID: PID has exited (a zombie counts as gone).
gone() {
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" = Z ]
}

# stop_pid PID: TERM, wait (at most STOP_WAIT seconds) until it left the
# namespace, KILL; then reap it.  A process running outside the
# namespace (a background subshell around nsenter) is left alone.
stop_pid() {
	[ -n "$1" ] || return 0
	if in_ns "$1"; then
		kill -TERM "$1" 2>/dev/null
		sp_end=$(($(now) + STOP_WAIT))
		while in_ns "$1" && [ "$(now)" -lt "$sp_end" ]; do
			sleep 0.05
		done
		in_ns "$1" && kill -KILL "$1" 2>/dev/null
	elif ! gone "$1"; then
		return 0
	fi
	wait "$1" 2>/dev/null
	return 0
}

# spawn LOG CMD...: CMD detached in the network (net.sh exec: test
# resolv.conf and CA store); net.sh, nsenter, unshare and sh all exec,
# so $! is CMD itself.
spawn() {
	sw_log=$1
	shift
	setsid sh "$net" exec "$dir" "$@" >>"$sw_log" 2>&1 </dev/null &
}

# make_work NAME: the work directory ($TMPDIR/NAME-e2e.XXXXXX, readable
# by the MTAs' unprivileged processes), $dir (the network's) and
# $events (the submissions'); cleanup on exit.
make_work() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1-e2e.XXXXXX") || exit 1
	chmod 755 "$work"
	dir=$work/net
	events=$work/client.jsonl
	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM PIPE
}

cleanup() {
	# a reader that went away (| head) must not stop the cleanup
	trap '' PIPE
	trap - EXIT HUP INT TERM
	stop_procs
	# only a network this run started (else net.sh would fall back to
	# $NET_NS: another run's)
	[ -s "$dir/netns" ] && sh "$net" stop "$dir" >/dev/null 2>&1
	if [ "$KEEP" = 1 ]; then
		echo "# $T: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}

# ----------------------------------------------------------- network

# The network's test domains used here; the wrong-name and no-STARTTLS
# policy MX hosts live on dedicated domains when the network has them,
# otherwise on two domains repurposed through net.sh's own commands.
pick_domains() {
	tr ' ' '\n' <"$dir/zones/list" >"$work/zones"
	if grep -qx mxwrongname.example "$work/zones"; then
		WN=mxwrongname.example
	else
		WN=rotate.example
		printf 'version: STSv1\nmode: enforce\nmx: mx.%s\nmax_age: 86400\n' \
		    "$WN" >"$work/$WN.policy"
		sh "$net" set-policy "$dir" "$WN" "$work/$WN.policy" || return 1
	fi
	if grep -qx mxnotls.example "$work/zones"; then
		NT=mxnotls.example
	else
		NT=twotxt.example
		sh "$net" set-txt "$dir" "_mta-sts.$NT" 'v=STSv1; id=1' || return 1
	fi
}

# net_up TITLE SECONDS [HOST=MODE...]: once "net.sh start" ran: the
# namespace's inode, the test domains (WN, NT) and the SMTP sink
# (sink_pid) with certificates for mx.$WN (wrong name), mx.$NT (no
# STARTTLS) and HOST=MODE, ready within SECONDS.  On failure prints
# "not ok - $T: TITLE" with the reason and exits.
net_up() {
	nu_title=$1 nu_wait=$2
	shift 2
	ns_ino=$(stat -L -c %i "/run/netns/$NET_NS")
	chmod 755 "$dir"
	if ! pick_domains >>"$work/net.err" 2>&1; then
		not_ok "$nu_title" "$(cat "$work/net.err")"
		exit 1
	fi
	if ! python3 "$sinkpy" certs "$dir" "$work/sink" "mx.$WN=wrongname" \
	    "mx.$NT=notls" "$@" >"$work/sink.err" 2>&1; then
		not_ok "$nu_title" "$(cat "$work/sink.err")"
		exit 1
	fi
	setsid nsenter --net="/run/netns/$NET_NS" -- python3 "$sinkpy" serve \
	    "$work/sink" >>"$work/sink.log" 2>&1 </dev/null &
	sink_pid=$!
	nu_end=$(($(now) + nu_wait))
	until [ -e "$work/sink/ready" ]; do
		if gone "$sink_pid" || [ "$(now)" -ge "$nu_end" ]; then
			not_ok "$nu_title" "sink.py did not start:" \
			    "$(tail -n 20 "$work/sink.log")"
			exit 1
		fi
		sleep 0.05
	done
}

# fetches DOMAIN: how many times the policy host of DOMAIN was asked.
fetches() {
	sh "$net" fetches "$dir" "$1"
}

# break_cached TITLE: cached.example's policy host fails (HTTP 500) and
# its record announces a new policy (id=2).  If net.sh cannot do it:
# "not ok - $T: TITLE" and status 1.
break_cached() {
	if ! sh "$net" set-http "$dir" cached.example 500 >"$work/net.err" 2>&1 ||
	    ! sh "$net" set-txt "$dir" _mta-sts.cached.example 'v=STSv1; id=2' \
	    >>"$work/net.err" 2>&1; then
		not_ok "$1" "cannot break the policy host:" "$(cat "$work/net.err")"
		return 1
	fi
}

# ---------------------------------------------------------- messages

# submit ID RCPT [TIMEOUT]: one message to $SUBMIT_IP; events in $events.
submit() {
	nsx python3 "$tool" send "$SUBMIT_IP" "$2" "$1" "$events" "${3:-$SUBMIT_WAIT}"
}

# ev ID EVENT FIELD: FIELD of the last EVENT of submission ID.
ev() {
	python3 "$tool" get "$events" "$@" 2>/dev/null
}

# delivered RCPT: "HOST TLS SNI" per copy the sink accepted.
delivered() {
	python3 "$tool" delivered "$work/sink/events.jsonl" "$1"
}

# settle_until POLL RCPT...: wait until "settled RCPT" (the caller's)
# holds for each message the MTA accepted (DATA 250; the local part of
# RCPT is its submission's id), checking every POLL seconds, bounded by
# SETTLE seconds and by "settle_alive" (the caller's: it says why not,
# the RCPTs left are in $sl_todo).
settle_until() {
	sl_poll=$1
	shift
	sl_end=$(($(now) + SETTLE))
	sl_todo=
	for sl_r; do
		[ "$(ev "${sl_r%@*}" data-reply code)" = 250 ] && sl_todo="$sl_todo $sl_r"
	done
	while [ -n "$sl_todo" ]; do
		sl_left=
		for sl_r in $sl_todo; do
			settled "$sl_r" || sl_left="$sl_left $sl_r"
		done
		sl_todo=$sl_left
		[ -n "$sl_todo" ] || return 0
		settle_alive || return 1
		if [ "$(now)" -ge "$sl_end" ]; then
			echo "# $T: not settled after ${SETTLE} s:$sl_todo"
			return 1
		fi
		sleep "$sl_poll"
	done
}

# one_copy RCPT MX FORMAT: the sink's copies of RCPT, each noted as
# printf FORMAT of RCPT HOST TLS SNI; bad unless there is exactly one,
# at MX.  Sets ed_got (delivered's lines), ed_tls and ed_sni (the first
# copy's).  Status 1, noting nothing, if there is no copy.
one_copy() {
	ed_got=$(delivered "$1")
	[ -n "$ed_got" ] || return 1
	printf '%s\n' "$ed_got" | while read -r oc_h oc_tls oc_sni; do
		# shellcheck disable=SC2059
		printf "$3\\n" "$1" "$oc_h" "$oc_tls" "$oc_sni"
	done >"$work/tmp.got"
	note "$(cat "$work/tmp.got")"
	[ "$(printf '%s\n' "$ed_got" | wc -l)" -eq 1 ] || bad "$1: delivered more than once"
	printf '%s\n' "$ed_got" | awk -v m="$2" '$1 != m { exit 1 }' ||
	    bad "$1: delivered to a host other than $2"
	ed_tls=$(printf '%s\n' "$ed_got" | awk '{ print $2; exit }')
	# shellcheck disable=SC2034 # the caller's
	ed_sni=$(printf '%s\n' "$ed_got" | awk '{ print $3; exit }')
}

# tls_ok RCPT: bad unless the copy ($ed_tls) came over TLS 1.2 or 1.3.
tls_ok() {
	case $ed_tls in
	TLSv1.2_* | TLSv1.3_*) ;;
	*) bad "$1: not delivered over TLS 1.2/1.3" ;;
	esac
}

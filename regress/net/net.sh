#!/bin/sh
# net.sh - a hermetic MTA-STS + DANE test network for filter-mtasts.
#
# A miniature Internet inside one network namespace: nsd serves a signed
# fake root, two signed TLDs, "example." and "test." (RFC 6761 special
# use: resolvers must send its names to the configured server, and
# unbound needs to be told so), and one zone per test domain;
# unbound validates and recurses from that root; nginx serves the
# MTA-STS policy hosts by SNI; a Python helper produces the HTTP
# behaviours nginx cannot (stalls, chunked bodies).  Nothing is reachable
# from or to the real Internet.  See /work/shared/docs/test-network.md.
#
# usage: net.sh start DIR
#        net.sh stop DIR
#        net.sh exec DIR CMD [ARG...]
#        net.sh set-txt DIR NAME [VALUE...]
#        net.sh set-mx DIR DOMAIN PREF HOST [PREF HOST...]
#        net.sh set-policy DIR DOMAIN FILE
#        net.sh set-http DIR DOMAIN STATUS
#        net.sh fetches DIR DOMAIN
#
# The namespace is named by $NET_NS (default mtasts-test) at start and
# remembered in DIR/netns for the other subcommands.
#
# set-txt and set-mx change a record set, re-sign its zone, have nsd
# load it and the resolver forget the zone, and return once the
# resolver serves the new data; set-policy changes a policy body.  A
# domain's spec may give its records a short TTL (rollover.example: 20 s)
# so that clients' caches, and verdicts, expire within a test.
#
# For a program under test: DIR/root.key (DS of the fake root's KSK, the
# trust anchor), DIR/ca.pem (the test CA), resolver 127.0.53.2.  "exec"
# also bind-mounts DIR/resolv.conf and DIR/sslcerts over /etc.  Logs are
# in DIR/log, nginx's access log names the SNI of every request.
#
# The MX hosts of the domains under v.example and chk.example
# (regress/verify.sh) really speak SMTP and STARTTLS: sink.py of
# regress/smtpd serves them on 127.0.27.N, apart from the 127.0.25.N
# that regress/smtpd/smtpd.sh serves with a sink of its own;
# DIR/smtp/hosts lists them, their mail lands in DIR/smtp/mbox/NAME.
#
# TLS reporting (RFC 8460): some domains publish an _smtp._tls record
# whose ruas are reports.example's: mailto:tlsrpt@reports.example (the
# SMTP sink of the end-to-end tests serves its MX host) and
# https://rua.reports.example/tlsrpt, collector.py, which keeps every
# report it is sent in DIR/collector and fails (503) while
# DIR/collector/fail exists.

set -u

# POSIX sh has no local variables: a function's own variables carry a
# prefix made from its name (wf_ for wait_for, bz_ for build_zone, ...).

here=$(cd "$(dirname "$0")" && pwd)

AUTH=127.0.53.1		# nsd: fake root, example., test., test zones
RESOLVER=127.0.53.2	# unbound: validating, recursing from AUTH
HTTPS=127.0.44.1	# nginx: every mta-sts.DOMAIN, by SNI
SMTP_NET=127.0.27	# sink.py: the MX hosts under v.example, chk.example
AUX=127.0.44.2		# aux.py behind nginx
AUXPORT=8080
COLLECTOR=127.0.44.3	# collector.py: rua.reports.example, HTTPS
RUA=mailto:tlsrpt@reports.example,https://rua.reports.example/tlsrpt
VETH=198.51.100.25	# non-loopback address, for AI_ADDRCONFIG (pitfall 3)
DEFAULT_TTL=300		# of every record, unless the domain's spec sets one
TTL=$DEFAULT_TTL	# the zone being written (rr)
PROBE_UA=mtasts-net-probe	# our own requests; "fetches" ignores them
WAIT=15			# upper bound for every readiness wait, seconds

# Test domains, each its own zone under example. (provider.example holds
# the CNAME target of _mta-sts.cname.example), and under test.: a label
# has the same spec under either.
DOMAINS="enforce nomatch wildcard testing modenone nosts http404 http500
redirect html big slow chunked-big expired wrongname untrusted twotxt
rotate cached dane daneinsecure danebogus daneunusable danests mxbogus
cname provider mxwrongname mxnotls rollover shortttl reports badpolicy v
chk"
# Test domains within the zones v.example and chk.example (one zone
# each: signing a zone costs more than its records), for
# regress/verify.sh: LABEL.v.example, LABEL.chk.example.
V_DOMAINS="ee expired ta mismatch usage01 notls stswrong stsexpired failover
stsok"
CHK_DOMAINS="ok mxmissing stale nobump twotxt html expiring maxage norpt
badrpt"
TEST_DOMAINS="enforce dane danebogus nosts"

die() {
	echo "net.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '/^# usage:/,/^#$/s/^# //p' "$0" >&2
	exit 2
}

# ---------------------------------------------------------------- helpers

# Run a command in the network namespace (no mount namespace needed).
nsx() {
	nsenter --net="/run/netns/$ns" -- "$@"
}

# wait_for NAME SECS WHAT CMD...: run CMD until it succeeds.  Fails
# early if process NAME (a recorded pid, or "-") has died.
wait_for() {
	wf_name=$1 wf_end=$(($(date +%s) + $2)) wf_what=$3
	shift 3
	until "$@" >/dev/null 2>&1; do
		if [ "$wf_name" != - ] && ! alive "$wf_name"; then
			echo "net.sh: $wf_name died while waiting for $wf_what" >&2
			tail -n 20 "$dir/log/$wf_name.log" >&2 2>/dev/null
			return 1
		fi
		if [ "$(date +%s)" -ge "$wf_end" ]; then
			echo "net.sh: timed out waiting for $wf_what" >&2
			return 1
		fi
		sleep 0.05
	done
}

ns_inode() {
	stat -L -c %i "/run/netns/$ns" 2>/dev/null
}

# in_ns PID: PID lives in the test namespace (guards against stale pid
# files and pid reuse; a zombie has no readable ns link and is "gone").
in_ns() {
	[ -n "$1" ] && [ -n "${ino:=$(ns_inode)}" ] &&
	    [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "net:[$ino]" ]
}

pid_of() {
	cat "$dir/run/$1.pid" 2>/dev/null
}

alive() {
	in_ns "$(pid_of "$1")"
}

signal() {
	sg_pid=$(pid_of "$2")
	in_ns "$sg_pid" || die "$2 is not running"
	kill "-$1" "$sg_pid"
}

# load DIR: DIR (made absolute) and the namespace "start" recorded in
# it (empty if none: then nothing of this DIR can be running).
load() {
	[ $# -ge 1 ] || usage
	[ -d "$1" ] || die "no such directory: $1"
	dir=$(cd "$1" && pwd)
	ns=$(cat "$dir/netns" 2>/dev/null) || ns=
	ino=
}

# running DIR: load DIR, which must have a running network.
running() {
	load "$1"
	[ -n "$ns" ] && [ -e "/run/netns/$ns" ] ||
	    die "no network running for $dir"
}

# dig through the resolver inside the namespace.
rdig() {
	nsx dig +time=2 +tries=2 "@$RESOLVER" "$@"
}

curl_probe() {
	nsx curl -sS --noproxy '*' -A "$PROBE_UA" --max-time 5 "$@"
}

# ------------------------------------------------------------ zone data

# rr OWNER TYPE RDATA: one record in zone-file form, owner absolute,
# with the TTL of the zone being written.
rr() {
	rr_ttl "$TTL" "$@"
}

rr_ttl() {
	printf '%s\t%s\tIN\t%s\t%s\n' "$2" "$1" "$3" "$4"
}

# zone_ttl ZONE: the TTL of ZONE's records (its spec may set one).
zone_ttl() {
	cat "$dir/zones/$(zfile "$1").ttl" 2>/dev/null || echo "$DEFAULT_TTL"
}

# txt_rdata VALUE: VALUE as zone-file TXT strings (quoted, escaped,
# split into 255-byte strings).  dig prints printable ASCII the same way.
txt_rdata() {
	V=$1 awk 'BEGIN {
		v = ENVIRON["V"]; out = ""
		do {
			c = substr(v, 1, 255); v = substr(v, 256); q = ""
			for (i = 1; i <= length(c); i++) {
				ch = substr(c, i, 1)
				q = q ((ch == "\\" || ch == "\"") ? "\\" : "") ch
			}
			out = out (out == "" ? "" : " ") "\"" q "\""
		} while (v != "")
		print out
	}'
}

txt() {
	tx_owner=$1
	shift
	for tx_v; do
		rr "$tx_owner." TXT "$(txt_rdata "$tx_v")"
	done
}

# The spec helpers below run with D set to the domain and stdout
# redirected into the zone body.

# ttl SECONDS: the TTL of the domain's records from here on, and of its
# negative answers (SOA TTL and MINIMUM, RFC 2308 section 5).  First in
# a spec.
ttl() {
	TTL=$1
	echo "$1" >"$dir/zones/$D.ttl"
}

# addr LABEL: an MX host LABEL.D with its own address 127.0.25.N.
addr() {
	hostn=$((hostn + 1))
	rr "$1.$D." A "127.0.25.$hostn"
}

# mx PREF LABEL: MX LABEL.D, with its address.
mx() {
	rr "$D." MX "$1 $2.$D."
	addr "$2"
}

# sts [VALUE...]: the _mta-sts TXT RRset (default: one "v=STSv1; id=1").
sts() {
	[ $# -gt 0 ] || set -- 'v=STSv1; id=1'
	txt "_mta-sts.$D" "$@"
}

# tlsa LABEL RDATA...: TLSA RRset for port 25 of LABEL.D.
tlsa() {
	tl_l=$1
	shift
	for tl_t; do
		rr "_25._tcp.$tl_l.$D." TLSA "$tl_t"
	done
}

# host [valid|expired|expiring|wrongname|untrusted]: policy host mta-sts.D on
# nginx, with that kind of certificate.
host() {
	rr "mta-sts.$D." A "$HTTPS"
	mkdir -p "$dir/www/$D/.well-known"
	: >"$dir/nginx/extra/$D.conf"
	: >"$dir/nginx/status/$D.conf"
	echo "$D ${1:-valid}" >>"$dir/hosts"
}

# policy_text MODE [MX...]: an STSv1 policy; $nl is the line terminator.
# shellcheck disable=SC2154,SC2059
policy_text() {
	printf "version: STSv1${nl}mode: %s${nl}" "$1"
	shift
	for pt_m; do
		printf "mx: %s${nl}" "$pt_m"
	done
	printf "max_age: 86400${nl}"
}

policy() {
	nl='\n' policy_file "$@"
}

policy_crlf() {
	nl='\r\n' policy_file "$@"
}

policy_file() {
	policy_text "$@" >"$dir/www/$D/.well-known/mta-sts.txt"
}

# pad FILE SIZE: append extension lines until FILE is SIZE bytes (the
# policy stays syntactically valid, only too large).
pad() {
	pd_have=$(wc -c <"$1")
	awk -v n=$(($2 - pd_have)) 'BEGIN {
		for (i = 1; n > 0; i++) {
			l = sprintf("pad%d: ", i); w = (n > 100 ? 100 : n) - length(l) - 1
			if (w < 1) { l = ""; w = n - 1 }
			s = l; for (j = 0; j < w; j++) s = s "x"
			print s; n -= length(s) + 1
		}
	}' >>"$1"
}

# ngx DIRECTIVE...: extra nginx directives in the policy URL's location.
ngx() {
	printf '%s\n' "$@" >>"$dir/nginx/extra/$D.conf"
}

unsigned() {
	touch "$dir/zones/$D.unsigned"
}

# tlsrpt [RUA]: the _smtp._tls record of D (RFC 8460 3), its rua list
# by default both of reports.example's.
tlsrpt() {
	txt "_smtp._tls.$D" "v=TLSRPTv1; rua=${1:-$RUA}"
}

# corrupt OWNER TYPE: break the RRSIG over that RRset after signing.
corrupt() {
	echo "$1. $2" >>"$dir/zones/$D.corrupt"
}

# smtp PREF LABEL KIND: MX LABEL.D, a host of its own on 127.0.27.N
# where sink.py speaks SMTP, with a certificate of KIND (smtp_cert).
smtp() {
	hostv=$((hostv + 1))
	rr "$D." MX "$1 $2.$D."
	rr "$2.$D." A "$SMTP_NET.$hostv"
	smtp_cert "$2.$D" "$3"
	echo "$SMTP_NET.$hostv $2.$D $3" >>"$dir/smtp/hosts"
}

# smtp_cert NAME KIND: DIR/smtp/certs/NAME.{pem,key} for sink.py; the
# PEM is the chain the server sends.  KIND:
#	valid		test CA, for NAME, 90 days
#	wrongname	test CA, for another name
#	expired		test CA, valid last month, expired yesterday
#	expiring	test CA, expires in 3 days
#	selfsigned	self-signed, for NAME
#	dane-ta		the private DANE CA (trusted by no one), which the
#			chain includes; -apex: for the domain D,
#			-wrong: for another name, -expired: expired
#	notls		none: EHLO offers no STARTTLS
smtp_cert() {
	sc_san=$1 sc_ca=ca sc_from=now sc_to=90 sc_chain=
	sc_k=$dir/smtp/certs/$1.key sc_p=$dir/smtp/certs/$1.pem
	case $2 in
	notls)		return 0 ;;
	valid)		;;
	wrongname)	sc_san=wrong-name.other.example ;;
	expired)	sc_from=-30 sc_to=-1 ;;
	expiring)	sc_to=3 ;;
	selfsigned)	sc_ca=self ;;
	dane-ta)	sc_ca=dane-ca sc_chain=1 ;;
	dane-ta-apex)	sc_ca=dane-ca sc_chain=1 sc_san=$D ;;
	dane-ta-wrong)	sc_ca=dane-ca sc_chain=1 sc_san=wrong-name.other.example ;;
	dane-ta-expired) sc_ca=dane-ca sc_chain=1 sc_from=-30 sc_to=-1 ;;
	*)		die "unknown SMTP certificate kind $2" ;;
	esac
	# one openssl(1) run per certificate, but "openssl ca" to back-date
	if [ "$sc_from" = now ]; then
		if [ "$sc_ca" = self ]; then
			set --
		else
			set -- -CA "$dir/pki/$sc_ca.pem" -CAkey "$dir/pki/$sc_ca.key"
		fi
		SAN=DNS:$sc_san openssl req -x509 -new -config "$dir/pki/openssl.cnf" \
		    -extensions leafext -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$sc_k" -out "$sc_p" -subj "/CN=$sc_san" \
		    -days "$sc_to" "$@" 2>/dev/null || die "certificate $1 failed"
	else
		newkey "$sc_k"
		SAN=DNS:$sc_san openssl req -new -config "$dir/pki/openssl.cnf" \
		    -key "$sc_k" -subj "/CN=$sc_san" -out "$sc_p.csr" 2>/dev/null &&
		SAN=DNS:$sc_san openssl ca -batch -config "$dir/pki/openssl.cnf" \
		    -extensions leafext -notext -cert "$dir/pki/$sc_ca.pem" \
		    -keyfile "$dir/pki/$sc_ca.key" -in "$sc_p.csr" -out "$sc_p" \
		    -startdate "$(date -u -d "$sc_from days" +%Y%m%d%H%M%SZ)" \
		    -enddate "$(date -u -d "$sc_to days" +%Y%m%d%H%M%SZ)" \
		    2>/dev/null || die "certificate $1 failed"
		rm -f "$sc_p.csr"
	fi
	[ -z "$sc_chain" ] || cat "$dir/pki/$sc_ca.pem" >>"$sc_p"
}

# tlsa_for LABEL USAGE SELECTOR MTYPE [PEM]: TLSA rdata for the first
# certificate of PEM (default: the one of LABEL.D's SMTP server).
tlsa_for() {
	tf_pem=${5:-$dir/smtp/certs/$1.$D.pem} tf_der=$dir/smtp/tlsa.der
	if [ "$3" = 0 ]; then
		openssl x509 -in "$tf_pem" -outform DER
	elif [ -z "${5:-}" ]; then
		openssl pkey -in "${tf_pem%.pem}.key" -pubout -outform DER
	else
		openssl x509 -in "$tf_pem" -noout -pubkey |
		    openssl pkey -pubin -outform DER
	fi >"$tf_der" 2>/dev/null || die "no TLSA data for $tf_pem"
	case $4 in
	0)	tf_h=$(od -An -v -tx1 "$tf_der" | tr -d ' \n') ;;
	1)	tf_h=$(sha256sum <"$tf_der" | cut -c1-64) ;;
	*)	tf_h=$(sha512sum <"$tf_der" | cut -c1-128) ;;
	esac
	echo "$2 $3 $4 $tf_h"
}

# policy_age MAX_AGE MODE [MX...]: a policy (LF) with that max_age.
policy_age() {
	pa_age=$1
	shift
	nl='\n' policy_text "$@" | sed "s/^max_age: .*/max_age: $pa_age/" \
	    >"$dir/www/$D/.well-known/mta-sts.txt"
}

# tlsrpt_txt [VALUE...]: the _smtp._tls TXT RRset as given (RFC 8460
# 3), by default reports by mail to tlsrpt@D.
tlsrpt_txt() {
	[ $# -gt 0 ] || set -- "v=TLSRPTv1; rua=mailto:tlsrpt@$D"
	txt "_smtp._tls.$D" "$@"
}

# chk: the set-up of a checked domain, right unless the spec changes
# it: STS with a week's max_age, TLS reporting.
chk() {
	sts
	host "${1:-valid}"
	tlsrpt_txt
}

# The test domains (D: LABEL.TLD; the spec is that of LABEL).  Expected
# verdicts live in regress/query.sh.
spec() {
	case ${D%.*} in
	enforce)	mx 10 mx1; mx 20 mx2; sts; host; tlsrpt
			policy_crlf enforce "mx1.$D" ;;
	nomatch)	mx 10 mx; sts; host; tlsrpt
			policy enforce mail.elsewhere.example ;;
	wildcard)	mx 10 a.mx; mx 20 b.c.mx; mx 30 mx; sts; host
			policy_crlf enforce "*.mx.$D" ;;
	testing)	mx 10 mx; sts; host; policy testing "mx.$D"
			tlsrpt mailto:tlsrpt@reports.example ;;
	modenone)	mx 10 mx; sts; host; policy none ;;
	nosts)		mx 10 mx ;;
	http404)	mx 10 mx; sts; host ;;
	http500)	mx 10 mx; sts; host; policy enforce "mx.$D"
			ngx 'return 500;'
			tlsrpt https://rua.reports.example/tlsrpt ;;
	redirect)	mx 10 mx; sts; host; policy enforce "mx.$D"
			ngx 'return 301 https://mta-sts.enforce.example/.well-known/mta-sts.txt;' ;;
	html)		mx 10 mx; sts; host; policy enforce "mx.$D"
			ngx 'types { } default_type text/html;' ;;
	big)		mx 10 mx; sts; host; policy enforce "mx.$D"
			pad "$dir/www/$D/.well-known/mta-sts.txt" 70000 ;;
	slow)		mx 10 mx; sts; host
			nl='\n' policy_text enforce "mx.$D" >"$dir/aux/$D"
			# pitfall 8: pass the headers on at once, never time out
			ngx "proxy_pass http://$AUX:$AUXPORT/stall/$D;" \
			    'proxy_buffering off; postpone_output 0;' \
			    'proxy_read_timeout 3600s; send_timeout 3600s;' ;;
	chunked-big)	mx 10 mx; sts; host
			nl='\n' policy_text enforce "mx.$D" >"$dir/aux/$D"
			pad "$dir/aux/$D" 70000
			ngx "proxy_pass http://$AUX:$AUXPORT/chunked/$D;" \
			    'proxy_http_version 1.1; proxy_buffering off;' ;;
	expired)	mx 10 mx; sts; host expired; policy enforce "mx.$D"
			tlsrpt https://rua.reports.example/tlsrpt ;;
	wrongname)	mx 10 mx; sts; host wrongname; policy enforce "mx.$D" ;;
	untrusted)	mx 10 mx; sts; host untrusted; policy enforce "mx.$D" ;;
	twotxt)		mx 10 mx; sts 'v=STSv1; id=1' 'v=STSv1; id=2'; host
			policy enforce "mx.$D" ;;
	rotate)		mx 10 mx; sts; host; policy testing "mx.$D" ;;
	cached)		mx 10 mx; sts; host; policy enforce "mx.$D" ;;
	# Enforce domains whose allowed MX the SMTP sink of regress/smtpd
	# serves with a wrong-name certificate, or without STARTTLS.
	mxwrongname)	mx 10 mx; sts; host; policy enforce "mx.$D"
			tlsrpt https://rua.reports.example/tlsrpt ;;
	mxnotls)	mx 10 mx; sts; host; policy enforce "mx.$D"
			tlsrpt mailto:tlsrpt@reports.example ;;
	dane)		mx 10 mx; tlsa mx "3 1 1 $ee"; tlsrpt ;;
	daneinsecure)	unsigned; mx 10 mx; tlsa mx "3 1 1 $ee" ;;
	danebogus)	mx 10 mx; tlsa mx "3 1 1 $ee"; tlsrpt
			corrupt "_25._tcp.mx.$D" TLSA ;;
	daneunusable)	mx 10 mx; tlsa mx "0 0 1 $cahash" "1 1 1 $ee" ;;
	danests)	mx 10 mx; tlsa mx "3 1 1 $ee"; sts; host
			policy enforce "mx.$D" ;;
	mxbogus)	mx 10 mx; corrupt "$D" MX ;;
	cname)		mx 10 mx; rr "_mta-sts.$D." CNAME "sts-cname.provider.example."
			host; policy enforce "mx.$D" ;;
	provider)	txt "sts-cname.$D" 'v=STSv1; id=7' ;;
	# Short TTL, and a second host to rotate to (set-mx, set-txt,
	# set-policy): regress/ttl.sh.
	rollover)	ttl 20; mx 10 mx1; addr mx2; sts; host
			policy enforce "mx1.$D" ;;
	# Asked once, left to expire: regress/ttl.sh, the table's relayhost.
	shortttl)	ttl 10; mx 10 mx; sts; host; policy enforce "mx.$D" ;;
	# TLS-time verification (regress/verify.sh): MX hosts that speak
	# SMTP, each its own kind of certificate and TLSA records.
	v|chk)		sp_zone=$D sp_subs=$V_DOMAINS
			[ "$sp_zone" = v.example ] || sp_subs=$CHK_DOMAINS
			for sp_l in $sp_subs; do
				D=$sp_l.$sp_zone
				spec
			done
			D=$sp_zone ;;
	ee.v)		smtp 10 mx1 selfsigned; smtp 20 mx2 selfsigned
			tlsa mx1 "$(tlsa_for mx1 3 1 1)"
			tlsa mx2 "$(tlsa_for mx2 3 0 1)" ;;
	expired.v)	smtp 10 mx expired; tlsa mx "$(tlsa_for mx 3 1 1)" ;;
	ta.v)		smtp 10 mx dane-ta; smtp 20 mx2 dane-ta-apex
			smtp 30 mx3 dane-ta-wrong; smtp 40 mx4 dane-ta-expired
			sp_t=$(tlsa_for - 2 1 1 "$dir/pki/dane-ca.pem")
			for sp_h in mx mx2 mx3 mx4; do
				tlsa $sp_h "$sp_t"
			done ;;
	# valid under the test CA, but the TLSA record is another key's
	mismatch.v)	smtp 10 mx valid; tlsa mx "3 1 1 $ee"; tlsrpt_txt ;;
	usage01.v)	smtp 10 mx selfsigned
			tlsa mx "0 0 1 $cahash" "$(tlsa_for mx 1 1 1)" ;;
	notls.v)	smtp 10 mx notls; tlsa mx "3 1 1 $ee" ;;
	stswrong.v)	smtp 10 mx wrongname; sts; host; policy enforce "mx.$D" ;;
	stsexpired.v)	smtp 10 mx expired; sts; host; policy enforce "mx.$D" ;;
	# the first MX fails the policy's checks, the second passes
	failover.v)	smtp 10 mx1 wrongname; smtp 20 mx2 valid; sts; host
			policy enforce "mx1.$D" "mx2.$D"; tlsrpt_txt ;;
	# enforce, one MX that passes: smtpd's own "relay tls" and the relay
	# alike (bench/relay.sh)
	stsok.v)	smtp 10 mx valid; sts; host; policy enforce "mx.$D" ;;
	# "filter-mtasts check": a domain set up right, then one mistake each.
	ok.chk)		smtp 10 mx1 valid; smtp 20 mx2 valid; chk
			tlsa mx1 "$(tlsa_for mx1 3 1 1)"
			tlsa mx2 "$(tlsa_for mx2 3 1 1)"
			policy_age 604800 enforce "mx1.$D" "mx2.$D" ;;
	mxmissing.chk)	smtp 10 mx1 valid; smtp 20 mx2 valid; chk
			policy_age 604800 enforce "mx1.$D" ;;
	stale.chk)	smtp 10 mx valid; chk
			policy_age 604800 enforce "mx.$D" "old.$D" ;;
	nobump.chk)	smtp 10 mx valid; chk; policy_age 604800 enforce "mx.$D" ;;
	twotxt.chk)	smtp 10 mx valid; sts 'v=STSv1; id=1' 'v=STSv1; id=2'
			host; tlsrpt_txt; policy_age 604800 enforce "mx.$D" ;;
	html.chk)	smtp 10 mx valid; chk; policy_age 604800 enforce "mx.$D"
			ngx 'types { } default_type text/html;' ;;
	expiring.chk)	smtp 10 mx expiring; chk expiring
			policy_age 604800 enforce "mx.$D" ;;
	maxage.chk)	smtp 10 mx valid; chk; policy_age 3600 enforce "mx.$D" ;;
	norpt.chk)	smtp 10 mx valid; sts; host
			policy_age 604800 enforce "mx.$D" ;;
	badrpt.chk)	smtp 10 mx valid; sts; host
			tlsrpt_txt 'v=TLSRPTv1; rua=ftp://reports.example'
			policy_age 604800 enforce "mx.$D" ;;
	# The TLS report collectors, and a TLSRPT domain itself.
	reports)	mx 10 mx; rr "rua.$D." A "$COLLECTOR"
			tlsrpt mailto:tlsrpt@reports.example ;;
	# A policy without max_age: sts-policy-invalid (RFC 8460 4.3.2).
	badpolicy)	mx 10 mx; sts; host; tlsrpt
			printf 'version: STSv1\nmode: enforce\nmx: mx.%s\n' "$D" \
			    >"$dir/www/$D/.well-known/mta-sts.txt" ;;
	*)		die "no spec for $D" ;;
	esac
}

# ------------------------------------------------------------- DNSSEC

zfile() {
	if [ "$1" = . ]; then echo root; else echo "$1"; fi
}

origin() {
	if [ "$1" = . ]; then echo .; else echo "$1."; fi
}

keygen() {
	kg_f=$(zfile "$1")
	(cd "$dir/keys" &&
	    ldns-keygen -a ECDSAP256SHA256 -k "$1" >"$kg_f.ksk" &&
	    ldns-keygen -a ECDSAP256SHA256 "$1" >"$kg_f.zsk") ||
	    die "ldns-keygen $1 failed"
}

# ds ZONE: the DS record of ZONE's KSK, for the parent zone.
ds() {
	cat "$dir/keys/$(cat "$dir/keys/$(zfile "$1").ksk").ds"
}

# build_zone ZONE: SOA + body -> zone file -> signed (or copied) file.
# Negative answers live for the zone's TTL, at most 60 s.
build_zone() {
	bz_f=$(zfile "$1") bz_o=$(origin "$1")
	bz_z=$dir/zones/$bz_f bz_s=$dir/signed/$bz_f.signed
	bz_ttl=$(zone_ttl "$1")
	bz_min=$bz_ttl
	[ "$bz_min" -le 60 ] || bz_min=60
	{
		printf '$TTL %s\n' "$bz_ttl"
		rr_ttl "$bz_ttl" "$bz_o" SOA "ns.example. hostmaster.example. $(cat "$bz_z.serial") 3600 600 86400 $bz_min"
		cat "$bz_z.body"
	} >"$bz_z.zone"
	rm -f "$bz_s"
	if [ -e "$bz_z.unsigned" ]; then
		cp "$bz_z.zone" "$bz_s"
		return
	fi
	bz_now=$(date +%s)
	ldns-signzone -o "$bz_o" -i $((bz_now - 3600)) -e $((bz_now + 30 * 86400)) \
	    -f "$bz_s" "$bz_z.zone" "$dir/keys/$(cat "$dir/keys/$bz_f.ksk")" \
	    "$dir/keys/$(cat "$dir/keys/$bz_f.zsk")" >/dev/null ||
	    die "ldns-signzone $1 failed"
	# pitfall 5: ldns-signzone may exit 0 without writing its output
	[ -s "$bz_s" ] || die "ldns-signzone wrote no $bz_s"
	if [ -e "$bz_z.corrupt" ]; then
		while read -r bz_owner bz_type; do
			corrupt_rrsig "$bz_s" "$bz_owner" "$bz_type"
		done <"$bz_z.corrupt"
	fi
}

# corrupt_rrsig FILE OWNER TYPE: change one base64 character in the
# middle of the signature of the RRSIG covering OWNER/TYPE.
corrupt_rrsig() {
	awk -v o="$2" -v t="$3" 'BEGIN { FS = OFS = "\t" }
	    $1 == o && $4 == "RRSIG" && index($5, t " ") == 1 {
		n = split($5, a, " "); s = a[n]; i = int(length(s) / 2)
		c = substr(s, i, 1) == "A" ? "B" : "A"
		a[n] = substr(s, 1, i - 1) c substr(s, i + 1)
		$5 = a[1]; for (k = 2; k <= n; k++) $5 = $5 " " a[k]
		hit++
	    }
	    { print }
	    END { exit !hit }' "$1" >"$1.tmp" ||
	    die "no RRSIG over $2 $3 to corrupt"
	mv "$1.tmp" "$1"
}

# tld_body TLD: the delegations of TLD's test domains (each built here)
# with their DS.
tld_body() {
	rr "$1." NS ns.example.
	[ "$1" = example ] && rr ns.example. A "$AUTH"
	for tb_z in $children; do
		case $tb_z in
		*."$1") ;;
		*) continue ;;
		esac
		build_zone "$tb_z"
		rr "$tb_z." NS ns.example.
		[ -e "$dir/zones/$tb_z.unsigned" ] || ds "$tb_z"
	done
}

make_dns() {
	mkdir -p "$dir/keys" "$dir/zones" "$dir/signed" "$dir/smtp/certs"
	: >"$dir/smtp/hosts"
	hostn=0 hostv=0
	children=
	for md_d in $(for md_l in $DOMAINS; do echo "$md_l.example"; done) \
	    $(for md_l in $TEST_DOMAINS; do echo "$md_l.test"; done); do
		D=$md_d TTL=$DEFAULT_TTL
		children="$children $D"
		echo 1 >"$dir/zones/$D.serial"
		spec >"$dir/zones/$D.spec"
		{
			rr "$D." NS ns.example.
			cat "$dir/zones/$D.spec"
		} >"$dir/zones/$D.body"
		rm -f "$dir/zones/$D.spec"
	done
	TTL=$DEFAULT_TTL
	# the address counters must not have run past one octet
	[ "$hostn" -lt 255 ] && [ "$hostv" -lt 255 ] || die "too many MX hosts"
	for md_z in . example test $children; do
		[ -e "$dir/zones/$md_z.unsigned" ] || keygen "$md_z"
	done
	for md_t in example test; do
		tld_body "$md_t" >"$dir/zones/$md_t.body"
		echo 1 >"$dir/zones/$md_t.serial"
		build_zone "$md_t"
	done
	{
		rr . NS ns.example.
		for md_t in example test; do
			rr "$md_t." NS ns.example.
			ds "$md_t"
		done
		rr ns.example. A "$AUTH"
	} >"$dir/zones/root.body"
	echo 1 >"$dir/zones/root.serial"
	build_zone .
	echo ". example test $children" >"$dir/zones/list"
	ds . >"$dir/root.key"
	printf '.\t3600000\tIN\tNS\tns.example.\nns.example.\t3600000\tIN\tA\t%s\n' \
	    "$AUTH" >"$dir/root.hints"
}

# zone_of NAME: the most specific zone of the network containing NAME.
zone_of() {
	zo_best=
	for zo_z in $(cat "$dir/zones/list"); do
		case $1 in
		"$zo_z" | *."$zo_z")
			[ ${#zo_z} -gt ${#zo_best} ] && zo_best=$zo_z ;;
		esac
	done
	[ -n "$zo_best" ] || zo_best=.
	echo "$zo_best"
}

# ----------------------------------------------------------------- PKI

pki_conf() {
	cat <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ caext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leafext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ca ]
default_ca = testca
[ testca ]
dir = $dir/pki/db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $dir/pki/ca.pem
private_key = $dir/pki/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
EOF
}

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null || die "openssl genpkey failed"
}

# make_ca NAME CN: a self-signed root CA pki/NAME.pem.
make_ca() {
	newkey "$dir/pki/$1.key"
	# the configuration refers to $SAN, which must be set even here
	SAN=DNS:unused openssl req -x509 -new -config "$dir/pki/openssl.cnf" -extensions caext \
	    -key "$dir/pki/$1.key" -out "$dir/pki/$1.pem" -subj "/CN=$2" \
	    -days 7300 -set_serial 1 2>/dev/null || die "CA $1 failed"
}

# leaf NAME SAN CA [DAYS]: pki/NAME.pem for DNS name SAN, issued by
# pki/CA.pem, valid DAYS (90).
leaf() {
	newkey "$dir/pki/$1.key"
	SAN=DNS:$2 openssl req -x509 -new -config "$dir/pki/openssl.cnf" \
	    -extensions leafext -key "$dir/pki/$1.key" -out "$dir/pki/$1.pem" \
	    -subj "/CN=$2" -CA "$dir/pki/$3.pem" -CAkey "$dir/pki/$3.key" \
	    -days "${4:-90}" 2>/dev/null || die "certificate $1 failed"
}

# leaf_expired NAME SAN: valid last month, expired yesterday (pitfall 7:
# only "openssl ca" can back-date).
leaf_expired() {
	newkey "$dir/pki/$1.key"
	SAN=DNS:$2 openssl req -new -config "$dir/pki/openssl.cnf" -key "$dir/pki/$1.key" \
	    -subj "/CN=$2" -out "$dir/pki/$1.csr" 2>/dev/null &&
	SAN=DNS:$2 openssl ca -batch -config "$dir/pki/openssl.cnf" \
	    -extensions leafext -notext -in "$dir/pki/$1.csr" \
	    -out "$dir/pki/$1.pem" \
	    -startdate "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)" \
	    -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" 2>/dev/null ||
	    die "certificate $1 failed"
}

make_pki() {
	mkdir -p "$dir/pki/db/new" "$dir/sslcerts"
	: >"$dir/pki/db/index.txt"
	echo 1000 >"$dir/pki/db/serial"
	pki_conf >"$dir/pki/openssl.cnf"
	make_ca ca "filter-mtasts test CA"
	make_ca untrusted-ca "filter-mtasts untrusted CA"
	# DANE-TA(2): a CA only TLSA records name
	make_ca dane-ca "filter-mtasts private DANE CA"
	cp "$dir/pki/ca.pem" "$dir/ca.pem"
	# the trust store bind-mounted over /etc/ssl/certs by "exec"
	cp "$dir/pki/ca.pem" "$dir/sslcerts/filter-mtasts-test-ca.pem"
	cp "$dir/pki/ca.pem" "$dir/sslcerts/ca-certificates.crt"
	ln -s filter-mtasts-test-ca.pem \
	    "$dir/sslcerts/$(openssl x509 -in "$dir/ca.pem" -noout -subject_hash).0"
	leaf default default.invalid ca
	leaf rua rua.reports.example ca
	# TLSA data: an MX host key (3 1 1) and the CA certificate (0 0 1)
	newkey "$dir/pki/mx.key"
	ee=$(openssl pkey -in "$dir/pki/mx.key" -pubout -outform DER | sha256sum | cut -c1-64)
	cahash=$(openssl x509 -in "$dir/ca.pem" -outform DER | sha256sum | cut -c1-64)
}

make_certs() {
	while read -r mc_d mc_kind; do
		case $mc_kind in
		valid)		leaf "mta-sts.$mc_d" "mta-sts.$mc_d" ca ;;
		wrongname)	leaf "mta-sts.$mc_d" mta-sts.other.example ca ;;
		untrusted)	leaf "mta-sts.$mc_d" "mta-sts.$mc_d" untrusted-ca ;;
		expired)	leaf_expired "mta-sts.$mc_d" "mta-sts.$mc_d" ;;
		expiring)	leaf "mta-sts.$mc_d" "mta-sts.$mc_d" ca 3 ;;
		*)		die "unknown certificate kind $mc_kind" ;;
		esac
	done <"$dir/hosts"
}

# ----------------------------------------------------------- daemons

nsd_conf() {
	cat <<EOF
server:
    ip-address: $AUTH
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$dir/signed"
    zonelistfile: "$dir/nsd/zone.list"
    database: ""
    xfrdfile: "$dir/nsd/xfrd.state"
    xfrdir: "$dir/nsd"
    pidfile: "$dir/nsd/nsd.pid"
    logfile: "$dir/log/nsd.log"
    server-count: 1
    verbosity: 1
    reuseport: no
    round-robin: no
remote-control:
    control-enable: no
EOF
	for nd_z in $(cat "$dir/zones/list"); do
		printf 'zone:\n    name: "%s"\n    zonefile: "%s.signed"\n' \
		    "$(origin "$nd_z")" "$(zfile "$nd_z")"
	done
}

unbound_conf() {
	cat <<EOF
server:
    verbosity: 1
    interface: $RESOLVER
    port: 53
    outgoing-interface: $RESOLVER
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    # the authoritative server is on 127/8, which unbound skips by default
    do-not-query-localhost: no
    # test. is a built-in static zone (NXDOMAIN) unless told otherwise
    local-zone: "test." nodefault
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    logfile: "$dir/log/unbound.log"
    use-syslog: no
    log-servfail: yes
    val-log-level: 2
    ede: yes
    root-hints: "$dir/root.hints"
    trust-anchor-file: "$dir/root.key"
    trust-anchor-signaling: no
    root-key-sentinel: no
    module-config: "validator iterator"
    num-threads: 1
    so-reuseport: no
    # Negative answers live as the zones say (SOA MINIMUM, at most 60 s):
    # a verdict's lifetime follows the TTLs it rests on, and a cap here
    # would make every verdict of the network live the 5 s floor.  The
    # set-* commands flush what they change.
    prefetch: no
remote-control:
    control-enable: yes
    control-interface: "$dir/unbound.ctl"
    control-use-cert: no
EOF
}

nginx_conf() {
	cat <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/log/nginx-error.log info;
# root workers: DIR may be a mode 0700 mktemp directory
user root root;
events { worker_connections 512; }
http {
    log_format t '\$time_iso8601 \$remote_addr sni=\$ssl_server_name host=\$host "\$request" \$status \$body_bytes_sent \$request_time "\$http_user_agent"';
    access_log $dir/log/nginx-access.log t;
    client_body_temp_path $dir/nginx/temp/body;
    proxy_temp_path $dir/nginx/temp/proxy;
    fastcgi_temp_path $dir/nginx/temp/fastcgi;
    uwsgi_temp_path $dir/nginx/temp/uwsgi;
    scgi_temp_path $dir/nginx/temp/scgi;
    types { text/plain txt; text/html html; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    keepalive_timeout 5;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen $HTTPS:443 ssl default_server;
        server_name _;
        ssl_certificate $dir/pki/default.pem;
        ssl_certificate_key $dir/pki/default.key;
        # /__gen tells which configuration generation serves new connections
        include $dir/nginx/gen.conf;
        location /__sync/ { return 204; }
        location / { return 404; }
    }
EOF
	while read -r nc_d _; do
		cat <<EOF
    server {
        listen $HTTPS:443 ssl;
        server_name mta-sts.$nc_d;
        ssl_certificate $dir/pki/mta-sts.$nc_d.pem;
        ssl_certificate_key $dir/pki/mta-sts.$nc_d.key;
        root $dir/www/$nc_d;
        location = /.well-known/mta-sts.txt {
            # set-http overrides come first: the first "return" wins
            include $dir/nginx/status/$nc_d.conf;
            include $dir/nginx/extra/$nc_d.conf;
        }
    }
EOF
	done <"$dir/hosts"
	echo "}"
}

write_gen() {
	printf 'location = /__gen { default_type text/plain; return 200 "%s\\n"; }\n' \
	    "$1" >"$dir/nginx/gen.conf"
	echo "$1" >"$dir/nginx/gen"
}

# spawn NAME CMD...: start CMD detached in the namespace, record its pid.
# setsid, nsenter and the daemon all exec, so $! is the daemon itself.
spawn() {
	sw_n=$1
	shift
	setsid nsenter --net="/run/netns/$ns" -- "$@" \
	    >>"$dir/log/$sw_n.log" 2>&1 </dev/null &
	echo $! >"$dir/run/$sw_n.pid"
}

make_netns() {
	ip -n "$ns" link set lo up &&
	ip -n "$ns" link add mtasts0 type veth peer name mtasts1 &&
	ip -n "$ns" link set mtasts0 addrgenmode none &&
	ip -n "$ns" link set mtasts1 addrgenmode none &&
	ip -n "$ns" addr add "$VETH/32" dev mtasts0 &&
	ip -n "$ns" link set mtasts1 up &&
	ip -n "$ns" link set mtasts0 up || return 1
	ino=$(ns_inode)
}

nsd_ready() {
	nsx dig +time=1 +tries=1 +norec "@$AUTH" example. SOA | grep -q 'flags: qr aa'
}

resolver_ready() {
	rdig +dnssec enforce.example. SOA | grep -Eq 'flags:[^;]* ad[ ;]' &&
	    rdig +dnssec enforce.test. SOA | grep -Eq 'flags:[^;]* ad[ ;]'
}

smtp_ready() {
	[ -e "$dir/smtp/ready" ]
}

collector_ready() {
	[ "$(curl_probe --cacert "$dir/ca.pem" --resolve \
	    "rua.reports.example:443:$COLLECTOR" \
	    https://rua.reports.example/health)" = ok ]
}

aux_ready() {
	[ "$(nsx curl -s --noproxy '*' --max-time 2 "http://$AUX:$AUXPORT/health")" = ok ]
}

nginx_gen() {
	[ "$(curl_probe -k "https://$HTTPS/__gen")" = "$1" ]
}

# nginx_settled GEN: generation GEN answers, and no worker of an older
# one still accepts connections (after a reload the old worker retitles
# itself "... is shutting down" and closes its listeners, but may live on
# while a stalled request is open).
nginx_settled() {
	nginx_gen "$1" &&
	    [ "$(ps --ppid "$(pid_of nginx)" -o args= | grep -cx 'nginx: worker process')" -eq 1 ]
}

# ----------------------------------------------------------- commands

cmd_start() {
	[ $# -eq 1 ] || usage
	mkdir -p "$1" || die "cannot create $1"
	load "$1"
	[ -z "$ns" ] || ! [ -e "/run/netns/$ns" ] ||
	    die "a network from $dir is running: net.sh stop it first"
	ns=${NET_NS:-mtasts-test}
	[ ! -e "/run/netns/$ns" ] ||
	    die "namespace $ns exists: stop that network first, or set NET_NS"
	# fresh state: only what a previous start made
	rm -rf "$dir/keys" "$dir/zones" "$dir/signed" "$dir/pki" "$dir/sslcerts" \
	    "$dir/www" "$dir/nginx" "$dir/nsd" "$dir/aux" "$dir/run" "$dir/log" \
	    "$dir/collector" \
	    "$dir/hosts" "$dir/root.key" "$dir/root.hints" "$dir/ca.pem" \
	    "$dir/resolv.conf" "$dir/unbound.conf" "$dir/unbound.pid" \
	    "$dir/unbound.ctl" "$dir/smtp"
	rm -f "$dir/netns"
	mkdir -p "$dir/www" "$dir/nginx/extra" "$dir/nginx/status" \
	    "$dir/nginx/temp" "$dir/nsd" "$dir/aux" "$dir/run" "$dir/log"
	: >"$dir/hosts"
	make_pki
	make_dns
	make_certs
	nsd_conf >"$dir/nsd/nsd.conf"
	unbound_conf >"$dir/unbound.conf"
	write_gen 1
	nginx_conf >"$dir/nginx/nginx.conf"
	printf 'nameserver %s\noptions edns0 trust-ad\n' "$RESOLVER" >"$dir/resolv.conf"

	# Only a namespace this run created may be torn down on failure:
	# two starts racing for one name must not delete each other's.
	ip netns add "$ns" || die "cannot create namespace $ns"
	echo "$ns" >"$dir/netns"
	trap 'cmd_stop "$dir" >/dev/null 2>&1' EXIT
	make_netns || die "cannot set up namespace $ns"
	spawn nsd nsd -d -c "$dir/nsd/nsd.conf"
	spawn unbound unbound -d -c "$dir/unbound.conf"
	spawn nginx nginx -p "$dir/nginx/" -c "$dir/nginx/nginx.conf" \
	    -e "$dir/log/nginx-error.log"
	spawn aux python3 -u "$here/aux.py" "$AUX" "$AUXPORT" "$dir/aux"
	spawn smtp python3 -u "$here/../smtpd/sink.py" serve "$dir/smtp"
	spawn collector python3 -u "$here/collector.py" "$COLLECTOR" 443 \
	    "$dir/pki/rua.pem" "$dir/pki/rua.key" "$dir/collector"
	wait_for nsd $WAIT "nsd on $AUTH" nsd_ready &&
	wait_for unbound $WAIT "a secure answer from $RESOLVER" resolver_ready &&
	wait_for aux $WAIT "aux.py on $AUX:$AUXPORT" aux_ready &&
	wait_for smtp $WAIT "sink.py on $SMTP_NET.N:25" smtp_ready &&
	wait_for collector $WAIT "collector.py on $COLLECTOR:443" \
	    collector_ready &&
	wait_for nginx $WAIT "nginx on $HTTPS:443" nginx_gen 1 || exit 1
	trap - EXIT
}

# stop_pid PID...: TERM, wait for them to leave the namespace, then KILL.
stop_pids() {
	for sp_p; do
		in_ns "$sp_p" && kill -TERM "$sp_p" 2>/dev/null
	done
	sp_end=$(($(date +%s) + 5))
	for sp_p; do
		while in_ns "$sp_p" && [ "$(date +%s)" -lt "$sp_end" ]; do
			sleep 0.05
		done
		in_ns "$sp_p" && kill -KILL "$sp_p" 2>/dev/null
	done
	return 0
}

cmd_stop() {
	[ $# -eq 1 ] || usage
	[ -d "$1" ] || return 0
	load "$1"
	[ -n "$ns" ] || return 0
	if [ -e "/run/netns/$ns" ]; then
		cs_pids=
		for cs_f in "$dir"/run/*.pid; do
			[ -e "$cs_f" ] && cs_pids="$cs_pids $(cat "$cs_f")"
		done
		# shellcheck disable=SC2086
		stop_pids $cs_pids
		# anything else left in the namespace, e.g. a program under test
		# shellcheck disable=SC2046
		stop_pids $(ip netns pids "$ns" 2>/dev/null)
		ip netns del "$ns" || die "cannot delete namespace $ns"
	fi
	# forget the name: a later namespace of that name is not ours
	rm -f "$dir"/run/*.pid "$dir/netns"
}

# exec: CMD in the namespace and a private mount namespace where the
# test resolv.conf and CA store replace the host's (test-network.md §5).
cmd_exec() {
	[ $# -ge 2 ] || usage
	running "$1"
	shift
	exec nsenter --net="/run/netns/$ns" -- \
	    unshare --mount --propagation private -- /bin/sh -c '
		mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		mount --bind "$1/sslcerts" /etc/ssl/certs || exit 125
		shift
		exec "$@"' sh "$dir" "$@"
}

# sorted_txt NAME: the TXT RRset at NAME as the resolver serves it.
sorted_txt() {
	rdig +short "$1" TXT | sort
}

auth_serial() {
	nsx dig +time=1 +tries=1 +norec +short "@$AUTH" "$(origin "$1")" SOA |
	    awk '{ print $3 }'
}

serial_is() {
	[ "$(auth_serial "$1")" = "$2" ]
}

txt_is() {
	[ "$(sorted_txt "$1")" = "$2" ]
}

mx_is() {
	[ "$(rdig +short "$1" MX | sort)" = "$2" ]
}

# edit_zone ZONE OWNER TYPE: ZONE's body without the OWNER/TYPE RRset,
# followed by the records in ZONE's file .rrs (written with the zone's
# TTL, see zone_ttl).
edit_zone() {
	ez_f=$dir/zones/$(zfile "$1")
	{
		awk -v n="$2." -v t="$3" -F '\t' '!($1 == n && $4 == t)' "$ez_f.body" &&
		    cat "$ez_f.rrs"
	} >"$ez_f.new" && mv "$ez_f.new" "$ez_f.body" ||
	    die "cannot rewrite $ez_f.body"
	rm -f "$ez_f.rrs"
}

# republish ZONE: sign ZONE anew with the next serial, have nsd serve it
# and the resolver forget what it had of it.
republish() {
	rp_f=$dir/zones/$(zfile "$1")
	rp_serial=$(($(cat "$rp_f.serial") + 1))
	echo "$rp_serial" >"$rp_f.serial"
	build_zone "$1"
	# pitfall 9: SIGHUP makes nsd reread changed zone files
	signal HUP nsd
	wait_for nsd $WAIT "nsd to serve $1 serial $rp_serial" \
	    serial_is "$1" "$rp_serial" || exit 1
	# the resolver would otherwise keep the old RRsets for their TTL
	unbound-control -c "$dir/unbound.conf" flush_zone "$(origin "$1")" \
	    >/dev/null || die "unbound-control flush_zone failed"
}

cmd_set_txt() {
	[ $# -ge 2 ] || usage
	running "$1"
	st_name=${2%.}
	shift 2
	st_zone=$(zone_of "$st_name")
	TTL=$(zone_ttl "$st_zone")
	txt "$st_name" "$@" >"$dir/zones/$(zfile "$st_zone").rrs"
	edit_zone "$st_zone" "$st_name" TXT
	republish "$st_zone"
	st_want=$(for st_v; do txt_rdata "$st_v"; done | sort)
	wait_for unbound $WAIT "the resolver to serve the new TXT at $st_name" \
	    txt_is "$st_name" "$st_want" || exit 1
}

# set-mx: the MX RRset of DOMAIN (a zone of the network) becomes PREF
# HOST..., with the zone's TTL.  The hosts' addresses are not touched.
cmd_set_mx() {
	[ $# -ge 4 ] && [ $(($# % 2)) -eq 0 ] || usage
	running "$1"
	sm_d=${2%.}
	shift 2
	[ "$(zone_of "$sm_d")" = "$sm_d" ] || die "$sm_d is not a zone of this network"
	sm_want=
	while [ $# -gt 0 ]; do
		case $1 in
		*[!0-9]* | '') die "bad MX preference: $1" ;;
		esac
		sm_want="$sm_want$1 ${2%.}.
"
		shift 2
	done
	TTL=$(zone_ttl "$sm_d")
	printf '%s' "$sm_want" | while read -r sm_p sm_h; do
		rr "$sm_d." MX "$sm_p $sm_h"
	done >"$dir/zones/$sm_d.rrs"
	edit_zone "$sm_d" "$sm_d" MX
	republish "$sm_d"
	sm_want=$(printf '%s' "$sm_want" | sort)
	wait_for unbound $WAIT "the resolver to serve the new MX of $sm_d" \
	    mx_is "$sm_d" "$sm_want" || exit 1
}

host_dir() {
	[ -d "$dir/www/$1" ] || die "no policy host mta-sts.$1 in this network"
}

cmd_set_policy() {
	[ $# -eq 3 ] || usage
	running "$1"
	host_dir "$2"
	[ -r "$3" ] || die "cannot read $3"
	# rename, so that no request sees a half-written policy
	sy_p=$dir/www/$2/.well-known/mta-sts.txt
	cp "$3" "$sy_p.new" && mv "$sy_p.new" "$sy_p" || die "cannot install policy"
}

cmd_set_http() {
	[ $# -eq 3 ] || usage
	running "$1"
	host_dir "$2"
	case $3 in
	200)		: >"$dir/nginx/status/$2.conf" ;;
	[1-5][0-9][0-9])	echo "return $3;" >"$dir/nginx/status/$2.conf" ;;
	*)		die "bad HTTP status: $3" ;;
	esac
	sh_gen=$(($(cat "$dir/nginx/gen") + 1))
	write_gen "$sh_gen"
	signal HUP nginx
	wait_for nginx $WAIT "nginx to load configuration $sh_gen" nginx_settled "$sh_gen" ||
	    exit 1
}

synced() {
	grep -q "/__sync/$1 " "$dir/log/nginx-access.log"
}

cmd_fetches() {
	[ $# -eq 2 ] || usage
	running "$1"
	# a marker request, logged after every request finished before it
	cf_tok=$$.$(date +%s%N)
	curl_probe -k -o /dev/null "https://$HTTPS/__sync/$cf_tok" ||
	    die "nginx does not answer"
	wait_for nginx $WAIT "nginx to log /__sync/$cf_tok" synced "$cf_tok" || exit 1
	awk -v s=" sni=mta-sts.$2 host=" -v ua="\"$PROBE_UA\"" \
	    'index($0, s) && !index($0, ua) { n++ } END { print n + 0 }' \
	    "$dir/log/nginx-access.log"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
start)		cmd_start "$@" ;;
stop)		cmd_stop "$@" ;;
exec)		cmd_exec "$@" ;;
set-txt)	cmd_set_txt "$@" ;;
set-mx)		cmd_set_mx "$@" ;;
set-policy)	cmd_set_policy "$@" ;;
set-http)	cmd_set_http "$@" ;;
fetches)	cmd_fetches "$@" ;;
*)		usage ;;
esac

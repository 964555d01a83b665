#!/bin/sh
# End-to-end checks of "filter-mtasts query" (MTA-STS RFC 8461, DANE
# RFC 7672) against the hermetic test network of regress/net/net.sh.
#
# First the network checks itself ("net: ..." lines: DNS through the
# validating resolver, HTTPS policy hosts, libunbound), then the program
# is run inside the network namespace and its verdicts compared with the
# expectations below ("query: ..." lines).  Needs root and network
# namespaces; otherwise every check is skipped.
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         namespace name (default: mtasts-q<pid>)

set -u
PATH=$PATH:/usr/sbin:/sbin

top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
PROBE_UA=mtasts-net-probe	# net.sh fetches ignores these requests

skip_all() {
	echo "skip - query: $*"
	exit 0
}

ok() {
	echo "ok - $1"
}

# not_ok WHAT [DETAIL...]: a failed check; details become "# " lines.
not_ok() {
	echo "not ok - $1"
	shift
	for l; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# check WHAT CMD...: ok if CMD succeeds; CMD explains failures in $why.
check() {
	what=$1
	shift
	why=
	if "$@"; then ok "$what"; else not_ok "$what" "$why"; fi
}

# ------------------------------------------------------- preconditions

[ "$(id -u)" -eq 0 ] || skip_all "not root"
for c in ip nsenter unshare timeout nsd unbound unbound-control nginx \
    ldns-keygen ldns-signzone dig curl openssl python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
done
ip netns list >/dev/null 2>&1 || skip_all "ip netns not available"
unshare --net true 2>/dev/null || skip_all "cannot create network namespaces"

work=$(mktemp -d) || exit 1
dir=$work/net
NET_NS=${NET_NS:-mtasts-q$$}	# unique: other test runs may be active
export NET_NS
cleanup() {
	sh "$net" stop "$dir" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$net" start "$dir" 2>"$work/start.err"; then
	not_ok "net: start" "$(cat "$work/start.err")"
	exit 1
fi
ok "net: start"

nexec() {
	sh "$net" exec "$dir" "$@"
}

# ------------------------------------------------------- network: DNS

# dns_is NAME TYPE EXPECT [COUNT]: the resolver's answer, as the program
# gets it.  EXPECT: secure | insecure | bogus | nxdomain (secure denial).
dns_is() {
	out=$(nexec dig +time=2 +tries=1 +dnssec "$1" "$2" 2>&1)
	st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	ad=no
	printf '%s\n' "$out" | grep -Eq 'flags:[^;]* ad[ ;]' && ad=yes
	n=$(printf '%s\n' "$out" |
	    awk -v t="$2" '!/^;/ && $4 == t { n++ } END { print n + 0 }')
	case $3 in
	secure)		[ "$st" = NOERROR ] && [ $ad = yes ] && [ "$n" -gt 0 ] ;;
	insecure)	[ "$st" = NOERROR ] && [ $ad = no ] && [ "$n" -gt 0 ] ;;
	nxdomain)	[ "$st" = NXDOMAIN ] && [ $ad = yes ] ;;
	bogus)		[ "$st" = SERVFAIL ] &&
			    printf '%s\n' "$out" | grep -q 'EDE: 6 (DNSSEC Bogus)' ;;
	esac && [ "${4:-$n}" = "$n" ] && return 0
	why="$why$1 $2: expected $3${4:+ with $4 records}, got status=$st ad=$ad records=$n
"
	return 1
}

# dns_plan DOMAIN: the assertions "NAME TYPE EXPECT [COUNT]" for DOMAIN.
dns_plan() {
	dp=$1
	hosts=mx txt="_mta-sts.$dp TXT secure 1" pol="mta-sts.$dp A secure 1"
	mx="$dp MX secure 1" tlsa=
	case ${dp%.*} in
	enforce)	hosts="mx1 mx2" mx="$dp MX secure 2" ;;
	rollover)	hosts="mx1 mx2" ;;
	wildcard)	hosts="a.mx b.c.mx mx" mx="$dp MX secure 3" ;;
	nosts)		txt="_mta-sts.$dp TXT nxdomain" pol='' ;;
	twotxt)		txt="_mta-sts.$dp TXT secure 2" ;;
	dane)		txt="_mta-sts.$dp TXT nxdomain" pol=''
			tlsa="_25._tcp.mx.$dp TLSA secure 1" ;;
	daneunusable)	txt="_mta-sts.$dp TXT nxdomain" pol=''
			tlsa="_25._tcp.mx.$dp TLSA secure 2" ;;
	danests)	tlsa="_25._tcp.mx.$dp TLSA secure 1" ;;
	danebogus)	txt='' pol='' tlsa="_25._tcp.mx.$dp TLSA bogus" ;;
	daneinsecure)	txt='' pol='' mx="$dp MX insecure 1"
			tlsa="_25._tcp.mx.$dp TLSA insecure 1" ;;
	mxbogus)	txt='' pol='' mx="$dp MX bogus" ;;
	esac
	echo "$mx"
	for h in $hosts; do
		case $dp in
		daneinsecure.*)	echo "$h.$dp A insecure 1" ;;
		*)		echo "$h.$dp A secure 1" ;;
		esac
	done
	for l in "$txt" "$pol" "$tlsa"; do
		[ -n "$l" ] && echo "$l"
	done
}

dns_domain() {
	dns_plan "$1" >"$work/plan"
	while read -r name type expect count; do
		dns_is "$name" "$type" "$expect" $count
	done <"$work/plan"
	[ -z "$why" ]
}

# Hermetic: nothing inside can reach the real Internet.
no_route() {
	! nexec ip route get 1.1.1.1 >/dev/null 2>&1 || { why="1.1.1.1 is routable"; return 1; }
}
check "net: no route out of the namespace" no_route

DNS_DOMAINS="enforce nomatch wildcard testing modenone nosts http404 http500
redirect html big slow chunked-big expired wrongname untrusted twotxt rotate
cached dane daneinsecure danebogus daneunusable danests mxbogus cname rollover"
for d in $DNS_DOMAINS; do
	check "net: DNS of $d.example" dns_domain "$d.example"
done
# The special-use TLD test. (RFC 6761 6.2), signed like example.
for d in enforce dane danebogus nosts; do
	check "net: DNS of $d.test" dns_domain "$d.test"
done

# ttl_is NAME TYPE TTL: the authoritative TTL of the RRset (for a
# negative answer: of the SOA, and its MINIMUM).
ttl_is() {
	out=$(nexec dig +time=2 +tries=1 +norec @127.0.53.1 "$1" "$2" 2>&1)
	got=$(printf '%s\n' "$out" | awk -v t="$2" '!/^;/ && $4 == t { print $2; exit }')
	if [ "$2" = SOA ]; then
		got="$got $(printf '%s\n' "$out" | awk '!/^;/ && $4 == "SOA" { print $NF; exit }')"
		set -- "$1" "$2" "$3 $3"
	fi
	why="$1 $2: TTL $got, want $3"
	[ "$got" = "$3" ]
}
check "net: rollover.example's records live 20 s" ttl_is rollover.example MX 20
check "net: rollover.example's TXT lives 20 s" ttl_is _mta-sts.rollover.example TXT 20
check "net: rollover.example's negative answers live 20 s (SOA TTL, MINIMUM)" \
    ttl_is nx.rollover.example SOA 20

# --------------------------------------------------- network: HTTPS

# https_is DOMAIN EXPECT...: fetch the policy URL like an MTA-STS client.
# EXPECT: CODE [TYPE [SIZE [chunked]]] | stall | tls PHRASE
https_is() {
	hd=$1
	shift
	max=5
	[ "$1" = stall ] && max=1	# headers arrive, then nothing
	res=$(nexec curl -sS --noproxy '*' -A "$PROBE_UA" --max-time $max \
	    --cacert "$dir/ca.pem" --resolve "mta-sts.$hd:443:127.0.44.1" \
	    -o "$work/body" -D "$work/hdr" \
	    -w '%{http_code} %{content_type} %{size_download}' \
	    "https://mta-sts.$hd/.well-known/mta-sts.txt" 2>"$work/curl.err")
	rc=$?
	why="curl exit $rc: $res $(head -n 1 "$work/curl.err")"
	case $1 in
	stall)	[ $rc -eq 28 ] && [ "${res%% *}" = 200 ] ;;
	tls)	shift
		[ $rc -eq 60 ] && grep -q "$*" "$work/curl.err" ;;
	*)	set -- "$@" - - -
		set -- "$1" "$2" "$3" "$4" "$res"
		[ $rc -eq 0 ] && [ "$1" = "${5%% *}" ] &&
		    { [ "$2" = - ] || case $5 in "$1 $2"*) ;; *) false ;; esac; } &&
		    { [ "$3" = - ] || [ "$3" = "${5##* }" ]; } &&
		    { [ "$4" = - ] || grep -qi '^transfer-encoding: chunked' "$work/hdr"; } &&
		    { [ "$1" != 200 ] || grep -q '^version: STSv1' "$work/body"; } ;;
	esac
}

https_plan() {
	cat <<'EOF'
enforce		200 text/plain
nomatch		200 text/plain
wildcard	200 text/plain
testing		200 text/plain
modenone	200 text/plain
http404		404
http500		500
redirect	301
html		200 text/html
big		200 text/plain 70000
slow		stall
chunked-big	200 text/plain 70000 chunked
expired		tls certificate has expired
wrongname	tls no alternative certificate subject name
untrusted	tls unable to get local issuer
twotxt		200 text/plain
rotate		200 text/plain
cached		200 text/plain
danests		200 text/plain
cname		200 text/plain
rollover	200 text/plain
EOF
}

https_plan >"$work/https"
while read -r d expect; do
	# shellcheck disable=SC2086
	check "net: HTTPS of mta-sts.$d.example: $expect" https_is "$d.example" $expect
done <"$work/https"
check "net: HTTPS of mta-sts.enforce.test: 200 text/plain" \
    https_is enforce.test 200 text/plain

# ---------------------------------------------- network: libunbound

# ub_is NAME TYPE OUTPUT-FIELDS: libunbound forwarding to the resolver,
# as filter-mtasts uses it, sees the network (TLD example. not blocked).
ub_is() {
	res=$(nexec "$work/ubcheck" 127.0.53.2 "$dir/root.key" "$1" "$2" 2>&1)
	why="$res"
	case $res in "$3"*) ;; *) return 1 ;; esac
}

if command -v cc >/dev/null 2>&1 &&
    cc -o "$work/ubcheck" "$top/regress/net/ubcheck.c" -lunbound 2>"$work/cc.err"; then
	check "net: libunbound: enforce.example MX secure" \
	    ub_is enforce.example MX "rcode=0 havedata=1 nxdomain=0 secure=1 bogus=0"
	check "net: libunbound: daneinsecure.example TLSA insecure" \
	    ub_is _25._tcp.mx.daneinsecure.example TLSA "rcode=0 havedata=1 nxdomain=0 secure=0 bogus=0"
	check "net: libunbound: danebogus.example TLSA bogus" \
	    ub_is _25._tcp.mx.danebogus.example TLSA "rcode=0 havedata=1 nxdomain=0 secure=0 bogus=1"
	# What the .test checks below are about: left to its defaults,
	# libunbound answers names under test. itself (RFC 6761 local zone).
	if ub_is enforce.test MX "rcode=3 havedata=0 nxdomain=1"; then
		ok "net: libunbound by default answers NXDOMAIN for enforce.test"
	else
		echo "skip - net: libunbound by default resolves enforce.test ($res): the .test checks do not test the special-use handling"
	fi
else
	echo "skip - net: libunbound checks (no cc or libunbound-dev)"
fi

# ------------------------------------------------------------ query

# run_query RUN STATEDIR DOMAIN...: one run of the program in the
# network; results in $work/RUN.{out,err,rc,parsed}.
run_query() {
	r=$1 s=$2
	shift 2
	mkdir -p "$s"
	timeout -k 5 30 sh "$net" exec "$dir" "$FILTER_MTASTS" query -j \
	    -r 127.0.53.2 -a "$dir/root.key" -c "$dir/ca.pem" -s "$s" "$@" \
	    >"$work/$r.out" 2>"$work/$r.err"
	echo $? >"$work/$r.rc"
	parse "$work/$r.out" >"$work/$r.parsed"
}

# parse FILE: each JSON line as "N<TAB>domain<TAB>verdict<TAB>mx,...<TAB>
# reason" (N = line number; "-" for an empty mx list; domain "!bad" for a
# line that is not a result object of the contract).
parse() {
	python3 -c '
import json, sys
for i, l in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace"), 1):
    try:
        o = json.loads(l)
        d, v, mx, r = o["domain"], o["verdict"], o["mx"], o["reason"]
        if not all(isinstance(x, str) for x in [d, v, r] + mx):
            raise ValueError
    except Exception:
        print("%d\t!bad\t-\t-\t-" % i)
        continue
    c = lambda s: " ".join(s.split()) or "-"
    print("\t".join([str(i), c(d), c(v), ",".join(c(m) for m in mx) or "-",
        " ".join(r.split())]))
' "$1"
}

# details RUN [N]: JSON line N, or all of stdout; exit status and
# stderr.  Each run's full output is shown once only.
details() {
	if [ -n "${2:-}" ]; then
		echo "json: $(sed -n "${2}p" "$work/$1.out")"
	elif [ -e "$work/$1.shown" ]; then
		echo "(stdout of run $1 shown above)"
	else
		if [ -s "$work/$1.out" ]; then
			echo "stdout:"
			sed 's/^/  /' "$work/$1.out"
		else
			echo "stdout: (empty)"
		fi
	fi
	if [ -e "$work/$1.shown" ]; then
		echo "(exit status and stderr of run $1 shown above)"
	else
		echo "run $1 exit status $(cat "$work/$1.rc"), stderr:"
		sed 's/^/  /' "$work/$1.err"
		: >"$work/$1.shown"
	fi
}

# result RUN DOMAIN: set idx verdict mxs reason from DOMAIN's line.
result() {
	idx='' dom='' verdict='' mxs='' reason=''
	n=$(awk -F '\t' -v d="$2" '$2 == d' "$work/$1.parsed" | wc -l)
	[ "$n" -eq 1 ] || return 1
	# shellcheck disable=SC2034
	IFS='	' read -r idx dom verdict mxs reason <<EOF
$(awk -F '\t' -v d="$2" '$2 == d' "$work/$1.parsed")
EOF
}

# run_ok RUN DOMAIN...: exit 0 and exactly one valid line per domain.
run_ok() {
	r=$1
	shift
	bad=
	[ "$(cat "$work/$r.rc")" -eq 0 ] || bad="exit status $(cat "$work/$r.rc")"
	miss=
	for d; do
		result "$r" "$d" || miss="$miss $d"
	done
	[ -z "$miss" ] || bad="$bad${bad:+; }not one line for:$miss"
	[ "$(wc -l <"$work/$r.parsed")" -eq $# ] || bad="$bad${bad:+; }$(wc -l <"$work/$r.parsed") lines for $# domains"
	! grep -q '!bad' "$work/$r.parsed" || bad="$bad${bad:+; }invalid JSON line"
	if [ -z "$bad" ]; then
		ok "query: run $r: exit 0, one JSON line per domain"
	else
		not_ok "query: run $r: exit 0, one JSON line per domain" "$bad" "$(details "$r")"
	fi
}

# label RUN: names the run in a check, except the main one.
label() {
	[ "$1" = all ] || echo "[$1] "
}

# expect RUN DOMAIN VERDICT MX[,MX...]|- : verdict and mx exactly, and a
# non-empty reason.
expect() {
	what="query: $(label "$1")$2 is $3"
	[ "$4" = - ] || what="$what [$4]"
	if ! result "$1" "$2"; then
		not_ok "$what" "no single result line for $2" "$(details "$1")"
	elif [ "$verdict" = "$3" ] && [ "$mxs" = "$4" ] && [ -n "$reason" ]; then
		ok "$what"
	else
		not_ok "$what" "got verdict=$verdict mx=$mxs reason=${reason:-(empty)}" \
		    "$(details "$1" "$idx")"
	fi
}

# expect_reason RUN DOMAIN ERE TEXT: the reason matches ERE (any case).
expect_reason() {
	what="query: $(label "$1")$2 reason mentions $4"
	if result "$1" "$2" && printf '%s\n' "$reason" | grep -Eiq "$3"; then
		ok "$what"
	else
		not_ok "$what" "reason does not match /$3/i: ${reason:-(none)}" \
		    "$(details "$1" "$idx")"
	fi
}

# expect_count WHAT GOT WANT
expect_count() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "policy fetches logged by nginx: got $2, want $3"
	fi
}

fetches() {
	sh "$net" fetches "$dir" "$1"
}

# do_net WHAT CMD...: a network change a scenario depends on.
do_net() {
	what=$1
	shift
	"$@" >"$work/net.out" 2>&1 || not_ok "net: $what" "$(cat "$work/net.out")"
}

# Every domain with a fixed verdict, in one run with one fresh state
# directory.  Columns: domain, verdict, mx list, words of the reason.
expect_table() {
	cat <<'EOF'
enforce.example		sts-enforce	mx1.enforce.example
nomatch.example		defer		-
wildcard.example	sts-enforce	a.mx.wildcard.example
testing.example		sts-testing	mx.testing.example
modenone.example	none		-
nosts.example		none		-
http404.example		none		-	fetch|404
http500.example		none		-	fetch|500
redirect.example	none		-	fetch|301|redirect
html.example		none		-	fetch
big.example		none		-	fetch
chunked-big.example	none		-	fetch
expired.example		none		-	fetch
wrongname.example	none		-	fetch
untrusted.example	none		-	fetch
twotxt.example		none		-
dane.example		dane		mx.dane.example
daneinsecure.example	none		-
danebogus.example	defer		-
daneunusable.example	dane		mx.daneunusable.example
danests.example		dane		mx.danests.example
mxbogus.example		defer		-
cname.example		sts-enforce	mx.cname.example
enforce.test		sts-enforce	mx1.enforce.test
dane.test		dane		mx.dane.test
danebogus.test		defer		-
nosts.test		none		-	no _mta-sts TXT record
EOF
}

expect_table >"$work/expect"
# shellcheck disable=SC2046
run_query all "$work/state-all" $(cut -f1 "$work/expect")
# shellcheck disable=SC2046
run_ok all $(cut -f1 "$work/expect")
while IFS='	' read -r d v m re; do
	[ -z "$d" ] && continue
	# tabs repeat in the table: re-split on whitespace
	set -- $d $v $m $re
	expect all "$1" "$2" "$3"
	[ $# -ge 4 ] || continue
	xd=$1
	shift 3
	case $xd in
	*.test)	expect_reason all "$xd" "$*" "what the resolver serves, not NXDOMAIN" ;;
	*)	expect_reason all "$xd" "$*" "the failed fetch" ;;
	esac
done <"$work/expect"

# A policy host that stalls after the headers must not hold up other
# domains: their lines come first (order, never time, is asserted).
run_query slow "$work/state-slow" slow.example enforce.example testing.example
run_ok slow slow.example enforce.example testing.example
expect slow slow.example none -
expect_reason slow slow.example 'fetch' "the failed fetch"
result slow slow.example
slow_idx=${idx:-0}
for d in enforce.example testing.example; do
	result slow "$d"
	if [ -n "$idx" ] && [ "$slow_idx" -gt "$idx" ]; then
		ok "query: [slow] $d printed before slow.example"
	else
		not_ok "query: [slow] $d printed before slow.example" "$(details slow)"
	fi
done

# Restart with a warm cache: the second run uses the cached policy
# (same TXT id) and does not fetch again.
n0=$(fetches enforce.example)
run_query warm1 "$work/state-warm" enforce.example
n1=$(fetches enforce.example)
run_query warm2 "$work/state-warm" enforce.example
n2=$(fetches enforce.example)
expect warm1 enforce.example sts-enforce mx1.enforce.example
expect_count "query: first run fetched enforce.example's policy once" "$n1" $((n0 + 1))
expect warm2 enforce.example sts-enforce mx1.enforce.example
expect_count "query: second run with the same state did not fetch again" "$n2" "$n1"

# id rotation: a new TXT id makes the program fetch the new policy.
run_query rot1 "$work/state-rot" rotate.example
expect rot1 rotate.example sts-testing mx.rotate.example
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.rotate.example\r\nmax_age: 86400\r\n' \
    >"$work/rotate-enforce.txt"
do_net "set-policy rotate.example enforce" \
    sh "$net" set-policy "$dir" rotate.example "$work/rotate-enforce.txt"
do_net "set-txt _mta-sts.rotate.example id=2" \
    sh "$net" set-txt "$dir" _mta-sts.rotate.example 'v=STSv1; id=2'
n1=$(fetches rotate.example)
run_query rot2 "$work/state-rot" rotate.example
n2=$(fetches rotate.example)
expect rot2 rotate.example sts-enforce mx.rotate.example
expect_count "query: new id for rotate.example fetched the policy once" "$n2" $((n1 + 1))

# exim keeps each verdict on disk for its lifetime: the next run for
# the domain answers from there (the same line), with no lookup.
run_exim() {
	timeout -k 5 30 sh "$net" exec "$dir" "$FILTER_MTASTS" exim \
	    -r 127.0.53.2 -a "$dir/root.key" -c "$dir/ca.pem" \
	    -s "$work/state-exim" "$1" 2>&1
}
mkdir -p "$work/state-exim"
e1=$(run_exim enforce.example)
saved=$(cat "$work/state-exim/.verdicts/enforce.example" 2>/dev/null)
e2=$(run_exim enforce.example)
if [ "$e1" = "MTA-STS mx1.enforce.example" ] && [ "$e2" = "$e1" ] &&
    printf '%s\n' "$saved" | grep -qx "line $e1"; then
	ok "query: exim keeps its verdict on disk and answers it again"
else
	not_ok "query: exim keeps its verdict on disk and answers it again" \
	    "first: $e1" "second: $e2" "saved: $saved"
fi

# A cached, unexpired policy still applies when the new id cannot be
# fetched (RFC 8461 §3.3, §5.1).
run_query cache1 "$work/state-cache" cached.example
expect cache1 cached.example sts-enforce mx.cached.example
do_net "set-http cached.example 500" sh "$net" set-http "$dir" cached.example 500
do_net "set-txt _mta-sts.cached.example id=2" \
    sh "$net" set-txt "$dir" _mta-sts.cached.example 'v=STSv1; id=2'
n1=$(fetches cached.example)
run_query cache2 "$work/state-cache" cached.example
n2=$(fetches cached.example)
expect cache2 cached.example sts-enforce mx.cached.example
expect_reason cache2 cached.example cache "the cached policy"
expect_count "query: new id for cached.example was tried once" "$n2" $((n1 + 1))


# ------------------------------------------- root and a directory of _mtasts

# Root runs query or exim with the state directory of a daemon, which
# belongs to _mtasts: what that user planted there must not act with
# root's rights.  sh execs the program, so its pid, and hence its first
# temporary file name, are known beforehand.
# run_planted RUN WHAT DOMAIN ARGS...: plant WHAT (a shell command run
# with $1 = the directory, $2 = the temporary name prefix) and run.
run_planted() {
	r=$1 plant=$2 d=$3
	shift 3
	timeout -k 5 30 sh "$net" exec "$dir" sh -c '
		st=$1 plant=$2 d=$3
		shift 3
		sh -c "$plant" sh "$st" "$st/.tmp.$d.$$" || exit 125
		exec "$@"' sh "$rst" "$plant" "$d" "$FILTER_MTASTS" "$@" \
	    -r 127.0.53.2 -a "$dir/root.key" -c "$dir/ca.pem" -s "$rst" "$d" \
	    >"$work/$r.out" 2>"$work/$r.err"
	echo $? >"$work/$r.rc"
}

# owned_file RUN NAME: NAME is a regular file of _mtasts in $rst.
owned_file() {
	[ -f "$rst/$2" ] && [ ! -L "$rst/$2" ] &&
	    [ "$(stat -c %U "$rst/$2")" = _mtasts ] && return 0
	why="$rst/$2: $(ls -ld "$rst/$2" 2>&1)
$(details "$1")"
	return 1
}

victim_intact() {
	[ "$(cat "$work/victim")" = precious ] && return 0
	why="the victim now holds: $(head -c 200 "$work/victim")
$(details "$1")"
	return 1
}

rc_is() {
	[ "$(cat "$work/$1.rc")" = "$2" ] && return 0
	why="$(details "$1")"
	return 1
}

if id _mtasts >/dev/null 2>&1; then
	chmod 711 "$work"	# for _mtasts to reach $rst, as /var/lib
	rst=$work/mtstate
	mkdir "$rst" && chown _mtasts:_mtasts "$rst" && chmod 700 "$rst"
	printf 'precious\n' >"$work/victim"
	chmod 644 "$work/victim"
	vict=$work/victim

	run_planted root1 "ln -s $vict \"\$2.0\"" nosts.example query -j
	check "query: root, planted link at the temporary name: the file it points at is untouched" \
	    victim_intact root1
	check "query: root, planted link at the temporary name: exit 0" \
	    rc_is root1 0
	check "query: root, directory of _mtasts: the entry is written as _mtasts" \
	    owned_file root1 nosts.example

	run_planted root2 "ln -s $vict \"\$2.0\"" modenone.example exim
	check "query: root exim, planted link at the temporary name: the file it points at is untouched" \
	    victim_intact root2
	check "query: root exim, directory of _mtasts: the entry is written as _mtasts" \
	    owned_file root2 modenone.example
	if [ "$(cat "$work/root2.out")" = NONE ] && [ ! -s "$work/root2.err" ]; then
		ok "query: root exim: one line, nothing on stderr"
	else
		not_ok "query: root exim: one line, nothing on stderr" "$(details root2)"
	fi

	run_planted root3 'mkfifo "$1/testing.example"' testing.example query -j
	if rc_is root3 0 && grep -q '"verdict":"sts-testing"' "$work/root3.out"; then
		ok "query: root, FIFO planted as an entry: read as absent, no hang"
	else
		not_ok "query: root, FIFO planted as an entry: read as absent, no hang" \
		    "$(details root3)"
	fi

	run_planted root4 'mkdir "$1/enforce.example"' enforce.example query
	if grep -q 'cache: cannot store the new policy: enforce.example: .*[Ii]s a directory' \
	    "$work/root4.out"; then
		ok "query: a directory in the way of an entry: the note says why"
	else
		not_ok "query: a directory in the way of an entry: the note says why" \
		    "$(details root4)"
	fi

	# Without the user _mtasts: no cache, and say so (exim: not on
	# stderr).  The network's mount namespace takes a passwd without it.
	grep -v '^_mtasts:' /etc/passwd >"$work/passwd"
	chmod 644 "$work/passwd"
	nouser="mount --bind $work/passwd /etc/passwd"
	run_planted root5 "$nouser" dane.example query -j
	if rc_is root5 0 && grep -q '"verdict":"dane"' "$work/root5.out" &&
	    grep -q '_mtasts does not exist; going on without a policy cache' \
	    "$work/root5.err" && [ ! -e "$rst/dane.example" ]; then
		ok "query: root, no user _mtasts: no cache, and a warning"
	else
		not_ok "query: root, no user _mtasts: no cache, and a warning" \
		    "$(details root5)"
	fi
	run_planted root6 "$nouser" dane.example exim
	if [ "$(cat "$work/root6.out")" = DANE ] && [ ! -s "$work/root6.err" ] &&
	    [ ! -e "$rst/dane.example" ]; then
		ok "query: root exim, no user _mtasts: no cache, nothing on stderr"
	else
		not_ok "query: root exim, no user _mtasts: no cache, nothing on stderr" \
		    "$(details root6)"
	fi
else
	echo "skip - query: root and a directory of _mtasts: no user _mtasts"
fi

exit 0

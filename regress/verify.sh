#!/bin/sh
# TLS-time verification (RFC 7672 3, RFC 8461 4.2) and "filter-mtasts
# check" against MX hosts that really speak SMTP and STARTTLS: those of
# v.example and chk.example in the test network of regress/net/net.sh,
# each with its kind of certificate and TLSA records.
#
# "verify:" lines: regress/verify_send proves a host as a mode asks,
# with TLSA records given on its command line, then sends a message
# through the session it is handed; the sink's mailbox shows whether
# it came, in TLS, with the MX host name as SNI.
# "check:" lines: the JSON document, text and exit status of
# "filter-mtasts check" for a correct domain and for each mistake.
# Needs root and network namespaces; otherwise every check is skipped.
#
# env: FILTER_MTASTS  the program (default: the build in this tree)
#      NET_NS         namespace name (default: mtasts-v<pid>)

set -u
PATH=$PATH:/usr/sbin:/sbin

top=$(cd "$(dirname "$0")/.." && pwd)
net=$top/regress/net/net.sh
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
SEND=$top/regress/verify_send

skip_all() {
	echo "skip - verify: $*"
	exit 0
}

ok() {
	echo "ok - $1"
}

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

[ "$(id -u)" -eq 0 ] || skip_all "not root"
for c in ip nsenter unshare timeout nsd unbound unbound-control nginx \
    ldns-keygen ldns-signzone dig curl openssl python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
done
ip netns list >/dev/null 2>&1 || skip_all "ip netns not available"
unshare --net true 2>/dev/null || skip_all "cannot create network namespaces"
[ -x "$SEND" ] || skip_all "regress/verify_send not built (make regress-progs)"

work=$(mktemp -d) || exit 1
dir=$work/net
NET_NS=${NET_NS:-mtasts-v$$}
export NET_NS
cleanup() {
	sh "$net" stop "$dir" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$net" start "$dir" 2>"$work/start.err"; then
	not_ok "verify: network start" "$(cat "$work/start.err")"
	exit 1
fi
ok "verify: network start ($(wc -l <"$dir/smtp/hosts") SMTP hosts on 127.0.27.N)"

nexec() {
	timeout -k 5 60 sh "$net" exec "$dir" "$@"
}

addr_of() {
	awk -v h="$1" '$2 == h { print $1 }' "$dir/smtp/hosts"
}

# tlsa_of PEM U S M: TLSA data of PEM's certificate, as "U S M HEX".
tlsa_of() {
	if [ "$3" = 0 ]; then
		openssl x509 -in "$1" -outform DER
	else
		openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER
	fi >"$work/der" 2>/dev/null
	case $4 in
	0)	h=$(od -An -v -tx1 "$work/der" | tr -d ' \n') ;;
	1)	h=$(sha256sum <"$work/der" | cut -c1-64) ;;
	2)	h=$(sha512sum <"$work/der" | cut -c1-128) ;;
	esac
	echo "$2 $3 $4 $h"
}

cert_of() {
	echo "$dir/smtp/certs/$1.pem"
}

# ------------------------------------------------------------ verify

# send HOST [ARG...]: verify_send against HOST's address; its output in
# $work/send.out, exit status in $rc, the mailbox size before in $before.
nsend=0
send() {
	sd_h=$1
	shift
	nsend=$((nsend + 1))
	before=$(cat "$dir/smtp/mbox/$sd_h" 2>/dev/null | grep -c '^X-Test-Id: verify_send')
	nexec "$SEND" -c "$dir/ca.pem" -r "n$nsend@verify.test" "$@" "$sd_h" \
	    "$(addr_of "$sd_h")" >"$work/send.out" 2>&1
	rc=$?
	result=$(sed -n 's/^result //p' "$work/send.out")
}

# delivered HOST TLS: the last send's message is in HOST's mailbox,
# sent with TLS version TLS ("none": in the clear) and SNI HOST.
delivered() {
	dv_box=$dir/smtp/mbox/$1
	dv_n=$(grep -c '^X-Test-Id: verify_send' "$dv_box" 2>/dev/null)
	dv_msg=$(awk -v r="to=<n$nsend@verify.test>" '
	    /^From / { m = "" } { m = m $0 "\n" }
	    index($0, r) { hit = 1 } hit && /^X-Test-Id/ { printf "%s", m; exit }' \
	    "$dv_box" 2>/dev/null)
	if [ "$2" = none ]; then
		printf '%s' "$dv_msg" | grep -q '^X-Sink-TLS: none' &&
		    printf '%s' "$dv_msg" | grep -q '^X-Sink-SNI: none'
	else
		printf '%s' "$dv_msg" | grep -q "^X-Sink-TLS: $2 " &&
		    printf '%s' "$dv_msg" | grep -qx "X-Sink-SNI: $1"
	fi && [ "$dv_n" -eq $((before + 1)) ] && return 0
	why="$why
mailbox of $1: $dv_n messages (before: $before); the message:
$dv_msg"
	return 1
}

# passes HOST ARG...: verify_send says ok, and the message came in TLS.
passes() {
	ps_h=$1
	shift
	send "$ps_h" "$@"
	why="verify_send $*: exit $rc
$(cat "$work/send.out")"
	[ "$rc" -eq 0 ] && [ "$result" = ok ] && delivered "$ps_h" TLSv1.3
}

# fails HOST RESULT ARG...: verify_send says RESULT and sends nothing.
fails() {
	fl_h=$1 fl_want=$2
	shift 2
	send "$fl_h" "$@"
	why="verify_send $*: exit $rc, want $fl_want
$(cat "$work/send.out")"
	[ "$rc" -eq 1 ] && [ "$result" = "$fl_want" ] &&
	    ! grep -q '^sent ' "$work/send.out" &&
	    [ "$(cat "$dir/smtp/mbox/$fl_h" 2>/dev/null | grep -c '^X-Test-Id: verify_send')" -eq "$before" ]
}

ee=mx1.ee.v.example
ee_pem=$(cert_of $ee)
for t in "3 1 1" "3 0 1" "3 1 2" "3 0 2" "3 1 0" "3 0 0"; do
	# shellcheck disable=SC2086
	check "verify: DANE-EE $t of a self-signed leaf passes; the message goes in TLS, SNI the MX host" \
	    passes $ee -m dane -t "$(tlsa_of "$ee_pem" $t)"
done
other=$(tlsa_of "$(cert_of mx2.ee.v.example)" 3 1 1)
check "verify: DANE-EE record of another key: tlsa-invalid, nothing sent" \
    fails $ee tlsa-invalid -m dane -t "$other"
check "verify: RFC 7671 9: a matching 3 1 1 beside a 3 1 2 of another key: tlsa-invalid" \
    fails $ee tlsa-invalid -m dane -t "$(tlsa_of "$ee_pem" 3 1 1)" \
    -t "$(tlsa_of "$(cert_of mx2.ee.v.example)" 3 1 2)"
check "verify: RFC 7672 2.2: usable records among PKIX-TA/EE ones authenticate" \
    passes $ee -m dane -t "$(tlsa_of "$ee_pem" 1 1 1 | sed 's/^1/0/')" \
    -t "$(tlsa_of "$ee_pem" 3 1 1)"
check "verify: the self-signed leaf under MTA-STS: certificate-not-trusted" \
    fails $ee certificate-not-trusted -m sts

h=mx.expired.v.example
check "verify: RFC 7672 3.1.1 an expired leaf passes under DANE-EE" \
    passes $h -m dane -t "$(tlsa_of "$(cert_of $h)" 3 1 1)"
check "verify: the same expired leaf under MTA-STS: certificate-expired" \
    fails $h certificate-expired -m sts

ta=$(tlsa_of "$dir/pki/dane-ca.pem" 2 1 1)
ta01=$(tlsa_of "$dir/pki/dane-ca.pem" 2 0 1)
check "verify: RFC 7672 3.1.2 DANE-TA 2 1 1, the private CA in the chain sent" \
    passes mx.ta.v.example -m dane -d ta.v.example -t "$ta"
check "verify: DANE-TA 2 0 1" \
    passes mx.ta.v.example -m dane -t "$ta01"
check "verify: RFC 7672 3.2.2 DANE-TA: a leaf for the next-hop domain passes when it is given" \
    passes mx2.ta.v.example -m dane -d ta.v.example -t "$ta"
check "verify: RFC 7672 3.2.2 the same leaf, the MX host the only name: certificate-host-mismatch" \
    fails mx2.ta.v.example certificate-host-mismatch -m dane -t "$ta"
check "verify: DANE-TA, a leaf for another name: certificate-host-mismatch" \
    fails mx3.ta.v.example certificate-host-mismatch -m dane -d ta.v.example -t "$ta"
check "verify: DANE-TA checks dates: an expired leaf is certificate-expired" \
    fails mx4.ta.v.example certificate-expired -m dane -d ta.v.example -t "$ta"
check "verify: the private CA's chain under MTA-STS: certificate-not-trusted" \
    fails mx.ta.v.example certificate-not-trusted -m sts

h=mx.mismatch.v.example
check "verify: a TLSA record of another key fails although the certificate is valid under the CA" \
    fails $h tlsa-invalid -m dane -t "$(tlsa_of "$(cert_of mx1.ee.v.example)" 3 1 1)"
check "verify: the same host under MTA-STS passes" passes $h -m sts

check "verify: RFC 7672 2.2 usages 0/1 only: TLS required, no authentication: passes in TLS" \
    passes mx.usage01.v.example -m tls
h=mx.notls.v.example
check "verify: no STARTTLS, DANE: starttls-not-supported" \
    fails $h starttls-not-supported -m dane -t "$other"
check "verify: no STARTTLS, TLS required: starttls-not-supported" \
    fails $h starttls-not-supported -m tls
# passes_clear HOST ARG...: ok, and the message came in the clear.
passes_clear() {
	pc_h=$1
	shift
	send "$pc_h" "$@"
	why="verify_send $*: exit $rc
$(cat "$work/send.out")"
	[ "$rc" -eq 0 ] && [ "$result" = ok ] && delivered "$pc_h" none
}
check "verify: no STARTTLS, opportunistic: the plain session is handed over and takes the message" \
    passes_clear $h -m opportunistic
check "verify: RFC 8461 4.2 MTA-STS, certificate for another name: certificate-host-mismatch" \
    fails mx.stswrong.v.example certificate-host-mismatch -m sts
check "verify: RFC 8461 4.2 MTA-STS, expired certificate: certificate-expired" \
    fails mx.stsexpired.v.example certificate-expired -m sts
check "verify: RFC 8461 4.2 MTA-STS, a trusted certificate for the MX host: passes" \
    passes mx1.ok.chk.example -m sts

# ------------------------------------------------------------- check

# run_check NAME [ARG...] DOMAIN: check -j; $work/NAME.{json,err,rc}.
run_check() {
	rn=$1
	shift
	nexec "$FILTER_MTASTS" check -r 127.0.53.2 -a "$dir/root.key" \
	    -c "$dir/ca.pem" "$@" >"$work/$rn.json" 2>"$work/$rn.err"
	echo $? >"$work/$rn.rc"
}

# jq NAME EXPR: EXPR in Python over the JSON document d; prints it.
jq() {
	python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("!invalid JSON: %s" % e)
    sys.exit(1)
def find(check, status=None, host=None, address=None):
    return [c for c in d["checks"] if c["check"] == check and
        (status is None or c["status"] == status) and
        (host is None or c["host"] == host) and
        (address is None or c["address"] == address)]
def addr(host, i=0):
    return [h for h in d["hosts"] if h["name"] == host][0]["addresses"][i]
print(eval(sys.argv[2]))
' "$work/$1.json" "$2"
}

# expect NAME EXPR WANT: EXPR of run NAME prints WANT.
expect() {
	ex_got=$(jq "$1" "$2" 2>&1)
	why="run $1: $2 is \"$ex_got\", want \"$3\"
exit status $(cat "$work/$1.rc"); stderr: $(cat "$work/$1.err")
$(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    print(c["status"], c["check"], c["host"] or "", c["address"] or "", c["message"])
' "$work/$1.json" 2>/dev/null)"
	[ "$ex_got" = "$3" ]
}

# judged NAME RC STATUS: exit status and overall status of run NAME.
judged() {
	expect "$1" 'd["status"]' "$3" && [ "$(cat "$work/$1.rc")" = "$2" ] ||
	    { why="$why
(exit status $(cat "$work/$1.rc"), want $2)"; return 1; }
}

run_check ok -j ok.chk.example
check "check: ok.chk.example, set up right: every check ok, exit 0" \
    judged ok 0 ok
check "check: ok.chk.example: both MX hosts in TLS, trusted, matched by TLSA (3 1 1)" \
    expect ok '[(a["result"], a["tls_version"], a["certificate"]["pkix"], a["certificate"]["dane"]) for h in d["hosts"] for a in h["addresses"]]' \
    "[('ok', 'TLSv1.3', 'ok', 'ok'), ('ok', 'TLSv1.3', 'ok', 'ok')]"
check "check: ok.chk.example: policy, record id and TLS-RPT in the document" \
    expect ok '(d["record_id"], d["policy"]["mode"], d["policy"]["max_age"], d["tlsrpt"]["rua"])' \
    "('1', 'enforce', 604800, ['mailto:tlsrpt@ok.chk.example'])"
check "check: ok.chk.example: every check of the contract ran" \
    expect ok 'sorted(set(c["check"] for c in d["checks"]))' \
    "['certificate', 'dane', 'dns-mx', 'starttls', 'sts-max-age', 'sts-mx', 'sts-policy', 'sts-policy-cert', 'sts-policy-fetch', 'sts-record', 'tlsrpt']"

run_check mxmissing -j mxmissing.chk.example
check "check: MX host not in the policy: sts-mx fail for mx2, exit 2" \
    expect mxmissing '[(c["host"], c["status"]) for c in find("sts-mx")] + [d["status"], d["counts"]["fail"]]' \
    "[('mx1.mxmissing.chk.example', 'ok'), ('mx2.mxmissing.chk.example', 'fail'), 'fail', 1]"
check "check: MX host not in the policy: the fix names the mx line to add" \
    expect mxmissing 'find("sts-mx", "fail")[0]["fix"]' \
    'add "mx: mx2.mxmissing.chk.example" to the policy and publish a new id'

run_check stale -j stale.chk.example
check "check: stale pattern: sts-mx-stale warn, nothing fails, exit 1" \
    judged stale 1 warn
check "check: stale pattern: the warning names old.stale.chk.example" \
    expect stale '[c["message"] for c in find("sts-mx-stale", "warn")]' \
    "['pattern \"old.stale.chk.example\" matches no MX host']"

run_check twotxt -j twotxt.chk.example
check "check: two _mta-sts TXT records: sts-record fail, exit 2" \
    expect twotxt '[c["status"] for c in find("sts-record")] + [d["status"], d["counts"]["fail"]]' \
    "['fail', 'fail', 1]"

run_check html -j html.chk.example
check "check: policy served as text/html: sts-policy-fetch fail, exit 2" \
    expect html '[(c["status"], c["result"], "text/html" in c["message"]) for c in find("sts-policy-fetch")] + [d["counts"]["fail"]]' \
    "[('fail', 'sts-policy-fetch-error', True), 1]"

run_check expiring -j expiring.chk.example
check "check: certificates expiring in 3 days: policy host and MX host warn, exit 1" \
    expect expiring '[(c["check"], c["status"]) for c in d["checks"] if c["status"] != "ok"] + [d["status"]]' \
    "[('sts-policy-cert', 'warn'), ('certificate', 'warn'), 'warn']"
run_check expiring1 -j -w 1 expiring.chk.example
check "check: -w 1: the same certificates are ok, exit 0" \
    judged expiring1 0 ok

run_check maxage -j maxage.chk.example
check "check: max_age 3600: sts-max-age fail, exit 2" \
    expect maxage '[(c["check"], c["status"]) for c in d["checks"] if c["status"] != "ok"]' \
    "[('sts-max-age', 'fail')]"
run_check norpt -j norpt.chk.example
check "check: no TLS-RPT record: tlsrpt warn, exit 1" \
    expect norpt '[(c["check"], c["status"]) for c in d["checks"] if c["status"] != "ok"] + [int(open(sys.argv[1].replace(".json", ".rc")).read())]' \
    "[('tlsrpt', 'warn'), 1]"
run_check badrpt -j badrpt.chk.example
check "check: TLS-RPT rua with no usable URI: tlsrpt fail" \
    expect badrpt '[c["status"] for c in find("tlsrpt")] + [d["status"]]' \
    "['warn', 'fail', 'fail']"
# A rua is used whole or not at all: one of 512 bytes is not cut to fit.
longrua="https://rua.badrpt.chk.example/$(printf '%481s' | tr ' ' a)"
sh "$net" set-txt "$dir" _smtp._tls.badrpt.chk.example \
    "v=TLSRPTv1; rua=$longrua,mailto:tlsrpt@badrpt.chk.example"
run_check longrua -j badrpt.chk.example
check "check: a rua of 512 bytes: tlsrpt warn, the mailto: beside it used" \
    expect longrua '[(c["status"], "longer than 511 bytes" in c["message"]) for c in find("tlsrpt")]' \
    "[('warn', True), ('ok', False)]"

# id not bumped: the cached policy against the live one
state=$work/state
mkdir -p "$state"
nexec "$FILTER_MTASTS" query -r 127.0.53.2 -a "$dir/root.key" -c "$dir/ca.pem" \
    -s "$state" nobump.chk.example >"$work/query.out" 2>&1
state_sum() {
	find "$state" -type f -exec sha256sum {} + | sort
}
state_sum >"$work/state.before"
run_check nobump0 -j -s "$state" nobump.chk.example
check "check: -s: the cached policy is the one served: cache ok, exit 0" \
    expect nobump0 '[c["status"] for c in find("cache")] + [d["status"]]' \
    "['ok', 'ok']"
sed 's/^max_age: .*/max_age: 1209600/' "$dir/www/nobump.chk.example/.well-known/mta-sts.txt" \
    >"$work/policy.new"
sh "$net" set-policy "$dir" nobump.chk.example "$work/policy.new"
run_check nobump1 -j -s "$state" nobump.chk.example
check "check: -s: policy changed, id not: cache fail, exit 2" \
    expect nobump1 '[(c["status"], "same id 1" in c["message"]) for c in find("cache")] + [d["status"], d["counts"]["fail"]]' \
    "[('fail', True), 'fail', 1]"
run_check nobump2 -j nobump.chk.example
check "check: without -s nothing is compared" \
    expect nobump2 'len(find("cache"))' 0
sh "$net" set-txt "$dir" _mta-sts.nobump.chk.example 'v=STSv1; id=2'
run_check nobump3 -j -s "$state" nobump.chk.example
check "check: -s: a new id published: cache ok, exit 0" \
    expect nobump3 '[c["message"] for c in find("cache")] + [d["status"]]' \
    "['cached policy id 1, live id 2: senders fetch the new policy', 'ok']"
# the state directory is only read
state_kept() {
	state_sum >"$work/state.after"
	why="before: $(cat "$work/state.before")
after: $(cat "$work/state.after")"
	[ -s "$work/state.before" ] && cmp -s "$work/state.before" "$work/state.after"
}
check "check: -s leaves the state directory as it was" state_kept

# per host results: v.example
run_check ee -j ee.v.example
check "check: DANE-EE 3 1 1 and 3 0 1 of self-signed leaves: both hosts ok, no MTA-STS needed" \
    expect ee '[addr(h)["result"] for h in ("mx1.ee.v.example", "mx2.ee.v.example")] + [c["status"] for c in find("dane")] + [find("sts-record")[0]["status"]]' \
    "['ok', 'ok', 'ok', 'ok', 'ok']"
run_check expired -j expired.v.example
check "check: DANE-EE with an expired leaf: ok (PKIX would say expired)" \
    expect expired '(addr("mx.expired.v.example")["result"], addr("mx.expired.v.example")["certificate"]["pkix"], [c["status"] for c in find("dane")])' \
    "('ok', 'certificate-expired', ['ok'])"
run_check ta -j ta.v.example
check "check: DANE-TA: mx and mx2 (named for the domain) ok, mx3 wrong name, mx4 expired" \
    expect ta '[addr(h["name"])["result"] for h in d["hosts"]]' \
    "['ok', 'ok', 'certificate-host-mismatch', 'certificate-expired']"
run_check mismatch -j mismatch.v.example
check "check: TLSA of another key, certificate valid under the CA: dane fail tlsa-invalid" \
    expect mismatch '(addr("mx.mismatch.v.example")["result"], addr("mx.mismatch.v.example")["certificate"]["pkix"], [(c["status"], c["result"]) for c in find("dane")], d["status"])' \
    "('tlsa-invalid', 'ok', [('fail', 'tlsa-invalid')], 'fail')"
run_check usage01 -j usage01.v.example
check "check: TLSA usages 0 and 1 only: TLS required, no authentication; dane warns" \
    expect usage01 '(addr("mx.usage01.v.example")["mode"], addr("mx.usage01.v.example")["result"], [c["status"] for c in find("dane")], d["hosts"][0]["tlsa"])' \
    "('tls', 'ok', ['warn'], {'status': 'answer', 'dnssec': 'secure', 'records': 2, 'usable': 0})"
run_check notls -j notls.v.example
check "check: no STARTTLS on a DANE host: starttls fail" \
    expect notls '(addr("mx.notls.v.example")["result"], [(c["status"], c["result"]) for c in find("starttls")])' \
    "('starttls-not-supported', [('fail', 'starttls-not-supported')])"
run_check stswrong -j stswrong.v.example
check "check: MTA-STS host with a wrong-name certificate: certificate fail" \
    expect stswrong '[(c["status"], c["result"]) for c in find("certificate")]' \
    "[('fail', 'certificate-host-mismatch')]"
run_check stsexpired -j stsexpired.v.example
check "check: MTA-STS host with an expired certificate: certificate fail" \
    expect stsexpired '[(c["status"], c["result"]) for c in find("certificate")]' \
    "[('fail', 'certificate-expired')]"

# the text form
nexec "$FILTER_MTASTS" check -r 127.0.53.2 -a "$dir/root.key" -c "$dir/ca.pem" \
    mxmissing.chk.example >"$work/text.out" 2>&1
text_rc=$?
text_ok() {
	why=$(cat "$work/text.out")
	[ $text_rc -eq 2 ] &&
	    head -n 1 "$work/text.out" | grep -qx 'mxmissing.chk.example: fail ([0-9]* ok, 0 warn, 1 fail)' &&
	    [ "$(sed 1d "$work/text.out" | grep -cv '^\(ok  \|warn\|fail\) [a-z-]*: ')" -eq 0 ] &&
	    grep -q '^fail sts-mx: mx2.mxmissing.chk.example matches no mx pattern.* -- add "mx: mx2.mxmissing.chk.example"' "$work/text.out"
}
check "check: text: a summary line, then one line per check, the fix after --" text_ok

# exit status 3: no diagnosis at all
status_is() {
	nexec "$FILTER_MTASTS" "$@" >"$work/st.out" 2>&1
	st=$?
	why="exit status $st: $(cat "$work/st.out")"
	[ $st -eq 3 ]
}
check "check: usage error (no domain): exit 3" status_is check
check "check: usage error (-w junk): exit 3" status_is check -w x ok.chk.example
check "check: usage error (two domains): exit 3" status_is check a.example b.example
check "check: cannot run (unreadable CA file): exit 3" \
    status_is check -c /nonexistent/ca.pem ok.chk.example

# Nothing blocks: every socket is non-blocking, every TCP connect
# returns at once (EINPROGRESS) and its outcome comes from the loop.
nonblocking() {
	nexec strace -f -qq -e trace=socket,connect,fcntl -o "$work/strace" \
	    "$FILTER_MTASTS" check -r 127.0.53.2 -a "$dir/root.key" \
	    -c "$dir/ca.pem" ta.v.example >/dev/null 2>&1
	why=$(grep -E 'socket|connect|F_SETFL' "$work/strace")
	n25=$(grep -c 'connect(.*htons(25).*EINPROGRESS' "$work/strace")
	[ "$n25" -eq 4 ] &&
	    ! grep 'socket(AF_INET6\?, SOCK_STREAM' "$work/strace" | grep -vq SOCK_NONBLOCK &&
	    ! grep -E 'connect\(.*htons\((25|443)\)' "$work/strace" | grep -vq EINPROGRESS &&
	    ! grep 'F_SETFL' "$work/strace" | grep -v O_NONBLOCK | grep -q .
}
if command -v strace >/dev/null 2>&1; then
	check "check: strace: every TCP socket non-blocking, every connect EINPROGRESS" nonblocking
else
	echo "skip - check: strace not installed: the non-blocking check"
fi

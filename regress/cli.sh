#!/bin/sh
# The filter-mtasts command line contract: exit status (0 yes, 1 no,
# 2 usage or unreadable input), the exact stdout of each subcommand,
# and what goes to stderr.  POSIX sh only; $FILTER_MTASTS is the binary.
# Each check prints "ok - cli: NAME" or "not ok - cli: NAME" and "# "
# lines saying what differed.

F=${FILTER_MTASTS:?FILTER_MTASTS must name the filter-mtasts binary}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/filter-mtasts-cli.XXXXXXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
failed=0

diag() {
	sed 's/^/# /'
}

# run INPUT ARG...: run the binary with stdin from INPUT; sets $rc and
# leaves stdout and stderr in $tmp/out and $tmp/err.
run() {
	input=$1
	shift
	"$F" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect NAME RC STDOUT STDERR: check the last run.  STDOUT is the
# whole expected output without its final newline ("" for none).
# STDERR is "empty", "any", "nonempty", "usage" (a line begins with
# "usage: ") or "=TEXT" for exactly TEXT.
expect() {
	name=$1 erc=$2 eout=$3 eerr=$4
	why=
	if [ "$rc" -ne "$erc" ]; then
		why="exit status $rc, want $erc"
	fi
	if [ -n "$eout" ]; then
		printf '%s\n' "$eout" >"$tmp/want"
	else
		: >"$tmp/want"
	fi
	if ! cmp -s "$tmp/out" "$tmp/want"; then
		why="${why:+$why; }stdout differs"
	fi
	case $eerr in
	empty)
		[ -s "$tmp/err" ] && why="${why:+$why; }stderr not empty"
		;;
	nonempty)
		[ -s "$tmp/err" ] || why="${why:+$why; }stderr empty"
		;;
	usage)
		if ! grep -q '^usage: ' "$tmp/err"; then
			why="${why:+$why; }no usage on stderr"
		fi
		;;
	=*)
		printf '%s\n' "${eerr#=}" >"$tmp/wanterr"
		if ! cmp -s "$tmp/err" "$tmp/wanterr"; then
			why="${why:+$why; }stderr differs"
		fi
		;;
	esac
	if [ -z "$why" ]; then
		echo "ok - cli: $name"
		return
	fi
	failed=$((failed + 1))
	echo "not ok - cli: $name"
	echo "$why" | diag
	echo "want stdout:" | diag
	diag <"$tmp/want"
	echo "got stdout:" | diag
	diag <"$tmp/out"
	echo "got stderr:" | diag
	diag <"$tmp/err"
}

N=/dev/null

# Policy bodies.
good=$tmp/good.txt
printf '%s\n' 'version: STSv1' 'mode: enforce' 'mx: mail.example.com' \
    'mx: *.example.net' 'max_age: 86400' >"$good"
good_json='{"valid":true,"version":"STSv1","mode":"enforce","max_age":86400,"mx":["mail.example.com","*.example.net"],"error":null}'

crlf=$tmp/crlf.txt
printf 'version: STSv1\r\nmode: testing\r\nmax_age: 604800\r\nmx: mx.example.org\r\n' \
    >"$crlf"

badage=$tmp/badage.txt
printf '%s\n' 'version: STSv1' 'mode: enforce' 'max_age: 1.5' \
    'mx: mail.example.com' >"$badage"

nomx=$tmp/nomx.txt
printf '%s\n' 'version: STSv1' 'mode: enforce' 'max_age: 86400' >"$nomx"

none=$tmp/none.txt
printf '%s\n' 'version: STSv1' 'mode: none' 'max_age: 86400' >"$none"

warns=$tmp/warns.txt
printf '%s\n' 'version: STSv1' 'mode: testing' 'max_age: 99999999' \
    'foo: bar' 'mode: enforce' 'mx: mail.example.com' >"$warns"

badmode=$tmp/badmode.txt
printf '%s\n' 'version: STSv1' 'mode: Enforce' 'max_age: 86400' \
    'mx: mail.example.com' >"$badmode"

quote=$tmp/quote.txt
printf '%s\n' 'version: STSv1' 'mode: en"f\orce' >"$quote"

empty=$tmp/empty.txt
: >"$empty"

# Exactly 65536 bytes, valid; then 65537 bytes.
big=$tmp/big.txt
LC_ALL=C awk 'BEGIN {
	h = "version: STSv1\nmode: enforce\nmax_age: 86400\n" \
	    "mx: mail.example.com\npad: "
	n = 65536 - length(h)
	s = "x"
	while (length(s) < n)
		s = s s
	printf "%s%s", h, substr(s, 1, n)
}' >"$big"
big1=$tmp/big1.txt
cp "$big" "$big1"
printf '\n' >>"$big1"

# --- record -------------------------------------------------------------

run $N record -j 'v=STSv1; id=20240101T000000'
expect 'record -j valid: exact JSON, exit 0' 0 \
    '{"valid":true,"id":"20240101T000000","error":null}' empty

run $N record -j 'v=spf1 -all' 'v=STSv1; id=abc123' 'site-verification=x'
expect 'record -j STS among SPF and others: valid, exit 0 (R1.2.5)' 0 \
    '{"valid":true,"id":"abc123","error":null}' empty

run $N record -j 'v=spf1 -all' 'v=STSv1 ;id=1'
expect "record -j 'v=STSv1 ;' beside SPF is valid (D1)" 0 \
    '{"valid":true,"id":"1","error":null}' empty

run $N record -j 'v=spf1 -all'
expect 'record -j no STS record: exit 1, error without prefix' 1 \
    '{"valid":false,"id":null,"error":"no TXT record begins with \"v=STSv1;\""}' \
    empty

run $N record -j 'v=STSv1; id=1' 'v=STSv1; id=1'
expect 'record -j two STS records: exit 1 (D2)' 1 \
    '{"valid":false,"id":null,"error":"more than one TXT record begins with \"v=STSv1;\" (records 1 and 2)"}' \
    empty

run $N record -j 'v=spf1 -all' 'v=STSv1; id=a-b'
expect "record -j bad id in RR 2: error prefixed 'record 2: ' (D4)" 1 \
    '{"valid":false,"id":null,"error":"record 2: id must be 1 to 32 letters or digits at offset 12: \"a-b\""}' \
    empty

run $N record -j 'v=STSv1; ID=abc'
expect 'record -j ID= is not id=: exit 1 (D4)' 1 \
    '{"valid":false,"id":null,"error":"record 1: no id field (\"id=\" is required and case-sensitive)"}' \
    empty

run $N record -j 'v=STSv1; id=1 '
expect 'record -j trailing WSP: exit 1 (R1.2.12, D3)' 1 \
    "{\"valid\":false,\"id\":null,\"error\":\"record 1: whitespace without ';' at end of record\"}" \
    empty

run $N record -j "$(printf 'v=STSv1; id=caf\303\251')"
expect 'record -j UTF-8 id: bytes quoted as \xNN in the error (D7, P12)' 1 \
    '{"valid":false,"id":null,"error":"record 1: id must be 1 to 32 letters or digits at offset 12: \"caf\\xc3\\xa9\""}' \
    empty

run $N record 'v=spf1 -all' 'v=STSv1; id=abc'
expect 'record text valid: discarded RR line, then valid: id=' 0 \
    'record 1: ignored, does not begin with "v=STSv1;"
valid: id=abc' empty

run $N record 'v=STSv1;'
expect 'record text invalid: invalid: record 1: reason' 1 \
    'invalid: record 1: no id field ("id=" is required and case-sensitive)' \
    empty

# No TXT record at all (NODATA, NXDOMAIN): no policy, not a usage error.
run $N record -j
expect 'record -j without a string: no record, no policy, exit 1' 1 \
    '{"valid":false,"id":null,"error":"no TXT record given: no policy"}' \
    empty

run $N record
expect 'record without a string: invalid: no record, exit 1' 1 \
    'invalid: no TXT record given: no policy' empty

run $N record -j --
expect 'record -j -- without a string: no record, exit 1' 1 \
    '{"valid":false,"id":null,"error":"no TXT record given: no policy"}' \
    empty

run $N record -x 'v=STSv1; id=1'
expect 'record bad option: usage, exit 2' 2 '' usage

# --- policy -------------------------------------------------------------

run $N policy -j "$good"
expect 'policy -j FILE valid: exact JSON, exit 0' 0 "$good_json" empty

run "$good" policy -j
expect 'policy -j from stdin: exact JSON, exit 0' 0 "$good_json" empty

run "$good" policy -j -
expect "policy -j - reads stdin: exact JSON, exit 0" 0 "$good_json" empty

run $N policy -j "$crlf"
expect 'policy -j CRLF file is valid (R1.4.1)' 0 \
    '{"valid":true,"version":"STSv1","mode":"testing","max_age":604800,"mx":["mx.example.org"],"error":null}' \
    empty

run $N policy -j "$none"
expect 'policy -j mode none without mx: "mx":[] (A4)' 0 \
    '{"valid":true,"version":"STSv1","mode":"none","max_age":86400,"mx":[],"error":null}' \
    empty

run "$badage" policy -j
expect "policy -j invalid: nulls, [], error 'line 3: ...', exit 1" 1 \
    '{"valid":false,"version":null,"mode":null,"max_age":null,"mx":[],"error":"line 3: max_age must be 1 to 10 digits: \"1.5\""}' \
    empty

run "$nomx" policy -j
expect 'policy -j whole-body error has no line prefix (P12)' 1 \
    '{"valid":false,"version":null,"mode":null,"max_age":null,"mx":[],"error":"no mx field (required unless mode is none)"}' \
    empty

run "$empty" policy -j
expect 'policy -j empty input: exit 1 (P1)' 1 \
    '{"valid":false,"version":null,"mode":null,"max_age":null,"mx":[],"error":"empty policy"}' \
    empty

run "$quote" policy -j
expect 'policy -j error with quote and backslash is escaped JSON' 1 \
    '{"valid":false,"version":null,"mode":null,"max_age":null,"mx":[],"error":"line 2: mode must be enforce, testing or none (lower case): \"en\\\"f\\\\orce\""}' \
    empty

run "$warns" policy -j
expect 'policy -j warnings on stderr, stdout one JSON line (A1, A2)' 0 \
    '{"valid":true,"version":"STSv1","mode":"testing","max_age":31557600,"mx":["mail.example.com"],"error":null}' \
    '=<stdin>:3: warning: max_age above 31557600 capped to 31557600: "99999999"
<stdin>:4: warning: unknown field ignored: "foo"
<stdin>:5: warning: duplicate field ignored, the first one counts: "mode"'

run "$warns" policy
expect 'policy text: warnings on stdout as NAME:LINE:, stderr empty' 0 \
    '<stdin>:3: warning: max_age above 31557600 capped to 31557600: "99999999"
<stdin>:4: warning: unknown field ignored: "foo"
<stdin>:5: warning: duplicate field ignored, the first one counts: "mode"
<stdin>: valid
version: STSv1
mode: testing
max_age: 31557600
mx: mail.example.com' empty

run $N policy "$good"
expect 'policy text FILE valid: NAME: valid and the fields' 0 \
    "$good: valid
version: STSv1
mode: enforce
max_age: 86400
mx: mail.example.com
mx: *.example.net" empty

run "$badage" policy
expect "policy text invalid: '<stdin>:3: msg' then '<stdin>: invalid'" 1 \
    '<stdin>:3: max_age must be 1 to 10 digits: "1.5"
<stdin>: invalid' empty

run $N policy "$badmode"
expect 'policy text invalid FILE: NAME:2: and NAME: invalid (P4)' 1 \
    "$badmode:2: mode must be enforce, testing or none (lower case): \"Enforce\"
$badmode: invalid" empty

run "$nomx" policy -
expect 'policy text whole-body error: <stdin>: msg (P12)' 1 \
    '<stdin>: no mx field (required unless mode is none)
<stdin>: invalid' empty

run $N policy -j "$big"
expect 'policy -j 65536-byte file is valid (P1)' 0 \
    '{"valid":true,"version":"STSv1","mode":"enforce","max_age":86400,"mx":["mail.example.com"],"error":null}' \
    any

run "$big1" policy -j
expect 'policy -j 65537-byte input is invalid (P1)' 1 \
    '{"valid":false,"version":null,"mode":null,"max_age":null,"mx":[],"error":"policy is larger than 65536 bytes"}' \
    empty

run $N policy -j "$tmp/does-not-exist"
expect 'policy -j missing file: exit 2, nothing on stdout' 2 '' nonempty

run $N policy "$tmp"
expect 'policy on a directory: exit 2, nothing on stdout' 2 '' nonempty

run $N policy -j "$good" "$good"
expect 'policy with two files: usage, exit 2' 2 '' usage

run $N policy -x "$good"
expect 'policy bad option: usage, exit 2' 2 '' usage

# --- match --------------------------------------------------------------

run $N match '*.example.com' mail.example.com
expect 'match *.example.com mail.example.com: match, exit 0 (4.1)' 0 \
    'match' empty

run $N match '*.example.com' example.com
expect 'match *.example.com example.com: no match, exit 1 (4.1)' 1 \
    'no match' empty

run $N match '*.example.com' foo.bar.example.com
expect 'match *.example.com foo.bar.example.com: no match (4.1)' 1 \
    'no match' empty

run $N match mail.example.com MAIL.Example.COM.
expect 'match is case-insensitive, one trailing host dot ignored (M1)' 0 \
    'match' empty

run $N match mail.example.com mx.example.com
expect 'match exact pattern, other host: no match, exit 1' 1 \
    'no match' empty

# A malformed pattern or host is a well-formed question whose answer
# is "no match" (RFC 8461 4.1: such a pattern matches nothing): exit 1,
# the reason on stderr.
nomatch() {
	run $N match "$1" "$2"
	expect "match '$1' '$2': malformed $3, no match, exit 1 (M3)" 1 \
	    'no match' "=filter-mtasts: $4: \"$5\""
}
p='invalid mx pattern, matches no host'
h='invalid host name, matches no pattern'
nomatch '*.*.example.com' a.b.example.com pattern "$p" '*.*.example.com'
nomatch '*' mail.example.com pattern "$p" '*'
nomatch .example.com mail.example.com pattern "$p" .example.com
nomatch 'mx*.example.com' mx1.example.com pattern "$p" 'mx*.example.com'
nomatch '*example.com' mailexample.com pattern "$p" '*example.com'
nomatch example.com. example.com. pattern "$p" example.com.
nomatch '' example.com pattern "$p" ''
nomatch '*.example.com' '' host "$h" ''
nomatch '*.example.com' mail..example.com host "$h" mail..example.com
nomatch example.com example.com.. host "$h" example.com..
nomatch '*.example.com' . host "$h" .

run $N match '' ''
expect 'match both malformed: no match, exit 1, two reasons (M3)' 1 \
    'no match' "=filter-mtasts: $p: \"\"
filter-mtasts: $h: \"\""

run $N match example.com
expect 'match with one argument: usage, exit 2' 2 '' usage

run $N match a.example b.example c.example
expect 'match with three arguments: usage, exit 2' 2 '' usage

# --- the command --------------------------------------------------------

run $N
expect 'no arguments: usage on stderr, exit 2' 2 '' usage

run $N frobnicate
expect 'unknown command: usage on stderr, exit 2' 2 '' usage

run $N -j policy
expect 'option before the command: usage, exit 2' 2 '' usage

# The usage message and the manual's SYNOPSIS list the same flags for
# each command.
run $N
python3 - "$(dirname "$0")/../man/filter-mtasts.8" "$tmp/err" \
    >"$tmp/why" 2>&1 <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
syn = src[src.index(".Sh SYNOPSIS"):src.index(".Sh DESCRIPTION")]
man, cmd = {}, None
for line in syn.splitlines():
    if line.startswith(".Nm"):
        cmd = None
    elif cmd is None and line.startswith(".Cm "):
        cmd = line.split()[1]
        man.setdefault(cmd, set())
    elif cmd is not None:
        for f in re.findall(r"Fl (\w+)", line):
            man[cmd] |= set(f)
use = {}
for line in open(sys.argv[2]):
    w = line.split()
    if "filter-mtasts" in w:
        w = w[w.index("filter-mtasts") + 1:]
        use[w[0]] = set("".join(re.findall(r"-(\w+)", " ".join(w[1:]))))
bad = ["%s: manual %s, usage %s" % (c, "".join(sorted(man.get(c, ()))),
       "".join(sorted(use.get(c, ())))) for c in sorted(set(man) | set(use))
       if man.get(c) != use.get(c)]
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
if [ $? -eq 0 ]; then
	echo "ok - cli: usage and SYNOPSIS list the same flags per command"
else
	echo "not ok - cli: usage and SYNOPSIS list the same flags per command"
	diag <"$tmp/why"
	failed=1
fi

# Checked before anything starts: no process, socket or DNS.
run $N filter -x 'not a domain'
expect 'filter -x with a non-domain: error, exit 1' 1 '' nonempty

# A port is 1 to 65535: getaddrinfo(3) alone takes 70000 as 4464.
for spec in 70000 127.0.0.1:0 '[::1]:65536' 127.0.0.1:x; do
	run $N filter -R "$spec"
	expect "filter -R $spec: not a port, exit 1" 1 '' \
	    "=filter-mtasts: fatal: $spec: the port must be a number from 1 to 65535"
done
run $N daemon -l "tlsrpt=unix:$tmp/tlsrpt.sock"
expect 'daemon -l tlsrpt= without -g: refused, exit 1' 1 '' \
    "=filter-mtasts: fatal: -l tlsrpt=unix:$tmp/tlsrpt.sock: name with -g the group of the MTA's processes, who alone may send TLS results"
run $N daemon -g no-such-group-here -l socketmap=127.0.0.1:8461
expect 'daemon -g with an unknown group: exit 1' 1 '' \
    "=filter-mtasts: fatal: -g no-such-group-here: no such group"
run $N daemon -l socketmap=127.0.0.1:70000
expect 'daemon -l socketmap=127.0.0.1:70000: not a port, exit 1' 1 '' \
    "=filter-mtasts: fatal: 127.0.0.1:70000: the port must be a number from 1 to 65535"

# An address literal must hold an address (RFC 5321 4.1.3).
run $N query -s "$tmp/state" '[foo]'
expect 'query [foo]: invalid domain, exit 2' 2 '' \
    '=filter-mtasts: invalid domain: "[foo]"'
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
    >"$tmp/root.ds"
run $N query -a "$tmp/root.ds" -s "$tmp/state" -r 127.0.0.1 '[192.0.2.1]'
expect 'query [192.0.2.1]: none, without DNS' 0 '[192.0.2.1]: none
  reason: address literal: MTA-STS and DANE do not apply (RFC 8461 3.4, RFC 7672 2.2)' any

# exim: a verdict in date in the state directory is the answer, with no
# DNS (the resolver, 127.0.0.1, does not answer); one past its time is
# not: that lookup fails, and the answer is DEFER.
mkdir -p "$tmp/vs/.verdicts"
now=$(date +%s)
printf 'filter-mtasts-verdict 1\nexpires %s\nstatus 0\nline MTA-STS mx1.saved.example\n' \
    $((now + 300)) >"$tmp/vs/.verdicts/saved.example"
printf 'filter-mtasts-verdict 1\nexpires %s\nstatus 0\nline NONE\n' \
    $((now - 1)) >"$tmp/vs/.verdicts/old.example"
run $N exim -a "$tmp/root.ds" -s "$tmp/vs" -r 127.0.0.1 saved.example
sed -i -e '$a\' "$tmp/out"
expect 'exim: a verdict in date on disk is answered without DNS' 0 \
    'MTA-STS mx1.saved.example' empty
run $N exim -a "$tmp/root.ds" -s "$tmp/vs" -r 127.0.0.1 old.example
expect_rc() {
	if [ "$rc" -eq "$2" ] && grep -q "^$3" "$tmp/out"; then
		echo "ok - cli: $1"
	else
		echo "not ok - cli: $1"
		echo "# status $rc, stdout: $(cat "$tmp/out")"
		failed=1
	fi
}
expect_rc 'exim: a verdict past its time is derived again (here DEFER)' 75 \
    DEFER

[ "$failed" -eq 0 ]

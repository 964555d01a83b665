#!/bin/sh
# Run the regress suite against the build in this tree.
# Every check prints "ok - name", "not ok - name" or "skip - name";
# this script prefixes them with $REGRESS_LABEL, counts them and ends
# with "N passed, M failed[, K skipped]" unless REGRESS_NOSUMMARY is set.

top=$(cd "$(dirname "$0")/.." && pwd)
label=${REGRESS_LABEL:+[$REGRESS_LABEL] }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A test program that dies without saying "not ok" still fails.
run() {
	name=$1
	shift
	"$@" >"$log.out" 2>&1
	rc=$?
	sed -E "s/^(ok|not ok|skip) - /&$label/" "$log.out" | tee -a "$log"
	if [ $rc -ne 0 ] && ! grep -q '^not ok - ' "$log.out"; then
		echo "not ok - $label$name exited with status $rc" | tee -a "$log"
	fi
	rm -f "$log.out"
}

export FILTER_MTASTS="$top/filter-mtasts/filter-mtasts"
run test_record "$top/regress/test_record"
run test_policy "$top/regress/test_policy"
run test_match "$top/regress/test_match"
run test_http "$top/regress/test_http"
run test_dns_wire "$top/regress/test_dns_wire"
run test_dane "$top/regress/test_dane"
run test_cache "$top/regress/test_cache"
run test_vcache "$top/regress/test_vcache"
run test_reply "$top/regress/test_reply"
run test_relay "$top/regress/test_relay"
run test_fetch "$top/regress/test_fetch"
run test_verify "$top/regress/test_verify"
run test_smtp "$top/regress/test_smtp"
run test_sandbox "$top/regress/test_sandbox"
run test_rpt "$top/regress/test_rpt"
run cli.sh sh "$top/regress/cli.sh"
run relay.sh sh "$top/regress/relay.sh"
run manfrag.sh sh "$top/regress/manfrag.sh"
run query.sh sh "$top/regress/query.sh"
run verify.sh sh "$top/regress/verify.sh"
run filter.sh sh "$top/regress/filter.sh"
run ttl.sh sh "$top/regress/ttl.sh"
run privsep.sh sh "$top/regress/privsep.sh"
run supervise.sh sh "$top/regress/supervise.sh"
run hostile_table.sh sh "$top/regress/hostile_table.sh"
run smtpd-6.8 sh "$top/regress/smtpd/smtpd.sh" run 6.8
run smtpd-7.6 sh "$top/regress/smtpd/smtpd.sh" run 7.6
run hostile_server.sh sh "$top/regress/hostile_server.sh"
run mta-proto sh "$top/regress/mta/mta.sh" run proto
run exim sh "$top/regress/mta/mta.sh" run exim
run postfix sh "$top/regress/mta/mta.sh" run postfix
run mta-tlsrpt sh "$top/regress/mta/mta.sh" run tlsrpt

pass=$(grep -c '^ok - ' "$log")
fail=$(grep -c '^not ok - ' "$log")
skip=$(grep -c '^skip - ' "$log")
if [ -z "$REGRESS_NOSUMMARY" ]; then
	if [ "$skip" -gt 0 ]; then
		echo "$pass passed, $fail failed, $skip skipped"
	else
		echo "$pass passed, $fail failed"
	fi
fi
[ "$fail" -eq 0 ]

#!/bin/sh
# relay.sh - what the verifying relay costs: messages per second and
# added latency of a 10 KiB message through smtpd -> relay -> MX host,
# against smtpd -> MX host with smtpd's own "relay tls", on the hermetic
# network of regress/net/net.sh with the SMTP sink behind the MX hosts.
# Not a test: it prints numbers.  Root, like regress/smtpd/smtpd.sh,
# whose harness it runs in (phase "bench").
#
# usage: sh bench/relay.sh [VERSION [N]]	(default 6.8, 400 messages)
# env:   BENCH_RELAY_ALONE  messages sent one at a time (default 50)
#
# Each set-up gets a warm-up of 20 messages (verdict, TLS sessions of
# smtpd), then 50 messages one at a time (the latency of a message
# alone: "-alone"), then N messages over 4 SMTP sessions at once (the
# rate under load, where the latency is mostly smtpd's queue), to
# stsok.v.example: an enforce domain whose one MX host is valid under
# the test CA, which both set-ups deliver to.  The relay also to
# ee.v.example (DANE-EE), which smtpd alone cannot deliver to.  "hop"
# times the relay without smtpd: end of DATA to 250 through the relay,
# against straight to the MX host (relay_load.py).

if [ -z "${BENCH_RELAY_SOURCED:-}" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	BENCH_RELAY_N=${2:-400} exec sh "$top/regress/smtpd/smtpd.sh" run \
	    "${1:-6.8}" bench
fi

# bench_load TAG RCPT N [P]: relay_load.py against smtpd, from the
# sender, over P sessions (default 4; 0: one message at a time).
bench_load() {
	nsx python3 "$top/bench/relay_load.py" "$SUBMIT_IP" "$2" "$3" \
	    "${4:-4}" 10240 "$dir/smtp/events.jsonl" "$1"
}

# bench_alone TAG RCPT: BENCH_RELAY_ALONE (default 50) messages one at
# a time; none with 0.
bench_alone() {
	[ "${BENCH_RELAY_ALONE:-50}" -gt 0 ] || return 0
	bench_load "$1" "$2" "${BENCH_RELAY_ALONE:-50}" 0
}

# bench_rss PATTERN: resident kilobytes of the namespace's processes
# whose command line holds PATTERN.
bench_rss() {
	br_t=0
	for br_p in $(pids_matching "$1"); do
		br_k=$(awk '/^VmRSS:/ { print $2 }' "/proc/$br_p/status" 2>/dev/null)
		br_t=$((br_t + ${br_k:-0}))
	done
	echo "$br_t"
}

# bench_memory: the resident memory of the front and the network
# process at rest and at its peak while 16 transactions of 4 MiB each
# go through the relay at once (straight, without smtpd's queue).
bench_memory() {
	bm_all=$(pids_matching "$FM filter" | tr "\n" " ")
	bm_front= bm_net=
	for bm_p in $bm_all; do
		bm_pp=$(ps -o ppid= -p "$bm_p" | tr -d ' ')
		bm_ppp=$(ps -o ppid= -p "$bm_pp" | tr -d ' ')
		case " $bm_all " in
		*" $bm_pp "*)
			case " $bm_all " in *" $bm_ppp "*) bm_net=$bm_p ;; esac ;;
		*)	bm_front=$bm_p ;;
		esac
	done
	[ -n "$bm_front" ] && [ -n "$bm_net" ] || {
		echo "# memory: processes not found"
		return
	}
	bm_f0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bm_front/status")
	bm_n0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bm_net/status")
	# the peaks from now on
	echo 5 >"/proc/$bm_front/clear_refs"
	echo 5 >"/proc/$bm_net/clear_refs"
	nsx python3 - <<'EOP'
import smtplib, threading
body = ("x" * 76 + "\r\n") * (4 * 1024 * 1024 // 78)
def one(i):
    s = smtplib.SMTP("127.0.0.1", 7672, local_hostname="client.example")
    s.sendmail("sender@sender.example", ["mem%d@stsok.v.example" % i],
               "Subject: mem\r\n\r\n" + body)
    s.quit()
ts = [threading.Thread(target=one, args=(i,)) for i in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
EOP
	bm_f1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$bm_front/status")
	bm_n1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$bm_net/status")
	echo "memory: 16 transactions of 4 MiB at once: front $bm_f0 -> $bm_f1 KiB" \
	    "at most, network process $bm_n0 -> $bm_n1 KiB at most:" \
	    "$(( (bm_f1 - bm_f0 + bm_n1 - bm_n0) / 16 )) KiB per transaction"
}

bench_relay() {
	bn=${BENCH_RELAY_N:-400}
	cat >"$work/direct.conf" <<EOC
listen on $SENDER_IP port 25 hostname $HELO
action "direct" relay tls helo $HELO
match from any for any action "direct"
EOC
	echo "# smtpd $V, $bn messages of 10 KiB each, 4 sessions at once"
	if start_smtpd direct "$work/direct.conf"; then
		bench_load warm-d r@stsok.v.example 20 >/dev/null
		bench_alone direct-alone r@stsok.v.example
		bench_load direct r@stsok.v.example "$bn"
		stop_smtpd
	else
		echo "# direct: smtpd did not start: $smtpd_err"
	fi
	relay_conf >"$work/relay.conf"
	if start_smtpd relay "$work/relay.conf"; then
		bench_load warm-r r@stsok.v.example 20 >/dev/null
		bench_alone relay-sts-alone r@stsok.v.example
		bench_load relay-sts r@stsok.v.example "$bn"
		echo "# filter-mtasts processes after: $(bench_rss "$FM") KiB resident"
		nsx python3 "$top/bench/relay_load.py" hop 127.0.0.1:7672 \
		    "$(nexec getent hosts mx.stsok.v.example | awk '{ print $1 }')" \
		    r@stsok.v.example 200 10240
		bench_load warm-e r@ee.v.example 20 >/dev/null
		bench_alone relay-dane-alone r@ee.v.example
		bench_load relay-dane r@ee.v.example "$bn"
		bench_memory
		stop_smtpd
	else
		echo "# relay: smtpd did not start: $smtpd_err"
	fi
}

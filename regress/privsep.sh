#!/bin/sh
# The process split as the kernel sees it, through /proc: the network
# process holds none of the front's descriptors (listeners, the smtpd
# stream), "ready" comes only once it is up, when it dies the front
# collects it, and on Linux both run under a system call filter that
# refused nothing.  No DNS is needed: nothing here resolves.  Needs root.

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
FILTER_MTASTS=${FILTER_MTASTS:-$top/filter-mtasts/filter-mtasts}
T=privsep

[ "$(id -u)" -eq 0 ] || { echo "skip - $T: not root"; exit 0; }
id _mtasts >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin _mtasts ||
    { echo "skip - $T: cannot create user _mtasts"; exit 0; }

work=$(mktemp -d) || exit 1
chmod 755 "$work"
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

nfail=0
check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $T: $2"
	else
		echo "not ok - $T: $2"
		nfail=$((nfail + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}

# The root zone's KSK as a DS: a valid anchor, never used here.
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
    >"$work/root.ds"

# until SECONDS CMD...: CMD until it succeeds, at most SECONDS.
until_ok() {
	uo_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$uo_end" ] || return 1
		sleep 0.05
	done
}

child_of() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' | head -n 1
}

# Socket inodes and file paths each descriptor of a process refers to.
fd_objects() {
	for fo_f in /proc/"$1"/fd/*; do
		readlink "$fo_f"
	done 2>/dev/null | sort -u
}

# shared FRONT NET: what NET holds that FRONT holds too, but stderr
# and /dev/null.
shared() {
	fd_objects "$1" >"$work/front.fds"
	fd_objects "$2" | grep -v -e '^/dev/null$' -e '^anon_inode:' \
	    >"$work/net.fds"
	sh_err=$(readlink "/proc/$1/fd/2" 2>/dev/null)
	comm -12 "$work/front.fds" "$work/net.fds" | grep -vxF "$sh_err"
}

stdio_null() {
	[ "$(readlink "/proc/$1/fd/0")" = /dev/null ] &&
	    [ "$(readlink "/proc/$1/fd/1")" = /dev/null ]
}

gone() {
	! [ -e "/proc/$1" ] || ! grep -q '^State:' "/proc/$1/status" 2>/dev/null
}

not_zombie_or_gone() {
	[ ! -e "/proc/$1" ]
}

# The system call filter (sandbox-seccomp.c) where the build has one.
case "$(uname -s)/$(uname -m)" in
Linux/x86_64 | Linux/aarch64) seccomp=1 ;;
*) seccomp= ;;
esac

filtered() {
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$1/status" 2>/dev/null
}

# check_filter WHO PID: Seccomp 2 (a filter) in its /proc status.
check_filter() {
	if [ -z "$seccomp" ]; then
		echo "skip - $T: $1: no system call filter on" \
		    "$(uname -s)/$(uname -m)"
		return
	fi
	until_ok 10 filtered "$2"
	check $? "$1 is under a system call filter (Seccomp: 2)" \
	    "$(grep -e Seccomp -e NoNewPrivs "/proc/$2/status" 2>&1)"
}

port=$((20000 + $$ % 20000))

# ---------------------------------------------------------------- daemon

"$FILTER_MTASTS" daemon -a "$work/root.ds" -r 127.0.0.1 -s "$work/state" \
    -l "exim=unix:$work/exim.sock" -l "socketmap=127.0.0.1:$port" \
    2>"$work/daemon.err" &
front=$!
pids="$pids $front"
until_ok 10 grep -q 'ready' "$work/daemon.err"
check $? "daemon: says ready"
spawner=$(child_of "$front")
net=$(child_of "$spawner")
check "$([ -n "$spawner" ] && [ -n "$net" ]; echo $?)" \
    "daemon: has a spawner, and a network process it started"
out=$(shared "$front" "$spawner")
check "$([ -z "$out" ] && stdio_null "$spawner"; echo $?)" \
    "daemon: the spawner holds none of the front's descriptors" "$out"

out=$(shared "$front" "$net")
check "$([ -z "$out" ]; echo $?)" \
    "daemon: the network process holds none of the front's descriptors" \
    "$out"
stdio_null "$net"
check $? "daemon: the network process has /dev/null as stdin and stdout" \
    "$(ls -l /proc/"$net"/fd/ 2>&1)"
fds=$(ls /proc/"$net"/fd | sort -n | tr '\n' ' ')
n=$(fd_objects "$net" | grep -c '^socket:')
check "$([ "$n" -le 3 ]; echo $?)" \
    "daemon: the network process holds at most its link and DNS sockets" \
    "fds: $fds"
check_filter "daemon: the network process" "$net"
check_filter "daemon: the front process" "$front"

kill -9 "$net"
until_ok 10 not_zombie_or_gone "$net"
check $? "daemon: a network process killed is collected, no zombie" \
    "$(grep State "/proc/$net/status" 2>&1)"
until_ok 10 grep -q "network process $net killed by signal 9" \
    "$work/daemon.err"
check $? "daemon: its end is logged with the signal" "$(cat "$work/daemon.err")"
until_ok 10 grep -q "network process [0-9]* started" "$work/daemon.err"
net2=$(child_of "$spawner")
until_ok 10 sh -c "[ \"\$(readlink /proc/$net2/root)\" = '$work/state' ]"
check "$([ -n "$net2" ] && [ "$net2" != "$net" ] && stdio_null "$net2" &&
    [ -z "$(shared "$front" "$net2")" ] &&
    [ "$(readlink "/proc/$net2/root")" = "$work/state" ] &&
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$net2/status")" = \
    "$(id -u _mtasts)" ]; echo $?)" \
    "daemon: another network process replaces it, as confined (chroot, user)" \
    "$(cat "$work/daemon.err")"
kill "$front" 2>/dev/null
wait "$front" 2>/dev/null
! grep -q 'refused by the sandbox' "$work/daemon.err"
check $? "daemon: no system call refused by the sandbox" \
    "$(grep 'refused by the sandbox' "$work/daemon.err")"

# A network process that cannot start: an error, never "ready".
"$FILTER_MTASTS" daemon -a "$work/nonexistent" -r 127.0.0.1 \
    -s "$work/state" -l "exim=unix:$work/exim2.sock" \
    2>"$work/bad.err" &
bad=$!
pids="$pids $bad"
until_ok 10 gone "$bad"
wait "$bad"
rc=$?
check "$([ $rc -eq 1 ] && ! grep -q ready "$work/bad.err"; echo $?)" \
    "daemon: with a bad trust anchor, exit 1 and no ready" \
    "status $rc: $(cat "$work/bad.err")"

# ---------------------------------------------------------------- filter

# smtpd's end of the filter stream: a fifo held open, never written.
mkfifo "$work/in"
exec 7<>"$work/in"
"$FILTER_MTASTS" filter -a "$work/root.ds" -r 127.0.0.1 -s "$work/state" \
    -S "$work/run/table.sock" <"$work/in" >"$work/out" 2>"$work/filter.err" &
front=$!
pids="$pids $front"
until_ok 10 sh -c "[ -n \"\$(ps -o pid= --ppid \$(ps -o pid= --ppid $front))\" ]"
net=$(child_of "$(child_of "$front")")
until_ok 10 sh -c "[ \"\$(readlink /proc/$net/fd/0)\" = /dev/null ]"
out=$(shared "$front" "$net")
check "$([ -n "$net" ] && [ -z "$out" ]; echo $?)" \
    "filter: the network process holds none of the front's descriptors" \
    "$out"
stdio_null "$net"
check $? "filter: the network process is off the smtpd stream (stdin, stdout)" \
    "$(ls -l /proc/"$net"/fd/ 2>&1)"
check_filter "filter: the network process" "$net"
check_filter "filter: the front process" "$front"
exec 7>&-
kill "$front" 2>/dev/null
wait "$front" 2>/dev/null
! grep -q 'refused by the sandbox' "$work/filter.err"
check $? "filter: no system call refused by the sandbox" \
    "$(grep 'refused by the sandbox' "$work/filter.err")"

# A line longer than libopensmtpd reads, the stream still open: an
# error that says so, not a silent exit 0.
mkfifo "$work/in2"
exec 8<>"$work/in2"
"$FILTER_MTASTS" filter -a "$work/root.ds" -r 127.0.0.1 -s "$work/state" \
    -S "$work/run/table2.sock" <"$work/in2" >"$work/out2" \
    2>"$work/filter2.err" &
front=$!
pids="$pids $front"
{
	printf 'config|smtpd-version|6.8.0p2\nconfig|subsystem|smtp-in\n'
	printf 'config|ready\n'
	printf 'filter|0.6|1795353198.480009|smtp-in|rcpt-to|d21b8ee0e0e91e19|'
	printf 'dbfcdf4137a4b751|a@'
	head -c 70000 /dev/zero | tr '\0' x
	printf '.example\n'
} >&8 &
pids="$pids $!"
until_ok 10 gone "$front"
wait "$front"
rc=$?
check "$([ $rc -eq 1 ] && grep -q 'longer than libopensmtpd reads' \
    "$work/filter2.err"; echo $?)" \
    "filter: a line over 64 KB from smtpd: exit 1, saying why" \
    "status $rc: $(cat "$work/filter2.err")"
exec 8>&-

[ "$nfail" -eq 0 ]

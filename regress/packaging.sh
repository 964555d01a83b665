#!/bin/sh
# The packages: the OpenBSD port skeleton in packaging/openbsd and the
# Debian package in debian/.
#	sh regress/packaging.sh [port] [deb]	(both when none is named)
# port: lints the skeleton and checks its PLIST both ways against a
#	"bmake install DESTDIR=" tree built with the port's MAKE_FLAGS.
# deb:	builds the .deb from a copy of the tree, unpacks it into a
#	throw-away root and runs the installed program; checks dpkg -c,
#	the unit (systemd-analyze verify, and the daemon started with
#	exactly the unit's capabilities), the maintainer scripts (sh -n and
#	a dry run under DPKG_ROOT with stubs) and lintian.
# Each check prints "ok - packaging: ...", "not ok - ..." or "skip - ...".

set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
T=packaging
port=$top/packaging/openbsd/mail/opensmtpd-filters/mtasts
# OpenBSD's smtpd runs filters and table backends from its PATH_LIBEXEC.
OBSD_LIBEXEC=/usr/local/libexec/smtpd
DEB_LIBEXEC=/usr/libexec/opensmtpd
USER_=$(sed -n 's/^#define PRIVSEP_USER[[:space:]]*"\(.*\)"/\1/p' \
    "$top/filter-mtasts/extern.h")

work=$(mktemp -d) || exit 1
chmod 755 "$work"
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

nfail=0
# check STATUS NAME [WHY]: one check line; WHY is shown on failure.
check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $T: $2"
	else
		echo "not ok - $T: $2"
		nfail=$((nfail + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}

skip() {
	echo "skip - $T: $1"
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# until_ok SECONDS CMD...: CMD until it succeeds, at most SECONDS.
until_ok() {
	uo_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$uo_end" ] || return 1
		sleep 0.05
	done
}

# copy_tree DIR: the sources without .git, cleaned.
copy_tree() {
	mkdir -p "$1"
	(cd "$top" && tar --exclude=.git -cf - .) | (cd "$1" && tar xf -)
	make -C "$1" clean >/dev/null 2>&1
}

# The root zone's KSK as a DS: a valid anchor, never used here.
echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' \
    >"$work/root.ds"

# smtpd_lines FILE: the smtpd.conf lines a README shows that the
# manual must show word for word (the table, listen, action and match
# lines; the filter line and the aliases path differ by system).
smtpd_lines() {
	sed -n 's/^[[:space:]]*\(table mtasts .*\)$/\1/p
	    s/^[[:space:]]*\(listen on .*\)$/\1/p
	    s/^[[:space:]]*\(action "[a-z]*" .*\)$/\1/p
	    s/^[[:space:]]*\(match from .*\)$/\1/p' "$1"
}

# readme_matches_man FILE: every such line is in a manual page.
readme_matches_man() {
	rm_missing=
	rm_n=0
	while IFS= read -r rm_l; do
		rm_n=$((rm_n + 1))
		# a continued line: mdoc writes its backslash \e
		case $rm_l in
		*\\) rm_l="${rm_l%?}\\e" ;;
		esac
		cat "$top"/man/* | grep -qxF "$rm_l" ||
		    rm_missing="$rm_missing$rm_l
"
	done <<EOF
$(smtpd_lines "$1")
EOF
	[ "$rm_n" -ge 8 ] && [ -z "$rm_missing" ] && return 0
	printf '%d lines; not in man/*:\n%s' "$rm_n" "$rm_missing"
	return 1
}

# ------------------------------------------------------------ port

# portvar NAME: the value of NAME as the port's Makefile sets it, with
# the variables bsd.port.mk would give it (empty stubs stand in for it
# and for sys.mk).
portvar() {
	bmake -m "$work/mk" -f "$port/Makefile" PREFIX=/usr/local \
	    TRUEPREFIX=/usr/local LOCALBASE=/usr/local CC=cc \
	    CFLAGS="-O2 -pipe" -v "$1" 2>/dev/null
}

port_makefile() {
	pm_why=
	for pm_v in COMMENT V FILTER_NAME DISTNAME CATEGORIES HOMEPAGE \
	    PERMIT_PACKAGE WANTLIB LIB_DEPENDS MAKE_FLAGS; do
		grep -Eq "^$pm_v[[:space:]]*\+?=" "$port/Makefile" ||
		    pm_why="$pm_why $pm_v"
	done
	check "$([ -z "$pm_why" ]; echo $?)" \
	    "port Makefile sets the variables of a port" "missing:$pm_why"
	pm_last=$(grep -v '^[[:space:]]*$' "$port/Makefile" | tail -n 1)
	check "$([ "$pm_last" = '.include <bsd.port.mk>' ]; echo $?)" \
	    "port Makefile ends with .include <bsd.port.mk>" "$pm_last"
	check "$(grep -B1 '^PERMIT_PACKAGE' "$port/Makefile" |
	    grep -qx '# ISC'; echo $?)" \
	    "port Makefile: # ISC above PERMIT_PACKAGE"

	pm_c=$(portvar COMMENT)
	pm_why=
	[ "${#pm_c}" -le 60 ] || pm_why="longer than 60 characters"
	echo "$pm_c" | grep -Eqi '^(a|an|the) ' && pm_why="begins with an article"
	case $pm_c in *.) pm_why="ends with a period" ;; '') pm_why=empty ;; esac
	check "$([ -z "$pm_why" ]; echo $?)" "port COMMENT: $pm_c" "$pm_why"

	pm_w=" $(portvar WANTLIB) "
	pm_d=" $(portvar LIB_DEPENDS) "
	pm_why=
	for pm_l in c opensmtpd tls unbound event_core; do
		case $pm_w in *" $pm_l "*) ;; *) pm_why="$pm_why WANTLIB:$pm_l" ;; esac
	done
	for pm_l in mail/opensmtpd-filters/libopensmtpd net/libunbound \
	    devel/libevent2; do
		case $pm_d in *" $pm_l "*) ;; *) pm_why="$pm_why LIB_DEPENDS:$pm_l" ;; esac
	done
	check "$([ -z "$pm_why" ]; echo $?)" \
	    "port WANTLIB and LIB_DEPENDS name libopensmtpd, libunbound, libevent2, libtls" \
	    "missing:$pm_why"

	pm_why=
	for pm_v in PREFIX= BINDIR= SMTPD_LIBEXEC= MANDIR= STATEDIR= CC=; do
		case " $flags" in *" $pm_v"*) ;; *) pm_why="$pm_why $pm_v" ;; esac
	done
	check "$([ -z "$pm_why" ]; echo $?)" \
	    "port MAKE_FLAGS pass PREFIX, BINDIR, SMTPD_LIBEXEC, MANDIR, STATEDIR, CC" \
	    "missing:$pm_why"
}

port_files() {
	pf_dn=$(portvar DISTNAME)
	pf_why=$(awk -v f="$pf_dn.tar.gz" '
	    $1 == "SHA256" && $2 == "(" f ")" && $3 == "=" && NF == 4 { s++ }
	    $1 == "SIZE" && $2 == "(" f ")" && $3 == "=" && $4 ~ /^[0-9]+$/ { z++ }
	    END { if (s != 1 || z != 1 || NR != 2) print "malformed" }
	    ' "$port/distinfo")
	check "$([ -z "$pf_why" ]; echo $?)" \
	    "port distinfo: SHA256 and SIZE of $pf_dn.tar.gz" "$pf_why"
	pf_long=$(awk 'length > 80' "$port/pkg/DESCR")
	check "$([ -s "$port/pkg/DESCR" ] && [ -z "$pf_long" ]; echo $?)" \
	    "port pkg/DESCR: present, lines of at most 80 characters" "$pf_long"
	pf_why=$(readme_matches_man "$port/pkg/README")
	check $? "port pkg/README: its smtpd.conf lines are the manual's" \
	    "$pf_why"
	check "$(grep -q 'user root' "$port/pkg/README" &&
	    grep -q '/var/log/maillog' "$port/pkg/README"; echo $?)" \
	    "port pkg/README: the filter runs as root; the logs are in /var/log/maillog"
}

# port_install: the tree built and installed as the port does.
port_install() {
	copy_tree "$work/port-src"
	pi_dest=$work/port-dest
	eval "bmake -C \"\$work/port-src\" install DESTDIR=\"\$pi_dest\" $flags" \
	    >"$work/port-install.log" 2>&1
	pi_rc=$?
	check "$pi_rc" "bmake install DESTDIR= with the port's MAKE_FLAGS" \
	    "$(tail -n 20 "$work/port-install.log")"
	return "$pi_rc"
}

is_elf() {
	[ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# plist_walk: each PLIST entry checked against the install tree; the
# files it lists go to $work/plist.files.
plist_walk() {
	pw_pre=$work/port-dest/usr/local
	pw_why=
	pw_owner= pw_mode=
	pw_uid= pw_gid=
	: >"$work/plist.files"
	while IFS= read -r pw_l; do
		case $pw_l in
		@comment*)
			;;
		"@newgroup "*)
			pw_gid=${pw_l#@newgroup }
			[ "${pw_gid%%:*}" = "$USER_" ] ||
			    pw_why="$pw_why; group ${pw_gid%%:*} is not $USER_"
			pw_gid=${pw_gid#*:}
			;;
		"@newuser "*)
			pw_u=${pw_l#@newuser }
			echo "$pw_u" | awk -F: -v u="$USER_" '
			    NF == 7 && $1 == u && $2 ~ /^[0-9]+$/ && $2 == $3 &&
			    $4 == "daemon" && $7 == "/sbin/nologin" { ok = 1 }
			    END { exit !ok }' ||
			    pw_why="$pw_why; bad @newuser $pw_u"
			pw_uid=$(echo "$pw_u" | cut -d: -f2)
			;;
		"@rcscript \${RCDIR}/"*)
			[ -f "$port/pkg/${pw_l##*/}.rc" ] ||
			    pw_why="$pw_why; no pkg/${pw_l##*/}.rc"
			;;
		"@mode"*) pw_mode=${pw_l#@mode} pw_mode=${pw_mode# } ;;
		"@owner"*) pw_owner=${pw_l#@owner} pw_owner=${pw_owner# } ;;
		"@group"*) ;;
		"@sample /"*/)
			# Made by pkg_add: the state directory, the user's.
			[ "${pw_l#@sample }" = "$statedir/" ] &&
			    [ "$pw_owner" = "$USER_" ] && [ "$pw_mode" = 0700 ] ||
			    pw_why="$pw_why; @sample ${pw_l#@sample } (mode $pw_mode, owner $pw_owner) is not STATEDIR $statedir/ (0700, $USER_)"
			;;
		"@extraunexec "*)
			# pkg_delete -c: the cache, nothing else.
			[ "$pw_l" = "@extraunexec rm -rf $statedir/*" ] ||
			    pw_why="$pw_why; $pw_l"
			;;
		"@bin "*)
			is_elf "$pw_pre/${pw_l#@bin }" ||
			    pw_why="$pw_why; @bin ${pw_l#@bin }: no executable"
			echo "${pw_l#@bin }" >>"$work/plist.files"
			;;
		"@man "*)
			[ -f "$pw_pre/${pw_l#@man }" ] ||
			    pw_why="$pw_why; @man ${pw_l#@man }: not installed"
			echo "${pw_l#@man }" >>"$work/plist.files"
			;;
		'share/doc/pkg-readmes/${PKGSTEM}')
			[ -f "$port/pkg/README" ] || pw_why="$pw_why; no pkg/README"
			;;
		@*)
			pw_why="$pw_why; unknown entry $pw_l"
			;;
		*/)
			[ -d "$pw_pre/$pw_l" ] || pw_why="$pw_why; $pw_l: no directory"
			;;
		*)
			[ -f "$pw_pre/$pw_l" ] || pw_why="$pw_why; $pw_l: not installed"
			echo "$pw_l" >>"$work/plist.files"
			;;
		esac
	done <"$port/pkg/PLIST"
	[ -n "$pw_uid" ] && [ "$pw_uid" = "$pw_gid" ] ||
	    pw_why="$pw_why; @newuser/@newgroup ids differ or are missing"
	check "$([ -z "$pw_why" ]; echo $?)" \
	    "port PLIST: every entry is in the install tree" "${pw_why#; }"
}

# port_mans: every page of man/, whatever pages there are, installed in
# man/man<section>/ and listed by the PLIST as @man.
port_mans() {
	pn_why=
	for pn_p in "$top"/man/*.[1-9]; do
		pn_m=man/man${pn_p##*.}/${pn_p##*/}
		[ -f "$work/port-dest/usr/local/$pn_m" ] ||
		    pn_why="$pn_why; $pn_m: not installed"
		grep -qxF "@man $pn_m" "$port/pkg/PLIST" ||
		    pn_why="$pn_why; $pn_m: not in the PLIST"
	done
	check "$([ -z "$pn_why" ]; echo $?)" \
	    "port: every page of man/ is installed and in the PLIST" \
	    "${pn_why#; }"
}

plist_complete() {
	(cd "$work/port-dest" && find . ! -type d | sed 's|^\./||') |
	    sort >"$work/installed"
	pc_out=$(sed 's|^|usr/local/|' "$work/plist.files" | sort |
	    comm -23 "$work/installed" -)
	check "$([ -z "$pc_out" ]; echo $?)" \
	    "port PLIST: lists every file make install installs" \
	    "not in the PLIST: $pc_out"
}

port_paths() {
	pp_w=$work/port-dest$OBSD_LIBEXEC/table-mtasts
	pp_want=$(printf '#!/bin/sh\nexec %s/filter-mtasts table "$@"' \
	    "$OBSD_LIBEXEC")
	check "$([ "$(cat "$pp_w" 2>/dev/null)" = "$pp_want" ] &&
	    grep -qx "@bin ${OBSD_LIBEXEC#/usr/local/}/filter-mtasts" \
	    "$port/pkg/PLIST"; echo $?)" \
	    "port: table-mtasts in $OBSD_LIBEXEC, where smtpd looks, runs the @bin" \
	    "$(cat "$pp_w" 2>&1)"
	check "$(grep -aqF "$statedir" \
	    "$work/port-dest$OBSD_LIBEXEC/filter-mtasts"; echo $?)" \
	    "port: STATEDIR $statedir is compiled in"
}

port_rc() {
	pr_rc=$port/pkg/mtasts.rc
	sh -n "$pr_rc" 2>/dev/null
	check $? "port rc script: sh -n"
	pr_why=
	[ "$(head -n 1 "$pr_rc")" = '#!/bin/ksh' ] || pr_why="$pr_why; not #!/bin/ksh"
	grep -qx '\. /etc/rc\.d/rc\.subr' "$pr_rc" || pr_why="$pr_why; no rc.subr"
	[ "$(grep -v '^[[:space:]]*$' "$pr_rc" | tail -n 1)" = 'rc_cmd $1' ] ||
	    pr_why="$pr_why; does not end with rc_cmd \$1"
	# A stub rc.subr shows what rc_cmd would be given.
	cat >"$work/rc.subr" <<'EOF'
rc_cmd() {
	printf 'daemon=%s\nflags=%s\nlogger=%s\nbg=%s\nreload=%s\n' \
	    "$daemon" "$daemon_flags" "${daemon_logger:-}" \
	    "${rc_bg:-}" "${rc_reload:-}"
}
EOF
	sed -e "s|/etc/rc.d/rc.subr|$work/rc.subr|" \
	    -e 's|\${TRUEPREFIX}|/usr/local|g' "$pr_rc" >"$work/rc"
	sh "$work/rc" start >"$work/rc.out" 2>&1 || pr_why="$pr_why; it fails"
	pr_d=$(sed -n 's/^daemon=//p' "$work/rc.out")
	[ "$pr_d" = "$OBSD_LIBEXEC/filter-mtasts daemon" ] ||
	    pr_why="$pr_why; daemon=$pr_d"
	is_elf "$work/port-dest${pr_d%% *}" ||
	    pr_why="$pr_why; ${pr_d%% *} is not installed"
	grep -q '^flags=.*-l ' "$work/rc.out" || pr_why="$pr_why; no -l in daemon_flags"
	grep -qx 'bg=YES' "$work/rc.out" || pr_why="$pr_why; rc_bg is not YES"
	grep -qx 'logger=mail\.[a-z]*' "$work/rc.out" ||
	    pr_why="$pr_why; daemon_logger is not mail.*"
	check "$([ -z "$pr_why" ]; echo $?)" \
	    "port rc script: daemon, daemon_flags -l, rc_bg=YES, logger, rc_cmd" \
	    "${pr_why#; }"
}

do_port() {
	if ! have bmake; then
		skip "the port: bmake not installed"
		return
	fi
	mkdir -p "$work/mk"
	: >"$work/mk/sys.mk"
	: >"$work/mk/bsd.port.mk"
	flags=$(portvar MAKE_FLAGS)
	statedir=$(eval "set -- $flags"; for a; do
	    case $a in STATEDIR=*) echo "${a#STATEDIR=}" ;; esac; done)
	port_makefile
	port_files
	port_install || return
	plist_walk
	plist_complete
	port_mans
	port_paths
	port_rc
}

# ------------------------------------------------------------ deb

deb_build() {
	copy_tree "$work/deb/src"
	db_t0=$(date +%s)
	(cd "$work/deb/src" && dpkg-buildpackage -us -uc -b) \
	    >"$work/deb/build.log" 2>&1
	db_rc=$?
	deb=$(ls "$work"/deb/filter-mtasts_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || db_rc=1
	check "$db_rc" \
	    "dpkg-buildpackage -us -uc -b builds the .deb ($(($(date +%s) - db_t0)) s)" \
	    "$(tail -n 30 "$work/deb/build.log")"
	return "$db_rc"
}

# What dpkg -c must list, with modes and owners.
deb_contents() {
	dpkg -c "$deb" | awk '{ print $1, $2, $NF }' >"$work/deb/contents"
	dc_why=
	for dc_p in "-rwxr-xr-x root/root ./usr/sbin/filter-mtasts" \
	    "-rwxr-xr-x root/root .$DEB_LIBEXEC/table-mtasts" \
	    "-rw-r--r-- root/root ./lib/systemd/system/filter-mtasts.service" \
	    "-rw-r--r-- root/root ./etc/default/filter-mtasts" \
	    "-rw-r--r-- root/root ./usr/share/doc/filter-mtasts/copyright" \
	    "-rw-r--r-- root/root ./usr/share/doc/filter-mtasts/README.Debian"
	do
		grep -qxF -- "$dc_p" "$work/deb/contents" ||
		    dc_why="$dc_why; $dc_p"
	done
	# Every manual page of man/, whatever pages there are.
	for dc_m in "$top"/man/*.[1-9]; do
		dc_b=${dc_m##*/}
		grep -q " \./usr/share/man/man${dc_b##*.}/$dc_b\.gz$" \
		    "$work/deb/contents" || dc_why="$dc_why; man page $dc_b"
	done
	check "$([ -z "$dc_why" ]; echo $?)" \
	    "dpkg -c: program, table wrapper, man pages, unit, defaults, docs" \
	    "missing: ${dc_why#; }"
	dc_cf=$(dpkg-deb -I "$deb" conffiles)
	check "$([ "$dc_cf" = /etc/default/filter-mtasts ]; echo $?)" \
	    "conffiles: /etc/default/filter-mtasts only" "$dc_cf"
}

deb_run() {
	root=$work/deb/root
	dpkg -x "$deb" "$root"
	dr_out=$("$root/usr/sbin/filter-mtasts" query -a "$work/root.ds" \
	    -r 127.0.0.1 -s "$work/deb/qstate" '[192.0.2.1]' 2>&1)
	check "$([ "$(echo "$dr_out" | head -n 1)" = '[192.0.2.1]: none' ]
	    echo $?)" "the installed filter-mtasts answers query '[192.0.2.1]'" \
	    "$dr_out"
	dr_w=$root$DEB_LIBEXEC/table-mtasts
	dr_want=$(printf '#!/bin/sh\nexec /usr/sbin/filter-mtasts table "$@"')
	# Run from the throw-away root: table exits at once on a stdin
	# that is not a socket.
	sed "s|/usr/sbin/|$root/usr/sbin/|" "$dr_w" >"$work/deb/table"
	dr_out=$(sh "$work/deb/table" </dev/null 2>&1)
	dr_rc=$?
	check "$([ "$(cat "$dr_w")" = "$dr_want" ] && [ $dr_rc -eq 0 ] &&
	    [ -z "$dr_out" ]; echo $?)" \
	    "the installed table-mtasts runs /usr/sbin/filter-mtasts table" \
	    "$(cat "$dr_w"; echo "status $dr_rc: $dr_out")"
	readme_matches_man "$root/usr/share/doc/filter-mtasts/README.Debian" \
	    >"$work/deb/readme" 
	check $? "README.Debian: its smtpd.conf lines are the manual's" \
	    "$(cat "$work/deb/readme")"
}

unit=
deb_unit() {
	unit=$root/lib/systemd/system/filter-mtasts.service
	du_why=
	for du_l in 'ExecStart=/usr/sbin/filter-mtasts daemon $DAEMON_ARGS' \
	    'EnvironmentFile=-/etc/default/filter-mtasts' \
	    NoNewPrivileges=yes ProtectSystem=strict \
	    ReadWritePaths=/var/lib/filter-mtasts \
	    RuntimeDirectory=filter-mtasts \
	    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	    'SystemCallFilter=@system-service chroot' \
	    PrivateTmp=yes PrivateDevices=yes ProtectHome=yes \
	    AmbientCapabilities=; do
		grep -qxF "$du_l" "$unit" || du_why="$du_why; $du_l"
	done
	grep -aqF /var/lib/filter-mtasts "$root/usr/sbin/filter-mtasts" ||
	    du_why="$du_why; STATEDIR is not /var/lib/filter-mtasts"
	check "$([ -z "$du_why" ]; echo $?)" \
	    "the unit is confined, its writable path the compiled-in STATEDIR" \
	    "missing: ${du_why#; }"
	if ! have systemd-analyze; then
		skip "systemd-analyze verify: systemd not installed"
		return
	fi
	# No systemd runs here: verify in a root with the unit, the
	# program, its manual page and the host's own units.
	du_r=$work/deb/vroot
	cp -a "$root" "$du_r"
	cp -an /lib/systemd/system/. "$du_r/lib/systemd/system/" 2>/dev/null
	du_out=$(MANPATH=$du_r/usr/share/man systemd-analyze verify \
	    --root="$du_r" /lib/systemd/system/filter-mtasts.service 2>&1)
	check "$([ $? -eq 0 ] && [ -z "$du_out" ]; echo $?)" \
	    "systemd-analyze verify filter-mtasts.service: nothing to say" \
	    "$du_out"
}

# daemon_start CAPS: the installed daemon started as root the way the
# unit starts it: that bounding set, no new privileges, the state
# directory as postinst leaves it.  Sets dpid and dlog.
daemon_start() {
	dlog=$work/deb/daemon.$1.log
	rm -rf "$work/deb/state" "$work/deb/run"
	install -d -m 0700 -o "$USER_" -g "$USER_" "$work/deb/state"
	setpriv --no-new-privs --inh-caps=-all --bounding-set="-all,$1" -- \
	    "$root/usr/sbin/filter-mtasts" daemon -a "$work/root.ds" \
	    -r 127.0.0.1 -s "$work/deb/state" \
	    -l "socketmap=unix:$work/deb/run/sm.sock" 2>"$dlog" &
	dpid=$!
	pids="$pids $dpid"
}

ready() {
	grep -q 'ready' "$dlog"
}

exited() {
	! kill -0 "$dpid" 2>/dev/null
}

socketmap_ask() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
q = b"postfix [192.0.2.1]"
s.sendall(b"%d:%s," % (len(q), q))
got = b""
while not got.endswith(b","):
    d = s.recv(64)
    if not d:
        break
    got += d
print(got.decode())
EOF
}

deb_caps() {
	if [ "$(id -u)" -ne 0 ] || ! have setpriv; then
		skip "the daemon under the unit's capabilities: not root, or no setpriv"
		return
	fi
	id "$USER_" >/dev/null 2>&1 ||
	    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$USER_" ||
	    { skip "the unit's capabilities: cannot create $USER_"; return; }
	dc_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" |
	    tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	daemon_start "$dc_caps"
	until_ok 10 ready
	dc_r=$?
	dc_ans=
	if [ $dc_r -eq 0 ] && have python3; then
		dc_ans=$(socketmap_ask "$work/deb/run/sm.sock" 2>&1)
		[ "$dc_ans" = '9:NOTFOUND ,' ] || dc_r=1
	fi
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	check "$dc_r" \
	    "the installed daemon starts and answers with the unit's bounding set ($dc_caps)" \
	    "$(cat "$dlog"; echo "socketmap: $dc_ans")"
	# Each capability is needed: without it the daemon stops at start.
	dc_extra=
	for dc_c in $(echo "$dc_caps" | tr ',' ' '); do
		daemon_start "$(echo ",$dc_caps," | sed "s/,$dc_c,/,/; s/^,//; s/,\$//")"
		if until_ok 10 exited && ! ready; then
			:
		else
			dc_extra="$dc_extra $dc_c"
			kill "$dpid" 2>/dev/null
		fi
		wait "$dpid" 2>/dev/null
	done
	check "$([ -z "$dc_extra" ]; echo $?)" \
	    "the daemon fails to start without any one of them" \
	    "not needed:$dc_extra"
}

# A dry run of the maintainer scripts: DPKG_ROOT puts the state
# directory under $work; stubs log what adduser, chown and the others
# are asked to do, and getent says whether the user exists.
deb_scripts() {
	ds=$work/deb/ctl
	dpkg -e "$deb" "$ds"
	ds_why=
	for ds_s in "$ds"/postinst "$ds"/postrm "$ds"/prerm; do
		[ -f "$ds_s" ] || continue
		sh -n "$ds_s" 2>/dev/null || ds_why="$ds_why ${ds_s##*/}"
	done
	check "$([ -z "$ds_why" ]; echo $?)" "maintainer scripts: sh -n" \
	    "fail:$ds_why"

	ds_stub=$work/deb/stub
	mkdir -p "$ds_stub" "$work/deb/droot/var/lib"
	for ds_c in adduser deluser delgroup chown dpkg-statoverride \
	    deb-systemd-helper deb-systemd-invoke systemctl; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$ds_c" \
		    "$work/deb/calls" >"$ds_stub/$ds_c"
	done
	# No statoverride: --list finds nothing.  A first install, as
	# deb-systemd-helper sees it: no state of the unit yet, which
	# was-enabled takes for enabled.
	echo 'exit 1' >>"$ds_stub/dpkg-statoverride"
	cat >>"$ds_stub/deb-systemd-helper" <<'EOF'
case "$*" in *debian-installed*) exit 1 ;; esac
EOF
	printf '#!/bin/sh\n[ -f "%s" ]\n' "$work/deb/user" >"$ds_stub/getent"
	chmod +x "$ds_stub"/*
	ds_sd=$work/deb/droot/var/lib/filter-mtasts

	: >"$work/deb/calls"
	ds_run postinst configure
	ds_why=
	grep -q "^adduser --system --group .* $USER_\$" "$work/deb/calls" ||
	    ds_why="$ds_why; no adduser --system --group $USER_"
	grep -qx "chown $USER_:$USER_ $ds_sd" "$work/deb/calls" ||
	    ds_why="$ds_why; the state directory is not given to $USER_"
	[ "$(stat -c %a "$ds_sd" 2>/dev/null)" = 700 ] ||
	    ds_why="$ds_why; no state directory of mode 0700"
	grep -q '^deb-systemd-helper enable\|^deb-systemd-invoke start' \
	    "$work/deb/calls" && ds_why="$ds_why; the unit is enabled or started"
	check "$([ -z "$ds_why" ]; echo $?)" \
	    "postinst configure: adds $USER_, makes its 0700 state directory, does not start the unit" \
	    "${ds_why#; }
$(sed 's/^/  /' "$work/deb/calls")"

	touch "$work/deb/user"
	: >"$work/deb/calls"
	ds_run postinst configure 0.1
	check "$(! grep -q '^adduser' "$work/deb/calls"; echo $?)" \
	    "postinst configure again: the user exists, no adduser"

	: >"$work/deb/calls"
	ds_run postrm purge
	ds_why=
	[ -e "$ds_sd" ] && ds_why="$ds_why; the state directory is still there"
	grep -q "^deluser --system .*$USER_\$" "$work/deb/calls" ||
	    ds_why="$ds_why; no deluser --system $USER_"
	check "$([ -z "$ds_why" ]; echo $?)" \
	    "postrm purge: removes the state directory and $USER_" "${ds_why#; }"
}

# ds_run SCRIPT ARGS...: a maintainer script, in the dry run.
ds_run() {
	ds_n=$1
	shift
	DPKG_ROOT=$work/deb/droot PATH=$ds_stub:$PATH sh "$ds/$ds_n" "$@" \
	    >>"$work/deb/calls" 2>&1 ||
	    echo "$ds_n $*: status $?" >>"$work/deb/calls"
}

# Tags tolerated, each with its reason (none now).
LINTIAN_TOLERATED=""

deb_lintian() {
	if ! have lintian; then
		skip "lintian: not installed"
		return
	fi
	lintian --pedantic -I -E "$deb" >"$work/deb/lintian" 2>&1
	dl_bad=$(grep '^[EW]: ' "$work/deb/lintian" |
	    awk -v ok=" $LINTIAN_TOLERATED " '
	    { t = $3; if (index(ok, " " t " ") == 0) print }')
	sed 's/^/# lintian: /' "$work/deb/lintian"
	check "$([ -z "$dl_bad" ]; echo $?)" \
	    "lintian: no error or warning but the tolerated ($LINTIAN_TOLERATED)" \
	    "$dl_bad"
}

do_deb() {
	if ! have dpkg-buildpackage || ! have dh; then
		skip "the Debian package: dpkg-dev or debhelper not installed"
		return
	fi
	mkdir -p "$work/deb"
	deb_build || return
	deb_contents
	deb_run
	deb_unit
	deb_caps
	deb_scripts
	deb_lintian
}

[ $# -gt 0 ] || set -- port deb
for what; do
	case $what in
	port) do_port ;;
	deb) do_deb ;;
	*) echo "usage: sh regress/packaging.sh [port] [deb]" >&2; exit 2 ;;
	esac
done
[ "$nfail" -eq 0 ]

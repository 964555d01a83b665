#!/bin/sh
# The whole suite, as CI runs it: each build variant in its own copy of
# the tree, then the counts of every check.  Ends with
# "N passed, M failed[, K skipped]".

top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
log=$work/log
trap 'rm -rf "$work"' EXIT

say() {
	echo "$1" | tee -a "$log"
}

# A private copy of the sources, so variants never share objects.
copy_tree() {
	mkdir -p "$work/$1"
	(cd "$top" && tar --exclude=.git -cf - .) | (cd "$work/$1" && tar xf -)
	make -C "$work/$1" clean >/dev/null 2>&1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# variant label cc cflags
variant() {
	label=$1 cc=$2 cflags=$3
	if ! have "$cc"; then
		say "skip - [$label] $cc not installed"
		return
	fi
	copy_tree "$label"
	if ! make -C "$work/$label" CC="$cc" CFLAGS="$cflags" \
	    LDFLAGS="$cflags" all regress-progs >"$work/$label.build" 2>&1; then
		cat "$work/$label.build"
		say "not ok - [$label] build with -Werror"
		return
	fi
	say "ok - [$label] build with -Werror"
	REGRESS_LABEL=$label REGRESS_NOSUMMARY=1 \
	    sh "$work/$label/regress/run.sh" | tee -a "$log"
}

sanitize="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
sanitize="$sanitize -fno-sanitize-recover=all"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

variant gcc gcc "-O2 -g"
variant clang-asan clang "$sanitize"

if have bmake; then
	copy_tree bmake
	if bmake -C "$work/bmake" all >"$work/bmake.log" 2>&1; then
		say "ok - build with BSD make (bmake)"
	else
		cat "$work/bmake.log"
		say "not ok - build with BSD make (bmake)"
	fi
else
	say "skip - build with BSD make: bmake not installed"
fi

if have mandoc; then
	out=$(mandoc -Tlint -Wstyle "$top"/man/* 2>&1)
	if [ -z "$out" ]; then
		say "ok - mandoc -Tlint -Wstyle man/*: clean"
	else
		echo "$out"
		say "not ok - mandoc -Tlint -Wstyle man/*: clean"
	fi
else
	say "skip - mandoc -Tlint: mandoc not installed"
fi

# installed_mans DIR: every page of man/ is in DIR/man<section>/.
installed_mans() {
	for im_p in "$top"/man/*.[1-9]; do
		im_b=${im_p##*/}
		[ -f "$1/man${im_b##*.}/$im_b" ] ||
		    { echo "not installed: man${im_b##*.}/$im_b"; return 1; }
	done
}

dest=$work/dest
if make -C "$work/gcc" install DESTDIR="$dest" PREFIX=/usr/local \
    >"$work/install.log" 2>&1 &&
    [ -x "$dest/usr/local/sbin/filter-mtasts" ] &&
    installed_mans "$dest/usr/local/share/man" >>"$work/install.log"; then
	say "ok - make install DESTDIR PREFIX installs binary and man pages"
else
	cat "$work/install.log"
	say "not ok - make install DESTDIR PREFIX installs binary and man pages"
fi

# The packages, once (not per variant: they build their own copies):
# the OpenBSD port skeleton against a bmake install, the Debian package
# built, unpacked and run.
t0=$(date +%s)
sh "$top/regress/packaging.sh" >"$work/packaging.log" 2>&1
rc=$?
tee -a "$log" <"$work/packaging.log"
if [ $rc -ne 0 ] && ! grep -q '^not ok - ' "$work/packaging.log"; then
	say "not ok - packaging.sh exited with status $rc"
fi
echo "# packaging.sh: $(($(date +%s) - t0)) s"

if ! have clang; then
	say "skip - fuzz smoke run: clang not installed"
elif copy_tree fuzz &&
    make -C "$work/fuzz" fuzz-progs >"$work/fuzz.log" 2>&1; then
	sh "$work/fuzz/regress/fuzz/run.sh" -s | tee -a "$log"
else
	[ -f "$work/fuzz.log" ] && cat "$work/fuzz.log"
	say "not ok - fuzz targets build with -fsanitize=fuzzer"
fi

pass=$(grep -c '^ok - ' "$log")
fail=$(grep -c '^not ok - ' "$log")
skip=$(grep -c '^skip - ' "$log")
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]

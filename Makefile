# filter-mtasts: MTA-STS (RFC 8461) and DANE (RFC 7672) for outbound mail.
# Works with GNU make and BSD make: no conditionals, no pattern rules.

PROG=		filter-mtasts
PREFIX?=	/usr/local
BINDIR?=	${PREFIX}/sbin
MANDIR?=	${PREFIX}/share/man
# Where smtpd looks for table backends (PATH_LIBEXEC): Debian's 6.8
# uses /usr/libexec/opensmtpd, a source build <prefix>/libexec/opensmtpd.
SMTPD_LIBEXEC?=	/usr/libexec/opensmtpd
DESTDIR?=

CC?=		cc
CFLAGS?=	-O2 -g
PKG_CONFIG?=	pkg-config
WARNINGS=	-Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		-Wmissing-prototypes -Wstrict-prototypes
# zlib: gzip of TLS reports (RFC 8460 5), and CRC-32 of their records.
PKGS=		libtls libevent libunbound libcrypto zlib
# The system call sandbox of the processes: pledge(2) on OpenBSD, a
# seccomp filter on Linux where sandbox-seccomp.c knows the system calls,
# otherwise privsep and chroot alone.  make SANDBOX=sandbox-null.o
# builds without.
SANDBOX!=	case "$$(uname -s)/$$(uname -m)" in \
		OpenBSD/*) echo sandbox-pledge.o ;; \
		Linux/x86_64 | Linux/aarch64) echo sandbox-seccomp.o ;; \
		*) echo sandbox-null.o ;; \
		esac
PKG_CFLAGS!=	${PKG_CONFIG} --cflags ${PKGS} 2>/dev/null || true
PKG_LIBS!=	${PKG_CONFIG} --libs ${PKGS} 2>/dev/null || \
		echo "-ltls -levent -lunbound -lcrypto -lz"
LDADD=		-lopensmtpd
STATEDIR?=	/var/lib/filter-mtasts
ALL_CFLAGS=	${CFLAGS} ${WARNINGS} ${PKG_CFLAGS} ${CPPFLAGS} -Ilib -Ifilter-mtasts \
		-D_GNU_SOURCE \
		-DSTATEDIR=\"${STATEDIR}\"

LIB=		lib/libmtasts.a
LIB_OBJS=	lib/abnf.o lib/sts_error.o lib/sts_match.o lib/sts_policy.o \
		lib/sts_record.o lib/dns_wire.o lib/dns.o lib/dane.o \
		lib/http_parse.o lib/fetch.o lib/cache.o lib/resolve.o \
		lib/verdict.o lib/vstore.o lib/tlsrpt_record.o \
		lib/smtp_reply.o lib/smtp_conn.o lib/verify.o \
		lib/smtp_client.o lib/rpt.o lib/rptstore.o \
		lib/rptreport.o lib/rptrecord.o lib/rptdgram.o lib/txtrec.o \
		lib/netconn.o
PARSER_SRCS=	lib/abnf.c lib/sts_error.c lib/sts_match.c lib/sts_policy.c \
		lib/sts_record.c lib/txtrec.c
PROG_OBJS=	filter-mtasts/main.o filter-mtasts/cmd_match.o \
		filter-mtasts/cmd_policy.o filter-mtasts/cmd_record.o \
		filter-mtasts/json.o filter-mtasts/cmd_query.o \
		filter-mtasts/options.o filter-mtasts/log.o \
		filter-mtasts/ipc.o filter-mtasts/vwire.o \
		filter-mtasts/netproc.o filter-mtasts/vcache.o \
		filter-mtasts/tablesrv.o filter-mtasts/tableproto.o \
		filter-mtasts/filter.o \
		filter-mtasts/table.o filter-mtasts/reply.o \
		filter-mtasts/netstring.o filter-mtasts/proto.o \
		filter-mtasts/server.o \
		filter-mtasts/daemon.o filter-mtasts/cmd_exim.o \
		filter-mtasts/spawner.o filter-mtasts/supervise.o \
		filter-mtasts/cmd_check.o filter-mtasts/check_report.o \
		filter-mtasts/rptwire.o filter-mtasts/rptfront.o \
		filter-mtasts/rptsend.o filter-mtasts/cmd_report.o \
		filter-mtasts/relay.o filter-mtasts/relay_smtp.o \
		filter-mtasts/relay_net.o filter-mtasts/${SANDBOX}
REGRESS_PROGS=	regress/test_record regress/test_policy regress/test_match \
		regress/test_http regress/test_dns_wire regress/test_dane \
		regress/test_cache regress/test_vcache regress/test_reply \
		regress/test_fetch regress/test_verify regress/test_smtp \
		regress/verify_send regress/test_sandbox regress/test_rpt \
		regress/test_relay
REGRESS_OBJS=	regress/test_record.o regress/test_policy.o \
		regress/test_match.o regress/test_http.o \
		regress/test_dns_wire.o regress/test_dane.o \
		regress/test_cache.o regress/test_vcache.o regress/test_reply.o \
		regress/regress.o regress/test_fetch.o regress/tlsserv.o \
		regress/test_verify.o regress/test_smtp.o regress/verify_send.o \
		filter-mtasts/rptwire.o filter-mtasts/rptfront.o \
		filter-mtasts/rptsend.o filter-mtasts/cmd_report.o \
		filter-mtasts/relay.o filter-mtasts/relay_smtp.o \
		filter-mtasts/relay_net.o filter-mtasts/${SANDBOX}
FUZZ_PROGS=	regress/fuzz/fuzz_record regress/fuzz/fuzz_policy \
		regress/fuzz/fuzz_match regress/fuzz/fuzz_http \
		regress/fuzz/fuzz_dns_wire regress/fuzz/fuzz_vwire \
		regress/fuzz/fuzz_netstring regress/fuzz/fuzz_ipc \
		regress/fuzz/fuzz_cache regress/fuzz/fuzz_tablesrv \
		regress/fuzz/fuzz_table_text regress/fuzz/fuzz_table_imsg \
		regress/fuzz/fuzz_exim regress/fuzz/fuzz_vstore \
		regress/fuzz/fuzz_smtp_reply regress/fuzz/fuzz_rptdgram \
		regress/fuzz/fuzz_relay regress/fuzz/fuzz_tlsrpt_record
TABLE_FUZZ_SRCS=	filter-mtasts/tableproto.c regress/fuzz/tablestub.c \
		${PARSER_SRCS}
FUZZ_CC?=	clang
FUZZ_FLAGS=	-g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all
FUZZ_SECONDS?=	60
# The program's manual, and one page for each MTA and for the standards.
MAN8=		man/filter-mtasts.8
MAN7=		man/filter-mtasts-exim.7 man/filter-mtasts-opensmtpd.7 \
		man/filter-mtasts-postfix.7 man/filter-mtasts-standards.7
MANS=		${MAN8} ${MAN7}

.SUFFIXES: .c .o
.c.o:
	${CC} ${ALL_CFLAGS} -c $< -o $@

all: filter-mtasts/${PROG}

filter-mtasts/${PROG}: ${PROG_OBJS} ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ ${PROG_OBJS} ${LIB} ${LDADD} \
	    ${PKG_LIBS}

${LIB}: ${LIB_OBJS}
	rm -f $@
	${AR} rcs $@ ${LIB_OBJS}

${LIB_OBJS}: lib/mtasts.h
lib/resolve.o lib/verdict.o: lib/pass.h
${PROG_OBJS}: lib/mtasts.h filter-mtasts/extern.h
filter-mtasts/cmd_check.o filter-mtasts/check_report.o: filter-mtasts/check.h
${REGRESS_OBJS}: lib/mtasts.h regress/regress.h
filter-mtasts/options.o filter-mtasts/filter.o filter-mtasts/table.o: Makefile

regress/test_record: regress/test_record.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_record.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_policy: regress/test_policy.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_policy.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_match: regress/test_match.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_match.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_http: regress/test_http.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_http.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_dns_wire: regress/test_dns_wire.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_dns_wire.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_dane: regress/test_dane.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_dane.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_cache: regress/test_cache.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_cache.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_vcache: regress/test_vcache.o regress/regress.o \
    filter-mtasts/vcache.o filter-mtasts/ipc.o filter-mtasts/vwire.o \
    filter-mtasts/log.o filter-mtasts/reply.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_vcache.o \
	    regress/regress.o filter-mtasts/vcache.o filter-mtasts/ipc.o \
	    filter-mtasts/vwire.o filter-mtasts/log.o filter-mtasts/reply.o \
	    ${LIB} ${PKG_LIBS}
regress/test_vcache.o regress/test_reply.o: filter-mtasts/extern.h
regress/test_relay.o: filter-mtasts/extern.h
regress/test_relay: regress/test_relay.o regress/regress.o \
    filter-mtasts/relay_smtp.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_relay.o \
	    regress/regress.o filter-mtasts/relay_smtp.o ${LIB}
regress/test_reply: regress/test_reply.o regress/regress.o \
    filter-mtasts/reply.o
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_reply.o \
	    regress/regress.o filter-mtasts/reply.o
regress/test_fetch: regress/test_fetch.o regress/tlsserv.o regress/regress.o \
    ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_fetch.o \
	    regress/tlsserv.o regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_fetch.o regress/tlsserv.o: regress/tlsserv.h
regress/test_verify: regress/test_verify.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_verify.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/verify_send: regress/verify_send.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/verify_send.o ${LIB} \
	    ${PKG_LIBS}
regress/test_smtp: regress/test_smtp.o regress/regress.o ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_smtp.o \
	    regress/regress.o ${LIB} ${PKG_LIBS}
regress/test_sandbox: regress/test_sandbox.o regress/regress.o \
    filter-mtasts/${SANDBOX} filter-mtasts/log.o
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_sandbox.o \
	    regress/regress.o filter-mtasts/${SANDBOX} filter-mtasts/log.o
regress/test_sandbox.o: filter-mtasts/extern.h
RPT_FRONT_OBJS=	filter-mtasts/rptwire.o filter-mtasts/rptfront.o \
		filter-mtasts/vcache.o filter-mtasts/ipc.o filter-mtasts/vwire.o \
		filter-mtasts/log.o filter-mtasts/reply.o
regress/test_rpt.o: filter-mtasts/extern.h
regress/test_rpt: regress/test_rpt.o regress/regress.o ${RPT_FRONT_OBJS} \
    ${LIB}
	${CC} ${CFLAGS} ${LDFLAGS} -o $@ regress/test_rpt.o \
	    regress/regress.o ${RPT_FRONT_OBJS} ${LIB} ${PKG_LIBS}

# The suite against the build in this tree.
regress: all regress-progs
	sh regress/run.sh

regress-progs: ${REGRESS_PROGS}

# Everything CI runs: gcc and clang -Werror builds, the suite plain and
# under ASan+UBSan, BSD make, mandoc -Tlint, install, a fuzz smoke run.
test:
	sh regress/all.sh

fuzz: ${FUZZ_PROGS}
	sh regress/fuzz/run.sh ${FUZZ_SECONDS}

regress/fuzz/fuzz_record: regress/fuzz/fuzz_record.c \
    regress/fuzz/fuzzcheck.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_record.c \
	    regress/fuzz/fuzzcheck.c ${PARSER_SRCS}
regress/fuzz/fuzz_tlsrpt_record: regress/fuzz/fuzz_tlsrpt_record.c \
    regress/fuzz/fuzzcheck.c lib/tlsrpt_record.c lib/rptrecord.c \
    ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_tlsrpt_record.c \
	    regress/fuzz/fuzzcheck.c lib/tlsrpt_record.c lib/rptrecord.c \
	    ${PARSER_SRCS}
regress/fuzz/fuzz_policy: regress/fuzz/fuzz_policy.c \
    regress/fuzz/fuzzcheck.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_policy.c \
	    regress/fuzz/fuzzcheck.c ${PARSER_SRCS}
regress/fuzz/fuzz_match: regress/fuzz/fuzz_match.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_match.c \
	    ${PARSER_SRCS}

regress/fuzz/fuzz_http: regress/fuzz/fuzz_http.c lib/http_parse.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_http.c \
	    lib/http_parse.c ${PARSER_SRCS}
regress/fuzz/fuzz_dns_wire: regress/fuzz/fuzz_dns_wire.c lib/dns_wire.c
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_dns_wire.c \
	    lib/dns_wire.c
regress/fuzz/fuzz_vwire: regress/fuzz/fuzz_vwire.c filter-mtasts/vwire.c \
    lib/rpt.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts -o $@ \
	    regress/fuzz/fuzz_vwire.c filter-mtasts/vwire.c lib/rpt.c \
	    ${PARSER_SRCS} ${PKG_LIBS}
regress/fuzz/fuzz_rptdgram: regress/fuzz/fuzz_rptdgram.c lib/rptdgram.c \
    lib/rpt.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -o $@ \
	    regress/fuzz/fuzz_rptdgram.c lib/rptdgram.c lib/rpt.c \
	    ${PARSER_SRCS}

PROTO_SRCS=	filter-mtasts/proto.c filter-mtasts/netstring.c \
		regress/fuzz/fuzzproto.c ${PARSER_SRCS}
regress/fuzz/fuzz_netstring: regress/fuzz/fuzz_netstring.c ${PROTO_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts -o $@ \
	    regress/fuzz/fuzz_netstring.c ${PROTO_SRCS}
regress/fuzz/fuzz_exim: regress/fuzz/fuzz_exim.c ${PROTO_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts -o $@ \
	    regress/fuzz/fuzz_exim.c ${PROTO_SRCS}

regress/fuzz/fuzz_ipc: regress/fuzz/fuzz_ipc.c filter-mtasts/ipc.c
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ifilter-mtasts -o $@ \
	    regress/fuzz/fuzz_ipc.c filter-mtasts/ipc.c ${PKG_LIBS}

regress/fuzz/fuzz_cache: regress/fuzz/fuzz_cache.c lib/cache.c ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -o $@ \
	    regress/fuzz/fuzz_cache.c lib/cache.c ${PARSER_SRCS}

regress/fuzz/fuzz_tablesrv: regress/fuzz/fuzz_tablesrv.c \
    regress/fuzz/tablestub.h filter-mtasts/extern.h ${TABLE_FUZZ_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts \
	    -Iregress/fuzz -o $@ regress/fuzz/fuzz_tablesrv.c ${TABLE_FUZZ_SRCS}
regress/fuzz/fuzz_table_text: regress/fuzz/fuzz_table_text.c \
    regress/fuzz/tablestub.h filter-mtasts/extern.h ${TABLE_FUZZ_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts \
	    -Iregress/fuzz -o $@ regress/fuzz/fuzz_table_text.c \
	    ${TABLE_FUZZ_SRCS}
regress/fuzz/fuzz_table_imsg: regress/fuzz/fuzz_table_imsg.c \
    regress/fuzz/tablestub.h filter-mtasts/extern.h ${TABLE_FUZZ_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts \
	    -Iregress/fuzz -o $@ regress/fuzz/fuzz_table_imsg.c \
	    ${TABLE_FUZZ_SRCS}

regress/fuzz/fuzz_vstore: regress/fuzz/fuzz_vstore.c lib/vstore.c \
    ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -o $@ \
	    regress/fuzz/fuzz_vstore.c lib/vstore.c lib/cache.c ${PARSER_SRCS}

regress/fuzz/fuzz_smtp_reply: regress/fuzz/fuzz_smtp_reply.c lib/smtp_reply.c \
    lib/sts_error.c
	${FUZZ_CC} ${FUZZ_FLAGS} -Ilib -o $@ regress/fuzz/fuzz_smtp_reply.c \
	    lib/smtp_reply.c lib/sts_error.c

regress/fuzz/fuzz_relay: regress/fuzz/fuzz_relay.c filter-mtasts/relay_smtp.c \
    filter-mtasts/extern.h ${PARSER_SRCS}
	${FUZZ_CC} ${FUZZ_FLAGS} -D_GNU_SOURCE -Ilib -Ifilter-mtasts -o $@ \
	    regress/fuzz/fuzz_relay.c filter-mtasts/relay_smtp.c ${PARSER_SRCS}

fuzz-progs: ${FUZZ_PROGS}

demo: all
	sh regress/demo.sh

# Speed and memory, never part of the test run (root: bench/README).
BENCH_PROGS=	bench/bench_cache bench/bench_http bench/smload bench/nullsm \
		bench/bench_rpt
BENCH_SCALE_N?=	100000
bench: all bench-progs
	bench/bench_cache 100000 10000
	bench/bench_rpt 1000000 10000
	bench/bench_http
	sh bench/table.sh
	sh bench/scale.sh ${BENCH_SCALE_N}

bench-progs: ${BENCH_PROGS}

bench/bench_cache: bench/bench_cache.c ${LIB}
	${CC} ${ALL_CFLAGS} ${LDFLAGS} -o $@ bench/bench_cache.c ${LIB} \
	    ${PKG_LIBS}
bench/bench_rpt: bench/bench_rpt.c ${LIB}
	${CC} ${ALL_CFLAGS} ${LDFLAGS} -o $@ bench/bench_rpt.c ${LIB} \
	    ${PKG_LIBS}
bench/bench_http: bench/bench_http.c regress/tlsserv.c regress/tlsserv.h \
    ${LIB}
	${CC} ${ALL_CFLAGS} -Iregress ${LDFLAGS} -o $@ bench/bench_http.c \
	    regress/tlsserv.c ${LIB} ${PKG_LIBS}

# The load client and the null server: libc only.
bench/smload: bench/smload.c bench/evq.h
	${CC} ${CFLAGS} ${WARNINGS} ${LDFLAGS} -o $@ bench/smload.c
bench/nullsm: bench/nullsm.c bench/evq.h
	${CC} ${CFLAGS} ${WARNINGS} ${LDFLAGS} -o $@ bench/nullsm.c

lint:
	mandoc -Tlint -Wstyle ${MANS}

install: all
	mkdir -p ${DESTDIR}${BINDIR} ${DESTDIR}${MANDIR}/man7 \
	    ${DESTDIR}${MANDIR}/man8
	install -m 0755 filter-mtasts/${PROG} ${DESTDIR}${BINDIR}/${PROG}
	install -m 0644 ${MAN7} ${DESTDIR}${MANDIR}/man7/
	install -m 0644 ${MAN8} ${DESTDIR}${MANDIR}/man8/
	mkdir -p ${DESTDIR}${SMTPD_LIBEXEC}
	printf '#!/bin/sh\nexec %s table "$$@"\n' ${BINDIR}/${PROG} \
	    >${DESTDIR}${SMTPD_LIBEXEC}/table-mtasts
	chmod 0755 ${DESTDIR}${SMTPD_LIBEXEC}/table-mtasts

clean:
	rm -f ${LIB} ${LIB_OBJS} ${PROG_OBJS} filter-mtasts/${PROG}
	rm -f filter-mtasts/sandbox-*.o
	rm -f ${REGRESS_OBJS} ${REGRESS_PROGS} ${FUZZ_PROGS} ${BENCH_PROGS}

.PHONY: all bench bench-progs fuzz-progs regress regress-progs test fuzz demo lint install clean

/*
 * Copyright (c) 2026 The filter-mtasts authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

/*
 * Linux: a seccomp-BPF filter takes the place of pledge(2).  After
 * privdrop(), each process may make only the system calls listed
 * below, some only with the arguments listed; anything else is
 * refused before the kernel acts on it.
 *
 * A refused call raises SIGSYS (SECCOMP_RET_TRAP) rather than killing
 * outright (SECCOMP_RET_KILL_PROCESS): the handler writes which call
 * it was on the standard error, the log, where whoever runs the
 * program looks, then dies of SIGSYS all the same, which the front
 * process logs.  An audit record of a kill, the other way to know,
 * is in the kernel's log, which the operator of a container or of a
 * package may not read.  The call itself never runs either way: code
 * that took the process over and caught SIGSYS could go on, but
 * without the call.  A call of another ABI than the one built for
 * (i386 or x32 on x86_64, 32-bit ARM on aarch64) is killed at once:
 * it can only be an attempt to get past the list, whose numbers are
 * those of one ABI.
 *
 * The lists are what the two processes do after they have entered the
 * sandbox, read off strace(1) of the whole end-to-end suite and off
 * the code of libevent, libunbound, libtls and lib/cache.c, calls of
 * rare paths included (a contended lock, the first large qsort(3),
 * abort(3)).  What both need is in base_rules; network_rules and
 * front_rules hold the rest.
 */

#if defined(__x86_64__) && defined(__LP64__)
#define SANDBOX_ARCH		AUDIT_ARCH_X86_64
#define SANDBOX_ARCH_NAME	"x86_64"
#elif defined(__aarch64__) && defined(__LP64__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SANDBOX_ARCH		AUDIT_ARCH_AARCH64
#define SANDBOX_ARCH_NAME	"aarch64"
#else
#error "no system call numbers for this architecture: SANDBOX=sandbox-null.o"
#endif

/* ASan and LSan make system calls of their own: see sanitizer_rules. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER	1
#endif
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U	/* Linux 4.14; before, kills
						   the thread */
#endif

/* Both architectures are little-endian: the low word comes first. */
#define ARG_LO(n)	(offsetof(struct seccomp_data, args) + (n) * 8)
#define ARG_HI(n)	(ARG_LO(n) + 4)

/* x32 system calls carry this bit in their number, with x86_64's arch. */
#define X32_BIT		0x40000000U

/* What SIGSYS carries in si_errno: why the call was refused. */
#define WHY_CALL	0
#define WHY_ARGS	1

enum cond_kind {
	C_END,
	C_IN,		/* the low word, masked, is one of v[] */
	C_IN64,		/* the same, and the high word is 0 */
	C_BITS,		/* no bit outside v[0], in either word */
	C_SELF		/* the low word is our process ID */
};

struct cond {
	enum cond_kind	 kind;
	unsigned	 arg;
	uint32_t	 mask;
	unsigned	 nv;
	uint32_t	 v[4];
};

struct rule {
	long		 nr;
	const char	*name;
	const struct cond *cond;	/* NULL: any arguments */
	int		 fail;		/* 0: allowed; else fails, errno */
};

#define ALLOW(n, c)	{ __NR_##n, #n, c, 0 }
#define FAIL(n, c, e)	{ __NR_##n, #n, c, e }
#define NAME(n)		{ __NR_##n, #n, NULL, 0 }
#define END		{ 0, NULL, NULL, 0 }

/* socket(2): IPv4 and IPv6, stream or datagram: DNS and HTTPS only. */
static const struct cond socket_inet[] = {
	{ C_IN, 0, 0xffffffff, 2, { AF_INET, AF_INET6 } },
	{ C_IN, 1, 0xf, 2, { SOCK_STREAM, SOCK_DGRAM } },
	{ C_END, 0, 0, 0, { 0 } }
};

/*
 * libevent sizes its reads; stdio, and a sanitizer's report, ask
 * whether a descriptor is a terminal (a filter tried by hand).
 */
static const struct cond ioctl_cmds[] = {
	{ C_IN, 1, 0xffffffff, 2, { FIONREAD, TCGETS } },
	{ C_END, 0, 0, 0, { 0 } }
};

/* Descriptor and status flags: non-blocking and close-on-exec. */
static const struct cond fcntl_cmds[] = {
	{ C_IN, 1, 0xffffffff, 4, { F_GETFD, F_SETFD, F_GETFL, F_SETFL } },
	{ C_END, 0, 0, 0, { 0 } }
};

/* Memory is never made executable: no code can be loaded or made. */
static const struct cond prot_rw[] = {
	{ C_BITS, 2, 0, 1, { PROT_READ | PROT_WRITE } },
	{ C_END, 0, 0, 0, { 0 } }
};

/*
 * abort(3) and raise(3) signal the calling thread: SIGABRT for an
 * assertion that failed (libevent, OpenSSL, the sanitizers), SIGSYS
 * for the handler below.  No other process, no other signal.
 */
static const struct cond tgkill_self[] = {
	{ C_SELF, 0, 0xffffffff, 0, { 0 } },
	{ C_IN, 2, 0xffffffff, 2, { SIGABRT, SIGSYS } },
	{ C_END, 0, 0, 0, { 0 } }
};

static const struct rule base_rules[] = {
	/* The event loop, libevent's; any of its back ends. */
#ifdef __NR_epoll_wait
	ALLOW(epoll_wait, NULL),
#endif
	ALLOW(epoll_pwait, NULL),
	ALLOW(epoll_ctl, NULL),
#ifdef __NR_poll
	ALLOW(poll, NULL),
#endif
	ALLOW(ppoll, NULL),
#ifdef __NR_select
	ALLOW(select, NULL),
#endif
	ALLOW(pselect6, NULL),

	/* I/O on the descriptors held: the link, sockets, stderr. */
	ALLOW(read, NULL),
	ALLOW(readv, NULL),
	ALLOW(write, NULL),
	ALLOW(writev, NULL),
	ALLOW(close, NULL),
	ALLOW(ioctl, ioctl_cmds),
	ALLOW(fcntl, fcntl_cmds),
	ALLOW(fstat, NULL),
	ALLOW(newfstatat, NULL),

	/* Memory: malloc(3), and the sanitizers' allocator. */
	ALLOW(brk, NULL),
	ALLOW(mmap, prot_rw),
	ALLOW(mprotect, prot_rw),
	ALLOW(munmap, NULL),
	ALLOW(mremap, NULL),
	ALLOW(madvise, NULL),

	/*
	 * Time, when the vDSO falls back to the kernel (some clock
	 * sources do); the first qsort(3) of a large array asks the size
	 * of memory (glibc), as OpenSSL's sort of a CA bundle does.
	 */
	ALLOW(clock_gettime, NULL),
	ALLOW(clock_getres, NULL),
	ALLOW(gettimeofday, NULL),
#ifdef __NR_time
	ALLOW(time, NULL),
#endif
	ALLOW(sysinfo, NULL),

	/*
	 * Locks: glibc and OpenSSL wait in the kernel only on a lock
	 * another thread holds, which a single thread never meets, but
	 * dying of it would be worse than the call.
	 */
	ALLOW(futex, NULL),

	/* Random numbers: OpenSSL, libunbound's ports and IDs, libevent. */
	ALLOW(getrandom, NULL),

	/* Signals: handlers return; abort(3) and raise(3) (above). */
	ALLOW(rt_sigreturn, NULL),
	ALLOW(rt_sigprocmask, NULL),
	ALLOW(rt_sigaction, NULL),
	ALLOW(restart_syscall, NULL),
	ALLOW(getpid, NULL),
	ALLOW(gettid, NULL),
	ALLOW(tgkill, tgkill_self),

	/* The way out. */
	ALLOW(exit_group, NULL),
	ALLOW(exit, NULL),
	END
};

static const struct rule network_rules[] = {
	/* DNS (libunbound, UDP then TCP) and HTTPS (libtls). */
	ALLOW(socket, socket_inet),
	ALLOW(connect, NULL),
	ALLOW(bind, NULL),
	ALLOW(getsockopt, NULL),
	ALLOW(setsockopt, NULL),
	ALLOW(sendto, NULL),
	ALLOW(sendmsg, NULL),
	ALLOW(recvfrom, NULL),
	ALLOW(recvmsg, NULL),
	ALLOW(shutdown, NULL),

	/*
	 * The cache (lib/cache.c), below the directory opened before the
	 * chroot; chroot(2) keeps everything else out of reach.
	 */
	ALLOW(openat, NULL),
	ALLOW(renameat, NULL),
	ALLOW(unlinkat, NULL),
	ALLOW(fsync, NULL),

	/*
	 * The results of TLS reporting (lib/rptstore.c): a day's file,
	 * locked, records written and counters updated in place, a torn
	 * tail cut off; days made and, past their time, listed and
	 * removed.
	 */
	ALLOW(flock, NULL),
	ALLOW(pread64, NULL),
	ALLOW(pwrite64, NULL),
	ALLOW(ftruncate, NULL),
	ALLOW(mkdirat, NULL),
	ALLOW(getdents64, NULL),
	ALLOW(lseek, NULL),
	END
};

/* Its own limits, read, never set: the count of descriptors (server.c). */
static const struct cond prlimit_read[] = {
	{ C_IN64, 0, 0xffffffff, 1, { 0 } },
	{ C_IN64, 2, 0xffffffff, 1, { 0 } },
	{ C_END, 0, 0, 0, { 0 } }
};

static const struct rule front_rules[] = {
	/* Clients of the table socket and of daemon's listeners. */
	ALLOW(accept4, NULL),

	/*
	 * libopensmtpd makes its event loop once running, and libevent
	 * its signal pipe (SIGCHLD, the network process) and asks
	 * whether it runs set-user-ID before it reads its environment.
	 * The filter copies its standard input (filter.c).
	 */
	ALLOW(epoll_create1, NULL),
	ALLOW(pipe2, NULL),
	ALLOW(dup, NULL),
	ALLOW(getuid, NULL),
	ALLOW(geteuid, NULL),
	ALLOW(getgid, NULL),
	ALLOW(getegid, NULL),
	ALLOW(wait4, NULL),
	ALLOW(prlimit64, prlimit_read),

	/*
	 * The spawner's link (spawner.c): a request out, and back the
	 * descriptor of a new network process's link (SCM_RIGHTS).
	 */
	ALLOW(sendto, NULL),
	ALLOW(recvmsg, NULL),

	/* The datagrams of Postfix's TLSRPT library (-l tlsrpt=). */
	ALLOW(recvfrom, NULL),
	END
};

#ifdef SANDBOX_SANITIZER
/* LeakSanitizer's thread that stops the others: never a fork(2). */
static const struct cond clone_lsan[] = {
	{ C_IN64, 0, 0xffffffff, 1,
	    { CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED } },
	{ C_END, 0, 0, 0, { 0 } }
};

/* That thread attaches to the others, reads their registers, detaches. */
#ifdef __x86_64__
#define PTRACE_REGS	PTRACE_GETREGS
#else
#define PTRACE_REGS	PTRACE_GETREGSET	/* aarch64 has no other */
#endif
static const struct cond ptrace_lsan[] = {
	{ C_IN, 0, 0xffffffff, 4,
	    { PTRACE_ATTACH, PTRACE_REGS, PTRACE_GETREGSET, PTRACE_DETACH } },
	{ C_END, 0, 0, 0, { 0 } }
};

/* Letting it attach, and its end with ours. */
static const struct cond prctl_lsan[] = {
	{ C_IN, 0, 0xffffffff, 4,
	    { PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_PTRACER,
	    PR_SET_PDEATHSIG } },
	{ C_END, 0, 0, 0, { 0 } }
};

/* The threads in /proc, the mappings for a report: read only. */
#define O_READING	(O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | \
			    O_LARGEFILE | O_NOFOLLOW)
static const struct cond openat_read[] = {
	{ C_BITS, 2, 0, 1, { O_READING } },
	{ C_END, 0, 0, 0, { 0 } }
};
#ifdef __NR_open
static const struct cond open_read[] = {
	{ C_BITS, 1, 0, 1, { O_READING } },
	{ C_END, 0, 0, 0, { 0 } }
};
#endif

/*
 * Only in a build with AddressSanitizer, whose run of the suite must
 * not end on the runtime's own calls.  LeakSanitizer, at exit(3),
 * starts a thread (clone(2) sharing memory) that stops the others with
 * ptrace(2), after listing them in /proc, and waits for them.  A
 * report (a leak, an error) looks for llvm-symbolizer: its fork(2)
 * fails, so the report comes complete, with addresses instead of
 * names, rather than cut short by SIGSYS; execve(2) stays refused.
 */
static const struct rule sanitizer_rules[] = {
	ALLOW(clone, clone_lsan),
	ALLOW(ptrace, ptrace_lsan),
	ALLOW(prctl, prctl_lsan),
	ALLOW(wait4, NULL),
	ALLOW(sched_yield, NULL),
	ALLOW(sigaltstack, NULL),
	ALLOW(getppid, NULL),
#ifdef __NR_getdents
	ALLOW(getdents, NULL),
#endif
	ALLOW(getdents64, NULL),
	ALLOW(lseek, NULL),		/* to list /proc/PID/task again */
	ALLOW(openat, openat_read),
#ifdef __NR_open
	ALLOW(open, open_read),
#endif
#ifdef __NR_stat
	ALLOW(stat, NULL),
#endif
	ALLOW(pipe2, NULL),
#ifdef __NR_fork
	FAIL(fork, NULL, EPERM),
#endif
	END
};
#endif

/* Calls refused everywhere, named in the message all the same. */
static const struct rule refused_names[] = {
	NAME(execve),
	NAME(execveat),
#ifdef __NR_fork
	NAME(fork),
#endif
#ifdef __NR_vfork
	NAME(vfork),
#endif
	NAME(clone),
#ifdef __NR_clone3
	NAME(clone3),
#endif
	NAME(ptrace),
	NAME(kill),
	NAME(tkill),
	NAME(prctl),
	NAME(socket),
	NAME(socketpair),
	NAME(listen),
	NAME(accept4),
	NAME(connect),
	NAME(bind),
	NAME(sendto),
	NAME(recvfrom),
#ifdef __NR_open
	NAME(open),
#endif
	NAME(openat),
#ifdef __NR_openat2
	NAME(openat2),
#endif
	NAME(unlinkat),
	NAME(renameat2),
	NAME(mkdirat),
	NAME(getdents64),
	NAME(fchmod),
	NAME(fchmodat),
	NAME(fchown),
	NAME(fchownat),
	NAME(chroot),
	NAME(setresuid),
	NAME(setresgid),
	NAME(mount),
	NAME(unshare),
	NAME(wait4),
	NAME(sigaltstack),
	NAME(uname),
	NAME(statx),
	NAME(pipe2),
	NAME(dup),
	NAME(dup3),
	NAME(epoll_create1),
	NAME(nanosleep),
	NAME(clock_nanosleep),
	NAME(sched_yield),
	NAME(getuid),
	NAME(geteuid),
	NAME(getppid),
	NAME(prlimit64),
	NAME(lseek),
	NAME(fdatasync),
	NAME(renameat),
	NAME(linkat),
	NAME(symlinkat),
	NAME(readlinkat),
	NAME(mknodat),
	NAME(getsockname),
	NAME(getpeername),
	NAME(getsockopt),
	NAME(setsockopt),
	NAME(shutdown),
	NAME(accept),
	NAME(sendmsg),
	NAME(recvmsg),
	NAME(memfd_create),
	NAME(setuid),
	NAME(setgid),
#ifdef __NR_stat
	NAME(stat),
#endif
#ifdef __NR_getdents
	NAME(getdents),
#endif
	END
};

/* ---------------------------------------------------------- the filter */

#define FILTER_MAX	1024	/* instructions; the kernel takes 4096 */
#define OUT_MAX		8	/* jumps to one rule's refusal */

struct filter {
	struct sock_filter	 ins[FILTER_MAX];
	size_t			 n;
};

static size_t
emit(struct filter *f, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (f->n == FILTER_MAX)
		fatalx("sandbox: filter longer than %d instructions",
		    FILTER_MAX);
	f->ins[f->n].code = code;
	f->ins[f->n].k = k;
	f->ins[f->n].jt = jt;
	f->ins[f->n].jf = jf;
	return f->n++;
}

/* Jumps go forward only, at most 255 instructions. */
static uint8_t
offset(size_t from, size_t to)
{
	if (to <= from || to - from - 1 > 255)
		fatalx("sandbox: jump out of range");
	return (uint8_t)(to - from - 1);
}

/*
 * One condition: fall through when it holds, else jump to the refusal,
 * whose place is not known yet: the jumps to it are kept in out[].
 */
static void
emit_cond(struct filter *f, const struct cond *c, uint32_t self,
    size_t *out, size_t *nout)
{
	size_t	 ok[4];
	unsigned i, nv = c->kind == C_SELF ? 1 : c->nv;

	if (nv < 1 || nv > 4 || *nout + 2 > OUT_MAX)
		fatalx("sandbox: a condition of more than the filter takes");
	emit(f, BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->arg), 0, 0);
	if (c->kind == C_BITS) {
		emit(f, BPF_ALU | BPF_AND | BPF_K, ~c->v[0], 0, 0);
		out[(*nout)++] = emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
	} else {
		if (c->mask != 0xffffffff)
			emit(f, BPF_ALU | BPF_AND | BPF_K, c->mask, 0, 0);
		for (i = 0; i < nv; i++)
			ok[i] = emit(f, BPF_JMP | BPF_JEQ | BPF_K,
			    c->kind == C_SELF ? self : c->v[i], 0, 0);
		out[(*nout)++] = ok[nv - 1];	/* its jf: no value matched */
		for (i = 0; i < nv; i++)
			f->ins[ok[i]].jt = offset(ok[i], f->n);
	}
	if (c->kind == C_BITS || c->kind == C_IN64) {
		emit(f, BPF_LD | BPF_W | BPF_ABS, ARG_HI(c->arg), 0, 0);
		out[(*nout)++] = emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
	}
}

/* The number in the accumulator: allow, refuse, or on to the next. */
static void
emit_rule(struct filter *f, const struct rule *r, uint32_t self)
{
	const struct cond	*c;
	size_t			 start, out[OUT_MAX], nout = 0, i, refuse;

	start = emit(f, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 0);
	for (c = r->cond; c != NULL && c->kind != C_END; c++)
		emit_cond(f, c, self, out, &nout);
	emit(f, BPF_RET | BPF_K, r->fail == 0 ? SECCOMP_RET_ALLOW :
	    SECCOMP_RET_ERRNO | (r->fail & SECCOMP_RET_DATA), 0, 0);
	if (nout > 0) {
		refuse = emit(f, BPF_RET | BPF_K, SECCOMP_RET_TRAP | WHY_ARGS,
		    0, 0);
		for (i = 0; i < nout; i++)
			f->ins[out[i]].jf = offset(out[i], refuse);
	}
	f->ins[start].jf = offset(start, f->n);
}

/* Whether a group before r's, or r's own before it, has its number. */
static int
seen_before(const struct rule *const *groups, const struct rule *const *g,
    const struct rule *r)
{
	const struct rule *const *h;
	const struct rule	*q;

	for (h = groups; h <= g; h++)
		for (q = *h; q->name != NULL && (h < g || q < r); q++)
			if (q->nr == r->nr)
				return 1;
	return 0;
}

static void
filter_build(struct filter *f, const struct rule *const *groups)
{
	const struct rule *const *g;
	const struct rule	*r;
	uint32_t		 self = (uint32_t)getpid();

	f->n = 0;
	emit(f, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch),
	    0, 0);
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	emit(f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	emit(f, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr),
	    0, 0);
	if (SANDBOX_ARCH == AUDIT_ARCH_X86_64) {
		emit(f, BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1);
		emit(f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	}
	/* A call in two groups: the first one says. */
	for (g = groups; *g != NULL; g++)
		for (r = *g; r->name != NULL; r++)
			if (!seen_before(groups, g, r))
				emit_rule(f, r, self);
	emit(f, BPF_RET | BPF_K, SECCOMP_RET_TRAP | WHY_CALL, 0, 0);
}

/* ------------------------------------------------------- refused calls */

static const char		 *sandbox_who;
static const struct rule *const	 *sandbox_groups;

static const char *
call_name(long nr)
{
	const struct rule *const *g;
	const struct rule	*r;

	for (g = sandbox_groups; g != NULL && *g != NULL; g++)
		for (r = *g; r->name != NULL; r++)
			if (r->nr == nr)
				return r->name;
	for (r = refused_names; r->name != NULL; r++)
		if (r->nr == nr)
			return r->name;
	return NULL;
}

static size_t
put(char *buf, size_t len, size_t size, const char *s)
{
	while (*s != '\0' && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static size_t
put_number(char *buf, size_t len, size_t size, unsigned long n)
{
	char	 d[24];
	size_t	 i = sizeof(d) - 1;

	d[i] = '\0';
	do
		d[--i] = '0' + n % 10;
	while ((n /= 10) != 0 && i > 0);
	return put(buf, len, size, d + i);
}

/*
 * Async-signal-safe: no stdio, no allocation.  Then SIGSYS again, now
 * with its default action (SA_RESETHAND): the process dies of it.
 */
static void
refused(int sig, siginfo_t *si, void *ctx)
{
	char		 msg[256];
	const char	*name;
	size_t		 n = 0;
	int		 saved = errno;

	(void)ctx;
	/* Not "fatal:", which promises exit status 1 (DIAGNOSTICS). */
	n = put(msg, n, sizeof(msg), PROGNAME ": ");
	n = put(msg, n, sizeof(msg), sandbox_who);
	n = put(msg, n, sizeof(msg), ": system call ");
	if ((name = call_name(si->si_syscall)) != NULL) {
		n = put(msg, n, sizeof(msg), name);
		n = put(msg, n, sizeof(msg), " (");
	}
	n = put(msg, n, sizeof(msg), SANDBOX_ARCH_NAME " ");
	n = put_number(msg, n, sizeof(msg), (unsigned long)si->si_syscall);
	n = put(msg, n, sizeof(msg), name != NULL ? ")" : "");
	n = put(msg, n, sizeof(msg), si->si_errno == WHY_ARGS ?
	    " refused by the sandbox: not with these arguments\n" :
	    " refused by the sandbox\n");
	/* Nothing to do if stderr is gone: the signal says the rest. */
	if (write(STDERR_FILENO, msg, n) == -1)
		errno = saved;
	errno = saved;
	raise(sig);
}

static void
sandbox_enter(const char *who, const struct rule *const *groups)
{
	static struct filter	 f;
	struct sock_fprog	 prog;
	struct sigaction	 sa;
	sigset_t		 sys;

	filter_build(&f, groups);
	sandbox_who = who;
	sandbox_groups = groups;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = refused;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &sys, NULL) == -1)
		fatal("sandbox: SIGSYS");
	prog.len = (unsigned short)f.n;
	prog.filter = f.ins;
	/* Needed for a filter without CAP_SYS_ADMIN, and right anyway. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		fatal("prctl(PR_SET_SECCOMP)");
}

void
sandbox_network(void)
{
	static const struct rule *const groups[] = {
		base_rules, network_rules,
#ifdef SANDBOX_SANITIZER
		sanitizer_rules,
#endif
		NULL
	};

	sandbox_enter("network process", groups);
}

/* accept4(2) does not tell the relay's TCP listener from the others. */
void
sandbox_front(int relay)
{
	static const struct rule *const groups[] = {
		base_rules, front_rules,
#ifdef SANDBOX_SANITIZER
		sanitizer_rules,
#endif
		NULL
	};

	(void)relay;
	sandbox_enter("front process", groups);
}

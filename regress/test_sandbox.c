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

/*
 * The sandbox the build chose (sandbox-*.c), entered in a child: what
 * the network and front processes must not do kills it, by SIGSYS on
 * Linux x86_64 and aarch64 (a line on stderr names the call) and
 * SIGABRT on OpenBSD; what they do still works.  Elsewhere there is
 * no sandbox to test.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "extern.h"
#include "regress.h"

/* As the Makefile chooses: seccomp where sandbox-seccomp.c can be. */
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define KILLED_BY	SIGSYS
#elif defined(__OpenBSD__)
#define KILLED_BY	SIGABRT
#else
#define KILLED_BY	0	/* no sandbox: main() skips */
#endif

#define WAIT_MS		10000	/* for a child that does one thing */

struct outcome {
	int	 status;
	int	 done;		/* 0: still running at the deadline */
	char	 err[1024];	/* its standard error */
};

static char	 tmpdir[] = "/tmp/test_sandbox.XXXXXX";
static pid_t	 parent;

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Run fn in a child after it entered the sandbox: its standard error
 * is kept, its end is awaited WAIT_MS at most.
 */
static void
run(void (*enter)(void), int (*fn)(void), struct outcome *o)
{
	struct timespec	 t0;
	struct pollfd	 pfd;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2];

	memset(o, 0, sizeof(*o));
	if (pipe(p) == -1)
		return;
	fflush(stdout);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(100);
		enter();
		_exit(fn());
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (ms_since(&t0) < WAIT_MS &&
	    poll(&pfd, 1, WAIT_MS - ms_since(&t0)) == 1) {
		if ((n = read(p[0], o->err + len,
		    sizeof(o->err) - 1 - len)) <= 0)
			break;
		len += n;
		if (len == sizeof(o->err) - 1)
			break;
	}
	close(p[0]);
	while (ms_since(&t0) < WAIT_MS)
		if (waitpid(pid, &o->status, WNOHANG) == pid) {
			o->done = 1;
			return;
		} else
			poll(NULL, 0, 10);
	kill(pid, SIGKILL);
	waitpid(pid, &o->status, 0);
}

static int
killed(const struct outcome *o)
{
	return o->done && WIFSIGNALED(o->status) &&
	    WTERMSIG(o->status) == KILLED_BY;
}

static int
exited_ok(const struct outcome *o)
{
	return o->done && WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0;
}

static void
diag(const struct outcome *o)
{
	if (!o->done)
		regress_diag("still running after %d ms", WAIT_MS);
	else if (WIFSIGNALED(o->status))
		regress_diag("killed by signal %d", WTERMSIG(o->status));
	else
		regress_diag("exited with status %d", WEXITSTATUS(o->status));
	if (o->err[0] != '\0')
		regress_diag("stderr: %s", o->err);
}

/* fn must kill the child, and on Linux its last words name the call. */
static void
expect_killed(const char *who, void (*enter)(void), int (*fn)(void),
    const char *words, const char *what)
{
	struct outcome	 o;
	int		 ok;

	run(enter, fn, &o);
	ok = killed(&o);
#ifdef __linux__
	if (words != NULL)
		ok = ok && strstr(o.err, words) != NULL;
	else
		ok = ok && o.err[0] == '\0';
#else
	(void)words;
#endif
	regress_check(ok, "%s: %s kills it", who, what);
	if (!ok)
		diag(&o);
}

/* An assertion that failed in a library: SIGABRT, as without. */
static int
try_abort(void)
{
	abort();
}

static void
expect_aborts(const char *who, void (*enter)(void))
{
	struct outcome	 o;
	int		 ok;

	run(enter, try_abort, &o);
	ok = o.done && WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGABRT;
	regress_check(ok, "%s: abort(3) still ends it by SIGABRT", who);
	if (!ok)
		diag(&o);
}

static void
expect_works(const char *who, void (*enter)(void), int (*fn)(void),
    const char *what)
{
	struct outcome	 o;

	run(enter, fn, &o);
	regress_check(exited_ok(&o), "%s: %s", who, what);
	if (!exited_ok(&o))
		diag(&o);
}

/* ------------------------------------------------------ what they try */

static int
try_execve(void)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	execve("/bin/true", argv, envp);
	execve("/usr/bin/true", argv, envp);
	return 3;
}

static int
try_fork(void)
{
	pid_t	 pid;

	if ((pid = fork()) == 0)
		_exit(0);
	return 3;
}

static int
try_kill_parent(void)
{
	(void)kill(parent, 0);
	return 3;
}

static int
try_socket_unix(void)
{
	(void)socket(AF_UNIX, SOCK_STREAM, 0);
	return 3;
}

static int
try_socket_raw(void)
{
	(void)socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	return 3;
}

#ifdef __linux__
static int
try_socket_netlink(void)
{
	(void)socket(AF_NETLINK, SOCK_DGRAM, 0);
	return 3;
}
#endif

static int
try_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 3;
}

static int
try_create_file(void)
{
	char	 path[sizeof(tmpdir) + 16];

	(void)snprintf(path, sizeof(path), "%s/front", tmpdir);
	(void)open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	return 3;
}

#ifdef __linux__
#ifdef __x86_64__
/* A call of the x32 ABI, whose numbers the filter does not list. */
static int
try_x32(void)
{
	(void)syscall(0x40000000 | SYS_getpid);
	return 3;
}
#endif

/* The Seccomp: line of /proc/PID/status: 2 is a filter. */
static int
seccomp_mode(pid_t pid)
{
	char	 path[64], buf[4096], *p;
	ssize_t	 n;
	int	 fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nSeccomp:\t")) == NULL)
		return -1;
	return atoi(p + 10);
}

/*
 * The kernel's word, read from outside: the child enters the sandbox
 * and waits for its standard input to close.
 */
static void
expect_filter(const char *who, void (*enter)(void))
{
	struct timespec	 t0;
	char		 c;
	pid_t		 pid;
	int		 p[2], mode = -1, status;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		regress_check(0, "%s: cannot fork", who);
		return;
	}
	if (pid == 0) {
		close(p[1]);
		enter();
		_exit(read(p[0], &c, 1) == 0 ? 0 : 3);
	}
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((mode = seccomp_mode(pid)) != 2 && ms_since(&t0) < WAIT_MS)
		poll(NULL, 0, 10);
	close(p[1]);
	waitpid(pid, &status, 0);
	regress_check(mode == 2 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0,
	    "%s: Seccomp: 2 in /proc/PID/status (a filter)", who);
	if (mode != 2)
		regress_diag("Seccomp: %d", mode);
}
#endif

/*
 * What the network process does: DNS over UDP and TCP, IPv4 and IPv6
 * (here to itself), the cache's files, memory, time, random numbers.
 */
#define NSORT	10000

static int
int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int
try_network_work(void)
{
	struct sockaddr_in	 sin;
	struct timespec		 ts;
	socklen_t		 len = sizeof(int);
	char			 buf[16], *big;
	uint32_t		 rnd;
	int			 s, t, fd, dfd, soerr, *v, i;

	/* A query to a port where no one listens, as to a dead server. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return 10;
	sin.sin_port = htons(9);
	if (sendto(s, "q", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) != 1 ||
	    (recvfrom(s, buf, sizeof(buf), 0, NULL, NULL) == -1 &&
	    errno != EAGAIN && errno != ECONNREFUSED))
		return 11;
	close(s);
	/* A connection, as fetch.c makes them. */
	if ((t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 ||
	    (connect(t, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS && errno != ECONNREFUSED) ||
	    getsockopt(t, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return 12;
	close(t);
	if ((t = socket(AF_INET6, SOCK_DGRAM, 0)) == -1 &&
	    errno != EAFNOSUPPORT)
		return 13;
	if (t != -1)
		close(t);
	/* The cache's ways with its files. */
	if ((dfd = open(tmpdir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (fd = openat(dfd, ".tmp", O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, "x", 1) != 1 || fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(dfd, ".tmp", dfd, "entry") == -1 || fsync(dfd) == -1 ||
	    (fd = openat(dfd, "entry", O_RDONLY | O_NOFOLLOW)) == -1 ||
	    read(fd, buf, sizeof(buf)) != 1 || close(fd) == -1 ||
	    unlinkat(dfd, "entry", 0) == -1)
		return 14;
	if ((big = malloc(8 << 20)) == NULL)
		return 15;
	memset(big, 1, 8 << 20);
	free(big);
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 || time(NULL) == -1)
		return 16;
	rnd = arc4random();	/* getrandom(2), as OpenSSL seeds */
	(void)rnd;
	/* The first large qsort(3) asks the size of memory: a CA bundle. */
	if ((v = calloc(NSORT, sizeof(*v))) == NULL)
		return 17;
	for (i = 0; i < NSORT; i++)
		v[i] = NSORT - i;
	qsort(v, NSORT, sizeof(*v), int_cmp);
	i = v[0] == 1;
	free(v);
	return i ? 0 : 18;
}

/* The way out of filter mode: atexit(3) handlers, LeakSanitizer's. */
static int
try_exit(void)
{
	char	*leak;

	if ((leak = malloc(64)) == NULL)
		return 3;
	leak[0] = 'x';
	free(leak);
	exit(0);
}

/* What the front does: its descriptors, memory, a pipe for signals. */
static int
try_front_work(void)
{
	char	*big;
	int	 p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    write(p[1], "x", 1) != 1 || close(p[0]) == -1 ||
	    close(p[1]) == -1)
		return 10;
	if ((big = malloc(8 << 20)) == NULL)
		return 11;
	memset(big, 1, 8 << 20);
	free(big);
	return 0;
}

/* The front of "filter -R": what the relay needs is allowed to all. */
static void
front(void)
{
	sandbox_front(1);
}

int
main(void)
{
	if (KILLED_BY == 0) {
		printf("skip - sandbox: this system has no sandbox to test\n");
		return 0;
	}
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	parent = getpid();

#ifdef __linux__
	expect_filter("network", sandbox_network);
#endif
	expect_works("network", sandbox_network, try_network_work,
	    "UDP, TCP, IPv6 sockets, cache files, memory, time, a large "
	    "qsort still work");
	expect_aborts("network", sandbox_network);
	expect_killed("network", sandbox_network, try_execve,
	    "network process: system call execve", "execve");
	expect_killed("network", sandbox_network, try_fork,
	    "network process: system call clone", "fork");
	expect_killed("network", sandbox_network, try_kill_parent,
	    "network process: system call kill", "kill of another process");
	expect_killed("network", sandbox_network, try_socket_unix,
	    "system call socket", "a UNIX socket");
	expect_killed("network", sandbox_network, try_mmap_exec,
	    "system call mmap", "executable memory");
#ifdef __linux__
	expect_killed("network", sandbox_network, try_socket_raw,
	    "not with these arguments", "a raw socket");
	expect_killed("network", sandbox_network, try_socket_netlink,
	    "not with these arguments", "a netlink socket");
#ifdef __x86_64__
	expect_killed("network", sandbox_network, try_x32, NULL,
	    "a system call of another ABI (x32), without a word,");
#endif
	expect_filter("front", front);
#endif
	expect_works("front", front, try_front_work,
	    "its pipes and memory still work");
	expect_works("front", front, try_exit,
	    "exit(3) still works (with LeakSanitizer's check in its build)");
	expect_aborts("front", front);
	expect_killed("front", front, try_execve,
	    "front process: system call execve", "execve");
	expect_killed("front", front, try_fork,
	    "front process: system call clone", "fork");
	expect_killed("front", front, try_socket_raw,
	    "front process: system call socket", "any socket");
	expect_killed("front", front, try_create_file,
	    "front process: system call openat", "creating a file");

	(void)rmdir(tmpdir);
	return regress_exit();
}

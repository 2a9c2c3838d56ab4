/*
 * netpin — run a command with its network pinned to an allowlist.
 *
 * ---- design note ----------------------------------------------------------
 * Threat model: the command (and everything it starts) is hostile.  It may
 * race threads against us, swap file descriptors, rewrite memory, exec
 * setuid binaries and try to kill or trace netpin.  netpin itself is trusted
 * and runs with the user's own credentials; it needs no privilege.
 *
 * Mechanism: a seccomp filter sends connect, bind, sendto-with-address,
 * sendmsg and sendmmsg to netpin (SECCOMP_RET_USER_NOTIF).  netpin copies the
 * arguments out of the command, takes the command's socket with
 * pidfd_getfd, decides on its own copies and the socket's real
 * family/type/protocol, and when the call is allowed performs it itself on
 * that duplicate, returning the kernel's result.
 *
 * Why never SECCOMP_USER_NOTIF_FLAG_CONTINUE after a memory read: with
 * CONTINUE the kernel reads the sockaddr (and the fd table) a second time,
 * after our check, and another thread can change either in between.  Doing
 * the call ourselves on our own copies means what was checked is exactly
 * what happens.
 *
 * Fail closed: whenever a step of the mediation fails, the call fails.
 * Landlock (TCP connect/bind with no port allowed, scopes) is a second,
 * independent layer: netpin's own calls are made outside the command's
 * Landlock domain, so only what netpin performs gets through.
 *
 * ---- contents (grep for "---- NAME") ------------------------------
 *   kernel ABI
 *   utilities
 *       errors and warnings
 *       memory, numbers, time, threads, files
 *   options and state
 *       facts probed at start
 *   JSON log
 *   rules and pins
 *   DNS wire format
 *   resolver
 *   filter and Landlock
 *       BPF filter
 *       Landlock
 *   supervisor core
 *       struct call, answering
 *       the command's sockets: taking them, and which it still holds
 *       reading the command
 *       waiting for a socket, and for the caller
 *       destinations
 *       acting as the command: unix and netlink calls
 *   reporting verdicts
 *       asking while the command runs (--ask)
 *       what was refused: the summary at exit and --learn
 *   checked connections: the relay
 *       TLS and HTTP wire format
 *       tunnels: their state
 *       tunnels: reading, checking, carrying
 *   pinned DNS
 *   vetting
 *       on netpin's copies, after still_pending()
 *       reading messages out of the command
 *   handlers
 *       one handler per system call
 *       calls netpin cannot mediate: refused, and said
 *       socket options and peer names: mediated
 *       calls aimed at netpin
 *   performing
 *       sockets netpin makes for the command (the addfd mode)
 *       calls that block: wake timers, accept, connect
 *       the call, in the receiving thread or a worker
 *   output relays
 *   child, supervise, main
 *       dispatch
 *       the command's process
 *       receivers and the supervisor
 *       main
 * (tests/areas/04-source.sh holds this table against the banners.)
 *
 * How to read it: callee-first.  Each part uses only what comes before
 * it, so a call is followed from the end of the file upwards: main, then
 * supervise and the receivers, dispatch, a handler, vetting, performing.
 * The parts follow the life of a call as far as C allows.  So what every
 * stage calls comes early (the log, the decision, reporting a verdict),
 * and the DNS parts come before the supervisor (vetting sends the
 * command's DNS to pinned DNS).  A handler
 * decodes and vets its call and returns 0 (perform it as c->op says) or
 * the errno to refuse it with; dispatch, near the end, does either.  The
 * mediation path returns 0 or a positive errno and never calls die().
 * One forward declaration: receiver_main (receivers start one another).
 */

/* ---- kernel ABI --------------------------------------------------------- */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NETPIN_VERSION "0.1.0"

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE 0xc000003eU /* AUDIT_ARCH_X86_64 */
#define X32_SYSCALL_BIT 0x40000000U
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE 0xc00000b7U /* AUDIT_ARCH_AARCH64 */
#else
#error "netpin: unsupported architecture (add its AUDIT_ARCH and syscall numbers)"
#endif

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#define SYS_io_uring_register 427
#endif
#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif

/* The kernel ABI netpin speaks, carried here because libc headers lack it. */
struct sock_filter {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};
struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};
struct seccomp_data {
	int nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};
struct seccomp_notif {
	uint64_t id;
	uint32_t pid;
	uint32_t flags;
	struct seccomp_data data;
};
struct seccomp_notif_resp {
	uint64_t id;
	int64_t val;
	int32_t error;
	uint32_t flags;
};
struct seccomp_notif_sizes {
	uint16_t seccomp_notif;
	uint16_t seccomp_notif_resp;
	uint16_t seccomp_data;
};
struct landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct landlock_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
/* struct msghdr and struct mmsghdr as the 64-bit kernel lays them out */
struct kmsghdr {
	uint64_t name;
	uint32_t namelen;
	uint32_t pad1;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	uint32_t flags;
	uint32_t pad2;
};
struct kmmsghdr {
	struct kmsghdr hdr;
	uint32_t len;
	uint32_t pad;
};
struct kiovec {
	uint64_t base;
	uint64_t len;
};
struct seccomp_notif_addfd {
	uint64_t id;
	uint32_t flags;
	uint32_t srcfd;
	uint32_t newfd;
	uint32_t newfd_flags;
};
_Static_assert(sizeof(struct sock_filter) == 8, "sock_filter ABI");
_Static_assert(sizeof(struct seccomp_notif_addfd) == 24, "seccomp_notif_addfd ABI");
_Static_assert(sizeof(struct seccomp_data) == 64, "seccomp_data ABI");
_Static_assert(sizeof(struct seccomp_notif) == 80, "seccomp_notif ABI");
_Static_assert(sizeof(struct seccomp_notif_resp) == 24, "seccomp_notif_resp ABI");
_Static_assert(sizeof(struct landlock_ruleset_attr) == 24, "landlock ABI 6");
_Static_assert(sizeof(struct landlock_net_port_attr) == 16, "landlock net port");
_Static_assert(sizeof(struct kmsghdr) == 56, "msghdr ABI");
_Static_assert(sizeof(struct kmmsghdr) == 64, "mmsghdr ABI");

#define BPF_LD 0x00
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_ALU 0x04
#define BPF_W 0x00
#define BPF_ABS 0x20
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_AND 0x50
#define BPF_K 0x00

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_GET_NOTIF_SIZES 3
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
#define SECCOMP_IOCTL_NOTIF_RECV _IOWR('!', 0, struct seccomp_notif)
#define SECCOMP_IOCTL_NOTIF_SEND _IOWR('!', 1, struct seccomp_notif_resp)
#define SECCOMP_IOCTL_NOTIF_ID_VALID _IOW('!', 2, uint64_t)
#define SECCOMP_IOCTL_NOTIF_ADDFD _IOW('!', 3, struct seccomp_notif_addfd) /* 5.9 */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)              /* 6.6 */
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1

#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define LANDLOCK_ACCESS_NET_BIND_UDP (1ULL << 2)          /* ABI 10 */
#define LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP (1ULL << 3)  /* ABI 10 */
#define LANDLOCK_RULE_NET_PORT 2
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

#define PIDFD_THREAD O_EXCL /* Linux 6.9 */

#ifndef sigev_notify_thread_id /* glibc before 2.41 */
#define sigev_notify_thread_id _sigev_un._tid
#endif
#ifndef SO_DOMAIN
#define SO_DOMAIN 39
#endif
#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif
#define IPV6_2292PKTOPTIONS_ 6
#define IPV6_ADDRFORM_ 1
#define MSG_ZEROCOPY_ 0x4000000
#define IPV6_2292RTHDR_ 5
/* a source address the command chooses (uapi linux/in.h, linux/in6.h) */
#define IP_FREEBIND_ 15
#define IP_TRANSPARENT_ 19
/* the ephemeral ports of one socket (Linux 6.3): a range of one port makes
 * a bind to port 0, or an autobind, land on a port the command chose */
#define IP_LOCAL_PORT_RANGE_ 51
#define IPV6_TRANSPARENT_ 75
#define IPV6_FREEBIND_ 78
/* multicast joins and source filters: IP_ADD_MEMBERSHIP (35) to
 * MCAST_MSFILTER (48) at both levels; IPv6 also has 20-21 and anycast 27-28 */
#define IP_ADD_MEMBERSHIP_ 35
#define IP_DROP_MEMBERSHIP_ 36
#define IP_UNBLOCK_SOURCE_ 37
#define IP_BLOCK_SOURCE_ 38
#define IP_ADD_SOURCE_MEMBERSHIP_ 39
#define IP_DROP_SOURCE_MEMBERSHIP_ 40
#define IP_MSFILTER_ 41
#define MCAST_JOIN_GROUP_ 42
#define MCAST_BLOCK_SOURCE_ 43
#define MCAST_UNBLOCK_SOURCE_ 44
#define MCAST_LEAVE_GROUP_ 45
#define MCAST_JOIN_SOURCE_GROUP_ 46
#define MCAST_LEAVE_SOURCE_GROUP_ 47
#define MCAST_MSFILTER_ 48
#define IPV6_ADD_MEMBERSHIP_ 20
#define IPV6_DROP_MEMBERSHIP_ 21
#define IPV6_JOIN_ANYCAST_ 27
#define IPV6_LEAVE_ANYCAST_ 28
#define PTRACE_ATTACH_ 16
#define PTRACE_SEIZE_ 0x4206
#define PRIO_PROCESS_ 0
#define PRIO_PGRP_ 1
#define PRIO_USER_ 2
#define IOPRIO_WHO_PROCESS_ 1
#define IOPRIO_WHO_PGRP_ 2
#define IOPRIO_WHO_USER_ 3
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

static int
sys_seccomp(unsigned op, unsigned long flags, void *arg)
{
	return (int)syscall(SYS_seccomp, op, flags, arg);
}

static int
sys_pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int
sys_pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

static int
sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static int
landlock_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
landlock_add_rule(int ruleset_fd, int rule_type, const void *attr)
{
	return (int)syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, attr, 0);
}

static int
landlock_restrict_self(int ruleset_fd, uint32_t flags)
{
	return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, flags);
}

/* ---- utilities ---------------------------------------------------------- */

/* ---- errors and warnings ------------------------------------------------ */

#define EXIT_SETUP 125

/*
 * Output never blocks netpin.  Once the command runs, netpin's stderr and
 * its log are the write ends of pipes (non-blocking); a thread each copies
 * them to the real terminal or file.  A terminal the command stops
 * (tcflow TCOOFF, a job-control SIGTTOU) or a log FIFO nobody reads stalls
 * only that thread; lines that do not fit in the pipe are dropped and
 * counted.  Written by any thread (atomics); read at exit.
 */
static unsigned long lines_dropped;

static void
output_dropped(void)
{
	__atomic_add_fetch(&lines_dropped, 1, __ATOMIC_RELAXED);
	clearerr(stderr);
}

/* "netpin: MESSAGE[: strerror(err)]" on stderr */
static void
vsay(int err, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "netpin: ");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (err && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(err));
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	/* one write per line; a full relay pipe drops it (counted) */
	if (fputs(line, stderr) == EOF)
		output_dropped();
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
	exit(EXIT_SETUP);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsay(saved, fmt, ap);
	va_end(ap);
	exit(EXIT_SETUP);
}

static void __attribute__((format(printf, 1, 2)))
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
}

/*
 * Has this key (a denial, a warning) been said already?  A locked set of
 * hashes, shared by every thread; when full, it says everything again.
 */
static uint64_t said_keys[4096]; /* under seen_lock */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static int
seen_before(const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	int found = 0;

	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h |= 1;
	pthread_mutex_lock(&seen_lock);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t *slot = &said_keys[(h + i) % 4096];

		if (*slot == h)
			found = 1;
		if (*slot == h || *slot == 0) {
			*slot = h;
			break;
		}
	}
	pthread_mutex_unlock(&seen_lock);
	return found;
}

/* Replace what a terminal could act on (controls, escapes, non-ASCII)
 * with '?': for text the command chose, on its way to stderr or a file. */
static void
make_printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			*s = '?';
}

/* Say this once per key for the whole run (any thread). */
static void __attribute__((format(printf, 2, 3)))
warn_once(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (seen_before(key))
		return;
	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
}

/* ---- memory, numbers, time, threads, files ------------------------------ */

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (size && n > SIZE_MAX / size)
		die("out of memory");
	bytes = n * size;
	p = realloc(p, bytes ? bytes : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

/*
 * Memory for a call while the command runs: never exits on failure (the
 * call fails with ENOMEM instead; netpin serves on).  xcalloc is for start.
 */
static void *
call_alloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

/* One more descriptor a message holds (closed with it).  0 or ENOMEM. */
static int
fds_push(int **fds, int *nfds, int fd)
{
	int *v = realloc(*fds, ((size_t)*nfds + 1) * sizeof(int));

	if (!v)
		return ENOMEM;
	*fds = v;
	v[(*nfds)++] = fd;
	return 0;
}

/* Parse a decimal number in [lo, hi] that spans exactly [s, end). */
static int
parse_number(const char *s, const char *end, long lo, long hi, long *out)
{
	long v = 0;

	if (s == end || end - s > 10)
		return -1;
	for (const char *p = s; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A clock's time in units of 1/per_sec s. */
static long
clock_in(clockid_t clock, long per_sec)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * per_sec + ts.tv_nsec / (1000000000L / per_sec);
}

static long
now_ms(void)
{
	return clock_in(CLOCK_MONOTONIC, 1000);
}

/* Start fn(arg) in a detached thread with a stack of stack bytes.
 * Returns 0, or an error number (also in errno). */
static int
thread_start(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc)
		errno = rc;
	return rc;
}

/* The CPU time the calling thread has used, in microseconds: what a scan
 * costs netpin, whatever else the machine runs meanwhile. */
static long
thread_cpu_us(void)
{
	return clock_in(CLOCK_THREAD_CPUTIME_ID, 1000000);
}

static uint16_t
random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		die_errno("getrandom");
	return id;
}

/*
 * The hosts file, read once at start: names pinned later (wildcards,
 * --audit) see it as it was, whatever the command writes to it since.
 * No /etc/hosts is an empty one (as libcs see it); a --hosts FILE must be
 * readable.
 */
#define HOSTS_MAX (4 << 20)

/*
 * The whole of file f as a string of at most max bytes (start and exit
 * only: it dies when out of memory).  Returns it, or NULL with errno:
 * EFBIG (larger), EILSEQ (a NUL byte: the text would be cut there), or
 * the read's.
 */
static char *
read_text(FILE *f, size_t max)
{
	char *text = NULL, buf[8192];
	size_t n = 0, cap = 0;

	errno = 0;
	for (size_t got; (got = fread(buf, 1, sizeof(buf), f)) > 0; n += got) {
		if (n + got >= max) {
			free(text);
			errno = EFBIG;
			return NULL;
		}
		if (n + got + 1 > cap)
			text = xrealloc(text, cap = (n + got) * 2 + 1, 1);
		memcpy(text + n, buf, got);
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		free(text);
		errno = e;
		return NULL;
	}
	text = xrealloc(text, n + 1, 1);
	text[n] = '\0';
	if (strlen(text) != n) {
		free(text);
		errno = EILSEQ;
		return NULL;
	}
	return text;
}

/* ---- options and state -------------------------------------------------- */

enum { P_TCP = 1, P_UDP = 2, P_LOCAL = 4 };

/* Set by main() from the command line before anything runs; read-only
 * after.  (Rules, --bind ports and --deny-unix sockets are parsed into
 * their own tables: rules[], bind_ports[], deny_unix[].) */
static int opt_verbose;
static int opt_quiet;
static int opt_dry_run;
static int opt_check;             /* --check: what netpin gets here */
static int opt_strict;          /* --strict: the default; conflicts only */
static int opt_audit;
static const char *opt_learn;
static const char *opt_hosts = "/etc/hosts";
static int opt_hosts_given;       /* --hosts: the file must be there */
/* the errno of a denied connect or send (--deny-errno): GNU wget, among
 * others, retries EACCES and EPERM for minutes, and gives up at once on a
 * host that cannot be reached, as a firewall's reject would say */
static int opt_deny_errno = EHOSTUNREACH;
static char *hosts_text;          /* its text, read at start */
static const char *opt_log;
static int opt_dns_given;         /* --dns: no resolv.conf */
static const char *opt_resolv = "/etc/resolv.conf";
static long opt_timeout_ms = 5000;
static int opt_private_dns;       /* --allow-private-dns */
static int opt_skip_unresolved;   /* --skip-unresolved */
static int opt_wait_all;          /* --wait-all */
static const char *opt_ask;       /* --ask PROGRAM */
static long opt_ask_timeout_ms = 60000; /* --ask-timeout */
static int opt_allow_ech;         /* --allow-ech */
static int opt_no_sysres;         /* --no-system-resolver */
static int log_fd = -1;           /* opened at start */

/* ---- facts probed at start ---------------------------------------------- */

#define CAP_SYS_PTRACE_ 19        /* the command never has it: drop_ptrace_cap() */
struct identity {
	unsigned uid[4], gid[4];   /* real, effective, saved, fs */
	unsigned ngroups;
	uint32_t groups[256];
	uint64_t cap_eff, cap_prm, cap_inh;
	int umask;                 /* -1: unknown */
};

/*
 * What netpin finds out about the kernel, the machine and itself before
 * the command runs: written by main() and the probes it calls before any
 * thread starts, read-only after.
 */
static struct {
	pid_t pid;                /* netpin's own */
	int landlock_abi;         /* 0: no Landlock */
	int sync_wake;            /* SYNC_WAKE_UP set on the listener (6.6) */
	int proc_own;             /* /proc is of netpin's PID namespace */
	int thread_pidfd;         /* pidfds name threads (PIDFD_THREAD, 6.9) */
	size_t notif_size;        /* the kernel's struct seccomp_notif */
	unsigned unpriv_port_start; /* net.ipv4.ip_unprivileged_port_start */
	struct stat root;         /* netpin's "/" */
	int addfd_mode;           /* pidfd_getfd refused: netpin makes sockets */
	unsigned held_budget;     /* sockets netpin may keep for the command */
	unsigned tunnel_budget;   /* checked connections open at once */
	int nonlocal_bind[2];     /* net.ipv4/ipv6.ip_nonlocal_bind: the kernel
	                           * lets any address be bound (and, for IPv6,
	                           * be a packet's source) */
	struct identity identity; /* netpin's credentials */
	int privileged;           /* root or capabilities: acts as the command */
	char own_ns[2][64];       /* netpin's namespaces ("net:[N]") */
	uint64_t netns_cookie;    /* netpin's network namespace's (5.14; 0: none) */
} probed = {
	.notif_size = sizeof(struct seccomp_notif),
	.unpriv_port_start = 1024,
	.held_budget = UINT_MAX,
};

/* ---- JSON log ----------------------------------------------------------- */

struct jbuf {
	char s[2048];
	size_t n;
};

static void
jraw(struct jbuf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l < sizeof(b->s)) {
		memcpy(b->s + b->n, s, l);
		b->n += l;
		b->s[b->n] = '\0';
	}
}

static void
jstr(struct jbuf *b, const char *key, const char *val)
{
	char esc[8];

	if (!val)
		return;
	jraw(b, b->n > 1 ? ",\"" : "\"");
	jraw(b, key);
	jraw(b, "\":\"");
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* ASCII only: a byte that is no character is no UTF-8 */
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		jraw(b, esc);
	}
	jraw(b, "\"");
}

static void
jnum(struct jbuf *b, const char *key, long val)
{
	char num[32];

	jraw(b, b->n > 1 ? ",\"" : "\"");
	jraw(b, key);
	snprintf(num, sizeof(num), "\":%ld", val);
	jraw(b, num);
}

static void
jbegin(struct jbuf *b, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char t[64];

	b->n = 0;
	b->s[0] = '\0';
	jraw(b, "{");
	jstr(b, "event", event);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000);
	jstr(b, "time", t);
}

/* One write per event so that the file can be followed live. */
static void
jend(struct jbuf *b)
{
	if (log_fd < 0)
		return;
	jraw(b, "}\n");
	if (write(log_fd, b->s, b->n) >= 0 || errno == EPIPE)
		return;
	if (errno == EAGAIN)
		output_dropped(); /* the log's reader does not keep up */
	else
		warnx("log %s: %s", opt_log, strerror(errno));
}

/* ---- rules and pins ----------------------------------------------------- */

struct portrange {
	uint16_t lo, hi;
};

enum rule_kind { R_ADDR, R_NAME, R_WILDCARD };

/*
 * Names in the connection: what a name rule asks of a TCP connection it
 * alone allows.  By default, TLS's server name on port 443 and HTTP's Host
 * on port 80; tls: and http: ask it on every port of the rule; raw: on
 * none (a protocol that carries no name, as SSH).
 */
enum rule_check { CHECK_DEFAULT, CHECK_TLS, CHECK_HTTP, CHECK_RAW };

struct rule {
	char *text;           /* as the user wrote it */
	enum rule_kind kind;
	int protos;           /* P_TCP | P_UDP */
	int family;           /* R_ADDR: AF_INET or AF_INET6 */
	uint8_t addr[16];
	int plen;
	char *name;           /* R_NAME, R_WILDCARD (suffix after "*.") */
	struct portrange *ports;
	int nports;           /* 0: every port */
	uint32_t scope;       /* R_ADDR, link-local IPv6: the zone; 0: none */
	int deny;             /* --deny RULE, "!RULE": refuses what it matches */
	enum rule_check check; /* R_NAME, R_WILDCARD */
	int private_ok;       /* private: its name may resolve to private
	                       * addresses (R_NAME, R_WILDCARD) */
};

struct pin {
	int family;
	uint8_t addr[16];
	int plen;
	uint32_t scope;       /* its rule's zone */
	const struct rule *rule;
	const char *source;   /* "rule", "hosts", "dns" */
	const char *private_why; /* a private address DNS gave, kept: why */
};

/* written at start, read-only after */
static int names_checked_anywhere; /* a rule checks names in connections */
static struct rule *rules;
static int nrules, ndeny_rules;
static struct portrange *bind_ports;
static int nbind_ports;
/* the pin table: a fixed array that only grows; written at start, then
 * (names pinned at run time) by one thread at a time under pins_lock, each
 * new pin published by the atomic store of npins that readers load */
#define PINS_MAX 16384
static struct pin *pins;
static int npins;
static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;

static const uint8_t v4mapped_prefix[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address:
 * *family and addr are rewritten in place.  Returns 1 when it was one. */
static int
unmap_v4(int *family, uint8_t addr[16])
{
	if (*family != AF_INET6 || memcmp(addr, v4mapped_prefix, 12))
		return 0;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
	*family = AF_INET;
	return 1;
}

/* The address as an AF_INET6 socket names it (IPv4 mapped). */
static void
map_v4(int family, const uint8_t *addr, struct in6_addr *out)
{
	if (family == AF_INET) {
		memcpy(out, v4mapped_prefix, 12);
		memcpy((uint8_t *)out + 12, addr, 4);
	} else {
		memcpy(out, addr, 16);
	}
}

/* "[fe80::1%2]:65535": a destination as text */
#define DEST_TEXT_MAX (INET6_ADDRSTRLEN + 24)

/* A destination as netpin decides on it: IPv4-mapped IPv6 is IPv4. */
struct dest {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
	uint32_t scope;       /* link-local IPv6: sin6_scope_id (the zone) */
};

/* fe80::/10: the same address is another host on every link */
static int
is_link_local6(int family, const uint8_t *a)
{
	return family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* PORTS = N | N-M | list of those.  Returns NULL on success, else what is wrong. */
static const char *
parse_ports(const char *s, struct portrange **out, int *n)
{
	struct portrange *r = NULL;
	int cnt = 0;

	if (!*s)
		return "empty port list";
	while (*s) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		const char *dash = memchr(s, '-', (size_t)(end - s));
		long lo, hi;

		if (dash) {
			if (parse_number(s, dash, 0, 65535, &lo) ||
			    parse_number(dash + 1, end, 0, 65535, &hi))
				goto bad;
			if (lo > hi) {
				free(r);
				return "port range runs backwards";
			}
		} else {
			if (parse_number(s, end, 0, 65535, &lo))
				goto bad;
			hi = lo;
		}
		r = xrealloc(r, (size_t)cnt + 1, sizeof(*r));
		r[cnt].lo = (uint16_t)lo;
		r[cnt].hi = (uint16_t)hi;
		cnt++;
		if (!comma)
			break;
		s = comma + 1;
		if (!*s)
			goto bad;
	}
	*out = r;
	*n = cnt;
	return NULL;
bad:
	free(r);
	return "ports must be N, N-M or a comma-separated list of those (0-65535)";
}

static int
ports_match(const struct portrange *r, int n, unsigned port)
{
	if (n == 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return 1;
	return 0;
}

/*
 * An address literal with an optional /len, into r: LIT_ADDR; LIT_NONE
 * when s is no address (it may be a name); else what is wrong with it.
 */
enum literal { LIT_ADDR, LIT_NONE, LIT_BAD_LEN, LIT_HOST_BITS, LIT_BAD_ZONE,
	LIT_NO_LINK };
static enum literal
parse_addr_prefix(const char *s, int bracketed, struct rule *r)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long plen;

	char *zone;

	if (alen == 0 || alen >= sizeof(buf))
		return LIT_NONE;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	/* fe80::1%eth0: a link-local address names its link */
	if ((zone = strchr(buf, '%'))) {
		*zone++ = '\0';
		if (inet_pton(AF_INET6, buf, r->addr) != 1 ||
		    !is_link_local6(AF_INET6, r->addr) || !*zone)
			return LIT_BAD_ZONE;
		r->scope = strspn(zone, "0123456789") == strlen(zone) ?
		    (uint32_t)strtoul(zone, NULL, 10) : (uint32_t)if_nametoindex(zone);
		if (!r->scope)
			return LIT_NO_LINK;
	}
	if (!bracketed && inet_pton(AF_INET, buf, r->addr) == 1) {
		r->family = AF_INET;
		r->plen = 32;
	} else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
		r->family = AF_INET6;
		r->plen = 128;
		/* IPv4-mapped rules are IPv4 rules */
		if (unmap_v4(&r->family, r->addr))
			r->plen = 32;
	} else {
		return LIT_NONE;
	}
	if (slash) {
		uint8_t net[16];

		if (parse_number(slash + 1, slash + strlen(slash), 0, r->plen, &plen))
			return LIT_BAD_LEN;
		r->plen = (int)plen;
		/* 10.0.0.1/8: the network or the host?  Not guessed */
		memset(net, 0, sizeof(net));
		memcpy(net, r->addr, (size_t)(r->plen + 7) / 8);
		if (r->plen % 8)
			net[r->plen / 8] &= (uint8_t)(0xff00 >> (r->plen % 8));
		if (memcmp(net, r->addr, r->family == AF_INET ? 4 : 16))
			return LIT_HOST_BITS;
	}
	return LIT_ADDR;
}

/* A label inet_aton reads as a number: decimal, octal (0...) or hex (0x...). */
static int
numeric_label(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n && isxdigit((unsigned char)s[i]); i++)
			;
		return i == n;
	}
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return n > 0 && i == n;
}

/*
 * A host name: labels of letters, digits, '-' and '_', 1 to 63 bytes,
 * 253 in all, and a last label that is not a number (so "300.1.1.1" or
 * "010.0.0.1" are bad addresses, never names).
 */
static int
valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;
	const char *last = strrchr(s, '.');

	last = last ? last + 1 : s;
	if (len == 0 || len > 253 || numeric_label(last, strlen(last)))
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
		if ((label == 0 && *p == '-') || ++label > 63)
			return 0; /* no label begins (or ends) with a hyphen */
	}
	return s[len - 1] != '-';
}

/* Does t start with a rule's prefix (tcp: udp: tls: http: raw:)? */
static int
rule_prefix(const char *t)
{
	static const char *const prefixes[] = { "tcp:", "udp:", "tls:", "http:", "raw:" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncasecmp(t, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/*
 * Rules that look like something else (a URL, another protocol, a port
 * with a protocol after it, everything): what is wrong, and the right form.
 */
static const char *
rule_shape_error(const char *t)
{
	size_t word = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	const char *colon = strchr(t, ':'), *slash = strchr(t, '/');

	if (strstr(t, "://"))
		return "a rule is [PREFIX:]HOST[:PORTS], not a URL "
		    "(for http://example.com/ write example.com:80)";
	if (!strcmp(t, "*") || !strcmp(t, "*:*"))
		return "'*' is no rule: everything is 0.0.0.0/0 and ::/0, or "
		    "--audit to allow everything and see what is used";
	if (colon && word && t + word == colon) {
		const char *rest = colon + 1;
		int proto = rule_prefix(t), more = rule_prefix(rest);

		if (proto && more)
			return "one protocol prefix at most: tcp:, udp:, tls:, http: or "
			    "raw: (no prefix: tcp and udp)";
		/* "localhost:80" is a name and ports; "icmp:10.0.0.1" is not */
		if (!proto && strspn(rest, "0123456789,-") != strlen(rest))
			return "unknown protocol prefix: tcp:, udp:, tls:, http: or raw: "
			    "(no prefix: tcp and udp)";
	}
	if (colon && slash && slash > strrchr(t, ':') && isalpha((unsigned char)slash[1]))
		return "the protocol goes first: tcp:HOST:PORT, not HOST:PORT/tcp";
	return NULL;
}

/* Parse one RULE into r.  Returns NULL, or a message naming what is wrong. */
static const char *
parse_rule(const char *text, struct rule *r)
{
	char *s, *host, *ports = NULL;
	const char *err = NULL;
	int bracketed = 0;

	memset(r, 0, sizeof(*r));
	r->text = xstrdup(text);
	r->protos = P_TCP | P_UDP;
	/* private:RULE: its name may resolve to private addresses */
	if (!strncasecmp(text, "private:", 8)) {
		r->private_ok = 1;
		text += 8;
	}
	if ((err = rule_shape_error(text)))
		return err;
	s = xstrdup(text);
	host = s;
	if (!strncasecmp(host, "tcp:", 4)) {
		r->protos = P_TCP;
		host += 4;
	} else if (!strncasecmp(host, "udp:", 4)) {
		r->protos = P_UDP;
		host += 4;
	} else if (!strncasecmp(host, "tls:", 4) || !strncasecmp(host, "http:", 5)) {
		r->protos = P_TCP;
		r->check = tolower((unsigned char)host[0]) == 't' ? CHECK_TLS : CHECK_HTTP;
		host += r->check == CHECK_TLS ? 4 : 5;
	} else if (!strncasecmp(host, "raw:", 4)) {
		r->check = CHECK_RAW;
		host += 4;
	}
	if (*host == '[') {
		char *close = strchr(host, ']');

		if (!close) {
			err = "missing ']' after IPv6 address";
			goto out;
		}
		*close = '\0';
		bracketed = 1;
		host++;
		char *rest = close + 1;
		if (*rest == '/') {
			/* [IPv6]/len[:PORTS]: glue the length back on */
			char *colon = strchr(rest, ':');
			if (colon) {
				*colon = '\0';
				ports = colon + 1;
			}
			memmove(close, rest, strlen(rest) + 1);
		} else if (*rest == ':') {
			ports = rest + 1;
		} else if (*rest) {
			err = "unexpected text after ']'";
			goto out;
		}
	} else {
		char *first = strchr(host, ':');
		char *last = strrchr(host, ':');

		/* more than one ':' without brackets: a bare IPv6 address */
		if (first && first == last) {
			*first = '\0';
			ports = first + 1;
		}
	}
	if (ports && (err = parse_ports(ports, &r->ports, &r->nports)))
		goto out;
	if (!*host) {
		err = "missing host";
		goto out;
	}
	switch (parse_addr_prefix(host, bracketed, r)) {
	case LIT_ADDR:
		r->kind = R_ADDR;
		if (r->check != CHECK_DEFAULT)
			err = "tls:, http: and raw: say how a name is checked in the "
			    "connection: they go with host names, not addresses";
		else if (r->private_ok)
			err = "private: says a name may resolve to private addresses: "
			    "it goes with host names (an address rule allows its "
			    "address already)";
		goto out;
	case LIT_BAD_LEN:
		err = "bad prefix length";
		goto out;
	case LIT_HOST_BITS:
		err = "bits set past the prefix length: write the network by its "
		    "first address (10.0.0.0/8, not 10.0.0.1/8), or the host alone";
		goto out;
	case LIT_BAD_ZONE:
		err = "a zone (%) goes only with a link-local IPv6 address (fe80::/10)";
		goto out;
	case LIT_NO_LINK:
		err = "no such network interface for the zone";
		goto out;
	case LIT_NONE:
		break; /* a name, perhaps */
	}
	if (!bracketed && strchr(host, '/') && !strchr(host, ':')) {
		char *slash = strchr(host, '/');

		*slash = '\0';
		err = valid_hostname(host) ? "a rule takes a host, not a URL's path "
		    "(for example.com/path write example.com)" :
		    "not an IPv4 or IPv6 address";
		goto out;
	}
	if (bracketed || strchr(host, ':') || strchr(host, '/')) {
		err = "not an IPv4 or IPv6 address";
		goto out;
	}
	/* "example.com." is example.com: one spelling to match */
	if (strlen(host) > 2 && host[strlen(host) - 1] == '.' &&
	    !strchr("*.", host[strlen(host) - 2]))
		host[strlen(host) - 1] = '\0';
	if (!strncmp(host, "*.", 2)) {
		if (!valid_hostname(host + 2)) {
			err = "bad wildcard name";
			goto out;
		}
		r->kind = R_WILDCARD;
		r->name = xstrdup(host + 2);
		goto out;
	}
	if (!valid_hostname(host)) {
		const char *last = strrchr(host, '.');

		last = last ? last + 1 : host;
		err = numeric_label(last, strlen(last)) ?
		    "not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" :
		    "not a host name or address";
		goto out;
	}
	r->kind = R_NAME;
	r->name = xstrdup(host);
	for (char *p = r->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
out:
	free(s);
	return err;
}

/* Rules that parse but are likely not what was meant. */
static void
rule_warnings(const struct rule *r, const char *where)
{
	const char *last = strrchr(r->text, ':');
	char pre[64];

	for (int i = 0; i < nrules; i++)
		if (!strcasecmp(rules[i].text, r->text))
			warnx("warning: %s%srule '%s' is given twice", where ? where : "",
			    where ? ": " : "", r->text);
	for (int i = 0; i < r->nports; i++)
		if (r->ports[i].lo == 0 && r->ports[i].hi == 0)
			warnx("warning: rule '%s': port 0 is nobody's port (no ports: "
			    "every port)", r->text);
	/* "::1:80" is the address ::1:80, every port: [::1]:80 was meant? */
	if (r->kind == R_ADDR && r->family == AF_INET6 && !strchr(r->text, '[') &&
	    last && last[1] && strspn(last + 1, "0123456789") == strlen(last + 1) &&
	    (size_t)(last - r->text) < sizeof(pre)) {
		struct in6_addr a;

		snprintf(pre, sizeof(pre), "%.*s", (int)(last - r->text), r->text);
		if (inet_pton(AF_INET6, pre, &a) == 1)
			warnx("warning: rule '%s' is the IPv6 address %s, every port; "
			    "for port %s of %s write [%s]:%s", r->text, r->text, last + 1,
			    pre, pre, last + 1);
	}
}

static void
add_rule(const char *text, const char *where, int deny)
{
	struct rule r;
	const char *err;

	err = parse_rule(text, &r);
	if (err)
		die("%s%sbad %srule '%s': %s", where ? where : "", where ? ": " : "",
		    deny ? "deny " : "", text, err);
	if ((r.deny = deny)) {
		char *t = xcalloc(1, strlen(text) + 2);

		t[0] = '!'; /* shown as it would be written in an allow-file */
		strcpy(t + 1, text);
		free(r.text);
		r.text = t;
		ndeny_rules++;
	}
	rule_warnings(&r, where);
	rules = xrealloc(rules, (size_t)nrules + 1, sizeof(*rules));
	rules[nrules++] = r;
}

static void
add_bind_ports(const char *s, const char *where)
{
	struct portrange *r;
	const char *err;
	int n;

	if ((err = parse_ports(s, &r, &n)))
		die("%s%sbad --bind '%s': %s", where ? where : "", where ? ": " : "",
		    s, err);
	bind_ports = xrealloc(bind_ports, (size_t)(nbind_ports + n), sizeof(*r));
	memcpy(bind_ports + nbind_ports, r, (size_t)n * sizeof(*r));
	nbind_ports += n;
	free(r);
}

static void
add_rules_from_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024], where[PATH_MAX + 32];
	int lineno = 0;

	if (!f)
		die_errno("--allow-file %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			die("%s:%d: line too long", path, lineno);
		if (lineno == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
			s += 3; /* a UTF-8 byte order mark */
		if ((e = strchr(s, '#')))
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s)
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (!strncmp(s, "--bind", 6) && isspace((unsigned char)s[6])) {
			add_bind_ports(s + 7 + strspn(s + 7, " \t"), where);
			continue;
		}
		if (s[0] == '-')
			die("%s: '%s': an allow-file holds RULEs (one a line) and "
			    "'--bind PORTS' lines, no other options", where, s);
		if (*s == '!')
			add_rule(s + 1 + strspn(s + 1, " \t"), where, 1);
		else
			add_rule(s, where, 0);
	}
	if (ferror(f))
		die_errno("--allow-file %s: read", path);
	fclose(f);
}

static void
add_pin(int family, const uint8_t *addr, int plen, const struct rule *r,
    const char *source, const char *private_why)
{
	for (int i = 0; i < npins; i++)
		if (pins[i].rule == r && pins[i].family == family &&
		    pins[i].plen == plen &&
		    !memcmp(pins[i].addr, addr, family == AF_INET ? 4 : 16))
			return;
	/* a fixed array: readers in other threads never see it move */
	if (!pins)
		pins = xcalloc(PINS_MAX, sizeof(*pins));
	if (npins == PINS_MAX) {
		warnx("more than %d pinned addresses: %s not pinned", PINS_MAX,
		    r->text);
		return;
	}
	memset(&pins[npins], 0, sizeof(pins[npins]));
	pins[npins].family = family;
	memcpy(pins[npins].addr, addr, family == AF_INET ? 4 : 16);
	pins[npins].plen = plen;
	pins[npins].scope = r->scope;
	pins[npins].rule = r;
	pins[npins].source = source;
	pins[npins].private_why = private_why;
	__atomic_store_n(&npins, npins + 1, __ATOMIC_RELEASE);
}

/* Addresses of name in the hosts file, added as pins of rule r. */
static int
pin_from_hosts(const struct rule *r)
{
	const char *next = hosts_text;
	char line[4096];
	int found = 0;

	if (!hosts_text)
		return -1;
	while (*next) {
		size_t n = strcspn(next, "\n");
		char *save = NULL, *tok, *hash;
		struct rule lit;

		snprintf(line, sizeof(line), "%.*s", (int)n, next);
		next += n + (next[n] == '\n');
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		tok = strtok_r(line, " \t\r", &save);
		if (!tok)
			continue;
		memset(&lit, 0, sizeof(lit));
		if (parse_addr_prefix(tok, 0, &lit) != LIT_ADDR || strchr(tok, '/'))
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			if (strcasecmp(tok, r->name))
				continue;
			add_pin(lit.family, lit.addr, lit.plen, r, "hosts", NULL);
			found = 1;
		}
	}
	return found;
}

static void
read_hosts(void)
{
	FILE *f = fopen(opt_hosts, "re");

	if (!f) {
		if (errno != ENOENT || opt_hosts_given)
			die_errno("hosts file %s", opt_hosts);
		hosts_text = xstrdup("");
		return;
	}
	hosts_text = read_text(f, HOSTS_MAX);
	fclose(f);
	if (!hosts_text && errno == EFBIG)
		die("hosts file %s: larger than %d bytes", opt_hosts, HOSTS_MAX);
	if (!hosts_text && errno == EILSEQ)
		die("hosts file %s: has a NUL byte", opt_hosts);
	if (!hosts_text)
		die_errno("hosts file %s: read", opt_hosts);
}

static int
prefix_match(const uint8_t *a, const uint8_t *b, int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, (size_t)bytes))
		return 0;
	if (bits == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (0xff00 >> bits)) == 0;
}

/*
 * The IPv4 addresses an IPv6 address carries, in the forms that reach them:
 * IPv4-mapped and IPv4-compatible (::/96), NAT64 (64:ff9b::/96), 6to4
 * (2002::/16) and Teredo (2001::/32: its server and its client).  Returns
 * how many were written to out.
 */
static int
embedded_v4(const uint8_t *a, uint8_t out[2][4])
{
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const uint8_t zero[12];

	if (!memcmp(a, v4mapped_prefix, 12) || !memcmp(a, zero, 12) ||
	    !memcmp(a, nat64, 12)) {
		memcpy(out[0], a + 12, 4);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		memcpy(out[0], a + 2, 4);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
		memcpy(out[0], a + 4, 4);
		for (int i = 0; i < 4; i++)
			out[1][i] = (uint8_t)~a[12 + i]; /* the client, obfuscated */
		return 2;
	}
	return 0;
}

/* Does pin p cover d's address (its zone too, for link-local IPv6)? */
static int
pin_covers(const struct pin *p, const struct dest *d)
{
	if (p->family != d->family || !prefix_match(p->addr, d->addr, p->plen))
		return 0;
	/* a link-local destination: only a rule naming its zone */
	return !is_link_local6(d->family, d->addr) || (p->scope && p->scope == d->scope);
}

/* Does name rule r (a name, or *.suffix) name this host? */
static int
rule_names(const struct rule *r, const char *name, size_t nl)
{
	size_t sl = r->name ? strlen(r->name) : 0;

	if (r->kind == R_NAME)
		return !strcasecmp(r->name, name);
	return r->kind == R_WILDCARD && nl > sl + 1 && name[nl - sl - 1] == '.' &&
	    !strcasecmp(name + nl - sl, r->name);
}

/* What a TCP connection that pin p's rule allows on port must name: 0
 * (nothing: an address rule, raw:, a port not checked), NEED_TLS or
 * NEED_HTTP. */
#define NEED_TLS 1
#define NEED_HTTP 2
#define NEED_PROBE 4              /* --audit: read only to learn the name */

/* What a name rule with no tls:, http: or raw: checks on port. */
static int
port_needs(unsigned port)
{
	return port == 443 ? NEED_TLS : port == 80 ? NEED_HTTP : 0;
}

/* What a verdict is about: a call, or a name asked inside a checked
 * connection (V_TLS, V_HTTP); verb_name[] is how logs and messages say it. */
enum verb { V_CONNECT, V_SENDTO, V_SENDMSG, V_BIND, V_LISTEN, V_JOIN,
	V_TLS, V_HTTP };
static const char *const verb_name[] = { "connect", "sendto", "sendmsg",
	"bind", "listen", "join", "tls", "http" };

/* The prefix a name rule needs to allow a name asked inside a connection
 * (V_TLS or V_HTTP) on port, the check kept: tls or http, or NULL where a
 * rule with no prefix checks that already. */
static const char *
inside_prefix(enum verb verb, unsigned port)
{
	return port_needs(port) == (verb == V_TLS ? NEED_TLS : NEED_HTTP) ?
	    NULL : verb_name[verb];
}

static int
rule_needs(const struct rule *r, unsigned port)
{
	if (r->kind == R_ADDR)
		return 0;
	switch (r->check) {
	case CHECK_TLS:
		return NEED_TLS;
	case CHECK_HTTP:
		return NEED_HTTP;
	case CHECK_RAW:
		return 0;
	case CHECK_DEFAULT:
		break;
	}
	return port_needs(port);
}

/* Does a rule (allow or deny) check names in connections anywhere, or may
 * --audit read one for its name?  (Then every getpeername() is mediated:
 * a tunnelled socket's peer is netpin's.) */
static int
rules_check_names(void)
{
	if (opt_audit)
		return 1; /* a connection no rule allows is read for its name */
	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if ((r->protos & P_TCP) &&
		    ((ports_match(r->ports, r->nports, 80) && rule_needs(r, 80)) ||
		    (ports_match(r->ports, r->nports, 443) && rule_needs(r, 443)) ||
		    (r->kind != R_ADDR && (r->check == CHECK_TLS || r->check == CHECK_HTTP))))
			return 1;
	}
	return 0;
}

/* QUIC (UDP 443) to a name whose TCP is checked there: its server name
 * cannot be seen, so only a udp: rule allows it (clients fall back to
 * TCP). */
static int
quic_unseen(const struct rule *r, unsigned port)
{
	return port == 443 && rule_needs(r, port) && r->protos != P_UDP;
}

/*
 * Does deny rule r refuse by the name inside a TCP connection, on port,
 * rather than by the address?  A name deny rule where names are checked
 * (its tls:, http:, or 443 and 80 by default) refuses only its own name
 * there: another name on the same address (a shared front end) that an
 * allow rule grants stays allowed.
 */
static int
deny_inside(const struct rule *r, int proto, unsigned port)
{
	return proto == P_TCP && r->kind != R_ADDR && rule_needs(r, port);
}

/*
 * The deny rule's pin that refuses d over proto, or NULL: by the address
 * (inside 0), or by the name in the connection (inside 1: *needs, when
 * given, gets what each such rule reads).  An IPv6 address that reaches an
 * IPv4 one (IPv4-compatible, NAT64, 6to4, Teredo) is refused by a deny
 * rule for that IPv4 address too.
 */
static const struct pin *
deny_pin(const struct dest *d, int proto, int inside, int *needs)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE), nforms = 1;
	const struct pin *found = NULL;
	struct dest forms[3];
	uint8_t v4[2][4];

	if (!ndeny_rules)
		return NULL;
	forms[0] = *d;
	if (d->family == AF_INET6)
		for (int k = embedded_v4(d->addr, v4), i = 0; i < k; i++) {
			memset(&forms[nforms], 0, sizeof(forms[0]));
			forms[nforms].family = AF_INET;
			memcpy(forms[nforms].addr, v4[i], 4);
			forms[nforms++].port = d->port;
		}
	for (int i = 0; i < n && !(found && !needs); i++) {
		const struct pin *p = &pins[i];

		if (!p->rule->deny || !(p->rule->protos & proto) ||
		    !ports_match(p->rule->ports, p->rule->nports, d->port) ||
		    deny_inside(p->rule, proto, d->port) != inside)
			continue;
		for (int f = 0; f < nforms; f++)
			if (pin_covers(p, &forms[f])) {
				found = found ? found : p;
				if (needs)
					*needs |= rule_needs(p->rule, d->port);
				break;
			}
	}
	return found;
}

/* The deny rule's pin that refuses d over proto by its address, or NULL. */
static const struct pin *
pin_denying(const struct dest *d, int proto)
{
	return deny_pin(d, proto, 0, NULL);
}

/* Does allow pin p let d over proto (deny rules aside)? */
static int
pin_grants(const struct pin *p, const struct dest *d, int proto)
{
	return !p->rule->deny && (p->rule->protos & proto) && pin_covers(p, d) &&
	    ports_match(p->rule->ports, p->rule->nports, d->port) &&
	    !(proto == P_UDP && quic_unseen(p->rule, d->port));
}

static const struct pin *
pin_granting(const struct dest *d, int proto)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (pin_grants(&pins[i], d, proto))
			return &pins[i];
	return NULL;
}

/*
 * The one place that decides: the pin that allows d over proto, or NULL.
 * Deny rules are checked first: what they refuse, no allow rule allows.
 * (A name deny rule that reads the name in the connection refuses there:
 * names_needed() and name_verdict().)
 */
static const struct pin *
pin_allowing(const struct dest *d, int proto)
{
	return pin_denying(d, proto) ? NULL : pin_granting(d, proto);
}

/*
 * Names in the connection: what an allowed TCP connection to d must name,
 * from every rule that allows it (0 when one of them asks nothing: an
 * address rule, raw:, a port it does not check), and what a deny rule
 * that refuses a name there reads: 0, or NEED_TLS and/or NEED_HTTP.
 */
static int
names_needed(const struct dest *d)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE), need = 0, denied = 0;
	int granted = 0, plain = 0;

	for (int i = 0; i < n; i++) {
		const struct pin *p = &pins[i];
		int k;

		if (!pin_grants(p, d, P_TCP))
			continue;
		granted = 1;
		if (!(k = rule_needs(p->rule, d->port)))
			plain = 1;
		need |= k;
	}
	if (!granted)
		return 0;
	deny_pin(d, P_TCP, 1, &denied);
	return (plain ? 0 : need) | denied;
}

/*
 * Is name, asked inside a TCP connection to d (kind: NEED_TLS or
 * NEED_HTTP), allowed there?  A deny rule naming it refuses it (*deny:
 * its pin); else an allow rule that asks no name of d lets every name
 * through, else a rule allowing d names it.  The allowing rule, or NULL.
 */
static const struct rule *
name_verdict(const struct dest *d, int kind, const char *name,
    const struct rule **deny)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE);
	const struct rule *named = NULL;
	size_t nl = strlen(name);

	/* a name refused by name: wherever the connection goes */
	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if (r->deny && deny_inside(r, P_TCP, d->port) &&
		    ports_match(r->ports, r->nports, d->port) &&
		    (rule_needs(r, d->port) & kind) && rule_names(r, name, nl))
			return *deny = r, NULL;
	}
	*deny = NULL;
	for (int i = 0; i < n; i++) {
		const struct pin *p = &pins[i];
		int k;

		if (!pin_grants(p, d, P_TCP))
			continue;
		if (!(k = rule_needs(p->rule, d->port)))
			named = named ? named : p->rule; /* asks no name */
		else if ((k & kind) && rule_names(p->rule, name, nl) &&
		    (!named || rule_needs(named, d->port)))
			named = p->rule;
	}
	return named;
}

/*
 * A port of proto that allow rule ar grants and deny rule dr refuses by
 * the address (where no name can be read: UDP, a TCP port dr does not
 * check): the first, or -1.  (A rule reads names on two ports at most by
 * default, 80 and 443: among any three ports, one is not read.)
 */
static long
deny_takes_port(const struct rule *dr, const struct rule *ar, int proto)
{
	static const struct portrange every = { 0, 65535 };
	const struct portrange *dp = dr->nports ? dr->ports : &every;
	const struct portrange *ap = ar->nports ? ar->ports : &every;

	if (!(dr->protos & ar->protos & proto))
		return -1;
	for (int i = 0; i < (dr->nports ? dr->nports : 1); i++)
		for (int j = 0; j < (ar->nports ? ar->nports : 1); j++) {
			unsigned lo = dp[i].lo > ap[j].lo ? dp[i].lo : ap[j].lo;
			unsigned hi = dp[i].hi < ap[j].hi ? dp[i].hi : ap[j].hi;

			for (unsigned p = lo; p <= hi && p < lo + 3; p++)
				if (!deny_inside(dr, proto, p) &&
				    !(proto == P_UDP && quic_unseen(ar, p)))
					return p;
		}
	return -1;
}

/*
 * A deny rule for one name would refuse another name that an allow rule
 * grants, where the two share an address and no name can be read: the
 * deny rule's pin, with *proto and *port where; or NULL.  (By the name in
 * the connection, a deny rule takes nothing away: name_verdict().)
 */
static const struct pin *
deny_takes(const struct rule *allow, int *proto, long *port)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE);

	if (allow->deny || allow->kind != R_NAME)
		return NULL;
	for (int i = 0; i < n; i++) {
		const struct pin *dp = &pins[i];

		if (!dp->rule->deny || dp->rule->kind != R_NAME ||
		    !strcasecmp(dp->rule->name, allow->name))
			continue;
		for (int j = 0; j < n; j++) {
			const struct pin *ap = &pins[j];

			if (ap->rule != allow || ap->family != dp->family ||
			    !prefix_match(ap->addr, dp->addr, ap->plen < dp->plen ?
			    ap->plen : dp->plen))
				continue;
			for (*proto = P_TCP; *proto <= P_UDP; *proto <<= 1)
				if ((*port = deny_takes_port(dp->rule, allow, *proto)) >= 0)
					return dp;
		}
	}
	return NULL;
}

/* A pin for d's address whatever the port and protocol (to name it). */
static const struct pin *
pin_naming(const struct dest *d)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (pins[i].family == d->family && pins[i].rule->kind == R_NAME &&
		    !pins[i].rule->deny && prefix_match(pins[i].addr, d->addr, pins[i].plen))
			return &pins[i];
	return NULL;
}

static void
format_addr(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* Say what deny pin dp takes away from allow rule ar (die: refuse to run). */
static void
say_deny_takes(const struct pin *dp, const struct rule *ar, int proto,
    long port, int fatal)
{
	char a[INET6_ADDRSTRLEN], msg[1024];

	format_addr(dp->family, dp->addr, a, sizeof(a));
	snprintf(msg, sizeof(msg), "the deny rule '%s' would refuse %s too (rule "
	    "'%s'): both are at %s, and on %s port %ld netpin cannot see which of "
	    "them a connection is for (one port of those)\nhint: deny %s where names are read (--deny "
	    "tls:%s:443, --deny http:%s:80), or narrow either rule's ports",
	    dp->rule->text, ar->name, ar->text, a, proto == P_TCP ? "tcp" : "udp",
	    port, dp->rule->name, dp->rule->name, dp->rule->name);
	if (fatal)
		die("%s", msg);
	warnx("warning: %s", msg);
}

static void
print_pin_table(FILE *f)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "netpin: pin table (%d rule%s, %d pin%s)\n", nrules,
	    nrules == 1 ? "" : "s", npins, npins == 1 ? "" : "s");
	for (int i = 0; i < npins; i++) {
		const struct pin *p = &pins[i];

		format_addr(p->family, p->addr, a, sizeof(a));
		fprintf(f, "  %-28s %s/%d", p->rule->text, a, p->plen);
		if (p->rule->name)
			fprintf(f, "  name %s", p->rule->name);
		if (p->private_why)
			fprintf(f, "  (%s; private, kept: %s)\n", p->source, p->private_why);
		else
			fprintf(f, "  (%s)\n", p->source);
	}
	for (int i = 0; i < nrules; i++) {
		int has = 0;

		for (int j = 0; j < npins; j++)
			has |= pins[j].rule == &rules[i];
		if (!has)
			fprintf(f, "  %-28s %s\n", rules[i].text,
			    rules[i].kind == R_WILDCARD ?
			    "(names pinned when the command asks for them)" :
			    "(nothing pinned)");
	}
	if (nbind_ports) {
		fprintf(f, "  bind ports:");
		for (int i = 0; i < nbind_ports; i++)
			if (bind_ports[i].lo == bind_ports[i].hi)
				fprintf(f, " %u", bind_ports[i].lo);
			else
				fprintf(f, " %u-%u", bind_ports[i].lo, bind_ports[i].hi);
		fputc('\n', f);
	}
}

/* pin events: of one rule, or of all (NULL) */
static void
log_pins_of(const struct rule *r)
{
	char a[INET6_ADDRSTRLEN];
	struct jbuf b;

	for (int i = 0; i < npins; i++) {
		if (r && pins[i].rule != r)
			continue;
		format_addr(pins[i].family, pins[i].addr, a, sizeof(a));
		jbegin(&b, "pin");
		jstr(&b, "rule", pins[i].rule->text);
		jstr(&b, "name", pins[i].rule->name);
		jstr(&b, "addr", a);
		jnum(&b, "prefix", pins[i].plen);
		jstr(&b, "source", pins[i].source);
		jstr(&b, "private", pins[i].private_why);
		jend(&b);
	}
}

/* ---- DNS wire format ---------------------------------------------------- */

/*
 * netpin's own DNS client: A and AAAA for every name rule, all queries at
 * once, each on its own UDP socket connected to the server asked (so the
 * kernel drops replies from anyone else), with a random ID.  A reply counts
 * only if its ID, QR bit and question match; every read is bounded by the
 * packet.  A truncated answer is asked again over TCP.
 */
#define DNS_MAXSERVERS 8
#define DNS_PORT 53
#define DNS_MAXADDRS 64
#define DNS_TEXT_MAX 1024 /* a decoded name: 255 wire bytes, \DDD escapes */
#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define C_IN 1

enum dns_status { DNS_IGNORE = -1, DNS_OK, DNS_NXDOMAIN, DNS_NEXT, DNS_TRUNC };

struct dns_answer {
	int naddrs;
	uint8_t addrs[DNS_MAXADDRS][16];
};

/* "www.example.com" as DNS labels; returns the length, or 0. */
static size_t
dns_encode_name(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		if (l == 0 || l > 63 || o + l + 2 > cap)
			return 0;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Write v at p, network order; returns the place after it. */
static uint8_t *
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static size_t
dns_build_query(uint8_t *buf, size_t cap, const char *name, uint16_t type,
    uint16_t id)
{
	size_t n;

	if (cap < 12 + 4)
		return 0;
	memset(buf, 0, 12);
	put16(buf, id);
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	if (!(n = dns_encode_name(name, buf + 12, cap - 12 - 4)))
		return 0;
	n += 12;
	put16(put16(buf + n, type), C_IN);
	return n + 4;
}

/*
 * Decode the (possibly compressed) name at *off into out (DNS_TEXT_MAX
 * bytes) as dotted text, lower case.  A byte that cannot stand in a host
 * name (a dot inside a label, NUL, control characters, spaces, '#', '/')
 * is written as \DDD, so the text is safe to print and never matches a
 * rule (valid_hostname refuses it).  Every read is bounded by len; pointer
 * loops and names over 255 bytes are errors.  *off moves past the name.
 * Returns 0 or -1.
 */
static int
dns_decode_name(const uint8_t *p, size_t len, size_t *off, char *out)
{
	size_t pos = *off, o = 0, wire = 0;
	int jumps = 0, jumped = 0;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > 64)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = ((size_t)(l & 0x3f) << 8) | p[pos + 1];
			continue;
		}
		if (l & 0xc0)
			return -1; /* reserved label types */
		if (l == 0)
			break;
		wire += (size_t)l + 1;
		if (wire > 254 || pos + 1 + l > len)
			return -1;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			unsigned char ch = (unsigned char)tolower(p[pos + 1 + i]);

			if (isalnum(ch) || ch == '-' || ch == '_')
				out[o++] = (char)ch;
			else
				o += (size_t)snprintf(out + o, 5, "\\%03u", ch);
		}
		pos += 1 + (size_t)l;
	}
	out[o] = '\0';
	if (!jumped)
		*off = pos + 1;
	return 0;
}

/* One resource record, as dns_next_rr() reads it. */
struct dns_rr {
	char owner[DNS_TEXT_MAX];
	uint16_t type, class, rdlen;
	size_t data;              /* where its data starts in the packet */
};

/* Read the record at *off and move past it; -1 when it runs past the
 * packet's end (a count that lies). */
static int
dns_next_rr(const uint8_t *p, size_t len, size_t *off, struct dns_rr *rr)
{
	if (dns_decode_name(p, len, off, rr->owner) || *off + 10 > len)
		return -1;
	rr->type = get16(p + *off);
	rr->class = get16(p + *off + 2);
	rr->rdlen = get16(p + *off + 8);
	*off += 10;
	if (*off + rr->rdlen > len)
		return -1;
	rr->data = *off;
	*off += rr->rdlen;
	return 0;
}

/*
 * Check a reply to (name, type, id) and collect its addresses, following
 * CNAMEs inside the answer.  Returns DNS_IGNORE for anything that is not
 * the reply to this question, else the status of the answer.
 */
static enum dns_status
dns_parse_reply(const uint8_t *p, size_t len, const char *name, uint16_t type,
    uint16_t id, struct dns_answer *ans)
{
	char qname[DNS_TEXT_MAX], target[DNS_TEXT_MAX];
	struct dns_rr rr;
	size_t off = 12, rr_start;
	unsigned ancount, rcode;
	int changed;

	ans->naddrs = 0;
	if (len < 12 || get16(p) != id || !(p[2] & 0x80) || (p[2] & 0x78) ||
	    get16(p + 4) != 1)
		return DNS_IGNORE;
	if (dns_decode_name(p, len, &off, qname) || off + 4 > len ||
	    strcasecmp(qname, name) || get16(p + off) != type ||
	    get16(p + off + 2) != C_IN)
		return DNS_IGNORE;
	off += 4;
	if (p[2] & 0x02)
		return DNS_TRUNC;
	rcode = p[3] & 0x0f;
	if (rcode == 3)
		return DNS_NXDOMAIN;
	if (rcode != 0)
		return DNS_NEXT;
	ancount = get16(p + 6);
	rr_start = off;
	snprintf(target, sizeof(target), "%s", qname);
	/* the chain may come in any order: pass until nothing changes */
	for (int pass = 0; pass < 16; pass++) {
		changed = 0;
		off = rr_start;
		for (unsigned i = 0; i < ancount; i++) {
			if (dns_next_rr(p, len, &off, &rr))
				return DNS_NEXT; /* counts lie */
			if (rr.class == C_IN && rr.type == T_CNAME &&
			    !strcmp(rr.owner, target)) {
				size_t t = rr.data;

				if (dns_decode_name(p, len, &t, target))
					return DNS_NEXT;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	/* addresses of the chain's last name */
	off = rr_start;
	for (unsigned i = 0; i < ancount && !dns_next_rr(p, len, &off, &rr); i++)
		if (rr.class == C_IN && rr.type == type && !strcmp(rr.owner, target) &&
		    rr.rdlen == (type == T_A ? 4 : 16) && ans->naddrs < DNS_MAXADDRS)
			memcpy(ans->addrs[ans->naddrs++], p + rr.data, rr.rdlen);
	return DNS_OK;
}

/* ---- resolver ----------------------------------------------------------- */

struct nameserver {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* written at start (--dns, resolv.conf), read-only after */
static struct nameserver servers[DNS_MAXSERVERS];
static int nservers;
/* the search domains of the resolv.conf read (search, domain): written
 * at start */
#define SEARCH_MAX 8
static char *search_domains[SEARCH_MAX];
static int nsearch;
static int resolv_timeout = 5, resolv_attempts = 2;

/* A sockaddr for ADDR[:PORT] or [IPv6]:PORT or a bare IPv6 address. */
static int
parse_server(const char *s, struct nameserver *ns)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *port = NULL, *end;
	long p = DNS_PORT;
	struct sockaddr_in *sin = (void *)&ns->ss;
	struct sockaddr_in6 *sin6 = (void *)&ns->ss;

	memset(ns, 0, sizeof(*ns));
	if (*s == '[') {
		if (!(end = strchr(s, ']')) || (end[1] && end[1] != ':'))
			return -1;
		s++;
		if (end[1] == ':')
			port = end + 2;
	} else if ((end = strchr(s, ':')) && end == strrchr(s, ':')) {
		port = end + 1;
	} else {
		end = s + strlen(s);
	}
	if ((size_t)(end - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(end - s), s);
	if (port && parse_number(port, port + strlen(port), 1, 65535, &p))
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		ns->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		ns->len = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

static void
add_server(const char *s, const char *where)
{
	if (nservers == DNS_MAXSERVERS)
		die("%s: more than %d DNS servers", where, DNS_MAXSERVERS);
	if (parse_server(s, &servers[nservers]))
		die("%s: bad DNS server '%s' (ADDR, ADDR:PORT or [IPv6]:PORT)",
		    where, s);
	nservers++;
}

/* nameserver lines and "options timeout:N attempts:N" of resolv.conf */
/* resolv.conf: its nameservers and options (servers_too), and its search
 * domains always (with --dns too: they are the network's). */
static void
read_resolv_conf(int servers_too)
{
	FILE *f = fopen(opt_resolv, "re");
	char line[1024], where[PATH_MAX + 32];
	int lineno = 0;

	if (!f) {
		if (errno == ENOENT && !strcmp(opt_resolv, "/etc/resolv.conf"))
			return;
		die_errno("--resolv %s", opt_resolv);
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *key = strtok_r(line, " \t\r\n", &save), *v;

		lineno++;
		if (!key || *key == '#' || *key == ';')
			continue;
		if (!strcmp(key, "nameserver") && servers_too &&
		    (v = strtok_r(NULL, " \t\r\n", &save))) {
			char *pct = strchr(v, '%'); /* a scope id: not supported */

			if (pct)
				*pct = '\0';
			snprintf(where, sizeof(where), "%s:%d", opt_resolv, lineno);
			if (nservers < DNS_MAXSERVERS)
				add_server(v, where);
		} else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
			/* the last such line is the one a resolver uses */
			while (nsearch)
				free(search_domains[--nsearch]);
			while ((v = strtok_r(NULL, " \t\r\n", &save)) && nsearch < SEARCH_MAX)
				if (strcmp(v, ".") && (v[strlen(v) - 1] == '.' ?
				    (v[strlen(v) - 1] = '\0', 1) : 1) && valid_hostname(v))
					search_domains[nsearch++] = xstrdup(v);
		} else if (!strcmp(key, "options") && servers_too) {
			while ((v = strtok_r(NULL, " \t\r\n", &save))) {
				if (!strncmp(v, "timeout:", 8))
					resolv_timeout = atoi(v + 8) > 0 ? atoi(v + 8) : 1;
				else if (!strncmp(v, "attempts:", 9))
					resolv_attempts = atoi(v + 9) > 0 ? atoi(v + 9) : 1;
			}
		}
	}
	fclose(f);
}

/* Is name under domain (at a label boundary), or domain itself? */
static int
name_under(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);

	return nl >= dl && !strcasecmp(name + nl - dl, domain) &&
	    (nl == dl || name[nl - dl - 1] == '.');
}

/*
 * Why rule r's name may resolve to private addresses, or NULL: the rebinding
 * guard applies.  Its rule says so (private:), --allow-private-dns says so
 * of all, or nobody can register the name publicly: under .internal
 * (reserved for private use), .home.arpa, .localhost, or a search domain
 * of the resolv.conf netpin reads.
 */
static const char *
private_reason(const struct rule *r)
{
	static const char *const reserved[] = { "internal", "home.arpa", "localhost" };

	if (opt_private_dns)
		return "--allow-private-dns";
	if (r->private_ok)
		return "its rule says private:";
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (name_under(r->name, reserved[i]))
			return reserved[i];
	for (int i = 0; i < nsearch; i++)
		if (name_under(r->name, search_domains[i]))
			return search_domains[i];
	return NULL;
}

/* Addresses that DNS must not be trusted to return (rebinding guard). */
static int
is_private(int family, const uint8_t *a)
{
	static const struct { uint8_t addr[16]; int plen; } v4[] = {
		{ { 0 }, 8 }, { { 10 }, 8 }, { { 100, 64 }, 10 }, { { 127 }, 8 },
		{ { 169, 254 }, 16 }, { { 172, 16 }, 12 }, { { 192, 168 }, 16 },
		{ { 224 }, 4 }, { { 240 }, 4 },
	}, v6[] = {
		{ { 0 }, 127 }, /* :: and ::1 */
		{ { 0xfc }, 7 }, { { 0xfe, 0x80 }, 10 }, { { 0xfe, 0xc0 }, 10 },
		{ { 0xff }, 8 },
		{ { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48 }, /* local-use NAT64 */
	};
	uint8_t v4in[2][4];

	if (family == AF_INET) {
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (prefix_match(v4[i].addr, a, v4[i].plen))
				return 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		if (prefix_match(v6[i].addr, a, v6[i].plen))
			return 1;
	for (int i = 0; i < embedded_v4(a, v4in); i++)
		if (is_private(AF_INET, v4in[i]))
			return 1;
	return 0;
}

struct query {
	const struct rule *rule;
	uint16_t type, id;
	int fd;
	int server, tries;        /* tries made, over all servers */
	long deadline;            /* of the current try, ms */
	int done;
	enum dns_status status;
	int unreachable, failed;  /* what its tries met, to say why */
	struct dns_answer ans;
	uint8_t pkt[300];
	size_t len;
};

/* What DNS said of a name, most telling last (a rule keeps the highest). */
enum name_outcome {
	N_UNKNOWN, N_TIMEOUT, N_UNREACHABLE, N_FAILED, N_NODATA, N_GUARD,
	N_NXDOMAIN, N_FOUND,
};

/* (Re)send q to its current server on a fresh socket and a fresh ID. */
static void
query_send(struct query *q, long try_ms)
{
	const struct nameserver *ns = &servers[q->server % nservers];

	if (q->fd >= 0)
		close(q->fd);
	q->id = random_id();
	put16(q->pkt, q->id);
	q->tries++;
	q->deadline = now_ms() + try_ms;
	q->fd = socket(ns->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* connected: the kernel delivers only what comes from this server */
	if (q->fd < 0 || connect(q->fd, (const struct sockaddr *)&ns->ss, ns->len) ||
	    send(q->fd, q->pkt, q->len, 0) != (ssize_t)q->len) {
		if (q->fd >= 0)
			close(q->fd);
		q->fd = -1;
		q->unreachable = 1;
		q->deadline = now_ms(); /* counts as a failed try */
	}
}

/* Over TCP, for a truncated answer: one exchange bounded by the deadline. */
static enum dns_status
query_tcp(struct query *q, long deadline)
{
	const struct nameserver *ns = &servers[q->server % nservers];
	uint8_t *buf = NULL, hdr[2 + sizeof(q->pkt)];
	enum dns_status st = DNS_NEXT;
	size_t want = 2, got = 0;
	struct pollfd pfd;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	fd = socket(ns->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return DNS_NEXT;
	if (connect(fd, (const struct sockaddr *)&ns->ss, ns->len) && errno != EINPROGRESS)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)(deadline - now_ms())) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto out;
	put16(hdr, (unsigned)q->len);
	memcpy(hdr + 2, q->pkt, q->len);
	if (send(fd, hdr, q->len + 2, MSG_NOSIGNAL) != (ssize_t)(q->len + 2))
		goto out;
	buf = xcalloc(1, 65536 + 2);
	pfd.events = POLLIN;
	while (got < want) {
		ssize_t n;
		long left = deadline - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			goto out;
		n = recv(fd, buf + got, want - got, 0);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		if (got == 2 && want == 2)
			want = 2 + (size_t)get16(buf);
	}
	st = dns_parse_reply(buf + 2, got - 2, q->rule->name, q->type, q->id, &q->ans);
	if (st == DNS_IGNORE || st == DNS_TRUNC)
		st = DNS_NEXT;
out:
	free(buf);
	close(fd);
	return st;
}

static void
query_reply(struct query *q, long deadline)
{
	uint8_t buf[4096];
	ssize_t n = recv(q->fd, buf, sizeof(buf), 0);
	enum dns_status st;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		q->unreachable = 1;
		q->deadline = 0; /* ICMP unreachable: try the next server */
		return;
	}
	st = dns_parse_reply(buf, (size_t)n, q->rule->name, q->type, q->id, &q->ans);
	if (st == DNS_IGNORE)
		return; /* not the reply to this question: keep waiting */
	if (st == DNS_TRUNC)
		st = query_tcp(q, deadline);
	if (st == DNS_NEXT) {
		q->failed = 1;
		q->deadline = 0;
		return;
	}
	q->status = st;
	q->done = 1;
	close(q->fd);
	q->fd = -1;
}

/* Ask every query at once; returns when all are answered or time is up. */
static void
resolve_all(struct query *qs, int nq)
{
	long start = now_ms(), deadline = start + opt_timeout_ms;
	long per_try = (long)resolv_timeout * 1000;
	int max_tries = resolv_attempts * nservers;
	struct pollfd *pfd = xcalloc((size_t)nq, sizeof(*pfd));

	if (per_try > opt_timeout_ms / max_tries)
		per_try = opt_timeout_ms / max_tries;
	if (per_try < 200)
		per_try = 200;
	for (int i = 0; i < nq; i++)
		query_send(&qs[i], per_try);
	for (;;) {
		long now = now_ms(), wait = deadline - now;
		int pending = 0;

		for (int i = 0; i < nq; i++) {
			struct query *q = &qs[i];

			pfd[i].fd = -1;
			if (q->done)
				continue;
			if (q->deadline <= now) {
				if (q->tries >= max_tries) {
					q->done = 1;
					q->status = DNS_NEXT; /* no answer */
					if (q->fd >= 0)
						close(q->fd);
					q->fd = -1;
					continue;
				}
				q->server++;
				query_send(q, per_try);
			}
			pending++;
			pfd[i].fd = q->fd;
			pfd[i].events = POLLIN;
			if (q->deadline - now < wait)
				wait = q->deadline - now;
		}
		if (!pending || now >= deadline)
			break;
		/* also on the supervising path (names pinned later): no die() */
		if (poll(pfd, (nfds_t)nq, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < nq; i++)
			if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLERR)))
				query_reply(&qs[i], deadline);
	}
	for (int i = 0; i < nq; i++)
		if (qs[i].fd >= 0)
			close(qs[i].fd);
	free(pfd);
}

/* Pins from DNS answers, less what the rebinding guard drops. */
static int
pin_from_answer(const struct query *q)
{
	int family = q->type == T_A ? AF_INET : AF_INET6, added = 0, pinned;
	char a[INET6_ADDRSTRLEN];
	uint8_t a16[16];

	for (int i = 0; i < q->ans.naddrs; i++) {
		const uint8_t *addr = q->ans.addrs[i];
		const char *why = is_private(family, addr) ? private_reason(q->rule) : NULL;

		if (is_private(family, addr) && !why) {
			format_addr(family, addr, a, sizeof(a));
			warnx("warning: rule '%s': DNS answered %s for %s, a private, "
			    "loopback or special address: dropped (rebinding guard; a "
			    "rule private:%s keeps it for this name)", q->rule->text, a,
			    q->rule->name, q->rule->name);
			continue;
		}
		pinned = family;
		memset(a16, 0, sizeof(a16));
		memcpy(a16, addr, family == AF_INET ? 4 : 16);
		unmap_v4(&pinned, a16);
		add_pin(pinned, a16, pinned == AF_INET ? 32 : 128, q->rule, "dns", why);
		added = 1;
	}
	return added;
}

/* Pins the query's answer, and says what came of it. */
static enum name_outcome
query_outcome(const struct query *q)
{
	if (q->done && q->status == DNS_OK)
		return pin_from_answer(q) ? N_FOUND : q->ans.naddrs ? N_GUARD : N_NODATA;
	if (q->done && q->status == DNS_NXDOMAIN)
		return N_NXDOMAIN;
	return q->failed ? N_FAILED : q->unreachable ? N_UNREACHABLE : N_TIMEOUT;
}

/* "10.0.0.53:53, [2001:db8::53]:53" */
static void
servers_text(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < nservers && o < len; i++) {
		const struct sockaddr_storage *ss = &servers[i].ss;
		const struct sockaddr_in *sin = (const void *)ss;
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		char a[INET6_ADDRSTRLEN];

		if (ss->ss_family == AF_INET)
			format_addr(AF_INET, (const uint8_t *)&sin->sin_addr, a, sizeof(a));
		else
			format_addr(AF_INET6, (const uint8_t *)&sin6->sin6_addr, a, sizeof(a));
		o += (size_t)snprintf(buf + o, len - o, ss->ss_family == AF_INET ?
		    "%s%s:%u" : "%s[%s]:%u", i ? ", " : "", a,
		    ntohs(ss->ss_family == AF_INET ? sin->sin_port : sin6->sin6_port));
	}
}

/* Why a name rule pins nothing. */
static const char *
outcome_text(enum name_outcome o, char *buf, size_t len)
{
	char sv[256];

	servers_text(sv, sizeof(sv));
	switch (o) {
	case N_NXDOMAIN:
		return "no such name (NXDOMAIN)";
	case N_GUARD:
		return "DNS gave only private or special addresses, dropped by the "
		    "rebinding guard";
	case N_NODATA:
		return "DNS has no A or AAAA record for it";
	case N_FAILED:
		snprintf(buf, len, "the DNS server failed (SERVFAIL or refused: %s)", sv);
		return buf;
	case N_UNREACHABLE:
		snprintf(buf, len, "the DNS server is unreachable (%s)", sv);
		return buf;
	case N_TIMEOUT:
		snprintf(buf, len, "no answer within %.1f s (%s)", opt_timeout_ms / 1000.0, sv);
		return buf;
	default:
		return "no DNS server to ask";
	}
}

static void
resolve_by_dns(const struct rule **names, int nnames, int *found,
    pthread_mutex_t *lock)
{
	struct query *qs;
	int nq = 0;

	if (nnames == 0)
		return;
	if (nservers == 0) {
		warnx("warning: no DNS server (%s lists none, no --dns): names not "
		    "in %s do not resolve", opt_resolv, opt_hosts);
		return;
	}
	qs = xcalloc((size_t)nnames * 2, sizeof(*qs));
	for (int i = 0; i < nnames; i++) {
		for (int t = 0; t < 2; t++) {
			struct query *q = &qs[nq++];

			q->rule = names[i];
			q->type = t ? T_AAAA : T_A;
			q->fd = -1;
			q->len = dns_build_query(q->pkt, sizeof(q->pkt), q->rule->name,
			    q->type, 0);
			if (!q->len) { /* not for a valid_hostname() name */
				warnx("rule '%s': name too long for DNS", q->rule->text);
				nq--;
			}
		}
	}
	resolve_all(qs, nq);
	/* the pins, under lock (if given): asking upstream took none */
	if (lock)
		pthread_mutex_lock(lock);
	for (int i = 0; i < nq; i++) {
		enum name_outcome o = query_outcome(&qs[i]);

		if (found && qs[i].rule >= rules && qs[i].rule < rules + nrules &&
		    (int)o > found[qs[i].rule - rules])
			found[qs[i].rule - rules] = (int)o;
	}
	if (lock)
		pthread_mutex_unlock(lock);
	free(qs);
}

/*
 * A name rule that pins nothing allows nothing: an allow rule stops netpin
 * (125), saying why and what to write, unless --skip-unresolved; a deny
 * rule is said, and refuses its name still (DNS, and in connections).
 */
static void
name_pins_nothing(const struct rule *r, enum name_outcome o)
{
	char buf[400];
	const char *why = outcome_text(o, buf, sizeof(buf));

	if (r->deny || opt_skip_unresolved) {
		warnx("warning: rule '%s': %s does not resolve (%s); it %s nothing",
		    r->text, r->name, why, r->deny ? "refuses" : "allows");
		return;
	}
	if (o == N_GUARD)
		die("rule '%s': %s does not resolve: %s\nhint: if %s is a name of "
		    "your own network, write the rule private:%s (for this name "
		    "alone), or give --allow-private-dns (for every rule); "
		    "--skip-unresolved runs without it", r->text, r->name, why,
		    r->name, r->text);
	die("rule '%s': %s does not resolve: %s\nhint: check the name and the "
	    "DNS servers (--dns, --resolv), or --skip-unresolved runs without the "
	    "rule", r->text, r->name, why);
}

static void
build_pin_table(void)
{
	const struct rule **names = xcalloc((size_t)nrules, sizeof(*names));
	int *found = xcalloc((size_t)nrules, sizeof(int)), nnames = 0;

	read_hosts();

	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		switch (r->kind) {
		case R_ADDR:
			add_pin(r->family, r->addr, r->plen, r, "rule", NULL);
			break;
		case R_NAME:
			/* the hosts file first; DNS only for what it does not name */
			if (pin_from_hosts(r) > 0) {
				found[i] = N_FOUND;
				continue;
			}
			names[nnames++] = r;
			break;
		case R_WILDCARD:
			break; /* pinned DNS pins its names when the command asks */
		}
	}
	read_resolv_conf(!opt_dns_given);
	if (opt_verbose && nnames) {
		char sv[256];

		servers_text(sv, sizeof(sv));
		fprintf(stderr, "netpin: asking DNS: %s\n", *sv ? sv : "(no server)");
	}
	resolve_by_dns(names, nnames, found, NULL);
	for (int i = 0; i < nrules; i++)
		if (rules[i].kind == R_NAME && found[i] != N_FOUND)
			name_pins_nothing(&rules[i], (enum name_outcome)found[i]);
	/* a deny rule must not silently take away another name's grant */
	for (int i = 0; i < nrules; i++) {
		const struct pin *dp;
		long port;
		int proto;

		if ((dp = deny_takes(&rules[i], &proto, &port)))
			say_deny_takes(dp, &rules[i], proto, port, 1);
	}
	free(names);
	free(found);
}

/* ---- filter and Landlock ------------------------------------------------ */

/* ---- BPF filter --------------------------------------------------------- */

/*
 * The filter is one array.  Every syscall netpin watches has one block,
 * introduced by ON_SYSCALL, that decides it completely (each path ends in a
 * return); the block's length is computed by the compiler, so no jump offset
 * is counted by hand.  Jumps inside the small macros below are local to the
 * macro.
 */
#if defined(__x86_64__)
#define NR_FIRST_WATCHED SYS_socket        /* 41 */
#define NR_LAST_WATCHED SYS_pidfd_open     /* 434 */
#elif defined(__aarch64__)
#define NR_FIRST_WATCHED SYS_ioprio_set    /* 30 */
#define NR_LAST_WATCHED SYS_pidfd_open     /* 434 */
#endif

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define STMT(code, k) { (uint16_t)(code), 0, 0, (uint32_t)(k) }
#define JUMP(code, k, jt, jf) { (uint16_t)(code), (jt), (jf), (uint32_t)(k) }
#define LD_NR STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define LD_ARG(i) STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(i))   /* int arguments */
#define LD_ARG_HI(i) STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(i))
#define AND(k) STMT(BPF_ALU | BPF_AND | BPF_K, (k))
#define RET(v) STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & 0xffff))
#define NOTIFY SECCOMP_RET_USER_NOTIF
#define ALLOW SECCOMP_RET_ALLOW
/* a call netpin cannot mediate: refused by netpin, which says so (rare) */
#define REFUSE SECCOMP_RET_USER_NOTIF
#define NINSNS(...) (sizeof((struct sock_filter[]){ __VA_ARGS__ }) / sizeof(struct sock_filter))
/* if the accumulator == v (resp. != v, has bits of v), return ret */
#define RET_IF_EQ(v, ret) JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 0, 1), RET(ret)
#define RET_IF_NE(v, ret) JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 1, 0), RET(ret)
#define RET_IF_SET(v, ret) JUMP(BPF_JMP | BPF_JSET | BPF_K, (v), 0, 1), RET(ret)
#define RET_UNLESS_IN2(a, b, ret) \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (a), 2, 0), \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (b), 1, 0), RET(ret)
/* if lo <= the accumulator <= hi, return ret */
#define RET_IF_IN(lo, hi, ret) \
	JUMP(BPF_JMP | BPF_JGE | BPF_K, (lo), 0, 2), \
	JUMP(BPF_JMP | BPF_JGT | BPF_K, (hi), 1, 0), RET(ret)
#define RET_UNLESS_IN3(a, b, c, ret) \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (a), 3, 0), \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (b), 2, 0), \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (c), 1, 0), RET(ret)
/* the instructions that follow decide syscall nr; others skip them */
#define ON_SYSCALL(nr, ...) \
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, NINSNS(__VA_ARGS__)), __VA_ARGS__
/* the instructions that follow run only when argument i == v */
#define ON_ARG(i, v, ...) \
	LD_ARG(i), JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 0, NINSNS(__VA_ARGS__)), __VA_ARGS__
/* refuse a call whose int argument i names netpin itself */
#define EPERM_IF_ARG(i, v) LD_ARG(i), RET_IF_EQ((v), ERRNO(EPERM))
/* a call aimed at a process: at the caller itself (0) at once, else netpin
 * checks the target against its own threads (registers only) */
#define ALLOW_IF_SELF(i) LD_ARG(i), RET_IF_EQ(0, ALLOW), RET(NOTIFY)

#define FILTER_MAX 256

/*
 * Build the filter for a command supervised by the process self (process
 * group pgid).  addfd: netpin cannot take the command's sockets
 * (pidfd_getfd refused), so every socket is made by netpin: socket(),
 * socketpair() and accept() come to it too.  Returns the number of
 * instructions written to out.
 */
#define FILTER_ADDFD 1            /* socket(), socketpair(), accept() notified */
#define FILTER_ASK 2              /* signals to other processes notified */
static unsigned
filter_build(struct sock_filter *out, pid_t self, pid_t pgid, int flags)
{
	const uint32_t me = (uint32_t)self, group = (uint32_t)-pgid;
	const uint32_t all = (uint32_t)-1;
	const uint32_t made = flags & FILTER_ADDFD ? NOTIFY : ALLOW; /* a new socket */
	/* --ask: signals to other processes may be aimed at an asker */
	const uint32_t signal = flags & FILTER_ASK ? NOTIFY : ALLOW;
	const uint32_t peer = names_checked_anywhere ? NOTIFY : ALLOW;
	const struct sock_filter prog[] = {
		/* only native system calls: i386, x32 and the rest kill */
		LD_ARCH,
		RET_IF_NE(AUDIT_ARCH_NATIVE, SECCOMP_RET_KILL_PROCESS),
		LD_NR,
#ifdef X32_SYSCALL_BIT
		JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
		RET(SECCOMP_RET_KILL_PROCESS),
#endif
		/* who gets the signals the kernel sends for a file's I/O
		 * (F_SETSIG may make them SIGKILL): checked on every kernel,
		 * Landlock's signal scope or not (ioctl is below the watched
		 * range, so before it) */
		ON_SYSCALL(SYS_fcntl, LD_ARG(1),
		    RET_IF_EQ(F_SETOWN, NOTIFY), RET_IF_EQ(F_SETOWN_EX, NOTIFY),
		    RET(ALLOW)),
		ON_SYSCALL(SYS_ioctl, LD_ARG(1),
		    RET_IF_EQ(FIOSETOWN, NOTIFY), RET_IF_EQ(SIOCSPGRP, NOTIFY),
		    RET(ALLOW)),
		/* the common case: a system call outside the watched range */
		JUMP(BPF_JMP | BPF_JGE | BPF_K, NR_FIRST_WATCHED, 1, 0),
		RET(ALLOW),
		JUMP(BPF_JMP | BPF_JGT | BPF_K, NR_LAST_WATCHED, 0, 1),
		RET(ALLOW),

		/* network calls netpin decides */
		ON_SYSCALL(SYS_connect, RET(NOTIFY)),
		ON_SYSCALL(SYS_sendto,
		    /* send() has no address and stays in the kernel; the
		     * pointer is tested on both halves */
		    LD_ARG(4), RET_IF_NE(0, NOTIFY),
		    LD_ARG_HI(4), RET_IF_NE(0, NOTIFY),
		    RET(ALLOW)),
		ON_SYSCALL(SYS_sendmsg, RET(NOTIFY)),
		/* pinned DNS: a recvfrom that asks for the sender */
		ON_SYSCALL(SYS_recvfrom,
		    LD_ARG(4), RET_IF_NE(0, NOTIFY),
		    LD_ARG_HI(4), RET_IF_NE(0, NOTIFY),
		    RET(ALLOW)),
		ON_SYSCALL(SYS_sendmmsg, RET(NOTIFY)),
		/* a tunnelled socket's peer is its destination, not netpin */
		ON_SYSCALL(SYS_getpeername, RET(peer)),
		ON_SYSCALL(SYS_bind, RET(NOTIFY)),
		/* a listener is a way out too: only on --bind ports */
		ON_SYSCALL(SYS_listen, RET(NOTIFY)),

		/* sockets: unix, netlink, and TCP/UDP over IPv4/IPv6 only
		 * (no raw, packet, vsock, ICMP, SCTP, MPTCP, ...) */
		ON_SYSCALL(SYS_socket,
		    LD_ARG(0),
		    RET_IF_EQ(AF_UNIX, made),
		    RET_IF_EQ(AF_NETLINK, made),
		    RET_UNLESS_IN2(AF_INET, AF_INET6, REFUSE),
		    LD_ARG(1), AND(~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC)),
		    RET_UNLESS_IN2(SOCK_STREAM, SOCK_DGRAM, REFUSE),
		    LD_ARG(2),
		    RET_UNLESS_IN3(0, IPPROTO_TCP, IPPROTO_UDP, REFUSE),
		    RET(made)),
		ON_SYSCALL(SYS_socketpair,
		    LD_ARG(0), RET_IF_NE(AF_UNIX, REFUSE),
		    RET(made)),
		ON_SYSCALL(SYS_accept, RET(made)),
		ON_SYSCALL(SYS_accept4, RET(made)),
		/* IP options and IPv6 routing headers choose the first hop;
		 * freebind and transparent let the command pick any source
		 * address, a local port range its port without --bind;
		 * multicast joins send reports whose group and
		 * source addresses the command picks: netpin decides them */
		ON_SYSCALL(SYS_setsockopt,
		    ON_ARG(1, IPPROTO_IP,
			LD_ARG(2),
			RET_IF_EQ(IP_OPTIONS, REFUSE),
			RET_IF_EQ(IP_RETOPTS, REFUSE),
			RET_IF_EQ(IP_FREEBIND_, REFUSE),
			RET_IF_EQ(IP_TRANSPARENT_, REFUSE),
			RET_IF_EQ(IP_LOCAL_PORT_RANGE_, REFUSE),
			RET_IF_IN(IP_ADD_MEMBERSHIP_, MCAST_MSFILTER_, NOTIFY),
			RET(ALLOW)),
		    ON_ARG(1, IPPROTO_IPV6,
			LD_ARG(2),
			RET_IF_EQ(IPV6_RTHDR, REFUSE),
			/* turns an IPv6 socket into IPv4 behind netpin's back */
			RET_IF_EQ(IPV6_ADDRFORM_, REFUSE),
			RET_IF_EQ(IPV6_2292RTHDR_, REFUSE),
			RET_IF_EQ(IPV6_2292PKTOPTIONS_, REFUSE),
			RET_IF_EQ(IPV6_FREEBIND_, REFUSE),
			RET_IF_EQ(IPV6_TRANSPARENT_, REFUSE),
			RET_IF_EQ(IPV6_PKTINFO, REFUSE), /* a sticky source */
			RET_IF_IN(IPV6_ADD_MEMBERSHIP_, IPV6_DROP_MEMBERSHIP_, NOTIFY),
			RET_IF_IN(IPV6_JOIN_ANYCAST_, IPV6_LEAVE_ANYCAST_, NOTIFY),
			RET_IF_IN(MCAST_JOIN_GROUP_, MCAST_MSFILTER_, NOTIFY),
			RET(ALLOW)),
		    RET(ALLOW)),
		/* io_uring operations bypass seccomp entirely */
		ON_SYSCALL(SYS_io_uring_setup, RET(REFUSE)),
		ON_SYSCALL(SYS_io_uring_enter, RET(REFUSE)),
		ON_SYSCALL(SYS_io_uring_register, RET(REFUSE)),

		/* self-protection: leave netpin alone */
		/* netpin's other threads are checked by netpin (kernels without
		 * Landlock's scopes let the command reach them otherwise) */
		ON_SYSCALL(SYS_ptrace, EPERM_IF_ARG(1, me),
		    LD_ARG(0), RET_IF_EQ(PTRACE_ATTACH_, NOTIFY),
		    RET_IF_EQ(PTRACE_SEIZE_, NOTIFY), RET(ALLOW)),
		ON_SYSCALL(SYS_process_vm_writev, EPERM_IF_ARG(0, me), RET(NOTIFY)),
		ON_SYSCALL(SYS_process_vm_readv, EPERM_IF_ARG(0, me), RET(NOTIFY)),
		ON_SYSCALL(SYS_pidfd_open, EPERM_IF_ARG(0, me), RET(NOTIFY)),
		/* limits, priorities and CPUs of netpin are not the command's */
		ON_SYSCALL(SYS_prlimit64, ALLOW_IF_SELF(0)),
		ON_SYSCALL(SYS_sched_setparam, ALLOW_IF_SELF(0)),
		ON_SYSCALL(SYS_sched_setscheduler, ALLOW_IF_SELF(0)),
		ON_SYSCALL(SYS_sched_setaffinity, ALLOW_IF_SELF(0)),
		ON_SYSCALL(SYS_sched_setattr, ALLOW_IF_SELF(0)),
		ON_SYSCALL(SYS_setpriority,
		    ON_ARG(0, PRIO_PROCESS_, ALLOW_IF_SELF(1)), RET(NOTIFY)),
		ON_SYSCALL(SYS_ioprio_set,
		    ON_ARG(0, IOPRIO_WHO_PROCESS_, ALLOW_IF_SELF(1)), RET(NOTIFY)),
		/* kill(0) reaches netpin's group; kill(tid) a thread's process */
		ON_SYSCALL(SYS_kill,
		    EPERM_IF_ARG(0, me), EPERM_IF_ARG(0, all),
		    EPERM_IF_ARG(0, group), LD_ARG(0),
		    RET_IF_SET(0x80000000U, signal), RET(NOTIFY)),
		/* a thread id may be one of netpin's threads: checked */
		ON_SYSCALL(SYS_tkill, EPERM_IF_ARG(0, me), RET(NOTIFY)),
		ON_SYSCALL(SYS_tgkill, EPERM_IF_ARG(0, me), RET(signal)),
		ON_SYSCALL(SYS_rt_sigqueueinfo, EPERM_IF_ARG(0, me), RET(signal)),
		ON_SYSCALL(SYS_rt_tgsigqueueinfo, EPERM_IF_ARG(0, me), RET(signal)),
		/* a pidfd or a /proc/PID directory may name netpin: checked */
		ON_SYSCALL(SYS_pidfd_send_signal, RET(NOTIFY)),
		/* a second notifier would let the command answer itself */
		ON_SYSCALL(SYS_seccomp,
		    ON_ARG(0, SECCOMP_SET_MODE_FILTER,
			LD_ARG(1),
			RET_IF_SET(SECCOMP_FILTER_FLAG_NEW_LISTENER, ERRNO(EPERM)),
			RET(ALLOW)),
		    RET(ALLOW)),
		/* staying readable to netpin: PR_SET_DUMPABLE 0 succeeds, does nothing */
		ON_SYSCALL(SYS_prctl,
		    ON_ARG(0, PR_SET_DUMPABLE,
			LD_ARG(1),
			RET_IF_EQ(0, ERRNO(0)),
			RET(ALLOW)),
		    RET(ALLOW)),
		RET(ALLOW),
	};
	_Static_assert(sizeof(prog) / sizeof(prog[0]) <= FILTER_MAX, "filter size");

	memcpy(out, prog, sizeof(prog));
	return (unsigned)(sizeof(prog) / sizeof(prog[0]));
}

/* ---- Landlock ----------------------------------------------------------- */

static int
landlock_probe(void)
{
	int abi = landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : abi;
}

static void
landlock_describe(FILE *f)
{
	int abi = probed.landlock_abi;

	/* said with -v only: the seccomp supervisor is what enforces */
	if (abi < 4) {
		fprintf(f, "netpin: layer 2: Landlock %s: no TCP rules; only the "
		    "seccomp supervisor protects\nhint: Linux >= 6.7 with "
		    "CONFIG_SECURITY_LANDLOCK=y and \"landlock\" in the lsm= boot "
		    "parameter\n", abi ? "ABI < 4 (Linux < 6.7)" : "unavailable");
		return;
	}
	fprintf(f, "netpin: layer 2: Landlock ABI %d: direct TCP connect and bind%s "
	    "refused by the kernel%s\n", abi, abi >= 10 ? ", and the command's own "
	    "UDP bind, connect and sends to an address," : "",
	    abi >= 6 ? "; scopes: signals, abstract unix sockets" :
	    "; no scopes (ABI < 6)");
	if (abi < 10)
		fprintf(f, "netpin: layer 2: no UDP rights (Landlock ABI < 10, Linux "
		    "< 7.2): UDP rests on the seccomp supervisor alone\n");
}

/* What the command's domain handles, for the start event: "tcp udp
 * scopes" (ask: "fs", with --ask on ABI 1 to 3), or "" (no domain). */
static const char *
landlock_rights(int abi)
{
	if (abi >= 10)
		return "tcp udp scopes";
	if (abi >= 6)
		return "tcp scopes";
	if (abi >= 4)
		return "tcp";
	return abi >= 1 && opt_ask ? "fs" : "";
}

/* The ruleset attribute as the running kernel knows it: one binary from
 * ABI 1 (8 bytes) to the newest (24 here: ABI 10's quiet fields, 48
 * bytes, are not used). */
static size_t
landlock_attr_size(int abi)
{
	return abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
}

/*
 * In the child: TCP connect and bind handled with no port allowed (ABI
 * 4), the scopes (6), UDP bind, connect and sends to an address handled
 * with no port allowed but 0 for bind (10: an ephemeral port, which netpin
 * always allows, and the kernel's autobind of a send with no address on an
 * unbound socket, so that it still fails EDESTADDRREQ); with --ask, a
 * domain on any ABI (no block device is made by anyone here), so that the
 * command cannot trace PROGRAM.  Every call netpin makes for the command
 * is made outside this domain.
 */
static int
landlock_apply(int abi)
{
	static const struct landlock_net_port_attr udp_port0 = {
		.allowed_access = LANDLOCK_ACCESS_NET_BIND_UDP, .port = 0,
	};
	struct landlock_ruleset_attr attr = { 0 };
	int fd;

	if (abi >= 4)
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
	if (abi >= 10)
		attr.handled_access_net |= LANDLOCK_ACCESS_NET_BIND_UDP |
		    LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP;
	if (abi >= 1 && abi < 4 && opt_ask)
		attr.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK;
	if (!attr.handled_access_fs && !attr.handled_access_net)
		return 0;
	fd = landlock_create_ruleset(&attr, landlock_attr_size(abi), 0);
	if (fd < 0)
		return -1;
	if ((abi >= 10 && landlock_add_rule(fd, LANDLOCK_RULE_NET_PORT, &udp_port0)) ||
	    landlock_restrict_self(fd, 0)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- supervisor core ---------------------------------------------------- */

/* ---- struct call, answering --------------------------------------------- */

#define DATA_MAX (1U << 20)       /* bytes netpin carries for one message */
#define CALL_DATA_MAX (4U << 20)  /* ... and for one sendmmsg */
#define CTL_MAX 131072            /* control bytes (the kernel's optmem_max) */
#define KIOV_MAX 1024             /* UIO_MAXIOV */
#define WORKERS_MAX 256           /* blocked calls finished in threads */
#define CAP_NET_BIND_SERVICE_ 10

static int listener = -1;        /* written at start */
static pid_t child_pid;           /* written at start */
static int workers;               /* under workers_lock */
static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;

enum call_op {
	OP_UNSET,                 /* no handler said: refused (ENOSYS) */
	OP_CONNECT, OP_BIND, OP_LISTEN, OP_SEND, OP_RECV, OP_SIGNAL,
	OP_SETSOCKOPT, OP_PEERNAME,
	OP_CONTINUE,              /* the kernel makes the call: no memory read */
	OP_NONE,                  /* nothing to do: the answer is 0 */
	OP_SOCKET, OP_SOCKETPAIR, OP_ACCEPT   /* the addfd mode */
};

/* One message carried for the command. */
struct msgbuf {
	struct sockaddr_storage name;
	socklen_t namelen;        /* 0: no address */
	char *data;
	size_t len, done;
	char *control;
	size_t controllen;
	int *fds;                 /* taken for SCM_RIGHTS; closed after */
	int nfds;
	int src_set;              /* an IP(V6)_PKTINFO source address */
};

/*
 * Functions on the mediation path return 0 or an errno (positive); those
 * that make a value (an fd, a count) return it or -1 with errno, as system
 * calls do.  Two outcomes are neither, and negative so that no errno or
 * fd is taken for them:
 */
enum {
	CALL_GONE = -2,           /* gone, or answered: nothing more to answer */
	UNDER_WAY = -3,           /* still going on: a worker finishes it */
	GO_PLAIN = -4,            /* not done here: made as any other (the
	                           * relay, for a connection it need not read) */
	ASK_LATER = -5            /* held for a question (--ask): a worker,
	                           * which may wait, vets it again */
};

/*
 * What performing a call comes to: its answer (val, and err: 0 or a
 * positive errno), or err UNDER_WAY (a worker goes on with it) or
 * CALL_GONE (nothing to answer).  settle() answers it, in one place.
 */
struct result {
	int64_t val;
	int err;
};
#define RESULT(v, e) ((struct result){ .val = (v), .err = (e) })
#define ERRNO_RESULT(e) RESULT(0, (e))

/*
 * One notification, from its arrival to its answer.  What only one kind
 * of call uses is in the union, under the ops that use it: nothing there
 * is read for another op (call_free looks at op too), so a handler sets
 * op before it writes any of them.
 */
struct call {
	uint64_t id;
	pid_t tid;
	int nr;
	const char *name;         /* the system call's (from handlers[]) */
	enum call_op op;
	int pidfd;
	int pidfd_kept;           /* pidfd is the shared table's: released */
	int fd;                   /* netpin's duplicate of the command's socket */
	int domain, type, protocol;
	int flags;                /* the flags argument (send, recv, accept4) */
	int as_task;              /* made by a worker that becomes the command */
	int shared_fs;            /* as_task, but with netpin's fs_struct (a
	                           * profile refused unshare): unix paths made
	                           * absolute through cwd_fd, umask around bind */
	int cwd_fd;               /* shared_fs: the command's directory (O_PATH) */
	int task_umask;           /* shared_fs: the command's umask, or -1 */
	int ask_later;            /* vetted again by a worker (ASK_LATER) */
	struct call *queue_next;  /* in the workers' queue */
	union {
		struct {          /* OP_CONNECT, OP_BIND */
			struct sockaddr_storage addr;
			socklen_t addrlen;
			int connecting;   /* a blocking connect under way */
			int need;         /* names checked in the connection */
			struct dest dest; /* ... to this destination, */
			struct tunnel *tun; /* through this tunnel (till it runs) */
		};
		int backlog;      /* OP_LISTEN */
		struct {          /* OP_SEND */
			struct msgbuf *msg;
			unsigned nmsg, next;
			unsigned nsend;   /* messages to send: [0, nsend) */
			int late_err;     /* sendmmsg: the error that cut the vector */
			int is_mmsg;
			uint64_t mmsg_vec; /* sendmmsg: where msg_len goes back */
		};
		struct {          /* OP_RECV (a reply of pinned DNS) */
			struct sockaddr_storage dns_server; /* the server asked */
			uint64_t recv_buf, recv_from, recv_alen;
			size_t recv_len;
		};
		struct {          /* OP_ACCEPT */
			uint64_t peer_addr, peer_alen; /* where the peer goes */
			socklen_t peer_len;   /* its room there */
			int peer_err;         /* a bad length, said once one came */
		};
		uint64_t pair;    /* OP_SOCKETPAIR: where the two fds go */
		struct {          /* OP_SIGNAL */
			int sig;
			unsigned sig_flags;
			int has_info;     /* the command gave a siginfo */
			siginfo_t info;
		};
		struct {          /* OP_PEERNAME (of a tunnelled socket) */
			struct dest peer;
			uint64_t peer_buf, peer_buflen;
		};
		struct {          /* OP_SETSOCKOPT (a group joined) */
			int opt_level, opt_name;
			socklen_t opt_len;
			uint8_t opt_val[sizeof(struct group_source_req)];
		};
	};
};

static void
answer(uint64_t id, int64_t val, int err)
{
	struct seccomp_notif_resp resp = { 0 };

	resp.id = id;
	resp.val = err ? 0 : val;
	resp.error = err ? -err : 0;
	/* ENOENT: the thread is gone or its call was interrupted */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		warnx("ioctl(SECCOMP_IOCTL_NOTIF_SEND): %s", strerror(errno));
}

/*
 * Answer a call, letting go of netpin's duplicate of its socket first: the
 * command runs again at once (at once on the same CPU with SYNC_WAKE_UP),
 * and its close() must leave no reference of netpin's behind (a listener
 * closed and bound again, a UDP port bound again).
 */
static void
answer_call(struct call *c, int64_t val, int err)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	answer(c->id, val, err);
}

/* The kernel makes the call itself, with what the command holds then:
 * only for calls whose decision read no memory of the command's. */
static void
answer_continue(struct call *c)
{
	struct seccomp_notif_resp resp = { 0 };

	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}

	resp.id = c->id;
	resp.flags = 1; /* SECCOMP_USER_NOTIF_FLAG_CONTINUE */
	/* safe here: receiving sends nothing, and no decision read memory */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		warnx("ioctl(SECCOMP_IOCTL_NOTIF_SEND): %s", strerror(errno));
}

/* Still the same blocked call?  Everything read before this is trusted after. */
static int
still_pending(const struct call *c)
{
	uint64_t id = c->id;

	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* A mediation step failed: say why (and hint, if given), once per kind,
 * and deny (fail closed). */
static int
step_failed_hint(const char *what, const struct call *c, int fd, int err,
    const char *hint)
{
	char key[64];

	snprintf(key, sizeof(key), "step %s", what);
	if (seen_before(key))
		return EACCES;
	if (fd >= 0)
		warnx("%s(pid %d, fd %d): %s; call denied", what, (int)c->tid, fd,
		    strerror(err));
	else
		warnx("%s(pid %d): %s; call denied", what, (int)c->tid, strerror(err));
	if (hint)
		fprintf(stderr, "hint: %s\n", hint);
	return EACCES;
}

static int
step_failed(const char *what, const struct call *c, int fd, int err)
{
	return step_failed_hint(what, c, fd, err, NULL);
}

/*
 * The path of task tid's file NAME in /proc, "/proc/TID/NAME", into buf.
 * Returns 0, or ENOENT when /proc is not of netpin's PID namespace (one
 * mounted by another, as under unshare -p without --mount-proc): TID
 * names another process there, so netpin works as with no /proc.
 */
static int __attribute__((format(printf, 4, 5)))
proc_task_path(char *buf, size_t len, pid_t tid, const char *name, ...)
{
	va_list ap;
	int o;

	if (!probed.proc_own)
		return ENOENT;
	o = snprintf(buf, len, "/proc/%d/", (int)tid);
	va_start(ap, name);
	vsnprintf(buf + o, len - (size_t)o, name, ap);
	va_end(ap);
	return 0;
}

/* /proc/TID/status as a string.  Returns 0 or an errno. */
static int
read_status(pid_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (proc_task_path(path, sizeof(path), tid, "status"))
		return ENOENT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	n = read(fd, buf, len - 1);
	if (n <= 0) {
		int err = n < 0 ? errno : ESRCH; /* empty: the task is gone */

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* One field ("Name", "Tgid", "CapEff") of a status text: 0, or ENOENT. */
static int
status_field(const char *buf, const char *field, char *out, size_t outlen)
{
	size_t flen = strlen(field);

	for (const char *line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			const char *v = line + flen + 1, *e;

			while (*v == '\t' || *v == ' ')
				v++;
			e = strchr(v, '\n');
			snprintf(out, outlen, "%.*s", e ? (int)(e - v) : (int)strlen(v), v);
			make_printable(out); /* "Name" is the command's to choose */
			return 0;
		}
	}
	return ENOENT;
}

static int
task_status(pid_t tid, const char *field, char *out, size_t outlen)
{
	char buf[4096];
	int err = read_status(tid, buf, sizeof(buf));

	return err ? err : status_field(buf, field, out, outlen);
}

static int
open_task(pid_t tid)
{
	char tgid[32];

	if (probed.thread_pidfd)
		return sys_pidfd_open(tid, PIDFD_THREAD);
	/* before Linux 6.9 a pidfd names a thread group: find the leader;
	 * without /proc, only a leader's own id opens (others fail closed) */
	if (task_status(tid, "Tgid", tgid, sizeof(tgid)))
		return sys_pidfd_open(tid, 0);
	return sys_pidfd_open((pid_t)atoi(tgid), 0);
}

/*
 * Thread pidfds are kept in one table shared by all threads: a pidfd names
 * one thread for good, so a kept one either still names the caller or
 * fails with ESRCH (that thread is gone and its id reused) and is opened
 * again.  A kept pidfd is counted while calls use it and closed only when
 * none does; a slot another thread's calls still use is not taken (the
 * call opens a pidfd of its own).  So netpin keeps at most PIDFD_CACHE of
 * them, however many threads serve calls.  Process pidfds (before Linux
 * 6.9) are never kept: a reused thread id could then name another process.
 */
#define PIDFD_CACHE 256
static struct {
	pid_t tid;                /* 0: stale, closed when no call uses it */
	int fd;                   /* 0: none */
	unsigned uses;
} pidfds[PIDFD_CACHE];
static pthread_mutex_t pidfds_lock = PTHREAD_MUTEX_INITIALIZER;

/* The call is done with its pidfd (a kept one is closed by the last user
 * once stale). */
static void
pidfd_release(struct call *c)
{
	if (c->pidfd < 0)
		return;
	if (c->pidfd_kept) {
		/* a kept pidfd is in its caller's slot until no call uses it */
		unsigned i = (unsigned)c->tid % PIDFD_CACHE;
		int fd = -1;

		pthread_mutex_lock(&pidfds_lock);
		if (pidfds[i].fd == c->pidfd && pidfds[i].uses &&
		    !--pidfds[i].uses && !pidfds[i].tid) {
			fd = pidfds[i].fd;
			pidfds[i].fd = 0;
		}
		pthread_mutex_unlock(&pidfds_lock);
		if (fd > 0)
			close(fd);
	} else {
		close(c->pidfd);
	}
	c->pidfd = -1;
	c->pidfd_kept = 0;
}

/* A pidfd of the calling thread in c->pidfd; fresh: the kept one said
 * ESRCH, so it is stale.  Returns it, or -1 with errno. */
static int
open_caller(struct call *c, int fresh)
{
	unsigned slot = (unsigned)c->tid % PIDFD_CACHE;
	int old = -1;

	if (fresh && c->pidfd_kept) {
		pthread_mutex_lock(&pidfds_lock);
		if (pidfds[slot].fd == c->pidfd)
			pidfds[slot].tid = 0;
		pthread_mutex_unlock(&pidfds_lock);
	}
	pidfd_release(c);
	if (!probed.thread_pidfd)
		return c->pidfd = open_task(c->tid);
	pthread_mutex_lock(&pidfds_lock);
	if (pidfds[slot].tid == c->tid && pidfds[slot].fd > 0) {
		pidfds[slot].uses++;
		c->pidfd = pidfds[slot].fd;
		c->pidfd_kept = 1;
	} else if (!pidfds[slot].uses && (c->pidfd = open_task(c->tid)) >= 0) {
		old = pidfds[slot].fd;
		pidfds[slot].tid = c->tid;
		pidfds[slot].fd = c->pidfd;
		pidfds[slot].uses = 1;
		c->pidfd_kept = 1;
	}
	pthread_mutex_unlock(&pidfds_lock);
	if (old > 0)
		close(old);
	if (c->pidfd < 0 && (c->pidfd = open_task(c->tid)) < 0)
		return -1;
	return c->pidfd;
}

/* A handler whose call the kernel goes on with (CONTINUE). */
static int
go_on(struct call *c)
{
	c->op = OP_CONTINUE;
	return 0;
}

/* ---- the command's sockets: taking them, and which it still holds ------- */

/*
 * The addfd mode, where pidfd_getfd is refused (container runtimes' default
 * seccomp profiles): netpin makes every socket of the command itself,
 * installs it with SECCOMP_IOCTL_NOTIF_ADDFD, and keeps a reference, found
 * again by inode through /proc/TID/fd.  A reference the command no longer
 * holds is let go after two scans of its fd tables that miss it, so that
 * peers see the command's close: scans run every SCAN_MS, or less often
 * when they are costly (at most 1/SCAN_SHARE of a CPU, counted in the CPU
 * time the scans use: a busy command must not stretch them), and every
 * SCAN_MS whatever they cost once half of the descriptors netpin may keep
 * are the command's.  A socket netpin cannot keep for want of descriptors
 * waits (up to HELD_WAIT_MS) for scans that let go of all they do not see:
 * a command making sockets faster than scans find its closes is slowed
 * down to their pace rather than failed.  A socket
 * the command passes with SCM_RIGHTS is in no fd table until it is
 * received: it is kept for up to FLIGHT_MS.
 */
#define HELD_BUCKETS 1024
#define SCAN_MS 20
#define SCAN_SHARE 20
#define FLIGHT_MS 10000

struct held {
	ino_t ino;
	int fd;
	int missed;               /* scans in a row that did not see it */
	unsigned gen;             /* the scan it was made in: not judged by it;
	                           * UINT_MAX: not in the command yet */
	long flight;              /* passed with SCM_RIGHTS: kept until then */
	struct held *next;
};

static struct held *held[HELD_BUCKETS];    /* under held_lock */
static unsigned nheld;            /* atomic: held, until closed */
static unsigned scan_gen;         /* with held_lock */
/* descriptors netpin keeps for itself, whatever the command holds: the
 * scan must still open /proc, workers their pidfds */
#define HELD_RESERVE 1024
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
/* the scan made at once for a socket() or bind() that needs it (its
 * waits on the monotonic clock: a root command may set the wall clock
 * back; made by addfd_setup() before any thread): */
static pthread_cond_t now_scan_done;
static int now_scanning;          /* with held_lock */
static unsigned installing;       /* with held_lock: ADDFD ioctls under way */
static long last_now_scan;        /* with held_lock */
/* how long a socket() waits for scans to free a descriptor before EMFILE */
#define HELD_WAIT_MS 2000

/* Where the entry for inode ino is (or would go).  With held_lock held. */
static struct held **
held_slot(ino_t ino)
{
	struct held **p = &held[ino % HELD_BUCKETS];

	while (*p && (*p)->ino != ino)
		p = &(*p)->next;
	return p;
}

/*
 * The ADDFD that puts the socket at inode ino in the command is over.  ok:
 * the command has it now, and from the next scan on it is judged; else
 * netpin lets go of it.  Until this, the ioctl holds the socket in the
 * kernel whatever netpin closes (held_scan() waits for that).
 */
static void
held_installed(ino_t ino, int ok)
{
	struct held **p, *h;

	pthread_mutex_lock(&held_lock);
	if ((h = *(p = held_slot(ino)))) {
		if (!ok)
			*p = h->next;
		else if (h->gen == UINT_MAX)
			h->gen = scan_gen;
	}
	if (--installing == 0)
		pthread_cond_broadcast(&now_scan_done);
	pthread_mutex_unlock(&held_lock);
	if (h && !ok) {
		close(h->fd);
		free(h);
		__atomic_fetch_sub(&nheld, 1, __ATOMIC_RELAXED);
	}
}

/* The socket at netpin's fd is being passed in a message: keep it a while. */
static void
held_in_flight(int fd)
{
	struct stat st;
	struct held *h;

	if (fstat(fd, &st))
		return;
	pthread_mutex_lock(&held_lock);
	if ((h = *held_slot(st.st_ino)))
		h->flight = now_ms() + FLIGHT_MS;
	pthread_mutex_unlock(&held_lock);
}

/* A duplicate of netpin's reference to inode ino; -1 with errno (ENOENT:
 * netpin holds none). */
static int
held_dup(ino_t ino)
{
	struct held *h;
	int fd = -1;

	errno = ENOENT;
	pthread_mutex_lock(&held_lock);
	if ((h = *held_slot(ino))) {
		fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3);
		/* the command holds it (its fd table said so): put in, though
		 * the thread that put it there may not have said so yet (its
		 * answer woke the command first) */
		if (h->gen == UINT_MAX)
			h->gen = scan_gen;
	}
	pthread_mutex_unlock(&held_lock);
	return fd;
}

struct inoset {
	ino_t *v;
	size_t n, cap;
	int failed;               /* out of memory: the set is incomplete */
};

static void
inoset_add(struct inoset *s, ino_t ino)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		ino_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->failed = 1; /* the scan then counts as not made */
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ino;
}

static int
cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * What the fd link name (in directory dfd) names: 1 and its inode for a
 * socket ("socket:[N]"), 0 for anything else, -1 with errno.  The link's
 * text, never stat(): that would ask the file's own filesystem (a FUSE
 * mount of the command's could hang netpin).
 */
static int
socket_link(int dfd, const char *name, ino_t *ino)
{
	char link[64], *end;
	ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);

	if (n < 0)
		return -1;
	link[n] = '\0';
	if (strncmp(link, "socket:[", 8))
		return 0;
	*ino = (ino_t)strtoull(link + 8, &end, 10);
	return *end == ']';
}

/*
 * The socket inodes in the fd directory path.  Returns how many fds it
 * has, or -1 on a failure that leaves the picture incomplete.  A process
 * netpin may not read (not dumpable) is skipped: netpin cannot find its
 * sockets for its calls either.
 */
static int
scan_fd_dir(const char *path, struct inoset *socks)
{
	struct dirent *e;
	int nfds = 0;
	ino_t ino;
	DIR *d;

	if (!(d = opendir(path)))
		return errno == ENOENT || errno == ESRCH || errno == EACCES ? 0 : -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nfds++;
		if (socket_link(dirfd(d), e->d_name, &ino) == 1)
			inoset_add(socks, ino);
	}
	closedir(d);
	return nfds;
}

/* The socket inodes of process pid: its fd table, or, when its main
 * thread has ended (no fds left there), those of its other threads.
 * Returns 0 or an errno. */
static int
scan_fds(const char *pid, struct inoset *socks)
{
	char path[96];
	struct dirent *e;
	int n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if ((n = scan_fd_dir(path, socks)) != 0)
		return n < 0 ? errno : 0;
	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "/proc/%s/task/%.20s/fd", pid,
			    e->d_name);
			if (scan_fd_dir(path, socks) < 0) {
				int err = errno;

				closedir(d);
				return err;
			}
		}
	closedir(d);
	return 0;
}

/* The children of every thread of PID (CONFIG_PROC_CHILDREN), into pids.
 * Returns 0 or an errno. */
static int
scan_children(const char *pid, struct inoset *pids)
{
	char path[64], buf[4096];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	if (!(d = opendir(path)))
		return errno == ENOENT || errno == ESRCH ? 0 : errno;
	while ((e = readdir(d))) {
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		if (strlen(e->d_name) > 20)
			continue;
		snprintf(path, sizeof(path), "%.20s/children", e->d_name);
		if ((fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC)) < 0) {
			/* no children file in a thread of netpin's that is still
			 * there: none in this kernel (else the thread just ended) */
			if (errno == ENOENT && !strcmp(pid, "self") &&
			    faccessat(dirfd(d), e->d_name, F_OK, 0) == 0) {
				closedir(d);
				return ENOENT;
			}
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			for (char *p = buf, *end; *p; p = end) {
				unsigned long v = strtoul(p, &end, 10);

				if (end == p)
					break;
				inoset_add(pids, (ino_t)v);
			}
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

/*
 * Every socket inode the command's processes hold: netpin's children (the
 * command, and its orphans: netpin is their subreaper) and all their
 * descendants; or, in a kernel without children files, every process
 * netpin may read.  Returns 0, or an errno when the picture is incomplete.
 */
static int
command_sockets(struct inoset *socks)
{
	struct inoset pids = { 0 }, again = { 0 };
	char pid[24];
	int rc = 0;

	/*
	 * A process's fds are read before its children: a socket it closes
	 * after a fork is then seen in it, or the child is listed.  netpin's
	 * own children are listed again at the end, for orphans reparented
	 * to it meanwhile.
	 */
	if (scan_children("self", &pids) == 0) {
		size_t first = 0;

		for (int pass = 0; pass < 2 && rc == 0; pass++) {
			for (size_t i = first; i < pids.n && rc == 0; i++) {
				snprintf(pid, sizeof(pid), "%lu", (unsigned long)pids.v[i]);
				if (!(rc = scan_fds(pid, socks)))
					rc = scan_children(pid, &pids);
			}
			first = pids.n;
			if (pass == 0 && rc == 0 && (rc = scan_children("self", &again)) == 0)
				for (size_t j = 0; j < again.n; j++) {
					size_t i;

					for (i = 0; i < first && pids.v[i] != again.v[j]; i++)
						;
					if (i == first)
						inoset_add(&pids, again.v[j]);
				}
		}
	} else {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d)
			return errno;
		while ((e = readdir(d)))
			if (isdigit((unsigned char)e->d_name[0]) &&
			    (pid_t)atoi(e->d_name) != probed.pid)
				scan_fds(e->d_name, socks); /* others' are unreadable */
		closedir(d);
	}
	free(pids.v);
	free(again.v);
	/* a set that could not hold every socket must not let any go */
	return rc ? rc : socks->failed || pids.failed ? ENOMEM : 0;
}

/* Wait (with held_lock) up to SCAN_MS for a scan made at once, or for the
 * ADDFDs under way, to end. */
static void
now_scan_wait(void)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += SCAN_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&now_scan_done, &held_lock, &until);
}

/* A scan made at once (held_scan(1)) is done: its waiters look again. */
static void
now_scan_end(void)
{
	pthread_mutex_lock(&held_lock);
	now_scanning = 0;
	pthread_cond_broadcast(&now_scan_done);
	pthread_mutex_unlock(&held_lock);
}

/* Close the references on list gone (taken out of the table). */
static void
held_release(struct held *gone)
{
	while (gone) {
		struct held *h = gone;

		gone = h->next;
		close(h->fd);
		free(h);
		/* counted until closed: the descriptor is netpin's till then */
		__atomic_fetch_sub(&nheld, 1, __ATOMIC_RELAXED);
	}
}

/* At exit: every reference goes (the command is gone). */
static void
held_release_all(void)
{
	struct held *gone = NULL;

	pthread_mutex_lock(&held_lock);
	for (unsigned b = 0; b < HELD_BUCKETS; b++)
		while (held[b]) {
			struct held *h = held[b];

			held[b] = h->next;
			h->next = gone;
			gone = h;
		}
	pthread_mutex_unlock(&held_lock);
	held_release(gone);
}

/*
 * Let go of the references the command no longer holds: those missed by
 * two scans in a row, or (now) by this one.  Returns how many; in *cpu_us
 * (unless NULL) the CPU time the scan took, not counting the closes: they
 * are the command's own, made late (and a close that resets a TCP
 * connection costs more than finding it did).
 */
static unsigned
held_scan(int now, long *cpu_us)
{
	struct inoset socks = { 0 };
	struct held *gone = NULL, **p;
	unsigned gen, dropped = 0;
	long start = cpu_us ? thread_cpu_us() : 0;

	pthread_mutex_lock(&held_lock);
	/* one such scan at a time, and one per SCAN_MS (a command failing
	 * binds on purpose gets no more): others wait for it, or SCAN_MS */
	if (now && (now_scanning || now_ms() - last_now_scan < SCAN_MS)) {
		now_scan_wait();
		pthread_mutex_unlock(&held_lock);
		return 0;
	}
	if (now) {
		now_scanning = 1;
		last_now_scan = now_ms();
	}
	gen = ++scan_gen;
	pthread_mutex_unlock(&held_lock);
	if (command_sockets(&socks)) {
		warn_once("fd tables", "cannot read the command's fd tables: "
		    "sockets it closes stay open in netpin");
		free(socks.v);
		if (now)
			now_scan_end();
		if (cpu_us)
			*cpu_us = thread_cpu_us() - start;
		return 0;
	}
	if (socks.n)
		qsort(socks.v, socks.n, sizeof(*socks.v), cmp_ino);
	pthread_mutex_lock(&held_lock);
	for (unsigned b = 0; b < HELD_BUCKETS; b++)
		for (p = &held[b]; *p;) {
			struct held *h = *p;

			if (h->gen >= gen || (socks.n && bsearch(&h->ino, socks.v,
			    socks.n, sizeof(*socks.v), cmp_ino))) {
				if (h->gen < gen) {
					h->missed = 0;
					h->flight = 0;
				}
				p = &h->next;
				continue;
			}
			if (h->flight > now_ms() || (!now && ++h->missed < 2)) {
				p = &h->next;
				continue;
			}
			*p = h->next;
			h->next = gone;
			gone = h;
			dropped++;
		}
	pthread_mutex_unlock(&held_lock);
	if (now)
		now_scan_end();
	if (cpu_us)
		*cpu_us = thread_cpu_us() - start;
	held_release(gone);
	free(socks.v);
	/* a socket() just answered may still be in its ADDFD, which holds
	 * the socket in the kernel (the answer woke the command first, and a
	 * bind of its port may follow): give those a moment to end */
	pthread_mutex_lock(&held_lock);
	if (now && dropped && installing)
		now_scan_wait();
	pthread_mutex_unlock(&held_lock);
	return dropped;
}

/* Keep fd (netpin's own socket) as the command's, to be put in it (or
 * there already: settled).  Returns its inode, or 0. */
static ino_t
held_add(int fd, int settled)
{
	struct stat st;
	struct held *h;

	if (fstat(fd, &st))
		return 0;
	/* a command that makes sockets faster than scans find its closes
	 * waits for them (a while) rather than fail */
	for (long until = now_ms() + HELD_WAIT_MS; __atomic_load_n(&nheld,
	    __ATOMIC_RELAXED) >= probed.held_budget && now_ms() < until;)
		held_scan(1, NULL);
	if (__atomic_load_n(&nheld, __ATOMIC_RELAXED) >= probed.held_budget) {
		warn_once("held budget", "the command holds %u sockets, all that "
		    "netpin can keep descriptors for (RLIMIT_NOFILE): socket() "
		    "fails with EMFILE until it closes some", probed.held_budget);
		errno = EMFILE;
		return 0;
	}
	if (!(h = call_alloc(1, sizeof(*h)))) {
		errno = ENOMEM;
		return 0;
	}
	h->ino = st.st_ino;
	h->fd = fd;
	pthread_mutex_lock(&held_lock);
	h->gen = settled ? scan_gen : UINT_MAX;
	installing += !settled; /* until held_installed() */
	h->next = held[st.st_ino % HELD_BUCKETS];
	held[st.st_ino % HELD_BUCKETS] = h;
	__atomic_fetch_add(&nheld, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&held_lock);
	return st.st_ino;
}

/*
 * The socket at the command's fd, as netpin's reference to it.  A racing
 * thread may move another socket to that fd number meanwhile: netpin then
 * acts on a socket the command held at that number during the call, and
 * only ever on a socket it made, so nothing is decided on a socket netpin
 * has not seen.
 */
static int
take_held(struct call *c, int fd, int *out)
{
	char path[64];
	ino_t ino;
	int kind;

	if (proc_task_path(path, sizeof(path), c->tid, "fd/%d", fd))
		return step_failed("read /proc/PID/fd (no /proc of netpin's own)",
		    c, fd, ENOENT);
	if ((kind = socket_link(AT_FDCWD, path, &ino)) < 0)
		return errno == ENOENT ? EBADF :
		    step_failed("readlink /proc/PID/fd", c, fd, errno);
	/* the thread id named the caller only if its call is still pending */
	if (!still_pending(c))
		return EBADF;
	if (!kind)
		return ENOTSOCK;
	if ((*out = held_dup(ino)) >= 0)
		return 0;
	if (errno != ENOENT)
		return step_failed("dup", c, fd, errno);
	if (c->op != OP_RECV && c->op != OP_PEERNAME)
		warn_once("foreign socket", "fd %d of pid %d is a socket netpin did "
		    "not create (inherited or received from outside?); without "
		    "pidfd_getfd netpin cannot act on it: call denied", fd,
		    (int)c->tid);
	return EACCES;
}

/*
 * Put netpin's new socket fd into the calling thread (answered after,
 * with its number).  netpin keeps fd.  Returns the command's fd number or
 * -1 with errno.
 *
 * Never with SECCOMP_ADDFD_FLAG_SEND (5.14): that marks the call answered
 * before the fd is in, and when a signal interrupts netpin's ioctl (a stop,
 * a tracer) the kernel drops the fd but keeps the call answered: the
 * command's socket() returned 0.  A plain ADDFD, then the answer, costs one
 * ioctl more; after RECV the caller waits killably (WAIT_KILLABLE_RECV,
 * 5.19), so nothing but its death comes between them.
 */
static int
install_fd(struct call *c, int fd, int cloexec)
{
	struct seccomp_notif_addfd a = { 0 };
	ino_t ino = held_add(fd, 0); /* no scan drops it meanwhile */
	int rc;

	if (!ino) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	a.id = c->id;
	a.srcfd = (uint32_t)fd;
	a.newfd_flags = cloexec ? O_CLOEXEC : 0;
	rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (rc < 0) {
		int e = errno;

		held_installed(ino, 0);
		errno = e;
		return -1;
	}
	held_installed(ino, 1);
	return rc;
}

/* Take the command's fd into netpin.  Returns 0 or the errno to answer. */
static int
take_fd(struct call *c, int fd, int *out)
{
	if (probed.addfd_mode)
		return take_held(c, fd, out);
	for (int fresh = 0; fresh < 2; fresh++) {
		if ((c->pidfd < 0 || fresh) && open_caller(c, fresh) < 0)
			return step_failed("pidfd_open", c, -1, errno);
		*out = sys_pidfd_getfd(c->pidfd, fd);
		if (*out >= 0)
			return 0;
		if (errno == EBADF)
			return EBADF;
		if (errno != ESRCH || !c->pidfd_kept)
			break;
	}
	return step_failed_hint("pidfd_getfd", c, fd, errno, errno != EPERM ? NULL :
	    "a seccomp profile refuses pidfd_getfd (Docker's and Podman's "
	    "default do without CAP_SYS_PTRACE): run with --cap-add SYS_PTRACE");
}

/* ---- reading the command ------------------------------------------------ */

static int
read_proc_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (proc_task_path(path, sizeof(path), tid, "mem"))
		return ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = pread(fd, buf, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len ? 0 : EFAULT;
}

/*
 * Copy remote iovecs of the command's memory into buf.  Returns 0, EFAULT
 * (a bad pointer: what the kernel would answer), or EACCES after saying why
 * the memory could not be read.
 */
static int
child_readv(struct call *c, const struct iovec *remote, unsigned n, void *buf,
    size_t total)
{
	struct iovec local = { buf, total };
	ssize_t got;
	size_t off = 0;

	if (total == 0)
		return 0;
	got = process_vm_readv(c->tid, &local, 1, remote, n, 0);
	if (got == (ssize_t)total)
		return 0;
	if (got >= 0 || errno == EFAULT)
		return EFAULT;
	if (errno != ENOSYS && errno != EPERM)
		return step_failed("process_vm_readv", c, -1, errno);
	/* process_vm_readv refused (a seccomp profile): /proc/PID/mem */
	for (unsigned i = 0; i < n; i++) {
		int err = read_proc_mem(c->tid, (uint64_t)(uintptr_t)remote[i].iov_base,
		    (char *)buf + off, remote[i].iov_len);

		if (err)
			return err == EFAULT ? EFAULT :
			    step_failed("read /proc/PID/mem", c, -1, err);
		off += remote[i].iov_len;
	}
	return 0;
}

static int
child_read(struct call *c, uint64_t addr, void *buf, size_t len)
{
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return child_readv(c, &remote, 1, buf, len);
}

/*
 * Without /proc: process_vm_writev to the caller's thread id, after the
 * call proved still pending, and then the caller's pidfd must still name a
 * live thread (a thread id is not reused while its thread lives).  Only
 * with a pidfd that names that thread: a thread pidfd (Linux 6.9), or the
 * process's for its leader.
 */
static int
child_write_noproc(struct call *c, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)(uintptr_t)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (c->pidfd < 0 && (c->pidfd = open_task(c->tid)) >= 0)
		c->pidfd_kept = 0;
	if (c->pidfd < 0 || !still_pending(c))
		return EFAULT;
	n = process_vm_writev(c->tid, &local, 1, &remote, 1, 0);
	if (sys_pidfd_send_signal(c->pidfd, 0) != 0)
		return EFAULT;
	return n == (ssize_t)len ? 0 : EFAULT;
}

static int
child_write(struct call *c, uint64_t addr, const void *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (len == 0)
		return 0;
	/*
	 * /proc/TID/mem, opened first: the open file holds that task's memory,
	 * and the call still pending after it proves that the task is the
	 * caller (a thread id can be reused once its thread is gone, even by
	 * one of netpin's own threads).
	 */
	if (proc_task_path(path, sizeof(path), c->tid, "mem"))
		return child_write_noproc(c, addr, buf, len);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? child_write_noproc(c, addr, buf, len) : EFAULT;
	n = still_pending(c) ? pwrite(fd, buf, len, (off_t)addr) : -1;
	close(fd);
	return n == (ssize_t)len ? 0 : EFAULT;
}

/* A sockaddr argument (pointer, int length), as the kernel copies it. */
static int
read_sockaddr(struct call *c, uint64_t ptr, int64_t len64,
    struct sockaddr_storage *ss, socklen_t *len)
{
	int ilen = (int)len64;

	memset(ss, 0, sizeof(*ss));
	if (ilen < 0 || (size_t)ilen > sizeof(*ss))
		return EINVAL;
	*len = (socklen_t)ilen;
	return child_read(c, ptr, ss, (size_t)ilen);
}

/*
 * A socket's domain, type and protocol never change while netpin runs
 * (IPV6_ADDRFORM, the one option that changed a domain, is refused), so
 * they are kept by the socket's SO_COOKIE: a 64-bit number the kernel
 * never gives two sockets, unlike an inode number or an fd.  One
 * getsockopt then names the socket instead of three.  Only for sends and
 * receives, made again and again on one socket: a connect or bind is
 * mostly a socket's first call, which the cookie would only make dearer.
 * A kernel without SO_COOKIE (before 4.13) asks the three every time.
 */
#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#define KIND_CACHE 1024
static struct {
	uint64_t cookie;          /* 0: empty */
	int domain, type, protocol;
} kinds[KIND_CACHE];
static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;

static int
socket_kind(struct call *c)
{
	socklen_t l = sizeof(int), cl = sizeof(uint64_t);
	uint64_t cookie = 0;
	unsigned slot;
	int found = 0;

	if ((c->op != OP_SEND && c->op != OP_RECV) ||
	    getsockopt(c->fd, SOL_SOCKET, SO_COOKIE, &cookie, &cl))
		cookie = 0;
	slot = (unsigned)(cookie % KIND_CACHE);
	if (cookie) {
		pthread_mutex_lock(&kinds_lock);
		if ((found = kinds[slot].cookie == cookie)) {
			c->domain = kinds[slot].domain;
			c->type = kinds[slot].type;
			c->protocol = kinds[slot].protocol;
		}
		pthread_mutex_unlock(&kinds_lock);
		if (found)
			return 0;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_DOMAIN, &c->domain, &l) == 0 &&
	    getsockopt(c->fd, SOL_SOCKET, SO_TYPE, &c->type, &l) == 0 &&
	    getsockopt(c->fd, SOL_SOCKET, SO_PROTOCOL, &c->protocol, &l) == 0) {
		if (cookie) {
			pthread_mutex_lock(&kinds_lock);
			kinds[slot].cookie = cookie;
			kinds[slot].domain = c->domain;
			kinds[slot].type = c->type;
			kinds[slot].protocol = c->protocol;
			pthread_mutex_unlock(&kinds_lock);
		}
		return 0;
	}
	if (errno == ENOTSOCK)
		return ENOTSOCK;
	return step_failed("getsockopt(SO_DOMAIN)", c, c->fd, errno);
}

/* TCP or UDP as the socket really is (never what the command says). */
static int
socket_proto(const struct call *c)
{
	if (c->type == SOCK_STREAM && c->protocol == IPPROTO_TCP)
		return P_TCP;
	if (c->type == SOCK_DGRAM && c->protocol == IPPROTO_UDP)
		return P_UDP;
	return 0;
}

static int
socket_blocks(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* ---- waiting for a socket, and for the caller --------------------------- */

/* A caught, unblocked signal waits for the thread: the kernel would end
 * its blocking call with EINTR. */
static int
signal_waiting(pid_t tid)
{
	char buf[4096], v[32];
	uint64_t pend = 0, blk, cgt;

	if (read_status(tid, buf, sizeof(buf)))
		return 0;
	if (!status_field(buf, "SigPnd", v, sizeof(v)))
		pend |= strtoull(v, NULL, 16);
	if (!status_field(buf, "ShdPnd", v, sizeof(v)))
		pend |= strtoull(v, NULL, 16);
	if (status_field(buf, "SigBlk", v, sizeof(v)))
		return 0;
	blk = strtoull(v, NULL, 16);
	if (status_field(buf, "SigCgt", v, sizeof(v)))
		return 0;
	cgt = strtoull(v, NULL, 16);
	return (pend & ~blk & cgt) != 0;
}

/*
 * A worker waits for the command's socket, never longer than its caller
 * does: every WAIT_SLICE_MS it checks that the call is still pending (the
 * caller may be gone, or its call interrupted) and whether a signal the
 * caller handles is waiting (the kernel would end the call with EINTR), and
 * it keeps to the socket's own timeout (SO_RCVTIMEO, SO_SNDTIMEO), as the
 * kernel would.  Returns 0 (ready), EAGAIN (timed out), EINTR, another
 * errno, or CALL_GONE.
 */
#define WAIT_SLICE_MS 100

static int
wait_socket(const struct call *c, short events, int timeo_opt)
{
	struct timeval tv = { 0, 0 };
	socklen_t l = sizeof(tv);
	long until = 0;

	if (getsockopt(c->fd, SOL_SOCKET, timeo_opt, &tv, &l) == 0 &&
	    (tv.tv_sec || tv.tv_usec))
		until = now_ms() + (long)tv.tv_sec * 1000L + (long)tv.tv_usec / 1000L;
	for (;;) {
		struct pollfd p = { c->fd, events, 0 };
		int n = poll(&p, 1, WAIT_SLICE_MS);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return errno;
		if (!still_pending(c))
			return CALL_GONE;
		if (signal_waiting(c->tid))
			return EINTR;
		if (until && now_ms() >= until)
			return EAGAIN;
	}
}

/* ---- destinations ------------------------------------------------------- */

enum { ADDR_NONE = 0, ADDR_DEST = 1 };

/*
 * Netpin's copy of a sockaddr as a destination for a socket of family dom.
 * unspec_v4: AF_UNSPEC on an IPv4 socket means IPv4 (UDP sendmsg, bind).
 * Returns ADDR_DEST, ADDR_NONE (no destination: AF_UNSPEC), or -errno.
 */
static int
sockaddr_dest(const struct sockaddr_storage *ss, socklen_t len, int dom,
    int unspec_v4, struct dest *d)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	memset(d, 0, sizeof(*d));
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	switch (ss->ss_family) {
	case AF_UNSPEC:
		if (!unspec_v4 || dom != AF_INET)
			return ADDR_NONE;
		/* the kernel reads it as IPv4 */
		/* fall through */
	case AF_INET:
		if (len < sizeof(*sin))
			return -EINVAL;
		d->family = AF_INET;
		memcpy(d->addr, &sin->sin_addr, 4);
		d->port = ntohs(sin->sin_port);
		return ADDR_DEST;
	case AF_INET6:
		if (len < 24) /* SIN6_LEN_RFC2133 */
			return -EINVAL;
		d->family = AF_INET6;
		memcpy(d->addr, &sin6->sin6_addr, 16);
		d->port = ntohs(sin6->sin6_port);
		if (is_link_local6(AF_INET6, d->addr))
			d->scope = sin6->sin6_scope_id;
		unmap_v4(&d->family, d->addr);
		return ADDR_DEST;
	default:
		return -EAFNOSUPPORT;
	}
}

/* Write the decided destination back into netpin's copy. */
static void
dest_store(const struct dest *d, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	if (ss->ss_family == AF_INET6) {
		map_v4(d->family, d->addr, &sin6->sin6_addr);
		return;
	}
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, d->addr, 4);
}

/* A sockaddr naming d for a socket of family dom; returns its length. */
static socklen_t
dest_sockaddr(const struct dest *d, int dom, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (dom == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(d->port);
		memcpy(&sin->sin_addr, d->addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(d->port);
	sin6->sin6_scope_id = d->scope;
	map_v4(d->family, d->addr, &sin6->sin6_addr);
	return sizeof(*sin6);
}

/*
 * Is this one of the machine's own addresses (in netpin's network
 * namespace)?  A bind to it succeeds; with ip_nonlocal_bind set, that
 * proves nothing, so the route to it must then name it as its source too
 * (127.0.0.2 fails that test: refused rather than guessed).
 */
static int
addr_is_local(const struct dest *d)
{
	struct sockaddr_storage ss = { 0 }, got;
	socklen_t len = d->family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6), glen = sizeof(got);
	int fd = socket(d->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), local = 0;
	struct dest mine;

	if (fd < 0)
		return 0;
	ss.ss_family = (sa_family_t)d->family;
	dest_store(d, &ss);
	if (!probed.nonlocal_bind[d->family == AF_INET6]) {
		((struct sockaddr_in *)&ss)->sin_port = 0;
		local = bind(fd, (struct sockaddr *)&ss, len) == 0 || errno == EADDRINUSE;
	} else if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&got, &glen) == 0 &&
	    sockaddr_dest(&got, glen, got.ss_family, 0, &mine) == ADDR_DEST) {
		local = mine.family == d->family && !memcmp(mine.addr, d->addr, 16);
	}
	close(fd);
	return local;
}

/*
 * 0.0.0.0 and :: as destinations reach the local host: IPv4 the address the
 * socket is bound to, else 127.0.0.1; IPv6 ::1.  Returns 1 when d changed.
 */
static int
resolve_unspecified(int fd, struct dest *d)
{
	static const uint8_t zero[16];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct dest bound;

	if (memcmp(d->addr, zero, d->family == AF_INET ? 4 : 16))
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    sockaddr_dest(&ss, len, ss.ss_family, 0, &bound) != ADDR_DEST)
		bound.family = 0;
	if (d->family == AF_INET6 && bound.family != AF_INET) {
		d->addr[15] = 1;
		return 1;
	}
	/* IPv4, or IPv6 on a socket bound to an IPv4-mapped address */
	d->family = AF_INET;
	memset(d->addr, 0, sizeof(d->addr));
	d->addr[0] = 127;
	d->addr[3] = 1;
	if (bound.family == AF_INET && memcmp(bound.addr, zero, 4) &&
	    ss.ss_family == AF_INET)
		memcpy(d->addr, bound.addr, 4);
	return 1;
}

/* ---- acting as the command: unix and netlink calls ---------------------- */

/*
 * netpin performs the command's unix and netlink calls too (a CONTINUE
 * would let a racing thread swap in an INET socket).  The kernel checks
 * such calls against the caller: file permissions, root, cwd and umask for
 * pathname sockets, the credentials a peer sees, netlink privileges.  So a
 * pathname call, or any of them when the command's credentials differ from
 * netpin's, is made by a thread that first becomes the command: its own
 * fs_struct with the command's root, cwd and umask, and the command's
 * uids, gids, groups and capabilities (per-thread, raw system calls).
 */

enum { NS_NET, NS_USER };
static const char *const ns_kind[] = { "net", "user" };

static ssize_t
read_ns(const char *pid, int kind, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns_kind[kind]);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Is task tid in another namespace of this kind than netpin?  (Unreadable
 * counts as another.) */
static int
other_ns(pid_t tid, int kind)
{
	char pid[24], theirs[64];

	snprintf(pid, sizeof(pid), "%d", (int)tid);
	return !probed.proc_own || read_ns(pid, kind, theirs, sizeof(theirs)) <= 0 ||
	    !probed.own_ns[kind][0] || strcmp(theirs, probed.own_ns[kind]);
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The cookie of netpin's network namespace, or 0 (before Linux 5.14). */
static uint64_t
netns_cookie_of_own(void)
{
	uint64_t ck = 0;
	socklen_t l = sizeof(ck);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &ck, &l))
		ck = 0;
	if (s >= 0)
		close(s);
	return ck;
}

/* Is the socket of call c (netpin's copy) in another network namespace
 * than netpin?  Its own namespace says (a socket stays in the one it was
 * made in); before Linux 5.14, its caller's stands for it. */
static int
socket_elsewhere(const struct call *c)
{
	uint64_t ck;
	socklen_t l = sizeof(ck);

	if (probed.netns_cookie &&
	    !getsockopt(c->fd, SOL_SOCKET, SO_NETNS_COOKIE, &ck, &l))
		return ck != probed.netns_cookie;
	return other_ns(c->tid, NS_NET);
}

static int
read_identity(pid_t tid, struct identity *id)
{
	char buf[8192], *line;
	int seen = 0, err;

	memset(id, 0, sizeof(*id));
	id->umask = -1;
	if ((err = read_status(tid, buf, sizeof(buf))))
		return err;
	for (line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		/* the fields read here start with U, G or C: the other 50-odd
		 * lines are not handed to sscanf (that cost some 20 us) */
		if (!line[0] || !strchr("UGC", line[0]))
			continue;
		if (sscanf(line, "Uid: %u %u %u %u", &id->uid[0], &id->uid[1],
		    &id->uid[2], &id->uid[3]) == 4)
			seen |= 1;
		else if (sscanf(line, "Gid: %u %u %u %u", &id->gid[0], &id->gid[1],
		    &id->gid[2], &id->gid[3]) == 4)
			seen |= 2;
		else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			while (id->ngroups < 256) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				id->groups[id->ngroups++] = (uint32_t)g;
				p = end;
			}
			seen |= 4;
		} else if (sscanf(line, "CapEff: %" SCNx64, &id->cap_eff) == 1)
			seen |= 8;
		else if (sscanf(line, "CapPrm: %" SCNx64, &id->cap_prm) == 1)
			seen |= 16;
		else if (sscanf(line, "CapInh: %" SCNx64, &id->cap_inh) == 1)
			seen |= 32;
		else
			sscanf(line, "Umask: %o", (unsigned *)&id->umask);
	}
	if (seen != 63)
		return EINVAL;
	/* capabilities in a user namespace of its own give nothing in
	 * netpin's: a thread that becomes the command must not have them */
	if (tid != getpid() && other_ns(tid, NS_USER))
		id->cap_eff = id->cap_prm = id->cap_inh = 0;
	return 0;
}

/* netpin's own credentials from system calls: no /proc needed (an
 * initramfs before /proc is mounted).  Returns 0 or -1. */
static int
self_identity(struct identity *id)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };
	struct { uint32_t eff, prm, inh; } data[2] = { { 0 } }; /* (valgrind: v3's second half) */
	gid_t groups[256];
	int n;

	memset(id, 0, sizeof(*id));
	id->umask = -1;
	if (getresuid(&id->uid[0], &id->uid[1], &id->uid[2]) ||
	    getresgid(&id->gid[0], &id->gid[1], &id->gid[2]) ||
	    (n = getgroups(256, groups)) < 0 || syscall(SYS_capget, &hdr, data))
		return -1;
	/* setfs[ug]id with an id it cannot take changes nothing, says the old */
	id->uid[3] = (unsigned)syscall(SYS_setfsuid, -1);
	id->gid[3] = (unsigned)syscall(SYS_setfsgid, -1);
	id->ngroups = (unsigned)n;
	for (int i = 0; i < n; i++)
		id->groups[i] = (uint32_t)groups[i];
	id->cap_eff = data[0].eff | (uint64_t)data[1].eff << 32;
	id->cap_prm = data[0].prm | (uint64_t)data[1].prm << 32;
	id->cap_inh = data[0].inh | (uint64_t)data[1].inh << 32;
	return 0;
}

static int
same_credentials(const struct identity *a, const struct identity *b)
{
	/* the one capability netpin keeps and the command never has: no
	 * socket call depends on it */
	const uint64_t ptrace = 1ull << CAP_SYS_PTRACE_;

	return !memcmp(a->uid, b->uid, sizeof(a->uid)) &&
	    !memcmp(a->gid, b->gid, sizeof(a->gid)) && a->ngroups == b->ngroups &&
	    !memcmp(a->groups, b->groups, a->ngroups * sizeof(a->groups[0])) &&
	    !((a->cap_eff ^ b->cap_eff) & ~ptrace) &&
	    !((a->cap_prm ^ b->cap_prm) & ~ptrace) &&
	    !((a->cap_inh ^ b->cap_inh) & ~ptrace);
}

/* Would the kernel judge this call differently if netpin made it? */
static int
credentials_differ(const struct call *c)
{
	struct identity id;

	/* an unprivileged netpin has nothing the command lacks */
	if (!probed.privileged)
		return 0;
	return read_identity(c->tid, &id) || !same_credentials(&id, &probed.identity);
}

static int
unix_path_named(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_un *sun = (const void *)ss;

	return ss->ss_family == AF_UNIX &&
	    len > offsetof(struct sockaddr_un, sun_path) && sun->sun_path[0];
}

/*
 * Unix sockets the command may not connect to (--deny-unix,
 * --no-system-resolver), by device and inode: a symlink, a hard link or
 * /proc/PID/root names the same file.  Written at start only.
 */
#define DENY_UNIX_MAX 16
static struct { dev_t dev; ino_t ino; const char *path; } deny_unix[DENY_UNIX_MAX];
static int ndeny_unix;            /* written at start */
static int proc_fd_dir = -1;      /* netpin's /proc/self/fd, to connect by */

/* The name services that resolve names for a program over unix sockets. */
static const char *const system_resolvers[] = {
	"/run/nscd/socket", "/var/run/nscd/socket",
	"/run/systemd/resolve/io.systemd.Resolve",
	"/run/systemd/resolve/io.systemd.Resolve.Monitor",
	"/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket",
};

/* Returns 0, or -1 with errno (ENOTSOCK: PATH is no socket). */
static int
deny_unix_add(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return -1;
	}
	for (int i = 0; i < ndeny_unix; i++)
		if (deny_unix[i].dev == st.st_dev && deny_unix[i].ino == st.st_ino)
			return 0;
	if (ndeny_unix == DENY_UNIX_MAX) {
		errno = ENOSPC;
		return -1;
	}
	deny_unix[ndeny_unix].dev = st.st_dev;
	deny_unix[ndeny_unix].ino = st.st_ino;
	deny_unix[ndeny_unix++].path = path;
	return 0;
}

/* At start: the system resolvers' sockets that exist; -v names them. */
static void
deny_unix_setup(void)
{
	for (size_t i = 0; i < sizeof(system_resolvers) / sizeof(system_resolvers[0]); i++) {
		struct stat st;

		if (stat(system_resolvers[i], &st) || !S_ISSOCK(st.st_mode))
			continue;
		if (opt_no_sysres)
			deny_unix_add(system_resolvers[i]);
		if (opt_verbose)
			fprintf(stderr, "netpin: %s exists: names asked there are "
			    "resolved around pinned DNS (%s)\n", system_resolvers[i],
			    opt_no_sysres ? "refused: --no-system-resolver" :
			    "--no-system-resolver refuses it");
	}
	if (ndeny_unix && (proc_fd_dir = open("/proc/self/fd",
	    O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("--deny-unix: open /proc/self/fd (is /proc mounted?)");
}

/* This thread takes the credentials id (0, or an errno). */
static int
take_credentials(const struct identity *id)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };
	struct { uint32_t eff, prm, inh; } data[2] = { { 0 } }; /* (valgrind: v3's second half) */

	/* raw system calls: the libc wrappers would change every thread */
	if (syscall(SYS_setgroups, (long)id->ngroups, id->groups) ||
	    syscall(SYS_setresgid, id->gid[0], id->gid[1], id->gid[2]) ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    syscall(SYS_setresuid, id->uid[0], id->uid[1], id->uid[2]))
		return errno;
	syscall(SYS_setfsgid, id->gid[3]);
	syscall(SYS_setfsuid, id->uid[3]);
	data[0].eff = (uint32_t)id->cap_eff;
	data[1].eff = (uint32_t)(id->cap_eff >> 32);
	data[0].prm = (uint32_t)id->cap_prm;
	data[1].prm = (uint32_t)(id->cap_prm >> 32);
	data[0].inh = (uint32_t)id->cap_inh;
	data[1].inh = (uint32_t)(id->cap_inh >> 32);
	return syscall(SYS_capset, &hdr, data) ? errno : 0;
}

/*
 * A unix socket's relative path, made absolute through the command's
 * directory (c->cwd_fd): "/proc/self/fd/N/PATH" (the shared_fs way, where
 * this thread cannot take the command's directory).  0 or an errno.
 */
static int
unix_path_absolute(const struct call *c, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_un *sun = (void *)ss;
	char rel[sizeof(sun->sun_path) + 1] = "";
	size_t n = *len - offsetof(struct sockaddr_un, sun_path);
	int o;

	if (!unix_path_named(ss, *len) || sun->sun_path[0] == '/')
		return 0;
	memcpy(rel, sun->sun_path, n < sizeof(sun->sun_path) ? n : sizeof(sun->sun_path));
	o = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/%s",
	    c->cwd_fd, rel);
	if (o < 0 || (size_t)o >= sizeof(sun->sun_path))
		return ENAMETOOLONG;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)o + 1);
	return 0;
}

/*
 * become_task() where a seccomp profile refuses unshare() (Docker's and
 * containerd's defaults): the thread keeps netpin's root, directory and
 * umask (shared with every thread), so the command's directory is reached
 * through an fd (unix_path_absolute) and its umask is set around a bind
 * (under umask_lock); a command in another root cannot be acted for.
 */
static pthread_mutex_t umask_lock = PTHREAD_MUTEX_INITIALIZER;
static int
become_task_shared_fs(struct call *c, const struct identity *id)
{
	struct stat st;
	char path[64];
	int err = 0;

	proc_task_path(path, sizeof(path), c->tid, "root"); /* read_identity: own */
	if (stat(path, &st) || st.st_dev != probed.root.st_dev ||
	    st.st_ino != probed.root.st_ino)
		return step_failed_hint("a call as the command, in a root of its own",
		    c, -1, EPERM, "a seccomp profile refuses unshare(CLONE_FS), so "
		    "netpin cannot take another root for a call on a unix socket by path");
	proc_task_path(path, sizeof(path), c->tid, "cwd");
	if ((c->cwd_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return step_failed("open /proc/PID/cwd", c, -1, errno);
	c->shared_fs = 1;
	c->task_umask = id->umask;
	if (c->op == OP_CONNECT || c->op == OP_BIND)
		err = unix_path_absolute(c, &c->addr, &c->addrlen);
	for (unsigned i = 0; c->op == OP_SEND && i < c->nmsg && !err; i++)
		if (c->msg[i].namelen)
			err = unix_path_absolute(c, &c->msg[i].name, &c->msg[i].namelen);
	if (err)
		return err;
	if (!same_credentials(id, &probed.identity) && (err = take_credentials(id)))
		return step_failed("setresuid (acting as the command)", c, -1, err);
	return 0;
}

/* In a worker thread of its own: become the command.  0 or an errno. */
static int
become_task(struct call *c)
{
	struct identity id;
	struct stat st;
	char path[64];
	int cwd, err, shared = 0;

	if (unshare(CLONE_FS)) {
		if (errno != EPERM)
			return step_failed("unshare(CLONE_FS)", c, -1, errno);
		shared = 1; /* a seccomp profile's refusal */
	}
	if ((err = read_identity(c->tid, &id)))
		return step_failed("read /proc/PID/status", c, -1, err);
	if (shared)
		return become_task_shared_fs(c, &id);
	proc_task_path(path, sizeof(path), c->tid, "cwd"); /* read_identity: own */
	if ((cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return step_failed("open /proc/PID/cwd", c, -1, errno);
	proc_task_path(path, sizeof(path), c->tid, "root");
	if (stat(path, &st) || st.st_dev != probed.root.st_dev ||
	    st.st_ino != probed.root.st_ino) {
		if (chroot(path)) {
			close(cwd);
			return step_failed("chroot(/proc/PID/root)", c, -1, errno);
		}
	}
	if (fchdir(cwd)) {
		close(cwd);
		return step_failed("fchdir(/proc/PID/cwd)", c, -1, errno);
	}
	close(cwd);
	if (id.umask >= 0)
		umask((mode_t)id.umask);
	if (!same_credentials(&id, &probed.identity) && (err = take_credentials(&id)))
		return step_failed("setresuid (acting as the command)", c, -1, err);
	return 0;
}

/* ---- reporting verdicts ------------------------------------------------- */

static const char *
proto_name(int proto)
{
	return proto == P_TCP ? "tcp" : "udp";
}

/* "127.0.0.3:9000" or "[::1]:9000" */
static void
format_dest(const struct dest *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	format_addr(d->family, d->addr, a, sizeof(a));
	if (d->scope)
		snprintf(buf, len, "[%s%%%u]:%u", a, d->scope, d->port);
	else if (d->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, d->port);
	else
		snprintf(buf, len, "%s:%u", a, d->port);
}

struct verdict {
	enum verb verb;
	int proto;
	const struct dest *d;
	const struct pin *pin;    /* the pin that allowed it, if any */
	int allowed;              /* by the rules */
	int stderr_too;           /* print a denial on stderr (not UDP connect) */
	const char *tip;          /* what a denial says to do */
	const char *rule;         /* the rule it suggests, its ports aside
	                           * ("tcp:NAME", suggest_rule): learned */
	const struct rule *deny;  /* the deny rule that refused it */
	const char *asked;        /* tls, http: the name asked (NULL: none) */
	const char *by;           /* allowed by no pin: what allowed it */
};

/* What was denied (or, with --audit, would have been): for the summary
 * at exit and for --learn. */
struct refusal {
	int proto;                /* P_TCP, P_UDP; 0: a local port (bind, listen) */
	int sock_proto;           /* the socket's, for the summary */
	struct dest d;
	const char *name;         /* a name rule pins the address, if any;
	                           * inside: the name asked for (owned) */
	int inside;               /* refused inside a checked connection (verb
	                           * tls, http): one per name asked, and none
	                           * learned for no name (an address rule would
	                           * let every name there through unchecked) */
	enum verb verb;
	unsigned long count;
	const char *deny;         /* the deny rule that refused it: not learned */
	const char *rule;         /* the rule that allows it, its ports aside
	                           * (owned): what --learn writes */
};

#define REFUSALS_MAX 4096
static struct refusal *refusals;   /* under refusals_lock (read at exit) */
static int nrefusals;             /* under refusals_lock */
static unsigned long refusals_lost; /* under refusals_lock */
static pthread_mutex_t refusals_lock = PTHREAD_MUTEX_INITIALIZER;

/* DNS names refused (no rule allows them): for the summary and --learn */
#define DNS_REFUSALS_MAX 256
#define LEARNED_MAX (REFUSALS_MAX + DNS_REFUSALS_MAX) /* rules learned */
#define DNS_A 1                   /* the types asked: A, AAAA, another */
#define DNS_AAAA 2
#define DNS_OTHER 4
struct dns_refusal {
	char name[256];
	unsigned types;
	unsigned long count;
	const char *deny;         /* the deny rule that names it: not learned */
};
static struct dns_refusal *dns_refusals;  /* under refusals_lock */
static int ndns_refusals;                 /* under refusals_lock */
static unsigned long dns_refusals_lost;   /* under refusals_lock */

static int
is_local_verb(enum verb verb)
{
	return verb == V_BIND || verb == V_LISTEN;
}

static int
is_inside_verb(enum verb verb)
{
	return verb == V_TLS || verb == V_HTTP;
}

/*
 * A name the hosts file netpin reads gives address d (its first, not a
 * localhost one) into buf, or 0: none.  glibc reads that file itself, so
 * a name the command used may never have reached pinned DNS.
 */
static int
hosts_name(const struct dest *d, char *buf, size_t len)
{
	const char *next = hosts_text;
	char line[4096];

	while (next && *next) {
		size_t n = strcspn(next, "\n");
		char *save = NULL, *tok, *hash;
		struct rule lit;

		snprintf(line, sizeof(line), "%.*s", (int)n, next);
		next += n + (next[n] == '\n');
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		memset(&lit, 0, sizeof(lit));
		if (!(tok = strtok_r(line, " \t\r", &save)) || strchr(tok, '/') ||
		    parse_addr_prefix(tok, 0, &lit) != LIT_ADDR)
			continue;
		unmap_v4(&lit.family, lit.addr);
		if (lit.family != d->family || memcmp(lit.addr, d->addr, 16))
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &save)))
			if (strncasecmp(tok, "localhost", 9) && strncasecmp(tok, "ip6-", 4) &&
			    strlen(tok) < len && valid_hostname(tok)) {
				snprintf(buf, len, "%s", tok);
				return 1;
			}
	}
	return 0;
}

/*
 * The rule that allows what was refused, as every place suggests it (the
 * denial line, the log's tip, the summary and --learn), its ports aside:
 * "PREFIX:HOST".  HOST is a name wherever one is involved: the name asked
 * inside the connection, else the name a rule pins the address for, else
 * the hosts file's name for it; an address rule would let every name on
 * a shared address through unchecked.  The address only where no name is
 * known.  PREFIX: tls or http for a name asked inside a connection on a
 * port that does not check it by default (the check kept), else the
 * protocol.
 */
static void
suggest_rule(enum verb verb, int proto, const struct dest *d,
    const char *asked, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], hn[256];
	const struct pin *p;
	const char *name = asked;

	if (!name && (p = pin_naming(d)))
		name = p->rule->name;
	if (!name && hosts_name(d, hn, sizeof(hn)))
		name = hn;
	if (name) {
		snprintf(buf, len, "%s:%s", asked && inside_prefix(verb, d->port) ?
		    verb_name[verb] : proto_name(proto), name);
		return;
	}
	format_addr(d->family, d->addr, a, sizeof(a));
	snprintf(buf, len, d->family == AF_INET6 ? "%s:[%s]" : "%s:%s",
	    proto_name(proto), a);
}

static void
remember_refusal_locked(const struct verdict *v, const char *name)
{
	int proto = is_local_verb(v->verb) ? 0 : v->proto;
	int inside = is_inside_verb(v->verb);

	for (int i = 0; i < nrefusals; i++) {
		struct refusal *r = &refusals[i];

		if (r->proto == proto && r->d.port == v->d->port &&
		    (proto == 0 || (r->d.family == v->d->family &&
		    !memcmp(r->d.addr, v->d->addr, 16))) && r->inside == inside &&
		    (!inside || (r->name && name ? !strcmp(r->name, name) :
		    r->name == name))) {
			r->count++;
			return;
		}
	}
	if (nrefusals == REFUSALS_MAX ||
	    (!refusals && !(refusals = call_alloc(REFUSALS_MAX, sizeof(*refusals))))) {
		refusals_lost++;
		return;
	}
	/* a name read from the wire is the caller's buffer: kept by a copy */
	if ((inside && name && !(name = strdup(name))) ||
	    (v->rule && !(refusals[nrefusals].rule = strdup(v->rule)))) {
		refusals_lost++;
		return;
	}
	refusals[nrefusals].proto = proto;
	refusals[nrefusals].sock_proto = v->proto;
	refusals[nrefusals].d = *v->d;
	refusals[nrefusals].name = name;
	refusals[nrefusals].inside = inside;
	refusals[nrefusals].verb = v->verb;
	refusals[nrefusals].deny = v->deny ? v->deny->text : NULL;
	refusals[nrefusals].count = 1;
	nrefusals++;
}

static void
remember_refusal(const struct verdict *v, const char *name)
{
	pthread_mutex_lock(&refusals_lock);
	remember_refusal_locked(v, name);
	pthread_mutex_unlock(&refusals_lock);
}

/* A name pinned DNS refused (type: the query's), as it was asked: only
 * host names (anything else is never learned, nor said as a rule). */
static void
remember_dns_refusal(const char *name, unsigned qtype)
{
	unsigned type = qtype == 1 ? DNS_A : qtype == 28 ? DNS_AAAA : DNS_OTHER;
	const char *deny = NULL;
	struct dns_refusal *d = NULL;

	if (strlen(name) >= sizeof(d->name) || !valid_hostname(name))
		return;
	for (int i = 0; i < nrules && !deny; i++)
		if (rules[i].deny && rule_names(&rules[i], name, strlen(name)))
			deny = rules[i].text;
	pthread_mutex_lock(&refusals_lock);
	for (int i = 0; i < ndns_refusals && !d; i++)
		if (!strcasecmp(dns_refusals[i].name, name))
			d = &dns_refusals[i];
	if (!d && ndns_refusals < DNS_REFUSALS_MAX && (dns_refusals ||
	    (dns_refusals = call_alloc(DNS_REFUSALS_MAX, sizeof(*dns_refusals))))) {
		d = &dns_refusals[ndns_refusals++];
		memcpy(d->name, name, strlen(name) + 1); /* shorter: checked above */
		d->deny = deny;
	}
	if (d) {
		d->types |= type;
		d->count++;
	} else {
		dns_refusals_lost++;
	}
	pthread_mutex_unlock(&refusals_lock);
}

/* "A, AAAA": the types a refused name was asked as */
static void
dns_types_text(unsigned types, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", types & DNS_A ? "A" : "",
	    types & DNS_A && types & (DNS_AAAA | DNS_OTHER) ? ", " : "",
	    types & DNS_AAAA ? "AAAA" : "", types & DNS_AAAA && types & DNS_OTHER ?
	    ", " : "", types & DNS_OTHER ? "another" : "");
}

/* A thread's process id and name (printable), for messages and the log. */
static pid_t
task_name(pid_t tid, char *comm, size_t len)
{
	char status[4096], tgid[32];
	pid_t pid = tid;

	snprintf(comm, len, "?");
	if (read_status(tid, status, sizeof(status)) == 0) {
		status_field(status, "Name", comm, len);
		if (status_field(status, "Tgid", tgid, sizeof(tgid)) == 0)
			pid = (pid_t)atoi(tgid);
	}
	return pid;
}

/*
 * Calls netpin cannot mediate (sockets other than TCP and UDP, route and
 * source options, io_uring) are refused; the filter sends them to netpin
 * only so that they are said: once per kind on stderr (not with -q), every
 * one in the log, and a count in the summary.  Returns err.
 */
static unsigned long unmediated;  /* atomics: any thread */

/* The start of a log event about a call: its verdict and caller. */
static void
jcall(struct jbuf *b, const char *event, const char *verdict, pid_t pid,
    const char *comm)
{
	jbegin(b, event);
	jstr(b, "verdict", verdict);
	jnum(b, "pid", pid);
	jstr(b, "comm", comm);
}

static int
report_unmediated(const struct call *c, const char *call, const char *what,
    const char *why, int err)
{
	char comm[64], key[160];
	pid_t pid = task_name(c->tid, comm, sizeof(comm));
	struct jbuf b;

	__atomic_add_fetch(&unmediated, 1, __ATOMIC_RELAXED);
	if (log_fd >= 0) {
		jcall(&b, "refused", "deny", pid, comm);
		jstr(&b, "call", call);
		jstr(&b, "what", what);
		jstr(&b, "tip", why);
		jend(&b);
	}
	snprintf(key, sizeof(key), "refused %s %s", call, what);
	if (!opt_quiet && !seen_before(key))
		warnx("refused %s(%s) by %s[%d]: %s", call, what, comm, (int)pid, why);
	return err;
}

/* Log and print a decision of thread tid's call.  Returns the errno to
 * answer: 0 or EACCES. */
static int
report(pid_t tid, const struct verdict *v)
{
	char where[DEST_TEXT_MAX], a[INET6_ADDRSTRLEN];
	char comm[64] = "?", key[128];
	const struct pin *named = v->pin ? v->pin : pin_naming(v->d);
	const char *name = named ? named->rule->name : NULL;
	const char *verdict = v->allowed ? "allow" : opt_audit ? "audit" : "deny";
	int to_stderr = opt_verbose ||
	    (!v->allowed && !opt_quiet && v->stderr_too);
	const char *prep = is_local_verb(v->verb) ? "on" : "to";
	pid_t pid = tid;
	struct jbuf b;

	if (!v->allowed)
		remember_refusal(v, name);
	if (!to_stderr && log_fd < 0)
		goto out;
	pid = task_name(tid, comm, sizeof(comm));
	format_dest(v->d, where, sizeof(where));
	format_addr(v->d->family, v->d->addr, a, sizeof(a));
	if (log_fd >= 0) {
		jcall(&b, verb_name[v->verb], verdict, pid, comm);
		jstr(&b, "proto", proto_name(v->proto));
		jstr(&b, "addr", a);
		jnum(&b, "port", v->d->port);
		jstr(&b, "name", name);
		if (v->pin || v->deny || v->by)
			jstr(&b, "rule", v->pin ? v->pin->rule->text :
			    v->deny ? v->deny->text : v->by);
		if (!v->allowed)
			jstr(&b, "tip", v->tip);
		jend(&b);
	}
	if (!to_stderr)
		goto out;
	if (v->allowed) {
		fprintf(stderr, "netpin: allowed %s %s %s/%s by %s[%d] (rule %s)\n",
		    verb_name[v->verb], prep, where, proto_name(v->proto), comm, (int)pid,
		    v->pin ? v->pin->rule->text : v->by ? v->by : "--bind");
		goto out;
	}
	snprintf(key, sizeof(key), "%s %s/%s", verb_name[v->verb], where,
	    proto_name(v->proto));
	if (seen_before(key))
		goto out;
	fprintf(stderr, "netpin: %s %s %s %s/%s by %s[%d]",
	    opt_audit ? "audit: would deny" : "denied", verb_name[v->verb], prep, where,
	    proto_name(v->proto), comm, (int)pid);
	if (v->tip)
		fprintf(stderr, v->deny ? " (%s)" : " (allow with %s)", v->tip);
	fputc('\n', stderr);
out:
	if (v->allowed || opt_audit)
		return 0;
	/* bind and listen: EACCES; connects and sends: what clients give up on */
	return is_local_verb(v->verb) ? EACCES : opt_deny_errno;
}

/* ---- asking while the command runs (--ask) ------------------------------ */

/*
 * --ask PROGRAM: a call that no rule allows (and no deny rule refuses) is
 * held, and netpin runs PROGRAM with one JSON question on its standard
 * input; PROGRAM answers one line on its standard output: once (this
 * call), always (a rule for the rest of the run, and for --learn) or
 * deny.  Anything else, a non-zero exit, or no answer by --ask-timeout is
 * deny.  PROGRAM is netpin's child in a process group of its own, with
 * sockets for its standard input and output (no /proc/PID/fd opens them):
 * the command's calls aimed at it are refused as those aimed at netpin,
 * and a Landlock domain or Yama keeps the command's ptrace and
 * /proc/PID/mem off it (main checks).
 *
 * A question is asked only by a thread that may wait (ask_here: workers,
 * tunnels, DNS threads); a receiver that meets one hands its call to a
 * worker (ASK_LATER).  The same question is asked once at a time: calls
 * that would ask it meanwhile wait for its answer.  A deny is kept for
 * the run; a budget of questions, and of questions at once, bounds what a
 * command can make netpin ask.
 */
#define ASKS_MAX 1024             /* questions in one run */
#define ASKING_MAX 8              /* questions at once */
#define ASK_WAITERS_MAX 24        /* calls waiting for one question (each
                                   * holds a worker or a DNS thread) */
#define ASK_ANSWER_MAX 64         /* bytes of PROGRAM's answer read */

enum answer { ANSWER_DENY, ANSWER_ONCE, ANSWER_ALWAYS };

/* One question, from its asking to the last call that waits for it. */
struct question {
	char key[DNS_TEXT_MAX + 128]; /* what is asked, and its rule */
	int done;                 /* under ask_lock: answer is given */
	enum answer answer;
	int waiters;              /* under ask_lock: calls waiting for it */
	int listed;               /* under ask_lock: in questions */
	struct question *next;
};

/* One run of PROGRAM: its process group, till it is reaped. */
struct asker_run {
	pid_t pid;                /* and its process group's id */
	int ended, status;        /* under ask_lock: reaped, and how */
	struct asker_run *next;
};

/* A rule PROGRAM answered always to, pinned (under pins_lock). */
struct approval {
	struct rule rule;         /* R_ADDR, R_NAME; or a port (bind_port) */
	unsigned bind_port;       /* a --bind port, not a rule */
	struct approval *next;
};

static pthread_mutex_t ask_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ask_changed = PTHREAD_COND_INITIALIZER;
static struct question *questions;    /* under ask_lock */
static struct asker_run *asker_runs;  /* under ask_lock */
static int nasked, nasking;           /* under ask_lock */
static struct approval *approvals;    /* under pins_lock; never freed */
static __thread int ask_here;         /* this thread may wait for PROGRAM */

/* Is pgid the process group of a PROGRAM still running? */
static int
is_asker_group(pid_t pgid)
{
	int found = 0;

	if (!opt_ask || pgid <= 0)
		return 0;
	pthread_mutex_lock(&ask_lock);
	for (struct asker_run *r = asker_runs; r && !found; r = r->next)
		found = r->pid == pgid;
	pthread_mutex_unlock(&ask_lock);
	return found;
}

/* A child netpin reaped (supervise_signal, processes_left): a PROGRAM's
 * status is kept for the thread that waits for it.  1: it was one. */
static int
asker_reaped(pid_t pid, int status)
{
	int found = 0;

	if (!opt_ask)
		return 0;
	pthread_mutex_lock(&ask_lock);
	for (struct asker_run *r = asker_runs; r && !found; r = r->next)
		if (r->pid == pid) {
			r->ended = found = 1;
			r->status = status;
			pthread_cond_broadcast(&ask_changed);
		}
	pthread_mutex_unlock(&ask_lock);
	return found;
}

/* At exit: no PROGRAM outlives netpin. */
static void
askers_end(void)
{
	pthread_mutex_lock(&ask_lock);
	for (struct asker_run *r = asker_runs; r; r = r->next)
		kill(-r->pid, SIGKILL);
	pthread_mutex_unlock(&ask_lock);
}

/* Wait, with ask_lock held, till deadline (now_ms()); 0: the time is up. */
static int
ask_wait(long deadline)
{
	struct timespec until;
	long left = deadline - now_ms();

	if (left <= 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += left / 1000;
	until.tv_nsec += (left % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(&ask_changed, &ask_lock, &until) != ETIMEDOUT ||
	    now_ms() < deadline;
}

/* How PROGRAM starts, set at start: its absolute path (found in PATH
 * once, so no file the command puts in PATH later is run), its
 * environment (netpin's, with no Python user site: a file under the
 * command's home that Python would load), and its stderr (netpin's own,
 * not the relay's pipe). */
static char *asker_path;
static char **asker_env;
static int asker_stderr = STDERR_FILENO;

/* Start PROGRAM on its two sockets (*in: its standard input, *out: its
 * output, netpin's ends); its id, or -1 with errno. */
static pid_t
asker_spawn(int *in, int *out)
{
	int a[2] = { -1, -1 }, b[2] = { -1, -1 }, err;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char *argv[] = { asker_path, NULL };
	pid_t pid = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b))
		goto fail;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, a[1], 0);
	posix_spawn_file_actions_adddup2(&fa, b[1], 1);
	posix_spawn_file_actions_adddup2(&fa, asker_stderr, 2);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* listed before it runs: the command cannot signal it meanwhile
	 * (a group id that is not in use yet names nobody) */
	pthread_mutex_lock(&ask_lock);
	err = posix_spawn(&pid, asker_path, &fa, &attr, argv, asker_env);
	if (!err) {
		struct asker_run *r = xcalloc(1, sizeof(*r));

		r->pid = pid;
		r->next = asker_runs;
		asker_runs = r;
	}
	pthread_mutex_unlock(&ask_lock);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		errno = err;
		goto fail;
	}
	close(a[1]);
	close(b[1]);
	*in = a[0];
	*out = b[0];
	return pid;
fail:
	err = errno;
	for (int i = 0; i < 2; i++) {
		if (a[i] >= 0)
			close(a[i]);
		if (b[i] >= 0)
			close(b[i]);
	}
	errno = err;
	return -1;
}

/*
 * Run PROGRAM on one question (text: a JSON line).  Its answer; *why: what
 * made it deny when PROGRAM did not say deny.
 */
static enum answer
asker_answer(const char *text, const char **why)
{
	char line[ASK_ANSWER_MAX + 1];
	long deadline = now_ms() + opt_ask_timeout_ms;
	size_t got = 0, len = strlen(text), sent = 0;
	struct asker_run **rp, *r;
	int in, out, status = -1;
	pid_t pid;

	if ((pid = asker_spawn(&in, &out)) < 0) {
		warn_once("ask spawn", "--ask %s: %s: every question is answered deny",
		    opt_ask, strerror(errno));
		return *why = "PROGRAM could not be run", ANSWER_DENY;
	}
	*why = NULL;
	/* the question, then its answer: one line, by the deadline */
	while (sent < len || got < ASK_ANSWER_MAX) {
		struct pollfd p[2] = { { sent < len ? in : -1, POLLOUT, 0 },
			{ out, POLLIN, 0 } };
		long wait = deadline - now_ms();
		ssize_t n;

		if (wait <= 0 || poll(p, 2, (int)wait) <= 0) {
			if (wait > 0 && errno == EINTR)
				continue;
			*why = "no answer in time (--ask-timeout)";
			break;
		}
		if (p[0].revents) {
			n = send(in, text + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN) {
				sent = len; /* it does not read: its answer may come */
				shutdown(in, SHUT_WR);
			} else if (n > 0 && (sent += (size_t)n) == len) {
				shutdown(in, SHUT_WR);
			}
		}
		if (p[1].revents) {
			n = recv(out, line + got, ASK_ANSWER_MAX - got, MSG_DONTWAIT);
			if (n <= 0 && !(n < 0 && errno == EAGAIN))
				break; /* end of its output */
			if (n > 0)
				got += (size_t)n;
		}
		if (memchr(line, '\n', got))
			break;
	}
	close(in);
	close(out);
	line[got] = '\0';
	/* its exit, by the same deadline: reaped by the supervisor's loop */
	pthread_mutex_lock(&ask_lock);
	for (r = asker_runs; r->pid != pid; r = r->next)
		;
	while (!r->ended && !*why && ask_wait(deadline))
		;
	if (r->ended)
		status = r->status;
	else if (!*why)
		*why = "no answer in time (--ask-timeout)";
	/* what it left behind goes with it; then it is off the list */
	kill(-pid, SIGKILL);
	for (rp = &asker_runs; *rp != r; rp = &(*rp)->next)
		;
	*rp = r->next;
	pthread_mutex_unlock(&ask_lock);
	if (!r->ended)
		kill(pid, SIGKILL); /* reaped by the loop, as a stranger now */
	free(r);
	if (*why)
		return ANSWER_DENY;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return *why = "PROGRAM did not exit 0", ANSWER_DENY;
	line[strcspn(line, "\r\n")] = '\0';
	if (!strcmp(line, "once"))
		return ANSWER_ONCE;
	if (!strcmp(line, "always"))
		return ANSWER_ALWAYS;
	if (strcmp(line, "deny"))
		*why = "an answer that is not once, always or deny";
	return ANSWER_DENY;
}

/* What a question says of the process that asks: "pid", "comm" (NULL:
 * read now), "exe" (its first 128 bytes: escaped, each byte may take 6,
 * and the destination and the rule after it still fit the buffer). */
static void
ask_caller(struct jbuf *b, pid_t tid, const char *comm)
{
	char name[64], path[64], exe[129];
	pid_t pid = tid;
	ssize_t n = -1;

	if (!comm) {
		pid = task_name(tid, name, sizeof(name));
		comm = name;
	}
	jnum(b, "pid", pid);
	jstr(b, "comm", comm);
	if (!proc_task_path(path, sizeof(path), pid, "exe"))
		n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		jstr(b, "exe", exe);
	}
}

/* The always answer: rule text (perhaps "--bind PORT") for the rest of
 * the run, pinned as at start; a name is pinned to the addresses netpin
 * pinned it to already, and to d's (the one it was asked at).  The rule,
 * or NULL (said). */
static const struct rule *
approve(const char *text, const struct dest *d)
{
	struct approval *a = xcalloc(1, sizeof(*a));
	const struct rule *one[1] = { &a->rule };
	const char *err = NULL;
	int pinned = 0;

	if (!strncmp(text, "--bind ", 7))
		a->bind_port = (unsigned)atoi(text + 7);
	else if ((err = parse_rule(text, &a->rule)) || a->rule.kind == R_WILDCARD) {
		warnx("--ask: cannot add the rule %s: %s", text,
		    err ? err : "a wildcard");
		return NULL; /* (a is lost: this does not happen) */
	}
	if (a->bind_port)
		a->rule.text = xstrdup(text);
	pthread_mutex_lock(&pins_lock);
	if (a->rule.kind == R_ADDR && !a->bind_port)
		add_pin(a->rule.family, a->rule.addr, a->rule.plen, &a->rule, "ask",
		    NULL);
	if (a->rule.kind == R_NAME) {
		int n = npins;

		for (int i = 0; i < n; i++)
			if (pins[i].rule->kind == R_NAME && !pins[i].rule->deny &&
			    !strcasecmp(pins[i].rule->name, a->rule.name)) {
				add_pin(pins[i].family, pins[i].addr, pins[i].plen, &a->rule,
				    "ask", pins[i].private_why);
				pinned = 1;
			}
		if (d) {
			add_pin(d->family, d->addr, d->family == AF_INET ? 32 : 128,
			    &a->rule, "ask", NULL);
			pinned = 1;
		}
		if (!pinned)
			pinned = pin_from_hosts(&a->rule) > 0;
	}
	a->next = approvals;
	approvals = a;
	pthread_mutex_unlock(&pins_lock);
	/* a name nobody pinned yet: netpin's resolver, as for a wildcard */
	if (a->rule.kind == R_NAME && !pinned)
		resolve_by_dns(one, 1, NULL, &pins_lock);
	log_pins_of(&a->rule);
	return &a->rule;
}

/* A name rule PROGRAM answered always to, for name; or NULL. */
static const struct rule *
approved_name(const char *name)
{
	const struct rule *found = NULL;

	pthread_mutex_lock(&pins_lock);
	for (struct approval *a = approvals; a && !found; a = a->next)
		if (!a->bind_port && a->rule.kind == R_NAME &&
		    rule_names(&a->rule, name, strlen(name)))
			found = &a->rule;
	pthread_mutex_unlock(&pins_lock);
	return found;
}

/* Was port approved for bind and listen? */
static int
approved_port(unsigned port)
{
	int found = 0;

	pthread_mutex_lock(&pins_lock);
	for (struct approval *a = approvals; a && !found; a = a->next)
		found = a->bind_port == port;
	pthread_mutex_unlock(&pins_lock);
	return found;
}

/*
 * One question (text: its JSON line, key: what makes it the same
 * question), asked, or waited for when it is asked already.  The answer;
 * ASK_LATER where this thread may not wait.
 */
static int
ask(const char *key, const char *text, const char *rule, const struct dest *d,
    const struct rule **added)
{
	struct question *q;
	const char *why = NULL;
	enum answer a;
	struct jbuf b;

	*added = NULL;
	if (!ask_here)
		return ASK_LATER;
	pthread_mutex_lock(&ask_lock);
	for (q = questions; q && strcmp(q->key, key); q = q->next)
		;
	if (q && !q->done && q->waiters >= ASK_WAITERS_MAX) {
		pthread_mutex_unlock(&ask_lock);
		warn_once("ask waiters", "--ask: %d calls wait for one question, the "
		    "most: a further one is denied without waiting", ASK_WAITERS_MAX);
		return ANSWER_DENY;
	}
	if (q) { /* asked now, or denied before */
		q->waiters++;
		while (!q->done)
			pthread_cond_wait(&ask_changed, &ask_lock);
		a = q->answer;
		if (!--q->waiters && !q->listed)
			free(q);
		pthread_mutex_unlock(&ask_lock);
		return a;
	}
	if (nasked >= ASKS_MAX || nasking >= ASKING_MAX) {
		int all = nasked >= ASKS_MAX;

		pthread_mutex_unlock(&ask_lock);
		warn_once(all ? "asks max" : "asking max", all ? "--ask: %d questions "
		    "asked, the most in one run: calls no rule allows are denied from "
		    "now on" : "--ask: %d questions at once, the most: a further one "
		    "is denied without asking", all ? ASKS_MAX : ASKING_MAX);
		return ANSWER_DENY;
	}
	q = xcalloc(1, sizeof(*q));
	snprintf(q->key, sizeof(q->key), "%s", key);
	q->listed = 1;
	q->next = questions;
	questions = q;
	nasked++;
	nasking++;
	pthread_mutex_unlock(&ask_lock);

	a = asker_answer(text, &why);
	if (a == ANSWER_ALWAYS && !(*added = approve(rule, d)))
		a = ANSWER_ONCE;
	if (log_fd >= 0) {
		jbegin(&b, "ask");
		jstr(&b, "verdict", a == ANSWER_DENY ? "deny" : a == ANSWER_ONCE ?
		    "once" : "always");
		jstr(&b, "question", key);
		jstr(&b, "rule", rule);
		jstr(&b, "why", why);
		jend(&b);
	}
	if (why)
		warnx("--ask: %s: denied (%s)", key, why);

	pthread_mutex_lock(&ask_lock);
	q->answer = a;
	q->done = 1;
	nasking--;
	/* a deny stays for the run; once and always are over */
	if (a != ANSWER_DENY) {
		struct question **qp;

		for (qp = &questions; *qp != q; qp = &(*qp)->next)
			;
		*qp = q->next;
		q->listed = 0;
		if (!q->waiters)
			free(q);
	}
	pthread_cond_broadcast(&ask_changed);
	pthread_mutex_unlock(&ask_lock);
	return a;
}

/* The question's first fields: what is asked (the verb), by whom. */
static void
question_begin(struct jbuf *b, const char *what, pid_t tid, const char *comm)
{
	b->n = 0;
	b->s[0] = '\0';
	jraw(b, "{");
	jstr(b, "ask", what);
	ask_caller(b, tid, comm);
}

/* The question's end: the rule that an always answer adds. */
static const char *
question_end(struct jbuf *b, const char *rule)
{
	jstr(b, "rule", rule);
	jraw(b, "}\n");
	return b->s;
}

/*
 * Ask about a call to d (verb, proto) that no rule allows; rule: the one
 * that would (with its port).  0 (allowed: *by, what allowed it), the
 * errno to deny with (EACCES), or ASK_LATER.
 */
static int
ask_dest(pid_t tid, enum verb verb, int proto, const struct dest *d,
    const char *rule, const char **by)
{
	char a[INET6_ADDRSTRLEN], key[DNS_TEXT_MAX + 128];
	const struct pin *named = pin_naming(d);
	const struct rule *added;
	struct jbuf b;
	int ans;

	if (!ask_here)
		return ASK_LATER;
	format_addr(d->family, d->addr, a, sizeof(a));
	question_begin(&b, verb_name[verb], tid, NULL);
	jstr(&b, "proto", proto_name(proto));
	if (!is_local_verb(verb))
		jstr(&b, "addr", a);
	jnum(&b, "port", d->port);
	if (named && !is_local_verb(verb))
		jstr(&b, "name", named->rule->name);
	/* one question per destination (address, port, protocol; a name's
	 * rule says them but for the address): a once answer is for what it
	 * was asked about, not for a name's other addresses */
	if (named && !is_local_verb(verb))
		snprintf(key, sizeof(key), "%s %s at %s", verb_name[verb], rule, a);
	else
		snprintf(key, sizeof(key), "%s %s", verb_name[verb], rule);
	ans = ask(key, question_end(&b, rule), rule, is_local_verb(verb) ? NULL : d,
	    &added);
	if (ans == ASK_LATER || ans == ANSWER_DENY)
		return ans == ASK_LATER ? ASK_LATER : EACCES;
	*by = added ? added->text : "--ask once";
	return 0;
}

/* Ask about name, asked inside a checked connection to d (kind: NEED_TLS
 * or NEED_HTTP) by tid; the rule that allows it (always), or one that
 * says once, or NULL (denied). */
static const struct rule *
ask_inside(pid_t tid, int kind, const struct dest *d, const char *name)
{
	static const struct rule once = { .text = "--ask once" };
	enum verb verb = kind == NEED_TLS ? V_TLS : V_HTTP;
	char a[INET6_ADDRSTRLEN], rule[300], key[DNS_TEXT_MAX + 64];
	const struct rule *added;
	struct jbuf b;
	int ans;

	suggest_rule(verb, P_TCP, d, name, rule, sizeof(rule));
	snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), ":%u", d->port);
	format_addr(d->family, d->addr, a, sizeof(a));
	question_begin(&b, verb_name[verb], tid, NULL);
	jstr(&b, "proto", "tcp");
	jstr(&b, "addr", a);
	jnum(&b, "port", d->port);
	jstr(&b, "name", name);
	snprintf(key, sizeof(key), "%s %s at %s", verb_name[verb], rule, a);
	ans = ask(key, question_end(&b, rule), rule, d, &added);
	if (ans != ANSWER_ONCE && ans != ANSWER_ALWAYS)
		return NULL;
	return added ? added : &once;
}

/*
 * Ask about a DNS name no rule allows (type: the query's), asked by the
 * process pid (comm) whose DNS was redirected: 1 when it is answered
 * (*added: always, the rule for the name on every port; once, NULL: the
 * name is pinned and its calls asked about), or 0 (denied).
 */
static int
ask_dns(const char *name, const char *type, pid_t pid, const char *comm,
    const struct rule **added)
{
	char key[DNS_TEXT_MAX + 64];
	struct jbuf b;
	int ans;

	question_begin(&b, "dns", pid, comm);
	jstr(&b, "name", name);
	jstr(&b, "type", type);
	snprintf(key, sizeof(key), "dns %s", name);
	ans = ask(key, question_end(&b, name), name, NULL, added);
	return ans == ANSWER_ONCE || ans == ANSWER_ALWAYS;
}

/* Ask about bind or listen (verb) on port: 0, EACCES or ASK_LATER. */
static int
ask_port(pid_t tid, enum verb verb, int proto, unsigned port)
{
	char rule[32], key[64];
	const struct rule *added;
	struct jbuf b;
	int ans;

	if (!ask_here)
		return ASK_LATER;
	snprintf(rule, sizeof(rule), "--bind %u", port);
	question_begin(&b, verb_name[verb], tid, NULL);
	jstr(&b, "proto", proto_name(proto));
	jnum(&b, "port", port);
	snprintf(key, sizeof(key), "%s %s %s", verb_name[verb], proto_name(proto), rule);
	ans = ask(key, question_end(&b, rule), rule, NULL, &added);
	if (ans == ASK_LATER)
		return ASK_LATER;
	return ans == ANSWER_ONCE || ans == ANSWER_ALWAYS ? 0 : EACCES;
}

/* ---- what was refused: the summary at exit and --learn ------------------ */

struct learned {
	int bind;                 /* a --bind line, not a rule */
	unsigned dns;             /* a name refused in DNS (its types): its
	                           * ports are not known */
	char host[300];           /* "tcp:127.0.0.3", "udp:[::1]", "tcp:name" */
	uint16_t ports[64];
	int nports;
	int all_ports;            /* too many to list */
	unsigned long count;
};

static int
cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* "80,443,8000-8003" */
static void
format_ports(struct learned *l, char *buf, size_t len)
{
	size_t o = 0;

	qsort(l->ports, (size_t)l->nports, sizeof(l->ports[0]), cmp_port);
	buf[0] = '\0';
	for (int i = 0; i < l->nports && o < len; i++) {
		int j = i;

		while (j + 1 < l->nports && l->ports[j + 1] == l->ports[j] + 1)
			j++;
		if (j > i)
			o += (size_t)snprintf(buf + o, len - o, "%s%u-%u", o ? "," : "",
			    l->ports[i], l->ports[j]);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%u", o ? "," : "",
			    l->ports[i]);
		i = j;
	}
}

/* A port for the rule of host (NULL: the --bind line). */
static void
learn_add(struct learned *ls, int *n, const char *host, uint16_t port,
    unsigned long count)
{
	struct learned *l = NULL;

	for (int i = 0; i < *n && !l; i++)
		if (host ? !ls[i].bind && !strcmp(ls[i].host, host) : ls[i].bind)
			l = &ls[i];
	if (!l) {
		l = &ls[(*n)++];
		memset(l, 0, sizeof(*l));
		l->bind = !host;
		snprintf(l->host, sizeof(l->host), "%s", host ? host : "");
	}
	l->count += count;
	for (int i = 0; i < l->nports; i++)
		if (l->ports[i] == port)
			return;
	if (l->nports < 64)
		l->ports[l->nports++] = port;
	else
		l->all_ports = 1;
}

/* Group what was refused into rules: per protocol and host, its ports. */
static int
learn_rules(struct learned *ls)
{
	int n = 0;

	for (int i = 0; i < nrefusals; i++) {
		const struct refusal *r = &refusals[i];

		if (r->proto == 0) {
			if (r->d.port)
				learn_add(ls, &n, NULL, r->d.port, r->count);
			continue;
		}
		/* a deny rule refuses it, or no host was named inside a
		 * connection (an address rule would let all): never learned */
		if (r->rule)
			learn_add(ls, &n, r->rule, r->d.port, r->count);
	}
	/* a name refused in DNS: its ports are not known (every port) */
	for (int i = 0; i < ndns_refusals; i++) {
		if (dns_refusals[i].deny)
			continue;
		learn_add(ls, &n, dns_refusals[i].name, 0, dns_refusals[i].count);
		ls[n - 1].all_ports = 1;
		ls[n - 1].dns |= dns_refusals[i].types;
	}
	return n;
}

/* "tcp:127.0.0.3:80,443" or "--bind 8080" */
static void
format_learned(struct learned *l, char *buf, size_t len)
{
	char ports[400];

	format_ports(l, ports, sizeof(ports));
	if (l->bind)
		snprintf(buf, len, "--bind %s", ports);
	else if (l->all_ports)
		snprintf(buf, len, "%s", l->host);
	else
		snprintf(buf, len, "%s:%s", l->host, ports);
}

static unsigned long
refused_calls(void)
{
	unsigned long total = refusals_lost;

	for (int i = 0; i < nrefusals; i++)
		total += refusals[i].count;
	return total;
}

/* The names pinned DNS refused, in the summary. */
static void
print_dns_summary(void)
{
	unsigned long queries = dns_refusals_lost;
	char types[32];

	if (!ndns_refusals)
		return;
	for (int i = 0; i < ndns_refusals; i++)
		queries += dns_refusals[i].count;
	fprintf(stderr, "netpin: summary: %lu DNS quer%s refused, %d name%s:\n",
	    queries, queries == 1 ? "y" : "ies", ndns_refusals,
	    ndns_refusals == 1 ? "" : "s");
	for (int i = 0; i < ndns_refusals; i++) {
		const struct dns_refusal *d = &dns_refusals[i];

		dns_types_text(d->types, types, sizeof(types));
		fprintf(stderr, "netpin:   %s (%s) %lu quer%s%s%s\n", d->name, types,
		    d->count, d->count == 1 ? "y" : "ies", d->deny ? ", deny rule " : "",
		    d->deny ? d->deny : "");
	}
}

static void
print_summary(void)
{
	struct learned *ls;
	char line[800], where[DEST_TEXT_MAX];
	int n;

	if (opt_quiet)
		return;
	if (unmediated)
		warnx("summary: %lu call%s netpin cannot mediate refused (see the "
		    "lines above)", unmediated, unmediated == 1 ? "" : "s");
	if (nrefusals == 0 && ndns_refusals == 0)
		return;
	if (nrefusals)
		fprintf(stderr, "netpin: summary: %lu call%s %s, %d destination%s:\n",
		    refused_calls(), refused_calls() == 1 ? "" : "s",
		    opt_audit ? "that the rules would deny (audit)" : "denied",
		    nrefusals, nrefusals == 1 ? "" : "s");
	for (int i = 0; i < nrefusals; i++) {
		const struct refusal *r = &refusals[i];

		format_dest(&r->d, where, sizeof(where));
		fprintf(stderr, "netpin:   %s/%s (%s) %lu time%s%s%s%s%s\n", where,
		    proto_name(r->sock_proto), verb_name[r->verb], r->count,
		    r->count == 1 ? "" : "s", r->name ? ", name " :
		    r->inside ? ", no host named (not learned: raw: on its rule "
		    "if its protocol names none)" : "",
		    r->name ? r->name : "", r->deny ? ", deny rule " : "",
		    r->deny ? r->deny : "");
	}
	print_dns_summary();
	ls = xcalloc(LEARNED_MAX, sizeof(*ls));
	if ((n = learn_rules(ls)))
		fprintf(stderr, "netpin: to allow them:");
	for (int i = 0; i < n; i++) {
		format_learned(&ls[i], line, sizeof(line));
		fprintf(stderr, " %s%s", ls[i].bind ? "" : "--allow ", line);
	}
	if (n)
		fputc('\n', stderr);
	free(ls);
}

/*
 * --learn FILE: an allow-file with the rules that allow what was refused.
 * An existing FILE is kept (its rules and comments, first), and only rules
 * it does not hold yet are added; the new text goes to a temporary file in
 * the same directory and is renamed over FILE, so that FILE (perhaps the
 * -A file of this very run) is never left half written.  learn_check()
 * proves at start that this can be done.
 */
static char *
learn_temp_path(void)
{
	size_t n = strlen(opt_learn) + 16;
	char *t = xcalloc(1, n);

	snprintf(t, n, "%s.XXXXXX", opt_learn);
	return t;
}

static void
learn_check(void)
{
	struct stat st;
	char *t;
	int fd;

	if (!opt_learn)
		return;
	if (stat(opt_learn, &st) == 0 && !S_ISREG(st.st_mode))
		die("--learn %s: not a regular file", opt_learn);
	t = learn_temp_path();
	if ((fd = mkstemp(t)) < 0)
		die_errno("--learn %s: cannot write in its directory", opt_learn);
	close(fd);
	unlink(t);
	free(t);
}

/* Is this rule already a line of the old file's text? */
static int
learn_has(const char *old, const char *rule)
{
	size_t n = strlen(rule);

	for (const char *p = old; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		p += strspn(p, " \t");
		if (!strncmp(p, rule, n) && strchr(" \t#\r\n", p[n] ? p[n] : '\n'))
			return 1;
	}
	return 0;
}

/* The old file's text ("" when there is none), or NULL: unreadable. */
static char *
learn_old_text(void)
{
	FILE *f = fopen(opt_learn, "re");
	char *text;

	if (!f)
		return errno == ENOENT ? xstrdup("") : NULL;
	text = read_text(f, HOSTS_MAX);
	fclose(f);
	return text;
}

/* The rules --ask's PROGRAM answered always to, oldest first, that the
 * old file does not hold yet. */
static void
learn_approvals(FILE *f, const char *old)
{
	struct approval *list = NULL;

	/* (the run is over: no lock) */
	for (struct approval *a = approvals, *next; a; a = next) {
		next = a->next;
		a->next = list;
		list = a;
	}
	approvals = list;
	for (struct approval *a = approvals; a; a = a->next)
		if (!learn_has(old, a->rule.text))
			fprintf(f, "%-40s # approved while it ran (--ask: always)\n",
			    a->rule.text);
}

/* Returns 0, or -1 after saying why. */
static int
write_learned(char **argv)
{
	struct learned *ls;
	char line[800], *old, *tmp;
	int n, fd, added = 0;
	FILE *f;

	if (!opt_learn)
		return 0;
	if (!(old = learn_old_text())) {
		warnx("--learn %s: %s", opt_learn, errno == EILSEQ ?
		    "has a NUL byte (not a rules file?)" : errno == EFBIG ?
		    "too large for a rules file" : strerror(errno));
		return -1;
	}
	if (*old && nrefusals == 0 && ndns_refusals == 0 && !refusals_lost &&
	    !approvals) {
		free(old); /* nothing to add to it */
		return 0;
	}
	tmp = learn_temp_path();
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		warnx("--learn %s: %s", opt_learn, strerror(errno));
		if (fd >= 0)
			close(fd), unlink(tmp);
		free(tmp);
		free(old);
		return -1;
	}
	fputs(old, f);
	if (*old && old[strlen(old) - 1] != '\n')
		fputc('\n', f);
	fprintf(f, "# %s by netpin --learn: rules that allow every call "
	    "the rules denied%s\n# command:", *old ? "added" : "written",
	    opt_audit ? " (audit)" : "");
	for (int i = 0; argv[i]; i++) {
		char *arg = xstrdup(argv[i]);

		make_printable(arg); /* a newline would end the comment */
		fprintf(f, " %s", arg);
		free(arg);
	}
	fprintf(f, "\n# %lu call%s, %d destination%s\n", refused_calls(),
	    refused_calls() == 1 ? "" : "s", nrefusals, nrefusals == 1 ? "" : "s");
	ls = xcalloc(LEARNED_MAX, sizeof(*ls));
	n = learn_rules(ls);
	for (int i = 0; i < n; i++) {
		format_learned(&ls[i], line, sizeof(line));
		if (learn_has(old, line))
			continue;
		added++;
		if (ls[i].dns) {
			char types[32];

			dns_types_text(ls[i].dns, types, sizeof(types));
			fprintf(f, "%-40s # refused in DNS (%s), %lu quer%s: its ports "
			    "are not known, narrow them\n", line, types, ls[i].count,
			    ls[i].count == 1 ? "y" : "ies");
			continue;
		}
		fprintf(f, "%-40s # %lu call%s\n", line, ls[i].count,
		    ls[i].count == 1 ? "" : "s");
	}
	if (n && !added)
		fprintf(f, "# (the file already holds every rule)\n");
	learn_approvals(f, old);
	for (int i = 0; i < nrefusals; i++)
		if (refusals[i].proto == 0 && refusals[i].d.port == 0)
			fprintf(f, "# %lu listen() on an ephemeral port: bind a fixed "
			    "port and add it with --bind\n", refusals[i].count);
	if (refusals_lost)
		fprintf(f, "# %lu more calls to further destinations were not "
		    "recorded (more than %d)\n", refusals_lost, REFUSALS_MAX);
	free(ls);
	free(old);
	if (fchmod(fd, 0644) || fflush(f) || fsync(fd) || fclose(f) ||
	    rename(tmp, opt_learn)) {
		warnx("--learn %s: %s", opt_learn, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/*
 * The decision for a destination of thread tid's call: 0 (allowed) or
 * EACCES (or ASK_LATER: --ask, in a receiver).  checked: the connection's
 * names are read on its way (allowed, or with --audit to learn its name),
 * and its verdict is said there, once.
 */
static int
decide_dest(pid_t tid, enum verb verb, int proto, const struct dest *d,
    int checked)
{
	char tip[DEST_TEXT_MAX + 600], rule[300];
	const struct pin *dp = pin_denying(d, proto), *quic;
	struct verdict v = {
		.verb = verb, .proto = proto, .d = d, .tip = tip,
		.deny = dp ? dp->rule : NULL,
		/* glibc connects UDP sockets only to sort addresses: -v only */
		.stderr_too = !(proto == P_UDP && verb == V_CONNECT),
	};

	/* pin_allowing(), with the deny rule kept to name it */
	v.pin = v.deny ? NULL : pin_granting(d, proto);
	v.allowed = v.pin != NULL;
	if (checked && (v.allowed || (opt_audit && !v.deny)))
		return 0;
	if (v.allowed)
		return report(tid, &v);
	/* nothing allows it: a deny rule that refuses by name is named */
	if (!v.deny && (dp = deny_pin(d, proto, 1, NULL)))
		v.deny = dp->rule;
	if (v.deny) {
		snprintf(tip, sizeof(tip), "the deny rule %s refuses it",
		    v.deny->text);
		return report(tid, &v);
	}
	v.rule = rule;
	if (proto == P_UDP && (quic = pin_granting(d, P_TCP)) &&
	    quic_unseen(quic->rule, d->port)) {
		/* a literal address would allow QUIC to every name there */
		snprintf(rule, sizeof(rule), "udp:%s%s",
		    quic->rule->kind == R_WILDCARD ? "*." : "", quic->rule->name);
		snprintf(tip, sizeof(tip), "--allow %s:443; a TCP rule does not allow "
		    "QUIC, whose server name netpin cannot see", rule);
	} else {
		suggest_rule(verb, proto, d, NULL, rule, sizeof(rule));
		snprintf(tip, sizeof(tip), "--allow %s:%u", rule, d->port);
	}
	if (opt_ask) {
		char full[sizeof(rule) + 8];
		int err;

		snprintf(full, sizeof(full), "%s:%u", rule, d->port);
		if ((err = ask_dest(tid, verb, proto, d, full, &v.by)) == ASK_LATER)
			return ASK_LATER;
		if (!err) {
			v.allowed = 1;
			v.pin = pin_granting(d, proto); /* always: the rule added */
		}
	}
	return report(tid, &v);
}

/* ---- checked connections: the relay ------------------------------------- */

/*
 * The relay: a TCP connection whose names the rules check runs through
 * netpin (see "tunnels: their state").  The rest of netpin reaches it
 * through a few names only: names_needed() (in "rules and pins": what a
 * connection to a destination must name), tunnel_open() (performing such a
 * connect), tunnel_drop() (a call that ends holding a tunnel not started),
 * tunnel_peer() (getpeername() of a tunnelled socket), tunnels_drain() (at
 * exit) and the budget probed.tunnel_budget (set in main).  A reader of
 * the core can pass over this part whole.
 */

/* ---- TLS and HTTP wire format ------------------------------------------- */

/*
 * Names in the connection: the first bytes of a TCP connection that only
 * name rules allow are held until they name a host.  What a reading says:
 * more bytes are needed, a name was found, the connection is refused for
 * its shape (why: a message), or the bytes are not this protocol at all.
 * Everything here is bounded by the bytes given.
 */
enum wire { WIRE_MORE, WIRE_NAME, WIRE_REFUSE, WIRE_ALIEN };
#define FIRST_FLIGHT_MAX 32768    /* bytes held for one check */
#define TLS_HANDSHAKE 22
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ECH 0xfe0d        /* encrypted_client_hello */

/* A host name as a connection gave it (len bytes), lower-cased into out
 * when it is a valid one; 0 when it is not. */
static int
wire_name(const char *s, size_t len, char *out, size_t outlen)
{
	if (len == 0 || len >= outlen || memchr(s, '\0', len))
		return 0;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return valid_hostname(out);
}

/* The server_name extension's one host_name (RFC 6066 3). */
static enum wire
tls_sni_ext(const uint8_t *p, size_t n, char *name, size_t nlen,
    const char **why)
{
	size_t off = 2, found = 0;

	if (n < 2 || get16(p) != n - 2)
		return *why = "a malformed server_name", WIRE_REFUSE;
	while (off < n) {
		size_t l;

		if (off + 3 > n || off + 3 + (l = get16(p + off + 1)) > n)
			return *why = "a malformed server_name", WIRE_REFUSE;
		if (p[off] == 0) {
			if (found++)
				return *why = "two server names", WIRE_REFUSE;
			if (!wire_name((const char *)p + off + 3, l, name, nlen))
				return *why = "a server name that is no host name", WIRE_REFUSE;
		}
		off += 3 + l;
	}
	if (!found)
		return *why = "no server name", WIRE_REFUSE;
	return WIRE_NAME;
}

/* A ClientHello's body (RFC 8446 4.1.2): its one server name; *ech: it
 * has an encrypted_client_hello extension. */
static enum wire
tls_client_hello(const uint8_t *p, size_t n, char *name, size_t nlen,
    int *ech, const char **why)
{
	size_t off = 34, l, end;
	int seen = 0;
	enum wire w = WIRE_REFUSE;

	*why = "a malformed ClientHello";
	*ech = 0;
	if (n < off + 1 || (off += 1 + p[off]) + 2 > n ||     /* session id */
	    (off += 2 + get16(p + off)) + 1 > n ||             /* cipher suites */
	    (off += 1 + p[off]) > n)                           /* compression */
		return WIRE_REFUSE;
	if (off == n)
		return *why = "no server name (no extensions)", WIRE_REFUSE;
	if (off + 2 > n || off + 2 + get16(p + off) != n)
		return WIRE_REFUSE;
	for (off += 2; off < n; off = end) {
		unsigned type;

		if (off + 4 > n || (end = off + 4 + (l = get16(p + off + 2))) > n)
			return *why = "a malformed ClientHello", WIRE_REFUSE;
		type = get16(p + off);
		/* its outer name is checked below; the inner one cannot be */
		if (type == TLS_EXT_ECH && !opt_allow_ech)
			return *why = "encrypted_client_hello (the name asked cannot be "
			    "seen; --allow-ech checks only the outer one)", WIRE_REFUSE;
		if (type == TLS_EXT_ECH)
			*ech = 1;
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		if (seen++)
			return *why = "two server_name extensions", WIRE_REFUSE;
		if ((w = tls_sni_ext(p + off + 4, l, name, nlen, why)) != WIRE_NAME)
			return w;
	}
	if (!seen)
		*why = "no server name";
	return seen ? WIRE_NAME : WIRE_REFUSE;
}

/* A handshake message's body length, from its header. */
static size_t
hs_length(const uint8_t *h)
{
	return (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
}

/*
 * A ClientHello in the handshake records at b (len bytes there): its
 * server name, *ech, and in *reclen the bytes of the records that hold
 * it.  It may span records, and must end where a record ends (no client
 * sends more in the records of its hello).
 */
static enum wire
tls_server_name(const uint8_t *b, size_t len, char *name, size_t nlen,
    int *ech, size_t *reclen, const char **why)
{
	uint8_t hs[FIRST_FLIGHT_MAX];
	size_t off = 0, hl = 0;

	*why = "not TLS";
	if (len > 0 && b[0] != TLS_HANDSHAKE)
		return WIRE_ALIEN;
	while (off + 5 <= len) {
		size_t rl = get16(b + off + 3);

		if (hl && (b[off] != TLS_HANDSHAKE || b[off + 1] != 3))
			return *why = "a ClientHello broken by another record", WIRE_REFUSE;
		if (b[off] != TLS_HANDSHAKE || b[off + 1] != 3)
			return *why = "not TLS (a record that is no handshake)", WIRE_ALIEN;
		if (rl == 0 || rl > 16384 || hl + rl > sizeof(hs))
			return *why = "a malformed TLS record", WIRE_REFUSE;
		if (off + 5 + rl > len)
			break;
		memcpy(hs + hl, b + off + 5, rl);
		hl += rl;
		off += 5 + rl;
		if (hl >= 4) {
			size_t ml = hs_length(hs);

			if (hs[0] != 1)
				return *why = "a handshake that is no ClientHello", WIRE_REFUSE;
			if (4 + ml < hl)
				return *why = "more than a ClientHello in its records", WIRE_REFUSE;
			if (4 + ml == hl) {
				*reclen = off;
				return tls_client_hello(hs + 4, ml, name, nlen, ech, why);
			}
		}
	}
	if (len >= FIRST_FLIGHT_MAX)
		return *why = "a ClientHello too long", WIRE_REFUSE;
	return WIRE_MORE;
}

/*
 * A TLS connection's plaintext handshake, as netpin follows it: the
 * client's records until its encryption begins, the server's until its
 * ServerHello.  A server that cannot use the client's key share answers
 * a HelloRetryRequest (a ServerHello with a fixed random), and the client
 * sends a second ClientHello, in the clear: it must name the same host,
 * with the same encrypted_client_hello treatment, as the first.  After
 * the real ServerHello no server takes another ClientHello in the clear,
 * and the client's handshake goes on in the clear (TLS 1.2) until its
 * ChangeCipherSpec, or (TLS 1.3) is encrypted at once: from the client's
 * first ChangeCipherSpec or application data record after the
 * ServerHello, all is encrypted and passes unread.  (TLS 1.2
 * renegotiation is encrypted: netpin cannot see it.)
 */
/* A run of frames, each a header of a known length and a body whose
 * length the header says, read as it comes: the header is kept, the body
 * passed over. */
struct frames {
	uint8_t h[38];            /* the header: hn bytes of it so far */
	size_t hn, left;          /* left: its body's bytes still to come */
};

struct tls_stream {
	int hellos;               /* the client's ClientHellos read */
	char name[256];           /* the first one's server name */
	int ech;                  /* the first one had encrypted_client_hello */
	int done;                 /* the client's records are encrypted now */
	struct frames cmsg;       /* after the ServerHello: its handshake
	                           * messages (a 4-byte header each) */
	/* the server's */
	int server_hello;         /* its ServerHello (no retry request) came */
	int server_odd;           /* its bytes are no TLS netpin can follow */
	struct frames srec;       /* its records (5-byte headers) */
	struct frames smsg;       /* its handshake messages: type, length,
	                           * version and random (38 bytes) */
};
#define TLS_CCS 20
#define TLS_ALERT 21
#define TLS_APPDATA 23

/* The fixed random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). */
static const uint8_t tls_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/*
 * Up to n bytes of b into the run of frames f (headers of hlen bytes):
 * how many were taken.  It stops where a header is whole (*head: 1, and
 * the caller sets f->left from it) and where a body ends.
 */
static size_t
frames_take(struct frames *f, size_t hlen, const uint8_t *b, size_t n, int *head)
{
	size_t take;

	*head = 0;
	if (f->hn < hlen) {
		take = n < hlen - f->hn ? n : hlen - f->hn;
		memcpy(f->h + f->hn, b, take);
		*head = (f->hn += take) == hlen;
		return take;
	}
	take = n < f->left ? n : f->left;
	if ((f->left -= take) == 0)
		f->hn = 0; /* the next frame */
	return take;
}

/* n bytes of a server handshake record's body: a HelloRetryRequest, or
 * the ServerHello that ends the watch. */
static void
tls_server_handshake(struct tls_stream *s, const uint8_t *b, size_t n)
{
	while (n && !s->server_hello && !s->server_odd) {
		int head;
		size_t k = frames_take(&s->smsg, 38, b, n, &head);

		b += k;
		n -= k;
		if (!head)
			continue;
		/* the first message is a ServerHello: version, random... */
		if (s->smsg.h[0] != 2 || hs_length(s->smsg.h) < 34)
			s->server_odd = 1;
		else if (memcmp(s->smsg.h + 6, tls_hrr_random, 32))
			s->server_hello = 1;
		else /* a retry request: the next message says again */
			s->smsg.left = hs_length(s->smsg.h) - 34;
	}
}

/* n bytes the server sent, in order: the watch of its records. */
static void
tls_server_feed(struct tls_stream *s, const uint8_t *b, size_t n)
{
	while (n && !s->server_hello && !s->server_odd) {
		int body = s->srec.hn == 5, head; /* what is taken: body bytes */
		size_t k = frames_take(&s->srec, 5, b, n, &head);

		if (head) {
			s->srec.left = get16(s->srec.h + 3);
			if (s->srec.h[1] != 3 || s->srec.left == 0 ||
			    (s->srec.h[0] != TLS_HANDSHAKE && s->srec.h[0] != TLS_CCS &&
			    s->srec.h[0] != TLS_ALERT))
				s->server_odd = 1;
		} else if (body && s->srec.h[0] == TLS_HANDSHAKE) {
			tls_server_handshake(s, b, k);
		}
		b += k;
		n -= k;
	}
}

/* After the ServerHello: the client's plaintext handshake messages in one
 * record's body (TLS 1.2's Certificate, ClientKeyExchange...), none of
 * them a ClientHello.  NULL, or why not. */
static const char *
tls_client_after_hello(struct tls_stream *s, const uint8_t *b, size_t n)
{
	while (n) {
		int head;
		size_t k = frames_take(&s->cmsg, 4, b, n, &head);

		b += k;
		n -= k;
		if (head && s->cmsg.h[0] == 1)
			return "a ClientHello after the ServerHello";
		if (head && !(s->cmsg.left = hs_length(s->cmsg.h)))
			s->cmsg.hn = 0; /* no body */
	}
	return NULL;
}

/*
 * Read the client's records on from s's state: b holds the n bytes not
 * read yet, whole records only.  *used: the bytes passed before what is
 * returned.  WIRE_NAME: then the records of a first ClientHello, *head
 * bytes, ask for *name (the caller lets them pass, or not, and calls again
 * after them); WIRE_MORE: the rest is not all there, or (s->done) is
 * encrypted; WIRE_REFUSE: *why.
 */
static enum wire
tls_stream_next(struct tls_stream *s, const uint8_t *b, size_t n,
    size_t *used, size_t *head, char *name, size_t nlen, const char **why)
{
	size_t off = 0;

	for (;;) {
		size_t rl;
		int ech;
		enum wire w;

		*used = off;
		if (s->done || off == n)
			return WIRE_MORE;
		if (!s->hellos || (b[off] == TLS_HANDSHAKE && !s->server_hello)) {
			if ((w = tls_server_name(b + off, n - off, name, nlen, &ech, head,
			    why)) != WIRE_NAME)
				return w;
			if (!s->hellos++) {
				snprintf(s->name, sizeof(s->name), "%s", name);
				s->ech = ech;
				return WIRE_NAME;
			}
			if (strcmp(name, s->name) || ech != s->ech)
				return *why = strcmp(name, s->name) ? "a second ClientHello "
				    "naming another host" : "a second ClientHello with another "
				    "encrypted_client_hello", WIRE_REFUSE;
			off += *head;
			continue;
		}
		if (n - off < 5)
			return WIRE_MORE;
		rl = get16(b + off + 3);
		if (b[off + 1] != 3 || rl == 0 || rl > 16384 + 2048)
			return *why = "a malformed TLS record", WIRE_REFUSE;
		if (n - off - 5 < rl)
			return WIRE_MORE;
		switch (b[off]) {
		case TLS_HANDSHAKE: /* after the ServerHello */
			if ((*why = tls_client_after_hello(s, b + off + 5, rl)))
				return WIRE_REFUSE;
			break;
		case TLS_CCS:
			if (rl != 1 || b[off + 5] != 1 || s->cmsg.hn)
				return *why = "a malformed ChangeCipherSpec", WIRE_REFUSE;
			s->done = s->server_hello; /* TLS 1.3: sent before a retry too */
			break;
		case TLS_ALERT:
			break;
		case TLS_APPDATA:
			if (s->server_hello) {
				s->done = 1;
				continue; /* encrypted from here: passed at once */
			}
			break; /* early data, before the ServerHello */
		default:
			return *why = "a TLS record of no known type", WIRE_REFUSE;
		}
		off += 5 + rl;
	}
}

/*
 * HTTP/1 requests, read by RFC 9112's grammar and nothing looser: where
 * servers differ (a bare LF ending a line, obs-fold, a NUL, framing given
 * twice or oddly), a lenient server could find a request, or a Host, that
 * netpin did not see.  So every shape some server reads another way is
 * refused, not guessed at.
 */

/* How an HTTP request's body is framed (RFC 9112 6). */
struct http_body {
	int chunked;
	uint64_t length;          /* Content-Length; 0: none */
};

/* Where a request stream is: a head is checked, a body carried. */
enum hstate { H_HEAD, H_BODY, H_CHUNK_SIZE, H_CHUNK_DATA, H_CHUNK_END, H_TRAILER };
struct http_stream {
	enum hstate hs;
	uint64_t left;            /* H_BODY, H_CHUNK_DATA: bytes to come */
};
#define CHUNK_LINE_MAX 1024       /* an HTTP chunk-size or trailer line */

/* Is c a token's byte (RFC 9110 5.6.2)? */
static int
http_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Is [s, s+n) one token? */
static int
http_token(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!http_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Are the n bytes at s all decimal digits? */
static int
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * One line of a head, a chunk line or a trailer, at s (n bytes there):
 * LINE_WHOLE with its length before the CRLF in *len, LINE_MORE while it
 * is not all there, LINE_LONG past max bytes, or LINE_BAD: a CR or LF that
 * is not a CRLF, or a control byte other than HTAB (a lenient server would
 * end a line there, or read one netpin does not).
 */
enum hline { LINE_WHOLE, LINE_MORE, LINE_BAD, LINE_LONG };
static enum hline
http_line(const char *s, size_t n, size_t max, size_t *len)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' && i + 1 < n) {
			if (s[i + 1] != '\n')
				return LINE_BAD;
			*len = i;
			return LINE_WHOLE;
		}
		if (c == '\n' || (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return LINE_BAD;
		if (i >= max)
			return LINE_LONG;
	}
	return LINE_MORE;
}

/* The host of an authority "host[:port]" into out; 0 if it is none. */
static int
http_authority(const char *s, size_t n, char *out, size_t outlen)
{
	const char *colon = memchr(s, ':', n);

	if (memchr(s, '@', n) || memchr(s, '[', n))
		return 0; /* user info; an IPv6 literal is no name */
	if (colon) {
		if (!all_digits(colon + 1, (size_t)(s + n - colon - 1)))
			return 0;
		n = (size_t)(colon - s);
	}
	if (n > 1 && s[n - 1] == '.')
		n--; /* "example.com." is example.com */
	return wire_name(s, n, out, outlen);
}

/*
 * A header name that a server may take for a framing or routing header
 * written another way: "Content_Length" (CGI and others map '_' to '-').
 * Returns the header it may be read as, or NULL.
 */
static const char *
http_lookalike(const char *name, size_t n)
{
	static const char *const framing[] = { "host", "content-length",
		"transfer-encoding" };

	if (!memchr(name, '_', n))
		return NULL;
	for (size_t k = 0; k < sizeof(framing) / sizeof(framing[0]); k++) {
		size_t i = 0;

		while (i < n && framing[k][i] &&
		    (tolower((unsigned char)name[i]) == framing[k][i] ||
		    (name[i] == '_' && framing[k][i] == '-')))
			i++;
		if (i == n && !framing[k][i])
			return framing[k];
	}
	return NULL;
}

/* Is the header name [s, s+n) the header h (lower-case)? */
static int
http_is(const char *s, size_t n, const char *h)
{
	return n == strlen(h) && !strncasecmp(s, h, n);
}

/*
 * One field line (name: value) of a head, or of a chunked body's trailer
 * (where no framing or routing header may be), into what is checked.
 * The line holds no CR, LF or control byte (http_line).  Returns NULL, or
 * why it is refused.
 */
static const char *
http_header(const char *line, size_t n, int trailer, char *host, size_t hlen,
    int *hosts, struct http_body *body, int *lengths)
{
	const char *colon = memchr(line, ':', n), *v;
	size_t nl, vl;

	if (n && (line[0] == ' ' || line[0] == '\t'))
		return "a folded header line (obsolete line folding)";
	if (!colon || !http_token(line, nl = (size_t)(colon - line)))
		return "a malformed header line";
	if (http_lookalike(line, nl))
		return "a header name that a server may read as Host, "
		    "Content-Length or Transfer-Encoding";
	for (v = colon + 1; v < line + n && (*v == ' ' || *v == '\t'); v++)
		;
	for (vl = (size_t)(line + n - v); vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'); vl--)
		;
	if (trailer && (http_is(line, nl, "host") || http_is(line, nl, "content-length") ||
	    http_is(line, nl, "transfer-encoding")))
		return "a framing or routing header in a trailer";
	if (http_is(line, nl, "host")) {
		if ((*hosts)++)
			return "more than one Host";
		if (!http_authority(v, vl, host, hlen))
			return "a Host that is no host name";
	} else if (http_is(line, nl, "content-length")) {
		char digits[24];

		if ((*lengths)++ || vl == 0 || vl > 18 || !all_digits(v, vl))
			return "an unclear Content-Length";
		snprintf(digits, sizeof(digits), "%.*s", (int)vl, v);
		body->length = strtoull(digits, NULL, 10);
	} else if (http_is(line, nl, "transfer-encoding")) {
		if (body->chunked || !http_is(v, vl, "chunked"))
			return "a Transfer-Encoding that is not exactly one chunked";
		body->chunked = 1;
	} else if (http_is(line, nl, "upgrade")) {
		return "an Upgrade (what follows it is no HTTP/1 netpin can read)";
	}
	return NULL;
}

/* The request line "METHOD SP target SP HTTP/1.x" (n bytes, no CRLF):
 * the absolute form's host into target.  Returns NULL, or why not. */
static const char *
http_request_line(const char *s, size_t n, char *target, size_t tlen,
    int *http10)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *t, *slash;
	size_t tl;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s))) ||
	    s + n - sp2 != 9 || strncmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1') || !http_token(s, (size_t)(sp1 - s)))
		return "not an HTTP/1 request";
	*http10 = sp2[8] == '0';
	t = sp1 + 1;
	tl = (size_t)(sp2 - t);
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return "a request target with a byte no URI has";
	if (sp1 - s == 7 && !strncmp(s, "CONNECT", 7))
		return "CONNECT";
	if (tl == 0)
		return "not an HTTP/1 request";
	if (t[0] == '/')
		return NULL; /* origin form */
	if (tl == 1 && t[0] == '*')
		return sp1 - s == 7 && !strncmp(s, "OPTIONS", 7) ? NULL :
		    "a request target * that is not OPTIONS";
	/* absolute form: http(s)://authority[/...] */
	if (tl > 7 && !strncasecmp(t, "http://", 7))
		t += 7;
	else if (tl > 8 && !strncasecmp(t, "https://", 8))
		t += 8;
	else
		return "a request target of no known form";
	slash = memchr(t, '/', (size_t)(sp2 - t));
	if (!http_authority(t, (size_t)((slash ? slash : sp2) - t), target, tlen))
		return "a request target naming no host";
	return NULL;
}

/*
 * One HTTP/1.x request head at the start of b: its Host's name (lower-case,
 * no port), the head's length and how its body is framed.
 */
static enum wire
http_request_host(const uint8_t *b, size_t len, char *host, size_t hlen,
    size_t *head, struct http_body *body, const char **why)
{
	const char *s = (const char *)b;
	char target[256] = "";
	int hosts = 0, lengths = 0, http10 = 0;
	size_t off = 0, l = 0;

	memset(body, 0, sizeof(*body));
	/* a method is upper-case letters: else this is no HTTP at all */
	for (size_t i = 0; i < len && i < 16; i++)
		if (!isupper((unsigned char)s[i]) && s[i] != '-' && s[i] != '_') {
			if (s[i] == ' ' && i > 0)
				break;
			return *why = "not HTTP", WIRE_ALIEN;
		}
	for (int first = 1;; first = 0, off += l + 2) {
		switch (http_line(s + off, len - off, FIRST_FLIGHT_MAX, &l)) {
		case LINE_MORE:
		case LINE_LONG:
			/* a head that fills what netpin holds is refused */
			return len >= FIRST_FLIGHT_MAX ? (*why = "a request head too "
			    "long", WIRE_REFUSE) : WIRE_MORE;
		case LINE_BAD:
			return *why = "a CR, LF or control byte out of place in the "
			    "request head", WIRE_REFUSE;
		case LINE_WHOLE:
			break;
		}
		if (first) {
			if ((*why = http_request_line(s, l, target, sizeof(target), &http10)))
				return WIRE_REFUSE;
		} else if (l == 0) {
			break;
		} else if ((*why = http_header(s + off, l, 0, host, hlen, &hosts, body,
		    &lengths))) {
			return WIRE_REFUSE;
		}
	}
	*head = off + 2;
	if (!hosts)
		return *why = "no Host", WIRE_REFUSE;
	if (lengths && body->chunked)
		return *why = "both Content-Length and Transfer-Encoding", WIRE_REFUSE;
	/* an HTTP/1.0 server may not read Transfer-Encoding: its framing
	 * would not be netpin's */
	if (body->chunked && http10)
		return *why = "Transfer-Encoding in an HTTP/1.0 request", WIRE_REFUSE;
	if (*target && strcmp(target, host))
		return *why = "a request target naming another host than Host",
		    WIRE_REFUSE;
	return WIRE_NAME;
}

/* A chunk-size line (RFC 9112 7.1), n bytes with no CRLF: 1 to 15 hex
 * digits, then extensions only as ";name" or ";name=value" (tokens).
 * Returns NULL, or why it is refused. */
static const char *
http_chunk_size(const char *s, size_t n, uint64_t *size)
{
	size_t i = 0;

	for (*size = 0; i < n && isxdigit((unsigned char)s[i]); i++) {
		if (i == 15)
			return "a chunk size of more than 15 digits";
		*size = *size << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	if (i == 0)
		return "a malformed chunk size";
	while (i < n) {
		size_t j;

		if (s[i++] != ';')
			return "a malformed chunk size";
		for (j = i; j < n && http_tchar((unsigned char)s[j]); j++)
			;
		if (j == i)
			return "a chunk extension that is not ;name or ;name=value";
		if ((i = j) < n && s[i] == '=') {
			for (j = ++i; j < n && http_tchar((unsigned char)s[j]); j++)
				;
			if (j == i)
				return "a chunk extension that is not ;name or ;name=value";
			i = j;
		}
	}
	return NULL;
}

/*
 * Read a request stream on from h's state: b holds the n bytes not read
 * yet.  Bodies pass as framed; a head is read whole.  *used: the bytes
 * passed before what is returned.  WIRE_NAME: then a head of *head bytes
 * asks for the host *name (the caller lets it pass, or not, and calls
 * again after it); WIRE_MORE: the rest is not all there; WIRE_REFUSE:
 * *why.
 */
static enum wire
http_stream_next(struct http_stream *h, const uint8_t *b, size_t n,
    size_t *used, size_t *head, char *name, size_t nlen, const char **why)
{
	const char *s = (const char *)b;
	struct http_body body = { 0 };
	int unused = 0, lengths = 0;
	size_t off = 0, l = 0;
	enum wire w;

	for (;; off += l) {
		size_t avail = n - off;

		*used = off;
		switch (h->hs) {
		case H_HEAD:
			if (!avail)
				return WIRE_MORE;
			if ((w = http_request_host(b + off, avail, name, nlen, head,
			    &body, why)) != WIRE_NAME)
				return w;
			h->hs = body.chunked ? H_CHUNK_SIZE : body.length ? H_BODY : H_HEAD;
			h->left = body.length;
			return WIRE_NAME;
		case H_BODY:
		case H_CHUNK_DATA:
			if (!avail)
				return WIRE_MORE;
			l = avail < h->left ? avail : (size_t)h->left;
			if ((h->left -= l) == 0)
				h->hs = h->hs == H_BODY ? H_HEAD : H_CHUNK_END;
			break;
		case H_CHUNK_END:
			if (avail < 2)
				return avail && s[off] != '\r' ?
				    (*why = "a chunk that does not end in CRLF", WIRE_REFUSE) :
				    WIRE_MORE;
			if (memcmp(s + off, "\r\n", 2))
				return *why = "a chunk that does not end in CRLF", WIRE_REFUSE;
			l = 2;
			h->hs = H_CHUNK_SIZE;
			break;
		case H_CHUNK_SIZE:
		case H_TRAILER:
			switch (http_line(s + off, avail, CHUNK_LINE_MAX, &l)) {
			case LINE_MORE:
				return WIRE_MORE;
			case LINE_BAD:
				return *why = "a CR, LF or control byte out of place in a "
				    "chunk line or trailer", WIRE_REFUSE;
			case LINE_LONG:
				return *why = "a chunk line or trailer too long", WIRE_REFUSE;
			case LINE_WHOLE:
				break;
			}
			if (h->hs == H_CHUNK_SIZE) {
				if ((*why = http_chunk_size(s + off, l, &h->left)))
					return WIRE_REFUSE;
				h->hs = h->left ? H_CHUNK_DATA : H_TRAILER;
			} else if (l == 0) {
				h->hs = H_HEAD;
			} else if ((*why = http_header(s + off, l, 1, name, nlen, &unused,
			    &body, &lengths))) {
				return WIRE_REFUSE;
			}
			l += 2;
			break;
		}
	}
}

/* ---- tunnels: their state ----------------------------------------------- */

/*
 * A TCP connection that only name rules allow runs through netpin, so that
 * what it names is checked before a byte reaches the destination (a
 * front end serves many names: the address alone says little).  netpin
 * connects to the destination itself (up), then the command's socket to a
 * listener of netpin's own on loopback, made for this one connection and
 * accepting only it (cmd: netpin's end).  A thread of the tunnel's own
 * holds the command's first bytes until they name a host (TLS's server
 * name, HTTP's Host), then carries both ways (splice(), and a buffer for
 * bulk; for HTTP, every request head is checked).  A stalled peer stalls
 * only its thread.
 * getpeername() on the command's socket says the destination (found by
 * the socket's cookie, which is never reused).
 */
#define TUNNEL_FDS 8              /* each holds 4 to 6 descriptors, 8 on its way */
#define TUNNELS_CAP 4096          /* at once, however many descriptors */
#define CHECK_WAIT_MS 10000       /* for the bytes that name the host */
#define CONNECT_HOLD_MS 3000      /* a non-blocking connect, for the destination */
#define PIPE_ROOM 65536           /* a pipe's size: what one splice moves */
#define BULK_BUF (1 << 20)        /* a way that filled its pipe: copied through */
#define BULK_MAX 16               /* ways with a bulk buffer at once (16 MiB) */
static unsigned bulk_ways;        /* atomic: bulk buffers, until freed */
#define PUMP_ROUNDS 8             /* moves on one way between two polls */
#define BULK_LOWAT (512 << 10)    /* bulk: poll wakes for this much (SO_RCVLOWAT) */
#define BULK_WAIT_MS 1            /* or after this long, for what is less */
#define NOTSENT_LOWAT (512 << 10) /* unsent bytes netpin queues on a socket */

/* One way of a tunnel once checked: from -> pipe -> to, by splice(); once
 * a splice fills the pipe, from -> buf -> to (bulk).  A server's TLS
 * records are watched on their way, until its ServerHello. */
struct pump {
	int from, to;
	int pipe[2];
	struct tls_stream *watch; /* the server's TLS records are fed to it */
	size_t n;                 /* bytes in the pipe (sent before buf's) */
	uint8_t *buf;             /* bulk: BULK_BUF bytes, or NULL */
	size_t off, bn;           /* bulk: bn bytes at buf + off */
	int lowat;                /* bulk: from's SO_RCVLOWAT is BULK_LOWAT */
	int eof, shut;            /* from has ended; to was told (SHUT_WR) */
};

struct tunnel {
	int cmd, up;              /* netpin's ends: loopback, destination */
	int need;                 /* NEED_TLS | NEED_HTTP */
	int http;                 /* read as HTTP: every request head */
	int named;                /* a first allowed name was seen */
	int checked;              /* nothing more to check: spliced both ways */
	int up_connecting;        /* up's connect is still under way */
	struct dest d;
	pid_t tid;                /* the thread that connected (named when said) */
	uint64_t cookie;          /* the command's socket's */
	struct http_stream hstream; /* http: where the requests are */
	struct tls_stream tls;    /* tls: where the handshake is */
	size_t inlen, ok;         /* bytes held from cmd; of them, vetted */
	struct pump down, upward; /* upward: TLS, once checked */
	struct tunnel *next;      /* under tunnels_lock */
	uint8_t in[FIRST_FLIGHT_MAX];
};

static struct tunnel *tunnels;    /* under tunnels_lock: for getpeername */
static unsigned ntunnels;         /* under tunnels_lock */
static pthread_mutex_t tunnels_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tunnels_done = PTHREAD_COND_INITIALIZER;
/* a tunnel handed to an idle tunnel thread, and how many wait (both
 * under tunnels_lock); an idle thread ends after TUNNEL_IDLE_S */
static struct tunnel *tunnel_next;
static unsigned tunnel_idle;
static pthread_cond_t tunnel_ready = PTHREAD_COND_INITIALIZER;
#define TUNNEL_IDLE_S 10

/* The destination of the command's socket (by cookie) if it is tunnelled. */
static int
tunnel_peer(uint64_t cookie, struct dest *d)
{
	int found = 0;

	pthread_mutex_lock(&tunnels_lock);
	for (struct tunnel *t = tunnels; t && !found; t = t->next)
		if (t->cookie == cookie) {
			*d = t->d;
			found = 1;
		}
	pthread_mutex_unlock(&tunnels_lock);
	return found;
}

/* A few freed tunnels are kept for the next ones: malloc would map and
 * unmap each (a tunnel holds FIRST_FLIGHT_MAX bytes).  Under tunnels_lock. */
#define TUNNELS_SPARE 16
static struct tunnel *tunnels_spare;
static unsigned nspare;

/*
 * A way that fills its pipe carries bulk: from then on it is copied
 * through a buffer of BULK_BUF, for a few ways at once.  Measured on a
 * 2-CPU machine, a 1 GiB response through a bare relay: splice() through
 * a pipe of 1 MiB, 63 % of a direct connection's throughput and 0.80 s of
 * CPU; recv()+send() through a buffer of 1 MiB, 79 % and 0.78 s (the
 * second connection's pages are netpin's own, fresh, rather than the
 * server's lent on).
 * While reads come large, poll wakes for BULK_LOWAT at a time, or after
 * BULK_WAIT_MS for less (see bulk_lowat): fewer wake-ups, 82 % -> 100 %
 * of direct in netpin (BULK_LOWAT 128 KiB: 88 %; 256 KiB: 94 %).
 */
static void
bulk_start(struct pump *p)
{
	if (p->buf)
		return;
	if (__atomic_add_fetch(&bulk_ways, 1, __ATOMIC_RELAXED) > BULK_MAX ||
	    !(p->buf = malloc(BULK_BUF))) {
		__atomic_fetch_sub(&bulk_ways, 1, __ATOMIC_RELAXED);
		return; /* the pipe goes on; tried again when it fills again */
	}
	p->off = p->bn = 0;
}

static void
bulk_end(struct pump *p)
{
	if (!p->buf)
		return;
	free(p->buf);
	p->buf = NULL;
	__atomic_fetch_sub(&bulk_ways, 1, __ATOMIC_RELAXED);
}

static void
tunnel_free(struct tunnel *t)
{
	int *fds[] = { &t->cmd, &t->up, &t->down.pipe[0], &t->down.pipe[1],
		&t->upward.pipe[0], &t->upward.pipe[1] };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	bulk_end(&t->down);
	bulk_end(&t->upward);
	pthread_mutex_lock(&tunnels_lock);
	if (nspare < TUNNELS_SPARE) {
		t->next = tunnels_spare;
		tunnels_spare = t;
		nspare++;
		t = NULL;
	}
	pthread_mutex_unlock(&tunnels_lock);
	free(t);
}

/* A tunnel that never started (t may be NULL): let go of its place. */
static void
tunnel_drop(struct tunnel *t)
{
	pthread_mutex_lock(&tunnels_lock);
	ntunnels--;
	pthread_cond_broadcast(&tunnels_done);
	pthread_mutex_unlock(&tunnels_lock);
	if (t)
		tunnel_free(t);
}

/* ---- tunnels: reading, checking, carrying ------------------------------- */

/* The tunnel is over: out of the list, its descriptors closed. */
static void
tunnel_end(struct tunnel *t)
{
	pthread_mutex_lock(&tunnels_lock);
	for (struct tunnel **p = &tunnels; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	ntunnels--;
	pthread_cond_broadcast(&tunnels_done);
	pthread_mutex_unlock(&tunnels_lock);
	tunnel_free(t);
}

/* Close fd with a reset (SO_LINGER 0), as a peer that aborts. */
static void
reset_close(int *fd)
{
	struct linger l = { 1, 0 };

	if (*fd < 0)
		return;
	setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(*fd);
	*fd = -1;
}

/*
 * Say what a checked connection asked: the one verdict of its connect (or
 * of a further HTTP request on it).  kind: V_TLS or V_HTTP; name: what it
 * asked (NULL: none could be read; why: the reason it is refused for its
 * shape); allow: the rule that allows it, or deny: the deny rule that
 * refuses it.  Allowed: in the log, and on stderr with -v.  A connection
 * read only to learn its name (--audit) that named none is said as a
 * plain connect: no name is involved.
 */
static void
tunnel_report(const struct tunnel *t, enum verb kind, const char *name,
    const char *why, const struct rule *allow, const struct rule *deny)
{
	char where[DEST_TEXT_MAX], a[INET6_ADDRSTRLEN], tip[360], key[400], rule[300];
	const char *verdict = allow ? "allow" : opt_audit ? "audit" : "deny";
	struct verdict v = { .verb = kind, .proto = P_TCP, .d = &t->d,
		.stderr_too = 1, .tip = tip, .asked = name, .deny = deny };
	struct jbuf b;
	char comm[64];
	pid_t pid;

	if (!name && (t->need & NEED_PROBE)) {
		decide_dest(t->tid, V_CONNECT, P_TCP, &t->d, 0);
		return;
	}
	if (allow && log_fd < 0 && !opt_verbose)
		return;
	/* named now, not at the connect: most tunnels are never said */
	pid = task_name(t->tid, comm, sizeof(comm));
	format_dest(&t->d, where, sizeof(where));
	format_addr(t->d.family, t->d.addr, a, sizeof(a));
	/* as --learn writes it, the check kept (a plain NAME:PORT on a port
	 * not checked by default lets every name on the address through) */
	if (deny) {
		snprintf(tip, sizeof(tip), "the deny rule %s refuses it", deny->text);
	} else if (!name) {
		snprintf(tip, sizeof(tip), "allow with raw: on the rule if the "
		    "protocol names no host");
	} else {
		suggest_rule(kind, P_TCP, &t->d, name, rule, sizeof(rule));
		snprintf(tip, sizeof(tip), "allow with --allow %s:%u", rule, t->d.port);
		v.rule = rule;
	}
	if (!allow)
		remember_refusal(&v, name);
	if (log_fd >= 0) {
		jcall(&b, "connect", verdict, pid, comm);
		jstr(&b, "proto", "tcp");
		jstr(&b, "addr", a);
		jnum(&b, "port", t->d.port);
		jstr(&b, kind == V_TLS ? "sni" : "host", name);
		jstr(&b, "why", why);
		if (allow || deny)
			jstr(&b, "rule", allow ? allow->text : deny->text);
		if (!allow && !deny)
			jstr(&b, "tip", tip + strlen("allow with "));
		jend(&b);
	}
	if (allow ? !opt_verbose : opt_quiet && !opt_verbose)
		return;
	snprintf(key, sizeof(key), "%s %s %s", verb_name[kind], where, name ? name : why);
	if (!allow && seen_before(key))
		return;
	if (allow)
		fprintf(stderr, "netpin: allowed %s to %s naming %s by %s[%d] (rule %s)\n",
		    verb_name[kind], where, name, comm, (int)pid, allow->text);
	else
		fprintf(stderr, "netpin: %s %s to %s/tcp %s%s%s by %s[%d] (%s)\n",
		    opt_audit ? "audit: would deny" : "denied", verb_name[kind], where,
		    name ? "naming " : "", name ? name : "", name ? "" : why,
		    comm, (int)pid, tip);
}

/*
 * What a checked connection's reading comes to, for now: nothing refused
 * (go on), or refused, each already said: a name asked is not allowed
 * here, the bytes have a shape that is refused, or they are not the
 * protocol at all.
 */
enum vet { VET_ON, VET_NAME, VET_SHAPE, VET_ALIEN };

/*
 * The verdict on a name asked inside t (kind: NEED_TLS or NEED_HTTP),
 * said: 1 when it may pass (allowed, or --audit).
 */
static int
tunnel_name(struct tunnel *t, int kind, const char *name)
{
	const struct rule *deny, *allow = name_verdict(&t->d, kind, name, &deny);

	if (!allow && !deny && opt_ask)
		allow = ask_inside(t->tid, kind, &t->d, name);
	tunnel_report(t, kind == NEED_TLS ? V_TLS : V_HTTP, name,
	    allow ? NULL : "not allowed here", allow, deny);
	return allow || opt_audit;
}

/*
 * Refuse the connection as its protocol would understand: TLS, a TLS
 * alert (access_denied); an HTTP request asking for a name not allowed
 * here, a 403 naming netpin and the host; anything else, or bytes that
 * are no such protocol at all, a reset.
 */
static void
tunnel_refuse(struct tunnel *t, enum verb kind, enum vet how, const char *name)
{
	static const uint8_t alert[] = { 21, 3, 1, 0, 2, 2, 49 };
	char body[320], resp[512];
	int n;

	reset_close(&t->up);
	if (how != VET_ALIEN && kind == V_TLS) {
		(void)!send(t->cmd, alert, sizeof(alert), MSG_NOSIGNAL);
	} else if (how == VET_NAME && kind == V_HTTP) {
		n = snprintf(body, sizeof(body), "netpin: this command may not ask "
		    "for the host %s here\n", name);
		n = snprintf(resp, sizeof(resp), "HTTP/1.1 403 Forbidden\r\n"
		    "Content-Type: text/plain\r\nConnection: close\r\n"
		    "Content-Length: %d\r\n\r\n%s", n, body);
		(void)!send(t->cmd, resp, (size_t)n, MSG_NOSIGNAL);
	} else {
		reset_close(&t->cmd);
		return;
	}
	shutdown(t->cmd, SHUT_WR);
}

/* A reading that refuses the bytes (w: WIRE_REFUSE or WIRE_ALIEN), said. */
static enum vet
tunnel_shape(struct tunnel *t, enum verb kind, enum wire w, const char *why)
{
	tunnel_report(t, kind, NULL, why, NULL, NULL);
	return w == WIRE_ALIEN ? VET_ALIEN : VET_SHAPE;
}

/*
 * Move t->ok over what the HTTP request stream lets go: bodies as framed,
 * each request head only when its Host is allowed here (*name: the host
 * asked).
 */
static enum vet
http_vet(struct tunnel *t, char *name, size_t nlen)
{
	for (;;) {
		const char *why = NULL;
		size_t used, head;
		enum wire w = http_stream_next(&t->hstream, t->in + t->ok,
		    t->inlen - t->ok, &used, &head, name, nlen, &why);

		t->ok += used;
		if (w == WIRE_MORE)
			return VET_ON;
		if (w != WIRE_NAME)
			return tunnel_shape(t, V_HTTP, w, why);
		t->named = 1;
		if (!tunnel_name(t, NEED_HTTP, name))
			return VET_NAME;
		t->ok += head;
	}
}

/*
 * Move t->ok over what the client's TLS records let go: its handshake in
 * the clear (a first ClientHello only when its server name is allowed
 * here), then, once encrypted, all (*name: the name asked).
 */
static enum vet
tls_vet(struct tunnel *t, char *name, size_t nlen)
{
	for (;;) {
		const char *why = NULL;
		size_t used, head;
		enum wire w = tls_stream_next(&t->tls, t->in + t->ok, t->inlen - t->ok,
		    &used, &head, name, nlen, &why);

		t->ok += used;
		if (w == WIRE_MORE)
			return VET_ON;
		if (w != WIRE_NAME)
			return tunnel_shape(t, V_TLS, w, why);
		t->named = 1;
		if (!tunnel_name(t, NEED_TLS, name))
			return VET_NAME;
		t->ok += head;
	}
}

/*
 * The command's bytes the rules check: hold them until they name an
 * allowed host.  Returns 0 (go on), or 1 after refusing.
 */
static int
tunnel_vet(struct tunnel *t)
{
	char name[256];
	enum vet how;

	if (t->checked) {
		t->ok = t->inlen; /* allowed: what comes after goes as it is */
		return 0;
	}
	if (!t->inlen)
		return 0;
	if (!t->named && !t->http &&
	    (t->http = !(t->need & NEED_TLS) ||
	    (t->need & NEED_HTTP && t->in[0] != TLS_HANDSHAKE)))
		t->down.watch = NULL;
	/* each name asked, and each refusal, is said there */
	how = t->http ? http_vet(t, name, sizeof(name)) : tls_vet(t, name, sizeof(name));
	if (how == VET_ON && (t->http || !t->tls.done))
		return 0;
	if (how != VET_ON && !opt_audit) {
		tunnel_refuse(t, t->http ? V_HTTP : V_TLS, how, name);
		return 1;
	}
	/* encrypted TLS, or --audit (said, and let through): carried as is */
	t->checked = 1;
	t->ok = t->inlen;
	return 0;
}

/*
 * Reads that come large (BULK_LOWAT or more): from wakes poll only for
 * BULK_LOWAT, and the tunnel's poll waits BULK_WAIT_MS at most, for what
 * is less (an end comes at once: FIN and errors wake poll).  A wait that
 * ends with less than that (the stream slowed down, or a last piece) puts
 * the way back to waking for a byte.
 */
static void
bulk_lowat(struct pump *p, int on)
{
	int v = on ? BULK_LOWAT : 1;

	if (p->lowat == on)
		return;
	/* (should it fail to come off, the 1 ms waits go on, and so do tries) */
	if (setsockopt(p->from, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == 0)
		p->lowat = on;
}

/* What from may bring now; what waits for to. */
static size_t
pump_room(const struct pump *p)
{
	if (p->buf) /* the pipe's bytes go first */
		return p->n ? 0 : BULK_BUF - p->off - p->bn;
	return PIPE_ROOM - p->n;
}

static size_t
pump_held(const struct pump *p)
{
	return p->n + p->bn;
}

/* The n bytes from sent on, to a watch of their TLS records; the watch
 * ends at the ServerHello (or at bytes it cannot follow). */
#define WATCH_PEEK 16384
static void
pump_watch(struct pump *p, const uint8_t *b, size_t n)
{
	if (!p->watch)
		return;
	tls_server_feed(p->watch, b, n);
	if (p->watch->server_hello || p->watch->server_odd)
		p->watch = NULL;
}

/* From p->from into the pipe, room bytes at most, as splice() says.  A
 * watched way's bytes are read first (MSG_PEEK), and only those move: the
 * socket is this thread's alone, so the splice moves the bytes seen. */
static ssize_t
pump_fill(struct pump *p, size_t room)
{
	uint8_t seen[WATCH_PEEK];
	ssize_t k, r;

	if (!p->watch)
		return splice(p->from, NULL, p->pipe[1], NULL, room,
		    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if ((k = recv(p->from, seen, room < sizeof(seen) ? room : sizeof(seen),
	    MSG_PEEK | MSG_DONTWAIT)) <= 0)
		return k;
	r = splice(p->from, NULL, p->pipe[1], NULL, (size_t)k,
	    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (r > 0)
		pump_watch(p, seen, (size_t)r);
	return r;
}

/* One move through the pipe; *more: from filled it (more may wait).
 * 0, or the errno that ends the way. */
static int
pump_splice(struct pump *p, int *more)
{
	size_t room = pump_room(p);
	ssize_t r;

	*more = 0;
	if (!p->eof && room) {
		r = pump_fill(p, room);
		if (r > 0) {
			p->n += (size_t)r;
			if ((*more = (size_t)r == room))
				bulk_start(p);
		} else if (r == 0) {
			p->eof = 1;
		} else if (errno != EAGAIN) {
			return errno;
		}
	}
	if (p->n) {
		r = splice(p->pipe[0], NULL, p->to, NULL, p->n,
		    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (r > 0)
			p->n -= (size_t)r;
		else if (r < 0 && errno != EAGAIN)
			return errno;
	}
	return 0;
}

/* One move through the bulk buffer; *more: from filled it and to took it
 * all.  0, or the errno that ends the way. */
static int
pump_copy(struct pump *p, int *more)
{
	size_t room;
	ssize_t r;

	*more = 0;
	room = pump_room(p);
	if (!p->eof && room) {
		r = recv(p->from, p->buf + p->off + p->bn, room, MSG_DONTWAIT);
		if (r > 0) {
			pump_watch(p, p->buf + p->off + p->bn, (size_t)r);
			p->bn += (size_t)r;
			*more = (size_t)r == room;
			if ((size_t)r >= BULK_LOWAT)
				bulk_lowat(p, 1);
		} else if (r == 0) {
			p->eof = 1;
		} else if (errno != EAGAIN) {
			return errno;
		}
	}
	if (p->bn) {
		r = send(p->to, p->buf + p->off, p->bn, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			p->off += (size_t)r;
			p->bn -= (size_t)r;
			if (!p->bn)
				p->off = 0;
		} else if (r < 0 && errno != EAGAIN) {
			return errno;
		}
	}
	*more = *more && !p->bn;
	return 0;
}

/* Move what is ready on one checked way (while it moves, a few rounds:
 * fewer polls); 0, or the errno that ends it. */
static int
pump_move(struct pump *p)
{
	int err = 0, more = 1;

	for (int i = 0; more && !err && i < PUMP_ROUNDS; i++)
		err = p->buf && !p->n ? pump_copy(p, &more) : pump_splice(p, &more);
	if (err)
		return err;
	if (p->eof && !pump_held(p) && !p->shut) {
		shutdown(p->to, SHUT_WR);
		p->shut = 1;
	}
	return 0;
}

/* The command's bytes, held until vetted (not yet spliced): read what
 * came.  0, or the errno that ends the tunnel. */
static int
tunnel_read(struct tunnel *t)
{
	ssize_t r;

	if (!t->upward.eof && t->inlen < sizeof(t->in)) {
		r = read(t->cmd, t->in + t->inlen, sizeof(t->in) - t->inlen);
		if (r > 0)
			t->inlen += (size_t)r;
		else if (r == 0)
			t->upward.eof = 1;
		else if (errno != EAGAIN)
			return errno;
	}
	return 0;
}

/* Write what is vetted of the bytes held.  0, or the errno that ends the
 * tunnel. */
static int
tunnel_send(struct tunnel *t)
{
	ssize_t r;

	if (t->ok && !t->up_connecting) {
		r = send(t->up, t->in, t->ok, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN)
			return errno;
		if (r > 0) {
			memmove(t->in, t->in + r, t->inlen - (size_t)r);
			t->inlen -= (size_t)r;
			t->ok -= (size_t)r;
		}
	}
	if (t->upward.eof && !t->inlen && !t->upward.shut && !t->up_connecting) {
		shutdown(t->up, SHUT_WR);
		t->upward.shut = 1;
	}
	return 0;
}

/* up's connect, under way (revents: what poll said of up): 0 when done
 * or going on, else its errno. */
static int
tunnel_up_done(struct tunnel *t, short revents)
{
	socklen_t l = sizeof(int);
	int err = 0;

	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return 0;
	if (getsockopt(t->up, SOL_SOCKET, SO_ERROR, &err, &l))
		err = errno;
	t->up_connecting = 0;
	return err;
}

/* What a round of a tunnel comes to. */
enum round { ROUND_ON, ROUND_OVER };

static int
pipe_failed(int err)
{
	warn_once("tunnel pipe", "cannot make a pipe for a connection whose "
	    "names netpin checks (%s): it is reset", strerror(err));
	return err;
}

/* The events a tunnel waits for: on the command's end (p[0]) and on the
 * destination's (p[1]).  spliced: the command's way is carried unread. */
static void
tunnel_events(const struct tunnel *t, int spliced, struct pollfd p[2])
{
	p[0] = (struct pollfd){ .fd = t->cmd };
	p[1] = (struct pollfd){ .fd = t->up };
	if (pump_held(&t->down))
		p[0].events |= POLLOUT;
	if (!t->upward.eof && (spliced ? pump_room(&t->upward) && !t->up_connecting :
	    t->inlen < sizeof(t->in)))
		p[0].events |= POLLIN;
	if (t->up_connecting) {
		p[1].events |= POLLOUT;
		return;
	}
	if (!t->down.eof && pump_room(&t->down))
		p[1].events |= POLLIN;
	if (spliced ? pump_held(&t->upward) : t->ok)
		p[1].events |= POLLOUT;
}

/* No host named within CHECK_WAIT_MS: said; the command's end reset
 * (--audit: let through unread). */
static enum round
tunnel_too_late(struct tunnel *t)
{
	tunnel_report(t, t->need & NEED_TLS ? V_TLS : V_HTTP, NULL,
	    "no host named in the first bytes within 10 s", NULL, NULL);
	if (!opt_audit) {
		reset_close(&t->cmd);
		return ROUND_OVER;
	}
	t->checked = 1;
	t->ok = t->inlen;
	return ROUND_ON;
}

/* The tunnel's ends after a round, as poll said (p): ROUND_OVER when it is
 * over (*err: the destination's reset, passed on), else ROUND_ON. */
static enum round
tunnel_ended(struct tunnel *t, const struct pollfd p[2], int *err)
{
	socklen_t l = sizeof(*err);

	if (!t->named && !t->checked && t->upward.eof) {
		tunnel_report(t, t->need & NEED_TLS ? V_TLS : V_HTTP, NULL,
		    "the connection ended before naming a host", NULL, NULL);
		return ROUND_OVER;
	}
	if (t->upward.shut && t->down.shut)
		return ROUND_OVER;
	/* poll says hang-up with nothing to read: the way is over */
	if ((p[0].revents & (POLLHUP | POLLERR)) && !(p[0].revents & POLLIN) &&
	    !pump_held(&t->down))
		return ROUND_OVER;
	/* the destination reset: so is the command's end */
	if ((p[1].revents & POLLERR) && !t->up_connecting) {
		if (getsockopt(t->up, SOL_SOCKET, SO_ERROR, err, &l) || !*err)
			*err = ECONNRESET;
		return ROUND_OVER;
	}
	return ROUND_ON;
}

/*
 * One round of a tunnel: wait for what either end can do (the name, by
 * deadline), then do it: the destination's connect, the way down, then
 * the command's bytes (carried unread once spliced, else read, vetted and
 * sent).  ROUND_ON to go on; ROUND_OVER when it is over (*err: the errno
 * of a reset, passed on to both ends, or 0).
 */
static enum round
tunnel_round(struct tunnel *t, long deadline, int *err)
{
	int spliced = t->checked && !t->inlen, n;
	long wait = t->named || t->checked ? -1 : deadline - now_ms();
	struct pollfd p[2];

	if (spliced && t->upward.pipe[0] < 0 &&
	    pipe2(t->upward.pipe, O_CLOEXEC | O_NONBLOCK)) {
		*err = pipe_failed(errno);
		return ROUND_OVER;
	}
	if (wait != -1 && wait <= 0)
		return tunnel_too_late(t);
	tunnel_events(t, spliced, p);
	if ((t->down.lowat || t->upward.lowat) && (wait == -1 || wait > BULK_WAIT_MS))
		wait = BULK_WAIT_MS;
	n = poll(p, 2, (int)wait);
	if (n < 0)
		return errno == EINTR ? ROUND_ON : ROUND_OVER;
	if (n == 0) { /* a bulk way's wait ended short of BULK_LOWAT */
		bulk_lowat(&t->down, 0);
		bulk_lowat(&t->upward, 0);
	}
	if (t->up_connecting && (*err = tunnel_up_done(t, p[1].revents)))
		return ROUND_OVER;
	if (!t->up_connecting && (*err = pump_move(&t->down)))
		return ROUND_OVER;
	if (spliced) {
		if (!t->up_connecting && (*err = pump_move(&t->upward)))
			return ROUND_OVER;
	} else {
		if ((*err = tunnel_read(t)))
			return ROUND_OVER;
		if (tunnel_vet(t))
			return ROUND_OVER; /* refused: its ends are dealt with */
		if ((*err = tunnel_send(t)))
			return ROUND_OVER;
	}
	return tunnel_ended(t, p, err);
}

static void
tunnel_run(struct tunnel *t)
{
	long deadline = now_ms() + CHECK_WAIT_MS;
	int err = 0, lowat = NOTSENT_LOWAT;

	/* a socket of netpin's takes no more than this unsent: the relay
	 * sends as the window opens, rather than the peer's acks sending
	 * (on their CPU) a deep queue (a 1 GiB response: 553 -> 526 ms) */
	setsockopt(t->cmd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	setsockopt(t->up, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	/* the pipes are made here, not in the connect's round trip; upward's
	 * only once it is spliced (never for HTTP, whose heads are all read) */
	if (pipe2(t->down.pipe, O_CLOEXEC | O_NONBLOCK))
		err = pipe_failed(errno);
	else
		while (tunnel_round(t, deadline, &err) == ROUND_ON)
			;
	if (err) { /* a reset on one side is a reset on the other */
		reset_close(&t->cmd);
		reset_close(&t->up);
	}
	tunnel_end(t);
}

/* An idle tunnel thread waits a while for the next tunnel (NULL: none). */
static struct tunnel *
tunnel_wait(void)
{
	struct timespec until;
	struct tunnel *t;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TUNNEL_IDLE_S;
	pthread_mutex_lock(&tunnels_lock);
	tunnel_idle++;
	while (!tunnel_next &&
	    pthread_cond_timedwait(&tunnel_ready, &tunnels_lock, &until) == 0)
		;
	t = tunnel_next;
	tunnel_next = NULL;
	tunnel_idle--;
	pthread_mutex_unlock(&tunnels_lock);
	return t;
}

static void *
tunnel_thread(void *arg)
{
	ask_here = 1;
	for (struct tunnel *t = arg; t; t = tunnel_wait())
		tunnel_run(t);
	return NULL;
}

/* Carry t in an idle tunnel thread, or a new one; 0 or an errno. */
static int
tunnel_start(struct tunnel *t)
{
	pthread_mutex_lock(&tunnels_lock);
	if (tunnel_idle && !tunnel_next) {
		tunnel_next = t;
		pthread_mutex_unlock(&tunnels_lock);
		/* after the unlock: the thread woken does not wait for it */
		pthread_cond_signal(&tunnel_ready);
		return 0;
	}
	pthread_mutex_unlock(&tunnels_lock);
	return thread_start(tunnel_thread, t, 256 * 1024);
}

/* A tunnel for call c, reaching for the destination; 0 or an errno. */
static int
tunnel_new(struct call *c, struct tunnel **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct tunnel *t;
	int one = 1;

	/* netpin reaches the destination from its own network namespace,
	 * and the command's socket must reach netpin's listener in it */
	if (socket_elsewhere(c)) {
		warn_once("tunnel netns", "pid %d's socket is in a network namespace "
		    "of its own: netpin cannot check the names in its connections: "
		    "connect denied", (int)c->tid);
		return EACCES;
	}
	pthread_mutex_lock(&tunnels_lock);
	/* read only to learn a name (--audit): none free, it goes as it is */
	if (ntunnels >= probed.tunnel_budget && (c->need & NEED_PROBE)) {
		pthread_mutex_unlock(&tunnels_lock);
		return ENOBUFS;
	}
	if (ntunnels >= probed.tunnel_budget) {
		struct timespec until;

		/* full: wait a while for tunnels to end (a closed one ends once
		 * its destination has closed too; in the addfd mode, once a
		 * scan lets go of netpin's reference to the command's socket) */
		pthread_mutex_unlock(&tunnels_lock);
		if (probed.addfd_mode)
			held_scan(1, NULL);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HELD_WAIT_MS / 1000;
		pthread_mutex_lock(&tunnels_lock);
		while (ntunnels >= probed.tunnel_budget &&
		    !pthread_cond_timedwait(&tunnels_done, &tunnels_lock, &until))
			;
	}
	if (ntunnels >= probed.tunnel_budget) {
		pthread_mutex_unlock(&tunnels_lock);
		warn_once("tunnels full", "%u connections whose names netpin checks "
		    "are open, the most it carries at once (%d descriptors each, "
		    "half of its RLIMIT_NOFILE, %d at most): further ones are "
		    "refused (ENOBUFS) until some close", probed.tunnel_budget,
		    TUNNEL_FDS, TUNNELS_CAP);
		return ENOBUFS;
	}
	ntunnels++;
	if ((t = tunnels_spare)) {
		tunnels_spare = t->next;
		nspare--;
	}
	pthread_mutex_unlock(&tunnels_lock);
	/* what a spare one held past inlen is never read */
	if (t)
		memset(t, 0, offsetof(struct tunnel, in));
	else if (!(t = call_alloc(1, sizeof(*t))))
		return tunnel_drop(NULL), ENOMEM;
	t->cmd = t->up = -1;
	t->down.pipe[0] = t->down.pipe[1] = t->upward.pipe[0] = t->upward.pipe[1] = -1;
	t->d = c->dest;
	t->need = c->need;
	t->tid = c->tid;
	*out = t;
	if ((t->up = socket(t->d.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP)) < 0)
		return step_failed("socket", c, -1, errno);
	setsockopt(t->up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sl = dest_sockaddr(&t->d, t->d.family, &ss);
	if (connect(t->up, (struct sockaddr *)&ss, sl) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	t->up_connecting = 1;
	return 0;
}

/*
 * Wait for the destination: the receiving thread a moment (UNDER_WAY: a
 * worker goes on), a worker until it answers (a non-blocking connect:
 * CONNECT_HOLD_MS at most, then on, with up still connecting).  Returns 0,
 * the destination's errno (as the command's own connect would), EINTR for
 * a signal the command takes, or CALL_GONE.
 */
static int
tunnel_reach(struct call *c, struct tunnel *t, int may_block)
{
	long hold = socket_blocks(c->fd) ? -1 : now_ms() + CONNECT_HOLD_MS;

	for (;;) {
		struct pollfd p = { t->up, POLLOUT, 0 };
		int n = poll(&p, 1, may_block ? WAIT_SLICE_MS : 20);

		if (n > 0)
			return tunnel_up_done(t, p.revents);
		if (n < 0 && errno != EINTR)
			return errno;
		if (!may_block)
			return UNDER_WAY;
		if (!still_pending(c))
			return CALL_GONE;
		if (signal_waiting(c->tid))
			return EINTR;
		if (hold != -1 && now_ms() >= hold)
			return 0;
	}
}

/* Are two sockaddrs (of a connection's two ends) the same address and port? */
static int
same_end(const struct sockaddr_storage *a, socklen_t al,
    const struct sockaddr_storage *b, socklen_t bl)
{
	struct dest x, y;

	return sockaddr_dest(a, al, a->ss_family, 0, &x) == ADDR_DEST &&
	    sockaddr_dest(b, bl, b->ss_family, 0, &y) == ADDR_DEST &&
	    x.family == y.family && x.port == y.port && !memcmp(x.addr, y.addr, 16);
}

/* A listener on loopback for the command's socket (of family dom) to
 * connect to; its address in ss.  The fd, or -1 with errno. */
static int
tunnel_listener(int dom, struct sockaddr_storage *ss, socklen_t *sl)
{
	/* an IPv6 socket reaches [::1], or 127.0.0.1 v4-mapped without it */
	for (int v6 = dom == AF_INET6; v6 >= 0; v6--) {
		struct dest lo = { .family = v6 ? AF_INET6 : AF_INET };
		struct sockaddr_storage own;
		socklen_t ol;
		int l, e;

		if (v6) {
			lo.addr[15] = 1;
		} else {
			lo.addr[0] = 127;
			lo.addr[3] = 1;
		}
		ol = dest_sockaddr(&lo, lo.family, &own);
		if ((l = socket(lo.family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (bind(l, (struct sockaddr *)&own, ol) == 0 && listen(l, 1) == 0 &&
		    getsockname(l, (struct sockaddr *)&own, &ol) == 0 &&
		    sockaddr_dest(&own, ol, lo.family, 0, &lo) == ADDR_DEST) {
			*sl = dest_sockaddr(&lo, dom, ss);
			return l;
		}
		e = errno;
		close(l);
		errno = e;
	}
	return -1;
}

/*
 * Connect the command's socket to a listener made for it alone, take the
 * one connection that is its own (another one, from anyone else on this
 * machine, is closed), and start the tunnel's thread.  Returns 0 or
 * EINPROGRESS (as the command's connect), or an errno.
 */
static int
tunnel_join(struct call *c, struct tunnel *t)
{
	struct sockaddr_storage ss, peer, mine;
	socklen_t sl, pl, ml = sizeof(mine), cl = sizeof(t->cookie);
	long until = now_ms() + 2000;
	int l, rc, err, off = 0;

	if ((l = tunnel_listener(c->domain, &ss, &sl)) < 0) {
		warn_once("tunnel listener", "cannot listen on loopback (%s): "
		    "connections whose names netpin checks are refused (is lo up?)",
		    strerror(errno));
		return EACCES;
	}
	/* a connect with no SYN until the first write would never be accepted */
	setsockopt(c->fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &off, sizeof(off));
	rc = connect(c->fd, (struct sockaddr *)&ss, sl) ? errno : 0;
	if ((rc && rc != EINPROGRESS) ||
	    getsockname(c->fd, (struct sockaddr *)&mine, &ml)) {
		err = rc ? rc : errno;
		close(l);
		return err;
	}
	while (t->cmd < 0 && now_ms() < until) {
		struct pollfd p = { l, POLLIN, 0 };
		int fd;

		pl = sizeof(peer);
		if (poll(&p, 1, 100) <= 0 || (fd = accept4(l, (struct sockaddr *)&peer,
		    &pl, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
			continue;
		if (same_end(&peer, pl, &mine, ml))
			t->cmd = fd;
		else
			close(fd); /* not the command's: nobody else's to use */
	}
	close(l);
	if (t->cmd < 0)
		return step_failed("accept (checked connection)", c, -1, ETIMEDOUT);
	if (getsockopt(c->fd, SOL_SOCKET, SO_COOKIE, &t->cookie, &cl))
		t->cookie = 0;
	t->down.from = t->up;
	t->down.to = t->cmd;
	/* a TLS server's retry request lets the client say hello again */
	if (t->need & NEED_TLS)
		t->down.watch = &t->tls;
	t->upward.from = t->cmd;
	t->upward.to = t->up;
	pthread_mutex_lock(&tunnels_lock);
	t->next = tunnels;
	tunnels = t;
	pthread_mutex_unlock(&tunnels_lock);
	if ((err = tunnel_start(t))) {
		pthread_mutex_lock(&tunnels_lock);
		tunnels = t->next; /* put first above, under the same lock */
		pthread_mutex_unlock(&tunnels_lock);
		return step_failed("pthread_create (checked connection)", c, -1, err);
	}
	return rc;
}

/*
 * connect() to a destination whose names the rules check (c->need): the
 * destination first, then the command's socket to netpin.  Returns the
 * connect's errno (0, EINPROGRESS...), UNDER_WAY (a worker goes on waiting
 * for the destination), CALL_GONE, or GO_PLAIN: the connect is to be made
 * as any other (--audit, read only to learn a name: no tunnel could be
 * made; nothing was done).
 */
static int
tunnel_open(struct call *c, int may_block)
{
	int err = 0;

	if (!c->tun)
		err = tunnel_new(c, &c->tun);
	if (err && (c->need & NEED_PROBE)) {
		if (c->tun)
			tunnel_drop(c->tun);
		c->tun = NULL;
		c->need = 0;
		decide_dest(c->tid, V_CONNECT, P_TCP, &c->dest, 0);
		return GO_PLAIN;
	}
	if (!err && c->tun->up_connecting)
		err = tunnel_reach(c, c->tun, may_block);
	if (err == UNDER_WAY || err == CALL_GONE)
		return err;
	if (!err)
		err = tunnel_join(c, c->tun);
	if (err == 0 || err == EINPROGRESS)
		c->tun = NULL; /* the tunnel's thread has it: it says the verdict */
	else /* no tunnel carries it: its verdict is said here, once */
		decide_dest(c->tid, V_CONNECT, P_TCP, &c->dest, 0);
	return err;
}

/* At exit: the tunnels carry what they hold (up to 5 s).  The command is
 * gone: netpin's references to its sockets (the addfd mode) go first, so
 * that the tunnels see their ends close. */
static void
tunnels_drain(void)
{
	struct timespec until;

	held_release_all();
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&tunnels_lock);
	while (ntunnels && !pthread_cond_timedwait(&tunnels_done, &tunnels_lock, &until))
		;
	pthread_mutex_unlock(&tunnels_lock);
}

/* getpeername() of a tunnelled socket: its destination, as the kernel
 * would write it (truncated to the room given, the full length said). */
static int
write_peername(struct call *c)
{
	struct sockaddr_storage ss;
	uint32_t sl = dest_sockaddr(&c->peer, c->domain, &ss), room;
	int err;

	if ((err = child_read(c, c->peer_buflen, &room, sizeof(room))))
		return err;
	if ((int32_t)room < 0)
		return EINVAL;
	if ((err = child_write(c, c->peer_buf, &ss, room < sl ? room : sl)))
		return err;
	return child_write(c, c->peer_buflen, &sl, sizeof(sl));
}

/* ---- pinned DNS --------------------------------------------------------- */

/*
 * Every DNS query of the command (UDP or TCP to port 53 of any address,
 * unless a rule names that server and port) is carried to netpin's own
 * responder on loopback, which answers from the pin table: an allowed name
 * gets exactly its pinned addresses, any other name NXDOMAIN, and nothing
 * is asked upstream (but once, for a name under a wildcard rule).  So DNS
 * can neither carry data out nor return an address that is not pinned.
 * Resolvers check that a UDP reply comes from the server they asked: for a
 * socket whose DNS netpin redirected, recvfrom() is made by netpin, which
 * names the original server as the source.
 */
#define DNS_TTL 5
#define REDIRECTS_MAX 1024
#define DNS_ANSWERS_MAX 16
#define TCP_DNS_MAX 64
#define TCP_DNS_IDLE_MS 3000      /* a TCP DNS connection's next query */
static int tcp_dns_conns;         /* atomic: the responder's threads */

/* the responder's sockets and addresses (127.0.0.1, ::1): written at start */
static int dns_udp[2] = { -1, -1 }, dns_tcp[2] = { -1, -1 };
static struct sockaddr_storage dns_udp_addr[2], dns_tcp_addr[2];

/* UDP sockets whose DNS went to the responder, the server they asked, and
 * their own address: the only source the responder answers.  Written by
 * the receivers, read by them and by the main thread: under redirect_lock. */
/* The process whose socket asks pinned DNS (named when it was redirected,
 * while its call was pending: never a process that came after). */
struct asker {
	pid_t pid;
	char comm[16];
};

struct redirect {
	int proto;                /* P_UDP, P_TCP */
	struct asker who;
	dev_t dev;
	ino_t ino;
	struct sockaddr_storage server;
	struct dest local;        /* the socket's address; 0.0.0.0 or :: */
};
static struct redirect redirects[REDIRECTS_MAX];  /* under redirect_lock */
static unsigned nredirects;                        /* under redirect_lock */
static pthread_mutex_t redirect_lock = PTHREAD_MUTEX_INITIALIZER;

/* names pinned at run time under a wildcard rule (or --audit); one is
 * resolved upstream with no lock held, and the threads that ask for it
 * meanwhile wait on pins_resolved (the main thread never does: see
 * needs_upstream) */
struct dyn_rule {
	struct rule rule;
	int resolving;            /* under pins_lock: its pins are not all in */
	struct dyn_rule *next;
};
static struct dyn_rule *dyn_rules;  /* under pins_lock */
static int ndyn_rules;              /* under pins_lock */
static pthread_cond_t pins_resolved = PTHREAD_COND_INITIALIZER;
#define DYN_RULES_MAX 4096

static int
responder_socket(int family, int type, struct sockaddr_storage *ss)
{
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 64)) ||
	    getsockname(fd, (struct sockaddr *)ss, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
responder_open(void)
{
	int e = 0;

	for (int i = 0; i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		dns_udp[i] = responder_socket(family, SOCK_DGRAM, &dns_udp_addr[i]);
		dns_tcp[i] = responder_socket(family, SOCK_STREAM, &dns_tcp_addr[i]);
		if (!i && (dns_udp[0] < 0 || dns_tcp[0] < 0))
			e = errno;
	}
	/* loopback down (early in an initramfs), or a sandbox around netpin
	 * that refuses its listen: the command's DNS is refused */
	if (dns_udp[0] < 0 || dns_tcp[0] < 0) {
		warnx("pinned DNS: cannot listen on 127.0.0.1 (%s): the command's DNS "
		    "is refused\nhint: %s", strerror(e), e == EADDRNOTAVAIL || e == ENETDOWN ?
		    "bring the loopback interface up (ip link set lo up)" :
		    "a sandbox around netpin refuses its listen (is netpin run under netpin?)");
		for (int i = 0; i < 2; i++) {
			if (dns_udp[i] >= 0)
				close(dns_udp[i]);
			if (dns_tcp[i] >= 0)
				close(dns_tcp[i]);
			dns_udp[i] = dns_tcp[i] = -1;
		}
	}
}

/* A rule that names this server's port 53 lets DNS go there as it is. */
static int
dns_server_allowed(const struct dest *d, int proto)
{
	const struct pin *p = pin_allowing(d, proto);

	return p && p->rule->nports > 0;
}

static int
same_sockaddr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct dest da, db;

	return sockaddr_dest(a, sizeof(*a), a->ss_family, 0, &da) == ADDR_DEST &&
	    sockaddr_dest(b, sizeof(*b), b->ss_family, 0, &db) == ADDR_DEST &&
	    da.family == db.family && da.port == db.port &&
	    !memcmp(da.addr, db.addr, 16);
}

/* With redirect_lock held. */
static struct redirect *
redirect_find(const struct stat *st)
{
	for (unsigned i = 0; i < nredirects && i < REDIRECTS_MAX; i++)
		if (redirects[i].ino == st->st_ino && redirects[i].dev == st->st_dev)
			return &redirects[i];
	return NULL;
}

/*
 * The address a UDP socket sends its DNS from, which the responder will
 * answer: bound now if it is not yet (as the kernel's send would), and
 * never shared (SO_REUSEADDR, SO_REUSEPORT), so that no other socket can
 * receive the answer.  Returns 0 or the errno to deny with.
 */
static int
dns_socket_address(const struct call *c, struct dest *local)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	int reuse = 0, reuseport = 0;
	socklen_t il = sizeof(int);

	if (getsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &il) ||
	    getsockopt(c->fd, SOL_SOCKET, SO_REUSEPORT, &reuseport, &il) ||
	    reuse || reuseport) {
		warn_once("dns reuse", "pid %d sends DNS from a socket whose port "
		    "can be shared (SO_REUSEADDR/SO_REUSEPORT): call denied",
		    (int)c->tid);
		return EACCES;
	}
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) ||
	    sockaddr_dest(&ss, len, ss.ss_family, 0, local) != ADDR_DEST)
		return EACCES;
	if (local->port == 0) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)c->domain;
		len = c->domain == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
		if (bind(c->fd, (struct sockaddr *)&ss, len) ||
		    getsockname(c->fd, (struct sockaddr *)&ss, &len) ||
		    sockaddr_dest(&ss, len, ss.ss_family, 0, local) != ADDR_DEST)
			return errno ? errno : EACCES;
	}
	return 0;
}

/* 127.0.0.1 or ::1: where an unbound socket's DNS to the responder is from */
static int
is_loopback_source(const struct dest *s)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 }, v6[16] = { [15] = 1 };

	return s->family == AF_INET ? !memcmp(s->addr, v4, 4) :
	    !memcmp(s->addr, v6, 16);
}

/* Did this query (over proto) come from a socket whose DNS netpin
 * redirected?  *who: whose it is. */
static int
redirected_source(const struct sockaddr_storage *from, socklen_t fl, int proto,
    struct asker *who)
{
	static const uint8_t zero[16];
	struct dest s;

	int found = 0;

	if (sockaddr_dest(from, fl, from->ss_family, 0, &s) != ADDR_DEST)
		return 0;
	pthread_mutex_lock(&redirect_lock);
	for (unsigned i = 0; i < nredirects && i < REDIRECTS_MAX && !found; i++) {
		const struct dest *l = &redirects[i].local;

		if (l->port != s.port || redirects[i].proto != proto)
			continue;
		/* an unbound socket's DNS comes from the responder's address */
		found = !memcmp(l->addr, zero, 16) ? is_loopback_source(&s) :
		    l->family == s.family && !memcmp(l->addr, s.addr, 16);
		if (found)
			*who = redirects[i].who;
	}
	pthread_mutex_unlock(&redirect_lock);
	return found;
}

/*
 * Send this DNS to the responder: netpin's copy of the address becomes the
 * responder's, in the socket's family; UDP sockets are remembered with the
 * server they asked.
 */
static int
redirect_dns(struct call *c, const struct dest *d, int proto,
    struct sockaddr_storage *ss, socklen_t *len)
{
	const struct sockaddr_storage *to = proto == P_UDP ? dns_udp_addr : dns_tcp_addr;
	int v6 = c->domain == AF_INET6, fd6 = proto == P_UDP ? dns_udp[1] : dns_tcp[1];
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct stat st;

	if (dns_udp[0] < 0)
		return EACCES; /* no pinned DNS (loopback down): DNS is refused */
	/* the responder answers only the sockets recorded here: by their
	 * address (bound now if they are not: before the connect, so that a
	 * TCP connection is known when it arrives) */
	{
		struct redirect *r;
		struct dest local;
		struct asker who;
		int err;

		if ((err = dns_socket_address(c, &local)) || fstat(c->fd, &st))
			return err ? err : EACCES;
		/* named now: the call is pending, so the thread is the caller */
		who.pid = task_name(c->tid, who.comm, sizeof(who.comm));
		pthread_mutex_lock(&redirect_lock);
		if (!(r = redirect_find(&st)))
			r = &redirects[nredirects++ % REDIRECTS_MAX];
		r->proto = proto;
		r->who = who;
		r->dev = st.st_dev;
		r->ino = st.st_ino;
		r->local = local;
		memset(&r->server, 0, sizeof(r->server));
		memcpy(&r->server, ss, *len < sizeof(*ss) ? *len : sizeof(*ss));
		if (r->server.ss_family == AF_UNSPEC)
			r->server.ss_family = AF_INET;
		pthread_mutex_unlock(&redirect_lock);
	}
	if (opt_verbose) {
		char where[DEST_TEXT_MAX];

		format_dest(d, where, sizeof(where));
		fprintf(stderr, "netpin: DNS to %s/%s goes to netpin's pinned DNS\n",
		    where, proto_name(proto));
	}
	memset(ss, 0, sizeof(*ss));
	if (!v6) {
		memcpy(ss, &to[0], sizeof(struct sockaddr_in));
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	*len = sizeof(struct sockaddr_in6);
	if (fd6 >= 0) {
		memcpy(ss, &to[1], sizeof(struct sockaddr_in6));
		return 0;
	}
	/* no ::1: the IPv4 responder, v4-mapped */
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = ((const struct sockaddr_in *)&to[0])->sin_port;
	map_v4(AF_INET, (const uint8_t *)&((const struct sockaddr_in *)&to[0])->sin_addr,
	    &sin6->sin6_addr);
	return 0;
}

/* The rule that allows this name, pinning it now under a wildcard rule. */
/* Does a deny rule refuse this address whatever the port and protocol? */
static int
addr_denied(int family, const uint8_t *addr)
{
	struct dest d = { 0 };

	d.family = family;
	memcpy(d.addr, addr, family == AF_INET ? 4 : 16);
	for (int i = 0; i < npins; i++)
		if (pins[i].rule->deny && pins[i].rule->nports == 0 &&
		    pins[i].rule->protos == (P_TCP | P_UDP) && pin_covers(&pins[i], &d))
			return 1;
	return 0;
}

static const struct rule *
rule_for_name(const char *name, const char *type, const struct asker *who)
{
	const struct rule *wild = NULL, *approved;
	struct dyn_rule *dr;
	size_t nl = strlen(name);
	int once = 0;

	/* a deny rule for the name wins: NXDOMAIN */
	for (int i = 0; i < nrules; i++)
		if (rules[i].deny && rule_names(&rules[i], name, nl))
			return NULL;
	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if (r->deny)
			continue;
		if (r->kind == R_NAME && rule_names(r, name, nl))
			return r;
		if (r->kind == R_WILDCARD && rule_names(r, name, nl) && !wild)
			wild = r;
	}
	/* --audit, and --ask once: any name is resolved upstream and pinned,
	 * allowing nothing by itself, so that what the command reaches has a
	 * name.  Only host names: anything else (escaped bytes, a numeric
	 * last label) is neither asked nor learned. */
	if ((!wild && !opt_audit && !opt_ask) || !valid_hostname(name))
		return NULL;
	if (!wild && opt_ask) {
		if ((approved = approved_name(name)))
			return approved;
		pthread_mutex_lock(&pins_lock);
		for (dr = dyn_rules; dr; dr = dr->next)
			if (!strcasecmp(dr->rule.name, name))
				break;
		pthread_mutex_unlock(&pins_lock);
		/* asked once already: pinned, and its calls asked about */
		if (!dr && !ask_dns(name, type, who->pid, who->comm, &approved))
			return NULL;
		if (approved)
			return approved;
		once = 1;
	}
	pthread_mutex_lock(&pins_lock);
	for (dr = dyn_rules; dr; dr = dr->next)
		if (!strcasecmp(dr->rule.name, name))
			break;
	if (!dr && ndyn_rules >= DYN_RULES_MAX) {
		pthread_mutex_unlock(&pins_lock);
		warn_once("dyn rules full", "pinned DNS: %d names pinned on demand, "
		    "the most it keeps; further names are refused", DYN_RULES_MAX);
		return NULL;
	}
	if (dr) {
		while (dr->resolving) /* another thread is asking upstream */
			pthread_cond_wait(&pins_resolved, &pins_lock);
	} else {
		const struct rule *one[1];
		const struct pin *dp;
		long port;
		int proto;

		if (!(dr = call_alloc(1, sizeof(*dr))) || !(dr->rule.name = strdup(name))) {
			free(dr);
			pthread_mutex_unlock(&pins_lock);
			return NULL; /* out of memory: NXDOMAIN */
		}
		if (wild) {
			char *n2 = dr->rule.name;

			dr->rule = *wild;
			dr->rule.name = n2;
		} else {
			dr->rule.text = once ? "(--ask once)" : "(audit)";
			dr->rule.protos = 0; /* allows nothing */
		}
		dr->rule.kind = R_NAME;
		for (char *p = dr->rule.name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		one[0] = &dr->rule;
		dr->next = dyn_rules;
		dyn_rules = dr;
		ndyn_rules++;
		/* the hosts file first, as at start; else asked once, upstream
		 * (no lock held while it answers), and pinned for the rest of
		 * the run */
		if (pin_from_hosts(&dr->rule) <= 0) {
			dr->resolving = 1;
			pthread_mutex_unlock(&pins_lock);
			resolve_by_dns(one, 1, NULL, &pins_lock);
			pthread_mutex_lock(&pins_lock);
			dr->resolving = 0;
			pthread_cond_broadcast(&pins_resolved);
		}
		log_pins_of(&dr->rule);
		if ((dp = deny_takes(&dr->rule, &proto, &port)))
			say_deny_takes(dp, &dr->rule, proto, port, 0);
	}
	pthread_mutex_unlock(&pins_lock);
	return &dr->rule;
}

static const char *
qtype_name(uint16_t t, char *buf, size_t len)
{
	if (t == T_A)
		return "A";
	if (t == T_AAAA)
		return "AAAA";
	snprintf(buf, len, "%u", t);
	return buf;
}

static void
log_dns(const char *name, const char *type, const struct rule *r,
    const char *answers, int rcode, const struct asker *who)
{
	struct jbuf b;
	char key[DNS_TEXT_MAX + 8];

	if (log_fd >= 0) {
		jcall(&b, "dns", !r ? "deny" : r->protos || !opt_audit ? "allow" :
		    "audit", who->pid, who->comm);
		jstr(&b, "name", name);
		jstr(&b, "type", type);
		if (r && (r->protos || !opt_audit))
			jstr(&b, "rule", r->text);
		jstr(&b, "answers", answers);
		jnum(&b, "rcode", rcode);
		jend(&b);
	}
	if (r || opt_quiet)
		return;
	snprintf(key, sizeof(key), "dns %s", name);
	if (!seen_before(key))
		warnx("refused DNS name %s (%s) asked by %s[%d]: no rule allows it",
		    name, type, who->comm, (int)who->pid);
}

/*
 * The answer to one query, from the pin table.  Returns its length, or 0
 * to drop the query (not a query at all).
 */
static size_t
dns_answer(const uint8_t *q, size_t n, uint8_t *out, size_t cap,
    const struct asker *who)
{
	char name[DNS_TEXT_MAX], tbuf[8], answers[DNS_ANSWERS_MAX * (INET6_ADDRSTRLEN + 1)] = "";
	const struct rule *r = NULL;
	size_t off = 12, o;
	uint16_t qtype = 0, count = 0;
	int rcode = 0, family;

	if (n < 12 || (q[2] & 0x80) || cap < 512)
		return 0;
	memcpy(out, q, 12);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79) | 0x04); /* QR, opcode, RD; AA */
	out[3] = 0x80;                                   /* RA */
	memset(out + 4, 0, 8);
	if (((q[2] >> 3) & 0x0f) != 0) {
		out[3] |= 4; /* NOTIMP */
		return 12;
	}
	if (get16(q + 4) != 1 || dns_decode_name(q, n, &off, name) || off + 4 > n ||
	    off - 12 + 4 > cap - 12) {
		out[3] |= 1; /* FORMERR */
		return 12;
	}
	qtype = get16(q + off);
	off += 4;
	memcpy(out + 12, q + 12, off - 12); /* the question, as asked */
	out[5] = 1;
	o = off;
	if (!(r = rule_for_name(name, qtype_name(qtype, tbuf, sizeof(tbuf)), who))) {
		rcode = 3; /* NXDOMAIN */
	} else if (qtype == T_A || qtype == T_AAAA) {
		family = qtype == T_A ? AF_INET : AF_INET6;
		for (int i = 0; i < __atomic_load_n(&npins, __ATOMIC_ACQUIRE) &&
		    count < DNS_ANSWERS_MAX; i++) {
			const struct pin *p = &pins[i];
			size_t alen = family == AF_INET ? 4 : 16;
			char a[INET6_ADDRSTRLEN];

			if (p->rule != r || p->family != family ||
			    p->plen != (int)alen * 8 || o + 12 + alen > cap ||
			    addr_denied(family, p->addr))
				continue; /* a deny rule wins over pinned answers */
			/* the name: a pointer to the question's; type, class,
			 * TTL, length, address */
			put16(put16(put16(put16(put16(put16(out + o, 0xc000 | 12),
			    qtype), C_IN), 0), DNS_TTL), (unsigned)alen);
			memcpy(out + o + 12, p->addr, alen);
			o += 12 + alen;
			count++;
			format_addr(family, p->addr, a, sizeof(a));
			if (*answers)
				strcat(answers, " ");
			strcat(answers, a);
		}
	}
	out[3] |= (uint8_t)rcode;
	put16(out + 6, count);
	if (!r)
		remember_dns_refusal(name, qtype);
	log_dns(name, qtype_name(qtype, tbuf, sizeof(tbuf)), r, answers, rcode, who);
	return o;
}

/* Would answering this name ask DNS upstream (a wildcard, or --audit)? */
static int
needs_upstream(const uint8_t *q, size_t n)
{
	char name[DNS_TEXT_MAX];
	size_t off = 12;
	int known = 0;

	if (n < 12 || dns_decode_name(q, n, &off, name) || !valid_hostname(name))
		return 0;
	for (int i = 0; i < nrules; i++)
		if (rules[i].kind == R_NAME && !strcasecmp(rules[i].name, name))
			return 0;
	/* known and pinned: answered at once; asked upstream now (by another
	 * thread), or not yet: by a thread of its own */
	if (pthread_mutex_trylock(&pins_lock))
		return 1;
	for (struct dyn_rule *dr = dyn_rules; dr && !known; dr = dr->next)
		known = !strcasecmp(dr->rule.name, name) && !dr->resolving;
	pthread_mutex_unlock(&pins_lock);
	return !known;
}

struct udp_query {
	int fd;
	struct sockaddr_storage from;
	socklen_t fl;
	struct asker who;
	size_t n;
	uint8_t q[1500];
};

static void
answer_udp(struct udp_query *u)
{
	uint8_t a[512];
	size_t len = dns_answer(u->q, u->n, a, sizeof(a), &u->who);

	if (len)
		sendto(u->fd, a, len, 0, (struct sockaddr *)&u->from, u->fl);
}

static int udp_dns_threads;        /* atomics: answering in threads */
#define UDP_DNS_THREADS_MAX 64

static void *
answer_udp_thread(void *arg)
{
	ask_here = 1;
	answer_udp(arg);
	free(arg);
	__atomic_sub_fetch(&udp_dns_threads, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* A UDP query: answered at once, or by a thread when it asks upstream
 * (so the supervisor loop never waits for DNS). */
static void
responder_udp(int fd)
{
	struct udp_query *u = call_alloc(1, sizeof(*u));
	ssize_t n;

	if (!u) {
		char drop[1];

		recv(fd, drop, sizeof(drop), MSG_DONTWAIT); /* dropped, as if lost */
		return;
	}
	u->fd = fd;
	u->fl = sizeof(u->from);
	n = recvfrom(fd, u->q, sizeof(u->q), 0, (struct sockaddr *)&u->from, &u->fl);
	if (n <= 0) {
		free(u);
		return;
	}
	u->n = (size_t)n;
	/* answers go only to the sockets whose DNS netpin redirected: no
	 * query can aim a reply at another address */
	if (!redirected_source(&u->from, u->fl, P_UDP, &u->who)) {
		free(u);
		return;
	}
	if (needs_upstream(u->q, u->n)) {
		/* a bounded number at once (a question may take a minute):
		 * past it, a query is dropped, as if lost, and asked again */
		if (__atomic_add_fetch(&udp_dns_threads, 1, __ATOMIC_RELAXED) >
		    UDP_DNS_THREADS_MAX || thread_start(answer_udp_thread, u, 256 * 1024)) {
			__atomic_sub_fetch(&udp_dns_threads, 1, __ATOMIC_RELAXED);
			warn_once("udp dns threads", "pinned DNS: %d queries are being "
			    "answered at once, the most: further ones are dropped till "
			    "then", UDP_DNS_THREADS_MAX);
			free(u);
		}
		return;
	}
	answer_udp(u);
	free(u);
}

/* len bytes from fd by the deadline (now_ms()); 0, or -1. */
static int
read_full(int fd, uint8_t *buf, size_t len, long deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };

	while (len) {
		long wait = deadline - now_ms();
		ssize_t n;

		if (wait <= 0 || poll(&p, 1, (int)wait) != 1)
			return -1;
		n = recv(fd, buf, len, 0);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One TCP DNS connection, in a thread of its own: queries until EOF. */
struct tcp_query {
	int fd;
	struct asker who;
};
static void *
responder_tcp_conn(void *arg)
{
	struct tcp_query tq = *(struct tcp_query *)arg;
	int fd = tq.fd;
	uint8_t q[65535], a[2 + 4096];

	free(arg);
	ask_here = 1;
	for (;;) {
		uint8_t hdr[2];
		size_t qlen, alen;
		long until = now_ms() + TCP_DNS_IDLE_MS;

		/* the next query, whole, within TCP_DNS_IDLE_MS: no connection
		 * is kept open by a byte now and then */
		if (read_full(fd, hdr, 2, until) || (qlen = get16(hdr)) == 0 ||
		    read_full(fd, q, qlen, until))
			break;
		if (!(alen = dns_answer(q, qlen, a + 2, sizeof(a) - 2, &tq.who)))
			break;
		put16(a, (unsigned)alen);
		if (send(fd, a, alen + 2, MSG_NOSIGNAL) != (ssize_t)(alen + 2))
			break;
	}
	close(fd);
	__atomic_sub_fetch(&tcp_dns_conns, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void
responder_accept(int lfd)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
	struct tcp_query *tq;

	if (fd < 0)
		return;
	/* only the command's sockets whose DNS netpin sent here: nobody
	 * else on this machine is answered, or holds a connection */
	if (!(tq = call_alloc(1, sizeof(*tq))) ||
	    !redirected_source(&peer, pl, P_TCP, &tq->who)) {
		free(tq);
		close(fd);
		return;
	}
	tq->fd = fd;
	/* a bounded number of TCP DNS connections at once; more are closed */
	if (__atomic_add_fetch(&tcp_dns_conns, 1, __ATOMIC_RELAXED) > TCP_DNS_MAX) {
		__atomic_sub_fetch(&tcp_dns_conns, 1, __ATOMIC_RELAXED);
		free(tq);
		close(fd);
		return;
	}
	if (thread_start(responder_tcp_conn, tq, 256 * 1024)) {
		__atomic_sub_fetch(&tcp_dns_conns, 1, __ATOMIC_RELAXED);
		free(tq);
		close(fd);
	}
}

/* The sender of a reply from the responder is the server the command asked. */
static void
name_original_server(const struct call *c, struct sockaddr_storage *from,
    socklen_t *fl)
{
	struct dest d;

	if (!same_sockaddr(from, &dns_udp_addr[0]) &&
	    !(dns_udp[1] >= 0 && same_sockaddr(from, &dns_udp_addr[1])))
		return;
	if (sockaddr_dest(&c->dns_server, sizeof(c->dns_server), AF_INET6, 0, &d) !=
	    ADDR_DEST)
		return;
	*fl = dest_sockaddr(&d, c->domain, from);
}

/* recvfrom() for a redirected socket (UNDER_WAY: it would block). */
static struct result
run_recv(struct call *c, int may_block)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	int flags = c->flags, blocks = !(c->flags & MSG_DONTWAIT) && socket_blocks(c->fd);
	char *buf = call_alloc(1, c->recv_len);
	uint32_t alen = 0;
	ssize_t n;
	int err = 0;

	if (!buf)
		return ERRNO_RESULT(ENOMEM);
	flags |= MSG_DONTWAIT; /* a worker waits in wait_socket() */
	while ((n = recvfrom(c->fd, buf, c->recv_len, flags, (struct sockaddr *)&from,
	    &fl)) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && blocks) {
		int w;

		if (!may_block || (w = wait_socket(c, POLLIN, SO_RCVTIMEO)) < 0) {
			free(buf); /* inline: a worker finishes it; else gone */
			return ERRNO_RESULT(may_block ? CALL_GONE : UNDER_WAY);
		}
		if (w) {
			errno = w;
			break;
		}
		fl = sizeof(from);
	}
	if (n < 0) {
		err = errno;
		free(buf);
		return ERRNO_RESULT(err);
	}
	name_original_server(c, &from, &fl);
	/* the thread id names the caller only while its call is pending */
	if (!still_pending(c)) {
		free(buf);
		return ERRNO_RESULT(CALL_GONE);
	}
	if ((size_t)n > c->recv_len && !(c->flags & MSG_TRUNC))
		n = (ssize_t)c->recv_len;
	err = child_write(c, c->recv_buf, buf,
	    (size_t)n < c->recv_len ? (size_t)n : c->recv_len);
	free(buf);
	if (err || (err = child_read(c, c->recv_alen, &alen, sizeof(alen))) ||
	    (err = child_write(c, c->recv_from, &from, alen < fl ? alen : fl)) ||
	    (err = child_write(c, c->recv_alen, &fl, sizeof(uint32_t))))
		return ERRNO_RESULT(err);
	return RESULT(n, 0);
}

static int
on_recvfrom(struct call *c, const struct seccomp_data *a)
{
	const struct redirect *r;
	struct stat st;
	int found = 0;

	c->op = OP_RECV;
	/* any trouble: let the kernel do the call and give its own answer */
	if (take_fd(c, (int)a->args[0], &c->fd) || fstat(c->fd, &st))
		return go_on(c);
	pthread_mutex_lock(&redirect_lock);
	if ((r = redirect_find(&st))) {
		c->dns_server = r->server;
		found = 1;
	}
	pthread_mutex_unlock(&redirect_lock);
	if (!found || socket_kind(c))
		return go_on(c);
	c->flags = (int)a->args[3];
	c->recv_buf = a->args[1];
	c->recv_len = a->args[2] > 65536 ? 65536 : (size_t)a->args[2];
	c->recv_from = a->args[4];
	c->recv_alen = a->args[5];
	return 0;
}

/* ---- vetting ------------------------------------------------------------ */

/* ---- on netpin's copies, after still_pending() -------------------------- */

/*
 * What kind of call this is: on a unix or netlink socket, local (not
 * egress; made as the command when the kernel would judge it by the
 * caller: a pathname, or credentials that differ), else TCP or UDP as the
 * socket really is.  Returns P_LOCAL, P_TCP, P_UDP, or 0: refused (no
 * socket() of another kind passes the filter).
 */
static int
call_kind(struct call *c, const struct sockaddr_storage *ss, socklen_t len)
{
	switch (c->domain) {
	case AF_UNIX:
	case AF_NETLINK:
		if (ss && unix_path_named(ss, len))
			c->as_task = 1;
		else if (!c->as_task)
			c->as_task = credentials_differ(c);
		return P_LOCAL;
	case AF_INET:
	case AF_INET6:
		return socket_proto(c);
	}
	return 0;
}

/*
 * A call on a unix socket by path is made as the command (its root,
 * directory and credentials, read in /proc).  With no /proc of netpin's
 * own it cannot be: a path that does not exist answers ENOENT, as the
 * kernel would (but for bind, which makes it); any other such call is
 * refused (EACCES), and said.  Returns 0 when /proc is there (or no path
 * is named), else the errno.
 */
static int
unix_without_proc(const struct call *c, enum verb verb,
    const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_un *sun = (const void *)ss;
	char path[sizeof(sun->sun_path) + 1];
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	struct stat st;

	if (probed.proc_own || !unix_path_named(ss, len))
		return 0;
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	memcpy(path, sun->sun_path, n);
	path[n] = '\0';
	if (verb != V_BIND && path[0] == '/' && lstat(path, &st) && errno == ENOENT)
		return ENOENT;
	make_printable(path);
	warn_once("unix without proc", "%s(unix socket %s) by pid %d: a call on "
	    "a unix socket by path is made as the command (its root, directory "
	    "and credentials), which needs a /proc of netpin's own: call denied",
	    verb_name[verb], path, (int)c->tid);
	return EACCES;
}

static int
vet_connect(struct call *c)
{
	struct dest d;
	int proto, rc, need = 0;

	if ((proto = call_kind(c, &c->addr, c->addrlen)) == P_LOCAL)
		return unix_without_proc(c, V_CONNECT, &c->addr, c->addrlen);
	if (!proto)
		return EACCES;
	rc = sockaddr_dest(&c->addr, c->addrlen, c->domain, 0, &d);
	if (rc <= 0)
		return -rc; /* malformed, or AF_UNSPEC: disconnect */
	if (resolve_unspecified(c->fd, &d))
		dest_store(&d, &c->addr);
	if (d.port == 53 && !dns_server_allowed(&d, proto))
		return redirect_dns(c, &d, proto, &c->addr, &c->addrlen);
	/* allowed by name rules alone (or a name refused there): the
	 * connection must name its host; with --audit, a connection no rule
	 * allows is read for its name too, to learn a name rule, not the
	 * address */
	if (proto == P_TCP && !(need = names_needed(&d)) && opt_audit &&
	    port_needs(d.port) && !pin_allowing(&d, P_TCP) &&
	    !deny_pin(&d, P_TCP, 0, NULL) && !deny_pin(&d, P_TCP, 1, NULL))
		need = port_needs(d.port) | NEED_PROBE;
	if ((rc = decide_dest(c->tid, V_CONNECT, proto, &d, need != 0)))
		return rc;
	/* an always answer's rule may read names here, as any other */
	if (opt_ask && proto == P_TCP && !need)
		need = names_needed(&d);
	if ((c->need = need))
		c->dest = d;
	return 0;
}

static int
task_has_cap(pid_t tid, int cap)
{
	char v[64];

	if (task_status(tid, "CapEff", v, sizeof(v)))
		return 0;
	return (strtoull(v, NULL, 16) >> cap) & 1;
}

static int
vet_bind(struct call *c)
{
	char tip[32];
	struct dest d;
	struct verdict v = { .verb = V_BIND, .d = &d, .stderr_too = 1, .tip = tip };
	int rc;

	if ((v.proto = call_kind(c, &c->addr, c->addrlen)) == P_LOCAL)
		return unix_without_proc(c, V_BIND, &c->addr, c->addrlen);
	if (!v.proto)
		return EACCES;
	rc = sockaddr_dest(&c->addr, c->addrlen, c->domain, 1, &d);
	if (rc < 0)
		return -rc;
	if (rc == ADDR_NONE)
		return EAFNOSUPPORT; /* AF_UNSPEC on IPv6: never performed */
	if (c->addr.ss_family == AF_UNSPEC)
		dest_store(&d, &c->addr);
	/* with ip_nonlocal_bind the kernel would bind any address: a source
	 * address is still the kernel's choice or one of the machine's own */
	if (probed.nonlocal_bind[d.family == AF_INET6] &&
	    memcmp(d.addr, (uint8_t[16]){ 0 }, 16) && !addr_is_local(&d)) {
		warn_once("nonlocal bind", "pid %d binds an address that is not "
		    "the machine's own (ip_nonlocal_bind is set): call denied",
		    (int)c->tid);
		return EADDRNOTAVAIL;
	}
	if (d.port == 0)
		return 0; /* an ephemeral port: always */
	v.allowed = (nbind_ports > 0 && ports_match(bind_ports, nbind_ports,
	    d.port)) || (opt_ask && approved_port(d.port));
	snprintf(tip, sizeof(tip), "--bind %u", d.port);
	if (!v.allowed && opt_ask) {
		if ((rc = ask_port(c->tid, V_BIND, v.proto, d.port)) == ASK_LATER)
			return ASK_LATER;
		v.allowed = rc == 0;
		v.by = "--ask";
	}
	if (report(c->tid, &v))
		return EACCES;
	/* never bind for the command a port the kernel would refuse it */
	if (d.port < probed.unpriv_port_start &&
	    !task_has_cap(c->tid, CAP_NET_BIND_SERVICE_))
		return EACCES;
	return 0;
}

/*
 * listen() on an INET socket: only on a port given to --bind.  An unbound
 * socket, or one bound to an ephemeral port, would take incoming
 * connections that no rule allowed.
 */
static int
vet_listen(struct call *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char tip[32];
	struct dest d;
	struct verdict v = { .verb = V_LISTEN, .d = &d, .stderr_too = 1, .tip = tip };

	if ((v.proto = call_kind(c, NULL, 0)) == P_LOCAL)
		return 0;
	if (!v.proto)
		return EACCES;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) ||
	    sockaddr_dest(&ss, len, c->domain, 0, &d) != ADDR_DEST)
		return step_failed("getsockname", c, c->fd, errno ? errno : EINVAL);
	v.allowed = d.port && ((nbind_ports > 0 &&
	    ports_match(bind_ports, nbind_ports, d.port)) ||
	    (opt_ask && approved_port(d.port)));
	if (d.port)
		snprintf(tip, sizeof(tip), "--bind %u", d.port);
	else
		snprintf(tip, sizeof(tip), "bind a --bind port first");
	if (!v.allowed && d.port && opt_ask) {
		int rc = ask_port(c->tid, V_LISTEN, v.proto, d.port);

		if (rc == ASK_LATER)
			return ASK_LATER;
		v.allowed = rc == 0;
		v.by = "--ask";
	}
	return report(c->tid, &v);
}

/* The address of one message to send. */
static int
vet_msg_name(struct call *c, struct msgbuf *m, enum verb verb)
{
	struct dest d;
	int proto, rc;

	proto = call_kind(c, m->namelen ? &m->name : NULL, m->namelen);
	if (proto == P_LOCAL)
		return m->namelen ? unix_without_proc(c, verb, &m->name, m->namelen) : 0;
	if (m->namelen == 0)
		return 0; /* the connected peer, vetted at connect */
	if (!proto)
		return EACCES;
	if (proto == P_TCP && !(c->flags & MSG_FASTOPEN)) {
		m->namelen = 0; /* TCP ignores it; make sure it does */
		return 0;
	}
	rc = sockaddr_dest(&m->name, m->namelen, c->domain, proto == P_UDP, &d);
	if (rc < 0)
		return -rc;
	if (rc == ADDR_NONE) {
		m->namelen = 0; /* AF_UNSPEC on IPv6 means none: make sure */
		return 0;
	}
	if (resolve_unspecified(c->fd, &d) || m->name.ss_family == AF_UNSPEC)
		dest_store(&d, &m->name);
	if (d.port == 53 && !dns_server_allowed(&d, proto)) {
		/* the responder answers the source it sees: the socket's own */
		if (m->src_set) {
			warn_once("dns pktinfo", "pid %d sends DNS with a chosen source "
			    "address (IP_PKTINFO): call denied", (int)c->tid);
			return EACCES;
		}
		return redirect_dns(c, &d, proto, &m->name, &m->namelen);
	}
	if ((rc = decide_dest(c->tid, verb, proto, &d, 0)))
		return rc;
	/* TCP Fast Open: a connect with data, which would go before netpin
	 * saw its name; clients go on with a plain connect */
	if (proto == P_TCP && !opt_audit && names_needed(&d)) {
		warn_once("fastopen checked", "pid %d sends with MSG_FASTOPEN to %s, "
		    "whose names netpin checks: refused (EOPNOTSUPP); a plain "
		    "connect works", (int)c->tid, verb_name[verb]);
		return EOPNOTSUPP;
	}
	return 0;
}

/*
 * sendmmsg's messages from c->nsend on: send only the vetted messages
 * before the first bad or denied one (a message held for a question
 * holds the call: ASK_LATER).
 */
static int
vet_mmsg(struct call *c)
{
	int err = 0;

	for (; c->nsend < c->nmsg; c->nsend++) {
		if (c->late_err && c->nsend == c->nmsg - 1) {
			err = c->late_err;
			break;
		}
		if ((err = vet_msg_name(c, &c->msg[c->nsend], V_SENDMSG)))
			break;
	}
	return c->nsend == 0 || err == ASK_LATER ? err : 0;
}

/* A call held for a question (ASK_LATER), vetted again where it may wait. */
static int
vet_again(struct call *c)
{
	switch (c->nr) {
	case SYS_connect:
		return vet_connect(c);
	case SYS_bind:
		return vet_bind(c);
	case SYS_listen:
		return vet_listen(c);
	case SYS_sendto:
		return vet_msg_name(c, &c->msg[0], V_SENDTO);
	case SYS_sendmsg:
		return vet_msg_name(c, &c->msg[0], V_SENDMSG);
	case SYS_sendmmsg:
		return vet_mmsg(c);
	}
	return ENOSYS; /* fail closed */
}

/* ---- reading messages out of the command -------------------------------- */

struct kcmsghdr {
	uint64_t len;
	int32_t level;
	int32_t type;
};
_Static_assert(sizeof(struct kcmsghdr) == 16, "cmsghdr ABI");
#define KCMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)

/* Control messages netpin passes on; others (IP options, routing headers,
 * marks) could change where a packet goes or use netpin's privileges. */
static int
cmsg_allowed(int level, int type)
{
	switch (level) {
	case SOL_SOCKET:
		return type == SCM_RIGHTS || type == SCM_CREDENTIALS ||
		    type == 37 /* SO_TIMESTAMPING_OLD */ || type == 61 /* SCM_TXTIME */;
	case IPPROTO_IP:
		return type == IP_PKTINFO || type == IP_TTL || type == IP_TOS;
	case IPPROTO_IPV6:
		return type == IPV6_PKTINFO || type == IPV6_HOPLIMIT ||
		    type == IPV6_TCLASS || type == 62 /* IPV6_DONTFRAG */;
	case SOL_UDP:
		return type == UDP_SEGMENT;
	}
	return 0;
}

/* fd's "mnt_id" and "ino" in fdinfo text: one open file's identity */
static int
fdinfo_file(const char *info, char *id, size_t len)
{
	char mnt[32], ino[32];

	if (status_field(info, "mnt_id", mnt, sizeof(mnt)) ||
	    status_field(info, "ino", ino, sizeof(ino)))
		return ENOENT; /* before Linux 5.14: no ino line */
	snprintf(id, len, "%s:%s", mnt, ino);
	return 0;
}

static int
read_fdinfo(pid_t pid, int fd, char *info, size_t len)
{
	char path[64];
	int fi, n, err;

	if (pid == probed.pid)
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	else if (proc_task_path(path, sizeof(path), pid, "fdinfo/%d", fd))
		return ENOENT;
	if ((fi = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	n = (int)read(fi, info, len - 1);
	err = n < 0 ? errno : n == 0 ? ENOENT : 0;
	close(fi);
	info[n > 0 ? n : 0] = '\0';
	return err;
}

/*
 * The addfd mode cannot take a descriptor that is not a socket: one passed
 * with SCM_RIGHTS is opened again through /proc/TID/fd, if it is a pipe, a
 * FIFO or a regular file (memfds too), with no more access than the
 * command's own (its access mode, never from an O_PATH one), FIFOs without
 * blocking.  The command's peer gets a file of its own offset and status
 * flags.  A privileged netpin does not open for the command: refused.
 * Returns 0 (*out: netpin's descriptor) or an errno.
 */
static int
reopen_passed(const struct call *c, int theirs, int *out)
{
	char path[64], info[512], flags[32], was[80], now[80];
	struct stat before;
	unsigned long fl;
	int fd;

	if (probed.privileged)
		goto refused;
	/* the access mode and the file it belongs to, read together */
	if (read_fdinfo(c->tid, theirs, info, sizeof(info)) ||
	    status_field(info, "flags", flags, sizeof(flags)) ||
	    fdinfo_file(info, was, sizeof(was)))
		goto refused;
	fl = strtoul(flags, NULL, 8);
	proc_task_path(path, sizeof(path), c->tid, "fd/%d", theirs); /* fdinfo: own */
	if ((fl & O_PATH) || stat(path, &before) ||
	    !(S_ISFIFO(before.st_mode) || S_ISREG(before.st_mode)))
		goto refused;
	fd = open(path, (int)(fl & (O_ACCMODE | O_APPEND)) | O_CLOEXEC | O_NOCTTY |
	    (S_ISFIFO(before.st_mode) ? O_NONBLOCK : 0));
	if (fd < 0)
		return errno;
	/* the file opened is the one whose mode was read (no swap of fd theirs
	 * meanwhile): else B's mode would open A */
	if (read_fdinfo(probed.pid, fd, info, sizeof(info)) ||
	    fdinfo_file(info, now, sizeof(now)) || strcmp(was, now)) {
		close(fd);
		goto refused;
	}
	*out = fd;
	return 0;
refused:
	warn_once("passed fd", "pid %d passes a file descriptor (fd %d) that netpin "
	    "cannot open again without pidfd_getfd (only pipes, FIFOs and files, "
	    "by an unprivileged netpin): call denied", (int)c->tid, theirs);
	return EACCES;
}

/* Check netpin's copy of the control data; take SCM_RIGHTS fds into netpin. */
/*
 * An IP_PKTINFO / IPV6_PKTINFO source address: unspecified (the kernel
 * chooses) or one of the machine's own.  Returns 0 or EACCES.
 */
static int
vet_pktinfo(const struct call *c, struct msgbuf *m, const struct kcmsghdr *h,
    const char *data)
{
	struct dest d = { 0 };
	size_t len = h->len - sizeof(*h);
	static const uint8_t zero[16];

	if (h->level == IPPROTO_IP && h->type == IP_PKTINFO &&
	    len >= sizeof(struct in_pktinfo)) {
		d.family = AF_INET;
		memcpy(d.addr, data + offsetof(struct in_pktinfo, ipi_spec_dst), 4);
	} else if (h->level == IPPROTO_IPV6 && h->type == IPV6_PKTINFO &&
	    len >= sizeof(struct in6_pktinfo)) {
		d.family = AF_INET6;
		memcpy(d.addr, data + offsetof(struct in6_pktinfo, ipi6_addr), 16);
	} else {
		return 0;
	}
	if (!memcmp(d.addr, zero, 16))
		return 0;
	m->src_set = 1;
	if (addr_is_local(&d))
		return 0;
	warn_once("pktinfo", "pid %d sends with a source address that is not "
	    "the machine's own (IP_PKTINFO): call denied", (int)c->tid);
	return EACCES;
}

static int
take_control(struct call *c, struct msgbuf *m)
{
	size_t off = 0;
	int err;

	while (m->controllen - off >= sizeof(struct kcmsghdr)) {
		struct kcmsghdr h;
		size_t nfd;

		memcpy(&h, m->control + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > m->controllen - off)
			return EINVAL;
		if (!cmsg_allowed(h.level, h.type)) {
			warnx("control message level %d type %d refused (pid %d)",
			    h.level, h.type, (int)c->tid);
			return EACCES;
		}
		if ((err = vet_pktinfo(c, m, &h, m->control + off + sizeof(h))))
			return err;
		if (h.level == SOL_SOCKET && h.type == SCM_RIGHTS) {
			nfd = (h.len - sizeof(h)) / sizeof(int);
			if (nfd > 253) /* SCM_MAX_FD */
				return EINVAL;
			for (size_t i = 0; i < nfd; i++) {
				int theirs, ours;
				char *slot = m->control + off + sizeof(h) + i * sizeof(int);

				memcpy(&theirs, slot, sizeof(int));
				if ((err = take_fd(c, theirs, &ours)) == ENOTSOCK &&
				    probed.addfd_mode)
					err = reopen_passed(c, theirs, &ours);
				else if (!err && probed.addfd_mode)
					held_in_flight(ours);
				if (err)
					return err;
				if (fds_push(&m->fds, &m->nfds, ours)) {
					close(ours);
					return ENOMEM;
				}
				memcpy(slot, &ours, sizeof(int));
			}
		}
		off += KCMSG_ALIGN(h.len);
		if (off > m->controllen)
			break;
	}
	return 0;
}

/*
 * One message of the command, read as the kernel's sendmsg would:
 * address, data (at most budget bytes; a stream socket sends part),
 * control.  Returns 0 or the errno for the command.
 */
static int
read_msg(struct call *c, const struct kmsghdr *h, struct msgbuf *m, size_t budget)
{
	struct kiovec kiov[KIOV_MAX];
	struct iovec remote[KIOV_MAX];
	unsigned n = 0;
	size_t total = 0;
	int err;

	if ((int32_t)h->namelen < 0)
		return EINVAL;
	if (h->name && h->namelen) {
		m->namelen = h->namelen > sizeof(m->name) ? sizeof(m->name) : h->namelen;
		if ((err = child_read(c, h->name, &m->name, m->namelen)))
			return err;
	}
	if (h->iovlen > KIOV_MAX)
		return EMSGSIZE;
	if ((err = child_read(c, h->iov, kiov, h->iovlen * sizeof(kiov[0]))))
		return err;
	for (unsigned i = 0; i < h->iovlen; i++) {
		size_t take = kiov[i].len;

		if ((int64_t)kiov[i].len < 0)
			return EINVAL;
		if (take > budget - total) {
			if (c->type != SOCK_STREAM)
				return EMSGSIZE;
			take = budget - total; /* a stream sends part */
		}
		if (take == 0)
			continue;
		remote[n].iov_base = (void *)(uintptr_t)kiov[i].base;
		remote[n++].iov_len = take;
		total += take;
	}
	if (!(m->data = call_alloc(1, total)))
		return ENOMEM;
	m->len = total;
	if ((err = child_readv(c, remote, n, m->data, total)))
		return err;
	if (h->controllen > INT_MAX || h->controllen > CTL_MAX)
		return ENOBUFS;
	if (h->controllen) {
		if (!(m->control = call_alloc(1, h->controllen)))
			return ENOMEM;
		m->controllen = h->controllen;
		if ((err = child_read(c, h->control, m->control, m->controllen)))
			return err;
		return take_control(c, m);
	}
	return 0;
}

/* ---- handlers ----------------------------------------------------------- */

/* ---- one handler per system call ---------------------------------------- */

static int
on_connect_or_bind(struct call *c, const struct seccomp_data *a)
{
	int err;

	c->op = a->nr == SYS_bind ? OP_BIND : OP_CONNECT;
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = read_sockaddr(c, a->args[1], (int64_t)a->args[2], &c->addr,
	    &c->addrlen)))
		return err;
	/* what netpin took and read belongs to this call if it is still pending */
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	if ((err = socket_kind(c)) ||
	    (err = c->op == OP_BIND ? vet_bind(c) : vet_connect(c)))
		return err;
	return 0;
}

static int
on_listen(struct call *c, const struct seccomp_data *a)
{
	int err;

	c->op = OP_LISTEN;
	c->backlog = (int)a->args[1];
	/* no memory is read: the decision is on the socket netpin took */
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = socket_kind(c)) || (err = vet_listen(c)))
		return err;
	return 0;
}

/* socket() and socketpair() in the addfd mode: netpin makes the socket */
static int
on_socket(struct call *c, const struct seccomp_data *a)
{
	/* netpin makes sockets in its own network namespace */
	if (other_ns(c->tid, NS_NET)) {
		warn_once("own netns", "pid %d is in a network namespace of its "
		    "own; without pidfd_getfd netpin cannot make its sockets: call "
		    "denied", (int)c->tid);
		return EACCES;
	}
	c->op = a->nr == SYS_socketpair ? OP_SOCKETPAIR : OP_SOCKET;
	c->domain = (int)a->args[0];
	c->type = (int)a->args[1];
	c->protocol = (int)a->args[2];
	c->pair = a->args[3];
	/* a socket's owner and netlink privileges are those of its maker */
	c->as_task = credentials_differ(c);
	return 0;
}

static int
on_accept(struct call *c, const struct seccomp_data *a)
{
	int err, alen;

	c->op = OP_ACCEPT;
	c->flags = a->nr == SYS_accept4 ? (int)a->args[3] : 0;
	if (c->flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	if ((err = take_fd(c, (int)a->args[0], &c->fd)))
		return err;
	if (a->args[1]) {
		/* only bounds what netpin writes back: nothing is decided on it;
		 * like the kernel, a bad length counts once a connection came */
		if ((err = child_read(c, a->args[2], &alen, sizeof(alen))))
			c->peer_err = err;
		else if (alen < 0)
			c->peer_err = EINVAL;
		c->peer_addr = a->args[1];
		c->peer_alen = a->args[2];
		c->peer_len = (socklen_t)alen;
	}
	return 0;
}

static int
on_sendto(struct call *c, const struct seccomp_data *a)
{
	struct msgbuf *m;
	size_t len = a->args[2] > INT_MAX ? INT_MAX : (size_t)a->args[2];
	int err;

	c->op = OP_SEND;
	c->flags = (int)a->args[3];
	if (!(c->msg = m = call_alloc(1, sizeof(*m))))
		return ENOMEM;
	c->nmsg = c->nsend = 1;
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = socket_kind(c)) ||
	    (err = read_sockaddr(c, a->args[4], (int64_t)a->args[5], &m->name,
	    &m->namelen)))
		return err;
	if (a->args[4] && m->namelen == 0 && c->type == SOCK_DGRAM &&
	    (c->domain == AF_INET || c->domain == AF_INET6))
		return EINVAL; /* as udp_sendmsg says */
	if (len > DATA_MAX) {
		if (c->type != SOCK_STREAM)
			return EMSGSIZE;
		len = DATA_MAX; /* a stream sends part */
	}
	if (!(m->data = call_alloc(1, len)))
		return ENOMEM;
	m->len = len;
	if ((err = child_read(c, a->args[1], m->data, len)))
		return err;
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	if ((err = vet_msg_name(c, m, V_SENDTO)))
		return err;
	return 0;
}

static int
on_sendmsg(struct call *c, const struct seccomp_data *a)
{
	struct kmsghdr h = { 0 };
	int err;

	c->op = OP_SEND;
	c->flags = (int)a->args[2];
	if (!(c->msg = call_alloc(1, sizeof(*c->msg))))
		return ENOMEM;
	c->nmsg = c->nsend = 1;
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = socket_kind(c)) ||
	    (err = child_read(c, a->args[1], &h, sizeof(h))) ||
	    (err = read_msg(c, &h, &c->msg[0], DATA_MAX)))
		return err;
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	if ((err = vet_msg_name(c, &c->msg[0], V_SENDMSG)))
		return err;
	return 0;
}

static int
sendmmsg_with(struct call *c, const struct seccomp_data *a, struct kmmsghdr *vec)
{
	unsigned vlen = a->args[2] > KIOV_MAX ? KIOV_MAX : (unsigned)a->args[2];
	size_t budget = CALL_DATA_MAX;
	int err;

	c->op = OP_SEND;
	c->is_mmsg = 1;
	c->flags = (int)a->args[3];
	c->mmsg_vec = a->args[1];
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = socket_kind(c)))
		return err;
	if (vlen == 0) {
		c->op = OP_NONE; /* the kernel's answer: 0 messages sent */
		return 0;
	}
	if ((err = child_read(c, a->args[1], vec, vlen * sizeof(vec[0]))))
		return err;
	if (!(c->msg = call_alloc(vlen, sizeof(*c->msg))))
		return ENOMEM;
	/* like the kernel: send up to the first bad message, then say how many */
	for (c->nmsg = 0; c->nmsg < vlen && budget > 0; c->nmsg++) {
		struct msgbuf *m = &c->msg[c->nmsg];

		if ((err = read_msg(c, &vec[c->nmsg].hdr, m,
		    budget < DATA_MAX ? budget : DATA_MAX))) {
			c->late_err = err;
			c->nmsg++; /* so that call_free sees what it holds */
			break;
		}
		budget -= m->len;
	}
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	c->nsend = 0;
	return vet_mmsg(c);
}

static int
on_sendmmsg(struct call *c, const struct seccomp_data *a)
{
	/* netpin's copy of the vector; 64 KiB, per call: any receiver */
	struct kmmsghdr *vec = call_alloc(KIOV_MAX, sizeof(*vec));
	int err;

	if (!vec)
		return ENOMEM;
	err = sendmmsg_with(c, a, vec);
	free(vec);
	return err;
}

/* ---- calls netpin cannot mediate: refused, and said --------------------- */

static const struct refused_opt {
	int level, name;
	const char *label;
} refused_opts[] = {
	{ IPPROTO_IP, IP_OPTIONS, "IP_OPTIONS" },
	{ IPPROTO_IP, IP_RETOPTS, "IP_RETOPTS" },
	{ IPPROTO_IP, IP_FREEBIND_, "IP_FREEBIND" },
	{ IPPROTO_IP, IP_TRANSPARENT_, "IP_TRANSPARENT" },
	{ IPPROTO_IP, IP_LOCAL_PORT_RANGE_, "IP_LOCAL_PORT_RANGE" },
	{ IPPROTO_IPV6, IPV6_RTHDR, "IPV6_RTHDR" },
	{ IPPROTO_IPV6, IPV6_ADDRFORM_, "IPV6_ADDRFORM" },
	{ IPPROTO_IPV6, IPV6_2292RTHDR_, "IPV6_2292RTHDR" },
	{ IPPROTO_IPV6, IPV6_2292PKTOPTIONS_, "IPV6_2292PKTOPTIONS" },
	{ IPPROTO_IPV6, IPV6_FREEBIND_, "IPV6_FREEBIND" },
	{ IPPROTO_IPV6, IPV6_TRANSPARENT_, "IPV6_TRANSPARENT" },
	{ IPPROTO_IPV6, IPV6_PKTINFO, "IPV6_PKTINFO" },
};

static const struct refused_opt *
refused_opt(int level, int name)
{
	for (size_t i = 0; i < sizeof(refused_opts) / sizeof(refused_opts[0]); i++)
		if (refused_opts[i].level == level && refused_opts[i].name == name)
			return &refused_opts[i];
	return NULL;
}

/* The errno the filter's socket() rule gives, or 0: not refused. */
static int
socket_refusal(const struct seccomp_data *a)
{
	int family = (int)a->args[0], proto = (int)a->args[2];
	int type = (int)a->args[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (a->nr == SYS_socketpair)
		return family == AF_UNIX ? 0 : EAFNOSUPPORT;
	if (family == AF_UNIX || family == AF_NETLINK)
		return 0;
	if (family != AF_INET && family != AF_INET6)
		return EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return ESOCKTNOSUPPORT;
	if (proto != 0 && proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return EPROTONOSUPPORT;
	return 0;
}

/* A number's name in a table of (number, name), else "what N". */
struct named { int n; const char *name; };
static const char *
number_name(const struct named *t, size_t nt, int n, const char *what,
    char *buf, size_t len)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].n == n)
			return t[i].name;
	snprintf(buf, len, "%s %d", what, n);
	return buf;
}

/* "AF_INET, SOCK_RAW, ICMP": a socket() call's arguments, as names. */
static void
socket_text(int family, int type, int proto, char *buf, size_t len)
{
	static const struct named families[] = {
		{ AF_UNIX, "AF_UNIX" }, { AF_INET, "AF_INET" }, { AF_INET6, "AF_INET6" },
		{ AF_NETLINK, "AF_NETLINK" }, { AF_PACKET, "AF_PACKET" },
		{ 15, "AF_KEY" }, { 21, "AF_RDS" }, { 29, "AF_CAN" }, { 30, "AF_TIPC" },
		{ 31, "AF_BLUETOOTH" }, { 38, "AF_ALG" }, { 40, "AF_VSOCK" },
		{ 42, "AF_QIPCRTR" }, { 43, "AF_SMC" }, { 44, "AF_XDP" }, { 45, "AF_MCTP" },
	}, types[] = {
		{ SOCK_STREAM, "SOCK_STREAM" }, { SOCK_DGRAM, "SOCK_DGRAM" },
		{ SOCK_RAW, "SOCK_RAW" }, { SOCK_RDM, "SOCK_RDM" },
		{ SOCK_SEQPACKET, "SOCK_SEQPACKET" }, { SOCK_PACKET, "SOCK_PACKET" },
	}, protos[] = {  /* IP protocol numbers: for AF_INET and AF_INET6 */
		{ 0, "0" }, { IPPROTO_ICMP, "ICMP" }, { IPPROTO_IGMP, "IGMP" },
		{ IPPROTO_TCP, "TCP" }, { IPPROTO_UDP, "UDP" }, { IPPROTO_ICMPV6, "ICMPV6" },
		{ IPPROTO_SCTP, "SCTP" }, { IPPROTO_UDPLITE, "UDPLITE" },
		{ IPPROTO_RAW, "RAW" }, { 262, "MPTCP" },
	};
	char f[24], t[24], p[24];
	int ip = family == AF_INET || family == AF_INET6;

	snprintf(buf, len, "%s, %s, %s",
	    number_name(families, sizeof(families) / sizeof(families[0]), family,
	    "family", f, sizeof(f)),
	    number_name(types, sizeof(types) / sizeof(types[0]), type, "type", t,
	    sizeof(t)),
	    ip ? number_name(protos, sizeof(protos) / sizeof(protos[0]), proto,
	    "protocol", p, sizeof(p)) : (snprintf(p, sizeof(p), "protocol %d",
	    proto), p));
}

static int
on_refused_socket(struct call *c, const struct seccomp_data *a, int err)
{
	char what[96];

	socket_text((int)a->args[0], (int)a->args[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC),
	    (int)a->args[2], what, sizeof(what));
	return report_unmediated(c, a->nr == SYS_socketpair ? "socketpair" :
	    "socket", what, "netpin mediates TCP and UDP over IPv4 and IPv6 (and "
	    "unix and netlink sockets) only", err);
}

static int
on_io_uring(struct call *c, const struct seccomp_data *a)
{
	return report_unmediated(c, "io_uring", a->nr == SYS_io_uring_setup ?
	    "setup" : a->nr == SYS_io_uring_enter ? "enter" : "register",
	    "its operations would bypass netpin; programs fall back to plain "
	    "system calls", ENOSYS);
}

/* ---- socket options and peer names: mediated ---------------------------- */

/* A rule allows UDP to this group (or source) address, whatever its ports. */
static const struct pin *
pin_for_group(const struct dest *d)
{
	int n = __atomic_load_n(&npins, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (!pins[i].rule->deny && pins[i].family == d->family &&
		    (pins[i].rule->protos & P_UDP) &&
		    prefix_match(pins[i].addr, d->addr, pins[i].plen))
			return &pins[i];
	return NULL;
}

/* The group and source addresses a membership option names, as
 * sockaddrs, from netpin's copy of its value.  Returns 0 or an errno. */
static int
membership_addrs(int level, int name, const uint8_t *v, size_t len,
    struct sockaddr_storage ss[2], int *n)
{
	struct sockaddr_in *sin = (void *)&ss[0];
	struct sockaddr_in6 *sin6 = (void *)&ss[0];

	memset(ss, 0, 2 * sizeof(*ss));
	*n = 1;
	switch (level == IPPROTO_IP || name >= MCAST_JOIN_GROUP_ ? name : -name) {
	case IP_ADD_MEMBERSHIP_: case IP_DROP_MEMBERSHIP_:
	case IP_UNBLOCK_SOURCE_: case IP_BLOCK_SOURCE_:
	case IP_ADD_SOURCE_MEMBERSHIP_: case IP_DROP_SOURCE_MEMBERSHIP_:
		if (len < (name >= IP_UNBLOCK_SOURCE_ ? 12u : 8u))
			return EINVAL;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, v, 4);
		if (name >= IP_UNBLOCK_SOURCE_) { /* struct ip_mreq_source */
			sin = (void *)&ss[1];
			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, v + 8, 4);
			*n = 2;
		}
		return 0;
	case -IPV6_ADD_MEMBERSHIP_: case -IPV6_DROP_MEMBERSHIP_:
	case -IPV6_JOIN_ANYCAST_: case -IPV6_LEAVE_ANYCAST_:
		if (len < sizeof(struct ipv6_mreq))
			return EINVAL;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, v, 16);
		return 0;
	case MCAST_JOIN_GROUP_: case MCAST_LEAVE_GROUP_:
		if (len < sizeof(struct group_req))
			return EINVAL;
		memcpy(&ss[0], v + offsetof(struct group_req, gr_group), sizeof(ss[0]));
		return 0;
	case MCAST_BLOCK_SOURCE_: case MCAST_UNBLOCK_SOURCE_:
	case MCAST_JOIN_SOURCE_GROUP_: case MCAST_LEAVE_SOURCE_GROUP_:
		if (len < sizeof(struct group_source_req))
			return EINVAL;
		memcpy(&ss[0], v + offsetof(struct group_source_req, gsr_group),
		    sizeof(ss[0]));
		memcpy(&ss[1], v + offsetof(struct group_source_req, gsr_source),
		    sizeof(ss[1]));
		*n = 2;
		return 0;
	}
	return EPERM; /* IP_MSFILTER, MCAST_MSFILTER: lists of sources */
}

/*
 * A multicast join, leave or source filter: the reports the kernel then
 * sends carry the group and source addresses, so a rule must allow UDP to
 * each of them.  Decided on netpin's copy of the value and performed with
 * it on netpin's duplicate of the socket.
 */
static int
on_setsockopt(struct call *c, const struct seccomp_data *a)
{
	int level = (int)a->args[1], name = (int)a->args[2], n, err;
	uint8_t *v = c->opt_val;
	size_t len = (uint32_t)a->args[4] < sizeof(c->opt_val) ?
	    (uint32_t)a->args[4] : sizeof(c->opt_val);
	struct sockaddr_storage ss[2];
	char tip[DEST_TEXT_MAX + 32], a0[INET6_ADDRSTRLEN];
	const struct refused_opt *ro;
	const struct pin *dp;

	c->op = OP_SETSOCKOPT; /* before its fields are written */
	if ((ro = refused_opt(level, name)))
		return report_unmediated(c, "setsockopt", ro->label,
		    "it would choose a packet's route or source address", EPERM);
	if ((int)a->args[4] < 0)
		return EINVAL;
	if ((err = take_fd(c, (int)a->args[0], &c->fd)) ||
	    (err = child_read(c, a->args[3], v, len)))
		return err;
	/* what netpin took and read belongs to this call if it is still pending */
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	if ((err = membership_addrs(level, name, v, len, ss, &n)))
		return err;
	for (int i = 0; i < n; i++) {
		struct dest d;
		struct verdict vd = { .verb = V_JOIN, .proto = P_UDP, .d = &d,
			.stderr_too = 1, .tip = tip, .rule = tip + 8 };

		if (sockaddr_dest(&ss[i], sizeof(ss[i]), ss[i].ss_family, 0, &d) !=
		    ADDR_DEST)
			return EINVAL;
		if (i == 1 && !memcmp(d.addr, (uint8_t[16]){ 0 }, 16))
			continue; /* no source */
		vd.deny = (dp = pin_denying(&d, P_UDP)) ? dp->rule : NULL;
		vd.pin = vd.deny ? NULL : pin_for_group(&d);
		vd.allowed = vd.pin != NULL;
		format_addr(d.family, d.addr, a0, sizeof(a0));
		/* a group has no name: its address (.rule: after "--allow ") */
		snprintf(tip, sizeof(tip), d.family == AF_INET6 ?
		    "--allow udp:[%s]" : "--allow udp:%s", a0);
		if ((err = report(c->tid, &vd)))
			return EPERM;
	}
	c->opt_level = level;
	c->opt_name = name;
	c->opt_len = (socklen_t)len;
	return 0;
}

/*
 * getpeername(): a tunnelled socket's peer is its destination (netpin's
 * listener is what the kernel would say).  Any other socket, or a call
 * netpin cannot take: the kernel answers (CONTINUE; nothing was read).
 */
static int
on_getpeername(struct call *c, const struct seccomp_data *a)
{
	uint64_t cookie = 0;
	socklen_t cl = sizeof(cookie);

	c->op = OP_PEERNAME;
	if (take_fd(c, (int)a->args[0], &c->fd) || socket_kind(c) ||
	    getsockopt(c->fd, SOL_SOCKET, SO_COOKIE, &cookie, &cl) ||
	    !tunnel_peer(cookie, &c->peer))
		return go_on(c);
	c->peer_buf = a->args[1];
	c->peer_buflen = a->args[2];
	return 0;
}

/* ---- calls aimed at netpin ---------------------------------------------- */

/* Is tid one of netpin's own threads (its process included), or of an
 * asker (--ask: netpin's, out of the command's reach)? */
static int
is_netpin_thread(pid_t tid)
{
	return tid > 0 && (syscall(SYS_tgkill, probed.pid, tid, 0) == 0 ||
	    is_asker_group(getpgid(tid)));
}

/* Is this process group, or this user, netpin's? (0: the caller's) */
static int
names_netpin_group(const struct call *c, int user, uint64_t who)
{
	char uid[64];

	if (!user)
		return (pid_t)who == getpgid(0) || is_asker_group((pid_t)who) ||
		    (who == 0 && getpgid(c->tid) == getpgid(0));
	if (who == 0) {
		if (task_status(c->tid, "Uid", uid, sizeof(uid)))
			return 1; /* cannot tell: refuse */
		who = strtoul(uid, NULL, 10);
	}
	return (uid_t)who == getuid() || (uid_t)who == geteuid();
}

/*
 * prlimit64, setpriority, sched_*, ioprio_set, tkill and pidfd_open aimed
 * at another process than the caller: refused when the target is netpin
 * (any of its threads, its process group, its user for the uid-wide
 * forms), else the kernel goes on.  CONTINUE is safe here: the decision
 * read only registers, which the command cannot change under us.
 */
static int
on_aimed(struct call *c, const struct seccomp_data *a)
{
	uint64_t which = a->args[0], who = a->args[1];
	int netpin;

	switch (a->nr) {
	case SYS_setpriority:
		netpin = which == PRIO_PROCESS_ ? is_netpin_thread((pid_t)who) :
		    which == PRIO_PGRP_ || which == PRIO_USER_ ?
		    names_netpin_group(c, which == PRIO_USER_, who) : 0;
		break;
	case SYS_ioprio_set:
		netpin = which == IOPRIO_WHO_PROCESS_ ? is_netpin_thread((pid_t)who) :
		    which == IOPRIO_WHO_PGRP_ || which == IOPRIO_WHO_USER_ ?
		    names_netpin_group(c, which == IOPRIO_WHO_USER_, who) : 0;
		break;
	case SYS_ptrace:
		netpin = is_netpin_thread((pid_t)a->args[1]);
		break;
	case SYS_kill: /* 0: the caller's process group; -N: group N */
		netpin = (pid_t)a->args[0] == 0 ? names_netpin_group(c, 0, 0) :
		    (pid_t)a->args[0] < 0 ? is_asker_group(-(pid_t)a->args[0]) :
		    is_netpin_thread((pid_t)a->args[0]);
		break;
	default: /* the target is the first argument */
		netpin = is_netpin_thread((pid_t)a->args[0]);
	}
	if (!netpin)
		return go_on(c);
	char key[32];

	snprintf(key, sizeof(key), "aimed %s", c->name);
	warn_once(key, "refused %s aimed at netpin by pid %d (netpin's limits, "
	    "priorities and threads are not the command's)", c->name, (int)c->tid);
	return EPERM;
}

/*
 * The owner of a file's I/O signals, which the kernel sends for the
 * command (F_SETSIG may make them SIGKILL).  Checked on every kernel: the
 * signal scope (Landlock ABI 6) judges an I/O signal by the domain the
 * owner was set from, and a kernel has failed to record it (F_SETOWN of a
 * process group, from the group's newest member: a fixed Landlock bug).
 * F_SETOWN names the owner in a register: refused when it is netpin (a
 * thread, its process group, an asker), else the kernel goes on.
 * F_SETOWN_EX, FIOSETOWN and SIOCSPGRP name it in memory, which the
 * command could change once netpin has read it: refused, and said.
 */
static int
on_owner(struct call *c, const struct seccomp_data *a)
{
	pid_t owner = (pid_t)a->args[2];
	int cmd = (int)a->args[1];

	if (a->nr == SYS_fcntl && cmd == F_SETOWN) {
		if (!(owner > 0 ? is_netpin_thread(owner) : owner < 0 &&
		    names_netpin_group(c, 0, (uint64_t)-(int64_t)owner)))
			return go_on(c);
		warn_once("aimed F_SETOWN", "refused fcntl(F_SETOWN) aimed at netpin "
		    "by pid %d (the signals of the command's I/O are not netpin's)",
		    (int)c->tid);
		return EPERM;
	}
	return report_unmediated(c, a->nr == SYS_fcntl ? "fcntl" : "ioctl",
	    a->nr == SYS_fcntl ? "F_SETOWN_EX" : cmd == FIOSETOWN ? "FIOSETOWN" :
	    "SIOCSPGRP", "it names in memory who gets the I/O signals, which netpin "
	    "cannot check race-free (fcntl F_SETOWN works)", EPERM);
}

/*
 * The process a pidfd or a /proc/PID directory names (fd: netpin's copy):
 * its id, 0 when it is gone, or -1 when netpin cannot tell (not such an
 * fd, or no /proc).
 */
static pid_t
fd_process(int fd)
{
	char buf[512], pid[32];
	ssize_t n;
	int f;

	if (read_fdinfo(probed.pid, fd, buf, sizeof(buf)) == 0 &&
	    status_field(buf, "Pid", pid, sizeof(pid)) == 0)
		return atoi(pid) > 0 ? (pid_t)atoi(pid) : 0;
	/* a /proc/PID directory: its stat file starts with the id */
	if ((f = openat(fd, "stat", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 && atoi(buf) > 0 ? (pid_t)atoi(buf) : -1;
}

/*
 * pidfd_send_signal: its fd may name netpin (a pidfd, or a /proc/PID
 * directory).  Where Landlock's signal scope is in force (Linux 6.12) the
 * kernel keeps the command's signals from netpin: the call goes on.
 * Elsewhere netpin takes the fd, finds the process it names on its own
 * copy, refuses netpin, and sends the signal itself on that copy (as the
 * command when their credentials differ), so no fd swapped in meanwhile
 * gets it.  The target then sees netpin as the sender (si_pid), and a
 * siginfo with a kernel code (si_code >= 0) is refused as from another
 * process.  Without pidfd_getfd (the addfd mode) or /proc, refused.
 */
static int
on_pidfd_signal(struct call *c, const struct seccomp_data *a)
{
	pid_t target;
	int err;

	if (probed.landlock_abi >= 6)
		return go_on(c);
	if (probed.addfd_mode) {
		warn_once("pidfd_send_signal", "refused pidfd_send_signal by pid "
		    "%d: without Landlock's signal scope (Linux 6.12) or "
		    "pidfd_getfd, netpin cannot tell whether it names netpin",
		    (int)c->tid);
		return EPERM;
	}
	c->op = OP_SIGNAL;
	c->sig = (int)a->args[1];
	c->sig_flags = (unsigned)a->args[3];
	if ((err = take_fd(c, (int)a->args[0], &c->fd)))
		return err;
	if (a->args[2]) {
		if ((err = child_read(c, a->args[2], &c->info, sizeof(c->info))))
			return err;
		c->has_info = 1;
	}
	/* what netpin took and read belongs to this call if it is still pending */
	if (!still_pending(c))
		return ENOENT; /* gone: answered in vain */
	if ((target = fd_process(c->fd)) < 0 || (target && is_netpin_thread(target))) {
		warn_once("aimed pidfd_send_signal", "refused pidfd_send_signal by "
		    "pid %d: %s", (int)c->tid, target < 0 ? "netpin cannot tell "
		    "which process its fd names (no /proc?)" : "aimed at netpin");
		return target < 0 ? EBADF : EPERM;
	}
	c->as_task = credentials_differ(c);
	return 0;
}

/* socket() and socketpair(): refused shapes are said; the rest are made
 * by netpin (the addfd mode) */
static int
on_socket_call(struct call *c, const struct seccomp_data *a)
{
	int err = socket_refusal(a);

	if (err)
		return on_refused_socket(c, a, err);
	return on_socket(c, a);
}

/* ---- performing --------------------------------------------------------- */

static void
send_sigpipe(struct call *c)
{
	/* the kernel would signal the caller on EPIPE without MSG_NOSIGNAL */
	if (c->flags & MSG_NOSIGNAL)
		return;
	if (c->pidfd < 0) {
		c->pidfd = open_task(c->tid); /* the addfd mode opens none */
		c->pidfd_kept = 0;
	}
	sys_pidfd_send_signal(c->pidfd, SIGPIPE);
}

static void
write_back_lengths(struct call *c, unsigned upto)
{
	/* the thread id names the caller only while its call is pending */
	if (!still_pending(c))
		return;
	for (unsigned i = 0; i < upto; i++) {
		uint32_t len = (uint32_t)c->msg[i].done;

		/* netpin writes only the result the kernel would write */
		child_write(c, c->mmsg_vec + i * sizeof(struct kmmsghdr) +
		    offsetof(struct kmmsghdr, len), &len, sizeof(len));
	}
}

static int
unix_path_pinned(const struct call *c, const char *verb,
    struct sockaddr_storage *ss, socklen_t *len, int *fd)
{
	struct sockaddr_un *sun = (void *)ss;
	char path[sizeof(sun->sun_path) + 1] = "";
	size_t n = *len - offsetof(struct sockaddr_un, sun_path);
	struct stat st;

	memcpy(path, sun->sun_path, n < sizeof(sun->sun_path) ? n : sizeof(sun->sun_path));
	if ((*fd = open(path, O_PATH | O_CLOEXEC)) < 0 || fstat(*fd, &st))
		return errno;
	for (int i = 0; i < ndeny_unix; i++)
		if (st.st_dev == deny_unix[i].dev && st.st_ino == deny_unix[i].ino)
			return report_unmediated(c, verb, deny_unix[i].path,
			    opt_no_sysres ? "a unix socket you refused (the system's "
			    "name service resolves names around pinned DNS)" :
			    "a unix socket you refused (--deny-unix)", EACCES);
	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	*len = sizeof(*sun);
	/* netpin's root and directory (shared_fs): its /proc/self/fd, named */
	if (c->shared_fs) {
		snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d", *fd);
		return 0;
	}
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%d", *fd);
	/* this thread's directory is its own (unshared): netpin's fd table */
	return fchdir(proc_fd_dir) ? errno : 0;
}

/*
 * connect() to a unix socket by path, as the command (in its worker, with
 * its root, directory and credentials), refusing the sockets of
 * deny_unix[].  The path is opened (O_PATH) and that file is checked and
 * connected to, through netpin's /proc/self/fd, so no rename or symlink
 * swap between the check and the connect changes which socket it is.
 * Returns 0 or an errno.
 */
static int
connect_unix_checked(struct call *c)
{
	int fd = -1, err = unix_path_pinned(c, "connect", &c->addr, &c->addrlen, &fd);

	if (!err && connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen))
		err = errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* A send to a unix socket by path (a datagram), checked the same way: the
 * message's name becomes netpin's own name for the checked file. */
static int
send_unix_checked(struct call *c, struct msgbuf *m)
{
	int fd = -1, err;

	if (!ndeny_unix || !c->as_task || c->domain != AF_UNIX || !m->namelen ||
	    !unix_path_named(&m->name, m->namelen))
		return 0;
	err = unix_path_pinned(c, c->is_mmsg ? "sendmmsg" : "sendmsg", &m->name,
	    &m->namelen, &fd);
	/* closed with the message */
	if (fd >= 0 && fds_push(&m->fds, &m->nfds, fd)) {
		close(fd);
		return err ? err : ENOMEM;
	}
	return err;
}

/* Would the command's send block (*known: -1 until asked)? */
static int
send_blocks(const struct call *c, int *known)
{
	if (*known < 0)
		*known = !(c->flags & MSG_DONTWAIT) && socket_blocks(c->fd);
	return *known;
}

/* The sends of a send call (UNDER_WAY: it would block, inline only). */
static struct result
run_send(struct call *c, int may_block)
{
	int blocks = -1;          /* asked when it matters: most sends do not */
	/* no MSG_ZEROCOPY: the kernel would keep pages netpin frees */
	int flags = (c->flags | MSG_NOSIGNAL) & ~MSG_ZEROCOPY_;
	int err = 0;

	if (!may_block) {
		if ((c->flags & MSG_FASTOPEN) && send_blocks(c, &blocks))
			return ERRNO_RESULT(UNDER_WAY); /* a blocking fast-open connect */
		flags |= MSG_DONTWAIT;
	} else if (!(c->flags & MSG_FASTOPEN)) {
		flags |= MSG_DONTWAIT; /* a worker waits in wait_socket() */
	}
	while (c->next < c->nsend) {
		struct msgbuf *m = &c->msg[c->next];
		struct iovec iov = { m->data + m->done, m->len - m->done };
		struct kmsghdr h = { 0 };
		long n;

		if ((err = send_unix_checked(c, m)))
			break;

		h.name = m->namelen ? (uint64_t)(uintptr_t)&m->name : 0;
		h.namelen = m->namelen;
		h.iov = (uint64_t)(uintptr_t)&iov;
		h.iovlen = 1;
		h.control = m->controllen ? (uint64_t)(uintptr_t)m->control : 0;
		h.controllen = m->controllen;
		n = syscall(SYS_sendmsg, c->fd, &h, flags);
		if (n < 0) {
			int w;

			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    !send_blocks(c, &blocks)) {
				err = errno;
				break;
			}
			if (!may_block) /* full buffer: finish in a worker */
				return ERRNO_RESULT(UNDER_WAY);
			if ((w = wait_socket(c, POLLOUT, SO_SNDTIMEO)) < 0)
				return ERRNO_RESULT(CALL_GONE);
			if (w) {
				err = w;
				break;
			}
			continue;
		}
		if (n > 0) {
			/* sent once: no second copy of fds or fast-open */
			m->controllen = 0;
			m->namelen = 0;
			flags &= ~MSG_FASTOPEN;
		}
		m->done += (size_t)n;
		if (m->done < m->len && c->type == SOCK_STREAM &&
		    send_blocks(c, &blocks)) {
			if (!may_block)
				return ERRNO_RESULT(UNDER_WAY);
			continue;
		}
		c->next++;
		if (!c->is_mmsg)
			break;
	}
	if (err == EPIPE)
		send_sigpipe(c);
	if (c->is_mmsg) {
		write_back_lengths(c, c->next);
		return c->next > 0 ? RESULT(c->next, 0) : ERRNO_RESULT(err);
	}
	if (c->msg[0].done > 0 || !err)
		return RESULT((int64_t)c->msg[0].done, 0);
	return ERRNO_RESULT(err);
}

/* ---- sockets netpin makes for the command (the addfd mode) -------------- */

static struct result
run_socket(struct call *c)
{
	int fd = socket(c->domain, c->type | SOCK_CLOEXEC, c->protocol), theirs;

	if (fd < 0 || (theirs = install_fd(c, fd, c->type & SOCK_CLOEXEC)) < 0)
		return ERRNO_RESULT(errno);
	return RESULT(theirs, 0);
}

static struct result
run_socketpair(struct call *c)
{
	int sv[2], theirs[2], cloexec = c->type & SOCK_CLOEXEC;

	/* like the kernel, put nothing in the command when sv is not
	 * writable: write back what is there, to find out */
	if (child_read(c, c->pair, theirs, sizeof(theirs)) ||
	    child_write(c, c->pair, theirs, sizeof(theirs)))
		return ERRNO_RESULT(EFAULT);
	if (socketpair(c->domain, c->type | SOCK_CLOEXEC, c->protocol, sv))
		return ERRNO_RESULT(errno);
	if ((theirs[0] = install_fd(c, sv[0], cloexec)) < 0) {
		int e = errno;

		close(sv[1]);
		return ERRNO_RESULT(e);
	}
	if ((theirs[1] = install_fd(c, sv[1], cloexec)) < 0)
		return ERRNO_RESULT(errno);
	if (child_write(c, c->pair, theirs, sizeof(theirs)))
		return ERRNO_RESULT(EFAULT);
	return RESULT(0, 0);
}

/* ---- calls that block: wake timers, accept, connect --------------------- */

/*
 * A blocking accept, in a worker.  It waits for a connection or the
 * caller's end (its pidfd), and a timer of the thread's own (SIG_WAKE,
 * blocked everywhere else) ends the wait with EINTR every SCAN_MS, to see
 * whether a signal for the caller, or the caller's end, stops the call;
 * the timer also ends an accept4 that another worker's accept left
 * waiting.  No connection is taken for a caller that is gone.
 * Returns the new socket, -1 with errno, or -2: answered or gone.
 */
#define SIG_WAKE (SIGRTMIN + 2)

static void
on_wake(int sig)
{
	(void)sig;
}

/* Before any thread: SIG_WAKE has a handler, and is blocked (inherited). */
static void
wake_setup(void)
{
	struct sigaction sa;
	sigset_t wake;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake; /* no SA_RESTART: accept4 ends with EINTR */
	sigemptyset(&wake);
	sigaddset(&wake, SIG_WAKE);
	if (sigaction(SIG_WAKE, &sa, NULL) || sigprocmask(SIG_BLOCK, &wake, NULL))
		die_errno("sigaction(SIG_WAKE)");
}

/*
 * Each thread that serves calls has a timer of its own, made on its first
 * blocking call and kept: armed, it sends the thread SIG_WAKE every
 * SCAN_MS (unblocked in that thread only, so it can only end that thread's
 * waits); disarmed, nothing.  A signal raised just before the disarm is
 * taken (by the empty handler) as timer_settime returns, so none is left
 * for the thread's next call.
 */
static __thread timer_t wake_timer;
static __thread int wake_timer_made;

/* Arm (on: 0 or an errno) or disarm (errno kept) this thread's timer. */
static int
wake_arm(int on)
{
	static const struct itimerspec off;
	struct itimerspec every = { { 0, SCAN_MS * 1000000L }, { 0, SCAN_MS * 1000000L } };

	if (!wake_timer_made) {
		struct sigevent ev;
		sigset_t wake;

		if (!on)
			return 0;
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_THREAD_ID;
		ev.sigev_signo = SIG_WAKE;
		ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &ev, &wake_timer))
			return errno;
		wake_timer_made = 1;
		sigemptyset(&wake);
		sigaddset(&wake, SIG_WAKE);
		pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	}
	if (!on) {
		int e = errno; /* the caller's answer may be in it */

		timer_settime(wake_timer, 0, &off, NULL);
		errno = e;
		return 0;
	}
	return timer_settime(wake_timer, 0, &every, NULL) ? errno : 0;
}

/* A thread that ends deletes its timer. */
static void
wake_end(void)
{
	if (wake_timer_made)
		timer_delete(wake_timer);
	wake_timer_made = 0;
}

static int
accept_waiting(struct call *c, struct sockaddr_storage *ss, socklen_t *len,
    int *err)
{
	int fd, pidfd = open_task(c->tid);

	if ((*err = wake_arm(1))) {
		*err = step_failed("timer_create", c, -1, *err);
		if (pidfd >= 0)
			close(pidfd);
		return -1;
	}
	for (;;) {
		struct pollfd p[2] = { { c->fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		int n = poll(p, pidfd >= 0 ? 2 : 1, -1);

		fd = -1;
		*err = errno;
		if (n < 0 && errno != EINTR)
			break;
		errno = EINTR;
		if (n > 0 && p[0].revents && !p[1].revents && still_pending(c))
			fd = accept4(c->fd, (struct sockaddr *)ss, len,
			    (c->flags & SOCK_NONBLOCK) | SOCK_CLOEXEC);
		if (fd >= 0 || (*err = errno) != EINTR)
			break;
		if (!still_pending(c)) {
			fd = CALL_GONE;
			break;
		}
		if (signal_waiting(c->tid))
			break; /* -1, EINTR */
	}
	wake_arm(0);
	if (pidfd >= 0)
		close(pidfd);
	return fd;
}

/*
 * A blocking connect.  The thread that received it makes it, with its
 * SIG_WAKE timer armed: most connects (loopback, refused) are done before
 * the first tick, and answered with no hand-off.  A tick ends the kernel's
 * wait with EINTR while the connection goes on being made (as for the
 * command's own interrupted connect): a worker then waits for it with
 * wait_socket().  Returns 0, the connect's errno, CALL_GONE, or UNDER_WAY
 * (for a worker).
 */
static int
connect_blocking(struct call *c, int may_block)
{
	socklen_t l = sizeof(int);
	int err, rc;

	if (!c->connecting) {
		if ((err = wake_arm(1)))
			return step_failed("timer_create", c, -1, err);
		rc = connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen);
		err = rc < 0 ? errno : 0;
		wake_arm(0);
		if (err != EINTR)
			return err;
		c->connecting = 1;
	}
	if (!may_block)
		return UNDER_WAY;
	if ((rc = wait_socket(c, POLLOUT, SO_SNDTIMEO)))
		return rc == EAGAIN ? EINPROGRESS : rc; /* as SO_SNDTIMEO does */
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l))
		return errno;
	return err;
}

static struct result
run_accept(struct call *c, int may_block)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, err = 0, theirs;

	if (socket_blocks(c->fd)) {
		if (!may_block)
			return ERRNO_RESULT(UNDER_WAY);
		if ((fd = accept_waiting(c, &ss, &len, &err)) == CALL_GONE)
			return ERRNO_RESULT(CALL_GONE);
	} else if ((fd = accept4(c->fd, (struct sockaddr *)&ss, &len,
	    (c->flags & SOCK_NONBLOCK) | SOCK_CLOEXEC)) < 0) {
		err = errno;
	}
	if (fd < 0 || c->peer_err) {
		if (fd >= 0)
			close(fd); /* the kernel, too, drops the connection */
		return ERRNO_RESULT(fd < 0 ? err : c->peer_err);
	}
	if (c->peer_addr && (child_write(c, c->peer_addr, &ss,
	    len < c->peer_len ? len : c->peer_len) ||
	    child_write(c, c->peer_alen, &len, sizeof(len)))) {
		close(fd); /* the kernel, too, drops the connection */
		return ERRNO_RESULT(EFAULT);
	}
	if ((theirs = install_fd(c, fd, c->flags & SOCK_CLOEXEC)) < 0)
		return ERRNO_RESULT(errno);
	return RESULT(theirs, 0);
}

/* ---- the call, in the receiving thread or a worker ---------------------- */

/* Make the call on netpin's copies, as c->op says: what it comes to. */
static struct result
run_op(struct call *c, int may_block)
{
	int rc, err;

	switch (c->op) {
	case OP_SOCKET:
		return run_socket(c);
	case OP_SOCKETPAIR:
		return run_socketpair(c);
	case OP_ACCEPT:
		return run_accept(c, may_block);
	case OP_BIND:
		rc = bind(c->fd, (struct sockaddr *)&c->addr, c->addrlen);
		err = rc < 0 ? errno : 0;
		/* a port the command let go of may still be held by netpin */
		if (err == EADDRINUSE && probed.addfd_mode && held_scan(1, NULL))
			err = bind(c->fd, (struct sockaddr *)&c->addr, c->addrlen) ?
			    errno : 0;
		return ERRNO_RESULT(err);
	case OP_UNSET:
	case OP_CONTINUE: /* (answered by run_call) */
		return ERRNO_RESULT(ENOSYS); /* fail closed */
	case OP_NONE:
		return RESULT(0, 0);
	case OP_PEERNAME:
		return ERRNO_RESULT(write_peername(c));
	case OP_SETSOCKOPT:
		rc = setsockopt(c->fd, c->opt_level, c->opt_name, c->opt_val, c->opt_len);
		return ERRNO_RESULT(rc < 0 ? errno : 0);
	case OP_LISTEN:
		rc = listen(c->fd, c->backlog);
		return ERRNO_RESULT(rc < 0 ? errno : 0);
	case OP_SIGNAL:
		rc = (int)syscall(SYS_pidfd_send_signal, c->fd, c->sig,
		    c->has_info ? &c->info : NULL, c->sig_flags);
		return ERRNO_RESULT(rc < 0 ? errno : 0);
	case OP_CONNECT:
		if (c->need && (err = tunnel_open(c, may_block)) != GO_PLAIN)
			return ERRNO_RESULT(err);
		if (ndeny_unix && c->as_task && unix_path_named(&c->addr, c->addrlen))
			return ERRNO_RESULT(connect_unix_checked(c));
		if (c->connecting || socket_blocks(c->fd))
			return ERRNO_RESULT(connect_blocking(c, may_block));
		rc = connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen);
		return ERRNO_RESULT(rc < 0 ? errno : 0);
	case OP_SEND:
		return run_send(c, may_block);
	case OP_RECV:
		return run_recv(c, may_block);
	}
	return ERRNO_RESULT(ENOSYS);
}

/*
 * Perform the call (may_block: in a worker) and answer it, in this one
 * place: 1 when it is done (answered, or gone), 0 when a worker must go
 * on with it.
 */
static int
run_call(struct call *c, int may_block)
{
	struct result r;

	if (c->op == OP_CONTINUE) {
		answer_continue(c);
		return 1;
	}
	r = run_op(c, may_block);
	if (r.err == UNDER_WAY)
		return 0;
	if (r.err != CALL_GONE)
		answer_call(c, r.val, r.err);
	return 1;
}

static struct call *
call_new(const struct seccomp_notif *n)
{
	struct call *c = call_alloc(1, sizeof(*c));

	if (!c)
		return NULL; /* the caller answers ENOMEM */
	c->id = n->id;
	c->tid = (pid_t)n->pid;
	c->nr = n->data.nr;
	c->pidfd = -1;
	c->fd = -1;
	c->cwd_fd = -1;
	return c;
}

static void
call_free(struct call *c)
{
	for (unsigned i = 0; c->op == OP_SEND && i < c->nmsg; i++) {
		for (int j = 0; j < c->msg[i].nfds; j++)
			close(c->msg[i].fds[j]);
		free(c->msg[i].fds);
		free(c->msg[i].data);
		free(c->msg[i].control);
	}
	if (c->op == OP_SEND)
		free(c->msg);
	if (c->op == OP_CONNECT && c->tun)
		tunnel_drop(c->tun);
	if (c->fd >= 0)
		close(c->fd);
	if (c->cwd_fd >= 0)
		close(c->cwd_fd);
	pidfd_release(c);
	free(c);
}

static void
fail_call(struct call *c, int err)
{
	answer_call(c, 0, err);
	call_free(c);
}

/*
 * Workers: a pool of threads for calls that would block.  An idle worker
 * takes the next queued call; a call that must be made as the command gets
 * a fresh thread, which ends with it (its credentials and fs_struct are the
 * command's from then on).
 */
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static struct call *queue_head, *queue_tail;  /* under workers_lock */
static int idle_workers, queued;               /* under workers_lock */

/* With workers_lock held: the next queued call, or NULL after 10 s idle. */
static struct call *
next_call(void)
{
	struct timespec until;
	struct call *c;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (!queue_head) {
		int rc;

		idle_workers++;
		rc = pthread_cond_timedwait(&work_ready, &workers_lock, &until);
		idle_workers--;
		if (rc == ETIMEDOUT && !queue_head)
			return NULL;
	}
	c = queue_head;
	queue_head = c->queue_next;
	if (!queue_head)
		queue_tail = NULL;
	queued--;
	return c;
}

/* A call made as the command, by a thread that becomes it first (with
 * netpin's fs_struct, the command's umask around a bind: umask_lock). */
static void
run_as_task(struct call *c)
{
	mode_t old;
	int err;

	if ((err = become_task(c))) {
		answer_call(c, 0, err);
		return;
	}
	if (!c->shared_fs || c->op != OP_BIND || c->task_umask < 0) {
		run_call(c, 1);
		return;
	}
	pthread_mutex_lock(&umask_lock);
	old = umask((mode_t)c->task_umask);
	run_call(c, 1);
	umask(old);
	pthread_mutex_unlock(&umask_lock);
}

/*
 * A call held for a question: vetted again here, where asking may wait
 * (as netpin, before any becoming the command).  1 when that ended it
 * (denied and answered, or gone meanwhile).
 */
static int
ask_first(struct call *c)
{
	int err;

	if (!c->ask_later)
		return 0;
	c->ask_later = 0;
	ask_here = 1;
	err = vet_again(c);
	ask_here = 0;
	if (!err && !still_pending(c))
		return 1; /* gone while it was asked about: nothing is made */
	if (err)
		answer_call(c, 0, err == ASK_LATER ? EACCES : err);
	return err != 0;
}

static void *
worker_main(void *arg)
{
	struct call *c = arg;

	if (c->as_task) {
		if (!ask_first(c))
			run_as_task(c);
		call_free(c);
		c = NULL;
	}
	while (c) {
		if (!ask_first(c))
			run_call(c, 1);
		call_free(c);
		pthread_mutex_lock(&workers_lock);
		c = next_call();
		pthread_mutex_unlock(&workers_lock);
	}
	pthread_mutex_lock(&workers_lock);
	workers--;
	pthread_mutex_unlock(&workers_lock);
	wake_end();
	return NULL;
}

static void
refuse_call(struct call *c, const char *why)
{
	warnx("%s (pid %d): call refused", why, (int)c->tid);
	answer_call(c, 0, EAGAIN);
	call_free(c);
}

/* A call that would block is finished by a worker: the loop goes on. */
static void
finish_elsewhere(struct call *c)
{
	pthread_mutex_lock(&workers_lock);
	/* an idle worker takes it at once; none waits for a busy one */
	if (!c->as_task && idle_workers > queued) {
		c->queue_next = NULL;
		if (queue_tail)
			queue_tail->queue_next = c;
		else
			queue_head = c;
		queue_tail = c;
		queued++;
		pthread_cond_signal(&work_ready);
		pthread_mutex_unlock(&workers_lock);
		return;
	}
	if (workers >= WORKERS_MAX) {
		pthread_mutex_unlock(&workers_lock);
		return refuse_call(c, "too many blocked calls at once (every "
		    "worker is busy)");
	}
	workers++;
	pthread_mutex_unlock(&workers_lock);
	if (thread_start(worker_main, c, 128 * 1024)) {
		pthread_mutex_lock(&workers_lock);
		workers--;
		pthread_mutex_unlock(&workers_lock);
		refuse_call(c, "pthread_create failed");
	}
}

static void
perform(struct call *c)
{
	if (c->as_task)
		finish_elsewhere(c);
	else if (run_call(c, 0))
		call_free(c);
	else
		finish_elsewhere(c);
}

/* ---- output relays ------------------------------------------------------ */

struct relay {
	int from, to;             /* the pipe's read end, the real output */
	int done;                 /* under relay_lock */
};
static struct relay relays[2];    /* set up at start; done: relay_lock */
static int nrelays;               /* written at start */
static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t relay_cond = PTHREAD_COND_INITIALIZER;

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	char buf[65536];
	ssize_t n;

	/* blocking here is the point: only this thread waits for the reader */
	while ((n = read(r->from, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t off = 0, w; n > 0 && off < n; off += w)
			if ((w = write(r->to, buf + off, (size_t)(n - off))) <= 0) {
				if (w < 0 && errno == EINTR) {
					w = 0;
					continue;
				}
				off = n; /* the output is gone: drop the rest */
				break;
			}
	pthread_mutex_lock(&relay_lock);
	r->done = 1;
	pthread_cond_broadcast(&relay_cond);
	pthread_mutex_unlock(&relay_lock);
	return NULL;
}

/*
 * Put a relay in front of *fd: *fd becomes a non-blocking pipe (the same
 * number: stderr stays fd 2) whose thread writes to the old output.  On
 * failure *fd is left as it is.
 */
static void
relay_start(int fd)
{
	struct relay *r = &relays[nrelays];
	int p[2], to = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (to < 0)
		return;
	if (pipe2(p, O_CLOEXEC)) {
		close(to);
		return;
	}
	r->from = p[0];
	r->to = to;
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) || dup3(p[1], fd, O_CLOEXEC) < 0 ||
	    thread_start(relay_main, r, 256 * 1024)) {
		dup3(to, fd, O_CLOEXEC);
		close(p[0]);
		close(to);
	} else {
		nrelays++;
	}
	close(p[1]);
}

/* At exit: say what was dropped, end the relays, and give them up to 2 s
 * to write what they hold (a stopped terminal gets no more). */
static void
relays_finish(void)
{
	unsigned long dropped = __atomic_load_n(&lines_dropped, __ATOMIC_RELAXED);
	struct timespec until;
	int done = 0;

	if (dropped)
		warnx("%lu line%s of output dropped: the terminal, or the log's "
		    "reader, did not keep up", dropped, dropped == 1 ? "" : "s");
	if (!nrelays)
		return;
	close(STDERR_FILENO);
	if (log_fd >= 0)
		close(log_fd);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&relay_lock);
	while (!done) {
		done = 1;
		for (int i = 0; i < nrelays; i++)
			done &= relays[i].done;
		if (!done && pthread_cond_timedwait(&relay_cond, &relay_lock, &until))
			break;
	}
	pthread_mutex_unlock(&relay_lock);
}

/* From here on netpin writes only to relays, and ignores the terminal's
 * job-control stops (a background write then just goes through). */
static void
output_detach(void)
{
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	relay_start(STDERR_FILENO);
	if (nrelays) /* PROGRAM's stderr: netpin's own, not the relay's pipe */
		asker_stderr = relays[0].to;
	if (log_fd >= 0)
		relay_start(log_fd);
	atexit(relays_finish);
}

/* ---- child, supervise, main --------------------------------------------- */

/* ---- dispatch ----------------------------------------------------------- */

/*
 * Every system call the filter may send to netpin, and its handler: the
 * filter and this table must agree (tests/bpftest.c checks that every call
 * the filter can notify has a row here).
 */
static const struct handler {
	int nr;
	const char *name;
	/* 0: perform the call as c->op says; else refuse it with this errno */
	int (*fn)(struct call *, const struct seccomp_data *);
} handlers[] = {
	{ SYS_connect, "connect", on_connect_or_bind },
	{ SYS_bind, "bind", on_connect_or_bind },
	{ SYS_listen, "listen", on_listen },
	{ SYS_sendto, "sendto", on_sendto },
	{ SYS_sendmsg, "sendmsg", on_sendmsg },
	{ SYS_sendmmsg, "sendmmsg", on_sendmmsg },
	{ SYS_recvfrom, "recvfrom", on_recvfrom },
	{ SYS_socket, "socket", on_socket_call },
	{ SYS_socketpair, "socketpair", on_socket_call },
	{ SYS_accept, "accept", on_accept },
	{ SYS_accept4, "accept4", on_accept },
	{ SYS_setsockopt, "setsockopt", on_setsockopt },
	{ SYS_getpeername, "getpeername", on_getpeername },
	{ SYS_io_uring_setup, "io_uring_setup", on_io_uring },
	{ SYS_io_uring_enter, "io_uring_enter", on_io_uring },
	{ SYS_io_uring_register, "io_uring_register", on_io_uring },
	{ SYS_prlimit64, "prlimit64", on_aimed },
	{ SYS_setpriority, "setpriority", on_aimed },
	{ SYS_sched_setparam, "sched_setparam", on_aimed },
	{ SYS_sched_setscheduler, "sched_setscheduler", on_aimed },
	{ SYS_sched_setaffinity, "sched_setaffinity", on_aimed },
	{ SYS_sched_setattr, "sched_setattr", on_aimed },
	{ SYS_ioprio_set, "ioprio_set", on_aimed },
	{ SYS_tkill, "tkill", on_aimed },
	{ SYS_pidfd_open, "pidfd_open", on_aimed },
	{ SYS_ptrace, "ptrace", on_aimed },
	{ SYS_process_vm_readv, "process_vm_readv", on_aimed },
	{ SYS_process_vm_writev, "process_vm_writev", on_aimed },
	{ SYS_kill, "kill", on_aimed },
	{ SYS_tgkill, "tgkill", on_aimed },
	{ SYS_rt_sigqueueinfo, "rt_sigqueueinfo", on_aimed },
	{ SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo", on_aimed },
	{ SYS_pidfd_send_signal, "pidfd_send_signal", on_pidfd_signal },
	{ SYS_fcntl, "fcntl", on_owner },
	{ SYS_ioctl, "ioctl", on_owner },
};

static const struct handler *
handler_for(int nr)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].nr == nr)
			return &handlers[i];
	return NULL;
}

static void
on_notification(const struct seccomp_notif *n)
{
	const struct handler *h = handler_for(n->data.nr);
	struct call *c = call_new(n);
	int err;

	if (!c)
		return answer(n->id, 0, ENOMEM);
	if (!h)
		return fail_call(c, ENOSYS); /* the filter sends nothing else */
	c->name = h->name;
	if ((err = h->fn(c, &n->data)) == ASK_LATER) {
		c->ask_later = 1; /* asked by a worker, which may wait */
		return finish_elsewhere(c);
	}
	if (err)
		return fail_call(c, err);
	perform(c);
}

/* ---- the command's process ---------------------------------------------- */

struct launch {
	int sock;                 /* to the supervisor */
	int pipe[2];              /* listener fd number, to the sender thread */
};

/* The listener crosses from the child to netpin as one byte 'L' and one
 * descriptor; this is the message both sides use. */
union fd_cmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

static void
fd_msghdr(struct msghdr *m, struct iovec *iov, union fd_cmsg *u)
{
	memset(m, 0, sizeof(*m));
	memset(u, 0, sizeof(*u));
	m->msg_iov = iov;
	m->msg_iovlen = 1;
	m->msg_control = u->buf;
	m->msg_controllen = sizeof(u->buf);
}

static int
send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = { &byte, 1 };
	union fd_cmsg u;
	struct msghdr m;

	fd_msghdr(&m, &iov, &u);
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	u.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int
recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union fd_cmsg u;
	struct msghdr m;
	struct cmsghdr *h;
	int fd;

	fd_msghdr(&m, &iov, &u);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || byte != 'L')
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/*
 * The filter binds only the thread that installs it, and sendmsg is one of
 * the calls it sends to netpin, which does not have the listener yet.  So a
 * thread started before the filter (and so outside it) hands the listener
 * over; it ends before exec.
 */
static void *
listener_sender(void *arg)
{
	struct launch *l = arg;
	int fd;

	if (read(l->pipe[0], &fd, sizeof(fd)) == (ssize_t)sizeof(fd) && fd >= 0 &&
	    send_fd(l->sock, fd))
		warnx("sendmsg(listener): %s", strerror(errno));
	return NULL;
}

static void __attribute__((noreturn))
child_fail(const char *what)
{
	int saved = errno;

	fprintf(stderr, "netpin: %s: %s\n", what, strerror(saved));
	_exit(EXIT_SETUP);
}

/*
 * CAP_SYS_PTRACE would let the command open netpin's /proc/PID/mem and
 * /proc/PID/fd (netpin is not dumpable: nothing less can) where no
 * Landlock domain stops it (Landlock off, as on Debian's 6.1 and older
 * kernels by default).  The command loses it for good: from the bounding
 * set (root has CAP_SETPCAP), the ambient set and its own sets; with
 * no_new_privs no exec brings it back.  It can still trace its children.
 */
static void
drop_ptrace_cap(void)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };
	struct { uint32_t eff, prm, inh; } data[2] = { { 0 } }; /* (valgrind: v3's second half) */
	uint32_t bit = 1u << CAP_SYS_PTRACE_;

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE_, 0, 0, 0) && errno != EPERM &&
	    errno != EINVAL)
		child_fail("prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE)");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_SYS_PTRACE_, 0, 0) &&
	    errno != EINVAL)
		child_fail("prctl(PR_CAP_AMBIENT_LOWER, CAP_SYS_PTRACE)");
	if (syscall(SYS_capget, &hdr, data))
		child_fail("capget");
	if (!((data[0].eff | data[0].prm | data[0].inh) & bit))
		return;
	data[0].eff &= ~bit;
	data[0].prm &= ~bit;
	data[0].inh &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		child_fail("capset (dropping CAP_SYS_PTRACE)");
}

static void __attribute__((noreturn))
run_child(char **argv, int sock, pid_t parent, const sigset_t *mask)
{
	int addfd;

	struct sock_filter prog[FILTER_MAX];
	struct sock_fprog fprog;
	struct launch l = { sock, { -1, -1 } };
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
	    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	pthread_t t;
	int lfd, e;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		child_fail("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(EXIT_SETUP); /* netpin is already gone */
	/* netpin probes pidfd_getfd on this process, then says which mode */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		child_fail("prctl(PR_SET_DUMPABLE)");
	if (write(sock, "?", 1) != 1 ||
	    read(sock, &addfd, sizeof(addfd)) != (ssize_t)sizeof(addfd))
		_exit(EXIT_SETUP);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail("prctl(PR_SET_NO_NEW_PRIVS)");
	drop_ptrace_cap();
	if (landlock_apply(probed.landlock_abi))
		child_fail("landlock_restrict_self");
	if (pipe2(l.pipe, O_CLOEXEC))
		child_fail("pipe2");
	if ((errno = pthread_create(&t, NULL, listener_sender, &l)))
		child_fail("pthread_create");
	fprog.len = (unsigned short)filter_build(prog, parent, getpgid(parent),
	    (addfd ? FILTER_ADDFD : 0) | (opt_ask ? FILTER_ASK : 0));
	fprog.filter = prog;
	lfd = sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (lfd < 0 && errno == EINVAL) {
		/* no WAIT_KILLABLE_RECV before Linux 5.19 */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		lfd = sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog);
	}
	e = errno;
	if (write(l.pipe[1], &lfd, sizeof(lfd)) != (ssize_t)sizeof(lfd))
		child_fail("write(pipe)");
	pthread_join(t, NULL);
	if (lfd < 0 && (e == EBUSY || e == EPERM)) {
		/* EPERM: a netpin above refuses a second listener; EBUSY: the
		 * kernel has one above already (a runtime's agent) */
		fprintf(stderr, "netpin: seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): %s: "
		    "%s\n", strerror(e), e == EBUSY ? "a seccomp listener is taken already "
		    "(another supervisor: a container runtime's agent?)" :
		    "a filter above netpin refuses a listener of its own (netpin under netpin?)");
		_exit(EXIT_SETUP);
	}
	if (lfd < 0) {
		errno = e;
		child_fail("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER)");
	}
	close(lfd);
	close(l.pipe[0]);
	close(l.pipe[1]);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	if (write(sock, &e, sizeof(e)) < 0)
		_exit(EXIT_SETUP);
	_exit(e == ENOENT ? 127 : 126);
}

/* ---- receivers and the supervisor --------------------------------------- */

/* Why the command could not be run, as a shell says it. */
static const char *
exec_failure(const char *cmd, int err)
{
	struct stat st;

	if (err == ENOENT && !strchr(cmd, '/'))
		return "command not found";
	if (err == EACCES && strchr(cmd, '/') && stat(cmd, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return "is a directory";
	return strerror(err);
}

static int
exit_status(int st, int exec_errno, const char *cmd)
{
	if (exec_errno) {
		warnx("%s: %s", cmd, exec_failure(cmd, exec_errno));
		return exec_errno == ENOENT ? 127 : 126;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) {
		if (WTERMSIG(st) == SIGSYS)
			warnx("%s was killed by the filter (SIGSYS): a 32-bit or x32 "
			    "system call, which netpin cannot mediate", cmd);
		return 128 + WTERMSIG(st);
	}
	return EXIT_SETUP;
}

static void
log_exit(int status)
{
	struct jbuf b;

	if (log_fd < 0)
		return;
	jbegin(&b, "exit");
	jnum(&b, "pid", child_pid);
	jnum(&b, "status", status);
	jend(&b);
}

/*
 * Receivers: threads that each take a notification from the listener and
 * see it through (reading the command's memory, deciding, performing or
 * handing a blocking call to a worker).  A read of the command's memory
 * can hang (a userfaultfd or FUSE page): that holds up one receiver and
 * its call only, since a new receiver starts whenever none is left
 * waiting, up to RECEIVERS_MAX.  At most RECV_WAITERS of the idle ones
 * wait in SECCOMP_IOCTL_NOTIF_RECV, the others for room (recv_room): since
 * Linux 6.6 the kernel wakes every thread waiting in NOTIF_RECV for each
 * notification (with SYNC_WAKE_UP, all of them onto the caller's CPU),
 * and all but one go back to sleep.  Two there cost one such wake-up per
 * call and no system call: the one that takes a call leaves the other
 * waiting, and comes back once done.  Only when both have calls is one
 * that waits for room let in.  A receiver that is done with a call ends
 * when more than RECEIVERS_SPARE others are waiting.
 */
#define RECEIVERS_MIN 2
#define RECEIVERS_SPARE 8
#define RECEIVERS_MAX 128
#define RECV_WAITERS 2
static int receivers, idle_receivers;  /* under receivers_lock */
static int in_recv;                    /* under receivers_lock */
static pthread_mutex_t receivers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t recv_room = PTHREAD_COND_INITIALIZER; /* in_recv fell to 0 */

/* (receivers start one another) */
static void *receiver_main(void *arg);

/* With receivers_lock held: one more receiver (0, or -1: at the budget). */
static int
receiver_start(void)
{
	if (receivers >= RECEIVERS_MAX)
		return -1;
	if (thread_start(receiver_main, NULL, 256 * 1024))
		return -1;
	receivers++;
	idle_receivers++;
	return 0;
}

/* Took a call: is anyone left to take the next one? */
static void
receiver_busy(void)
{
	int full = 0;

	pthread_mutex_lock(&receivers_lock);
	idle_receivers--;
	if (idle_receivers == 0)
		full = receiver_start();
	pthread_mutex_unlock(&receivers_lock);
	if (full)
		warn_once("receivers", "%d calls are being served at once (some may "
		    "wait on the command's own memory): new calls wait until one "
		    "is done", RECEIVERS_MAX);
}

/* The next notification, into n, once there is room in NOTIF_RECV.
 * Returns 0 or the ioctl's errno. */
static int
receive_one(struct seccomp_notif *n)
{
	int err;

	pthread_mutex_lock(&receivers_lock);
	while (in_recv >= RECV_WAITERS)
		pthread_cond_wait(&recv_room, &receivers_lock);
	in_recv++;
	pthread_mutex_unlock(&receivers_lock);
	memset(n, 0, probed.notif_size); /* the kernel wants it zeroed */
	err = ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) ? errno : 0;
	pthread_mutex_lock(&receivers_lock);
	if (--in_recv == 0)
		pthread_cond_signal(&recv_room);
	pthread_mutex_unlock(&receivers_lock);
	return err;
}

/* Done with a call (or gone: a waiting receiver stops): does it end? */
static int
receiver_done(int gone)
{
	int end;

	pthread_mutex_lock(&receivers_lock);
	if (gone)
		idle_receivers--; /* it was waiting */
	end = gone || idle_receivers >= RECEIVERS_SPARE;
	if (end)
		receivers--;
	else
		idle_receivers++;
	pthread_mutex_unlock(&receivers_lock);
	return end;
}

static void *
receiver_main(void *arg)
{
	struct seccomp_notif *n = call_alloc(1, probed.notif_size);

	(void)arg;
	if (!n) {
		receiver_done(1);
		return NULL;
	}
	for (;;) {
		int err = receive_one(n);

		if (err) {
			struct pollfd p = { listener, POLLIN, 0 };

			/* ENOENT: the caller died before it was taken, or (at
			 * once, every time: POLLHUP) nothing filtered is left */
			if (err == EINTR || (err == ENOENT &&
			    !(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))))
				continue;
			break;
		}
		receiver_busy();
		on_notification(n);
		if (receiver_done(0))
			goto ended;
	}
	receiver_done(1);
ended:
	wake_end();
	free(n);
	return NULL;
}

/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): 1 when set.  The flag
 * is the ioctl's argument itself, not a pointer (valgrind thinks it is:
 * tests/valgrind.supp). */
static int
set_sync_wake(void)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
	    (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
}

/*
 * The addfd mode: let go of sockets the command closed, at most every
 * SCAN_MS (longer when a scan costs more than SCAN_SHARE of the time, while
 * netpin holds less than half its budget).  How long the loop may wait
 * for the next scan (ms), or -1: no scans.  *next_scan: when it is due.
 */
static int
scan_wait(long *next_scan)
{
	long t = now_ms(), space = SCAN_MS, wait;

	if (!probed.addfd_mode)
		return -1;
	if (t >= *next_scan) {
		long cpu = 0;

		if (__atomic_load_n(&nheld, __ATOMIC_RELAXED))
			held_scan(0, &cpu);
		cpu = cpu * SCAN_SHARE / 1000;
		if (cpu > space &&
		    __atomic_load_n(&nheld, __ATOMIC_RELAXED) < probed.held_budget / 2)
			space = cpu;
		*next_scan = now_ms() + space;
	}
	wait = *next_scan - now_ms();
	return wait < 0 ? 0 : (int)wait;
}

/*
 * A signal netpin got: passed on to the command, or SIGCHLD: the ends of
 * the command (its status into *status) and of its orphans (netpin is
 * their subreaper).  Returns 1 when netpin's supervision is over: the
 * command has ended (and, with --wait-all, every process it started).
 */
static int
supervise_signal(int sfd, int exec_errno, const char *cmd, int *status)
{
	struct signalfd_siginfo si;
	pid_t p;
	int st;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo != SIGCHLD) {
		/* the terminal signals the command itself */
		if (si.ssi_code != SI_KERNEL && *status < 0)
			kill(child_pid, (int)si.ssi_signo);
		return 0;
	}
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (!asker_reaped(p, st) && p == child_pid) {
			*status = exit_status(st, exec_errno, cmd);
			log_exit(*status);
		}
	/* -1 (ECHILD): no process of the command is left */
	return *status >= 0 && (!opt_wait_all || p < 0);
}

/*
 * How many processes of the command still run once it has ended: netpin's
 * children (the orphans it is subreaper of) and theirs.  0: none; -1:
 * some, but how many cannot be told (no /proc, or no children files).
 */
static long
processes_left(void)
{
	struct inoset pids = { 0 };
	char pid[24];
	pid_t p;
	long n;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		asker_reaped(p, st); /* ended meanwhile */
	if (p < 0)
		return 0; /* ECHILD: no child left */
	if (access("/proc/self/task", F_OK) || scan_children("self", &pids)) {
		free(pids.v);
		return -1;
	}
	for (size_t i = 0; i < pids.n; i++) {
		snprintf(pid, sizeof(pid), "%lu", (unsigned long)pids.v[i]);
		scan_children(pid, &pids);
	}
	n = pids.failed || !pids.n ? -1 : (long)pids.n;
	free(pids.v);
	return n;
}

/* Say that processes of the command still run as netpin exits. */
static void
say_processes_left(void)
{
	long n = processes_left();
	char many[32] = "some";

	if (!n || opt_quiet)
		return;
	if (n > 0)
		snprintf(many, sizeof(many), "%ld", n);
	warnx("%s process%s of the command still run%s: their network calls fail "
	    "from now on (--wait-all keeps netpin until they end)", many,
	    n == 1 ? "" : "es", n == 1 ? "s" : "");
}

/*
 * Serve what is not the command's calls (the receivers serve those) until
 * the command exits: signals, the exec's outcome, pinned DNS, the addfd
 * mode's scans.  Returns netpin's status.
 */
enum slot { SLOT_SIGNALS, SLOT_EXEC, SLOT_DNS_UDP4, SLOT_DNS_UDP6,
	SLOT_DNS_TCP4, SLOT_DNS_TCP6, NSLOTS };
static int
supervise(int sock, int sfd, const char *cmd)
{
	struct pollfd pfd[NSLOTS] = {
		[SLOT_SIGNALS] = { sfd, POLLIN, 0 },
		[SLOT_EXEC] = { sock, POLLIN, 0 },
		[SLOT_DNS_UDP4] = { dns_udp[0], POLLIN, 0 },
		[SLOT_DNS_UDP6] = { dns_udp[1], POLLIN, 0 },
		[SLOT_DNS_TCP4] = { dns_tcp[0], POLLIN, 0 },
		[SLOT_DNS_TCP6] = { dns_tcp[1], POLLIN, 0 },
	};
	int exec_errno = 0, status = -1;
	long next_scan = 0;

	pthread_mutex_lock(&receivers_lock);
	for (int i = 0; i < RECEIVERS_MIN; i++)
		if (receiver_start())
			die("cannot start the threads that serve the command's calls");
	pthread_mutex_unlock(&receivers_lock);

	for (;;) {
		if (poll(pfd, NSLOTS, scan_wait(&next_scan)) < 0) {
			/* out of memory for a moment: the command is served on */
			if (errno == ENOMEM)
				usleep(10000);
			continue;
		}
		for (int i = SLOT_DNS_UDP4; i <= SLOT_DNS_UDP6; i++)
			if (pfd[i].revents & POLLIN)
				responder_udp(pfd[i].fd);
		for (int i = SLOT_DNS_TCP4; i <= SLOT_DNS_TCP6; i++)
			if (pfd[i].revents & POLLIN)
				responder_accept(pfd[i].fd);
		if (pfd[SLOT_EXEC].revents) {
			int e;

			/* exec failed: the errno; exec succeeded: end of file */
			if (read(sock, &e, sizeof(e)) == (ssize_t)sizeof(e))
				exec_errno = e;
			else
				pfd[SLOT_EXEC].fd = -1;
		}
		if ((pfd[SLOT_SIGNALS].revents & POLLIN) &&
		    supervise_signal(sfd, exec_errno, cmd, &status))
			return status;
	}
}

/* ---- main --------------------------------------------------------------- */

/*
 * What netpin's descriptors may go to, once the command has its own limits
 * (netpin's soft RLIMIT_NOFILE is raised to the hard one): checked
 * connections get at most half, and the addfd mode keeps a reference to
 * every socket of the command in what is left, less a reserve.
 */
static void
set_budgets(void)
{
	struct rlimit rl;
	unsigned long n;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur == RLIM_INFINITY ? UINT_MAX : rl.rlim_cur;
	if (names_checked_anywhere) {
		probed.tunnel_budget = n / 2 / TUNNEL_FDS < TUNNELS_CAP ?
		    (unsigned)(n / 2 / TUNNEL_FDS) : TUNNELS_CAP;
		n -= probed.tunnel_budget * TUNNEL_FDS;
	}
	if (probed.addfd_mode)
		probed.held_budget = n > 4 * HELD_RESERVE ? (unsigned)(n - HELD_RESERVE) :
		    (unsigned)(n * 3 / 4);
}

/*
 * Can netpin take the command's sockets?  Try pidfd_getfd on the child
 * itself: a seccomp profile (Docker's, Podman's, CRI-O's default), Yama or
 * an LSM may refuse it.  If not, the addfd mode.  Then tell the child.
 */
static void
choose_mode(int sock, int childfd)
{
	char byte;
	int pfd, fd;

	if (read(sock, &byte, 1) != 1)
		return; /* the child failed and said why */
	if ((pfd = sys_pidfd_open(child_pid, 0)) < 0)
		die_errno("pidfd_open(pid %d)", (int)child_pid);
	fd = sys_pidfd_getfd(pfd, childfd);
	if (fd >= 0)
		close(fd);
	else if (errno == EPERM || errno == EACCES || errno == ENOSYS)
		probed.addfd_mode = 1;
	else
		die_errno("pidfd_getfd(pid %d, fd %d)", (int)child_pid, childfd);
	close(pfd);
	/* the command's orphans stay netpin's: their sockets are seen (the
	 * addfd mode), they are counted, and waited for (--wait-all) */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
	set_budgets();
	if (write(sock, &probed.addfd_mode, sizeof(probed.addfd_mode)) != (ssize_t)sizeof(probed.addfd_mode))
		die_errno("write(socketpair)");
}

/*
 * The addfd mode, once the listener is here: the kernel must have
 * SECCOMP_IOCTL_NOTIF_ADDFD (an unknown id gives ENOENT), and the sockets
 * the command inherits from netpin are netpin's already.
 */
static void
addfd_setup(int sock)
{
	struct seccomp_notif_addfd a = { 0 };
	pthread_condattr_t ca;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&now_scan_done, &ca))
		die("pthread_cond_init(CLOCK_MONOTONIC) failed");
	pthread_condattr_destroy(&ca);

	a.id = UINT64_MAX;
	a.srcfd = (uint32_t)sock;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 && errno != ENOENT)
		die("pidfd_getfd is refused, and SECCOMP_IOCTL_NOTIF_ADDFD "
		    "fails: %s\nhint: without pidfd_getfd netpin needs Linux "
		    ">= 5.9; or let it use pidfd_getfd (Docker: --cap-add "
		    "SYS_PTRACE)", strerror(errno));
	if (!probed.proc_own)
		die("the addfd mode (pidfd_getfd is refused) needs /proc, of "
		    "netpin's own PID namespace (%s)\nhint: mount one (unshare "
		    "--mount-proc, bwrap --proc /proc), or let netpin use pidfd_getfd",
		    access("/proc/self", F_OK) ? "there is none" :
		    "this one is another namespace's");
	if (!(d = opendir("/proc/self/fd")))
		die_errno("the addfd mode (pidfd_getfd is refused) needs /proc: "
		    "opendir /proc/self/fd");
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl, dup;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) ||
		    !S_ISSOCK(st.st_mode) || (fl = fcntl(fd, F_GETFD)) < 0 ||
		    (fl & FD_CLOEXEC))
			continue;
		if ((dup = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0 || !held_add(dup, 1))
			die_errno("keeping inherited socket %d", fd);
	}
	closedir(d);
}

/*
 * Is /proc of netpin's own PID namespace?  /proc/self is netpin, by its
 * number in the namespace of whoever mounted /proc, and NSpid lists its
 * numbers from that namespace down to netpin's own: one alone, getpid(),
 * when they are the same namespace.
 */
static void
probe_proc(void)
{
	char self[32], buf[4096], nspid[64], own[24];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (n <= 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return; /* no /proc: said where it is needed */
	}
	self[n] = '\0';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(own, sizeof(own), "%d", (int)probed.pid);
	probed.proc_own = !strcmp(self, own) &&
	    status_field(buf, "NSpid", nspid, sizeof(nspid)) == 0 && !strcmp(nspid, own);
	if (!probed.proc_own)
		warnx("/proc is another PID namespace's (netpin is %s there, %s "
		    "here): no process is read through it, netpin works as with no "
		    "/proc (no process names; calls that need the caller's "
		    "credentials, and the addfd mode, are refused)\nhint: mount a "
		    "/proc of this namespace (unshare --mount-proc, bwrap --proc /proc)",
		    self, own);
}

static void
probe_kernel(void)
{
	struct seccomp_notif_sizes sizes;
	int pfd, fd;

	if (sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		die("seccomp(SECCOMP_GET_NOTIF_SIZES): %s\nhint: netpin needs "
		    "seccomp user notification (Linux >= 5.0, CONFIG_SECCOMP_FILTER)",
		    strerror(errno));
	if (sizes.seccomp_notif > probed.notif_size)
		probed.notif_size = sizes.seccomp_notif;
	pfd = sys_pidfd_open(getpid(), 0);
	if (pfd < 0)
		die("pidfd_open(pid %d): %s\nhint: netpin needs pidfd_open "
		    "(Linux >= 5.3), and pidfd_getfd (5.6) or "
		    "SECCOMP_IOCTL_NOTIF_ADDFD (5.9)", (int)getpid(), strerror(errno));
	close(pfd);
	fd = sys_pidfd_open((pid_t)syscall(SYS_gettid), PIDFD_THREAD);
	probed.thread_pidfd = fd >= 0;
	if (fd >= 0)
		close(fd);
	probed.landlock_abi = landlock_probe();
}

/* One number from /proc/sys; def when it cannot be read. */
static unsigned
sysctl_uint(const char *path, unsigned def)
{
	FILE *f = fopen(path, "re");
	unsigned v;

	if (!f)
		return def;
	if (fscanf(f, "%u", &v) != 1)
		v = def;
	fclose(f);
	return v;
}

/* path made absolute by the working directory, its symlinks kept (a
 * busybox applet is known by its link's name); NULL with errno. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return xstrdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	out = xcalloc(1, strlen(cwd) + strlen(path) + 2);
	sprintf(out, "%s/%s", cwd, path);
	return out;
}

/* PROGRAM's absolute path: as given when the name holds a '/', else the
 * first executable of that name in PATH, as execvp would find it; NULL
 * with errno when there is none. */
static char *
asker_find(const char *prog)
{
	const char *p = getenv("PATH"), *e;
	char buf[PATH_MAX];

	if (strchr(prog, '/'))
		return access(prog, X_OK) ? NULL : absolute(prog);
	for (p = p ? p : "/usr/local/bin:/bin:/usr/bin"; ; p = e + 1) {
		e = strchrnul(p, ':');
		if (e == p)
			snprintf(buf, sizeof(buf), "./%s", prog);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, prog);
		if (!access(buf, X_OK))
			return absolute(buf);
		if (!*e)
			return errno = ENOENT, NULL;
	}
}

/* The first of path and the directories above it that netpin's uid may
 * write (so may the command's, the same), or NULL. */
static const char *
writable_on_way(const char *path)
{
	static char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		if (!faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS))
			return dir;
		if (!(slash = strrchr(dir, '/')) || (slash == dir && !dir[1]))
			return NULL;
		slash[slash == dir] = '\0';
	}
}

/*
 * --ask: PROGRAM is out of the command's reach only if its ptrace,
 * /proc/PID/mem and pidfd_getfd are: a Landlock domain (the child applies
 * one) or Yama's ptrace_scope 1 or more.  PROGRAM itself must run, from
 * its path found now, in an environment of its own; a PROGRAM that the
 * command may change (a file or directory its uid can write) is said.
 */
static void
ask_check(void)
{
	const char *w;
	size_t n = 0;

	if (!opt_ask)
		return;
	if (!probed.landlock_abi &&
	    sysctl_uint("/proc/sys/kernel/yama/ptrace_scope", 0) < 1)
		die("--ask: neither Landlock nor Yama (ptrace_scope 1 or more) is "
		    "there to keep the command from tracing PROGRAM and answering "
		    "in its place\nhint: Linux >= 5.13 with \"landlock\" in the lsm= "
		    "boot parameter, or sysctl kernel.yama.ptrace_scope=1");
	if (!(asker_path = asker_find(opt_ask)))
		die_errno("--ask %s", opt_ask);
	if ((w = writable_on_way(asker_path)))
		warnx("--ask: the command may change PROGRAM (%s): %s can be written "
		    "by uid %u, the command's, and PROGRAM would then answer as the "
		    "command likes\nhint: install PROGRAM, its interpreter and what "
		    "it loads where the command cannot write, or run the command as "
		    "another user", asker_path, w, (unsigned)geteuid());
	while (environ[n])
		n++;
	asker_env = xcalloc(n + 2, sizeof(*asker_env));
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "PYTHONNOUSERSITE=", 17))
			asker_env[n++] = *e;
	asker_env[n] = "PYTHONNOUSERSITE=1";
}

/*
 * An owner of a file's I/O signals set before netpin started (fcntl
 * F_SETOWN, then exec netpin) that names netpin, its pid or its process
 * group: the command would make the kernel signal netpin with that
 * file's I/O (F_SETSIG and O_ASYNC are its own).  Cleared, and said; the
 * owners the command sets itself are checked (on_owner).  The files are
 * those /proc/self/fd lists, or descriptors 0 to 1023 without /proc.
 */
static void
owners_clear(void)
{
	DIR *d = probed.proc_own ? opendir("/proc/self/fd") : NULL;
	struct dirent *e;
	int fd = -1;

	for (;;) {
		struct f_owner_ex o;

		if (d) {
			if (!(e = readdir(d)))
				break;
			if (e->d_name[0] == '.' || (fd = atoi(e->d_name)) == dirfd(d))
				continue;
		} else if (++fd >= 1024) {
			break;
		}
		if (fcntl(fd, F_GETOWN_EX, &o) || !o.pid ||
		    o.pid != (o.type == F_OWNER_PGRP ? getpgrp() : getpid()))
			continue;
		if (fcntl(fd, F_SETOWN, 0))
			die_errno("fd %d: clearing its owner of I/O signals, netpin", fd);
		warnx("fd %d: its I/O signals went to netpin (F_SETOWN before netpin "
		    "started): no longer", fd);
	}
	if (d)
		closedir(d);
}

static void
read_sysctls(void)
{
	probed.unpriv_port_start = sysctl_uint("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    1024);
	/* unreadable: assume set, and check addresses the slower way */
	probed.nonlocal_bind[0] = sysctl_uint("/proc/sys/net/ipv4/ip_nonlocal_bind", 1) != 0;
	probed.nonlocal_bind[1] = sysctl_uint("/proc/sys/net/ipv6/ip_nonlocal_bind", 1) != 0;
	if (stat("/", &probed.root))
		die_errno("stat /");
	read_ns("self", NS_NET, probed.own_ns[NS_NET], sizeof(probed.own_ns[NS_NET]));
	if (names_checked_anywhere) /* only checked connections ask */
		probed.netns_cookie = netns_cookie_of_own();
	read_ns("self", NS_USER, probed.own_ns[NS_USER], sizeof(probed.own_ns[NS_USER]));
	if (self_identity(&probed.identity))
		die_errno("reading netpin's own credentials");
	probed.privileged = probed.identity.cap_eff || probed.identity.cap_prm ||
	    probed.identity.uid[0] != probed.identity.uid[1] ||
	    probed.identity.uid[1] != probed.identity.uid[2] ||
	    probed.identity.gid[0] != probed.identity.gid[1] ||
	    probed.identity.gid[1] != probed.identity.gid[2];
}

static void
open_log(void)
{
	if (!opt_log)
		return;
	if (!strcmp(opt_log, "-"))
		log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		log_fd = open(opt_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log_fd < 0)
		die_errno("--log %s", opt_log);
}

static void
log_start(int argc, char **argv)
{
	struct jbuf b;
	char cmd[512] = "";

	if (log_fd < 0)
		return;
	for (int i = 0; i < argc; i++) {
		if (i)
			strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 1);
	}
	jbegin(&b, "start");
	jnum(&b, "pid", probed.pid);
	jstr(&b, "command", cmd);
	jnum(&b, "landlock", probed.landlock_abi);
	jstr(&b, "landlock_rights", landlock_rights(probed.landlock_abi));
	jend(&b);
}

static void
usage(FILE *f)
{
	fputs(
"usage: netpin [OPTION]... [--] COMMAND [ARG]...\n"
"Run COMMAND with its network pinned to the rules given.\n"
"\n"
"  -a, --allow RULE        allow traffic matching RULE (repeatable)\n"
"  -A, --allow-file FILE   RULEs from FILE, one per line, '#' comments\n"
"                          ('!RULE': a deny rule; '--bind PORTS' lines)\n"
"      --deny RULE         refuse what RULE matches, whatever allows it\n"
"                          (repeatable; deny rules are checked first)\n"
"      --bind PORTS        let the command bind these ports (0 always)\n"
"      --audit             allow everything, log what would have been denied\n"
"      --learn FILE        at exit, write an allow-file with the rules that\n"
"                          would have allowed every denied (or audited) call\n"
"  -l, --log FILE          append one JSON object per event ('-' = stderr)\n"
"  -q, --quiet             no denial lines and no summary on stderr\n"
"  -v, --verbose           pin table, active layers and every decision\n"
"  -n, --dry-run           resolve, print the pin table, run nothing\n"
"      --hosts FILE        hosts file (default /etc/hosts)\n"
"      --resolv FILE       resolver configuration (default /etc/resolv.conf)\n"
"      --dns ADDR[:PORT]   DNS server to ask (repeatable; overrides --resolv)\n"
"      --timeout SECONDS   resolution timeout (default 5)\n"
"      --allow-private-dns keep private/loopback answers from DNS\n"
"      --allow-ech         let a checked TLS connection use Encrypted Client\n"
"                          Hello: only its outer server name is checked\n"
"      --deny-errno ERRNO  how a denied connect or send fails: EHOSTUNREACH\n"
"                          (default), ECONNREFUSED, ENETUNREACH, EACCES, EPERM\n"
"      --deny-unix PATH    refuse connects to the unix socket PATH (repeatable;\n"
"                          the socket file itself, by inode, however named)\n"
"      --no-system-resolver  refuse connects to the system's name services\n"
"                          (nscd, systemd-resolved, the D-Bus system bus),\n"
"                          which would resolve names around pinned DNS\n"
"      --skip-unresolved   run on when a name rule pins nothing (a warning;\n"
"                          by default netpin stops)\n"
"      --wait-all          supervise until every process the command started\n"
"                          has ended, not only the command\n"
"      --ask PROGRAM       hold a call no rule allows and run PROGRAM: a JSON\n"
"                          question on its input, its answer one line: once,\n"
"                          always (a rule for the rest of the run) or deny\n"
"      --ask-timeout SECONDS  no answer by then is deny (default 60)\n"
"      --check             say what this machine or container gives netpin\n"
"                          (mediation, Landlock, /proc, a listener), run\n"
"                          nothing; exit 0 when netpin can enforce here\n"
"      --strict            a name rule that pins nothing stops netpin (the\n"
"                          default; for scripts that say so)\n"
"  -h, --help              this text\n"
"  -V, --version           netpin's version\n"
"\n"
"RULE  = [private:][PREFIX:]HOST[:PORTS]   (no prefix: tcp and udp)\n"
"private: the rule's name may resolve to private addresses (as names\n"
"                          under .internal, .home.arpa and the search domains\n"
"                          of resolv.conf may): the rebinding guard spares it\n"
"PREFIX = tcp | udp | tls | http | raw  tls:, http: check the name a TCP\n"
"                          connection asks for (TLS server name, HTTP Host) on\n"
"                          every port of a name rule (by default: 443, 80);\n"
"                          raw: on none; UDP to 443 of a checked name (QUIC)\n"
"                          needs a udp: rule\n"
"HOST  = name | *.suffix | IPv4[/len] | IPv6[/len] | [IPv6][/len] | [fe80::N%ZONE]\n"
"PORTS = N | N-M | a comma-separated list of those (absent: every port)\n"
"\n"
"Exit status: the command's; 128+N if it was killed by signal N;\n"
"125 netpin failed; 126 command not executable; 127 command not found.\n",
	    f);
}

enum {
	OPT_BIND = 256, OPT_HOSTS, OPT_STRICT, OPT_AUDIT, OPT_LEARN, OPT_RESOLV,
	OPT_DNS, OPT_TIMEOUT, OPT_PRIVATE_DNS, OPT_DENY_UNIX, OPT_NO_SYSRES, OPT_ECH,
	OPT_DENY_ERRNO, OPT_DENY, OPT_SKIP_UNRESOLVED, OPT_WAIT_ALL, OPT_CHECK,
	OPT_ASK, OPT_ASK_TIMEOUT,
};

static const struct option long_options[] = {
	{ "allow", required_argument, NULL, 'a' },
	{ "allow-file", required_argument, NULL, 'A' },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "log", required_argument, NULL, 'l' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "skip-unresolved", no_argument, NULL, OPT_SKIP_UNRESOLVED },
	{ "wait-all", no_argument, NULL, OPT_WAIT_ALL },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "ask", required_argument, NULL, OPT_ASK },
	{ "ask-timeout", required_argument, NULL, OPT_ASK_TIMEOUT },
	{ "audit", no_argument, NULL, OPT_AUDIT },
	{ "learn", required_argument, NULL, OPT_LEARN },
	{ "resolv", required_argument, NULL, OPT_RESOLV },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "allow-private-dns", no_argument, NULL, OPT_PRIVATE_DNS },
	{ "allow-ech", no_argument, NULL, OPT_ECH },
	{ "deny-unix", required_argument, NULL, OPT_DENY_UNIX },
	{ "no-system-resolver", no_argument, NULL, OPT_NO_SYSRES },
	{ "deny-errno", required_argument, NULL, OPT_DENY_ERRNO },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* --timeout, --ask-timeout: seconds, into *ms */
static void
set_timeout(const char *opt, const char *s, long *ms)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno || end == s || *end || !(t > 0 && t <= 3600))
		die("bad %s '%s': seconds, more than 0 and at most 3600", opt, s);
	*ms = (long)(t * 1000);
	if (*ms < 1)
		*ms = 1;
}

static void
set_deny_errno(const char *s)
{
	static const struct { const char *name; int err; } names[] = {
		{ "EHOSTUNREACH", EHOSTUNREACH }, { "ECONNREFUSED", ECONNREFUSED },
		{ "ENETUNREACH", ENETUNREACH }, { "EACCES", EACCES }, { "EPERM", EPERM },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name)) {
			opt_deny_errno = names[i].err;
			return;
		}
	die("bad --deny-errno '%s': EHOSTUNREACH (the default), ECONNREFUSED, "
	    "ENETUNREACH, EACCES or EPERM", s);
}

static void
parse_options(int argc, char **argv)
{
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:a:A:l:qvnhV", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			add_rule(optarg, NULL, 0);
			break;
		case OPT_DENY:
			add_rule(optarg, NULL, 1);
			break;
		case 'A':
			add_rules_from_file(optarg);
			break;
		case OPT_BIND:
			add_bind_ports(optarg, NULL);
			break;
		case 'l':
			opt_log = optarg;
			break;
		case 'q':
			opt_quiet = 1;
			break;
		case 'v':
			opt_verbose = 1;
			break;
		case 'n':
			opt_dry_run = 1;
			break;
		case OPT_HOSTS:
			opt_hosts = optarg;
			opt_hosts_given = 1;
			break;
		case OPT_STRICT:
			opt_strict = 1;
			break;
		case OPT_SKIP_UNRESOLVED:
			opt_skip_unresolved = 1;
			break;
		case OPT_WAIT_ALL:
			opt_wait_all = 1;
			break;
		case OPT_CHECK:
			opt_check = 1;
			break;
		case OPT_RESOLV:
			opt_resolv = optarg;
			break;
		case OPT_DNS:
			opt_dns_given = 1;
			add_server(optarg, "--dns");
			break;
		case OPT_TIMEOUT:
			set_timeout("--timeout", optarg, &opt_timeout_ms);
			break;
		case OPT_ASK:
			opt_ask = optarg;
			break;
		case OPT_ASK_TIMEOUT:
			set_timeout("--ask-timeout", optarg, &opt_ask_timeout_ms);
			break;
		case OPT_ECH:
			opt_allow_ech = 1;
			break;
		case OPT_PRIVATE_DNS:
			opt_private_dns = 1;
			break;
		case OPT_DENY_UNIX:
			if (deny_unix_add(optarg))
				die_errno("--deny-unix %s", optarg);
			break;
		case OPT_NO_SYSRES:
			opt_no_sysres = 1;
			break;
		case OPT_DENY_ERRNO:
			set_deny_errno(optarg);
			break;
		case OPT_AUDIT:
			opt_audit = 1;
			break;
		case OPT_LEARN:
			opt_learn = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("netpin %s\n", NETPIN_VERSION);
			exit(0);
		case ':':
			if (optopt)
				die("option '-%c' needs an argument (see netpin --help)",
				    optopt);
			die("option '%s' needs an argument (see netpin --help)",
			    argv[optind - 1]);
		default:
			die("unknown option '%s' (see netpin --help)", argv[optind - 1]);
		}
	}
	/* option conflicts, all in one place */
	if (opt_quiet && opt_verbose)
		die("-q and -v cannot be used together");
	if (opt_strict && opt_skip_unresolved)
		die("--strict and --skip-unresolved cannot be used together");
	if (opt_ask && opt_audit)
		die("--ask and --audit cannot be used together (--audit allows "
		    "everything: there is nothing to ask)");
	if (opt_ask && !*opt_ask)
		die("--ask needs a program");
	if (optind >= argc && !opt_dry_run && !opt_check)
		die("no command given (see netpin --help)");
}

/*
 * --check's child: as the command would, a filter with a listener (one
 * that allows every call), handed to netpin; then it waits to be probed.
 * It says the filter's errno first (0: the listener follows).
 */
static void __attribute__((noreturn))
check_child(int sock)
{
	struct sock_filter allow = RET(ALLOW);
	struct sock_fprog prog = { 1, &allow };
	char byte;
	int lfd = -1, e = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* pidfd_getfd is tried on this process, as on the command */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    (lfd = sys_seccomp(SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)) < 0)
		e = errno;
	if (write(sock, &e, sizeof(e)) != (ssize_t)sizeof(e) || (!e && send_fd(sock, lfd)))
		_exit(EXIT_SETUP);
	(void)!read(sock, &byte, 1); /* until netpin is done */
	_exit(0);
}

/* One finding of --check: "NAME: VALUE (why)". */
static void __attribute__((format(printf, 2, 3)))
check_line(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * --check: what this machine (or container) gives netpin, one line each,
 * with no command run: the mediation mode it would use and why, Landlock,
 * synchronous wake-ups, /proc, a free seccomp listener, unix sockets by
 * path; last whether netpin can enforce its rules here.  Returns the exit
 * status: 0 when it can, else EXIT_SETUP.
 */
static int
run_check(void)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif_addfd a = { 0 };
	const char *cannot = NULL;
	int sp[2], e = EIO, lfd = -1, pfd, fd, abi, addfd = 0, getfd_err = 0;
	pid_t pid;

	probed.pid = getpid();
	probe_proc();
	printf("netpin %s: what this machine gives netpin\n", NETPIN_VERSION);
	if (sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		check_line("seccomp", "unavailable (%s: netpin needs seccomp user "
		    "notification, Linux >= 5.0)", strerror(errno));
		cannot = "no seccomp user notification";
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) || (pid = fork()) < 0)
		die_errno("--check: socketpair, fork");
	if (pid == 0) {
		close(sp[0]);
		check_child(sp[1]);
	}
	close(sp[1]);
	if (read(sp[0], &e, sizeof(e)) == (ssize_t)sizeof(e) && !e)
		lfd = recv_fd(sp[0]);
	/* the mode: pidfd_getfd on the child, as on the command */
	if ((pfd = sys_pidfd_open(pid, 0)) < 0 ||
	    (fd = sys_pidfd_getfd(pfd, sp[1])) < 0)
		getfd_err = errno;
	else
		close(fd);
	if (pfd >= 0)
		close(pfd);
	a.id = UINT64_MAX;
	a.srcfd = (uint32_t)sp[0];
	addfd = lfd >= 0 && (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a) == 0 ||
	    errno == ENOENT);
	if (!getfd_err) {
		fd = sys_pidfd_open(getpid(), PIDFD_THREAD);
		check_line("mediation", "pidfd_getfd (%s)", fd >= 0 ?
		    "a pidfd per thread" : "a pidfd per process");
		if (fd >= 0)
			close(fd);
	}
	else if (addfd && probed.proc_own)
		check_line("mediation", "addfd (pidfd_getfd: %s)", strerror(getfd_err));
	else if (lfd >= 0)
		check_line("mediation", "none (pidfd_getfd: %s; the addfd mode needs %s)",
		    strerror(getfd_err), addfd ? "a /proc of netpin's own" :
		    "SECCOMP_IOCTL_NOTIF_ADDFD, Linux >= 5.9"),
		    cannot = cannot ? cannot : "netpin can neither take nor make the "
		    "command's sockets";
	if ((abi = landlock_probe()) > 0)
		check_line("landlock", "ABI %d (%s%s%s)", abi, abi >= 4 ?
		    "direct TCP connect and bind refused by the kernel" :
		    "no TCP rules: the seccomp supervisor alone", abi >= 10 ?
		    "; UDP bind, connect and sends to an address too" : abi >= 4 ?
		    "; no UDP rights (ABI < 10)" : "", abi >= 6 ?
		    "; scopes: signals, abstract unix sockets" : "");
	else
		check_line("landlock", "unavailable (landlock_create_ruleset: %s: "
		    "the seccomp supervisor alone)", strerror(errno));
	if (lfd >= 0)
		check_line("sync wake-up", "%s", ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		    (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0 ? "yes" :
		    "no (Linux < 6.6: slower mediated calls)");
	check_line("proc", "%s", probed.proc_own ? "own" : access("/proc/self", F_OK) ?
	    "none (process names unknown; the addfd mode needs one)" :
	    "foreign (another PID namespace's: not read)");
	if (lfd >= 0) {
		check_line("listener", "free");
	} else {
		check_line("listener", "%s (seccomp(NEW_LISTENER): %s)",
		    e == EBUSY ? "taken" : "refused", strerror(e));
		cannot = cannot ? cannot : e == EBUSY ? "a seccomp listener is taken "
		    "already (another supervisor: a container runtime's agent?)" :
		    "no seccomp listener can be had (netpin under netpin?)";
	}
	if (!unshare(CLONE_FS))
		check_line("unix sockets by path", "yes");
	else if (errno == EPERM)
		check_line("unix sockets by path", "yes (through the command's directory: "
		    "unshare refused; not for a command in a root of its own)");
	else
		check_line("unix sockets by path", "no (unshare(CLONE_FS): %s)",
		    strerror(errno));
	check_line("enforce", cannot ? "no (%s)" : "yes", cannot);
	close(sp[0]);
	if (lfd >= 0)
		close(lfd);
	waitpid(pid, NULL, 0);
	fflush(stdout);
	return cannot ? EXIT_SETUP : 0;
}

int
main(int argc, char **argv)
{
	sigset_t mask, oldmask;
	int sp[2], sfd, status;

	parse_options(argc, argv);
	argv += optind;
	argc -= optind;
	if (opt_check)
		return run_check();
	/* what netpin will write, checked before anything is resolved or run */
	open_log();
	learn_check();
	build_pin_table();
	names_checked_anywhere = rules_check_names();
	if (opt_dry_run) {
		print_pin_table(stdout);
		return 0;
	}
	probed.pid = getpid();
	probe_proc();
	/* nothing of the command may read or trace netpin */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		die_errno("prctl(PR_SET_DUMPABLE)");
	probe_kernel();
	read_sysctls();
	ask_check();
	deny_unix_setup();
	owners_clear();
	if (opt_verbose) {
		print_pin_table(stderr);
		fprintf(stderr, "netpin: layer 1: seccomp supervisor\n");
		landlock_describe(stderr);
	}
	responder_open();
	if (opt_verbose && dns_udp[0] >= 0) {
		char a[DEST_TEXT_MAX];
		struct dest d;

		sockaddr_dest(&dns_udp_addr[0], sizeof(dns_udp_addr[0]), AF_INET, 0, &d);
		format_dest(&d, a, sizeof(a));
		fprintf(stderr, "netpin: pinned DNS: the command's DNS goes to %s\n", a);
	}
	log_start(argc, argv);
	log_pins_of(NULL);

	/* signals are read from a signalfd; the command gets the old mask back */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask))
		die_errno("sigprocmask");
	wake_setup();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die_errno("signalfd");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		die_errno("socketpair");
	fflush(NULL);
	child_pid = fork();
	if (child_pid < 0)
		die_errno("fork");
	if (child_pid == 0) {
		close(sp[0]);
		run_child(argv, sp[1], probed.pid, &oldmask);
	}
	close(sp[1]);
	signal(SIGPIPE, SIG_IGN);
	output_detach();
	choose_mode(sp[0], sp[1]);
	listener = recv_fd(sp[0]);
	if (listener < 0) {
		/* the child said why on stderr */
		waitpid(child_pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_SETUP;
	}
	if (probed.addfd_mode)
		addfd_setup(sp[0]);
	/* Linux 6.6: the command's thread hands its CPU to the receiver it
	 * wakes, and gets it back with the answer (no cross-CPU wake-ups) */
	probed.sync_wake = set_sync_wake();
	if (opt_verbose)
		fprintf(stderr, "netpin: notifications: %s\n", probed.sync_wake ?
		    "synchronous wake-up (Linux 6.6)" :
		    "plain wake-up (no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP before 6.6)");
	if (opt_verbose)
		fprintf(stderr, "netpin: mediation: %s\n", probed.addfd_mode ?
		    "addfd (pidfd_getfd refused: netpin creates the command's sockets)" :
		    probed.thread_pidfd ? "pidfd_getfd (netpin takes the command's "
		    "sockets; a pidfd per thread)" : "pidfd_getfd (netpin takes the "
		    "command's sockets; a pidfd per process)");
	status = supervise(sp[0], sfd, argv[0]);
	askers_end();
	say_processes_left();
	tunnels_drain();
	print_summary();
	/* a learn file that could not be written fails a run that succeeded */
	if (write_learned(argv) && status == 0)
		status = EXIT_SETUP;
	return status;
}

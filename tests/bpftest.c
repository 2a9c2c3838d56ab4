/*
 * bpftest — run netpin's seccomp filter through a small classic-BPF
 * interpreter over crafted seccomp_data, for the decisions this machine's
 * kernel cannot exercise (i386 int 0x80, x32, foreign architectures) and
 * for every other in-kernel verdict.  Prints "ok - ..." / "not ok - ...".
 */
#define main netpin_main
#include "../netpin.c"
#undef main

#define BAD 0xdeadbeefU
#define SELF 4242
#define PGID 4240
/* the audit arches, as the kernel's <linux/audit.h> has them (this test's
 * own numbers, not netpin's) */
#define AUDIT_ARCH_X86_64_ 0xc000003eU
#define AUDIT_ARCH_I386 0x40000003U
#define AUDIT_ARCH_AARCH64_ 0xc00000b7U
#define AUDIT_ARCH_ARM 0x40000028U   /* AArch32, arm64's compat tasks */
#define AUDIT_ARCH_ARMEB 0x00000028U /* AArch32 big-endian */
#define X32_BIT 0x40000000U          /* __X32_SYSCALL_BIT */

static struct sock_filter prog[FILTER_MAX];
static unsigned plen;
static int failures;

static uint32_t
run(const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < plen;) {
		const struct sock_filter *i = &prog[pc++];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof(*d))
				return BAD;
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return BAD;
		}
	}
	return BAD; /* fell off the end */
}

static uint32_t
verdict(uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
    uint64_t a3, uint64_t a4)
{
	struct seccomp_data d = { 0 };

	d.arch = arch;
	d.nr = nr;
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	d.args[3] = a3;
	d.args[4] = a4;
	return run(&d);
}

static const char *mode = "";

static void
expect(const char *what, uint32_t got, uint32_t want)
{
	if (got == want) {
		printf("ok - filter: %s%s\n", mode, what);
		return;
	}
	printf("not ok - filter: %s%s (got %#x, want %#x)\n", mode, what, got, want);
	failures++;
}

#define N(nr, ...) verdict(AUDIT_ARCH_NATIVE, (nr), __VA_ARGS__)

/*
 * A call netpin cannot mediate: the filter sends it to netpin (so that it
 * is said), and netpin's handler refuses it with err, the errno the kernel
 * filter itself used to give.
 */
static void
expect_refused(const char *what, int nr, uint64_t a0, uint64_t a1, uint64_t a2, int err)
{
	struct seccomp_data d = { 0 };
	uint32_t got;
	int e;

	d.arch = AUDIT_ARCH_NATIVE;
	d.nr = nr;
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	got = run(&d);
	if (nr == SYS_setsockopt)
		e = refused_opt((int)a1, (int)a2) ? EPERM : 0;
	else if (nr == SYS_io_uring_setup || nr == SYS_io_uring_enter ||
	    nr == SYS_io_uring_register)
		e = ENOSYS;
	else
		e = socket_refusal(&d);
	if (got == SECCOMP_RET_USER_NOTIF && e == err) {
		printf("ok - filter: %s%s (to netpin, which refuses: %s)\n", mode, what,
		    strerror(err));
		return;
	}
	printf("not ok - filter: %s%s (filter %#x, netpin's errno %d, want %d)\n",
	    mode, what, got, e, err);
	failures++;
}

/*
 * The filter and netpin's handlers[] agree: every system call the filter
 * can send to netpin (over a spread of arguments) has a handler, and every
 * handler's system call can be sent.
 */
static void
check_handlers(void)
{
	static const uint64_t a0s[] = { 0, 1, 3, AF_INET, 16, 17, SELF, SELF + 5 };
	static const uint64_t a1s[] = { 0, 1, SOCK_RAW, IPPROTO_IPV6, SELF, F_SETOWN, FIOSETOWN };
	static const uint64_t a2s[] = { 0, 1, 20, 35, 78 };
	static const uint64_t a4s[] = { 0, 0x1000 };
	int missing = 0, unreached = 0;

	for (int nr = 0; nr < 600; nr++) {
		int notified = 0;

		for (size_t i = 0; i < sizeof(a0s) / sizeof(a0s[0]); i++)
			for (size_t j = 0; j < sizeof(a1s) / sizeof(a1s[0]); j++)
				for (size_t k = 0; k < sizeof(a2s) / sizeof(a2s[0]); k++)
					for (size_t l = 0; l < 2; l++)
						notified |= N(nr, a0s[i], a1s[j], a2s[k], 0,
						    a4s[l]) == SECCOMP_RET_USER_NOTIF;
		if (notified && !handler_for(nr)) {
			printf("# the filter sends system call %d, which has no handler\n", nr);
			missing++;
		}
		/* the addfd mode with --ask sends every call the others
		 * send, and more */
		if (!notified && handler_for(nr) && strstr(mode, "--ask,")) {
			printf("# the handler of %s is never reached\n", handler_for(nr)->name);
			unreached++;
		}
	}
	expect("every system call the filter sends has a handler", (uint32_t)missing, 0);
	if (strstr(mode, "--ask,"))
		expect("every handler's system call can be sent", (uint32_t)unreached, 0);
}

static void
check_structure(void)
{
	int bad = 0;

	/* every jump lands inside the program and every path ends in a return */
	for (unsigned pc = 0; pc < plen; pc++) {
		const struct sock_filter *i = &prog[pc];

		if ((i->code & 0x07) == BPF_JMP &&
		    (pc + 1 + i->jt >= plen || pc + 1 + i->jf >= plen))
			bad++;
	}
	expect("every jump stays inside the program", (uint32_t)bad, 0);
	expect("last instruction returns ALLOW", prog[plen - 1].k, SECCOMP_RET_ALLOW);
	/* no syscall number with any arguments falls off the end */
	bad = 0;
	for (int nr = 0; nr < 600; nr++)
		for (uint64_t v = 0; v < 4; v++)
			if (N(nr, v, v * 3, v * 7, v, v ? 0x100000000ULL : 0) == BAD)
				bad++;
	expect("every syscall 0..599 gets a verdict", (uint32_t)bad, 0);
	check_handlers();
}

/*
 * Only the native ABI passes: the compat ABIs of this architecture (i386
 * and x32 on x86_64, AArch32 on arm64) and every other arch kill.  The
 * numbers are the compat ABI's own (socketcall, connect, read), and the
 * arch and x32 bit are this test's constants, so a wrong AUDIT_ARCH_NATIVE
 * or a lost x32 check in netpin shows here.
 */
static void
check_arches(void)
{
	const uint32_t kill = SECCOMP_RET_KILL_PROCESS, allow = SECCOMP_RET_ALLOW;

#if defined(__x86_64__)
	expect("x86_64 is the native arch (read allowed)",
	    verdict(AUDIT_ARCH_X86_64_, SYS_read, 0, 0, 0, 0, 0), allow);
	/* i386: int 0x80, sysenter */
	expect("i386 socketcall kills", verdict(AUDIT_ARCH_I386, 102, 3, 0, 0, 0, 0), kill);
	expect("i386 connect (362) kills", verdict(AUDIT_ARCH_I386, 362, 3, 0, 0, 0, 0), kill);
	expect("i386 read kills", verdict(AUDIT_ARCH_I386, 3, 0, 0, 0, 0, 0), kill);
	/* x32: the native arch with bit 30 of the number set */
	expect("x32 connect kills", N((int)(X32_BIT | 42), 3, 0, 0, 0, 0), kill);
	expect("x32 sendmsg (518) kills", N((int)(X32_BIT | 518), 3, 0, 0, 0, 0), kill);
	expect("x32 read kills", N((int)X32_BIT, 0, 0, 0, 0, 0), kill);
	expect("syscall -1 kills", N(-1, 0, 0, 0, 0, 0), kill);
	expect("aarch64 arch kills", verdict(AUDIT_ARCH_AARCH64_, SYS_connect, 3, 0, 0, 0, 0), kill);
	expect("AArch32 arch kills", verdict(AUDIT_ARCH_ARM, 283, 3, 0, 0, 0, 0), kill);
#elif defined(__aarch64__)
	expect("aarch64 is the native arch (read allowed)",
	    verdict(AUDIT_ARCH_AARCH64_, SYS_read, 0, 0, 0, 0, 0), allow);
	/* AArch32 (compat) tasks, EABI numbers */
	expect("AArch32 socketcall (102) kills", verdict(AUDIT_ARCH_ARM, 102, 3, 0, 0, 0, 0), kill);
	expect("AArch32 socket (281) kills", verdict(AUDIT_ARCH_ARM, 281, AF_INET, SOCK_STREAM, 0, 0, 0), kill);
	expect("AArch32 connect (283) kills", verdict(AUDIT_ARCH_ARM, 283, 3, 0, 0, 0, 0), kill);
	expect("AArch32 sendto (290) kills", verdict(AUDIT_ARCH_ARM, 290, 3, 0, 0, 0, 0x2000), kill);
	expect("AArch32 sendmsg (296) kills", verdict(AUDIT_ARCH_ARM, 296, 3, 0, 0, 0, 0), kill);
	expect("AArch32 read (3) kills", verdict(AUDIT_ARCH_ARM, 3, 0, 0, 0, 0, 0), kill);
	expect("AArch32 number 0 (restart_syscall) kills", verdict(AUDIT_ARCH_ARM, 0, 0, 0, 0, 0, 0), kill);
	expect("AArch32 big-endian connect kills", verdict(AUDIT_ARCH_ARMEB, 283, 3, 0, 0, 0, 0), kill);
	expect("x86_64 arch kills", verdict(AUDIT_ARCH_X86_64_, 42, 3, 0, 0, 0, 0), kill);
	expect("i386 socketcall kills", verdict(AUDIT_ARCH_I386, 102, 3, 0, 0, 0, 0), kill);
#endif
	expect("arch 0 kills", verdict(0, 0, 0, 0, 0, 0, 0), kill);
	expect("the native arch without its 64-bit flag kills",
	    verdict(AUDIT_ARCH_NATIVE & ~0x80000000U, SYS_connect, 3, 0, 0, 0, 0), kill);
}

int
main(void)
{
	const uint32_t allow = SECCOMP_RET_ALLOW;
	const uint32_t notify = SECCOMP_RET_USER_NOTIF;

	plen = filter_build(prog, SELF, PGID, 0);
	check_structure();

	check_arches();

	/* mediated network calls */
	expect("connect notifies", N(SYS_connect, 3, 0x1000, 16, 0, 0), notify);
	expect("listen notifies", N(SYS_listen, 3, 16, 0, 0, 0), notify);
	expect("bind notifies", N(SYS_bind, 3, 0x1000, 16, 0, 0), notify);
	expect("sendmsg notifies", N(SYS_sendmsg, 3, 0x1000, 0, 0, 0), notify);
	expect("sendmmsg notifies", N(SYS_sendmmsg, 3, 0x1000, 2, 0, 0), notify);
	expect("sendto without address stays in the kernel", N(SYS_sendto, 3, 0x1000, 5, 0, 0), allow);
	expect("sendto with address notifies", N(SYS_sendto, 3, 0x1000, 5, 0, 0x2000), notify);
	expect("sendto address in the high half only notifies",
	    N(SYS_sendto, 3, 0x1000, 5, 0, 0x700000000000ULL), notify);
	expect("recvfrom without an address stays in the kernel", N(SYS_recvfrom, 3, 0x1000, 5, 0, 0), allow);
	expect("recvfrom with an address notifies (pinned DNS)", N(SYS_recvfrom, 3, 0x1000, 5, 0, 0x2000), notify);
	expect("recvfrom address in the high half only notifies",
	    N(SYS_recvfrom, 3, 0x1000, 5, 0, 0x700000000000ULL), notify);

	/* socket(): families, types, protocols */
	expect("socket(AF_INET, STREAM, 0)", N(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0), allow);
	expect("socket(AF_INET6, DGRAM|NONBLOCK|CLOEXEC, UDP)",
	    N(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP, 0, 0), allow);
	expect("socket(AF_INET, STREAM, TCP)", N(SYS_socket, AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0), allow);
	expect("socket(AF_UNIX, any)", N(SYS_socket, AF_UNIX, SOCK_SEQPACKET, 0, 0, 0), allow);
	expect("socket(AF_NETLINK, RAW)", N(SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0, 0), allow);
	expect_refused("raw socket refused", SYS_socket, AF_INET, SOCK_RAW, IPPROTO_UDP, ESOCKTNOSUPPORT);
	expect_refused("ICMP ping socket refused", SYS_socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, EPROTONOSUPPORT);
	expect_refused("ICMPv6 ping socket refused", SYS_socket, AF_INET6, SOCK_DGRAM, 58, EPROTONOSUPPORT);
	expect_refused("MPTCP socket refused", SYS_socket, AF_INET, SOCK_STREAM, 262, EPROTONOSUPPORT);
	expect_refused("SCTP stream socket refused", SYS_socket, AF_INET, SOCK_STREAM, 132, EPROTONOSUPPORT);
	expect_refused("SCTP seqpacket socket refused", SYS_socket, AF_INET6, SOCK_SEQPACKET, 132, ESOCKTNOSUPPORT);
	expect_refused("UDP-Lite refused", SYS_socket, AF_INET, SOCK_DGRAM, 136, EPROTONOSUPPORT);
	expect_refused("AF_PACKET refused", SYS_socket, 17, SOCK_RAW, 0, EAFNOSUPPORT);
	expect_refused("AF_VSOCK refused", SYS_socket, 40, SOCK_STREAM, 0, EAFNOSUPPORT);
	expect_refused("AF_BLUETOOTH refused", SYS_socket, 31, SOCK_STREAM, 0, EAFNOSUPPORT);
	expect_refused("AF_XDP refused", SYS_socket, 44, SOCK_RAW, 0, EAFNOSUPPORT);
	expect_refused("socket family with high bits is its low word", SYS_socket, 0x100000000ULL | 17, SOCK_RAW, 0, EAFNOSUPPORT);

	/* every option of netpin's refused_opts table reaches netpin */
	for (size_t i = 0; i < sizeof(refused_opts) / sizeof(refused_opts[0]); i++) {
		char what[80];

		snprintf(what, sizeof(what), "refused_opts: %s", refused_opts[i].label);
		expect_refused(what, SYS_setsockopt, 3, (uint64_t)refused_opts[i].level,
		    (uint64_t)refused_opts[i].name, EPERM);
	}
	/* route-changing socket options */
	expect_refused("IP_OPTIONS refused", SYS_setsockopt, 3, IPPROTO_IP, IP_OPTIONS, EPERM);
	expect_refused("IPV6_RTHDR refused", SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_RTHDR, EPERM);
	expect_refused("IPV6_ADDRFORM refused", SYS_setsockopt, 3, IPPROTO_IPV6, 1, EPERM);
	expect_refused("IPV6_2292PKTOPTIONS refused", SYS_setsockopt, 3, IPPROTO_IPV6, 6, EPERM);
	expect("SO_REUSEADDR allowed", N(SYS_setsockopt, 3, SOL_SOCKET, SO_REUSEADDR, 0, 0), allow);
	/* a source address the command picks */
	expect_refused("IP_FREEBIND refused", SYS_setsockopt, 3, IPPROTO_IP, IP_FREEBIND_, EPERM);
	expect_refused("IP_TRANSPARENT refused", SYS_setsockopt, 3, IPPROTO_IP, IP_TRANSPARENT_, EPERM);
	expect_refused("IPV6_FREEBIND refused", SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_FREEBIND_, EPERM);
	expect_refused("IPV6_TRANSPARENT refused", SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_TRANSPARENT_, EPERM);
	expect_refused("sticky IPV6_PKTINFO refused", SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_PKTINFO, EPERM);
	expect("IPV6_RECVPKTINFO allowed", N(SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_RECVPKTINFO, 0, 0), allow);
	/* multicast membership: netpin checks the group against the rules */
	for (int o = IP_ADD_MEMBERSHIP_; o <= MCAST_MSFILTER_; o++) {
		char what[64];

		snprintf(what, sizeof(what), "IPPROTO_IP option %d (membership) notifies", o);
		expect(what, N(SYS_setsockopt, 3, IPPROTO_IP, (uint64_t)o, 0, 0), notify);
	}
	expect("IP_MULTICAST_TTL (33) allowed", N(SYS_setsockopt, 3, IPPROTO_IP, 33, 0, 0), allow);
	expect("IP_MULTICAST_ALL (49) allowed", N(SYS_setsockopt, 3, IPPROTO_IP, 49, 0, 0), allow);
	expect("IPV6_ADD_MEMBERSHIP notifies", N(SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP_, 0, 0), notify);
	expect("IPV6_JOIN_ANYCAST notifies", N(SYS_setsockopt, 3, IPPROTO_IPV6, IPV6_JOIN_ANYCAST_, 0, 0), notify);
	expect("IPv6 MCAST_JOIN_SOURCE_GROUP notifies",
	    N(SYS_setsockopt, 3, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP_, 0, 0), notify);
	expect("IPv6 MCAST_MSFILTER notifies", N(SYS_setsockopt, 3, IPPROTO_IPV6, MCAST_MSFILTER_, 0, 0), notify);
	expect("IPV6_V6ONLY (26) allowed", N(SYS_setsockopt, 3, IPPROTO_IPV6, 26, 0, 0), allow);
	expect("IP_TOS allowed", N(SYS_setsockopt, 3, IPPROTO_IP, IP_TOS, 0, 0), allow);

	/* io_uring */
	expect_refused("io_uring_setup ENOSYS", SYS_io_uring_setup, 8, 0, 0, ENOSYS);
	expect_refused("io_uring_enter ENOSYS", SYS_io_uring_enter, 3, 1, 0, ENOSYS);
	expect_refused("io_uring_register ENOSYS", SYS_io_uring_register, 3, 0, 0, ENOSYS);

	/* self-protection */
	expect("ptrace attach netpin", N(SYS_ptrace, 16, SELF, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("ptrace seize netpin", N(SYS_ptrace, 0x4206, SELF, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("ptrace attach of another process is checked (a thread of netpin?)", N(SYS_ptrace, 16, SELF + 1, 0, 0, 0), notify);
	expect("ptrace seize of another process is checked", N(SYS_ptrace, 0x4206, SELF + 1, 0, 0, 0), notify);
	expect("ptrace peek of a tracee stays in the kernel", N(SYS_ptrace, 2, SELF + 1, 0x1000, 0, 0), allow);
	expect("process_vm_writev netpin", N(SYS_process_vm_writev, SELF, 0, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("process_vm_readv netpin", N(SYS_process_vm_readv, SELF, 0, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("pidfd_open netpin", N(SYS_pidfd_open, SELF, 0, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("pidfd_open another is checked (a thread of netpin?)", N(SYS_pidfd_open, SELF + 7, 0, 0, 0, 0), notify);
	expect("kill netpin", N(SYS_kill, SELF, SIGKILL, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("kill -1", N(SYS_kill, (uint32_t)-1, SIGKILL, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("kill netpin's process group", N(SYS_kill, (uint32_t)-PGID, SIGTERM, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("kill another process is checked (a thread of netpin?)", N(SYS_kill, SELF + 1, SIGTERM, 0, 0, 0), notify);
	expect("kill(0) is checked (netpin's process group?)", N(SYS_kill, 0, SIGTERM, 0, 0, 0), notify);
	expect("kill another process group stays in the kernel", N(SYS_kill, (uint32_t)-(PGID + 7), SIGTERM, 0, 0, 0), allow);
	expect("process_vm_readv of another process is checked", N(SYS_process_vm_readv, SELF + 1, 0, 0, 0, 0), notify);
	expect("tkill netpin", N(SYS_tkill, SELF, SIGKILL, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("tkill another thread is checked", N(SYS_tkill, SELF + 3, SIGKILL, 0, 0, 0), notify);
	/* limits, priorities and CPUs: the caller's own at once, others checked */
	expect("prlimit64(0) allowed", N(SYS_prlimit64, 0, RLIMIT_NOFILE, 0x1000, 0, 0), allow);
	expect("prlimit64(pid) checked", N(SYS_prlimit64, SELF, RLIMIT_CPU, 0x1000, 0, 0), notify);
	expect("setpriority(PRIO_PROCESS, 0) allowed", N(SYS_setpriority, PRIO_PROCESS_, 0, 19, 0, 0), allow);
	expect("setpriority(PRIO_PROCESS, pid) checked", N(SYS_setpriority, PRIO_PROCESS_, SELF, 19, 0, 0), notify);
	expect("setpriority(PRIO_PGRP, 0) checked", N(SYS_setpriority, PRIO_PGRP_, 0, 19, 0, 0), notify);
	expect("setpriority(PRIO_USER, 0) checked", N(SYS_setpriority, PRIO_USER_, 0, 19, 0, 0), notify);
	expect("sched_setscheduler(0) allowed", N(SYS_sched_setscheduler, 0, 5, 0x1000, 0, 0), allow);
	expect("sched_setscheduler(pid) checked", N(SYS_sched_setscheduler, SELF, 5, 0x1000, 0, 0), notify);
	expect("sched_setparam(pid) checked", N(SYS_sched_setparam, SELF, 0x1000, 0, 0, 0), notify);
	expect("sched_setaffinity(0) allowed", N(SYS_sched_setaffinity, 0, 8, 0x1000, 0, 0), allow);
	expect("sched_setaffinity(pid) checked", N(SYS_sched_setaffinity, SELF, 8, 0x1000, 0, 0), notify);
	expect("sched_setattr(pid) checked", N(SYS_sched_setattr, SELF, 0x1000, 0, 0, 0), notify);
	expect("ioprio_set(WHO_PROCESS, 0) allowed", N(SYS_ioprio_set, IOPRIO_WHO_PROCESS_, 0, 0, 0, 0), allow);
	expect("ioprio_set(WHO_PROCESS, pid) checked", N(SYS_ioprio_set, IOPRIO_WHO_PROCESS_, SELF, 0, 0, 0), notify);
	expect("ioprio_set(WHO_USER, 0) checked", N(SYS_ioprio_set, IOPRIO_WHO_USER_, 0, 0, 0, 0), notify);
	expect("tgkill netpin", N(SYS_tgkill, SELF, SELF, SIGKILL, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("rt_sigqueueinfo netpin", N(SYS_rt_sigqueueinfo, SELF, SIGKILL, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("rt_tgsigqueueinfo netpin", N(SYS_rt_tgsigqueueinfo, SELF, SELF, SIGKILL, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("second notifier refused",
	    N(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("second notifier with TSYNC refused",
	    N(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | 1, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("plain nested filter allowed", N(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0, 0, 0), allow);
	expect("PR_SET_DUMPABLE 0 is a no-op success", N(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0), SECCOMP_RET_ERRNO | 0);
	expect("PR_SET_DUMPABLE 1 allowed", N(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0), allow);
	expect("PR_SET_NAME allowed", N(SYS_prctl, PR_SET_NAME, 0x1000, 0, 0, 0), allow);

	/* the common path */
	expect("read allowed", N(SYS_read, 0, 0, 0, 0, 0), allow);
	expect("write allowed", N(SYS_write, 1, 0, 0, 0, 0), allow);
	expect("futex allowed", N(SYS_futex, 0, 0, 0, 0, 0), allow);
	expect("openat allowed", N(SYS_openat, 0, 0, 0, 0, 0), allow);
	expect("accept4 allowed", N(SYS_accept4, 3, 0, 0, 0, 0), allow);
	expect("pidfd_getfd allowed (kernel checks ptrace access)", N(SYS_pidfd_getfd, 3, 4, 0, 0, 0), allow);
	expect("socketpair allowed", N(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 0x1000, 0), allow);
	expect_refused("socketpair(AF_INET) refused", SYS_socketpair, AF_INET, SOCK_STREAM, 0, EAFNOSUPPORT);
	expect_refused("socketpair(AF_TIPC) refused", SYS_socketpair, 30, SOCK_DGRAM, 0, EAFNOSUPPORT);
	expect("accept allowed", N(SYS_accept, 3, 0, 0, 0, 0), allow);
	expect("getpeername allowed (no rule checks names)", N(SYS_getpeername, 3, 0, 0, 0, 0), allow);
	names_checked_anywhere = 1;
	plen = filter_build(prog, SELF, PGID, 0);
	expect("getpeername notifies (a rule checks names)", N(SYS_getpeername, 3, 0x1000, 0x2000, 0, 0), notify);

	/* the addfd mode: every socket is made by netpin */
	plen = filter_build(prog, SELF, PGID, 1);
	mode = "addfd mode: ";
	check_structure();
	expect("socket(AF_INET, STREAM, 0) notifies", N(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0), notify);
	expect("socket(AF_INET6, DGRAM|NONBLOCK, UDP) notifies",
	    N(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP, 0, 0), notify);
	expect("socket(AF_UNIX) notifies", N(SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0), notify);
	expect("socket(AF_NETLINK) notifies", N(SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0, 0), notify);
	expect_refused("raw socket still refused in the kernel", SYS_socket, AF_INET, SOCK_RAW, IPPROTO_UDP, ESOCKTNOSUPPORT);
	expect_refused("AF_PACKET still refused in the kernel", SYS_socket, 17, SOCK_RAW, 0, EAFNOSUPPORT);
	expect("socketpair notifies", N(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 0x1000, 0), notify);
	expect_refused("socketpair(AF_INET) still refused in the kernel", SYS_socketpair, AF_INET, SOCK_STREAM, 0, EAFNOSUPPORT);
	expect("accept notifies", N(SYS_accept, 3, 0, 0, 0, 0), notify);
	expect("accept4 notifies", N(SYS_accept4, 3, 0, 0, 0, 0), notify);
	expect("connect notifies", N(SYS_connect, 3, 0x1000, 16, 0, 0), notify);
	expect("read allowed", N(SYS_read, 0, 0, 0, 0, 0), allow);
	expect("ptrace attach netpin refused", N(SYS_ptrace, 16, SELF, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("tgkill allowed (no --ask)", N(SYS_tgkill, SELF + 5, SELF + 5, 0, 0, 0), allow);
	expect("fcntl(F_SETOWN) notifies (whatever Landlock's signal scope)", N(SYS_fcntl, 3, F_SETOWN, SELF, 0, 0), notify);
	expect("ioctl(FIOSETOWN) notifies (whatever Landlock's signal scope)", N(SYS_ioctl, 3, FIOSETOWN, 0x1000, 0, 0), notify);
	expect("kill(-pgid) allowed (no --ask)", N(SYS_kill, (uint32_t)-(PGID + 7), 0, 0, 0, 0), allow);

	/* --ask: signals may be aimed at an asker, whose group is no
	 * number the filter knows; and with the addfd mode, every handler */
	plen = filter_build(prog, SELF, PGID, FILTER_ADDFD | FILTER_ASK);
	mode = "addfd mode, --ask: ";
	check_structure();
	expect("tgkill notifies", N(SYS_tgkill, SELF + 5, SELF + 5, 0, 0, 0), notify);
	expect("rt_sigqueueinfo notifies", N(SYS_rt_sigqueueinfo, SELF + 5, 0, 0, 0, 0), notify);
	expect("rt_tgsigqueueinfo notifies", N(SYS_rt_tgsigqueueinfo, SELF + 5, SELF + 5, 0, 0, 0), notify);
	expect("kill(-pgid) notifies", N(SYS_kill, (uint32_t)-(PGID + 7), 0, 0, 0, 0), notify);
	expect("kill(-1) still refused in the kernel", N(SYS_kill, (uint32_t)-1, 9, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("tgkill of netpin still refused in the kernel", N(SYS_tgkill, SELF, SELF, 0, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	expect("fcntl(F_SETOWN) notifies", N(SYS_fcntl, 3, F_SETOWN, SELF, 0, 0), notify);
	expect("fcntl(F_SETOWN_EX) notifies", N(SYS_fcntl, 3, F_SETOWN_EX, 0x1000, 0, 0), notify);
	expect("fcntl(F_SETFL) allowed", N(SYS_fcntl, 3, F_SETFL, O_NONBLOCK, 0, 0), allow);
	expect("ioctl(FIOSETOWN) notifies", N(SYS_ioctl, 3, FIOSETOWN, 0x1000, 0, 0), notify);
	expect("ioctl(SIOCSPGRP) notifies", N(SYS_ioctl, 3, SIOCSPGRP, 0x1000, 0, 0), notify);
	expect("ioctl(FIONBIO) allowed", N(SYS_ioctl, 3, FIONBIO, 0x1000, 0, 0), allow);
	return failures ? 1 : 0;
}

/*
 * fuzz — libFuzzer targets for netpin's parsers of hostile input, one
 * binary (netpin.c is compiled once), the target named by FUZZ_TARGET:
 *   dns       dns_parse_reply, dns_decode_name (replies from the net)
 *   rule      parse_rule (the command line, allow-files)
 *   sockaddr  sockaddr_dest, unix_path_named (the command's sockaddrs)
 *   cmsg      take_control (the command's control messages)
 *   wire      tls_server_name, tls_stream_next, tls_server_feed,
 *             http_request_host, http_stream_next (a checked connection's
 *             first bytes, the command's)
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined tests/fuzz.c
 * Run:   FUZZ_TARGET=dns tests/fuzz -max_total_time=60 CORPUS
 */
#define main netpin_main
#include "../netpin.c"
#undef main

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
fuzz_dns(const uint8_t *d, size_t n)
{
	static const char *names[] = { "www.example.com", "a", "x.test" };
	struct dns_answer ans;
	char name[DNS_TEXT_MAX];
	size_t off;
	uint16_t id = n >= 2 ? get16(d) : 0;

	for (size_t i = 0; i < 3; i++) {
		dns_parse_reply(d, n, names[i], T_A, id, &ans);
		dns_parse_reply(d, n, names[i], T_AAAA, id, &ans);
	}
	for (off = 0; off < n && off < 64; off++) {
		size_t o = off;

		if (dns_decode_name(d, n, &o, name) != 0)
			continue;
		/* within the packet, and text that is safe to print */
		if (o > n || strlen(name) >= DNS_TEXT_MAX ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.\\") != strlen(name))
			__builtin_trap();
	}
	return 0;
}
static int
fuzz_rule(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	struct rule r;

	memcpy(s, d, n);
	s[n] = '\0';
	if (!parse_rule(s, &r)) {
		/* what was accepted is well formed */
		if (r.kind == R_ADDR && (r.plen < 0 || r.plen > (r.family == AF_INET ? 32 : 128)))
			__builtin_trap();
		for (int i = 0; i < r.nports; i++)
			if (r.ports[i].lo > r.ports[i].hi)
				__builtin_trap();
		if ((r.kind == R_NAME || r.kind == R_WILDCARD) && !valid_hostname(r.name))
			__builtin_trap();
	}
	free(r.text);
	free(r.name);
	free(r.ports);
	free(s);
	return 0;
}
static int
fuzz_sockaddr(const uint8_t *d, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len, old;
	struct dest dst;

	if (n < 1 || n - 1 > sizeof(ss))
		return 0;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, d + 1, n - 1);
	len = (socklen_t)(n - 1);
	for (int dom = 0; dom < 3; dom++) {
		int rc = sockaddr_dest(&ss, len, dom == 0 ? AF_INET : AF_INET6, d[0] & 1, &dst);

		if (rc == ADDR_DEST && dst.family != AF_INET && dst.family != AF_INET6)
			__builtin_trap();
	}
	old = len;
	(void)unix_path_named(&ss, len);
	if (len != old)
		__builtin_trap();
	return 0;
}
static int
fuzz_cmsg(const uint8_t *d, size_t n)
{
	struct call c;
	struct msgbuf m;

	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	c.pidfd = -1;
	c.tid = 0; /* take_fd then fails: only the parsing is exercised */
	m.control = malloc(n ? n : 1);
	memcpy(m.control, d, n);
	m.controllen = n;
	take_control(&c, &m);
	for (int i = 0; i < m.nfds; i++)
		close(m.fds[i]);
	free(m.fds);
	free(m.control);
	return 0;
}
static int
fuzz_wire(const uint8_t *d, size_t n)
{
	char name[256];
	const char *why;
	struct http_body body;
	struct http_stream h = { H_HEAD, 0 };
	struct tls_stream ts;
	int ech;
	size_t head, used, off = 0;
	uint8_t *copy = malloc(n ? n : 1);  /* exactly n bytes: ASan sees overreads */

	memcpy(copy, d, n);
	tls_server_name(copy, n, name, sizeof(name), &ech, &head, &why);
	http_request_host(copy, n, name, sizeof(name), &head, &body, &why);
	/* the stream, as a checked connection reads it: every head passed */
	while (http_stream_next(&h, copy + off, n - off, &used, &head, name,
	    sizeof(name), &why) == WIRE_NAME)
		off += used + head;
	/* a TLS client's records, then the same bytes as a server's */
	memset(&ts, 0, sizeof(ts));
	for (off = 0; tls_stream_next(&ts, copy + off, n - off, &used, &head, name,
	    sizeof(name), &why) == WIRE_NAME; )
		off += used + head;
	memset(&ts, 0, sizeof(ts));
	tls_server_feed(&ts, copy, n);
	free(copy);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
} targets[] = {
	{ "dns", fuzz_dns }, { "rule", fuzz_rule },
	{ "sockaddr", fuzz_sockaddr }, { "cmsg", fuzz_cmsg }, { "wire", fuzz_wire },
};
static int (*target)(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("FUZZ_TARGET");

	(void)argc;
	(void)argv;
	for (size_t i = 0; t && i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(t, targets[i].name))
			target = targets[i].fn;
	if (!target) {
		fprintf(stderr, "fuzz: FUZZ_TARGET must be dns, rule, sockaddr, cmsg or wire\n");
		exit(2);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return target(d, n);
}

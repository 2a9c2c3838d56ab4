/*
 * unit — table-driven tests of netpin's parsers and of its one decision,
 * built with netpin.c itself (as bpftest is): rules, port lists and
 * allow-files, --dns servers, sockaddrs as destinations, the decision over
 * the pin table, the rebinding guard, the DNS wire format (names, queries,
 * replies), the pinned-DNS responder's answers, and names in the
 * connection (what a connection must name, TLS ClientHellos, HTTP heads).
 * No network, no netpin process, no root: it runs in milliseconds.
 *
 * Each row prints "ok - unit: AREA: what" or
 * "not ok - unit: AREA: what (got 'X', want 'Y')"; the exit status is 1
 * when a row failed.  Rows whose function may die() (exit) run in a child.
 *
 * The rows of bugs found and fixed (issue 17's items 5 and 13, a NUL in a
 * label, trailing dots, hyphens) sit in tables of their own at the end.
 */
#define main netpin_main
#include "../netpin.c"
#undef main

#include <sys/mman.h>

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))
#define OUT 4096

static int failures;
static const struct asker unit_asker = { 4242, "unit" }; /* who asks pinned DNS */

/* X as it can be printed on one line */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++)
		if (*s >= 0x20 && *s < 0x7f && *s != '\\')
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", (unsigned char)*s);
	buf[o] = '\0';
	return buf;
}

static void
check(const char *area, const char *what, const char *got, const char *want)
{
	char g[OUT * 2], w[OUT * 2];

	if (!strcmp(got, want)) {
		printf("ok - unit: %s: %s\n", area, what);
		return;
	}
	printf("not ok - unit: %s: %s (got '%s', want '%s')\n", area, what,
	    printable(got, g, sizeof(g)), printable(want, w, sizeof(w)));
	failures++;
}

/* ---- helpers: stderr, children, files, packets ------------------------------ */

/* netpin's warnings go to a memory file while a row runs (a row may read
 * them); they are not the test's output */
static int saved_stderr = -1, stderr_file = -1;

static void
stderr_begin(void)
{
	fflush(stderr);
	stderr_file = memfd_create("unit-stderr", MFD_CLOEXEC);
	saved_stderr = dup(2);
	if (stderr_file < 0 || saved_stderr < 0 || dup2(stderr_file, 2) < 0) {
		perror("unit: memfd_create/dup");
		exit(2);
	}
}

/* Restore stderr; the number of lines written meanwhile, and their text. */
static int
stderr_end(char *text, size_t len)
{
	char buf[OUT];
	ssize_t n;
	int lines = 0;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	n = pread(stderr_file, buf, sizeof(buf) - 1, 0);
	close(stderr_file);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	if (text)
		snprintf(text, len, "%s", buf);
	return lines;
}

/*
 * Run fn in a child, for functions that die() (exit) on bad input: its
 * result is what fn wrote, else "exit N: " and the first line it printed.
 */
static char *shared; /* one page shared with the child */

static void
in_child(void (*fn)(const void *, char *, size_t), const void *arg, char *out,
    size_t len)
{
	char line[OUT];
	pid_t pid;
	int st;

	fflush(stdout);
	shared[0] = '\0';
	stderr_begin();
	if ((pid = fork()) < 0) {
		perror("unit: fork");
		exit(2);
	}
	if (pid == 0) {
		fn(arg, shared, OUT);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	stderr_end(line, sizeof(line));
	line[strcspn(line, "\n")] = '\0'; /* the first line */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		snprintf(out, len, "%s", shared);
	else if (WIFEXITED(st))
		snprintf(out, len, "exit %d: %.2000s", WEXITSTATUS(st), line);
	else
		snprintf(out, len, "signal %d: %.2000s", WTERMSIG(st), line);
}

/* A file with this text, as a path that netpin can open. */
static void
text_file(const char *text, char *path, size_t len)
{
	int fd = memfd_create("unit-file", 0);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("unit: memfd_create");
		exit(2);
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
}

/*
 * A packet from a spec of space-separated tokens: hex bytes ("8180"),
 * "=a.b" a name in labels ("=" the root), "'a.b" one label (dots and all),
 * "^N" a compression pointer to offset N, "A:x" / "AAAA:x" an address,
 * "<" ... ">" the 16-bit length of what is between (RDLENGTH).
 * Returns the length, or 0 when the spec does not parse.
 */
static size_t
assemble(const char *spec, uint8_t *out, size_t cap)
{
	size_t o = 0, open = 0;
	int opened = 0;

	while (*spec) {
		char tok[512];
		size_t n = strcspn(spec, " \n");

		if (n == 0) {
			spec++;
			continue;
		}
		if (n >= sizeof(tok))
			return 0;
		memcpy(tok, spec, n);
		tok[n] = '\0';
		spec += n;
		if (o + 300 > cap)
			return 0;
		if (tok[0] == '=') {
			for (char *l = tok + 1; *l;) {
				size_t ll = strcspn(l, ".");

				out[o++] = (uint8_t)ll;
				memcpy(out + o, l, ll);
				o += ll;
				l += ll + (l[ll] == '.');
			}
			out[o++] = 0;
		} else if (tok[0] == '\'') {
			out[o++] = (uint8_t)(n - 1);
			memcpy(out + o, tok + 1, n - 1);
			o += n - 1;
		} else if (tok[0] == '^') {
			long off = strtol(tok + 1, NULL, 10);

			out[o++] = (uint8_t)(0xc0 | (off >> 8));
			out[o++] = (uint8_t)off;
		} else if (!strncmp(tok, "A:", 2)) {
			if (inet_pton(AF_INET, tok + 2, out + o) != 1)
				return 0;
			o += 4;
		} else if (!strncmp(tok, "AAAA:", 5)) {
			if (inet_pton(AF_INET6, tok + 5, out + o) != 1)
				return 0;
			o += 16;
		} else if (!strcmp(tok, "<")) {
			open = o;
			opened = 1;
			o += 2;
		} else if (!strcmp(tok, ">")) {
			if (!opened)
				return 0;
			out[open] = (uint8_t)((o - open - 2) >> 8);
			out[open + 1] = (uint8_t)(o - open - 2);
			opened = 0;
		} else {
			if (n % 2)
				return 0;
			for (size_t i = 0; i < n; i += 2) {
				unsigned v;

				if (!isxdigit((unsigned char)tok[i]) ||
				    !isxdigit((unsigned char)tok[i + 1]) ||
				    sscanf(tok + i, "%2x", &v) != 1)
					return 0;
				out[o++] = (uint8_t)v;
			}
		}
	}
	return opened ? 0 : o;
}

static void
hex(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 3 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%02x", p[i]);
}

/* a destination from "1.2.3.4" or "2001:db8::1" and a port */
static int
dest_from(const char *addr, unsigned port, struct dest *d)
{
	memset(d, 0, sizeof(*d));
	d->port = (uint16_t)port;
	if (inet_pton(AF_INET, addr, d->addr) == 1)
		d->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, d->addr) == 1)
		d->family = AF_INET6;
	else
		return -1;
	return 0;
}

static int
proto_of(const char *s)
{
	return !strcmp(s, "tcp") ? P_TCP : !strcmp(s, "udp") ? P_UDP : 0;
}

/* ---- rules ----------------------------------------------------------------- */

/* "name tcp,udp example.com 80,443-444": a parsed rule as one line */
static void
format_rule(const struct rule *r, char *out, size_t len)
{
	static const char *const kind[] = { "addr", "name", "wildcard" };
	static const char *const check[] = { "", " tls", " http", " raw" };
	char a[INET6_ADDRSTRLEN], what[INET6_ADDRSTRLEN + 8] = "", ports[OUT] = "*";
	size_t o = 0;

	if (r->kind == R_ADDR) {
		format_addr(r->family, r->addr, a, sizeof(a));
		snprintf(what, sizeof(what), "%s/%d", a, r->plen);
	}
	for (int i = 0; i < r->nports && o + 16 < sizeof(ports); i++)
		o += (size_t)snprintf(ports + o, sizeof(ports) - o,
		    r->ports[i].lo == r->ports[i].hi ? "%s%u" : "%s%u-%u",
		    i ? "," : "", r->ports[i].lo, r->ports[i].hi);
	snprintf(out, len, "%s %s %s %s%s", kind[r->kind],
	    r->protos == (P_TCP | P_UDP) ? "tcp,udp" : r->protos == P_TCP ? "tcp" : "udp",
	    r->kind == R_ADDR ? what : r->name, ports, check[r->check]);
}

static void
free_rule(struct rule *r)
{
	free(r->text);
	free(r->name);
	free(r->ports);
}

#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L64 L63 "a"
#define NAME253 L63 "." L63 "." L63 "." "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NAME254 NAME253 "c"

struct text_row {
	const char *text, *want;
};

static const struct text_row rule_rows[] = {
	/* names */
	{ "example.com", "name tcp,udp example.com *" },
	{ "EXAMPLE.Com:443", "name tcp,udp example.com 443" },
	{ "tcp:example.com:443", "name tcp example.com 443" },
	{ "UDP:ns.example:53", "name udp ns.example 53" },
	{ "example.com:80,443,8000-8999", "name tcp,udp example.com 80,443,8000-8999" },
	{ "under_score-x.example", "name tcp,udp under_score-x.example *" },
	{ L63 ".example", "name tcp,udp " L63 ".example *" },
	{ L64 ".example", "error: not a host name or address" },
	{ NAME253, "name tcp,udp " NAME253 " *" },
	{ NAME254, "error: not a host name or address" },
	{ "a..example", "error: not a host name or address" },
	/* nothing that reads as a number is a name (inet_aton's forms) */
	{ "300.1.1.1", "error: not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" },
	{ "1.2.3", "error: not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" },
	{ "010.0.0.1", "error: not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" },
	{ "example.0x7f", "error: not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" },
	{ "2130706433:80", "error: not an IPv4 address (four decimal numbers 0-255, as 192.0.2.1)" },
	{ "0x7f.example", "name tcp,udp 0x7f.example *" },
	{ "a1.example.x1", "name tcp,udp a1.example.x1 *" },
	{ "example.com.", "name tcp,udp example.com *" },
	{ ".example", "error: not a host name or address" },
	{ "exa mple.com", "error: not a host name or address" },
	{ "*example.com", "error: not a host name or address" },
	{ "a.*.example.com", "error: not a host name or address" },
	/* wildcards */
	{ "*.example.com", "wildcard tcp,udp example.com *" },
	{ "tcp:*.example.com:443", "wildcard tcp example.com 443" },
	{ "*.", "error: bad wildcard name" },
	{ "*.*.example.com", "error: bad wildcard name" },
	{ "*..example.com", "error: bad wildcard name" },
	/* IPv4 */
	{ "1.2.3.4", "addr tcp,udp 1.2.3.4/32 *" },
	{ "TCP:1.2.3.4:22", "addr tcp 1.2.3.4/32 22" },
	{ "udp:10.0.0.53:53", "addr udp 10.0.0.53/32 53" },
	{ "10.0.0.0/8:443", "addr tcp,udp 10.0.0.0/8 443" },
	{ "0.0.0.0/0", "addr tcp,udp 0.0.0.0/0 *" },
	{ "10.0.0.0/32", "addr tcp,udp 10.0.0.0/32 *" },
	{ "10.0.0.0/33", "error: bad prefix length" },
	{ "10.0.0.0/", "error: bad prefix length" },
	{ "10.0.0.0/-1", "error: bad prefix length" },
	{ "10.0.0.0/8/8", "error: bad prefix length" },
	{ "1.2.3.4/x:80", "error: bad prefix length" },
	/* bits past the prefix: the network or the host?  Not guessed */
	{ "10.0.0.1/8", "error: bits set past the prefix length: write the network "
	    "by its first address (10.0.0.0/8, not 10.0.0.1/8), or the host alone" },
	{ "10.0.0.128/25", "addr tcp,udp 10.0.0.128/25 *" },
	{ "10.0.0.129/25", "error: bits set past the prefix length: write the network "
	    "by its first address (10.0.0.0/8, not 10.0.0.1/8), or the host alone" },
	{ "[2001:db8::1]/32", "error: bits set past the prefix length: write the network "
	    "by its first address (10.0.0.0/8, not 10.0.0.1/8), or the host alone" },
	/* a URL's path */
	{ "example.com/path", "error: a rule takes a host, not a URL's path (for "
	    "example.com/path write example.com)" },
	{ "300.1.1.1/8", "error: not an IPv4 or IPv6 address" },
	/* IPv6 */
	{ "::1", "addr tcp,udp ::1/128 *" },
	{ "2001:db8::1", "addr tcp,udp 2001:db8::1/128 *" },
	{ "2001:db8::/32", "addr tcp,udp 2001:db8::/32 *" },
	{ "[2001:db8::1]:443", "addr tcp,udp 2001:db8::1/128 443" },
	{ "tcp:[::1]:8080", "addr tcp ::1/128 8080" },
	{ "[2001:db8::]/32:80,443", "addr tcp,udp 2001:db8::/32 80,443" },
	{ "[2001:db8::]/32", "addr tcp,udp 2001:db8::/32 *" },
	{ "[2001:db8::1]", "addr tcp,udp 2001:db8::1/128 *" },
	{ "[::]/0:53", "addr tcp,udp ::/0 53" },
	{ "[2001:db8::]/129", "error: bad prefix length" },
	{ "[2001:db8::1", "error: missing ']' after IPv6 address" },
	{ "[2001:db8::1]x", "error: unexpected text after ']'" },
	{ "[1.2.3.4]:80", "error: not an IPv4 or IPv6 address" },
	{ "[example.com]:80", "error: not an IPv4 or IPv6 address" },
	{ "[]:80", "error: missing host" },
	{ "2001:db8::zz", "error: not an IPv4 or IPv6 address" },
	{ "example.com:80:90", "error: not an IPv4 or IPv6 address" },
	/* names in the connection */
	{ "tls:example.com:443,8443", "name tcp example.com 443,8443 tls" },
	{ "HTTP:web.example:8080", "name tcp web.example 8080 http" },
	{ "raw:git.example.com:22", "name tcp,udp git.example.com 22 raw" },
	{ "raw:*.cdn.example:443", "wildcard tcp,udp cdn.example 443 raw" },
	{ "tls:10.0.0.1:443", "error: tls:, http: and raw: say how a name is checked in the connection: they go with host names, not addresses" },
	{ "raw:[::1]:22", "error: tls:, http: and raw: say how a name is checked in the connection: they go with host names, not addresses" },
	{ "tls:tcp:example.com", "error: one protocol prefix at most: tcp:, udp:, tls:, http: or raw: (no prefix: tcp and udp)" },
	{ "http:example.com", "name tcp example.com * http" },
	{ "sctp:example.com:80", "error: unknown protocol prefix: tcp:, udp:, tls:, http: or raw: (no prefix: tcp and udp)" },
	/* a zone only on a link-local address, and only an interface that exists */
	{ "[fe80::1%lo]:80", "addr tcp,udp fe80::1/128 80" },
	{ "[fe80::1%1]", "addr tcp,udp fe80::1/128 *" },
	{ "fe80::1%nosuchif0", "error: no such network interface for the zone" },
	{ "[2001:db8::1%lo]", "error: a zone (%) goes only with a link-local IPv6 address (fe80::/10)" },
	{ "127.0.0.1%lo", "error: a zone (%) goes only with a link-local IPv6 address (fe80::/10)" },
	/* IPv4-mapped IPv6 is IPv4 */
	{ "::ffff:10.0.0.1", "addr tcp,udp 10.0.0.1/32 *" },
	{ "[::ffff:10.0.0.1]:80", "addr tcp,udp 10.0.0.1/32 80" },
	{ "[::ffff:10.0.0.0]/8", "addr tcp,udp 10.0.0.0/8 *" },
	{ "[::ffff:10.0.0.0]/104", "error: bad prefix length" },
	{ "::ffff:0:10.0.0.1", "addr tcp,udp ::ffff:0:a00:1/128 *" },
	/* ports */
	{ "example.com:0", "name tcp,udp example.com 0" },
	{ "example.com:65535", "name tcp,udp example.com 65535" },
	{ "example.com:65536", "error: ports must be N, N-M or a comma-separated list of those (0-65535)" },
	{ "example.com:", "error: empty port list" },
	{ "example.com:443-80", "error: port range runs backwards" },
	/* the host */
	{ "", "error: missing host" },
	{ ":80", "error: missing host" },
	{ "tcp:", "error: missing host" },
	{ "udp::53", "error: missing host" },
};

static void
run_rule_rows(const char *area, const struct text_row *rows, size_t n)
{
	char got[OUT], what[OUT];

	for (size_t i = 0; i < n; i++) {
		struct rule r;
		const char *err = parse_rule(rows[i].text, &r);

		if (err)
			snprintf(got, sizeof(got), "error: %s", err);
		else
			format_rule(&r, got, sizeof(got));
		/* the text is kept as the user wrote it, for messages and the log */
		if (strcmp(r.text, rows[i].text))
			snprintf(got, sizeof(got), "text '%s'", r.text);
		snprintf(what, sizeof(what), "'%.300s'", rows[i].text);
		check(area, what, got, rows[i].want);
		free_rule(&r);
	}
}

static const struct { const char *text, *want; } ports_rows[] = {
	{ "80", "80" },
	{ "0", "0" },
	{ "65535", "65535" },
	{ "80,443", "80,443" },
	{ "8000-8999", "8000-8999" },
	{ "0-65535", "0-65535" },
	{ "53,80-81,443", "53,80-81,443" },
	{ "80-80", "80" },
	{ "00080", "80" },
	{ "", "error: empty port list" },
	{ "65536", "error: ports" },
	{ "99999999999", "error: ports" },
	{ "-1", "error: ports" },
	{ "+80", "error: ports" },
	{ " 80", "error: ports" },
	{ "80 ", "error: ports" },
	{ "80,", "error: ports" },
	{ ",80", "error: ports" },
	{ "80,,443", "error: ports" },
	{ "80-", "error: ports" },
	{ "-80", "error: ports" },
	{ "80-90-100", "error: ports" },
	{ "0x50", "error: ports" },
	{ "http", "error: ports" },
	{ "443-80", "error: port range runs backwards" },
};

static void
test_ports(void)
{
	char got[OUT], what[OUT];

	for (size_t i = 0; i < NROWS(ports_rows); i++) {
		struct portrange *r = NULL;
		const char *err;
		int n = 0;
		size_t o = 0;

		err = parse_ports(ports_rows[i].text, &r, &n);
		if (err && !strncmp(err, "ports must be", 13))
			snprintf(got, sizeof(got), "error: ports");
		else if (err)
			snprintf(got, sizeof(got), "error: %s", err);
		else
			for (int j = 0; j < n; j++)
				o += (size_t)snprintf(got + o, sizeof(got) - o,
				    r[j].lo == r[j].hi ? "%s%u" : "%s%u-%u",
				    j ? "," : "", r[j].lo, r[j].hi);
		snprintf(what, sizeof(what), "'%s'", ports_rows[i].text);
		check("ports", what, got, ports_rows[i].want);
		if (!err)
			free(r);
	}
}

static const struct { const char *ports; unsigned port; int want; } match_rows[] = {
	{ "", 0, 1 },       /* no list: every port */
	{ "", 65535, 1 },
	{ "80-90", 79, 0 },
	{ "80-90", 80, 1 },
	{ "80-90", 90, 1 },
	{ "80-90", 91, 0 },
	{ "22,443", 443, 1 },
	{ "22,443", 80, 0 },
	{ "0", 0, 1 },
	{ "0", 1, 0 },
	{ "65535", 65535, 1 },
};

static void
test_ports_match(void)
{
	char got[8], want[8], what[64];

	for (size_t i = 0; i < NROWS(match_rows); i++) {
		struct portrange *r = NULL;
		int n = 0;

		if (*match_rows[i].ports && parse_ports(match_rows[i].ports, &r, &n)) {
			check("ports match", match_rows[i].ports, "bad row", "");
			continue;
		}
		snprintf(got, sizeof(got), "%d", ports_match(r, n, match_rows[i].port));
		snprintf(want, sizeof(want), "%d", match_rows[i].want);
		snprintf(what, sizeof(what), "port %u in '%s'", match_rows[i].port,
		    *match_rows[i].ports ? match_rows[i].ports : "(every port)");
		check("ports match", what, got, want);
		free(r);
	}
}

/* ---- allow-files -------------------------------------------------------------- */

struct allow_file_row {
	const char *what, *text, *want;  /* text NULL: a missing file */
};

static const struct allow_file_row allow_file_rows[] = {
	{ "one rule", "example.com:443\n", "example.com:443" },
	{ "comments, blank lines and spaces",
	    "# netpin rules\n\n   \n\texample.com:443   # the API\n  udp:10.0.0.53:53\t\n#\n",
	    "example.com:443 | udp:10.0.0.53:53" },
	{ "CRLF line ends", "example.com:443\r\n1.2.3.4\r\n", "example.com:443 | 1.2.3.4" },
	{ "no newline at the end", "a.example\nb.example", "a.example | b.example" },
	{ "an empty file", "", "" },
	{ "only comments", "# nothing\n#\n", "" },
	{ "--bind lines", "--bind 8080\n--bind\t9000-9001,9005\nexample.com\n",
	    "example.com ; bind 8080,9000-9001,9005" },
	{ "--bind with spaces before its ports", "--bind    8080\n", "; bind 8080" },
	{ "a line of 1022 characters", L63 "." L63 "." L63 ":80 #"
	    L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 "aaaaaaa\n",
	    L63 "." L63 "." L63 ":80" },
	{ "a line of 1023 characters",
	    L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 "aaaaaaaaaaaaaaa\n",
	    "exit 125: netpin: FILE:1: line too long" },
	{ "a bad rule names the file and line", "example.com\n\nnot a rule\n",
	    "exit 125: netpin: FILE:3: bad rule 'not a rule': not a host name or address" },
	{ "a bad port", "example.com:http\n",
	    "exit 125: netpin: FILE:1: bad rule 'example.com:http': ports must be N, N-M or a comma-separated list of those (0-65535)" },
	{ "a bad --bind", "--bind 80-\n",
	    "exit 125: netpin: FILE:1: bad --bind '80-': ports must be N, N-M or a comma-separated list of those (0-65535)" },
	{ "--binder is no option an allow-file may hold", "--binder 80\n",
	    "exit 125: netpin: FILE:1: '--binder 80': an allow-file holds RULEs (one a line) and '--bind PORTS' lines, no other options" },
	{ "a missing file", NULL,
	    "exit 125: netpin: --allow-file FILE: No such file or directory" },
};

static void
allow_file_child(const void *arg, char *out, size_t len)
{
	size_t o = 0;

	rules = NULL; /* a child: what it leaves goes with it */
	nrules = 0;
	bind_ports = NULL;
	nbind_ports = 0;
	add_rules_from_file(arg);
	for (int i = 0; i < nrules; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " | " : "", rules[i].text);
	for (int i = 0; i < nbind_ports; i++)
		o += (size_t)snprintf(out + o, len - o,
		    bind_ports[i].lo == bind_ports[i].hi ? "%s%u" : "%s%u-%u",
		    i ? "," : nrules ? " ; bind " : "; bind ", bind_ports[i].lo,
		    bind_ports[i].hi);
}

static void
run_allow_file_rows(const char *area, const struct allow_file_row *rows,
    size_t n)
{
	char path[64], got[OUT], fixed[OUT];

	for (size_t i = 0; i < n; i++) {
		char *at;

		if (rows[i].text)
			text_file(rows[i].text, path, sizeof(path));
		else
			snprintf(path, sizeof(path), "/nonexistent/netpin-unit");
		/* a fresh child each: rules are global, and bad lines exit */
		in_child(allow_file_child, path, got, sizeof(got));
		if (rows[i].text)
			close(atoi(path + strlen("/proc/self/fd/")));
		/* the file's name is the row's FILE */
		if ((at = strstr(got, path))) {
			snprintf(fixed, sizeof(fixed), "%.*sFILE%s", (int)(at - got), got,
			    at + strlen(path));
			snprintf(got, sizeof(got), "%s", fixed);
		}
		check(area, rows[i].what, got, rows[i].want);
	}
}

/* ---- --dns servers ---------------------------------------------------------------- */

static const struct { const char *text, *want; } server_rows[] = {
	{ "10.0.0.53", "10.0.0.53:53" },
	{ "10.0.0.53:5353", "10.0.0.53:5353" },
	{ "::1", "[::1]:53" },
	{ "2001:db8::53", "[2001:db8::53]:53" },
	{ "[2001:db8::53]", "[2001:db8::53]:53" },
	{ "[::1]:5353", "[::1]:5353" },
	{ "[::ffff:127.0.0.1]:53", "[::ffff:127.0.0.1]:53" },
	{ "10.0.0.53:0", "error" },
	{ "10.0.0.53:65536", "error" },
	{ "10.0.0.53:", "error" },
	{ "10.0.0.53:x", "error" },
	{ "dns.example", "error" },
	{ "[::1", "error" },
	{ "[::1]x", "error" },
	{ "[::1]:", "error" },
	{ "[10.0.0.53]:53", "10.0.0.53:53" }, /* brackets are not only for IPv6 */
	{ "", "error" },
};

static void
test_servers(void)
{
	char got[OUT], what[OUT], a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < NROWS(server_rows); i++) {
		struct nameserver ns;
		struct dest d;

		if (parse_server(server_rows[i].text, &ns) ||
		    sockaddr_dest(&ns.ss, ns.len, ns.ss.ss_family, 0, &d) != ADDR_DEST)
			snprintf(got, sizeof(got), "error");
		else if (ns.ss.ss_family == AF_INET6 && d.family == AF_INET)
			snprintf(got, sizeof(got), "[::ffff:%s]:%u",
			    inet_ntop(AF_INET, d.addr, a, sizeof(a)), d.port);
		else
			format_dest(&d, got, sizeof(got));
		snprintf(what, sizeof(what), "'%s'", server_rows[i].text);
		check("dns-server", what, got, server_rows[i].want);
	}
}

/* ---- sockaddrs as destinations ------------------------------------------------------ */

#define V4 AF_INET
#define V6 AF_INET6
#define UNSPEC AF_UNSPEC

static const struct {
	const char *what;
	int family;          /* sa_family as the command wrote it */
	const char *addr;    /* an IPv4 address goes where sin_addr is */
	unsigned port;
	socklen_t len;
	int dom, unspec_v4;  /* the socket's family; AF_UNSPEC is IPv4 (bind, UDP send) */
	const char *want;    /* the destination, "none", or an errno name */
} sockaddr_rows[] = {
	{ "IPv4", V4, "1.2.3.4", 80, 16, V4, 0, "1.2.3.4:80" },
	{ "IPv4, port 0", V4, "1.2.3.4", 0, 16, V4, 0, "1.2.3.4:0" },
	{ "IPv4, port 65535", V4, "1.2.3.4", 65535, 16, V4, 0, "1.2.3.4:65535" },
	{ "IPv4, 15 bytes", V4, "1.2.3.4", 80, 15, V4, 0, "EINVAL" },
	{ "IPv4, 8 bytes", V4, "1.2.3.4", 80, 8, V4, 0, "EINVAL" },
	{ "IPv4, 2 bytes", V4, "1.2.3.4", 80, 2, V4, 0, "EINVAL" },
	{ "IPv4, 1 byte", V4, "1.2.3.4", 80, 1, V4, 0, "EINVAL" },
	{ "IPv4, 0 bytes", V4, "1.2.3.4", 80, 0, V4, 0, "EINVAL" },
	{ "IPv4, the whole sockaddr_storage", V4, "1.2.3.4", 80, 128, V4, 0, "1.2.3.4:80" },
	{ "IPv4, a huge length", V4, "1.2.3.4", 80, 0x7fffffff, V4, 0, "1.2.3.4:80" },
	{ "IPv4 on an IPv6 socket", V4, "1.2.3.4", 80, 16, V6, 0, "1.2.3.4:80" },
	{ "IPv6", V6, "2001:db8::1", 443, 28, V6, 0, "[2001:db8::1]:443" },
	{ "IPv6, 24 bytes (RFC 2133, no scope id)", V6, "2001:db8::1", 443, 24, V6, 0, "[2001:db8::1]:443" },
	{ "IPv6, 23 bytes", V6, "2001:db8::1", 443, 23, V6, 0, "EINVAL" },
	{ "IPv6, 16 bytes", V6, "2001:db8::1", 443, 16, V6, 0, "EINVAL" },
	{ "IPv6, a huge length", V6, "2001:db8::1", 443, 0xffffffff, V6, 0, "[2001:db8::1]:443" },
	{ "IPv4-mapped is IPv4", V6, "::ffff:1.2.3.4", 80, 28, V6, 0, "1.2.3.4:80" },
	{ "IPv4-mapped loopback is IPv4", V6, "::ffff:127.0.0.1", 53, 28, V6, 0, "127.0.0.1:53" },
	{ "IPv4-mapped 0.0.0.0 is IPv4", V6, "::ffff:0.0.0.0", 53, 28, V6, 0, "0.0.0.0:53" },
	{ "::ffff:0:0/96 (SIIT) stays IPv6", V6, "::ffff:0:1.2.3.4", 80, 28, V6, 0, "[::ffff:0:1.2.3.4]:80" },
	{ "IPv4-compatible stays IPv6", V6, "::1.2.3.4", 80, 28, V6, 0, "[::1.2.3.4]:80" },
	{ ":: stays ::", V6, "::", 80, 28, V6, 0, "[::]:80" },
	{ "AF_UNSPEC connect: a disconnect", UNSPEC, "1.2.3.4", 80, 16, V4, 0, "none" },
	{ "AF_UNSPEC, 2 bytes: a disconnect", UNSPEC, "0.0.0.0", 0, 2, V6, 0, "none" },
	{ "AF_UNSPEC, 1 byte", UNSPEC, "0.0.0.0", 0, 1, V4, 0, "EINVAL" },
	{ "AF_UNSPEC on IPv4 where it means IPv4", UNSPEC, "1.2.3.4", 80, 16, V4, 1, "1.2.3.4:80" },
	{ "AF_UNSPEC meaning IPv4, 8 bytes", UNSPEC, "1.2.3.4", 80, 8, V4, 1, "EINVAL" },
	{ "AF_UNSPEC on IPv6 even where it means IPv4 on IPv4", UNSPEC, "1.2.3.4", 80, 16, V6, 1, "none" },
	{ "AF_UNIX", AF_UNIX, "0.0.0.0", 0, 16, V4, 0, "EAFNOSUPPORT" },
	{ "AF_NETLINK", AF_NETLINK, "0.0.0.0", 0, 16, V4, 1, "EAFNOSUPPORT" },
	{ "AF_PACKET", 17, "0.0.0.0", 0, 20, V4, 0, "EAFNOSUPPORT" },
	{ "family 0xffff", 0xffff, "1.2.3.4", 80, 16, V4, 0, "EAFNOSUPPORT" },
};

/* a sockaddr as the command could lay it out */
static void
make_sockaddr(int family, const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_port = htons((uint16_t)port);
	} else {
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		sin6->sin6_port = htons((uint16_t)port);
	}
}

static void
format_result(int rc, const struct dest *d, char *out, size_t len)
{
	if (rc == ADDR_DEST)
		format_dest(d, out, len);
	else if (rc == ADDR_NONE)
		snprintf(out, len, "none");
	else
		snprintf(out, len, "%s", rc == -EINVAL ? "EINVAL" :
		    rc == -EAFNOSUPPORT ? "EAFNOSUPPORT" : strerror(-rc));
}

/* "1.2.3.4:80" or "[::1.2.3.4]:80" as format_dest writes it (libcs write
 * some IPv6 addresses differently) */
static void
canonical_dest(const char *s, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct dest d;

	snprintf(out, len, "%s", s);
	if (!colon || (size_t)(colon - s) >= sizeof(a))
		return;
	snprintf(a, sizeof(a), "%.*s", (int)(colon - s), s);
	if (a[0] == '[' && a[strlen(a) - 1] == ']') {
		a[strlen(a) - 1] = '\0';
		memmove(a, a + 1, strlen(a));
	}
	if (dest_from(a, (unsigned)atoi(colon + 1), &d) == 0)
		format_dest(&d, out, len);
}

static void
test_sockaddrs(void)
{
	char got[OUT], want[OUT];

	for (size_t i = 0; i < NROWS(sockaddr_rows); i++) {
		struct sockaddr_storage ss;
		struct dest d;
		int rc;

		make_sockaddr(sockaddr_rows[i].family, sockaddr_rows[i].addr,
		    sockaddr_rows[i].port, &ss);
		rc = sockaddr_dest(&ss, sockaddr_rows[i].len, sockaddr_rows[i].dom,
		    sockaddr_rows[i].unspec_v4, &d);
		format_result(rc, &d, got, sizeof(got));
		canonical_dest(sockaddr_rows[i].want, want, sizeof(want));
		check("sockaddr", sockaddr_rows[i].what, got, want);
	}
}

/* the length of a sockaddr argument, as the kernel takes it (an int) */
static const struct { const char *what; int64_t len; } bad_len_rows[] = {
	{ "-1", -1 },
	{ "129 (more than sockaddr_storage)", 129 },
	{ "INT_MAX", 0x7fffffff },
	{ "0x80000000 (negative as an int)", 0x80000000LL },
	{ "0xffffffff", 0xffffffffLL },
	{ "0x1ffffffff (-1 in the low word)", 0x1ffffffffLL },
};

static void
test_sockaddr_lengths(void)
{
	for (size_t i = 0; i < NROWS(bad_len_rows); i++) {
		struct call c;
		struct sockaddr_storage ss;
		socklen_t len = 0;
		int err;

		memset(&c, 0, sizeof(c));
		c.pidfd = c.fd = -1;
		/* refused before anything is read from the command */
		err = read_sockaddr(&c, 0x1000, bad_len_rows[i].len, &ss, &len);
		check("sockaddr length", bad_len_rows[i].what,
		    err == EINVAL ? "EINVAL" : strerror(err), "EINVAL");
	}
}

/* netpin's copy of the address after a decision changed it */
static const struct { const char *what; int family; const char *was, *dest, *want; } store_rows[] = {
	{ "IPv4 on IPv4", V4, "0.0.0.0", "127.0.0.1", "AF_INET 127.0.0.1:53" },
	{ "IPv4 on IPv6: mapped", V6, "::", "127.0.0.1", "AF_INET6 [::ffff:127.0.0.1]:53" },
	{ "IPv6 on IPv6", V6, "::", "::1", "AF_INET6 [::1]:53" },
	{ "AF_UNSPEC meaning IPv4 becomes AF_INET", UNSPEC, "1.2.3.4", "1.2.3.4", "AF_INET 1.2.3.4:53" },
};

static void
test_dest_store(void)
{
	char got[OUT], a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < NROWS(store_rows); i++) {
		struct sockaddr_storage ss;
		const struct sockaddr_in *sin = (const void *)&ss;
		const struct sockaddr_in6 *sin6 = (const void *)&ss;
		struct dest d;

		make_sockaddr(store_rows[i].family, store_rows[i].was, 53, &ss);
		dest_from(store_rows[i].dest, 53, &d);
		dest_store(&d, &ss);
		if (ss.ss_family == AF_INET)
			snprintf(got, sizeof(got), "AF_INET %s:%u",
			    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)), ntohs(sin->sin_port));
		else
			snprintf(got, sizeof(got), "%s [%s]:%u",
			    ss.ss_family == AF_INET6 ? "AF_INET6" : "?",
			    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)),
			    ntohs(sin6->sin6_port));
		check("dest_store", store_rows[i].what, got, store_rows[i].want);
	}
}

static const struct { const char *what; int family; const char *path; size_t pathlen; int want; } unix_rows[] = {
	{ "a pathname", AF_UNIX, "/run/x.sock", 12, 1 },
	{ "a one-byte path", AF_UNIX, "/", 1, 1 },
	{ "unnamed (no path)", AF_UNIX, "", 0, 0 },
	{ "abstract", AF_UNIX, "\0abstract", 9, 0 },
	{ "AF_INET", AF_INET, "/run/x.sock", 12, 0 },
};

static void
test_unix_paths(void)
{
	for (size_t i = 0; i < NROWS(unix_rows); i++) {
		struct sockaddr_storage ss;
		struct sockaddr_un *sun = (void *)&ss;
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    unix_rows[i].pathlen);

		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)unix_rows[i].family;
		memcpy(sun->sun_path, unix_rows[i].path, unix_rows[i].pathlen);
		check("unix path", unix_rows[i].what,
		    unix_path_named(&ss, len) ? "named" : "not named",
		    unix_rows[i].want ? "named" : "not named");
	}
}

/* 0.0.0.0 and :: as destinations reach the local host */
static const struct { const char *what; int sock; const char *addr, *want; } unspecified_rows[] = {
	{ "0.0.0.0 is 127.0.0.1", 0, "0.0.0.0", "127.0.0.1:80" },
	{ ":: is ::1", 0, "::", "[::1]:80" },
	{ "1.2.3.4 is itself", 0, "1.2.3.4", "1.2.3.4:80" },
	{ "::1 is itself", 0, "::1", "[::1]:80" },
	{ "0.0.0.0 on an unbound IPv4 socket is 127.0.0.1", AF_INET, "0.0.0.0", "127.0.0.1:80" },
	{ ":: on an unbound IPv6 socket is ::1", AF_INET6, "::", "[::1]:80" },
};

static void
test_unspecified(void)
{
	char got[OUT];

	for (size_t i = 0; i < NROWS(unspecified_rows); i++) {
		int fd = unspecified_rows[i].sock ?
		    socket(unspecified_rows[i].sock, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
		struct dest d;

		dest_from(unspecified_rows[i].addr, 80, &d);
		resolve_unspecified(fd, &d);
		format_dest(&d, got, sizeof(got));
		check("unspecified", unspecified_rows[i].what, got, unspecified_rows[i].want);
		if (fd >= 0)
			close(fd);
	}
}

/* ---- the pin table and the decision ------------------------------------------------- */

static const char *const world_rules[] = {
	"tcp:10.0.0.0/8:443",
	"udp:10.0.0.53:53",
	"192.168.1.1",
	"[2001:db8::]/32:80,8000-8080",
	"127.0.0.1:3128",
	"tcp:[::1]:8080",
	"172.16.0.0/12:80",
	"tcp:0.0.0.0/0:22",
	"api.example.com:443",
	"many.example",
	"unresolved.example",
	"*.wild.example",
	/* names in the connection: a shared front end, raw:, http:, mixed */
	"front.example:443",
	"other-front.example:443",
	"raw:rawsite.example:443",
	"http:web.example:8080",
	"plain.example:80",
	"mixed.example:443",
	"198.18.0.5:443",
	"udp:quic.example:443",
	"198.18.0.7:443",
	/* names that may resolve privately, and names that may not */
	"private:corp-host.example",
	"mirror.internal",
	"a.xinternal",
	"db.corp.test",
	"dbcorp.test",
};

/* deny rules: by the name inside the connection where names are read (a
 * name beside allowed ones on a front end), by the address elsewhere */
static const char *const world_deny[] = {
	"tls:bad-front.example:443",
	"banned.example",
};

static const char world_hosts[] =
	"# a hosts file\n"
	"127.0.0.1 localhost\n"
	"203.0.113.5 api.example.com\n"
	"2001:db8:1::5\tAPI.Example.com   # names match in any case\n"
	"::ffff:198.51.100.7 other.example api.example.com\n"
	"10.9.9.9/8 api.example.com\n"      /* not an address: skipped */
	"bogus api.example.com\n"
	"10.0.1.1 many.example\n10.0.1.2 many.example\n10.0.1.3 many.example\n"
	"10.0.1.4 many.example\n10.0.1.5 many.example\n10.0.1.6 many.example\n"
	"10.0.1.7 many.example\n10.0.1.8 many.example\n10.0.1.9 many.example\n"
	"10.0.1.10 many.example\n10.0.1.11 many.example\n10.0.1.12 many.example\n"
	"10.0.1.13 many.example\n10.0.1.14 many.example\n10.0.1.15 many.example\n"
	"10.0.1.16 many.example\n10.0.1.17 many.example\n10.0.1.18 many.example\n"
	"198.18.0.1 front.example other-front.example\n198.18.0.2 rawsite.example\n"
	"198.18.0.3 web.example\n198.18.0.4 plain.example\n"
	"198.18.0.5 mixed.example\n198.18.0.6 quic.example\n"
	"198.18.0.1 bad-front.example\n198.18.0.7 shared.example banned.example\n";

static char hosts_path[64];

/* The rules and pins every later table decides against (no DNS server:
 * names come from the hosts file only). */
static void
load_world(void)
{
	char text[OUT];
	int warnings;

	text_file(world_hosts, hosts_path, sizeof(hosts_path));
	opt_hosts = hosts_path;
	opt_dns_given = 1;
	nservers = 0;
	/* the names the hosts file does not give are said, not fatal here */
	opt_skip_unresolved = 1;
	opt_resolv = "/dev/null"; /* no search domain of this machine's */
	stderr_begin();
	for (size_t i = 0; i < NROWS(world_rules); i++)
		add_rule(world_rules[i], NULL, 0);
	for (size_t i = 0; i < NROWS(world_deny); i++)
		add_rule(world_deny[i], NULL, 1);
	build_pin_table();
	warnings = stderr_end(text, sizeof(text));
	/* no DNS server, and six name rules that the hosts file does not name */
	check("hosts", "warnings: no DNS server, six names do not resolve",
	    warnings == 7 && strstr(text, "no DNS server") &&
	    strstr(text, "unresolved.example does not resolve") ? "yes" : text, "yes");
}

static const struct rule *
world_rule(const char *text)
{
	for (int i = 0; i < nrules; i++)
		if (!strcmp(rules[i].text, text))
			return &rules[i];
	fprintf(stderr, "unit: no rule '%s' in the table\n", text);
	exit(2);
}

static void
pins_of(const struct rule *r, int from, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t o = 0;

	out[0] = '\0';
	for (int i = from; i < npins && o + 64 < len; i++)
		if (pins[i].rule == r) {
			format_addr(pins[i].family, pins[i].addr, a, sizeof(a));
			o += (size_t)snprintf(out + o, len - o, "%s%s/%d", o ? " " : "",
			    a, pins[i].plen);
			if (pins[i].private_why && o < len)
				o += (size_t)snprintf(out + o, len - o, " (%s)",
				    pins[i].private_why);
		}
}

static const struct { const char *rule, *want; } hosts_rows[] = {
	{ "api.example.com:443", "203.0.113.5/32 2001:db8:1::5/128 198.51.100.7/32" },
	{ "many.example", "10.0.1.1/32 10.0.1.2/32 10.0.1.3/32 10.0.1.4/32 10.0.1.5/32 "
	    "10.0.1.6/32 10.0.1.7/32 10.0.1.8/32 10.0.1.9/32 10.0.1.10/32 10.0.1.11/32 "
	    "10.0.1.12/32 10.0.1.13/32 10.0.1.14/32 10.0.1.15/32 10.0.1.16/32 "
	    "10.0.1.17/32 10.0.1.18/32" },
	{ "unresolved.example", "" },
	{ "*.wild.example", "" },
	{ "tcp:10.0.0.0/8:443", "10.0.0.0/8" },
	{ "[2001:db8::]/32:80,8000-8080", "2001:db8::/32" },
};

static void
test_hosts(void)
{
	char got[OUT], what[OUT];

	for (size_t i = 0; i < NROWS(hosts_rows); i++) {
		pins_of(world_rule(hosts_rows[i].rule), 0, got, sizeof(got));
		snprintf(what, sizeof(what), "pins of '%s'", hosts_rows[i].rule);
		check("hosts", what, got, hosts_rows[i].want);
	}
}

/*
 * The decision as a call meets it: the command's sockaddr (IPv6 for an
 * address with a ':'), made a destination, 0.0.0.0 and :: made loopback,
 * then the pin table.  want: the rule that allows it, or "deny".
 */
static const struct { const char *proto, *addr; unsigned port; const char *want; } decide_rows[] = {
	/* protocol, port and prefix of one rule */
	{ "tcp", "10.1.2.3", 443, "tcp:10.0.0.0/8:443" },
	{ "tcp", "10.0.0.0", 443, "tcp:10.0.0.0/8:443" },
	{ "tcp", "10.255.255.255", 443, "tcp:10.0.0.0/8:443" },
	{ "udp", "10.1.2.3", 443, "deny" },
	{ "tcp", "10.1.2.3", 444, "deny" },
	{ "tcp", "10.1.2.3", 442, "deny" },
	{ "tcp", "11.0.0.1", 443, "deny" },
	{ "tcp", "9.255.255.255", 443, "deny" },
	{ "udp", "10.0.0.53", 53, "udp:10.0.0.53:53" },
	{ "tcp", "10.0.0.53", 53, "deny" },
	{ "udp", "10.0.0.54", 53, "deny" },
	/* a prefix that does not end on a byte */
	{ "tcp", "172.16.0.1", 80, "172.16.0.0/12:80" },
	{ "udp", "172.31.255.255", 80, "172.16.0.0/12:80" },
	{ "tcp", "172.32.0.0", 80, "deny" },
	{ "tcp", "172.15.255.255", 80, "deny" },
	/* every port, both protocols */
	{ "tcp", "192.168.1.1", 1, "192.168.1.1" },
	{ "udp", "192.168.1.1", 65535, "192.168.1.1" },
	{ "tcp", "192.168.1.1", 0, "192.168.1.1" },
	{ "tcp", "192.168.1.2", 80, "deny" },
	/* IPv6: prefix and a port list */
	{ "tcp", "2001:db8:ffff::1", 80, "[2001:db8::]/32:80,8000-8080" },
	{ "udp", "2001:db8::", 8080, "[2001:db8::]/32:80,8000-8080" },
	{ "tcp", "2001:db8::1", 8081, "deny" },
	{ "tcp", "2001:db8::1", 7999, "deny" },
	{ "tcp", "2001:db9::1", 80, "deny" },
	/* IPv4-mapped IPv6 is the IPv4 address it carries */
	{ "tcp", "::ffff:10.1.2.3", 443, "tcp:10.0.0.0/8:443" },
	{ "tcp", "::ffff:192.168.1.1", 9, "192.168.1.1" },
	{ "tcp", "::ffff:11.0.0.1", 443, "deny" },
	{ "tcp", "::ffff:0:10.1.2.3", 443, "deny" },   /* SIIT is not mapped */
	{ "tcp", "::10.1.2.3", 443, "deny" },          /* nor IPv4-compatible */
	/* loopback: only what a rule names */
	{ "tcp", "127.0.0.1", 3128, "127.0.0.1:3128" },
	{ "udp", "127.0.0.1", 3128, "127.0.0.1:3128" },
	{ "tcp", "127.0.0.1", 3129, "deny" },
	{ "tcp", "127.0.0.2", 3128, "deny" },
	{ "tcp", "::ffff:127.0.0.1", 3128, "127.0.0.1:3128" },
	{ "tcp", "::1", 3128, "deny" },
	{ "tcp", "::1", 8080, "tcp:[::1]:8080" },
	{ "udp", "::1", 8080, "deny" },
	/* 0.0.0.0 and :: reach the local host */
	{ "tcp", "0.0.0.0", 3128, "127.0.0.1:3128" },
	{ "tcp", "::ffff:0.0.0.0", 3128, "127.0.0.1:3128" },
	{ "tcp", "::", 8080, "tcp:[::1]:8080" },
	{ "tcp", "0.0.0.0", 8080, "deny" },
	{ "tcp", "::", 3128, "deny" },
	/* every IPv4 address on one port */
	{ "tcp", "8.8.8.8", 22, "tcp:0.0.0.0/0:22" },
	{ "tcp", "::ffff:8.8.8.8", 22, "tcp:0.0.0.0/0:22" },
	{ "udp", "8.8.8.8", 22, "deny" },
	{ "tcp", "2001:4860::8888", 22, "deny" },
	/* names pinned from the hosts file */
	{ "tcp", "203.0.113.5", 443, "api.example.com:443" },
	{ "udp", "203.0.113.5", 443, "deny" },  /* QUIC: its name cannot be seen */
	{ "tcp", "203.0.113.5", 80, "deny" },
	{ "tcp", "2001:db8:1::5", 443, "api.example.com:443" },
	{ "tcp", "2001:db8:1::5", 80, "[2001:db8::]/32:80,8000-8080" },
	{ "tcp", "198.51.100.7", 443, "api.example.com:443" },
	{ "tcp", "::ffff:198.51.100.7", 443, "api.example.com:443" },
	{ "tcp", "10.9.9.10", 80, "deny" },            /* a prefix in hosts is no pin */
	{ "tcp", "10.0.1.18", 1234, "many.example" },
	{ "tcp", "10.0.1.19", 1234, "deny" },
	/* a name denied on a shared address: by the name where it is read */
	{ "tcp", "198.18.0.7", 443, "198.18.0.7:443" },
	{ "udp", "198.18.0.7", 443, "deny" },
	{ "tcp", "198.18.0.1", 443, "front.example:443" },
};

static void
test_decision(void)
{
	char got[OUT], what[OUT];

	for (size_t i = 0; i < NROWS(decide_rows); i++) {
		int v6 = strchr(decide_rows[i].addr, ':') != NULL;
		struct sockaddr_storage ss;
		const struct pin *p;
		struct dest d;
		int rc;

		make_sockaddr(v6 ? AF_INET6 : AF_INET, decide_rows[i].addr,
		    decide_rows[i].port, &ss);
		rc = sockaddr_dest(&ss, v6 ? 28 : 16, ss.ss_family, 0, &d);
		if (rc != ADDR_DEST) {
			format_result(rc, &d, got, sizeof(got));
		} else {
			resolve_unspecified(-1, &d);
			p = pin_allowing(&d, proto_of(decide_rows[i].proto));
			snprintf(got, sizeof(got), "%s", p ? p->rule->text : "deny");
		}
		snprintf(what, sizeof(what), "%s %s%s%s:%u", decide_rows[i].proto,
		    v6 ? "[" : "", decide_rows[i].addr, v6 ? "]" : "", decide_rows[i].port);
		check("decision", what, got, decide_rows[i].want);
	}
}

/* DNS to port 53 of a server goes there as it is only when a rule names
 * the port; otherwise it goes to pinned DNS */
static const struct { const char *proto, *addr, *want; } port53_rows[] = {
	{ "udp", "10.0.0.53", "goes to the server" },
	{ "tcp", "10.0.0.53", "pinned DNS" },
	{ "udp", "192.168.1.1", "pinned DNS" },  /* a rule with no port list */
	{ "udp", "8.8.8.8", "pinned DNS" },
	{ "udp", "::1", "pinned DNS" },
};

static void
test_port53(void)
{
	char what[OUT];

	for (size_t i = 0; i < NROWS(port53_rows); i++) {
		struct dest d;

		dest_from(port53_rows[i].addr, 53, &d);
		snprintf(what, sizeof(what), "%s %s:53", port53_rows[i].proto,
		    port53_rows[i].addr);
		check("port 53", what,
		    dns_server_allowed(&d, proto_of(port53_rows[i].proto)) ?
		    "goes to the server" : "pinned DNS", port53_rows[i].want);
	}
}

static const struct { const char *addr, *want; } naming_rows[] = {
	{ "203.0.113.5", "api.example.com" },
	{ "2001:db8:1::5", "api.example.com" },
	{ "198.51.100.7", "api.example.com" },
	{ "10.1.2.3", "-" },     /* an address rule names nothing */
	{ "10.200.0.1", "-" },   /* hosts' 10.9.9.9/8 was no pin */
	{ "8.8.8.8", "-" },
};

static void
test_naming(void)
{
	for (size_t i = 0; i < NROWS(naming_rows); i++) {
		const struct pin *p;
		struct dest d;

		dest_from(naming_rows[i].addr, 1, &d);
		p = pin_naming(&d);
		check("pin name", naming_rows[i].addr, p ? p->rule->name : "-",
		    naming_rows[i].want);
	}
}

/* ---- the rebinding guard ------------------------------------------------------------ */

struct private_row {
	const char *addr;
	int want;   /* 1: private */
};

static const struct private_row private_rows[] = {
	/* IPv4 */
	{ "0.0.0.0", 1 },
	{ "0.255.255.255", 1 },
	{ "1.0.0.0", 0 },
	{ "8.8.8.8", 0 },
	{ "9.255.255.255", 0 },
	{ "10.0.0.0", 1 },
	{ "10.255.255.255", 1 },
	{ "11.0.0.0", 0 },
	{ "100.63.255.255", 0 },
	{ "100.64.0.0", 1 },           /* CGNAT */
	{ "100.127.255.255", 1 },
	{ "100.128.0.0", 0 },
	{ "126.255.255.255", 0 },
	{ "127.0.0.1", 1 },
	{ "127.255.255.254", 1 },
	{ "128.0.0.0", 0 },
	{ "169.253.255.255", 0 },
	{ "169.254.169.254", 1 },      /* link-local: cloud metadata */
	{ "169.255.0.0", 0 },
	{ "172.15.255.255", 0 },
	{ "172.16.0.0", 1 },
	{ "172.31.255.255", 1 },
	{ "172.32.0.0", 0 },
	{ "192.167.255.255", 0 },
	{ "192.168.0.1", 1 },
	{ "192.169.0.0", 0 },
	{ "203.0.113.5", 0 },
	{ "223.255.255.255", 0 },
	{ "224.0.0.1", 1 },            /* multicast */
	{ "239.255.255.250", 1 },
	{ "240.0.0.1", 1 },            /* reserved */
	{ "255.255.255.255", 1 },
	/* IPv6 */
	{ "::", 1 },
	{ "::1", 1 },
	{ "2001:db8::1", 0 },
	{ "2606:4700::1111", 0 },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "fc00::1", 1 },              /* ULA */
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fe00::", 0 },
	{ "fe80::1", 1 },              /* link-local */
	{ "febf:ffff::1", 1 },
	{ "fec0::1", 1 }, /* site-local (deprecated): private */
	{ "ff02::1", 1 },              /* multicast */
	{ "ff05::1:3", 1 },
	/* IPv4-mapped */
	{ "::ffff:10.0.0.1", 1 },
	{ "::ffff:127.0.0.1", 1 },
	{ "::ffff:0.0.0.0", 1 },
	{ "::ffff:169.254.169.254", 1 },
	{ "::ffff:8.8.8.8", 0 },
	/* translations of public IPv4 are public */
	{ "64:ff9b::8.8.8.8", 0 },
	{ "2002:808:808::1", 0 },
};

static void
run_private_rows(const char *area, const struct private_row *r, size_t n)
{

	for (size_t i = 0; i < n; i++) {
		struct dest d;

		if (dest_from(r[i].addr, 0, &d)) {
			check(area, r[i].addr, "bad row", "an address");
			continue;
		}
		check(area, r[i].addr, is_private(d.family, d.addr) ? "private" : "public",
		    r[i].want ? "private" : "public");
	}
}

/* what DNS answered a name rule, less what the guard drops */
static const struct { const char *what; uint16_t type; const char *addrs; int private_ok; const char *want; const char *rule; } guard_rows[] = {
	{ "public addresses are pinned", T_A, "93.184.216.34 1.1.1.1", 0,
	    "pinned 93.184.216.34/32 1.1.1.1/32, 0 warnings", NULL },
	/* names that may resolve privately: said in the pin table */
	{ "private: on its rule keeps them for that name", T_A, "10.0.0.1 127.0.0.1", 0,
	    "pinned 10.0.0.1/32 (its rule says private:) 127.0.0.1/32 (its rule says "
	    "private:), 0 warnings", "private:corp-host.example" },
	{ "a name under .internal keeps them", T_A, "10.0.0.1", 0,
	    "pinned 10.0.0.1/32 (internal), 0 warnings", "mirror.internal" },
	{ "a name that only ends in 'internal' does not", T_A, "10.0.0.1", 0,
	    "pinned , 1 warnings", "a.xinternal" },
	{ "a name under a search domain keeps them", T_AAAA, "fd00::1", 0,
	    "pinned fd00::1/128 (corp.test), 0 warnings", "db.corp.test" },
	{ "a name that only ends in a search domain does not", T_A, "10.0.0.1", 0,
	    "pinned , 1 warnings", "dbcorp.test" },
	{ "a private address is dropped with a warning", T_A, "10.0.0.1 93.184.216.34", 0,
	    "pinned 93.184.216.34/32, 1 warnings", NULL },
	{ "loopback and link-local are dropped", T_A, "127.0.0.1 169.254.169.254", 0,
	    "pinned , 2 warnings", NULL },
	{ "--allow-private-dns keeps them", T_A, "127.0.0.1 10.0.0.1", 1,
	    "pinned 127.0.0.1/32 (--allow-private-dns) 10.0.0.1/32 (--allow-private-dns), 0 warnings", NULL },
	{ "IPv6 ULA is dropped", T_AAAA, "fd00::1 2001:db8::1", 0,
	    "pinned 2001:db8::1/128, 1 warnings", NULL },
	{ "an IPv4-mapped AAAA is pinned as IPv4", T_AAAA, "::ffff:93.184.216.34", 0,
	    "pinned 93.184.216.34/32, 0 warnings", NULL },
	{ "an IPv4-mapped private AAAA is dropped", T_AAAA, "::ffff:192.168.0.1", 0,
	    "pinned , 1 warnings", NULL },
	{ "::1 as AAAA is dropped", T_AAAA, "::1", 0, "pinned , 1 warnings", NULL },
};

/* A name rule that pins nothing stops netpin, saying what to write. */
static const struct { const char *what, *rule; enum name_outcome o; const char *want; } unpinned_rows[] = {
	{ "only private answers: says private:", "priv.example:80", N_GUARD,
	    "exit 125: netpin: rule 'priv.example:80': priv.example does not resolve: "
	    "DNS gave only private or special addresses, dropped by the rebinding guard" },
	{ "no such name", "gone.example", N_NXDOMAIN,
	    "exit 125: netpin: rule 'gone.example': gone.example does not resolve: "
	    "no such name (NXDOMAIN)" },
	{ "a deny rule that pins nothing: said, not fatal", "!gone.example", N_NXDOMAIN,
	    "done" },
};

static void
unpinned_child(const void *arg, char *out, size_t len)
{
	const __typeof__(unpinned_rows[0]) *row = arg;
	struct rule r;

	opt_skip_unresolved = 0;
	opt_quiet = 1;
	if (parse_rule(row->rule[0] == '!' ? row->rule + 1 : row->rule, &r)) {
		snprintf(out, len, "bad row");
		return;
	}
	r.deny = row->rule[0] == '!';
	name_pins_nothing(&r, row->o);
	snprintf(out, len, "done");
}

static void
test_guard(void)
{
	char got[OUT], pinned[OUT];

	search_domains[0] = "corp.test";
	nsearch = 1;
	for (size_t i = 0; i < NROWS(guard_rows); i++) {
		struct query *q = xcalloc(1, sizeof(*q));
		const struct rule *r = world_rule(guard_rows[i].rule ? guard_rows[i].rule :
		    "unresolved.example");
		int before = npins, warnings;
		char list[OUT], *save = NULL;

		q->rule = r;
		q->type = guard_rows[i].type;
		snprintf(list, sizeof(list), "%s", guard_rows[i].addrs);
		for (char *a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
			inet_pton(q->type == T_A ? AF_INET : AF_INET6, a,
			    q->ans.addrs[q->ans.naddrs++]);
		opt_private_dns = guard_rows[i].private_ok;
		stderr_begin();
		pin_from_answer(q);
		warnings = stderr_end(NULL, 0);
		opt_private_dns = 0;
		pins_of(r, before, pinned, sizeof(pinned));
		snprintf(got, sizeof(got), "pinned %.2000s, %d warnings", pinned, warnings);
		check("rebinding guard", guard_rows[i].what, got, guard_rows[i].want);
		npins = before; /* the next row starts from the same table */
		free(q);
	}
	nsearch = 0;
	for (size_t i = 0; i < NROWS(unpinned_rows); i++) {
		in_child(unpinned_child, &unpinned_rows[i], got, sizeof(got));
		check("unresolved", unpinned_rows[i].what, got, unpinned_rows[i].want);
	}
}

/* ---- DNS wire format ------------------------------------------------------------------ */

static const struct { const char *what, *spec; size_t off; const char *want; } name_rows[] = {
	{ "a name", "=example.com", 0, "example.com @13" },
	{ "lower case", "=ExAmPle.COM", 0, "example.com @13" },
	{ "the root", "00", 0, " @1" },
	{ "after a pointer, the offset is past the pointer",
	    "=example.com 'www ^0", 13, "www.example.com @19" },
	{ "a pointer to a pointer", "=example.com 'www ^0 'a ^13", 19, "a.www.example.com @23" },
	{ "a forward pointer", "^2 =example.com", 0, "example.com @2" },
	{ "a pointer to itself", "^0", 0, "error" },
	{ "two pointers to each other", "^2 ^0", 0, "error" },
	{ "a pointer past the end", "^100", 0, "error" },
	{ "half a pointer", "c0", 0, "error" },
	{ "label type 01 (reserved)", "41 61", 0, "error" },
	{ "label type 10 (reserved)", "81 61", 0, "error" },
	{ "a label past the end", "05 6162", 0, "error" },
	{ "no root label", "'abc", 0, "error" },
	{ "an offset past the end", "00", 1, "error" },
	{ "253 characters (254 on the wire)", "=" NAME253, 0, NAME253 " @255" },
	{ "254 characters", "=" NAME254, 0, "error" },
	{ "a pointer to a name that becomes too long", "=" NAME253 " 'x ^0", 255, "error" },
};

static void
test_dns_names(void)
{
	uint8_t p[1024];
	char name[256], got[OUT];

	for (size_t i = 0; i < NROWS(name_rows); i++) {
		size_t n = assemble(name_rows[i].spec, p, sizeof(p)), off = name_rows[i].off;

		if (!n) {
			check("dns name", name_rows[i].what, "bad spec", "");
			continue;
		}
		if (dns_decode_name(p, n, &off, name))
			snprintf(got, sizeof(got), "error");
		else
			snprintf(got, sizeof(got), "%s @%zu", name, off);
		check("dns name", name_rows[i].what, got, name_rows[i].want);
	}
}

static const struct { const char *name; uint16_t type, id; size_t cap; const char *want; } query_rows[] = {
	{ "example.com", T_A, 0x1234, 300,
	    "123401000001000000000000076578616d706c6503636f6d0000010001" },
	{ "example.com", T_AAAA, 0xbeef, 300,
	    "beef01000001000000000000076578616d706c6503636f6d00001c0001" },
	{ "example.com", T_A, 0x1234, 29,
	    "123401000001000000000000076578616d706c6503636f6d0000010001" },
	{ "example.com", T_A, 0x1234, 28, "" },
	{ "example.com", T_A, 0x1234, 15, "" },
	{ L63 ".example", T_A, 1, 300,
	    "0001010000010000000000003f61616161616161616161616161616161616161"
	    "6161616161616161616161616161616161616161616161616161616161616161"
	    "616161616161616161616161076578616d706c650000010001" },
	{ L64 ".example", T_A, 1, 300, "" },
	{ "a..example", T_A, 1, 300, "" },
	{ ".example", T_A, 1, 300, "" },
};

static void
test_dns_queries(void)
{
	uint8_t buf[300];
	char got[OUT], what[OUT];

	for (size_t i = 0; i < NROWS(query_rows); i++) {
		size_t n = dns_build_query(buf, query_rows[i].cap, query_rows[i].name,
		    query_rows[i].type, query_rows[i].id);

		hex(buf, n, got, sizeof(got));
		snprintf(what, sizeof(what), "%s %s, %zu bytes of room",
		    query_rows[i].type == T_A ? "A" : "AAAA", query_rows[i].name, query_rows[i].cap);
		check("dns query", what, got, query_rows[i].want);
	}
}

/* replies: header, question, answers */
#define HDR(flags, an) "1234 " flags " 0001 " an " 0000 0000 "
#define QA "=example.com 0001 0001 "          /* ends at offset 29 */
#define QAAAA "=example.com 001c 0001 "
#define RR(owner, type, data) owner " " type " 0001 0000012c < " data " > "
#define RR_A(owner, addr) RR(owner, "0001", "A:" addr)
#define RR_AAAA(owner, addr) RR(owner, "001c", "AAAA:" addr)
#define RR_CNAME(owner, target) RR(owner, "0005", target)
#define X10(x) x x x x x x x x x x

static const struct {
	const char *what, *spec, *name;
	uint16_t type;
	const char *want;  /* status, then the addresses */
} reply_rows[] = {
	{ "one A", HDR("8180", "0001") QA RR_A("^12", "93.184.216.34"),
	    "example.com", T_A, "OK 93.184.216.34" },
	{ "two A, owner spelt out", HDR("8180", "0002") QA RR_A("^12", "1.1.1.1")
	    RR_A("=example.com", "1.0.0.1"), "example.com", T_A, "OK 1.1.1.1 1.0.0.1" },
	{ "AAAA", HDR("8180", "0001") QAAAA RR_AAAA("^12", "2001:db8::1"),
	    "example.com", T_AAAA, "OK 2001:db8::1" },
	{ "the question in another case", HDR("8180", "0001") "=EXAMPLE.com 0001 0001 "
	    RR_A("^12", "1.2.3.4"), "Example.COM", T_A, "OK 1.2.3.4" },
	{ "no answer (NODATA)", HDR("8180", "0000") QA, "example.com", T_A, "OK" },
	{ "an answer for another name is not taken", HDR("8180", "0002") QA
	    RR_A("=evil.example", "6.6.6.6") RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "OK 1.2.3.4" },
	{ "an AAAA in an A reply is not taken", HDR("8180", "0002") QA
	    RR_AAAA("^12", "2001:db8::6") RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "OK 1.2.3.4" },
	{ "an A of 16 bytes is not taken", HDR("8180", "0002") QA
	    RR("^12", "0001", "AAAA:2001:db8::6") RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "OK 1.2.3.4" },
	{ "class CH is not taken", HDR("8180", "0002") QA
	    "^12 0001 0003 0000012c 0004 A:6.6.6.6 " RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "OK 1.2.3.4" },
	{ "more than 64 addresses: 64 kept", HDR("8180", "0046") QA
	    X10(RR_A("^12", "1.2.3.4") RR_A("^12", "1.2.3.4") RR_A("^12", "1.2.3.4")
	    RR_A("^12", "1.2.3.4") RR_A("^12", "1.2.3.4") RR_A("^12", "1.2.3.4")
	    RR_A("^12", "1.2.3.4")), "example.com", T_A, "OK 64 addresses" },
	/* CNAME chains */
	{ "a CNAME chain", HDR("8180", "0003") QA RR_CNAME("^12", "=cdn.example.net")
	    RR_CNAME("=cdn.example.net", "=edge.example.org")
	    RR_A("=edge.example.org", "5.6.7.8"), "example.com", T_A, "OK 5.6.7.8" },
	{ "a CNAME chain in reverse order", HDR("8180", "0003") QA
	    RR_A("=edge.example.org", "5.6.7.8") RR_CNAME("=cdn.example.net", "=edge.example.org")
	    RR_CNAME("^12", "=cdn.example.net"), "example.com", T_A, "OK 5.6.7.8" },
	{ "a CNAME target compressed", HDR("8180", "0002") QA RR_CNAME("^12", "'cdn ^12")
	    RR_A("=cdn.example.com", "5.6.7.8"), "example.com", T_A, "OK 5.6.7.8" },
	{ "the address of the name itself, beside a CNAME, is not taken",
	    HDR("8180", "0003") QA RR_A("^12", "6.6.6.6") RR_CNAME("^12", "=cdn.example.net")
	    RR_A("=cdn.example.net", "5.6.7.8"), "example.com", T_A, "OK 5.6.7.8" },
	{ "a CNAME loop ends", HDR("8180", "0003") QA RR_CNAME("^12", "=a.example.net")
	    RR_CNAME("=a.example.net", "=b.example.net") RR_CNAME("=b.example.net", "=a.example.net"),
	    "example.com", T_A, "OK" },
	{ "a CNAME with a bad target", HDR("8180", "0001") QA RR_CNAME("^12", "^200"),
	    "example.com", T_A, "NEXT" },
	/* status */
	{ "NXDOMAIN", HDR("8183", "0000") QA, "example.com", T_A, "NXDOMAIN" },
	{ "SERVFAIL: the next server", HDR("8182", "0000") QA, "example.com", T_A, "NEXT" },
	{ "REFUSED: the next server", HDR("8185", "0000") QA, "example.com", T_A, "NEXT" },
	{ "truncated (TC)", HDR("8380", "0000") QA, "example.com", T_A, "TRUNC" },
	{ "TC before the rcode", HDR("8383", "0000") QA, "example.com", T_A, "TRUNC" },
	/* not the reply to this question */
	{ "another ID", "4321 8180 0001 0001 0000 0000 " QA RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "a query (no QR)", HDR("0180", "0001") QA RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "another opcode", HDR("9180", "0001") QA RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "another name", HDR("8180", "0001") "=example.org 0001 0001 " RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "a longer name", HDR("8180", "0001") "=www.example.com 0001 0001 "
	    RR_A("^12", "1.2.3.4"), "example.com", T_A, "IGNORE" },
	{ "another type", HDR("8180", "0001") QAAAA RR_AAAA("^12", "2001:db8::1"),
	    "example.com", T_A, "IGNORE" },
	{ "another class", HDR("8180", "0001") "=example.com 0001 0003 " RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "no question", "1234 8180 0000 0001 0000 0000 " RR_A("=example.com", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "two questions", "1234 8180 0002 0001 0000 0000 " QA QA RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "IGNORE" },
	{ "the header only", "1234 8180 0001 0001 0000 0000", "example.com", T_A, "IGNORE" },
	{ "11 bytes", "1234 8180 0001 0001 0000 00", "example.com", T_A, "IGNORE" },
	{ "a question without its class", HDR("8180", "0000") "=example.com 0001",
	    "example.com", T_A, "IGNORE" },
	{ "a question that loops", HDR("8180", "0000") "^12 0001 0001",
	    "example.com", T_A, "IGNORE" },
	/* answers that lie about their size */
	{ "RDLENGTH past the end", HDR("8180", "0001") QA "^12 0001 0001 0000012c 0010 A:1.2.3.4",
	    "example.com", T_A, "NEXT" },
	{ "an answer cut in its header", HDR("8180", "0001") QA "^12 0001 0001 0000",
	    "example.com", T_A, "NEXT" },
	{ "more answers counted than sent", HDR("8180", "0002") QA RR_A("^12", "1.2.3.4"),
	    "example.com", T_A, "NEXT" },
	{ "an answer with a pointer loop", HDR("8180", "0001") QA RR_A("^29", "1.2.3.4"),
	    "example.com", T_A, "NEXT" },
	{ "answers after the counted ones are not read", HDR("8180", "0001") QA
	    RR_A("^12", "1.2.3.4") RR_A("^12", "6.6.6.6"), "example.com", T_A, "OK 1.2.3.4" },
};

static void
test_dns_replies(void)
{
	static const char *const status[] = { "OK", "NXDOMAIN", "NEXT", "TRUNC" };
	uint8_t p[4096];
	char got[OUT], a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < NROWS(reply_rows); i++) {
		size_t n = assemble(reply_rows[i].spec, p, sizeof(p)), o;
		struct dns_answer ans;
		enum dns_status st;

		if (!n) {
			check("dns reply", reply_rows[i].what, "bad spec", "");
			continue;
		}
		st = dns_parse_reply(p, n, reply_rows[i].name, reply_rows[i].type, 0x1234, &ans);
		o = (size_t)snprintf(got, sizeof(got), "%s",
		    st == DNS_IGNORE ? "IGNORE" : status[st]);
		if (ans.naddrs > 8)
			snprintf(got + o, sizeof(got) - o, " %d addresses", ans.naddrs);
		else
			for (int j = 0; j < ans.naddrs; j++)
				o += (size_t)snprintf(got + o, sizeof(got) - o, " %s",
				    inet_ntop(reply_rows[i].type == T_A ? AF_INET : AF_INET6,
				    ans.addrs[j], a, sizeof(a)));
		check("dns reply", reply_rows[i].what, got, reply_rows[i].want);
	}
}

/* ---- pinned DNS: the responder's answers -------------------------------------------- */

/*
 * An answer as one line: the rcode, the header bits, the counts and each
 * answer's address, read independently of netpin; "id!" or "question!"
 * when the answer does not echo the query, "?" for an answer record that
 * is not a pointer to the question with the question's type, class IN and
 * TTL 5.
 */
static void
format_answer(const uint8_t *q, size_t qn, const uint8_t *a, size_t n, char *out,
    size_t len)
{
	static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED" };
	char addr[INET6_ADDRSTRLEN];
	size_t o, qend = 12, off;
	unsigned rcode, an;

	if (n == 0) {
		snprintf(out, len, "dropped");
		return;
	}
	if (n < 12) {
		snprintf(out, len, "short (%zu bytes)", n);
		return;
	}
	rcode = a[3] & 0x0f;
	an = get16(a + 6);
	o = (size_t)snprintf(out, len, "%s%s%s%s%s%s qd=%u an=%u",
	    rcode < 6 ? rcodes[rcode] : "rcode?", a[0] != q[0] || a[1] != q[1] ? " id!" : "",
	    a[2] & 0x80 ? "" : " !qr", a[2] & 0x04 ? " aa" : "", a[2] & 0x01 ? " rd" : "",
	    a[3] & 0x80 ? " ra" : "", get16(a + 4), an);
	if (get16(a + 8) || get16(a + 10))
		o += (size_t)snprintf(out + o, len - o, " ns=%u ar=%u", get16(a + 8),
		    get16(a + 10));
	if (!get16(a + 4))
		return;
	/* the question, as asked */
	while (qend < qn && q[qend])
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > n || qend > qn || memcmp(a + 12, q + 12, qend - 12)) {
		snprintf(out + o, len - o, " question!");
		return;
	}
	off = qend;
	for (unsigned i = 0; i < an; i++) {
		size_t alen;

		if (off + 12 > n || get16(a + off) != 0xc00c ||
		    memcmp(a + off + 2, q + qend - 4, 2) || get16(a + off + 4) != C_IN ||
		    get16(a + off + 6) != 0 || get16(a + off + 8) != DNS_TTL) {
			snprintf(out + o, len - o, " ?");
			return;
		}
		alen = get16(a + off + 10);
		if (off + 12 + alen > n || (alen != 4 && alen != 16)) {
			snprintf(out + o, len - o, " ?");
			return;
		}
		o += (size_t)snprintf(out + o, len - o, " %s",
		    inet_ntop(alen == 4 ? AF_INET : AF_INET6, a + off + 12, addr, sizeof(addr)));
		off += 12 + alen;
	}
	if (off != n)
		snprintf(out + o, len - o, " +%zu bytes", n - off);
}

enum { A_AUDIT = 1, A_SERVER = 2, A_SMALL = 4 };

/* a query: ID 1234, RD */
#define QH "1234 0100 0001 0000 0000 0000 "
#define OK_HDR "NOERROR aa rd ra qd=1"

struct answer_row {
	const char *what, *spec;
	int flags;       /* A_AUDIT: --audit; A_SERVER: a DNS server is configured
	                  * (the row runs in a child); A_SMALL: 511 bytes of room */
	const char *want;
};

static const struct answer_row answer_rows[] = {
	{ "A of a pinned name: its pinned addresses", QH "=api.example.com 0001 0001", 0,
	    OK_HDR " an=2 203.0.113.5 198.51.100.7" },
	{ "AAAA of a pinned name", QH "=api.example.com 001c 0001", 0,
	    OK_HDR " an=1 2001:db8:1::5" },
	{ "the name in another case, echoed as asked", QH "=API.Example.COM 0001 0001", 0,
	    OK_HDR " an=2 203.0.113.5 198.51.100.7" },
	{ "no more than 16 answers", QH "=many.example 0001 0001", 0,
	    OK_HDR " an=16 10.0.1.1 10.0.1.2 10.0.1.3 10.0.1.4 10.0.1.5 10.0.1.6 10.0.1.7 "
	    "10.0.1.8 10.0.1.9 10.0.1.10 10.0.1.11 10.0.1.12 10.0.1.13 10.0.1.14 "
	    "10.0.1.15 10.0.1.16" },
	{ "MX of a pinned name: no data", QH "=api.example.com 000f 0001", 0, OK_HDR " an=0" },
	{ "AAAA of a name pinned to IPv4 only: no data", QH "=many.example 001c 0001", 0,
	    OK_HDR " an=0" },
	{ "an allowed name that did not resolve: no data", QH "=unresolved.example 0001 0001", 0,
	    OK_HDR " an=0" },
	{ "a name no rule allows: NXDOMAIN", QH "=other.example 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a name in the hosts file but in no rule: NXDOMAIN", QH "=localhost 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a name under a pinned name: NXDOMAIN", QH "=www.api.example.com 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "the address of an address rule is no name", QH "=10.0.0.53 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a name under a wildcard (nothing upstream): no data", QH "=x.wild.example 0001 0001", 0,
	    OK_HDR " an=0" },
	{ "the wildcard's own suffix: NXDOMAIN", QH "=wild.example 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a suffix that is not a label boundary: NXDOMAIN", QH "=xwild.example 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "--audit: any name, nothing pinned", QH "=audited.example 0001 0001", A_AUDIT,
	    OK_HDR " an=0" },
	{ "a label with a dot, no wildcard: NXDOMAIN", QH "'a. 'example 'com 00 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "RD clear stays clear", "1234 0000 0001 0000 0000 0000 =api.example.com 0001 0001", 0,
	    "NOERROR aa ra qd=1 an=2 203.0.113.5 198.51.100.7" },
	{ "an EDNS OPT record is not echoed",
	    "1234 0100 0001 0000 0000 0001 =api.example.com 0001 0001 00 0029 1000 00000000 0000", 0,
	    OK_HDR " an=2 203.0.113.5 198.51.100.7" },
	/* not queries, bad queries */
	{ "a response (QR) is dropped", "1234 8100 0001 0000 0000 0000 =api.example.com 0001 0001",
	    0, "dropped" },
	{ "11 bytes are dropped", "1234 0100 0001 0000 0000 00", 0, "dropped" },
	{ "less than 512 bytes of room: dropped", QH "=api.example.com 0001 0001", A_SMALL, "dropped" },
	{ "opcode STATUS: NOTIMP", "1234 1100 0001 0000 0000 0000 =api.example.com 0001 0001", 0,
	    "NOTIMP aa rd ra qd=0 an=0" },
	{ "no question: FORMERR", "1234 0100 0000 0000 0000 0000", 0, "FORMERR aa rd ra qd=0 an=0" },
	{ "two questions: FORMERR",
	    "1234 0100 0002 0000 0000 0000 =api.example.com 0001 0001 =api.example.com 0001 0001", 0,
	    "FORMERR aa rd ra qd=0 an=0" },
	{ "a question without its class: FORMERR", QH "=api.example.com 0001", 0,
	    "FORMERR aa rd ra qd=0 an=0" },
	{ "a question name that loops: FORMERR", QH "^12 0001 0001", 0,
	    "FORMERR aa rd ra qd=0 an=0" },
	{ "a name of 254 characters: FORMERR", QH "=" NAME254 " 0001 0001", 0,
	    "FORMERR aa rd ra qd=0 an=0" },
	{ "a name of 253 characters: NXDOMAIN", QH "=" NAME253 " 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a label of 64 bytes (a reserved type): FORMERR",
	    QH "'" L64 " 00 0001 0001", 0, "FORMERR aa rd ra qd=0 an=0" },
};

static void
answer_child(const void *arg, char *out, size_t len)
{
	const struct answer_row *row = arg;
	uint8_t q[2048], a[512];
	size_t qn = assemble(row->spec, q, sizeof(q)), n;

	if (!qn) {
		snprintf(out, len, "bad spec");
		return;
	}
	if (row->flags & A_SERVER) {
		/* a server that is never reached: a query sent would be refused
		 * on loopback, and this runs in a child */
		parse_server("127.0.0.1:9", &servers[0]);
		nservers = 1;
		opt_timeout_ms = 200;
	}
	opt_audit = !!(row->flags & A_AUDIT);
	opt_quiet = 1;
	n = dns_answer(q, qn, a, row->flags & A_SMALL ? 511 : sizeof(a), &unit_asker);
	opt_audit = 0;
	nservers = 0;
	format_answer(q, qn, a, n, out, len);
}

static void
run_answer_rows(const char *area, const struct answer_row *rows, size_t n)
{
	char got[OUT];

	for (size_t i = 0; i < n; i++) {
		if (rows[i].flags & A_SERVER) {
			in_child(answer_child, &rows[i], got, sizeof(got));
		} else {
			stderr_begin();
			answer_child(&rows[i], got, sizeof(got));
			stderr_end(NULL, 0);
		}
		check(area, rows[i].what, got, rows[i].want);
	}
}

/* ---- bugs found by these tables, and fixed ---------------------------------------------- */
/*
 * issue 17 item 5 (fixed): a query name with a label that
 * contains a dot must be refused (NXDOMAIN), never end netpin.  Before the fix,
 * under a wildcard or --audit it reaches die("name too long for DNS")
 * once a DNS server is configured (exit 125), answers NOERROR without
 * one, and [api.example][com] is answered as api.example.com.
 */
static const struct answer_row fixed_issue17_item5[] = {
	{ "a label with a dot under a wildcard is refused, no exit",
	    QH "'x. 'wild 'example 00 0001 0001", A_SERVER,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "a label with a dot under a wildcard is refused (no DNS server)",
	    QH "'x. 'wild 'example 00 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "--audit: a label with a dot is refused, no exit",
	    QH "'a. 'example 'com 00 0001 0001", A_AUDIT | A_SERVER,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
	{ "[api.example][com] is not api.example.com",
	    QH "'api.example 'com 00 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
};

/*
 * found by this test and fixed (no issue filed; the root of issue 17
 * item 5): dns_decode_name() copies a NUL byte of a label into its C
 * string, so the name ends there: [api][example][com\0][x] is answered as
 * api.example.com (and is named so in the log and on stderr).
 */
static const struct answer_row fixed_label_nul[] = {
	{ "[api][example][com\\0][x] is not api.example.com",
	    QH "'api 'example 04636f6d00 'x 00 0001 0001", 0,
	    "NXDOMAIN aa rd ra qd=1 an=0" },
};

/*
 * issue 17 item 13 (fixed): the rebinding guard must see the
 * private IPv4 inside NAT64 (64:ff9b::/96), 6to4 (2002::/16), Teredo
 * (2001::/32) and IPv4-compatible (::/96) addresses.
 */
static const struct private_row fixed_issue17_item13[] = {
	{ "64:ff9b::10.0.0.1", 1 },
	{ "64:ff9b::127.0.0.1", 1 },
	{ "64:ff9b::169.254.169.254", 1 },
	{ "2002:c0a8:101::1", 1 },              /* 6to4 of 192.168.1.1 */
	{ "2002:7f00:1::1", 1 },                /* 6to4 of 127.0.0.1 */
	{ "2001:0:a00:1::f5ff:fffe", 1 },       /* Teredo: server and client 10.0.0.1 */
	{ "::10.0.0.1", 1 },
	{ "::127.0.0.1", 1 },
};

/*
 * found by this test and fixed (no issue filed): a rule written with
 * the DNS root's trailing dot ("example.com.") is accepted but allows
 * nothing: the hosts file, DNS replies (dns_parse_reply's question check)
 * and pinned DNS's queries all say "example.com", and each is compared
 * with "example.com." as written.  (Fail closed, but silent.)
 */
struct world_row {
	const char *what, *rule, *hosts;
	const char *query;   /* a query spec for pinned DNS, or NULL: the rule's pins */
	const char *want;
};

static const struct world_row fixed_trailing_dot[] = {
	{ "'dot.example.:443' pins what the hosts file gives dot.example",
	    "dot.example.:443", "192.0.2.9 dot.example\n", NULL, "192.0.2.9/32" },
	{ "pinned DNS answers dot.example under 'dot.example.'",
	    "dot.example.", "192.0.2.9 dot.example\n", QH "=dot.example 0001 0001",
	    OK_HDR " an=1 192.0.2.9" },
	{ "pinned DNS answers x.wild.example under '*.wild.example.'",
	    "*.wild.example.", "", QH "=x.wild.example 0001 0001", OK_HDR " an=0" },
};

/* one rule and a hosts file, alone, in a child (the pin table is global) */
static void
world_child(const void *arg, char *out, size_t len)
{
	const struct world_row *row = arg;
	uint8_t q[512], a[512];
	size_t qn, n;

	rules = NULL;
	nrules = npins = 0;
	dyn_rules = NULL;
	text_file(row->hosts, hosts_path, sizeof(hosts_path));
	opt_hosts = hosts_path;
	opt_dns_given = 1;
	nservers = 0;
	opt_quiet = 1;
	opt_skip_unresolved = 1;
	opt_resolv = "/dev/null";
	add_rule(row->rule, NULL, 0);
	build_pin_table();
	if (!row->query) {
		pins_of(&rules[0], 0, out, len);
		return;
	}
	qn = assemble(row->query, q, sizeof(q));
	n = dns_answer(q, qn, a, sizeof(a), &unit_asker);
	format_answer(q, qn, a, n, out, len);
}

/*
 * found by this test and fixed (no issue filed): valid_hostname()
 * lets a label begin or end with '-', so an allow-file line "--bind"
 * with its ports forgotten becomes a name rule "--bind" (a warning that
 * it does not resolve) instead of an error naming the line.
 */
static const struct text_row fixed_hyphen_rules[] = {
	{ "-example.com", "error: not a host name or address" },
	{ "example-.com", "error: not a host name or address" },
	{ "*.-example.com", "error: bad wildcard name" },
};

static const struct allow_file_row fixed_hyphen_files[] = {
	{ "--bind without ports is an error naming the line", "--bind\n",
	    "exit 125: netpin: FILE:1: '--bind': an allow-file holds RULEs (one a line) and '--bind PORTS' lines, no other options" },
};

static void
test_fixed_bugs(void)
{
	char got[OUT];

	run_answer_rows("dns answer (issue 17 item 5)",
	    fixed_issue17_item5, NROWS(fixed_issue17_item5));
	run_answer_rows("dns answer (fixed: NUL in a label)",
	    fixed_label_nul, NROWS(fixed_label_nul));
	run_private_rows("private (issue 17 item 13)",
	    fixed_issue17_item13, NROWS(fixed_issue17_item13));
	for (size_t i = 0; i < NROWS(fixed_trailing_dot); i++) {
		in_child(world_child, &fixed_trailing_dot[i], got, sizeof(got));
		check("rule (fixed: trailing dot)", fixed_trailing_dot[i].what,
		    got, fixed_trailing_dot[i].want);
	}
	run_rule_rows("rule (fixed: hyphens)", fixed_hyphen_rules,
	    NROWS(fixed_hyphen_rules));
	run_allow_file_rows("allow-file (fixed: hyphens)", fixed_hyphen_files,
	    NROWS(fixed_hyphen_files));
}

/* ---- names in the connection ----------------------------------------------- */

/* What a TCP connection there must name, and which names it may */
static const struct { const char *addr; unsigned port; const char *want; } needs_rows[] = {
	{ "198.18.0.1", 443, "tls" },       /* two name rules, one front end */
	{ "198.18.0.2", 443, "-" },         /* raw: */
	{ "198.18.0.3", 8080, "http" },     /* http: on another port */
	{ "198.18.0.4", 80, "http" },       /* port 80: HTTP by default */
	{ "198.18.0.5", 443, "-" },         /* an address rule allows it too */
	{ "203.0.113.5", 443, "tls" },      /* api.example.com:443 */
	{ "10.1.2.3", 443, "-" },           /* tcp:10.0.0.0/8:443 */
	{ "198.18.0.1", 80, "-" },          /* not allowed at all */
	{ "198.18.0.7", 443, "tls" },       /* an address rule, a name denied there */
	{ "198.18.0.7", 80, "-" },          /* not allowed at all */
};

static const struct { const char *addr; unsigned port; int kind; const char *name, *want; }
    allowed_name_rows[] = {
	{ "198.18.0.1", 443, NEED_TLS, "front.example", "front.example:443" },
	{ "198.18.0.1", 443, NEED_TLS, "other-front.example", "other-front.example:443" },
	{ "198.18.0.1", 443, NEED_TLS, "evil.example", "-" },
	{ "198.18.0.1", 443, NEED_HTTP, "front.example", "-" },  /* 443: TLS only */
	{ "198.18.0.1", 443, NEED_TLS, "api.example.com", "-" }, /* not its address */
	{ "198.18.0.1", 443, NEED_TLS, "x.front.example", "-" },
	{ "198.18.0.3", 8080, NEED_HTTP, "web.example", "http:web.example:8080" },
	{ "198.18.0.4", 80, NEED_HTTP, "plain.example", "plain.example:80" },
	/* a name deny rule refuses its name only, wherever it is asked */
	{ "198.18.0.1", 443, NEED_TLS, "bad-front.example", "deny !tls:bad-front.example:443" },
	{ "198.18.0.7", 443, NEED_TLS, "banned.example", "deny !banned.example" },
	{ "198.18.0.7", 443, NEED_TLS, "shared.example", "198.18.0.7:443" },
	{ "198.18.0.7", 443, NEED_TLS, "other.example", "198.18.0.7:443" },
	{ "198.18.0.5", 443, NEED_TLS, "banned.example", "deny !banned.example" },
};

/* QUIC: UDP 443 to a name whose TCP is checked needs a udp: rule */
static const struct { const char *addr; unsigned port; const char *want; } quic_rows[] = {
	{ "198.18.0.1", 443, "deny" },
	{ "203.0.113.5", 443, "deny" },
	{ "198.18.0.6", 443, "udp:quic.example:443" },
	{ "198.18.0.2", 443, "raw:rawsite.example:443" },
	{ "198.18.0.5", 443, "198.18.0.5:443" },
};

static void
test_names_needed(void)
{
	char what[OUT];

	for (size_t i = 0; i < NROWS(needs_rows); i++) {
		struct dest d;
		int k;

		dest_from(needs_rows[i].addr, (uint16_t)needs_rows[i].port, &d);
		k = names_needed(&d);
		snprintf(what, sizeof(what), "needs %s:%u", needs_rows[i].addr,
		    needs_rows[i].port);
		check("names", what, k == NEED_TLS ? "tls" : k == NEED_HTTP ? "http" :
		    k ? "tls,http" : "-", needs_rows[i].want);
	}
	for (size_t i = 0; i < NROWS(allowed_name_rows); i++) {
		const struct rule *r, *deny;
		char got[OUT];
		struct dest d;

		dest_from(allowed_name_rows[i].addr, (uint16_t)allowed_name_rows[i].port, &d);
		r = name_verdict(&d, allowed_name_rows[i].kind, allowed_name_rows[i].name,
		    &deny);
		snprintf(what, sizeof(what), "%s at %s:%u (%s)", allowed_name_rows[i].name,
		    allowed_name_rows[i].addr, allowed_name_rows[i].port,
		    allowed_name_rows[i].kind == NEED_TLS ? "tls" : "http");
		snprintf(got, sizeof(got), "%s%s", deny ? "deny " : "",
		    deny ? deny->text : r ? r->text : "-");
		check("names", what, got, allowed_name_rows[i].want);
	}
	for (size_t i = 0; i < NROWS(quic_rows); i++) {
		const struct pin *p;
		struct dest d;

		dest_from(quic_rows[i].addr, (uint16_t)quic_rows[i].port, &d);
		p = pin_allowing(&d, P_UDP);
		snprintf(what, sizeof(what), "udp %s:%u", quic_rows[i].addr, quic_rows[i].port);
		check("quic", what, p ? p->rule->text : "deny", quic_rows[i].want);
	}
	check("names", "a rule checks names somewhere (getpeername mediated)",
	    rules_check_names() ? "yes" : "no", "yes");
}

/* A TLS record carrying a ClientHello with these extensions (bytes). */
static size_t
client_hello(uint8_t *out, const uint8_t *ext, size_t extlen, int with_exts)
{
	size_t body = 2 + 32 + 1 + 4 + 2 + (with_exts ? 2 + extlen : 0), o = 0;

	out[o++] = 22; out[o++] = 3; out[o++] = 1;
	out[o++] = (uint8_t)((body + 4) >> 8); out[o++] = (uint8_t)(body + 4);
	out[o++] = 1; out[o++] = 0;
	out[o++] = (uint8_t)(body >> 8); out[o++] = (uint8_t)body;
	out[o++] = 3; out[o++] = 3;
	memset(out + o, 0, 32); o += 32;
	out[o++] = 0;                                  /* session id */
	out[o++] = 0; out[o++] = 2; out[o++] = 0x13; out[o++] = 1; /* suites */
	out[o++] = 1; out[o++] = 0;                    /* compression */
	if (with_exts) {
		out[o++] = (uint8_t)(extlen >> 8); out[o++] = (uint8_t)extlen;
		memcpy(out + o, ext, extlen); o += extlen;
	}
	return o;
}

/* A server_name extension naming these names (one list). */
static size_t
sni_ext(uint8_t *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	size_t list = 3 + la + (b ? 3 + lb : 0), o = 0;

	out[o++] = 0; out[o++] = 0;
	out[o++] = (uint8_t)((list + 2) >> 8); out[o++] = (uint8_t)(list + 2);
	out[o++] = (uint8_t)(list >> 8); out[o++] = (uint8_t)list;
	out[o++] = 0; out[o++] = (uint8_t)(la >> 8); out[o++] = (uint8_t)la;
	memcpy(out + o, a, la); o += la;
	if (b) {
		out[o++] = 0; out[o++] = (uint8_t)(lb >> 8); out[o++] = (uint8_t)lb;
		memcpy(out + o, b, lb); o += lb;
	}
	return o;
}

/* what the tables say for a parser's outcome other than a name: "more",
 * "refuse: WHY" or "alien: WHY" */
static void
wire_not_name(char *got, size_t len, enum wire w, const char *why)
{
	if (w == WIRE_MORE)
		snprintf(got, len, "more");
	else
		snprintf(got, len, "%s: %s", w == WIRE_ALIEN ? "alien" : "refuse", why);
}

static void
tls_row(const char *what, const uint8_t *b, size_t len, const char *want)
{
	char name[256], got[OUT];
	const char *why = "";
	size_t reclen;
	int ech;
	enum wire w = tls_server_name(b, len, name, sizeof(name), &ech, &reclen, &why);

	if (w == WIRE_NAME)
		snprintf(got, sizeof(got), "name %s", name);
	else
		wire_not_name(got, sizeof(got), w, why);
	check("tls", what, got, want);
}

static void
test_tls(void)
{
	static const uint8_t grease[] = { 0x0a, 0x0a, 0, 0 };
	static const uint8_t ech[] = { 0xfe, 0x0d, 0, 1, 0 };
	uint8_t ext[600], hello[1200], split[1300];
	size_t e, n;

	e = sni_ext(ext, "Front.Example", NULL);
	n = client_hello(hello, ext, e, 1);
	tls_row("one server name (lower-cased)", hello, n, "name front.example");
	for (size_t cut = 0; cut < n; cut += 7) {
		char what[64];

		snprintf(what, sizeof(what), "the first %zu bytes", cut);
		tls_row(what, hello, cut, "more");
	}
	/* the same handshake in two records */
	memcpy(split, hello, 5 + 20);
	split[3] = 0; split[4] = 20;
	memcpy(split + 25, hello, 5);
	split[28] = (uint8_t)((n - 25) >> 8); split[29] = (uint8_t)(n - 25);
	memcpy(split + 30, hello + 25, n - 25);
	tls_row("a ClientHello in two records", split, n + 5, "name front.example");
	memcpy(ext + e, grease, sizeof(grease));
	n = client_hello(hello, ext, e + sizeof(grease), 1);
	tls_row("other extensions beside it", hello, n, "name front.example");
	e = sni_ext(ext, "front.example", NULL);
	e += sni_ext(ext + e, "evil.example", NULL);
	n = client_hello(hello, ext, e, 1);
	tls_row("two server_name extensions", hello, n, "refuse: two server_name extensions");
	e = sni_ext(ext, "front.example", "evil.example");
	n = client_hello(hello, ext, e, 1);
	tls_row("two names in one list", hello, n, "refuse: two server names");
	n = client_hello(hello, grease, sizeof(grease), 1);
	tls_row("no server_name", hello, n, "refuse: no server name");
	n = client_hello(hello, NULL, 0, 0);
	tls_row("no extensions", hello, n, "refuse: no server name (no extensions)");
	e = sni_ext(ext, "front.example", NULL);
	memcpy(ext + e, ech, sizeof(ech));
	n = client_hello(hello, ext, e + sizeof(ech), 1);
	tls_row("encrypted_client_hello", hello, n,
	    "refuse: encrypted_client_hello (the name asked cannot be seen; "
	    "--allow-ech checks only the outer one)");
	opt_allow_ech = 1;
	tls_row("encrypted_client_hello, --allow-ech: the outer name", hello, n,
	    "name front.example");
	opt_allow_ech = 0;
	e = sni_ext(ext, "evil example", NULL);
	n = client_hello(hello, ext, e, 1);
	tls_row("a name with a space", hello, n, "refuse: a server name that is no host name");
	e = sni_ext(ext, "10.0.0.1", NULL);
	n = client_hello(hello, ext, e, 1);
	tls_row("an address as the name", hello, n, "refuse: a server name that is no host name");
	e = sni_ext(ext, "front.example", NULL);
	n = client_hello(hello, ext, e, 1);
	hello[5] = 2;
	tls_row("a ServerHello", hello, n, "refuse: a handshake that is no ClientHello");
	n = client_hello(hello, ext, e, 1);
	hello[n - e - 1] ^= 0x40; /* the extensions' length */
	tls_row("a wrong extensions length", hello, n, "refuse: a malformed ClientHello");
	tls_row("plain HTTP", (const uint8_t *)"GET / HTTP/1.1\r\n", 16, "alien: not TLS");
	tls_row("an alert record", (const uint8_t *)"\x15\x03\x01\x00\x02\x02\x28", 7,
	    "alien: not TLS");
	tls_row("a record too long", (const uint8_t *)"\x16\x03\x01\x48\x01", 5,
	    "refuse: a malformed TLS record");
}

/*
 * A TLS connection as netpin follows it: the client's records (c), the
 * server's (s), in the order they come.  Each row is a script of steps;
 * what the client's records come to is said after each.
 */
enum tstep { T_END, T_HELLO, T_HELLO_ECH, T_HELLO_TWO, T_CCS, T_APPDATA,
	T_KEYX, T_HELLO_IN_KEYX, T_SRV_HRR, T_SRV_HELLO, T_SRV_HELLO_SPLIT,
	T_SRV_CCS, T_SRV_ODD };
static const struct {
	const char *what;
	struct { enum tstep step; const char *name; } steps[8];
	const char *want;
} tls_stream_rows[] = {
	{ "a hello, then the server's hello, then encrypted", { { T_HELLO, "a.example" },
	  { T_SRV_HELLO, NULL }, { T_CCS, NULL }, { T_APPDATA, NULL } }, "name a.example, done, done" },
	{ "TLS 1.3 with no ChangeCipherSpec", { { T_HELLO, "a.example" }, { T_SRV_HELLO, NULL },
	  { T_APPDATA, NULL } }, "name a.example, done" },
	{ "a retry request, the same name again", { { T_HELLO, "a.example" }, { T_SRV_HRR, NULL },
	  { T_SRV_CCS, NULL }, { T_CCS, NULL }, { T_HELLO, "a.example" }, { T_SRV_HELLO, NULL }, { T_APPDATA, NULL } },
	  "name a.example, more, more, done" },
	{ "a retry request, another name", { { T_HELLO, "a.example" }, { T_SRV_HRR, NULL },
	  { T_CCS, NULL }, { T_HELLO, "evil.example" } },
	  "name a.example, more, refuse: a second ClientHello naming another host" },
	{ "a second hello before the server answers", { { T_HELLO, "a.example" },
	  { T_HELLO, "evil.example" } },
	  "name a.example, refuse: a second ClientHello naming another host" },
	{ "a retry request, then encrypted_client_hello", { { T_HELLO, "a.example" },
	  { T_SRV_HRR, NULL }, { T_HELLO_ECH, "a.example" } },
	  "name a.example, refuse: a second ClientHello with another encrypted_client_hello" },
	{ "two hellos in one record", { { T_HELLO_TWO, "a.example" } },
	  "refuse: more than a ClientHello in its records" },
	{ "a hello after the server's hello", { { T_HELLO, "a.example" }, { T_SRV_HELLO, NULL },
	  { T_HELLO, "evil.example" } },
	  "name a.example, refuse: a ClientHello after the ServerHello" },
	{ "TLS 1.2: the key exchange in the clear, then encrypted", { { T_HELLO, "a.example" },
	  { T_SRV_HELLO, NULL }, { T_KEYX, NULL }, { T_CCS, NULL } }, "name a.example, more, done" },
	{ "TLS 1.2: a hello inside the key exchange's records", { { T_HELLO, "a.example" },
	  { T_SRV_HELLO, NULL }, { T_HELLO_IN_KEYX, "evil.example" } },
	  "name a.example, refuse: a ClientHello after the ServerHello" },
	{ "a ServerHello in two records", { { T_HELLO, "a.example" }, { T_SRV_HELLO_SPLIT, NULL },
	  { T_APPDATA, NULL } }, "name a.example, done" },
	{ "early data before the server's hello", { { T_HELLO, "a.example" }, { T_APPDATA, NULL },
	  { T_SRV_HELLO, NULL }, { T_APPDATA, NULL } }, "name a.example, more, done" },
	{ "a server that is no TLS: never done", { { T_HELLO, "a.example" }, { T_SRV_ODD, NULL },
	  { T_CCS, NULL }, { T_APPDATA, NULL }, { T_HELLO, "evil.example" } },
	  "name a.example, more, more, refuse: a second ClientHello naming another host" },
};

/* A server's handshake record: a ServerHello (a retry request: hrr). */
static size_t
server_hello(uint8_t *out, int hrr)
{
	size_t o = 0;

	out[o++] = 22; out[o++] = 3; out[o++] = 3; out[o++] = 0; out[o++] = 50;
	out[o++] = 2; out[o++] = 0; out[o++] = 0; out[o++] = 46;
	out[o++] = 3; out[o++] = 3;
	if (hrr)
		memcpy(out + o, tls_hrr_random, 32);
	else
		memset(out + o, 0x5a, 32);
	o += 32;
	out[o++] = 0; out[o++] = 0x13; out[o++] = 1; out[o++] = 0;  /* id, suite, comp. */
	out[o++] = 0; out[o++] = 6;                                    /* extensions */
	out[o++] = 0; out[o++] = 43; out[o++] = 0; out[o++] = 2; out[o++] = 3; out[o++] = 4;
	return o;
}

static void
test_tls_stream(void)
{
	static const uint8_t ech[] = { 0xfe, 0x0d, 0, 1, 0 };
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	static const uint8_t appdata[] = { 23, 3, 3, 0, 4, 1, 2, 3, 4 };
	/* a ClientKeyExchange (16) and a Certificate (11) split across records */
	static const uint8_t keyx[] = { 22, 3, 3, 0, 6, 16, 0, 0, 2, 9, 9,
		22, 3, 3, 0, 3, 11, 0, 0, 22, 3, 3, 0, 2, 1, 7 };

	opt_allow_ech = 1;
	for (size_t i = 0; i < NROWS(tls_stream_rows); i++) {
		struct tls_stream s;
		uint8_t buf[2048], ext[600];
		char got[OUT], name[256];
		size_t o = 0, at = 0;

		memset(&s, 0, sizeof(s));
		got[0] = '\0';
		for (int k = 0; tls_stream_rows[i].steps[k].step != T_END; k++) {
			const char *nm = tls_stream_rows[i].steps[k].name;
			const char *why = "";
			size_t e = nm ? sni_ext(ext, nm, NULL) : 0, n = 0, used, head;
			uint8_t one[2048];
			enum wire w;

			switch (tls_stream_rows[i].steps[k].step) {
			case T_HELLO_ECH:
				memcpy(ext + e, ech, sizeof(ech));
				e += sizeof(ech);
				/* fall through */
			case T_HELLO:
				n = client_hello(one, ext, e, 1);
				break;
			case T_HELLO_TWO:
				n = client_hello(one, ext, e, 1);
				memcpy(one + n, one + 5, n - 5);
				one[3] = (uint8_t)((2 * (n - 5)) >> 8);
				one[4] = (uint8_t)(2 * (n - 5));
				n = 2 * n - 5;
				break;
			case T_CCS:
				memcpy(one, ccs, n = sizeof(ccs));
				break;
			case T_APPDATA:
				memcpy(one, appdata, n = sizeof(appdata));
				break;
			case T_KEYX:
				memcpy(one, keyx, n = sizeof(keyx));
				break;
			case T_HELLO_IN_KEYX:
				/* a ClientKeyExchange, then a hello, in one record */
				n = client_hello(one + 6, ext, e, 1);
				memcpy(one, one + 6, 5);
				memmove(one + 5 + 6, one + 6 + 5, n - 5);
				memcpy(one + 5, (const uint8_t[]){ 16, 0, 0, 2, 9, 9 }, 6);
				one[3] = (uint8_t)((n + 1) >> 8);
				one[4] = (uint8_t)(n + 1);
				n += 6;
				break;
			case T_SRV_HRR:
			case T_SRV_HELLO:
			case T_SRV_HELLO_SPLIT:
			case T_SRV_CCS:
			case T_SRV_ODD: {
				uint8_t srv[200];
				size_t sn = server_hello(srv, tls_stream_rows[i].steps[k].step == T_SRV_HRR);

				if (tls_stream_rows[i].steps[k].step == T_SRV_HELLO_SPLIT) {
					/* the same hello in two records: 20 bytes, then the rest */
					memmove(srv + 30, srv + 25, sn - 25);
					memcpy(srv + 25, srv, 3);
					srv[28] = 0;
					srv[29] = (uint8_t)(sn - 25);
					srv[4] = 20;
					sn += 5;
				}
				if (tls_stream_rows[i].steps[k].step == T_SRV_CCS)
					memcpy(srv, ccs, sn = sizeof(ccs));
				if (tls_stream_rows[i].steps[k].step == T_SRV_ODD)
					memcpy(srv, "HTTP/1.1 200 OK\r\n", sn = 17);
				/* fed a byte at a time: the watch keeps its place */
				for (size_t j = 0; j < sn; j++)
					tls_server_feed(&s, srv + j, 1);
				continue;
			}
			case T_END:
				break;
			}
			memcpy(buf + o, one, n);
			o += n;
			w = tls_stream_next(&s, buf + at, o - at, &used, &head, name,
			    sizeof(name), &why);
			at += used;
			if (w == WIRE_NAME)
				at += head;
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s%s%s",
			    *got ? ", " : "", w == WIRE_NAME ? "name " : w == WIRE_REFUSE ?
			    "refuse: " : w == WIRE_ALIEN ? "alien: " : s.done ? "done" : "more",
			    w == WIRE_NAME ? name : "", w == WIRE_REFUSE || w == WIRE_ALIEN ?
			    why : "");
			if (w == WIRE_REFUSE || w == WIRE_ALIEN)
				break;
		}
		check("tls stream", tls_stream_rows[i].what, got, tls_stream_rows[i].want);
	}
	opt_allow_ech = 0;
}

static const struct { const char *what, *req, *want; } http_rows[] = {
	{ "a GET", "GET /a HTTP/1.1\r\nHost: Web.Example\r\n\r\n", "web.example head 38" },
	{ "a port in Host", "GET / HTTP/1.1\r\nHost: web.example:8080\r\n\r\n", "web.example head 42" },
	{ "HTTP/1.0", "GET / HTTP/1.0\r\nHost: web.example\r\nUser-Agent: x\r\n\r\n", "web.example head 52" },
	{ "a body", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 12\r\n\r\n", "a.example head 56 length 12" },
	{ "chunked", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n", "a.example head 64 chunked" },
	{ "chunked, another case", "POST / HTTP/1.1\r\nHost: a.example\r\ntransfer-encoding:Chunked \r\n\r\n", "a.example head 64 chunked" },
	{ "gzip, chunked", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "refuse: a Transfer-Encoding that is not exactly one chunked" },
	{ "chunked, identity", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked, identity\r\n\r\n", "refuse: a Transfer-Encoding that is not exactly one chunked" },
	{ "chunked twice", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "refuse: a Transfer-Encoding that is not exactly one chunked" },
	{ "a length list", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3, 3\r\n\r\n", "refuse: an unclear Content-Length" },
	{ "Content_Length", "POST / HTTP/1.1\r\nHost: a.example\r\nContent_Length: 3\r\n\r\n", "refuse: a header name that a server may read as Host, Content-Length or Transfer-Encoding" },
	{ "Transfer_encoding", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer_encoding: chunked\r\n\r\n", "refuse: a header name that a server may read as Host, Content-Length or Transfer-Encoding" },
	{ "an X_Header", "GET / HTTP/1.1\r\nHost: a.example\r\nX_Forwarded_For: 1\r\n\r\n", "a.example head 55" },
	{ "Upgrade: h2c", "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", "refuse: an Upgrade (what follows it is no HTTP/1 netpin can read)" },
	{ "a control byte in a value", "GET / HTTP/1.1\r\nHost: a.example\r\nX: a\x01b\r\n\r\n", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "a vertical tab in a value", "GET / HTTP/1.1\r\nHost: a.example\r\nX: a\vb\r\n\r\n", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "obs-text in a value", "GET / HTTP/1.1\r\nHost: a.example\r\nX: caf\xc3\xa9\r\n\r\n", "a.example head 45" },
	{ "a bare LF ends the head", "GET / HTTP/1.1\r\nHost: a.example\r\n\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "a bare LF, the head not all there", "GET / HTTP/1.1\r\nHost: a.example\nX", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "a tab in the target", "GET /a\tb HTTP/1.1\r\nHost: a.example\r\n\r\n", "refuse: a request target with a byte no URI has" },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: a.example\r\n\r\n", "refuse: not an HTTP/1 request" },
	{ "OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", "a.example head 39" },
	{ "GET *", "GET * HTTP/1.1\r\nHost: a.example\r\n\r\n", "refuse: a request target * that is not OPTIONS" },
	{ "HTTP/1.2", "GET / HTTP/1.2\r\nHost: a.example\r\n\r\n", "refuse: not an HTTP/1 request" },
	{ "an empty line first", "\r\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n", "alien: not HTTP" },
	{ "absolute form, the same host", "GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", "a.example head 52" },
	{ "not all there", "GET / HTTP/1.1\r\nHost: a.exa", "more" },
	{ "no Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "refuse: no Host" },
	{ "two Hosts", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\n\r\n", "refuse: more than one Host" },
	{ "an empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", "refuse: a Host that is no host name" },
	{ "an address as Host", "GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n", "refuse: a Host that is no host name" },
	{ "user info in Host", "GET / HTTP/1.1\r\nHost: a.example@evil.example\r\n\r\n", "refuse: a Host that is no host name" },
	{ "a folded line", "GET / HTTP/1.1\r\nHost: a.example\r\nX: y\r\n z\r\n\r\n", "refuse: a folded header line (obsolete line folding)" },
	{ "a space before the colon", "GET / HTTP/1.1\r\nHost : evil.example\r\n\r\n", "refuse: a malformed header line" },
	{ "length and chunked", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "refuse: both Content-Length and Transfer-Encoding" },
	{ "two lengths", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", "refuse: an unclear Content-Length" },
	{ "a signed length", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: +3\r\n\r\n", "refuse: an unclear Content-Length" },
	{ "chunked in HTTP/1.0", "POST / HTTP/1.0\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n", "refuse: Transfer-Encoding in an HTTP/1.0 request" },
	{ "chunked then gzip", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "refuse: a Transfer-Encoding that is not exactly one chunked" },
	{ "absolute form, another host", "GET http://evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", "refuse: a request target naming another host than Host" },
	{ "CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example\r\n\r\n", "refuse: CONNECT" },
	{ "HTTP/2 prior knowledge", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "refuse: not an HTTP/1 request" },
	{ "a bare LF", "GET / HTTP/1.1\nHost: a.example\r\n\r\n", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "a bare CR in a line", "GET / HTTP/1.1\r\nHost: a.example\rX: 1\r\n\r\n", "refuse: a CR, LF or control byte out of place in the request head" },
	{ "TLS", "\x16\x03\x01\x00\x10", "alien: not HTTP" },
	{ "lower-case method", "get / HTTP/1.1\r\nHost: a.example\r\n\r\n", "alien: not HTTP" },
};

static void
test_http(void)
{
	char host[256], got[OUT];

	for (size_t i = 0; i < NROWS(http_rows); i++) {
		const char *why = "";
		struct http_body body;
		size_t head = 0;
		enum wire w = http_request_host((const uint8_t *)http_rows[i].req,
		    strlen(http_rows[i].req), host, sizeof(host), &head, &body, &why);

		if (w == WIRE_NAME) {
			snprintf(got, sizeof(got), "%s head %zu%s%s", host, head,
			    body.chunked ? " chunked" : "", body.length ? " length " : "");
			if (body.length)
				snprintf(got + strlen(got), sizeof(got) - strlen(got),
				    "%llu", (unsigned long long)body.length);
		} else {
			wire_not_name(got, sizeof(got), w, why);
		}
		check("http", http_rows[i].what, got, http_rows[i].want);
	}
}

/*
 * Request streams (pipelined, bodies framed by length or chunked): every
 * name asked, in order, and how the stream ends.  A stream is read as it
 * could come: whole, and a byte at a time.
 */
#define CHUNKED_HEAD(host) "POST / HTTP/1.1\r\nHost: " host "\r\nTransfer-Encoding: chunked\r\n\r\n"
#define EVIL_GET "GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n"
static const struct { const char *what; const char *s; size_t n; const char *want; } stream_rows[] = {
	{ "two GETs", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET / HTTP/1.1\r\nHost: b.example\r\n\r\n", 0,
	  "a.example b.example more" },
	{ "a length, then a GET", "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nGET /" EVIL_GET, 0,
	  "a.example evil.example more" },
	{ "chunked, then a GET", CHUNKED_HEAD("a.example") "5\r\nhello\r\n0\r\n\r\n" EVIL_GET, 0,
	  "a.example evil.example more" },
	{ "chunked with extensions and a trailer", CHUNKED_HEAD("a.example") "5;x=1;y\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n" EVIL_GET, 0,
	  "a.example evil.example more" },
	{ "a chunk line ended by a bare LF", CHUNKED_HEAD("a.example") "40;\n" EVIL_GET, 0,
	  "a.example refuse: a CR, LF or control byte out of place in a chunk line or trailer" },
	{ "a chunk size ended by a bare LF", CHUNKED_HEAD("a.example") "28\n" EVIL_GET, 0,
	  "a.example refuse: a CR, LF or control byte out of place in a chunk line or trailer" },
	{ "a trailer line ended by a bare LF", CHUNKED_HEAD("a.example") "0\r\nX: y\n" EVIL_GET "\r\n", 0,
	  "a.example refuse: a CR, LF or control byte out of place in a chunk line or trailer" },
	{ "a NUL after the chunk size", CHUNKED_HEAD("a.example") "5\0;x\r\nhello\r\n0\r\n\r\n", 81,
	  "a.example refuse: a CR, LF or control byte out of place in a chunk line or trailer" },
	{ "a quoted chunk extension", CHUNKED_HEAD("a.example") "5;x=\"a b\"\r\nhello\r\n0\r\n\r\n", 0,
	  "a.example refuse: a chunk extension that is not ;name or ;name=value" },
	{ "whitespace before a chunk extension", CHUNKED_HEAD("a.example") "5 ;x\r\nhello\r\n0\r\n\r\n", 0,
	  "a.example refuse: a malformed chunk size" },
	{ "a chunk size of 16 digits", CHUNKED_HEAD("a.example") "0000000000000005\r\nhello\r\n", 0,
	  "a.example refuse: a chunk size of more than 15 digits" },
	{ "a chunk size that overflows", CHUNKED_HEAD("a.example") "10000000000000005\r\nhello\r\n", 0,
	  "a.example refuse: a chunk size of more than 15 digits" },
	{ "a chunk that does not end in CRLF", CHUNKED_HEAD("a.example") "5\r\nhelloX\r\n", 0,
	  "a.example refuse: a chunk that does not end in CRLF" },
	{ "a chunk ended by a bare LF", CHUNKED_HEAD("a.example") "5\r\nhello\n0\r\n\r\n", 0,
	  "a.example refuse: a chunk that does not end in CRLF" },
	{ "Host in a trailer", CHUNKED_HEAD("a.example") "0\r\nHost: evil.example\r\n\r\n", 0,
	  "a.example refuse: a framing or routing header in a trailer" },
	{ "Content-Length in a trailer", CHUNKED_HEAD("a.example") "0\r\nContent-Length: 40\r\n\r\n", 0,
	  "a.example refuse: a framing or routing header in a trailer" },
	{ "a folded trailer", CHUNKED_HEAD("a.example") "0\r\nX: y\r\n z\r\n\r\n", 0,
	  "a.example refuse: a folded header line (obsolete line folding)" },
	/* 1034 bytes (CHUNK_LINE_MAX is 1024) */
	{ "a chunk line too long", CHUNKED_HEAD("a.example") "5;x=" L64 L64 L64 L64 L64 L64 L64 L64
	  L64 L64 L64 L64 L64 L64 L64 L64 "aaaa\r\n", 0,
	  "a.example refuse: a chunk line or trailer too long" },
	{ "a NUL in a head", "GET / HTTP/1.1\r\nHost: a.example\r\nX: a\0b\r\n\r\n", 44,
	  "refuse: a CR, LF or control byte out of place in the request head" },
	{ "a second head with a bare LF", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET / HTTP/1.1\nHost: evil.example\r\n\r\n", 0,
	  "a.example refuse: a CR, LF or control byte out of place in the request head" },
};

/* The names a stream asks, fed n bytes at a time (0: whole). */
static void
stream_names(const char *s, size_t len, size_t step, char *got, size_t glen)
{
	struct http_stream h = { H_HEAD, 0 };
	size_t have = step ? 0 : len, done = 0, o = 0;

	got[0] = '\0';
	for (;;) {
		char name[256];
		const char *why = "";
		size_t used = 0, head = 0;
		enum wire w = http_stream_next(&h, (const uint8_t *)s + done,
		    have - done, &used, &head, name, sizeof(name), &why);

		done += used;
		if (w == WIRE_NAME) {
			o += (size_t)snprintf(got + o, glen - o, "%s%s", o ? " " : "", name);
			done += head;
			continue;
		}
		if (w == WIRE_REFUSE || w == WIRE_ALIEN) {
			snprintf(got + o, glen - o, "%s%s: %s", o ? " " : "",
			    w == WIRE_ALIEN ? "alien" : "refuse", why);
			return;
		}
		if (have == len) {
			snprintf(got + o, glen - o, "%smore", o ? " " : "");
			return;
		}
		have = have + step > len ? len : have + step;
	}
}

static void
test_http_stream(void)
{
	for (size_t i = 0; i < NROWS(stream_rows); i++) {
		size_t n = stream_rows[i].n ? stream_rows[i].n : strlen(stream_rows[i].s);
		char got[OUT], what[200];

		stream_names(stream_rows[i].s, n, 0, got, sizeof(got));
		check("http stream", stream_rows[i].what, got, stream_rows[i].want);
		stream_names(stream_rows[i].s, n, 1, got, sizeof(got));
		snprintf(what, sizeof(what), "%s (a byte at a time)", stream_rows[i].what);
		check("http stream", what, got, stream_rows[i].want);
	}
}

/* ---- a checked way's relay: pipe, then bulk buffer, bytes in order ---------- */

/* the relay's stream: byte i is i's low bytes mixed, never periodic at 64 KiB */
static uint8_t
relay_byte(size_t i)
{
	return (uint8_t)(i ^ (i >> 8) ^ (i >> 16) * 7);
}

/*
 * A way turns to bulk (its buffer) while its pipe still holds bytes that
 * the destination has no room for: they must go first.  from and to are
 * UNIX stream pairs; to is filled (its reader stays away) by trickles too
 * small to fill the pipe, then a flood fills it: bulk starts there.
 */
static void
test_relay(void)
{
	enum { TOTAL = 6 << 20 };
	int src[2], dst[2], bad = -1;
	struct pump p = { .pipe = { -1, -1 } };
	uint8_t chunk[1000], *back = malloc(TOTAL + 1);
	size_t fed = 0, got = 0, held_at_bulk = 0;
	char out[OUT];

	if (!back || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, src) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, dst) ||
	    pipe2(p.pipe, O_NONBLOCK)) {
		check("relay", "set up", strerror(errno), "");
		return;
	}
	p.from = src[1];
	p.to = dst[0];
	/* trickle until to is full and the pipe holds some of what came */
	for (int i = 0; i < 100000 && !p.n; i++) {
		for (size_t j = 0; j < sizeof(chunk); j++)
			chunk[j] = relay_byte(fed + j);
		if (write(src[0], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk) ||
		    pump_move(&p))
			break;
		fed += sizeof(chunk);
	}
	/* a flood: the pipe fills, the way turns to bulk */
	for (int i = 0; i < 100000 && !p.buf; i++) {
		uint8_t big[16384];
		ssize_t w;

		for (size_t j = 0; j < sizeof(big); j++)
			big[j] = relay_byte(fed + j);
		if ((w = write(src[0], big, sizeof(big))) > 0)
			fed += (size_t)w;
		if (pump_move(&p))
			break;
		held_at_bulk = p.n;
	}
	snprintf(out, sizeof(out), "bulk %d, pipe held bytes %d", p.buf != NULL, held_at_bulk > 0);
	check("relay", "a way turns to bulk while its pipe holds bytes", out, "bulk 1, pipe held bytes 1");
	/* the rest, read as it comes; then the end */
	for (int i = 0; i < 1000000; i++) { /* to its end (one byte more: too many) */
		uint8_t big[65536];
		ssize_t r;

		while (fed < TOTAL) {
			size_t k = TOTAL - fed < sizeof(big) ? TOTAL - fed : sizeof(big);
			ssize_t w;

			for (size_t j = 0; j < k; j++)
				big[j] = relay_byte(fed + j);
			if ((w = write(src[0], big, k)) <= 0)
				break;
			fed += (size_t)w;
		}
		if (fed == TOTAL && !p.eof)
			shutdown(src[0], SHUT_WR);
		if (pump_move(&p))
			break;
		while ((r = read(dst[1], back + got, TOTAL + 1 - got)) > 0)
			got += (size_t)r;
		if (r == 0)
			break;
	}
	for (size_t i = 0; i < got && bad < 0; i++)
		if (back[i] != relay_byte(i))
			bad = (int)i;
	snprintf(out, sizeof(out), "%zu bytes, first wrong at %d, shut %d", got, bad, p.shut);
	check("relay", "every byte arrives, in order, then the end", out, "6291456 bytes, first wrong at -1, shut 1");
	bulk_end(&p);
	close(src[0]), close(src[1]), close(dst[0]), close(dst[1]);
	close(p.pipe[0]), close(p.pipe[1]);
	free(back);
}

int
main(void)
{
	shared = mmap(NULL, OUT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("unit: mmap");
		return 2;
	}
	run_rule_rows("rule", rule_rows, NROWS(rule_rows));
	test_ports();
	test_ports_match();
	run_allow_file_rows("allow-file", allow_file_rows, NROWS(allow_file_rows));
	test_servers();
	test_sockaddrs();
	test_sockaddr_lengths();
	test_dest_store();
	test_unix_paths();
	test_unspecified();
	run_private_rows("private", private_rows, NROWS(private_rows));
	test_dns_names();
	test_dns_queries();
	test_dns_replies();
	/* from here on: one pin table, built from the rules and hosts above */
	load_world();
	test_hosts();
	test_decision();
	test_port53();
	test_naming();
	test_names_needed();
	test_tls();
	test_tls_stream();
	test_http();
	test_http_stream();
	test_guard();
	test_relay();
	run_answer_rows("dns answer", answer_rows, NROWS(answer_rows));
	test_fixed_bugs();
	return failures ? 1 : 0;
}

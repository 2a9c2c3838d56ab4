/*
 * httpsend - the client of the http-diff area (tests/areas/36-http-diff.sh):
 * one raw HTTP request stream, sent whole to several servers at once.
 *
 *	httpsend FILE MARK ADDR PORT...
 *
 * For each PORT, on a connection of its own to ADDR (one thread each): the
 * bytes of FILE, every "?@s" in them written "?MARKs" (MARK: one character;
 * the corpus tags each request's target "?@sID-N", and the mark tells the
 * run that sent it: the same length, so no framing changes), then
 * shutdown(SHUT_WR), then what comes back is read until EOF (10 s at
 * most).  Prints one line per port, in the order given:
 *
 *	PORT STATUS... END
 *
 * STATUS: the code of each response line ("HTTP/1.x NNN" at the start of
 * what came back or of a line of it: a report, not a parse), END: eof,
 * reset, timeout, or connect:ERRNO.  A process of its own per stream, and
 * a small one: netpin runs it once per stream of the corpus.
 *
 *	cc -O2 -Wall -Wextra -Werror -pthread -o tests/httpsend tests/httpsend.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_STREAM (1 << 20)
#define MAX_ANSWER (1 << 20)

struct way {
	pthread_t thread;
	struct sockaddr_in to;
	char line[512];
};

static char *stream;
static size_t stream_len;

/* The codes of the response lines in what came back, as " NNN" each. */
static void
statuses(const char *b, size_t n, char *out, size_t outlen)
{
	size_t used = strlen(out);

	for (size_t i = 0; i + 12 <= n; i++) {
		if ((i > 0 && b[i - 1] != '\n') || memcmp(b + i, "HTTP/1.", 7) ||
		    b[i + 8] != ' ')
			continue;
		if (used + 5 < outlen)
			used += (size_t)snprintf(out + used, outlen - used, " %.3s", b + i + 9);
	}
}

/* Send the stream on one connection, read to EOF, say what came back. */
static void *
send_one(void *arg)
{
	struct way *w = arg;
	struct timeval tv = { 10, 0 };
	char *got = malloc(MAX_ANSWER);
	size_t n = 0, off = 0;
	const char *end = "eof";
	int s;

	snprintf(w->line, sizeof(w->line), "%u", ntohs(w->to.sin_port));
	if (!got) {
		snprintf(w->line + strlen(w->line), sizeof(w->line) - strlen(w->line),
		    " malloc");
		return NULL;
	}
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&w->to, sizeof(w->to)) < 0) {
		snprintf(w->line + strlen(w->line), sizeof(w->line) - strlen(w->line),
		    " connect:%s", strerror(errno));
		if (s >= 0)
			close(s);
		free(got);
		return NULL;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < stream_len) {
		ssize_t k = send(s, stream + off, stream_len - off, MSG_NOSIGNAL);

		if (k <= 0)
			break; /* refused midway: what came back says so */
		off += (size_t)k;
	}
	shutdown(s, SHUT_WR);
	for (;;) {
		ssize_t k = recv(s, got + n, MAX_ANSWER - n, 0);

		if (k > 0 && (n += (size_t)k) < MAX_ANSWER)
			continue;
		if (k < 0)
			end = errno == ECONNRESET ? "reset" :
			    errno == EAGAIN ? "timeout" : strerror(errno);
		break;
	}
	close(s);
	statuses(got, n, w->line, sizeof(w->line));
	free(got);
	snprintf(w->line + strlen(w->line), sizeof(w->line) - strlen(w->line), " %s", end);
	return NULL;
}

/* FILE's bytes into stream, "?@s" marked "?Ms". */
static int
read_stream(const char *path, char mark)
{
	FILE *f = fopen(path, "rb");
	char *p;

	if (!f || !(stream = malloc(MAX_STREAM)))
		return -1;
	stream_len = fread(stream, 1, MAX_STREAM, f);
	fclose(f);
	for (p = stream; (p = memmem(p, stream_len - (size_t)(p - stream), "?@s", 3)); p += 3)
		p[1] = mark;
	return 0;
}

int
main(int argc, char **argv)
{
	struct way ways[MAX_PORTS];
	int n = argc - 4;

	if (argc < 5 || n > MAX_PORTS || strlen(argv[2]) != 1) {
		fprintf(stderr, "usage: httpsend FILE MARK ADDR PORT...\n");
		return 2;
	}
	if (read_stream(argv[1], argv[2][0]) < 0) {
		perror(argv[1]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		memset(&ways[i], 0, sizeof(ways[i]));
		ways[i].to.sin_family = AF_INET;
		ways[i].to.sin_port = htons((uint16_t)atoi(argv[4 + i]));
		if (inet_pton(AF_INET, argv[3], &ways[i].to.sin_addr) != 1) {
			fprintf(stderr, "httpsend: %s: not an IPv4 address\n", argv[3]);
			return 2;
		}
		if (pthread_create(&ways[i].thread, NULL, send_one, &ways[i])) {
			fprintf(stderr, "httpsend: pthread_create failed\n");
			return 2;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(ways[i].thread, NULL);
		puts(ways[i].line);
	}
	return 0;
}

/*
 * Attack: --deny-unix DIR/denied.sock checks the socket file by device and
 * inode and then connects.  A thread of the command swaps, again and
 * again, what the name it connects to stands for, between the denied
 * socket and an allowed one, so that a check of one file and a connect by
 * name could reach the other:
 *   exchange  renameat2(RENAME_EXCHANGE) of DIR/denied.sock and
 *             DIR/allowed.sock; the command connects to DIR/allowed.sock
 *   symlink   DIR/link is replaced (symlink, rename) by one to the other
 *             socket in turn; the command connects to DIR/link
 * Each server answers a connection with one byte, D (denied) or A, and
 * the serving process writes one line per connection it accepted to
 * DIR/record: the denied one must have accepted none.
 *
 *   race_unix_deny serve DIR      (outside netpin: the two servers; until
 *                                  SIGTERM, 120 s at most)
 *   race_unix_deny PORT [UDPPORT] DIR exchange|symlink   (under netpin)
 */
#include "race.h"
#include <sys/un.h>

static char dir[200], denied[256], allowed[256], link_[256], tmp[256];
static atomic_int stop;

static struct sockaddr_un
sun_of(const char *path)
{
	struct sockaddr_un s;

	memset(&s, 0, sizeof(s));
	s.sun_family = AF_UNIX;
	snprintf(s.sun_path, sizeof(s.sun_path), "%s", path);
	return s;
}

static int
listen_at(const char *path)
{
	struct sockaddr_un s = sun_of(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) || listen(fd, 64)) {
		fprintf(stderr, "race_unix_deny: listen on %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void
serve(void)
{
	struct pollfd p[2];
	char path[300];
	FILE *rec;
	double end = now_s() + 120;

	snprintf(path, sizeof(path), "%s/record", dir);
	if (!(rec = fopen(path, "w"))) {
		perror("race_unix_deny: record");
		exit(1);
	}
	p[0].fd = listen_at(denied);
	p[1].fd = listen_at(allowed);
	p[0].events = p[1].events = POLLIN;
	snprintf(path, sizeof(path), "%s/ready", dir);
	fclose(fopen(path, "w"));
	while (now_s() < end) {
		if (poll(p, 2, 1000) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int c;

			if (!(p[i].revents & POLLIN) || (c = accept(p[i].fd, NULL, NULL)) < 0)
				continue;
			fprintf(rec, "%s\n", i ? "allowed" : "denied");
			fflush(rec);
			(void)!write(c, i ? "A" : "D", 1);
			close(c);
		}
	}
}

static void *
exchanger(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		syscall(SYS_renameat2, AT_FDCWD, denied, AT_FDCWD, allowed, 2 /* RENAME_EXCHANGE */);
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *
relinker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
		unlink(tmp);
		if (symlink(i % 2 ? allowed : denied, tmp) == 0)
			rename(tmp, link_);
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int n, ok = 0, eacces = 0, other = 0, lasterr = 0, to_denied = 0, to_allowed = 0;
	const char *how, *target;
	struct sockaddr_un s;
	pthread_t t;
	double started;

	if (argc == 3 && !strcmp(argv[1], "serve")) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		snprintf(denied, sizeof(denied), "%s/denied.sock", dir);
		snprintf(allowed, sizeof(allowed), "%s/allowed.sock", dir);
		serve();
		return 0;
	}
	ports(argc, argv);
	if (argc < 5) {
		fprintf(stderr, "usage: race_unix_deny PORT UDPPORT DIR exchange|symlink\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[3]);
	how = argv[4];
	snprintf(denied, sizeof(denied), "%s/denied.sock", dir);
	snprintf(allowed, sizeof(allowed), "%s/allowed.sock", dir);
	snprintf(link_, sizeof(link_), "%s/link", dir);
	snprintf(tmp, sizeof(tmp), "%s/link.tmp", dir);
	if (!strcmp(how, "symlink")) {
		if (symlink(allowed, link_) && errno != EEXIST) {
			printf("race_unix_deny: setup=%s\n", ename(errno));
			return 0;
		}
		target = link_;
		pthread_create(&t, NULL, relinker, NULL);
	} else {
		target = allowed;
		pthread_create(&t, NULL, exchanger, NULL);
	}
	s = sun_of(target);
	started = now_s();
	for (n = 0; race_goes_on(n, 5000, started, to_allowed && eacces); n++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char c = 0;

		if (fd < 0) {
			other++;
			lasterr = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) == 0) {
			ok++;
			if (read(fd, &c, 1) == 1 && c == 'D')
				to_denied++;
			else if (c == 'A')
				to_allowed++;
		} else if (errno == EACCES) {
			eacces++;
		} else {
			other++;
			lasterr = errno;
		}
		close(fd);
		if (n % 16 == 0)
			racer_ran();
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("race_unix_deny: how=%s connects=%d swaps=%d ok=%d eacces=%d other=%d "
	    "last_other=%s to_allowed=%d to_denied=%d\n", how, n, atomic_load(&racer_rounds),
	    ok, eacces, other, ename(lasterr), to_allowed, to_denied);
	return 0;
}

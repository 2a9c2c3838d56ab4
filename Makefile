# netpin — see README.  `make` builds a static ./netpin with musl-gcc when it
# is installed, else with $(CC) -static.
PREFIX ?= /usr/local
CFLAGS ?= -Os -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
LDFLAGS_GC = -Wl,--gc-sections
LDFLAGS ?= -s
WARN = -Wall -Wextra -Werror
NETPIN_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo $(CC))
TEST_CC ?= $(CC)

HELPERS = tests/netop tests/bpftest tests/unit tests/refuse tests/np-addfd tests/stress \
	tests/tunnel tests/httpsend tests/bench/floor
FUZZ_TARGETS = dns rule sockaddr cmsg
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

all: netpin

netpin: netpin.c
	$(NETPIN_CC) -static $(CFLAGS) $(WARN) $(LDFLAGS) $(LDFLAGS_GC) -o $@ netpin.c -pthread

tests/netop: tests/netop.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/netop.c -pthread

tests/bpftest: tests/bpftest.c netpin.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/bpftest.c -pthread

tests/unit: tests/unit.c netpin.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/unit.c -pthread

# the same client linked statically with musl: musl's resolver
tests/netop-musl: tests/netop.c
	musl-gcc -static -O2 $(WARN) -o $@ tests/netop.c

tests/stress: tests/stress.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/stress.c -pthread

# checked connections: a destination that does not answer, an outsider at
# netpin's listeners, a getpeername() netpin cannot read (checked-edges)
tests/tunnel: tests/tunnel.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/tunnel.c -pthread

# the http-diff area's client: one request stream to several servers at once
tests/httpsend: tests/httpsend.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/httpsend.c -pthread

tests/refuse: tests/refuse.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/refuse.c

tests/np-addfd: tests/refuse.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/refuse.c

# make bench's floors: the least a notifier or a filter costs (static where
# the libc allows, as netpin is: its startup is then no dynamic loading)
tests/bench/floor: tests/bench/floor.c
	$(TEST_CC) -static -O2 $(WARN) -o $@ tests/bench/floor.c -pthread 2>/dev/null || \
	$(TEST_CC) -O2 $(WARN) -o $@ tests/bench/floor.c -pthread

tests/fuzz: tests/fuzz.c netpin.c
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz.c

# netpin built with AddressSanitizer and UBSan (dynamic), for the tests
netpin-asan: netpin.c
	$(FUZZ_CC) -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined $(WARN) -o $@ netpin.c -pthread

# with musl-gcc there, a static musl client too (musl's resolver)
helpers: $(HELPERS) $(if $(shell command -v musl-gcc),tests/netop-musl)

# the containers area's image is FROM scratch: it holds the test programs,
# the attacks of tests/escape and make bench's loops, linked statically
# (with glibc: they use the kernel's headers, which musl-gcc does not see),
# in tests/static/ (tests/areas/97-containers.sh, tests/containers/)
STATIC_HELPERS = tests/static/netop tests/static/refuse tests/static/recorder \
	tests/static/asuser tests/static/probe tests/static/bench
STATIC_ESCAPE = $(patsubst tests/escape/%.c,tests/static/escape/%,$(wildcard tests/escape/*.c))
STATIC_CC = $(TEST_CC) -static -O2 $(WARN)

# (with musl where netpin is: its resolver needs no file of a libc's)
tests/static/netop: tests/netop.c
	@mkdir -p $(@D)
	$(NETPIN_CC) -static -O2 $(WARN) -o $@ tests/netop.c -pthread

tests/static/refuse: tests/refuse.c
	@mkdir -p $(@D)
	$(STATIC_CC) -o $@ tests/refuse.c

tests/static/recorder: tests/vm/recorder.c
	@mkdir -p $(@D)
	$(STATIC_CC) -o $@ tests/vm/recorder.c

tests/static/asuser: tests/vm/asuser.c
	@mkdir -p $(@D)
	$(STATIC_CC) -o $@ tests/vm/asuser.c

tests/static/probe: tests/containers/probe.c
	@mkdir -p $(@D)
	$(STATIC_CC) -o $@ tests/containers/probe.c

tests/static/bench: tests/bench/bench.c
	@mkdir -p $(@D)
	$(STATIC_CC) -o $@ tests/bench/bench.c -pthread

tests/static/escape/%: tests/escape/%.c tests/escape/common.h
	@mkdir -p $(@D)
	$(STATIC_CC) -Itests/escape -o $@ $< -pthread

static-helpers: $(STATIC_HELPERS) $(STATIC_ESCAPE)

fuzzers: tests/fuzz

# a longer fuzzing run than the tests' (FUZZ_SECONDS each)
FUZZ_SECONDS ?= 300
fuzz: tests/fuzz
	for f in $(FUZZ_TARGETS); do mkdir -p tests/fuzz-$$f.corpus && FUZZ_TARGET=$$f tests/fuzz -max_total_time=$(FUZZ_SECONDS) tests/fuzz-$$f.corpus || exit 1; done

# every test; AREAS="tcp udp" runs some areas (./test.sh -l lists them),
# MODE=pidfd_getfd or MODE=addfd one mode
test: netpin helpers
	./test.sh $(if $(MODE),-m $(MODE)) $(AREAS)

demo: netpin
	./tests/demo.sh

# figures against the same work without netpin, and against their floors
# (a report, see README)
bench: netpin tests/bench/floor tests/refuse
	./tests/bench.sh

# the kernel matrix: Debian's kernels booted under qemu, the tests run in each
# (tests/vm.sh; KERNELS="amd64-6.1 arm64-6.12" some of them, tests/vm.sh -l
# lists them)
vm-test:
	tests/vm.sh $(KERNELS)

install: netpin
	install -D -m 0755 netpin $(DESTDIR)$(PREFIX)/bin/netpin
	install -D -m 0644 netpin.1 $(DESTDIR)$(PREFIX)/share/man/man1/netpin.1

clean:
	rm -rf netpin netpin-asan $(HELPERS) tests/fuzz tests/fuzz-*.corpus tests/static

.PHONY: all helpers static-helpers fuzzers fuzz test demo bench vm-test install clean

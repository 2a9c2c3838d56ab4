# netpin — see README.  `make` builds a static ./netpin with musl-gcc when it
# is installed, else with $(CC) -static.
PREFIX ?= /usr/local
CFLAGS ?= -O2
LDFLAGS ?= -s
WARN = -Wall -Wextra -Werror
NETPIN_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo $(CC))
TEST_CC ?= $(CC)

HELPERS = tests/netop tests/bpftest

all: netpin

netpin: netpin.c
	$(NETPIN_CC) -static $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ netpin.c -pthread

tests/netop: tests/netop.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/netop.c -pthread

tests/bpftest: tests/bpftest.c netpin.c
	$(TEST_CC) -O2 $(WARN) -o $@ tests/bpftest.c -pthread

helpers: $(HELPERS)

test: netpin helpers
	./test.sh

demo: netpin helpers
	./tests/demo.sh

install: netpin
	install -D -m 0755 netpin $(DESTDIR)$(PREFIX)/bin/netpin

clean:
	rm -f netpin $(HELPERS)

.PHONY: all helpers test demo install clean

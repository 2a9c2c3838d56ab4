/*
 * Attack: making ourselves unreadable to netpin.  prctl(PR_SET_DUMPABLE, 0)
 * (netpin's filter turns it into a no-op), then the probes: allowed must
 * still work and denied must be EACCES.  As root, also setresuid to nobody
 * (a change of credentials clears the dumpable flag too), then the probes
 * again.  With "exec" as third argument it first re-executes itself
 * (used by the runner on an execute-only copy, which the kernel also makes
 * non-dumpable).
 * usage: dumpable PORT [UDPPORT [exec]]
 */
#include "common.h"
#include <sys/prctl.h>

int
main(int argc, char **argv)
{
	char p1[256], p2[256] = "-";
	const char *set;
	int before, after, after_uid = -1;

	ports(argc, argv);
	before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	set = RES(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	after = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	probe_all(p1, sizeof(p1), "dumpable");
	if (geteuid() == 0) {
		if (setresuid(65534, 65534, 65534) == 0) {
			after_uid = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
			probe_all(p2, sizeof(p2), "dumpable-nobody");
		}
	}
	printf("dumpable: dumpable_at_start=%d set_dumpable_0=%s dumpable_after=%d %s "
	    "| after_setresuid_nobody: dumpable=%d %s\n", before, set, after, p1, after_uid, p2);
	return 0;
}

/*
 * Attack: multicast group joins (issue 17, item 2).  A join makes the
 * kernel send IGMPv3 / MLDv2 reports whose group and source addresses are
 * bytes the command chose, to the link: data out with no connect or send
 * for netpin to see.  Each join option (and source filter), each on its
 * own UDP socket, for the chosen group 239.9.9.9 (source 10.1.2.3) and
 * ff15::1234 (source 2001:db8::77), on interface IFNAME (IPv4 address
 * IFADDR).  With ALLOWED (a group a rule names), IP_ADD_MEMBERSHIP and
 * MCAST_JOIN_GROUP for it too ("allowed_..."): they must still work.
 * Sockets stay open (groups joined) until the end.
 * usage: mcast_join PORT UDPPORT IFNAME IFADDR [ALLOWED]
 */
#include "common.h"
#include <net/if.h>

#define GROUP4 "239.9.9.9"
#define SOURCE4 "10.1.2.3"
#define GROUP6 "ff15::1234"
#define SOURCE6 "2001:db8::77"

static unsigned ifindex;
static struct in_addr ifaddr;

static struct sockaddr_storage
ss_of(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 s = sin6(ip, 0);

		memcpy(&ss, &s, sizeof(s));
	} else {
		struct sockaddr_in s = sin4(ip, 0);

		memcpy(&ss, &s, sizeof(s));
	}
	return ss;
}

static int
udp(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static const char *
ip_add_membership(const char *group)
{
	struct ip_mreqn m;

	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET, group, &m.imr_multiaddr);
	m.imr_ifindex = (int)ifindex;
	return RES(setsockopt(udp(AF_INET), IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)));
}

static const char *
ip_add_source_membership(void)
{
	struct ip_mreq_source m;

	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET, GROUP4, &m.imr_multiaddr);
	inet_pton(AF_INET, SOURCE4, &m.imr_sourceaddr);
	m.imr_interface = ifaddr;
	return RES(setsockopt(udp(AF_INET), IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m,
	    sizeof(m)));
}

/* MCAST_JOIN_GROUP at level (IPPROTO_IP or IPPROTO_IPV6) on fd */
static int
join_group(int fd, int level, const char *group)
{
	struct group_req g;

	memset(&g, 0, sizeof(g));
	g.gr_interface = ifindex;
	g.gr_group = ss_of(group);
	return setsockopt(fd, level, MCAST_JOIN_GROUP, &g, sizeof(g));
}

static const char *
mcast_join_group(int family, const char *group)
{
	return RES(join_group(udp(family), family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	    group));
}

static const char *
mcast_join_source_group(int family, const char *group, const char *source)
{
	struct group_source_req g;

	memset(&g, 0, sizeof(g));
	g.gsr_interface = ifindex;
	g.gsr_group = ss_of(group);
	g.gsr_source = ss_of(source);
	return RES(setsockopt(udp(family), family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	    MCAST_JOIN_SOURCE_GROUP, &g, sizeof(g)));
}

/* a source filter (exclude SOURCE4) on a socket that joined first (the
 * kernel wants a prior join; its result is not what is reported) */
static const char *
mcast_msfilter(void)
{
	union {
		struct group_filter f;
		char buf[GROUP_FILTER_SIZE(1)];
	} u;
	int fd = udp(AF_INET);

	join_group(fd, IPPROTO_IP, GROUP4);
	memset(&u, 0, sizeof(u));
	u.f.gf_interface = ifindex;
	u.f.gf_group = ss_of(GROUP4);
	u.f.gf_fmode = MCAST_EXCLUDE;
	u.f.gf_numsrc = 1;
	u.f.gf_slist[0] = ss_of(SOURCE4);
	return RES(setsockopt(fd, IPPROTO_IP, MCAST_MSFILTER, &u, GROUP_FILTER_SIZE(1)));
}

static const char *
ip_msfilter(void)
{
	union {
		struct ip_msfilter f;
		char buf[IP_MSFILTER_SIZE(1)];
	} u;
	int fd = udp(AF_INET);

	join_group(fd, IPPROTO_IP, GROUP4);
	memset(&u, 0, sizeof(u));
	inet_pton(AF_INET, GROUP4, &u.f.imsf_multiaddr);
	u.f.imsf_interface = ifaddr;
	u.f.imsf_fmode = MCAST_EXCLUDE;
	u.f.imsf_numsrc = 1;
	inet_pton(AF_INET, SOURCE4, &u.f.imsf_slist[0]);
	return RES(setsockopt(fd, IPPROTO_IP, IP_MSFILTER, &u, IP_MSFILTER_SIZE(1)));
}

static const char *
ipv6_add_membership(void)
{
	struct ipv6_mreq m;

	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET6, GROUP6, &m.ipv6mr_multiaddr);
	m.ipv6mr_interface = ifindex;
	return RES(setsockopt(udp(AF_INET6), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m,
	    sizeof(m)));
}

int
main(int argc, char **argv)
{
	char probes[256];

	ports(argc, argv);
	if (argc < 5) {
		fprintf(stderr, "usage: mcast_join PORT UDPPORT IFNAME IFADDR [ALLOWED]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[3]);
	inet_pton(AF_INET, argv[4], &ifaddr);
	printf("mcast_join: ifindex=%u ip_add_membership=%s ip_add_source_membership=%s "
	    "mcast_join_group=%s mcast_join_source_group=%s mcast_msfilter=%s "
	    "ip_msfilter=%s ipv6_add_membership=%s ipv6_mcast_join_group=%s "
	    "ipv6_mcast_join_source_group=%s",
	    ifindex, ip_add_membership(GROUP4), ip_add_source_membership(),
	    mcast_join_group(AF_INET, GROUP4), mcast_join_source_group(AF_INET, GROUP4, SOURCE4),
	    mcast_msfilter(), ip_msfilter(), ipv6_add_membership(),
	    mcast_join_group(AF_INET6, GROUP6),
	    mcast_join_source_group(AF_INET6, GROUP6, SOURCE6));
	if (argc > 5)
		printf(" allowed_ip_add_membership=%s allowed_mcast_join_group=%s",
		    ip_add_membership(argv[5]), mcast_join_group(AF_INET, argv[5]));
	probe_all(probes, sizeof(probes), "mcast");
	printf(" %s\n", probes);
	return 0;
}

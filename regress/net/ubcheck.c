/*
 * ubcheck - resolve one name the way filter-mtasts does (libunbound,
 * forwarding to the network's resolver, file trust anchor, no other
 * options) and print the validation status.  It proves that libunbound's
 * built-in local zones do not hide the test TLD (pitfall 1 of
 * test-network.md: "test." is one of them).
 *
 * usage: ubcheck RESOLVER ANCHORFILE NAME TYPE
 * prints: rcode=N havedata=N nxdomain=N secure=N bogus=N why=...
 * build:  cc -o ubcheck ubcheck.c -lunbound
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

static int
rrtype(const char *s)
{
	static const struct { const char *n; int t; } tab[] = {
		{ "A", 1 }, { "MX", 15 }, { "TXT", 16 }, { "TLSA", 52 },
		{ "SOA", 6 }, { "CNAME", 5 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(s, tab[i].n) == 0)
			return tab[i].t;
	return atoi(s);
}

int
main(int argc, char *argv[])
{
	struct ub_ctx *ctx;
	struct ub_result *res;
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: ubcheck resolver anchor name type\n");
		return 2;
	}
	if ((ctx = ub_ctx_create()) == NULL)
		return 2;
	if ((err = ub_ctx_set_fwd(ctx, argv[1])) != 0 ||
	    (err = ub_ctx_add_ta_file(ctx, argv[2])) != 0 ||
	    (err = ub_resolve(ctx, argv[3], rrtype(argv[4]), 1, &res)) != 0) {
		fprintf(stderr, "ubcheck: %s\n", ub_strerror(err));
		return 1;
	}
	printf("rcode=%d havedata=%d nxdomain=%d secure=%d bogus=%d why=%s\n",
	    res->rcode, res->havedata, res->nxdomain, res->secure, res->bogus,
	    res->why_bogus ? res->why_bogus : "-");
	ub_resolve_free(res);
	ub_ctx_delete(ctx);
	return 0;
}

/*
 * mining_core.c -- benchmark of the core DBSCAN on generated chains, with
 * the exact all-pairs DBSCAN (test/core/test_dbscan_ref.c) timed on the
 * same chains and the two results compared.  One size per process, so the
 * peak resident memory belongs to it:
 *
 *   mining_core N [all-pairs: 0|1]   prints one JSON line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dbscan.h"
#include "test_dbscan_ref.h"

#include "bench.h"

int
main(int argc, char **argv)
{
	size_t		n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	int			all_pairs = argc > 2 ? atoi(argv[2]) : 0;
	OwnedChains oc;
	DbscanParams p = {0};
	DbscanStats st;
	int32_t    *cl, *ref_cl;
	uint8_t    *role, *ref_role;
	double		t0, t_fast, t_ref = -1;
	long		mem_input;
	int			same = -1;

	ref_generated_chains(&oc, n, 200, 1);
	cl = malloc(sizeof(int32_t) * n);
	role = malloc(n);
	mem_input = bench_peak_kb();
	dbscan_eps_num(0.05, &p.eps_num);
	p.min_pts = 1;
	t0 = bench_now();
	if (dbscan_run(&oc.cs, &p, cl, role, &st) != DBSCAN_OK)
		return 1;
	t_fast = bench_now() - t0;
	if (all_pairs)
	{
		ref_cl = malloc(sizeof(int32_t) * n);
		ref_role = malloc(n);
		t0 = bench_now();
		ref_dbscan(&oc.cs, 0.05, 1, ref_cl, ref_role);
		t_ref = bench_now() - t0;
		same = memcmp(cl, ref_cl, sizeof(int32_t) * n) == 0 && memcmp(role, ref_role, n) == 0;
	}
	printf("{\"bench\":\"mining_core\",\"chains\":%zu,\"distinct\":%zu,\"subsets\":%zu,"
		   "\"clusters\":%d,\"dbscan_s\":%.4f,\"all_pairs_s\":%.4f,\"same_result\":%d,"
		   "\"input_peak_kb\":%ld,\"peak_kb\":%ld}\n",
		   n, st.distinct, st.subsets, st.clusters, t_fast, t_ref, same, mem_input, bench_peak_kb());
	owned_chains_free(&oc);
	return 0;
}

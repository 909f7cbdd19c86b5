/*
 * bench.h -- what the C benchmarks share: clocks, peak memory, a seeded
 * uniform stream for made-up inputs, and a random sparse RPC graph.
 */
#ifndef INFORMER_BENCH_H
#define INFORMER_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "splitmix.h"

/* wall-clock seconds */
static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of all threads: on a loaded machine, the work done */
static inline double
bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* peak resident memory of this process so far, in kB */
static inline long
bench_peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* uniform on [0, 1) */
static inline double
bench_urand(uint64_t *state)
{
	return (double) (splitmix64_next(state) >> 11) * 0x1.0p-53;
}

/*
 * A random directed graph on n nodes with about 3 out-edges per node and
 * weights in [1, 2): w is n x n, row-major, w[i*n+j] the edge i -> j.
 */
static inline void
bench_random_graph(int n, uint64_t *state, float *w)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			w[(size_t) i * n + j] = (i != j && bench_urand(state) < 3.0 / n)
				? (float) (1.0 + bench_urand(state)) : 0.0f;
}

#endif

/*
 * generator_core.c -- rows per second of the generator's core library
 * alone (no PostgreSQL), with the default parameters; one JSON line.
 * Built and run by bench/generator.sh; the argument is the repeat number.
 */
#include "synth_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char **argv)
{
	SynthParams p;
	struct timespec t0,
				t1;
	long		rows = 0;

	synth_params_default(&p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SynthGen   *g = synth_gen_create(&p, &synth_malloc_allocator);

	while (synth_gen_next(g) != NULL)
		rows++;
	synth_gen_free(g);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	double		secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("{\"bench\": \"generator\", \"case\": \"generator_core\", \"repeat\": %s, "
		   "\"rows\": %ld, \"seconds\": %.3f, \"rows_per_s\": %.0f}\n",
		   argc > 1 ? argv[1] : "1", rows, secs, rows / secs);
	return 0;
}

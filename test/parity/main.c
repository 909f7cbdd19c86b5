/*
 * main.c -- build/dcrnn_parity DIR...: checks the DCRNN model against each
 * parity fixture directory given; exit status 0 when all match.
 */
#include <stdio.h>

#include "parity.h"

int
main(int argc, char **argv)
{
	int			bad = 0;

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
	{
		int			rc;

		printf("# %s\n", argv[i]);
		rc = parity_run(argv[i], stdout);
		bad += rc != 0;
	}
	return bad ? 1 : 0;
}

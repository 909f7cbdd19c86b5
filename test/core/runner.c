/*
 * runner.c -- runs every core unit test, prints TAP-style lines and a
 * closing "N passed, N failed, N skipped" line.  Arguments select tests by
 * name prefix.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define T(name) void test_##name(void);
#include "tests.inc"
#undef T

static const struct
{
	const char *name;
	void		(*fn) (void);
}			tests[] = {
#define T(name) {#name, test_##name},
#include "tests.inc"
#undef T
};

int			unit_failures;
const char *unit_data_dir = "../shared/data";
static int	skipped_now;

void
unit_fail(const char *file, int line, const char *what)
{
	if (unit_failures < 20)
		fprintf(stderr, "    %s:%d: %s\n", file, line, what);
	unit_failures++;
}

void
unit_skip(const char *why)
{
	printf("    skip: %s\n", why);
	skipped_now = 1;
}

static int
selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	int			passed = 0, failed = 0, skipped = 0;

	if (getenv("INFORMER_DATA"))
		unit_data_dir = getenv("INFORMER_DATA");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
	{
		if (!selected(tests[i].name, argc, argv))
			continue;
		unit_failures = 0;
		skipped_now = 0;
		tests[i].fn();
		if (unit_failures)
			failed++, printf("not ok - core/%s\n", tests[i].name);
		else if (skipped_now)
			skipped++, printf("ok - core/%s # SKIP\n", tests[i].name);
		else
			passed++, printf("ok - core/%s\n", tests[i].name);
	}
	printf("core: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

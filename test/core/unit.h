/*
 * unit.h -- a tiny unit-test harness for src/core.
 *
 * TEST(name) { ... } defines a test; the Makefile collects every TEST line
 * of test/core/test_*.c into build/tests.inc, which runner.c walks.  CHECK
 * records a failure and goes on; REQUIRE returns from the test.
 */
#ifndef INFORMER_UNIT_H
#define INFORMER_UNIT_H

#include <math.h>
#include <stdio.h>

extern int unit_failures;
extern const char *unit_data_dir;	/* ../shared/data or $INFORMER_DATA */

void unit_fail(const char *file, int line, const char *what);
void unit_skip(const char *why);

#define TEST(name) void test_##name(void); void test_##name(void)

#define CHECK(cond) \
	do { if (!(cond)) unit_fail(__FILE__, __LINE__, #cond); } while (0)

#define REQUIRE(cond) \
	do { if (!(cond)) { unit_fail(__FILE__, __LINE__, #cond); return; } } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, rtol, atol) \
	do { double a_ = (a), b_ = (b); \
		if (!(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_))) { \
			char m_[256]; \
			snprintf(m_, sizeof m_, "%s = %.17g, expected %.17g", #a, a_, b_); \
			unit_fail(__FILE__, __LINE__, m_); } } while (0)

/* Skip the rest of a test (e.g. no GPU, no data set); counted apart. */
#define SKIP(why) do { unit_skip(why); return; } while (0)

#endif

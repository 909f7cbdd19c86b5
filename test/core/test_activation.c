/*
 * test_activation.c -- the vectorisable sigmoid, tanh and exp of
 * activation.h against double-precision libm over their whole useful
 * range, near zero, at saturation, and on NaN and infinities.
 */
#include "unit.h"
#include "activation.h"

#include <math.h>

/* float's unit roundoff: a relative error of 1 here is one half-ulp */
#define HALF_ULP 5.9604645e-8

/* Worst relative error of f against ref over x in [lo, hi], n points. */
static double
worst_error(float (*f) (float), double (*ref) (double), double lo, double hi,
			int n, double floor_abs)
{
	double		worst = 0.0;

	for (int i = 0; i <= n; i++)
	{
		float		x = (float) (lo + (hi - lo) * i / n);
		double		want = ref((double) x);
		double		err = fabs((double) f(x) - want) / fmax(fabs(want), floor_abs);

		worst = fmax(worst, err);
	}
	return worst / HALF_ULP;
}

static double
ref_sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

static float
f_exp(float x)
{
	return act_exp(x);
}

static float
f_sigmoid(float x)
{
	return act_sigmoid(x);
}

static float
f_tanh(float x)
{
	return act_tanh(x);
}

TEST(activation_exp_matches_libm_within_ulps)
{
	CHECK(worst_error(f_exp, exp, -87.0, 88.0, 400000, 0.0) < 6.0);
	CHECK(worst_error(f_exp, exp, -1e-3, 1e-3, 10000, 0.0) < 3.0);
	CHECK(act_exp(0.0f) == 1.0f);
}

TEST(activation_tanh_matches_libm_within_ulps)
{
	CHECK(worst_error(f_tanh, tanh, -20.0, 20.0, 400000, 0.0) < 10.0);
	/* near zero, where a plain (1 - e) / (1 + e) would lose every digit */
	CHECK(worst_error(f_tanh, tanh, -1e-4, 1e-4, 10001, 0.0) < 10.0);
	CHECK_CLOSE(act_tanh(1e-30f), 1e-30, 1e-6, 0);
	CHECK(act_tanh(0.0f) == 0.0f);
	CHECK(act_tanh(50.0f) == 1.0f && act_tanh(-50.0f) == -1.0f);
	CHECK(act_tanh(INFINITY) == 1.0f && act_tanh(-INFINITY) == -1.0f);
}

TEST(activation_sigmoid_matches_libm_within_ulps)
{
	/* below -80 the reference is denormal; checked separately */
	CHECK(worst_error(f_sigmoid, ref_sigmoid, -80.0, 100.0, 400000, 0.0) < 10.0);
	CHECK(act_sigmoid(0.0f) == 0.5f);
	CHECK(act_sigmoid(100.0f) == 1.0f);
	CHECK(act_sigmoid(-200.0f) >= 0.0f && act_sigmoid(-200.0f) < 1e-37f);
	CHECK(act_sigmoid(INFINITY) == 1.0f);
	CHECK(act_sigmoid(-INFINITY) < 1e-37f);
}

TEST(activation_nan_stays_nan)
{
	CHECK(isnan(act_exp(NAN)));
	CHECK(isnan(act_sigmoid(NAN)));
	CHECK(isnan(act_tanh(NAN)));
	CHECK(isnan(act_tanh(-NAN)));
}

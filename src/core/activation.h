/*
 * activation.h -- the DCGRU's sigmoid and tanh as branch-free inline
 * functions, so that the loops applying them over a whole batch vectorise
 * (libm's expf and tanhf are calls the compiler cannot vectorise).
 *
 * Both rest on one range reduction, x = k ln2 + r with |r| <= ln2/2, and a
 * degree-8 polynomial for expm1(r); e^x = 2^k (1 + expm1(r)).  Keeping
 * expm1 (not exp) lets tanh stay accurate to a few ulp near zero, where
 * (1 - e^-2x) / (1 + e^-2x) would cancel.  The results agree with glibc's
 * expf and tanhf to within a few ulp (test_dcrnn.c checks this); NaN stays
 * NaN and the arguments are clamped so that 2^k stays a normal float.
 */
#ifndef INFORMER_ACTIVATION_H
#define INFORMER_ACTIVATION_H

#include <stdint.h>
#include <string.h>

/*
 * Sets *scale = 2^k and returns expm1(r), where x = k ln2 + r; x must lie
 * in [-87, 88] (or be NaN, which comes back as NaN).
 */
static inline float
act_expm1_split(float x, float *scale)
{
	const float magic = 0x1.8p23f;	/* adding it rounds to an integer */
	float		t = x * 1.44269504f + magic;
	float		kf = t - magic;
	uint32_t	tb, sb;

	/* t's low mantissa bits hold k; rebuild 2^k from them */
	memcpy(&tb, &t, sizeof tb);
	sb = (tb - 0x4B400000u + 127u) << 23;
	memcpy(scale, &sb, sizeof sb);

	float		r = (x - kf * 0.693145752f) - kf * 1.42860677e-6f;

	return r * (1.0f + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 +
			r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040 +
			r * (1.0f / 40320))))))));
}

static inline float
act_clamp(float x)
{
	x = x < -87.0f ? -87.0f : x;
	return x > 88.0f ? 88.0f : x;
}

/* e^x; saturates at e^-87 and e^88 */
static inline float
act_exp(float x)
{
	float		scale;
	float		q = act_expm1_split(act_clamp(x), &scale);

	return scale + scale * q;
}

static inline float
act_sigmoid(float x)
{
	return 1.0f / (1.0f + act_exp(-x));
}

/* tanh(x) = -m / (2 + m) with m = expm1(-2|x|), and x's sign */
static inline float
act_tanh(float x)
{
	float		a = x < 0.0f ? -x : x;
	float		scale;
	float		q = act_expm1_split(act_clamp(-2.0f * a), &scale);
	float		m = (scale - 1.0f) + scale * q;
	float		t = -m / (2.0f + m);

	return x < 0.0f ? -t : t;
}

#endif

/*
 * loss.c -- the training loss: mean absolute error on the de-normalised
 * scale, with its gradient in model space.
 *
 * The reference leaves out every target that de-normalises to 0, treating
 * it as missing; for call counts 0 is a real observation, so that mask is
 * an option (docs/dcrnn.md, "Loss").  NaN targets are always left out.
 */
#include "dcrnn.h"

#include <math.h>

static int
counts(float target, float mean, float std, int mask_zero_targets)
{
	float		t = target * std + mean;

	return !isnan(t) && !(mask_zero_targets && t == 0.0f);
}

double
dcrnn_masked_mae(const float *pred, const float *target, size_t n,
				 const float *mean, const float *std, size_t width,
				 int mask_zero_targets, float *dpred)
{
	size_t		used = 0;
	double		sum = 0.0;

	for (size_t i = 0; i < n; i++)
		used += counts(target[i], mean[i % width], std[i % width], mask_zero_targets);
	for (size_t i = 0; i < n; i++)
	{
		float		mu = mean[i % width];
		float		sd = std[i % width];
		float		err = (pred[i] * sd + mu) - (target[i] * sd + mu);

		if (!counts(target[i], mu, sd, mask_zero_targets))
		{
			if (dpred)
				dpred[i] = 0.0f;
			continue;
		}
		sum += fabsf(err);
		if (dpred)
			dpred[i] = (float) ((err > 0.0f) - (err < 0.0f)) * sd / (float) used;
	}
	return used ? sum / (double) used : 0.0;
}

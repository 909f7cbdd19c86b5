/*
 * backend_check.c -- the argument checks every backend (backend.h) makes
 * before clipping or an Adam step, so all refuse the same inputs with the
 * same message.
 */
#include "backend.h"

#include <math.h>
#include <stdio.h>

const char *
dcrnn_check_clip(double max_norm)
{
	if (!(max_norm > 0.0) || isinf(max_norm))
		return "max_grad_norm must be a positive finite number";
	return NULL;
}

const char *
dcrnn_check_adam(double lr, int eps_mode, double eps)
{
	if (!(lr >= 0.0) || isinf(lr))
		return "lr must be a finite number of at least 0";
	if (eps_mode != DCRNN_ADAM_EPS_TORCH && eps_mode != DCRNN_ADAM_EPS_TF)
		return "adam_eps_mode must be DCRNN_ADAM_EPS_TORCH or DCRNN_ADAM_EPS_TF";
	if (!(eps > 0.0) || isinf(eps))
		return "adam_eps must be a positive finite number";
	return NULL;
}

const char *
dcrnn_check_step(const float *labels, const DcrnnStepOptions *o)
{
	if (!labels)
		return "a training step needs labels";

	const char *bad = dcrnn_check_clip(o->max_grad_norm);

	return bad ? bad : dcrnn_check_adam(o->lr, o->adam_eps_mode, o->adam_eps);
}

int
dcrnn_refused(const char *bad, char *err, size_t errlen)
{
	if (bad)
		snprintf(err, errlen, "%s", bad);
	return bad != NULL;
}

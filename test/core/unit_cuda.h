/*
 * unit_cuda.h -- for core tests that also run on the GPU: the CUDA backend
 * from ./informer_cuda.so (built beside the tests), or why it is not usable.
 */
#ifndef INFORMER_UNIT_CUDA_H
#define INFORMER_UNIT_CUDA_H

#include <stdio.h>

#include "backend.h"

/* The CUDA backend, or NULL with the reason to skip in why. */
static inline const DcrnnBackend *
unit_cuda_backend(char *why, size_t whylen)
{
	FILE	   *f = fopen("informer_cuda.so", "rb");

	if (!f)
	{
		snprintf(why, whylen, "informer_cuda.so is not built (no nvcc, or USE_CUDA=0)");
		return NULL;
	}
	fclose(f);
	return dcrnn_backend_for(DCRNN_DEVICE_CUDA, "./informer_cuda.so", why, whylen);
}

#endif

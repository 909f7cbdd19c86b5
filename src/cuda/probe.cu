/*
 * probe.cu -- entry point of the CUDA module (informer_cuda.so): tells the
 * caller whether a usable CUDA device is present, and why not when it is not.
 *
 * The module is opened with dlopen by the process that needs a GPU, never
 * by the postmaster, so a machine without a driver still runs PostgreSQL.
 */
#include <cuda_runtime.h>
#include <stdio.h>

#include "informer_cuda.h"

/*
 * Returns the number of usable devices.  On 0, why holds the runtime's
 * reason (no driver, no device, ...).
 */
extern "C" int
informer_cuda_probe(char *why, size_t why_len)
{
	int			count = 0;
	cudaError_t err = cudaGetDeviceCount(&count);

	if (err != cudaSuccess)
	{
		snprintf(why, why_len, "%s", cudaGetErrorString(err));
		return 0;
	}
	if (count == 0)
		snprintf(why, why_len, "no CUDA device found");
	return count;
}

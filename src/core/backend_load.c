/*
 * backend_load.c -- picks the DCRNN backend for a device setting (auto,
 * cpu, cuda): the CPU backend, or the CUDA one from the module
 * informer_cuda.so, opened with dlopen on first use so that a process that
 * never asks for a GPU never loads CUDA.
 */
#include "backend.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*ProbeFn) (char *why, size_t why_len);
typedef const DcrnnBackend *(*BackendFn) (void);

/* The CUDA module's backend, or NULL with the reason in why. */
static const DcrnnBackend *
open_cuda(const char *path, char *why, size_t whylen)
{
	static void *module;		/* stays open for the life of the process */
	ProbeFn		probe;
	BackendFn	backend;
	char		reason[256] = "";

	if (!module && !(module = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
	{
		snprintf(why, whylen, "cannot open the CUDA module: %s", dlerror());
		return NULL;
	}
	*(void **) &probe = dlsym(module, "informer_cuda_probe");
	*(void **) &backend = dlsym(module, "informer_cuda_backend");
	if (!probe || !backend)
	{
		snprintf(why, whylen, "%s is not an informer CUDA module", path);
		return NULL;
	}
	if (probe(reason, sizeof reason) < 1)
	{
		snprintf(why, whylen, "no usable CUDA device: %s", reason);
		return NULL;
	}
	return backend();
}

const DcrnnBackend *
dcrnn_backend_for(DcrnnDevice device, const char *module_path, char *why,
				  size_t whylen)
{
	const DcrnnBackend *b;

	if (whylen > 0)
		why[0] = '\0';
	if (device == DCRNN_DEVICE_CPU)
		return dcrnn_backend_cpu();
	b = open_cuda(module_path, why, whylen);
	if (b || device == DCRNN_DEVICE_CUDA)
		return b;
	return dcrnn_backend_cpu();	/* auto: why says why not the GPU */
}

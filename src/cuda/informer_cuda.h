/*
 * informer_cuda.h -- the C entry points of the CUDA module
 * (informer_cuda.so), for a process that opens it with dlopen: the device
 * probe and the CUDA implementation of the DCRNN backend (backend.h).
 */
#ifndef INFORMER_CUDA_H
#define INFORMER_CUDA_H

#include <stddef.h>

#include "backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usable devices; on 0, why holds the reason (no driver, no device, ...). */
int			informer_cuda_probe(char *why, size_t why_len);

/* The CUDA backend's table (its create fails cleanly without a device). */
const DcrnnBackend *informer_cuda_backend(void);

#ifdef __cplusplus
}
#endif

#endif

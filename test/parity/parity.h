/*
 * parity.h -- checks the DCRNN model against a parity fixture directory
 * (the format of ../shared/data/dcrnn-parity: manifest.json plus raw
 * little-endian arrays exported from the reference implementation).
 */
#ifndef INFORMER_PARITY_H
#define INFORMER_PARITY_H

#include <stdio.h>

#include "backend.h"

/* Largest relative error |a - b| / max(|b|) allowed for any array. */
#define PARITY_RTOL 1e-5

/*
 * Loads the fixture in dir into a model run with the reference's quirks,
 * compares forward output, loss, gradients, clipped gradients and one Adam
 * step; prints one line per comparison to log (when not NULL).  Returns the
 * number of mismatches, or -1 when the fixture cannot be read (message on
 * stderr).
 */
int			parity_run(const char *dir, FILE *log);

/* The same on the given backend (the CPU's for parity_run). */
int			parity_run_backend(const char *dir, const DcrnnBackend *b, FILE *log);

/* max |got - want| over max |want|; absolute when want is all zero */
double		parity_max_rel_err(const float *got, const float *want, size_t n);

#endif

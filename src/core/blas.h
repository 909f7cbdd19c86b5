/*
 * blas.h -- row-major single-precision GEMM on top of OpenBLAS's CBLAS.
 *
 * All model tensors are row-major; this keeps the CblasRowMajor argument
 * and the transpose enums out of the numerical code.
 */
#ifndef INFORMER_BLAS_H
#define INFORMER_BLAS_H

#include <cblas.h>

/* C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C */
static inline void
blas_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
		  const float *a, int lda, const float *b, int ldb, float beta,
		  float *c, int ldc)
{
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
				trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
				a, lda, b, ldb, beta, c, ldc);
}

#endif

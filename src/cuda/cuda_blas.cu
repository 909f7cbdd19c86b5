/*
 * cuda_blas.cu -- row-major GEMM over every model of a context at once
 * (one cuBLAS strided-batched call, the models' slices of the arena being
 * `stride` floats apart).
 */
#include "cuda_internal.h"

/*
 * cuBLAS is column-major: a row-major C = op(A) op(B) is the column-major
 * C^T = op(B)^T op(A)^T, which reads B and A's memory as they are.
 */
void
cuda_gemm(DcrnnBackendCtx *c, int ta, int tb, int m, int n, int k, float alpha,
		  Off a, int lda, Off b, int ldb, float beta, Off cc, int ldc)
{
	long long	s = (long long) c->stride;

	cublasStatus_t st;

	st = cublasSgemmStridedBatched(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
							  ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha,
							  c->arena + b, ldb, s, c->arena + a, lda, s, &beta,
							  c->arena + cc, ldc, s, c->n_models);
	if (st != CUBLAS_STATUS_SUCCESS && c->blas_status == CUBLAS_STATUS_SUCCESS)
		c->blas_status = st;
}

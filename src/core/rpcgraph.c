/*
 * rpcgraph.c -- Algorithm 1 (the static RPC graph of a pattern) and the
 * random-walk supports D_O^-1 W and D_I^-1 W^T in the DCRNN's layout.
 */
#include "rpcgraph.h"

#include <string.h>

void
rpcgraph_adjacency(const int32_t *src, const int32_t *dst, int n, float *w)
{
	memset(w, 0, sizeof(float) * (size_t) n * (size_t) n);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
		{
			if (src[i] == src[j] || dst[i] == dst[j])
				w[(size_t) i * n + j] = w[(size_t) j * n + i] = 0.5f;
			if (src[i] == dst[j])
				w[(size_t) j * n + i] = 1.0f;
			if (dst[i] == src[j])
				w[(size_t) i * n + j] = 1.0f;
		}
}

void
rpcgraph_supports(const float *w, int n, float *s0, float *s1)
{
	size_t		nn = (size_t) n;

	for (size_t i = 0; i < nn; i++)
	{
		float		out = 0.0f, in = 0.0f;

		for (size_t j = 0; j < nn; j++)
		{
			out += w[i * nn + j];
			in += w[j * nn + i];
		}
		/* S0[j][i] = W[i][j] / out(i);  S1[j][i] = W[j][i] / in(i) */
		for (size_t j = 0; j < nn; j++)
		{
			s0[j * nn + i] = out != 0.0f ? w[i * nn + j] / out : 0.0f;
			s1[j * nn + i] = in != 0.0f ? w[j * nn + i] / in : 0.0f;
		}
	}
}

/*
 * dcrnn_internal.h -- what the DCRNN source files share and callers need
 * not see: the diffusion plan, the DCGRU cell's views and the workspace.
 *
 * Inside the model every activation is feature-major, a (features x N*B)
 * row-major matrix whose column n*B + b is node n of sample b.  Each
 * feature is then an (N x B) matrix, so a diffusion step moves rows of B
 * samples (S times it), and the stacked diffusion terms (M*F x N*B) feed
 * the gate weights in one GEMM.
 */
#ifndef INFORMER_DCRNN_INTERNAL_H
#define INFORMER_DCRNN_INTERNAL_H

#include "dcrnn.h"
#include "task_pool.h"

/*
 * Marks a function whose loops run over the batch: on x86-64 GCC builds it
 * twice, for AVX2 and for the baseline, and the loader picks one by the
 * CPU.  Without FMA contraction (ISO C) both give the same bits.  Clang 14
 * emits the dispatcher of an exported clone only where it is called, so
 * clang builds keep the baseline.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DCRNN_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DCRNN_VECTOR_CLONES
#endif

#define DCRNN_MAX_DIFFUSION 8
#define DCRNN_MAX_TERMS (1 + DCRNN_MAX_SUPPORTS * DCRNN_MAX_DIFFUSION)

/*
 * Term m > 0 is coef[m] * S[support[m]] T[src[m]], minus T[prev[m]] when
 * prev[m] >= 0; term 0 is the input itself.
 */
typedef struct DiffusionPlan
{
	int			n_terms;
	int			support[DCRNN_MAX_TERMS];
	int			src[DCRNN_MAX_TERMS];
	int			prev[DCRNN_MAX_TERMS];
	float		coef[DCRNN_MAX_TERMS];
} DiffusionPlan;

/*
 * A support (or its transpose) in compressed sparse rows, used instead of
 * the dense matrix when every support has at most cap nonzeros (dense
 * GEMMs win above ~1/6 density).
 */
typedef struct SparseSupport
{
	int			nnz;			/* -1: too dense, use the dense matrix */
	int			cap;
	int		   *rowptr;			/* N + 1 */
	int		   *col;			/* cap */
	float	   *val;			/* cap */
} SparseSupport;

/* The supports one diffusion runs on. */
typedef struct DiffusionSupports
{
	int			n;				/* nodes */
	const float *dense;			/* count x N x N, row-major */
	const SparseSupport *sparse;	/* count entries, or NULL: all dense */
	const SparseSupport *sparse_t;	/* their transposes, for backward */
} DiffusionSupports;

/* diffusion.c */
void		sparse_support_build(SparseSupport *sp, const float *s, int n, int transpose);
void		diffusion_plan_build(DiffusionPlan *p, int k, int supports, int mode);
void		diffusion_forward(const DiffusionPlan *p, const DiffusionSupports *sup,
							  int feats, int batch, float *terms);
void		diffusion_forward_part(const DiffusionPlan *p, const DiffusionSupports *sup,
								   int feats, int batch, size_t stride, float *terms);
void		diffusion_backward_part(const DiffusionPlan *p, const DiffusionSupports *sup,
									int feats, int batch, size_t stride, float *dterms);
void		diffusion_backward(const DiffusionPlan *p, const DiffusionSupports *sup,
							   int feats, int batch, float *dterms);

/* Shapes and shared buffers of one batch for the cells. */
typedef struct DcgruCtx
{
	const DiffusionPlan *plan;
	const DiffusionSupports *sup;
	int			n;				/* nodes */
	int			batch;
	int			units;
	float	   *dgate;			/* scratch (2U x BN) */
	float	   *dcand;			/* scratch (U x BN) */
	float	   *dterms;			/* scratch (M*Fmax x BN) */
} DcgruCtx;

/* One cell's parameters and gradients (pointers into the model buffers). */
typedef struct DcgruCell
{
	int			fin;			/* features of the layer input */
	const float *wg, *bg, *wc, *bc;
	float	   *dwg, *dbg, *dwc, *dbc;
} DcgruCell;

/* What one cell call keeps for its backward pass. */
typedef struct DcgruSaved
{
	float	   *xg;				/* diffusion terms of [x, h]   (M*F x BN) */
	float	   *v;				/* sigmoid gates [r; u]        (2U x BN)  */
	float	   *xc;				/* diffusion terms of [x, r*h] (M*F x BN) */
	float	   *c;				/* tanh candidate              (U x BN)   */
	float	   *h;				/* new state                   (U x BN)   */
} DcgruSaved;

/* dcgru.c */
void		dcgru_forward(const DcgruCtx *ctx, const DcgruCell *cell,
						  const float *x, const float *h, DcgruSaved *s);
void		dcgru_backward(const DcgruCtx *ctx, const DcgruCell *cell,
						   const float *h, const DcgruSaved *s,
						   const float *dh_new, float *dx, float *dh);

/*
 * The buffers of one shard: a share of the batch that one thread carries
 * through forward and backward on its own (samples b0 .. b0 + batch of a
 * call).  Its activations hold cfg.batch / shards samples (the first
 * cfg.batch % shards shards one more); gradients go to its own buffer,
 * summed into the model's after backward.
 */
typedef struct DcrnnShard
{
	int			b0;				/* first sample of the last forward */
	int			batch;			/* its samples there, may be 0 */
	DcgruCell  *cells;			/* 2L: encoder then decoder */
	float	   *grads;			/* shard 0: the model's */
	DcgruSaved *saved;			/* (history + horizon) x L */
	float	   *inputs;			/* (history + horizon) x (Fio x BN) */
	float	   *pred;			/* horizon x (O x BN) */
	float	   *zeros;			/* U x BN, the encoder's first state */
	float	   *dh;				/* L x (U x BN) */
	float	   *dh_next;		/* U x BN */
	float	   *dfeed;			/* Fio x BN, dL/d(fed-back forecast) */
	float	   *dy;				/* O x BN, dL/d(forecast of a step) */
	float	   *dgate, *dcand, *dterms;
	size_t		io_stride;		/* floats per step in inputs */
} DcrnnShard;

/* The model's workspace; the activations are one allocation made at create time. */
struct DcrnnWork
{
	DiffusionPlan plan;
	DiffusionSupports sup;
	SparseSupport sparse[DCRNN_MAX_SUPPORTS];
	SparseSupport sparse_t[DCRNN_MAX_SUPPORTS];
	int			n_shards;		/* the layout below */
	DcrnnShard *shards;
	DcgruCell  *cells;			/* n_shards x 2L */
	DcgruSaved *saved;			/* n_shards x (history + horizon) x L */
	float	   *shard_grads;	/* (n_shards - 1) x n_params */
	TaskPool   *pool;			/* runs the shards; NULL: the caller alone */
	unsigned char *teacher;		/* horizon coins of the last forward */
	int			batch;			/* of the last forward, 0 before any */
	float	   *arena;			/* every shard's activations */
};

/* dcrnn.c */
int			dcrnn_layer_input(const DcrnnConfig *cfg, int decoder, int layer);
int			dcrnn_n_terms(const DcrnnConfig *cfg);

/* dcrnn_work.c */
size_t		dcrnn_work_floats(const DcrnnConfig *cfg);
/* Lays the arena out as `shards` shards; -1 (old layout kept) without memory. */
int			dcrnn_work_layout(DcrnnModel *m, int shards);
/* Lays the workspace out for the thread setting; returns the shard count. */
int			dcrnn_work_shards(DcrnnModel *m);
void		dcrnn_work_free(DcrnnWork *w);

#endif

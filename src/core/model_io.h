/*
 * model_io.h -- a trained model as a self-checking byte buffer.
 *
 * The buffer (all numbers little-endian) is
 *
 *   "INFMODEL"  u32 format version  u32 flags (0)  u64 total length
 *   "CONF" u32 n, n x {u8 len, name, i64 value}        configuration
 *   "GRPH" u32 nodes, u32 supports, f32 [supports][nodes][nodes]
 *   "NORM" f64 mean[nodes], f64 std[nodes]             per-node z-score
 *   "WGHT" u32 n, n x {u8 len, name, u8 ndim, u32 dims[ndim]}, f32 weights
 *   "STAT" u32 present, [u32 nodes, u32 horizon, f64 mean[nodes*horizon],
 *          f64 std[nodes*horizon]]                      detection statistics
 *   u32 CRC-32C of every byte before it
 *
 * The loader checks every field and size and answers a clear message on a
 * truncated, corrupt or inconsistent buffer; it never reads out of bounds.
 * It knows nothing of the network: matching the tensors against a model's
 * own table is the caller's job.
 */
#ifndef INFORMER_MODEL_IO_H
#define INFORMER_MODEL_IO_H

#include <stddef.h>
#include <stdint.h>

#define MODEL_IO_MAGIC		"INFMODEL"
#define MODEL_IO_VERSION	1
#define MODEL_IO_NAME_MAX	63		/* longest config or tensor name */
#define MODEL_IO_MAX_CONFIG 64
#define MODEL_IO_MAX_TENSORS 4096
#define MODEL_IO_MAX_SUPPORTS 8
#define MODEL_IO_MAX_NDIM	4

typedef struct ModelConfigItem
{
	char		name[MODEL_IO_NAME_MAX + 1];
	int64_t		value;
} ModelConfigItem;

typedef struct ModelTensorInfo
{
	char		name[MODEL_IO_NAME_MAX + 1];
	int			ndim;
	uint32_t	dims[MODEL_IO_MAX_NDIM];
	size_t		offset;			/* first element in ModelImage.weights */
	size_t		count;			/* product of dims */
} ModelTensorInfo;

/*
 * Everything a buffer holds.  For saving, the pointers may point into the
 * caller's own model; an image filled by model_io_load owns its arrays and is
 * released with model_image_free.
 */
typedef struct ModelImage
{
	int			n_config;
	ModelConfigItem *config;
	int			n_nodes;
	int			n_supports;
	float	   *supports;		/* n_supports x n_nodes x n_nodes */
	double	   *norm_mean;		/* n_nodes: of log1p(count) in training */
	double	   *norm_std;		/* n_nodes, each > 0 */
	int			n_tensors;
	ModelTensorInfo *tensors;	/* stored back to back in weights */
	size_t		n_weights;
	float	   *weights;
	int			has_stats;		/* detection statistics present */
	int			stats_horizon;
	double	   *stats_mean;		/* n_nodes x stats_horizon */
	double	   *stats_std;
} ModelImage;

/* Bytes model_io_save writes for m. */
size_t		model_io_size(const ModelImage *m);

/*
 * Serialise m into buf (cap bytes); returns the bytes written, or 0 if cap
 * is short of model_io_size(m).
 */
size_t		model_io_save(const ModelImage *m, uint8_t *buf, size_t cap);

/*
 * Parse and check buf.  Returns 0 with *m filled, or -1 with a message in
 * err and *m empty.
 */
int			model_io_load(const uint8_t *buf, size_t len, ModelImage *m,
						  char *err, size_t errlen);

/* The value of config item name, or -1 with a message in err if absent. */
int			model_image_config(const ModelImage *m, const char *name,
							   int64_t *value, char *err, size_t errlen);

void		model_image_free(ModelImage *m);

#endif

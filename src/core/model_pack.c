/*
 * model_pack.c -- DcrnnModel <-> ModelImage, with the consistency checks
 * that the generic loader cannot make.
 */
#include "model_pack.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The configuration fields that are stored, by name. */
static const struct
{
	const char *name;
	size_t		offset;
}			config_fields[] = {
	{"num_nodes", offsetof(DcrnnConfig, num_nodes)},
	{"input_dim", offsetof(DcrnnConfig, input_dim)},
	{"output_dim", offsetof(DcrnnConfig, output_dim)},
	{"units", offsetof(DcrnnConfig, units)},
	{"layers", offsetof(DcrnnConfig, layers)},
	{"max_diffusion", offsetof(DcrnnConfig, max_diffusion)},
	{"num_supports", offsetof(DcrnnConfig, num_supports)},
	{"history", offsetof(DcrnnConfig, history)},
	{"horizon", offsetof(DcrnnConfig, horizon)},
	{"diffusion", offsetof(DcrnnConfig, diffusion)},
};

#define N_CONFIG_FIELDS ((int) (sizeof config_fields / sizeof config_fields[0]))

static int *
config_field(DcrnnConfig *cfg, int i)
{
	return (int *) ((char *) cfg + config_fields[i].offset);
}

/* malloc a copy of n elements of size bytes; NULL src gives NULL. */
static void *
copy_of(const void *src, size_t n, size_t size, int *failed)
{
	void	   *p;

	if (src == NULL)
		return NULL;
	if ((p = malloc(n ? n * size : 1)) == NULL)
		*failed = 1;
	else
		memcpy(p, src, n * size);
	return p;
}

int
model_pack(const DcrnnModel *net, const double *norm_mean,
		   const double *norm_std, const double *err_mean,
		   const double *err_std, ModelImage *img, char *err, size_t errlen)
{
	const DcrnnConfig *cfg = &net->cfg;
	size_t		nn = (size_t) cfg->num_nodes;
	size_t		cells = nn * cfg->horizon;
	int			failed = 0;

	memset(img, 0, sizeof *img);
	img->n_config = N_CONFIG_FIELDS;
	img->config = calloc(N_CONFIG_FIELDS, sizeof *img->config);
	img->n_tensors = net->n_tensors;
	img->tensors = calloc(net->n_tensors, sizeof *img->tensors);
	if (img->config == NULL || img->tensors == NULL)
		failed = 1;
	for (int i = 0; !failed && i < N_CONFIG_FIELDS; i++)
	{
		strcpy(img->config[i].name, config_fields[i].name);
		img->config[i].value = *config_field((DcrnnConfig *) cfg, i);
	}
	for (int i = 0; !failed && i < net->n_tensors; i++)
	{
		ModelTensorInfo *t = &img->tensors[i];

		snprintf(t->name, sizeof t->name, "%s", net->tensors[i].name);
		t->ndim = 2;
		t->dims[0] = (uint32_t) net->tensors[i].rows;
		t->dims[1] = (uint32_t) net->tensors[i].cols;
		t->offset = net->tensors[i].offset;
		t->count = (size_t) t->dims[0] * t->dims[1];
	}
	img->n_nodes = cfg->num_nodes;
	img->n_supports = cfg->num_supports;
	img->supports = copy_of(net->supports, cfg->num_supports * nn * nn, sizeof(float), &failed);
	img->norm_mean = copy_of(norm_mean, nn, sizeof(double), &failed);
	img->norm_std = copy_of(norm_std, nn, sizeof(double), &failed);
	img->n_weights = net->n_params;
	img->weights = copy_of(net->params, net->n_params, sizeof(float), &failed);
	img->has_stats = err_mean != NULL && err_std != NULL;
	img->stats_horizon = img->has_stats ? cfg->horizon : 0;
	img->stats_mean = copy_of(img->has_stats ? err_mean : NULL, cells, sizeof(double), &failed);
	img->stats_std = copy_of(img->has_stats ? err_std : NULL, cells, sizeof(double), &failed);
	if (failed)
	{
		snprintf(err, errlen, "out of memory packing a model of %zu parameters", net->n_params);
		model_image_free(img);
		return -1;
	}
	return 0;
}

/* The DcrnnConfig an image describes; -1 with a message if it has none. */
static int
unpack_config(const ModelImage *img, DcrnnConfig *cfg, int batch, char *err,
			  size_t errlen)
{
	const char *bad;

	memset(cfg, 0, sizeof *cfg);
	for (int i = 0; i < N_CONFIG_FIELDS; i++)
	{
		int64_t		v;

		if (model_image_config(img, config_fields[i].name, &v, err, errlen) < 0)
			return -1;
		if (v < INT_MIN || v > INT_MAX)
		{
			snprintf(err, errlen, "model configuration item \"%s\" is %lld, out of range",
					 config_fields[i].name, (long long) v);
			return -1;
		}
		*config_field(cfg, i) = (int) v;
	}
	if (img->n_config != N_CONFIG_FIELDS)
	{
		snprintf(err, errlen, "model configuration has %d items, this build knows %d",
				 img->n_config, N_CONFIG_FIELDS);
		return -1;
	}
	cfg->batch = batch;
	if ((bad = dcrnn_config_check(cfg)) != NULL)
	{
		snprintf(err, errlen, "model configuration is not usable: %s", bad);
		return -1;
	}
	return 0;
}

/*
 * Does the image hold the graph, statistics and weight count cfg needs?
 * Checked before the network is allocated, so that a corrupt configuration
 * cannot ask for more memory than its own weights take in the buffer.
 */
static int
unpack_sizes(const ModelImage *img, const DcrnnConfig *cfg, char *err,
			 size_t errlen)
{
	if (img->n_nodes != cfg->num_nodes || img->n_supports != cfg->num_supports)
	{
		snprintf(err, errlen, "model graph has %d nodes and %d supports, its configuration says %d and %d",
				 img->n_nodes, img->n_supports, cfg->num_nodes, cfg->num_supports);
		return -1;
	}
	if (img->has_stats && img->stats_horizon != cfg->horizon)
	{
		snprintf(err, errlen, "model detection statistics cover horizon %d, the model forecasts %d",
				 img->stats_horizon, cfg->horizon);
		return -1;
	}
	if (img->n_tensors != dcrnn_tensor_count(cfg) ||
		img->n_weights != dcrnn_param_count(cfg))
	{
		snprintf(err, errlen, "model has %d tensors of %zu weights, its configuration needs %d of %zu",
				 img->n_tensors, img->n_weights, dcrnn_tensor_count(cfg),
				 dcrnn_param_count(cfg));
		return -1;
	}
	return 0;
}

/* Are the image's tensors the network's own, name by name? */
static int
unpack_tensors(const ModelImage *img, const DcrnnModel *net, char *err,
			   size_t errlen)
{
	for (int i = 0; i < net->n_tensors; i++)
	{
		const ModelTensorInfo *t = &img->tensors[i];
		const DcrnnTensor *want = &net->tensors[i];

		if (strcmp(t->name, want->name) != 0 || t->ndim != 2 ||
			t->dims[0] != (uint32_t) want->rows || t->dims[1] != (uint32_t) want->cols ||
			t->offset != want->offset)
		{
			snprintf(err, errlen, "model tensor %d is \"%s\" of rank %d (%u x %u), expected \"%s\" (%d x %d)",
					 i, t->name, t->ndim, t->dims[0], t->ndim > 1 ? t->dims[1] : 1,
					 want->name, want->rows, want->cols);
			return -1;
		}
	}
	return 0;
}

/* Does the network fit in max_bytes (0: no limit)? */
static int
unpack_memory(const DcrnnConfig *cfg, size_t max_bytes, char *err,
			  size_t errlen)
{
	size_t		need = dcrnn_memory_bytes(cfg);

	if (max_bytes > 0 && need > max_bytes)
	{
		snprintf(err, errlen, "model needs %zu kB of memory for batches of %d windows, the limit is %zu kB",
				 (need + 1023) / 1024, cfg->batch, max_bytes / 1024);
		return -1;
	}
	return 0;
}

DcrnnModel *
model_unpack(const ModelImage *img, int batch, size_t max_bytes, char *err,
			 size_t errlen)
{
	DcrnnConfig cfg;
	DcrnnModel *net;
	size_t		nn;

	if (unpack_config(img, &cfg, batch, err, errlen) < 0 ||
		unpack_sizes(img, &cfg, err, errlen) < 0 ||
		unpack_memory(&cfg, max_bytes, err, errlen) < 0 ||
		(net = dcrnn_create(&cfg, err, errlen)) == NULL)
		return NULL;
	if (unpack_tensors(img, net, err, errlen) < 0)
	{
		dcrnn_free(net);
		return NULL;
	}
	memcpy(net->params, img->weights, net->n_params * sizeof(float));
	nn = (size_t) cfg.num_nodes * cfg.num_nodes;
	for (int k = 0; k < cfg.num_supports; k++)
		dcrnn_set_support(net, k, img->supports + k * nn);
	return net;
}

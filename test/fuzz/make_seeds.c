/*
 * make_seeds.c -- writes the fuzzer's seed corpus: valid model buffers of
 * a few shapes (with and without supports and detection statistics, rank 1
 * to 4 tensors) and two small DCRNN models that unpack.  Run by
 * test/fuzz/run.sh seeds.
 */
#include "model_io.h"
#include "model_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
write_seed(const char *dir, const char *name, const ModelImage *m)
{
	size_t		len = model_io_size(m);
	uint8_t    *buf = malloc(len);
	char		path[4096];
	FILE	   *f;
	int			ok;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ok = buf && model_io_save(m, buf, len) == len && (f = fopen(path, "wb")) != NULL;
	if (ok)
	{
		ok = fwrite(buf, 1, len, f) == len;
		ok = (fclose(f) == 0) && ok;
	}
	free(buf);
	return ok ? 0 : -1;
}

/* A model of n nodes, s supports, t tensors of rank 1..4, stats if h > 0. */
static int
seed(const char *dir, const char *name, int n, int s, int t, int h)
{
	ModelConfigItem config[3] = {{"num_nodes", n}, {"horizon", h}, {"units", 2}};
	ModelTensorInfo tensors[4];
	float		supports[2 * 16], weights[4 * 24];
	double		mean[4], std[4], em[4 * 3], es[4 * 3];
	size_t		off = 0;

	for (int i = 0; i < 2 * 16; i++)
		supports[i] = (float) ((i * 7) % 5) / 4.0f;
	for (int i = 0; i < 4 * 24; i++)
		weights[i] = (float) (i % 11) - 5.0f;
	for (int i = 0; i < 4 * 3; i++)
		em[i] = 0.5 * i, es[i] = 0.25 * i;
	for (int i = 0; i < 4; i++)
		mean[i] = i, std[i] = 1 + i;
	for (int i = 0; i < t; i++)
	{
		memset(&tensors[i], 0, sizeof tensors[i]);
		snprintf(tensors[i].name, sizeof tensors[i].name, "layer.%d.w", i);
		tensors[i].ndim = i + 1;
		tensors[i].count = 1;
		tensors[i].offset = off;
		for (int d = 0; d <= i; d++)
			tensors[i].count *= (tensors[i].dims[d] = (uint32_t) (d + 2));
		off += tensors[i].count;
	}
	ModelImage	m = {
		.n_config = 3, .config = config, .n_nodes = n, .n_supports = s,
		.supports = supports, .norm_mean = mean, .norm_std = std,
		.n_tensors = t, .tensors = tensors, .n_weights = off, .weights = weights,
		.has_stats = h > 0, .stats_horizon = h, .stats_mean = em, .stats_std = es,
	};

	return write_seed(dir, name, &m);
}

/* A DCRNN of n nodes, 1 layer, K = k, 2 units, packed with statistics. */
static int
dcrnn_seed(const char *dir, const char *name, int n, int k)
{
	DcrnnConfig cfg;
	DcrnnModel *net;
	ModelImage	img;
	double		mean[3] = {1, 2, 3}, std[3] = {1, 1, 2};
	double		em[3 * 2] = {0}, es[3 * 2] = {1, 1, 1, 1, 1, 1};
	char		err[200];
	int			rc;

	dcrnn_config_default(&cfg, n);
	cfg.units = 2;
	cfg.layers = 1;
	cfg.max_diffusion = k;
	cfg.history = 2;
	cfg.horizon = 2;
	cfg.batch = 1;
	if ((net = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		return -1;
	dcrnn_init_params(net, 5);
	rc = model_pack(net, mean, std, em, es, &img, err, sizeof err);
	dcrnn_free(net);
	if (rc == 0)
		rc = write_seed(dir, name, &img);
	model_image_free(&img);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (seed(argv[1], "tiny", 1, 0, 1, 0) < 0 ||
		seed(argv[1], "two_supports_stats", 4, 2, 3, 3) < 0 ||
		seed(argv[1], "rank4", 2, 1, 4, 1) < 0 ||
		seed(argv[1], "one_support", 3, 1, 2, 0) < 0 ||
		dcrnn_seed(argv[1], "dcrnn_k1", 2, 1) < 0 ||
		dcrnn_seed(argv[1], "dcrnn_k2", 3, 2) < 0)
	{
		perror("writing seeds");
		return 1;
	}
	return 0;
}

/*
 * model_io.c -- time saving, loading (checksum and field checks) and
 * unpacking a model of the paper's size (U = 64, L = 2, K = 2, horizon 5)
 * for N = 51 and N = 207, against a plain memcpy and a bare CRC-32C of the
 * same bytes in the same run.  Prints one JSON line per N.
 *
 *   make build/model_io_bench && build/model_io_bench
 */
#include "crc32c.h"
#include "model_io.h"
#include "model_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPEAT 20

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
bench(int n)
{
	DcrnnConfig cfg;
	DcrnnModel *net, *back = NULL;
	ModelImage	img, loaded;
	double	   *mean = calloc(n, sizeof(double)), *std = malloc(n * sizeof(double));
	char		err[300];
	double		t0, t_save = 0, t_load = 0, t_unpack = 0, t_copy = 0, t_crc = 0;
	volatile uint32_t sink = 0;

	dcrnn_config_default(&cfg, n);
	cfg.batch = 1;
	if ((net = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		return fprintf(stderr, "%s\n", err), -1;
	dcrnn_init_params(net, 1);
	for (int i = 0; i < n; i++)
		std[i] = 1;
	if (model_pack(net, mean, std, NULL, NULL, &img, err, sizeof err) < 0)
		return fprintf(stderr, "%s\n", err), -1;

	size_t		len = model_io_size(&img);
	uint8_t    *buf = malloc(len), *copy = malloc(len);

	for (int r = 0; r < REPEAT; r++)
	{
		t0 = now_ms();
		model_io_save(&img, buf, len);
		t_save += now_ms() - t0;
		t0 = now_ms();
		if (model_io_load(buf, len, &loaded, err, sizeof err) < 0)
			return fprintf(stderr, "%s\n", err), -1;
		t_load += now_ms() - t0;
		t0 = now_ms();
		back = model_unpack(&loaded, 1, 0, err, sizeof err);
		t_unpack += now_ms() - t0;
		if (back == NULL)
			return fprintf(stderr, "%s\n", err), -1;
		dcrnn_free(back);
		model_image_free(&loaded);
		t0 = now_ms();
		memcpy(copy, buf, len);
		t_copy += now_ms() - t0;
		t0 = now_ms();
		sink ^= crc32c_update(0, copy, len);
		t_crc += now_ms() - t0;
	}
	printf("{\"bench\":\"model_io\",\"nodes\":%d,\"params\":%zu,\"bytes\":%zu,"
		   "\"save_ms\":%.3f,\"load_ms\":%.3f,\"unpack_ms\":%.3f,"
		   "\"baseline_memcpy_ms\":%.3f,\"baseline_crc32c_ms\":%.3f,\"repeat\":%d}\n",
		   n, net->n_params, len, t_save / REPEAT, t_load / REPEAT,
		   t_unpack / REPEAT, t_copy / REPEAT, t_crc / REPEAT, REPEAT);
	model_image_free(&img);
	dcrnn_free(net);
	free(buf), free(copy), free(mean), free(std);
	return 0;
}

int
main(void)
{
	return bench(51) < 0 || bench(207) < 0;
}

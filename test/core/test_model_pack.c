/*
 * test_model_pack.c -- a DCRNN model saved to a buffer and loaded back
 * forecasts exactly as before; an image that does not describe the network
 * its configuration builds is refused with a message.
 */
#include "unit.h"
#include "model_io.h"
#include "model_pack.h"

#include <stdlib.h>
#include <string.h>

#define PN 4					/* nodes */

static DcrnnModel *
tiny_model(int batch)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	float		s[PN * PN];
	char		err[200];

	dcrnn_config_default(&cfg, PN);
	cfg.units = 3;
	cfg.history = 3;
	cfg.horizon = 2;
	cfg.batch = batch;
	if ((m = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		return NULL;
	dcrnn_init_params(m, 11);
	for (int k = 0; k < 2; k++)
	{
		for (int i = 0; i < PN * PN; i++)
			s[i] = (float) ((i * (k + 3)) % 7) / 7.0f;
		dcrnn_set_support(m, k, s);
	}
	return m;
}

static const double norm_mean[PN] = {1, 2, 3, 4}, norm_std[PN] = {0.5, 1, 1.5, 2};
static const double err_mean[PN * 2] = {0, 1, 2, 3, 4, 5, 6, 7};
static const double err_std[PN * 2] = {1, 1, 2, 2, 3, 3, 4, 4};

/* pack net and serialise it; *len gets the size */
static uint8_t *
saved(const DcrnnModel *net, size_t *len)
{
	ModelImage	img;
	char		err[200];
	uint8_t    *buf;

	if (model_pack(net, norm_mean, norm_std, err_mean, err_std, &img, err, sizeof err) < 0)
		return NULL;
	*len = model_io_size(&img);
	buf = malloc(*len);
	if (model_io_save(&img, buf, *len) != *len)
		free(buf), buf = NULL;
	model_image_free(&img);
	return buf;
}

TEST(model_pack_round_trip_forecasts_the_same)
{
	DcrnnModel *a = tiny_model(2), *b;
	ModelImage	img;
	size_t		len;
	uint8_t    *buf;
	char		err[300];
	float		x[3 * 2 * PN], pa[2 * 2 * PN], pb[2 * 2 * PN];

	REQUIRE(a != NULL && (buf = saved(a, &len)) != NULL);
	REQUIRE(model_io_load(buf, len, &img, err, sizeof err) == 0);
	b = model_unpack(&img, 2, 0, err, sizeof err);
	REQUIRE(b != NULL);
	CHECK(memcmp(&a->cfg, &b->cfg, sizeof a->cfg) == 0);
	CHECK(a->n_params == b->n_params);
	CHECK(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0);
	CHECK(memcmp(a->supports, b->supports, 2 * PN * PN * sizeof(float)) == 0);
	CHECK(img.has_stats && img.stats_horizon == 2 && img.stats_std[7] == 4);
	CHECK(img.norm_mean[3] == 4 && img.norm_std[0] == 0.5);
	for (int i = 0; i < 3 * 2 * PN; i++)
		x[i] = (float) (i % 5) - 2.0f;
	dcrnn_forward(a, x, 2, NULL, NULL, pa);
	dcrnn_forward(b, x, 2, NULL, NULL, pb);
	CHECK(memcmp(pa, pb, sizeof pa) == 0);
	/* a different batch size is the caller's business, not the model's */
	dcrnn_free(b);
	b = model_unpack(&img, 64, 0, err, sizeof err);
	CHECK(b != NULL && b->cfg.batch == 64);
	dcrnn_free(b);
	/* the memory limit: exactly enough passes, one byte less is refused */
	size_t		need = dcrnn_memory_bytes(&a->cfg);

	b = model_unpack(&img, 2, need, err, sizeof err);
	CHECK(b != NULL);
	dcrnn_free(b);
	b = model_unpack(&img, 2, need - 1, err, sizeof err);
	CHECK(b == NULL && strstr(err, "model needs") != NULL &&
		  strstr(err, "for batches of 2 windows, the limit is") != NULL);
	model_image_free(&img);
	free(buf);
	dcrnn_free(a);
}

/* Load buf, change the image with edit, expect unpack to refuse it. */
static void
refuse(const uint8_t *buf, size_t len, void (*edit) (ModelImage *),
	   const char *want)
{
	ModelImage	img;
	char		err[300] = "";
	DcrnnModel *net;

	if (model_io_load(buf, len, &img, err, sizeof err) < 0)
	{
		unit_fail(__FILE__, __LINE__, err);
		return;
	}
	edit(&img);
	net = model_unpack(&img, 2, 0, err, sizeof err);
	if (net != NULL || strstr(err, want) == NULL)
	{
		char		msg[700];

		snprintf(msg, sizeof msg, "unpack gave %p, \"%s\"; wanted \"%s\"",
				 (void *) net, err, want);
		unit_fail(__FILE__, __LINE__, msg);
		dcrnn_free(net);
	}
	model_image_free(&img);
}

static void
drop_layers(ModelImage *m)
{
	strcpy(m->config[4].name, "extra");
}
static void
huge_units(ModelImage *m)
{
	m->config[3].value = 1LL << 40;
}
static void
zero_units(ModelImage *m)
{
	m->config[3].value = 0;
}
static void
more_layers(ModelImage *m)
{
	m->config[4].value = 3;
}
static void
fewer_nodes(ModelImage *m)
{
	m->n_nodes = 3;
}
static void
rename_tensor(ModelImage *m)
{
	m->tensors[2].name[0] = 'X';
}
static void
reshape_tensor(ModelImage *m)
{
	uint32_t	t = m->tensors[0].dims[0];

	m->tensors[0].dims[0] = m->tensors[0].dims[1];
	m->tensors[0].dims[1] = t;
}
static void
short_stats(ModelImage *m)
{
	m->stats_horizon = 1;
}
static void
extra_item(ModelImage *m)
{
	m->n_config = 11;
	m->config = realloc(m->config, 11 * sizeof *m->config);
	strcpy(m->config[10].name, "dropout");
}

TEST(model_pack_refuses_mismatched_images)
{
	DcrnnModel *a = tiny_model(2);
	size_t		len;
	uint8_t    *buf;

	REQUIRE(a != NULL && (buf = saved(a, &len)) != NULL);
	refuse(buf, len, drop_layers, "no item \"layers\"");
	refuse(buf, len, huge_units, "\"units\" is 1099511627776, out of range");
	refuse(buf, len, zero_units, "not usable: units must be between 1 and 4096");
	refuse(buf, len, more_layers, "tensors");
	refuse(buf, len, fewer_nodes, "graph has 3 nodes and 2 supports, its configuration says 4 and 2");
	refuse(buf, len, rename_tensor, "model tensor 2 is \"Xncoder.0.cand.weight\"");
	refuse(buf, len, reshape_tensor, "model tensor 0 is \"encoder.0.gate.weight\" of rank 2 (6 x");
	refuse(buf, len, short_stats, "statistics cover horizon 1, the model forecasts 2");
	refuse(buf, len, extra_item, "has 11 items, this build knows 10");
	free(buf);
	dcrnn_free(a);
}

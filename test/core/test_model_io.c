/*
 * test_model_io.c -- the model byte buffer: CRC-32C against published
 * vectors, a round trip that keeps every bit, the byte layout of the header
 * by hand, and the loader's answer to every truncation, every bit flip and
 * each kind of inconsistent field (with the checksum made valid again, so
 * the field checks themselves are reached).
 */
#include "unit.h"
#include "crc32c.h"
#include "model_io.h"

#include <stdlib.h>
#include <string.h>

TEST(crc32c_known_vectors)
{
	uint8_t		b[32];

	/* the check value of CRC-32C, and the iSCSI vectors of RFC 3720 B.4 */
	CHECK(crc32c_update(0, "123456789", 9) == 0xE3069283u);
	memset(b, 0, 32);
	CHECK(crc32c_update(0, b, 32) == 0x8A9136AAu);
	memset(b, 0xFF, 32);
	CHECK(crc32c_update(0, b, 32) == 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t) i;
	CHECK(crc32c_update(0, b, 32) == 0x46DD794Eu);
	/* in pieces, the same */
	CHECK(crc32c_update(crc32c_update(0, b, 13), b + 13, 19) == 0x46DD794Eu);
}

/* Bit at a time, straight from the definition. */
static uint32_t
crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t	c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++)
	{
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

TEST(crc32c_matches_bitwise_definition)
{
	uint8_t		b[300];

	for (int i = 0; i < 300; i++)
		b[i] = (uint8_t) (i * 131 + 7);
	/* every length and start alignment up to a few words */
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 300; n += 1 + n / 16)
			CHECK(crc32c_update(0, b + off, n) == crc32c_bitwise(b + off, n));
}

/* A small image over static storage: 3 nodes, 2 supports, 3 tensors. */
typedef struct Sample
{
	ModelImage	img;
	ModelConfigItem config[3];
	ModelTensorInfo tensors[3];
	float		supports[2 * 9];
	float		weights[6 + 4 + 1];
	double		mean[3], std[3], err_mean[3 * 2], err_std[3 * 2];
} Sample;

static void
sample_init(Sample *s, int with_stats)
{
	static const char *cfg_names[] = {"num_nodes", "units", "offset"};
	static const int64_t cfg_values[] = {3, 4, -5000000000LL};

	memset(s, 0, sizeof *s);
	for (int i = 0; i < 3; i++)
	{
		strcpy(s->config[i].name, cfg_names[i]);
		s->config[i].value = cfg_values[i];
		s->mean[i] = 1.5 + i;
		s->std[i] = 0.25 * (i + 1);
	}
	strcpy(s->tensors[0].name, "encoder.0.gate.weight");
	s->tensors[0].ndim = 2, s->tensors[0].dims[0] = 2, s->tensors[0].dims[1] = 3;
	strcpy(s->tensors[1].name, "w4d");
	s->tensors[1].ndim = 4;
	s->tensors[1].dims[0] = s->tensors[1].dims[1] = s->tensors[1].dims[2] = 1;
	s->tensors[1].dims[3] = 4;
	strcpy(s->tensors[2].name, "projection.bias");
	s->tensors[2].ndim = 1, s->tensors[2].dims[0] = 1;
	for (int i = 0; i < 18; i++)
		s->supports[i] = (float) (i % 5) / 7.0f;
	for (int i = 0; i < 11; i++)
		s->weights[i] = (float) (i - 5) * 0.37f;
	s->weights[3] = -0.0f;
	for (int i = 0; i < 6; i++)
	{
		s->err_mean[i] = 0.1 * i - 0.2;
		s->err_std[i] = 0.3 * i;
	}
	s->img = (ModelImage) {
		.n_config = 3, .config = s->config,
		.n_nodes = 3, .n_supports = 2, .supports = s->supports,
		.norm_mean = s->mean, .norm_std = s->std,
		.n_tensors = 3, .tensors = s->tensors, .n_weights = 11, .weights = s->weights,
		.has_stats = with_stats, .stats_horizon = 2,
		.stats_mean = s->err_mean, .stats_std = s->err_std,
	};
}

/* Save s into a new buffer; *len gets its size. */
static uint8_t *
sample_save(const Sample *s, size_t *len)
{
	uint8_t    *buf;

	*len = model_io_size(&s->img);
	buf = malloc(*len);
	if (model_io_save(&s->img, buf, *len) != *len)
	{
		free(buf);
		return NULL;
	}
	return buf;
}

static void
reseal(uint8_t *buf, size_t len)
{
	uint32_t	c = crc32c_update(0, buf, len - 4);

	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (uint8_t) (c >> (8 * i));
}

TEST(model_io_round_trip_keeps_every_bit)
{
	for (int with_stats = 0; with_stats <= 1; with_stats++)
	{
		Sample		s;
		ModelImage	m;
		size_t		len;
		uint8_t    *buf;
		char		err[300];

		sample_init(&s, with_stats);
		REQUIRE((buf = sample_save(&s, &len)) != NULL);
		CHECK(model_io_save(&s.img, buf, len - 1) == 0);
		REQUIRE(model_io_load(buf, len, &m, err, sizeof err) == 0);
		CHECK(m.n_config == 3 && m.config[2].value == -5000000000LL);
		CHECK(strcmp(m.config[1].name, "units") == 0 && m.config[1].value == 4);
		CHECK(m.n_nodes == 3 && m.n_supports == 2);
		CHECK(memcmp(m.supports, s.supports, sizeof s.supports) == 0);
		CHECK(memcmp(m.norm_mean, s.mean, sizeof s.mean) == 0);
		CHECK(memcmp(m.norm_std, s.std, sizeof s.std) == 0);
		REQUIRE(m.n_tensors == 3 && m.n_weights == 11);
		CHECK(memcmp(m.weights, s.weights, sizeof s.weights) == 0);
		CHECK(strcmp(m.tensors[0].name, "encoder.0.gate.weight") == 0);
		CHECK(m.tensors[1].ndim == 4 && m.tensors[1].dims[3] == 4);
		CHECK(m.tensors[1].offset == 6 && m.tensors[1].count == 4);
		CHECK(m.tensors[2].offset == 10 && m.tensors[2].count == 1);
		CHECK(m.has_stats == with_stats);
		if (with_stats)
		{
			CHECK(m.stats_horizon == 2);
			CHECK(memcmp(m.stats_mean, s.err_mean, sizeof s.err_mean) == 0);
			CHECK(memcmp(m.stats_std, s.err_std, sizeof s.err_std) == 0);
		}
		else
			CHECK(m.stats_mean == NULL && m.stats_std == NULL);

		int64_t		v = 0;

		CHECK(model_image_config(&m, "units", &v, err, sizeof err) == 0 && v == 4);
		CHECK(model_image_config(&m, "layers", &v, err, sizeof err) == -1);
		CHECK(strstr(err, "no item \"layers\"") != NULL);
		model_image_free(&m);
		free(buf);
	}
}

TEST(model_io_layout_by_hand)
{
	Sample		s;
	size_t		len;
	uint8_t    *buf;

	sample_init(&s, 1);
	REQUIRE((buf = sample_save(&s, &len)) != NULL);
	/* header 24 + CONF (4+4 + 3 names of 9,5,6 bytes + 3 x (1+8)) + GRPH
	 * (12 + 72) + NORM (4 + 48) + WGHT (4+4 + 22+1+8 + 4+1+16 + 16+1+4 +
	 * 44) + STAT (4+4+8 + 96) + CRC 4 */
	size_t		expect = 24 + (8 + 20 + 27) + 84 + 52 + (8 + 31 + 21 + 21 + 44) +
		(16 + 96) + 4;

	CHECK(len == expect);
	CHECK(memcmp(buf, "INFMODEL", 8) == 0);
	CHECK(buf[8] == 1 && buf[9] == 0 && buf[10] == 0 && buf[11] == 0);
	CHECK(buf[16] == (uint8_t) len && buf[17] == (uint8_t) (len >> 8) && buf[23] == 0);
	CHECK(memcmp(buf + 24, "CONF", 4) == 0 && buf[28] == 3);
	/* first item: length 9, "num_nodes", value 3 little-endian */
	CHECK(buf[32] == 9 && memcmp(buf + 33, "num_nodes", 9) == 0);
	CHECK(buf[42] == 3 && buf[43] == 0 && buf[49] == 0);
	CHECK(memcmp(buf + 79, "GRPH", 4) == 0);
	CHECK(memcmp(buf + 163, "NORM", 4) == 0);
	/* mean[0] = 1.5 = 0x3FF8000000000000 */
	CHECK(buf[167 + 6] == 0xF8 && buf[167 + 7] == 0x3F);
	CHECK(memcmp(buf + 215, "WGHT", 4) == 0);
	CHECK(memcmp(buf + len - 4 - 112, "STAT", 4) == 0);
	free(buf);
}

/* Load must fail and say something containing want. */
static void
expect_error(const uint8_t *buf, size_t len, const char *want)
{
	ModelImage	m;
	char		err[300] = "";

	if (model_io_load(buf, len, &m, err, sizeof err) == 0)
	{
		unit_fail(__FILE__, __LINE__, "loaded a bad buffer");
		model_image_free(&m);
		return;
	}
	if (strstr(err, want) == NULL)
	{
		char		msg[700];

		snprintf(msg, sizeof msg, "error \"%s\" lacks \"%s\"", err, want);
		unit_fail(__FILE__, __LINE__, msg);
	}
	CHECK(m.config == NULL && m.weights == NULL && m.supports == NULL);
}

TEST(model_io_rejects_every_truncation_and_bit_flip)
{
	Sample		s;
	size_t		len;
	uint8_t    *buf;

	sample_init(&s, 1);
	REQUIRE((buf = sample_save(&s, &len)) != NULL);
	for (size_t n = 0; n < len; n++)
	{
		uint8_t    *copy = malloc(n ? n : 1);

		memcpy(copy, buf, n);	/* exact-size copy, so ASan sees overreads */
		expect_error(copy, n, n < 28 ? "truncated" : n < len ? "length mismatch" : "");
		free(copy);
	}
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			buf[i] ^= (uint8_t) (1 << bit);
			expect_error(buf, len, i < 8 ? "not an informer model" :
						 i < 12 ? "version" : i < 16 ? "flags" :
						 i < 24 ? "length mismatch" : "checksum mismatch");
			buf[i] ^= (uint8_t) (1 << bit);
		}
	free(buf);
}

/* Overwrite n bytes at off, fix the checksum, expect an error. */
static void
patch_and_expect(const Sample *s, size_t off, const void *bytes, size_t n,
				 const char *want)
{
	size_t		len;
	uint8_t    *buf = sample_save(s, &len);

	memcpy(buf + off, bytes, n);
	reseal(buf, len);
	expect_error(buf, len, want);
	free(buf);
}

TEST(model_io_rejects_inconsistent_fields)
{
	Sample		s;
	uint8_t		u32[4];
	const uint8_t nan32[4] = {0x00, 0x00, 0xC0, 0x7F};
	const uint8_t zero64[8] = {0};

	sample_init(&s, 1);
	u32[0] = 2, u32[1] = u32[2] = u32[3] = 0;
	patch_and_expect(&s, 8, u32, 4, "format version 2 is not supported");
	patch_and_expect(&s, 24, "CONX", 4, "section CONF expected at offset 24");
	u32[0] = 65;
	patch_and_expect(&s, 28, u32, 4, "item count is 65, not in 0..64");
	patch_and_expect(&s, 33, "num-nodes", 9, "forbidden byte 0x2d");
	u32[0] = 0;
	patch_and_expect(&s, 32, u32, 1, "has length 0");
	patch_and_expect(&s, 83, u32, 4, "node count is 0");
	u32[0] = 9;
	patch_and_expect(&s, 87, u32, 4, "support count is 9, not in 0..8");
	u32[0] = 0xFF, u32[1] = 0xFF, u32[2] = 0xFF, u32[3] = 0x7F;
	patch_and_expect(&s, 83, u32, 4, "node count is 2147483647");
	u32[0] = 0, u32[1] = 0, u32[2] = 0x10, u32[3] = 0;
	patch_and_expect(&s, 83, u32, 4, "needs 2199023255552 values of 4 bytes");
	patch_and_expect(&s, 91 + 4 * 5, nan32, 4, "support value 5 is not finite");
	patch_and_expect(&s, 167 + 24 + 8, zero64, 8, "standard deviation 1 is 0");
	/* WGHT table: count at 219, first name length at 223 */
	u32[0] = 0, u32[1] = u32[2] = u32[3] = 0;
	patch_and_expect(&s, 219, u32, 4, "tensor count is 0");
	u32[0] = 5;
	patch_and_expect(&s, 223 + 22, u32, 1, "rank 5, not 1..4");
	u32[0] = 0xFF, u32[1] = 0xFF, u32[2] = 0xFF, u32[3] = 0xFF;
	patch_and_expect(&s, 223 + 23, u32, 4, "dimension 0 is 4294967295");
	u32[0] = 0, u32[1] = u32[2] = u32[3] = 0;
	patch_and_expect(&s, 223 + 27, u32, 4, "dimension 1 is 0");
	patch_and_expect(&s, 223 + 31 + 21 + 21 + 4 * 7, nan32, 4, "weight 7 is not finite");
	{
		/* STAT: flag at 368 + 4; a node count that is not the graph's */
		size_t		stat = 223 + 31 + 21 + 21 + 44;

		patch_and_expect(&s, stat, "STAX", 4, "section STAT expected");
		u32[0] = 2;
		patch_and_expect(&s, stat + 4, u32, 4, "presence flag is 2");
		patch_and_expect(&s, stat + 8, u32, 4, "node count is 2, not in 3..3");
		u32[0] = 0;
		patch_and_expect(&s, stat + 12, u32, 4, "horizon is 0");
		/* err_std[1] = -0.3 */
		uint8_t		neg[8] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0xD3, 0xBF};

		patch_and_expect(&s, stat + 16 + 48 + 8, neg, 8, "error std 1 is -0.3");
		/* the flag says absent: the statistics become unexpected bytes */
		u32[0] = 0;
		patch_and_expect(&s, stat + 4, u32, 4, "104 unexpected bytes after section STAT");
	}
}

TEST(model_io_rejects_duplicate_names)
{
	Sample		s;
	size_t		len;
	uint8_t    *buf;

	/* the writer does not check names; the reader must */
	sample_init(&s, 0);
	strcpy(s.config[2].name, "units");
	REQUIRE((buf = sample_save(&s, &len)) != NULL);
	expect_error(buf, len, "item \"units\" appears twice");
	free(buf);
	sample_init(&s, 0);
	strcpy(s.tensors[2].name, "w4d");
	REQUIRE((buf = sample_save(&s, &len)) != NULL);
	expect_error(buf, len, "tensor \"w4d\" appears twice");
	free(buf);
}

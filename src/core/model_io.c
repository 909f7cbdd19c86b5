/*
 * model_io.c -- save and load the model byte buffer described in model_io.h.
 *
 * Numbers are written byte by byte in little-endian order, so a buffer
 * moves between machines unchanged.  The loader reads through a bounds
 * checked cursor; every count is checked against the bytes that remain
 * before anything is allocated, so a corrupt length cannot make it read out
 * of bounds or allocate more than the buffer could describe.
 */
#include "model_io.h"
#include "crc32c.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES	24		/* magic, version, flags, total length */
#define CRC_BYTES		4
#define MAX_NODES		(1 << 20)
#define MAX_HORIZON		(1 << 16)

/* ---- writing ---- */

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t) (v >> (8 * i));
	return p;
}

static uint8_t *
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t) (v >> (8 * i));
	return p;
}

static uint8_t *
put_f32s(uint8_t *p, const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u;

		memcpy(&u, &v[i], 4);
		p = put_u32(p, u);
	}
	return p;
}

static uint8_t *
put_f64s(uint8_t *p, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	u;

		memcpy(&u, &v[i], 8);
		p = put_u64(p, u);
	}
	return p;
}

static uint8_t *
put_bytes(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static uint8_t *
put_name(uint8_t *p, const char *name)
{
	size_t		len = strlen(name);

	*p++ = (uint8_t) len;
	return put_bytes(p, name, len);
}

size_t
model_io_size(const ModelImage *m)
{
	size_t		n = HEADER_BYTES + CRC_BYTES;
	size_t		cells = (size_t) m->n_nodes * m->stats_horizon;

	n += 4 + 4;
	for (int i = 0; i < m->n_config; i++)
		n += 1 + strlen(m->config[i].name) + 8;
	n += 4 + 8 + (size_t) m->n_supports * m->n_nodes * m->n_nodes * 4;
	n += 4 + 2 * 8 * (size_t) m->n_nodes;
	n += 4 + 4;
	for (int i = 0; i < m->n_tensors; i++)
		n += 1 + strlen(m->tensors[i].name) + 1 + 4 * (size_t) m->tensors[i].ndim;
	n += m->n_weights * 4;
	n += 4 + 4 + (m->has_stats ? 8 + 2 * 8 * cells : 0);
	return n;
}

size_t
model_io_save(const ModelImage *m, uint8_t *buf, size_t cap)
{
	size_t		total = model_io_size(m);
	size_t		cells = (size_t) m->n_nodes * m->stats_horizon;
	uint8_t    *p = buf;

	if (cap < total)
		return 0;
	p = put_bytes(p, MODEL_IO_MAGIC, 8);
	p = put_u32(p, MODEL_IO_VERSION);
	p = put_u32(p, 0);
	p = put_u64(p, total);

	p = put_bytes(p, "CONF", 4);
	p = put_u32(p, (uint32_t) m->n_config);
	for (int i = 0; i < m->n_config; i++)
	{
		p = put_name(p, m->config[i].name);
		p = put_u64(p, (uint64_t) m->config[i].value);
	}
	p = put_bytes(p, "GRPH", 4);
	p = put_u32(p, (uint32_t) m->n_nodes);
	p = put_u32(p, (uint32_t) m->n_supports);
	p = put_f32s(p, m->supports, (size_t) m->n_supports * m->n_nodes * m->n_nodes);

	p = put_bytes(p, "NORM", 4);
	p = put_f64s(p, m->norm_mean, m->n_nodes);
	p = put_f64s(p, m->norm_std, m->n_nodes);

	p = put_bytes(p, "WGHT", 4);
	p = put_u32(p, (uint32_t) m->n_tensors);
	for (int i = 0; i < m->n_tensors; i++)
	{
		p = put_name(p, m->tensors[i].name);
		*p++ = (uint8_t) m->tensors[i].ndim;
		for (int d = 0; d < m->tensors[i].ndim; d++)
			p = put_u32(p, m->tensors[i].dims[d]);
	}
	p = put_f32s(p, m->weights, m->n_weights);

	p = put_bytes(p, "STAT", 4);
	p = put_u32(p, m->has_stats ? 1 : 0);
	if (m->has_stats)
	{
		p = put_u32(p, (uint32_t) m->n_nodes);
		p = put_u32(p, (uint32_t) m->stats_horizon);
		p = put_f64s(p, m->stats_mean, cells);
		p = put_f64s(p, m->stats_std, cells);
	}
	p = put_u32(p, crc32c_update(0, buf, (size_t) (p - buf)));
	return (size_t) (p - buf);
}

/* ---- reading ---- */

typedef struct Reader
{
	const uint8_t *buf;
	size_t		end;			/* where the checksum starts */
	size_t		pos;
	const char *section;
	char	   *err;
	size_t		errlen;
	int			failed;
} Reader;

#if defined(__GNUC__)
static int	fail(Reader *r, const char *fmt,...) __attribute__((format(printf, 2, 3)));
#endif

static int
fail(Reader *r, const char *fmt,...)
{
	va_list		ap;

	if (!r->failed)
	{
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
		r->failed = 1;
	}
	return -1;
}

/* The next n bytes, or NULL (with the error set) if fewer remain. */
static const uint8_t *
take(Reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed)
		return NULL;
	if (n > r->end - r->pos)
	{
		fail(r, "model is truncated: section %s needs %zu bytes at offset %zu, %zu remain",
			 r->section, n, r->pos, r->end - r->pos);
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static uint32_t
get_u32_at(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
		(uint32_t) p[3] << 24;
}

static uint64_t
get_u64_at(const uint8_t *p)
{
	return (uint64_t) get_u32_at(p) | (uint64_t) get_u32_at(p + 4) << 32;
}

static uint32_t
get_u32(Reader *r)
{
	const uint8_t *p = take(r, 4);

	return p ? get_u32_at(p) : 0;
}

static uint8_t
get_u8(Reader *r)
{
	const uint8_t *p = take(r, 1);

	return p ? p[0] : 0;
}

/*
 * Take n values of size bytes each, checking n against the bytes left first
 * so that a corrupt count cannot overflow the product.
 */
static const uint8_t *
take_values(Reader *r, size_t n, size_t size)
{
	if (!r->failed && n > (r->end - r->pos) / size)
	{
		fail(r, "model is truncated: section %s needs %zu values of %zu bytes at offset %zu, %zu bytes remain",
			 r->section, n, size, r->pos, r->end - r->pos);
		return NULL;
	}
	return take(r, n * size);
}

/* Read n f32 values, each finite, into a new array. */
static float *
get_f32s(Reader *r, size_t n, const char *what)
{
	const uint8_t *p = take_values(r, n, 4);
	float	   *v;

	if (p == NULL)
		return NULL;
	if ((v = malloc(n ? n * 4 : 1)) == NULL)
		return fail(r, "out of memory"), NULL;
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u = get_u32_at(p + 4 * i);

		memcpy(&v[i], &u, 4);
		if (!isfinite(v[i]))
		{
			free(v);	/* the message needs only the index */
			return fail(r, "section %s: %s %zu is not finite", r->section, what, i), NULL;
		}
	}
	return v;
}

/* Like get_f32s for f64 values; min_value bounds them from below. */
static double *
get_f64s(Reader *r, size_t n, const char *what, double min_value)
{
	const uint8_t *p = take_values(r, n, 8);
	double	   *v;

	if (p == NULL)
		return NULL;
	if ((v = malloc(n ? n * 8 : 1)) == NULL)
		return fail(r, "out of memory"), NULL;
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	u = get_u64_at(p + 8 * i);

		memcpy(&v[i], &u, 8);
		if (!isfinite(v[i]) || v[i] < min_value)
		{
			double		bad = v[i];

			free(v);
			return fail(r, "section %s: %s %zu is %g, not a finite number >= %g",
						r->section, what, i, bad, min_value), NULL;
		}
	}
	return v;
}

static int
expect_tag(Reader *r, const char *tag)
{
	const uint8_t *p;

	r->section = tag;
	if ((p = take(r, 4)) == NULL)
		return -1;
	if (memcmp(p, tag, 4) != 0)
		return fail(r, "model is corrupt: section %s expected at offset %zu",
					tag, r->pos - 4);
	return 0;
}

/*
 * A name: u8 length, then 1..MODEL_IO_NAME_MAX characters, letters, digits,
 * '_' and, if dots_ok, '.'.
 */
static int
get_name(Reader *r, char *out, int dots_ok)
{
	size_t		len = get_u8(r);
	const uint8_t *p = take(r, len);

	if (p == NULL)
		return -1;
	if (len < 1 || len > MODEL_IO_NAME_MAX)
		return fail(r, "section %s: name at offset %zu has length %zu, not 1..%d",
					r->section, r->pos - len - 1, len, MODEL_IO_NAME_MAX);
	for (size_t i = 0; i < len; i++)
	{
		uint8_t		c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || (dots_ok && c == '.')))
			return fail(r, "section %s: name at offset %zu has a forbidden byte 0x%02x",
						r->section, r->pos - len - 1, c);
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

/* Bounded count: u32 in [lo, hi], named for the error message. */
static int
get_count(Reader *r, const char *what, uint32_t lo, uint32_t hi)
{
	uint32_t	v = get_u32(r);

	if (r->failed)
		return -1;
	if (v < lo || v > hi)
		return fail(r, "section %s: %s is %u, not in %u..%u",
					r->section, what, v, lo, hi);
	return (int) v;
}

static int
read_header(Reader *r, size_t len)
{
	uint32_t	version, flags, stored, actual;
	uint64_t	total;

	if (len < HEADER_BYTES + CRC_BYTES)
		return fail(r, "model is truncated: %zu bytes, the header and checksum alone take %d",
					len, HEADER_BYTES + CRC_BYTES);
	if (memcmp(r->buf, MODEL_IO_MAGIC, 8) != 0)
		return fail(r, "not an informer model: the buffer does not start with \"%s\"",
					MODEL_IO_MAGIC);
	version = get_u32_at(r->buf + 8);
	flags = get_u32_at(r->buf + 12);
	total = get_u64_at(r->buf + 16);
	if (version != MODEL_IO_VERSION)
		return fail(r, "model format version %u is not supported; this build reads version %d",
					version, MODEL_IO_VERSION);
	if (flags != 0)
		return fail(r, "model header has unknown flags 0x%x", flags);
	if (total != len)
		return fail(r, "model length mismatch: the header says %llu bytes, the buffer has %zu",
					(unsigned long long) total, len);
	stored = get_u32_at(r->buf + len - CRC_BYTES);
	actual = crc32c_update(0, r->buf, len - CRC_BYTES);
	if (stored != actual)
		return fail(r, "model checksum mismatch: stored 0x%08x, computed 0x%08x",
					stored, actual);
	r->pos = HEADER_BYTES;
	r->end = len - CRC_BYTES;
	return 0;
}

static int
read_config(Reader *r, ModelImage *m)
{
	if (expect_tag(r, "CONF") < 0 ||
		(m->n_config = get_count(r, "item count", 0, MODEL_IO_MAX_CONFIG)) < 0)
		return -1;
	if ((m->config = calloc(m->n_config + 1, sizeof *m->config)) == NULL)
		return fail(r, "out of memory");
	for (int i = 0; i < m->n_config; i++)
	{
		const uint8_t *p;

		if (get_name(r, m->config[i].name, 0) < 0 || (p = take(r, 8)) == NULL)
			return -1;
		m->config[i].value = (int64_t) get_u64_at(p);
		for (int j = 0; j < i; j++)
			if (strcmp(m->config[j].name, m->config[i].name) == 0)
				return fail(r, "section CONF: item \"%s\" appears twice",
							m->config[i].name);
	}
	return 0;
}

static int
read_graph(Reader *r, ModelImage *m)
{
	size_t		n;

	if (expect_tag(r, "GRPH") < 0 ||
		(m->n_nodes = get_count(r, "node count", 1, MAX_NODES)) < 0 ||
		(m->n_supports = get_count(r, "support count", 0, MODEL_IO_MAX_SUPPORTS)) < 0)
		return -1;
	n = (size_t) m->n_supports * m->n_nodes * m->n_nodes;
	m->supports = get_f32s(r, n, "support value");
	return m->supports ? 0 : -1;
}

static int
read_norm(Reader *r, ModelImage *m)
{
	if (expect_tag(r, "NORM") < 0 ||
		(m->norm_mean = get_f64s(r, m->n_nodes, "mean", -HUGE_VAL)) == NULL ||
		(m->norm_std = get_f64s(r, m->n_nodes, "standard deviation", DBL_MIN)) == NULL)
		return -1;
	return 0;
}

/*
 * One tensor's name, rank and dims.  Its elements, after the offset ones
 * before it, must fit in the bytes left.
 */
static int
read_tensor_info(Reader *r, ModelTensorInfo *t, size_t offset)
{
	size_t		left;

	if (get_name(r, t->name, 1) < 0)
		return -1;
	t->ndim = get_u8(r);
	if (r->failed)
		return -1;
	if (t->ndim < 1 || t->ndim > MODEL_IO_MAX_NDIM)
		return fail(r, "section WGHT: tensor \"%s\" has rank %d, not 1..%d",
					t->name, t->ndim, MODEL_IO_MAX_NDIM);
	t->offset = offset;
	t->count = 1;
	for (int d = 0; d < t->ndim; d++)
	{
		t->dims[d] = get_u32(r);
		if (r->failed)
			return -1;
		left = (r->end - r->pos) / 4;
		left = left > offset ? left - offset : 0;
		if (t->dims[d] == 0 || t->dims[d] > left / t->count)
			return fail(r, "section WGHT: tensor \"%s\" dimension %d is %u; it must be positive and the weights must fit in the %zu bytes left",
						t->name, d, t->dims[d], r->end - r->pos);
		t->count *= t->dims[d];
	}
	return 0;
}

static int
read_weights(Reader *r, ModelImage *m)
{
	size_t		offset = 0;

	if (expect_tag(r, "WGHT") < 0 ||
		(m->n_tensors = get_count(r, "tensor count", 1, MODEL_IO_MAX_TENSORS)) < 0)
		return -1;
	if ((m->tensors = calloc(m->n_tensors, sizeof *m->tensors)) == NULL)
		return fail(r, "out of memory");
	for (int i = 0; i < m->n_tensors; i++)
	{
		ModelTensorInfo *t = &m->tensors[i];

		if (read_tensor_info(r, t, offset) < 0)
			return -1;
		offset += t->count;
		for (int j = 0; j < i; j++)
			if (strcmp(m->tensors[j].name, t->name) == 0)
				return fail(r, "section WGHT: tensor \"%s\" appears twice", t->name);
	}
	m->n_weights = offset;
	m->weights = get_f32s(r, offset, "weight");
	return m->weights ? 0 : -1;
}

static int
read_stats(Reader *r, ModelImage *m)
{
	size_t		cells;

	if (expect_tag(r, "STAT") < 0 ||
		(m->has_stats = get_count(r, "presence flag", 0, 1)) < 1)
		return r->failed ? -1 : 0;
	if (get_count(r, "node count", m->n_nodes, m->n_nodes) < 0 ||
		(m->stats_horizon = get_count(r, "horizon", 1, MAX_HORIZON)) < 0)
		return -1;
	cells = (size_t) m->n_nodes * m->stats_horizon;
	if ((m->stats_mean = get_f64s(r, cells, "error mean", -HUGE_VAL)) == NULL ||
		(m->stats_std = get_f64s(r, cells, "error std", 0)) == NULL)
		return -1;
	return 0;
}

int
model_io_load(const uint8_t *buf, size_t len, ModelImage *m, char *err,
			  size_t errlen)
{
	Reader		r = {buf, 0, 0, "header", err, errlen, 0};

	memset(m, 0, sizeof *m);
	if (read_header(&r, len) < 0 || read_config(&r, m) < 0 ||
		read_graph(&r, m) < 0 || read_norm(&r, m) < 0 ||
		read_weights(&r, m) < 0 || read_stats(&r, m) < 0)
	{
		model_image_free(m);
		return -1;
	}
	if (r.pos != r.end)
	{
		fail(&r, "model is corrupt: %zu unexpected bytes after section STAT",
			 r.end - r.pos);
		model_image_free(m);
		return -1;
	}
	return 0;
}

int
model_image_config(const ModelImage *m, const char *name, int64_t *value,
				   char *err, size_t errlen)
{
	for (int i = 0; i < m->n_config; i++)
		if (strcmp(m->config[i].name, name) == 0)
		{
			*value = m->config[i].value;
			return 0;
		}
	snprintf(err, errlen, "model configuration has no item \"%s\"", name);
	return -1;
}

void
model_image_free(ModelImage *m)
{
	free(m->config);
	free(m->supports);
	free(m->norm_mean);
	free(m->norm_std);
	free(m->tensors);
	free(m->weights);
	free(m->stats_mean);
	free(m->stats_std);
	memset(m, 0, sizeof *m);
}

/*
 * parity.c -- loads a DCRNN parity fixture (manifest.json and raw arrays),
 * runs the same model through forward, masked MAE, backward, clipping and
 * one Adam step with the reference's options on a backend (backend.h; the
 * CPU one unless told), and compares every array.
 *
 * The reference stores a gconv weight as (F*M, out) with row f*M + m; the
 * model's row is m*F + f, so weights and gradients are permuted on load.
 */
#include "parity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcrnn.h"

typedef struct Fixture
{
	const char *dir;
	char	   *manifest;
	int			f64;
	DcrnnConfig cfg;
	float		mean, std, lr, max_norm;
	double		loss, grad_norm;
} Fixture;

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	long		n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
	{
		buf = malloc((size_t) n + 1);
		if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
		{
			free(buf);
			buf = NULL;
		}
		if (buf)
		{
			buf[n] = '\0';
			*len = (size_t) n;
		}
	}
	fclose(f);
	return buf;
}

/* The number after "key": inside the object that follows "section". */
static int
manifest_number(const Fixture *fx, const char *section, const char *key, double *out)
{
	char		pat[96];
	const char *p = strstr(fx->manifest, section);

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = p ? strstr(p, pat) : NULL;
	if (!p)
	{
		fprintf(stderr, "parity: manifest has no %s in %s\n", key, section);
		return -1;
	}
	*out = strtod(p + strlen(pat), NULL);
	return 0;
}

/* Reads count values of the fixture's dtype from dir/name into floats. */
static int
load_array(const Fixture *fx, const char *name, float *out, size_t count)
{
	char		path[1024];
	size_t		len = 0;
	size_t		width = fx->f64 ? 8 : 4;
	char	   *raw;

	snprintf(path, sizeof path, "%s/%s", fx->dir, name);
	raw = slurp(path, &len);
	if (!raw || len != count * width)
	{
		fprintf(stderr, "parity: %s: %s\n", path,
				raw ? "unexpected size" : "cannot read");
		free(raw);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
	{
		if (fx->f64)
		{
			double		d;

			memcpy(&d, raw + 8 * i, 8);
			out[i] = (float) d;
		}
		else
			memcpy(&out[i], raw + 4 * i, 4);
	}
	free(raw);
	return 0;
}

static int
load_fixture(Fixture *fx, const char *dir)
{
	size_t		len;
	char		path[1024];
	double		v[12];
	static const char *const keys[] = {
		"num_nodes", "rnn_units", "num_rnn_layers", "max_diffusion_step",
		"seq_len", "horizon", "batch", "input_dim", "output_dim",
		"scaler_mean", "scaler_std", "lr"
	};

	memset(fx, 0, sizeof(*fx));
	fx->dir = dir;
	snprintf(path, sizeof path, "%s/manifest.json", dir);
	fx->manifest = slurp(path, &len);
	if (!fx->manifest)
	{
		fprintf(stderr, "parity: cannot read %s\n", path);
		return -1;
	}
	fx->f64 = strstr(fx->manifest, "\"dtype\": \"float64\"") != NULL;
	for (int i = 0; i < 12; i++)
		if (manifest_number(fx, "\"config\"", keys[i], &v[i]) < 0)
			return -1;
	dcrnn_config_default(&fx->cfg, (int) v[0]);
	fx->cfg.units = (int) v[1];
	fx->cfg.layers = (int) v[2];
	fx->cfg.max_diffusion = (int) v[3];
	fx->cfg.history = (int) v[4];
	fx->cfg.horizon = (int) v[5];
	fx->cfg.batch = (int) v[6];
	fx->cfg.input_dim = (int) v[7];
	fx->cfg.output_dim = (int) v[8];
	fx->cfg.diffusion = DCRNN_DIFFUSION_REFERENCE;
	fx->mean = (float) v[9];
	fx->std = (float) v[10];
	fx->lr = (float) v[11];
	double		max_norm;

	if (manifest_number(fx, "\"config\"", "max_grad_norm", &max_norm) < 0 ||
		manifest_number(fx, "\"loss\"", "value", &fx->loss) < 0 ||
		manifest_number(fx, "\"loss\"", "grad_norm_before_clip", &fx->grad_norm) < 0)
		return -1;
	fx->max_norm = (float) max_norm;
	return 0;
}

/* The fixture file of a model tensor for one prefix (param, grad, ...). */
static void
tensor_file(const DcrnnModel *m, const DcrnnTensor *t, const char *prefix,
			char *buf, size_t len)
{
	char		part[16];
	int			layer;
	char		kind[8], what[8];

	if (strncmp(t->name, "projection.", 11) == 0)
	{
		snprintf(buf, len, "%s_decoder_model.projection_layer.%s.bin", prefix,
				 t->name + 11);
		return;
	}
	sscanf(t->name, "%15[a-z].%d.%7[a-z].%7[a-z]", part, &layer, kind, what);
	int			out = strcmp(kind, "gate") == 0 ? 2 * m->cfg.units : m->cfg.units;

	if (strcmp(what, "weight") == 0)
		snprintf(buf, len, "%s_%s_model.dcgru_layers.%d.gconv_weight_%d_%d.bin",
				 prefix, part, layer, t->rows, out);
	else
		snprintf(buf, len, "%s_%s_model.dcgru_layers.%d.gconv_biases_%d.bin",
				 prefix, part, layer, out);
}

/* Reference row f*M + m -> model row m*F + f (identity for non-gconv). */
static void
reorder_rows(const DcrnnModel *m, const DcrnnTensor *t, const float *ref, float *dst)
{
	int			terms = 1 + m->cfg.num_supports * m->cfg.max_diffusion;
	int			is_gconv = strstr(t->name, ".weight") && strncmp(t->name, "projection", 10) != 0;
	int			f = t->rows / terms;

	for (int r = 0; r < t->rows; r++)
	{
		int			mine = is_gconv ? (r % terms) * f + r / terms : r;

		memcpy(dst + (size_t) mine * t->cols, ref + (size_t) r * t->cols,
			   (size_t) t->cols * sizeof(float));
	}
}

/* Loads prefix_* arrays of every tensor into buf (model layout). */
static int
load_tensors(const Fixture *fx, const DcrnnModel *m, const char *prefix, float *buf)
{
	float	   *tmp = malloc(m->n_params * sizeof(float));
	int			rc = tmp ? 0 : -1;

	for (int i = 0; i < m->n_tensors && rc == 0; i++)
	{
		const DcrnnTensor *t = &m->tensors[i];
		char		name[256];

		tensor_file(m, t, prefix, name, sizeof name);
		rc = load_array(fx, name, tmp, (size_t) t->rows * t->cols);
		if (rc == 0)
			reorder_rows(m, t, tmp, buf + t->offset);
	}
	free(tmp);
	return rc;
}

double
parity_max_rel_err(const float *got, const float *want, size_t n)
{
	double		err = 0.0, scale = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		double		d = fabs((double) got[i] - want[i]);

		if (!(d <= err))
			err = d;
		if (fabs(want[i]) > scale)
			scale = fabs(want[i]);
	}
	return err / (scale > 0.0 ? scale : 1.0);
}

/* One comparison line; returns 1 on mismatch. */
static int
compare(FILE *log, const char *what, const float *got, const float *want, size_t n)
{
	double		rel = parity_max_rel_err(got, want, n);
	int			bad = !(rel <= PARITY_RTOL);

	if (log || bad)
		fprintf(log ? log : stderr, "%s - parity %s (%zu values, max rel err %.2e)\n",
				bad ? "not ok" : "ok", what, n, rel);
	return bad;
}

/* The fixture's supports and parameters into model 0 of ctx. */
static int
load_backend(const Fixture *fx, const DcrnnModel *m, const DcrnnBackend *b,
			 DcrnnBackendCtx *ctx, float *buf, char *err, size_t errlen)
{
	size_t		nn = (size_t) m->cfg.num_nodes * m->cfg.num_nodes;

	for (int k = 0; k < m->cfg.num_supports; k++)
	{
		char		name[32];

		snprintf(name, sizeof name, "support_%d.bin", k);
		if (load_array(fx, name, buf, nn) < 0 ||
			b->set_support(ctx, 0, k, buf, err, errlen) < 0)
			return -1;
	}
	if (load_tensors(fx, m, "param", buf) < 0)
		return -1;
	return b->load_params(ctx, 0, buf, err, errlen);
}

static int
run_model(const Fixture *fx, const DcrnnModel *m, const DcrnnBackend *b,
		  DcrnnBackendCtx *ctx, float *buf, FILE *log)
{
	const DcrnnConfig *c = &m->cfg;
	size_t		nx = (size_t) c->history * c->batch * c->num_nodes * c->input_dim;
	size_t		ny = (size_t) c->horizon * c->batch * c->num_nodes * c->output_dim;
	size_t		np = m->n_params;
	float	   *x = malloc(nx * sizeof(float));
	float	   *y = malloc((ny * 3 + np) * sizeof(float));
	float	   *pred = y + ny, *dpred = y + 2 * ny, *got = y + 3 * ny;
	int			bad = 0;
	double		norm = 0.0;
	char		err[256] = "";

	if (!x || !y || load_backend(fx, m, b, ctx, buf, err, sizeof err) < 0 ||
		load_array(fx, "input_x.bin", x, nx) < 0 ||
		load_array(fx, "target_y.bin", y, ny) < 0 ||
		load_array(fx, "output.bin", dpred, ny) < 0 ||
		/* the reference's decoder always feeds back its own forecast here */
		b->forward(ctx, x, c->batch, NULL, NULL, pred, err, sizeof err) < 0)
	{
		bad = -1;
		goto done;
	}
	bad += compare(log, "forward output", pred, dpred, ny);

	float		loss = (float) dcrnn_masked_mae(pred, y, ny, &fx->mean, &fx->std, 1, 1, dpred);
	float		want_loss = (float) fx->loss;

	bad += compare(log, "masked MAE loss", &loss, &want_loss, 1);
	if (b->backward(ctx, dpred, err, sizeof err) < 0 ||
		b->store_grads(ctx, 0, got, err, sizeof err) < 0 ||
		load_tensors(fx, m, "grad", buf) < 0)
	{
		bad = -1;
		goto done;
	}
	bad += compare(log, "gradients", got, buf, np);
	if (b->clip(ctx, fx->max_norm, &norm, err, sizeof err) < 0 ||
		b->store_grads(ctx, 0, got, err, sizeof err) < 0)
	{
		bad = -1;
		goto done;
	}

	float		fnorm = (float) norm;
	float		want_norm = (float) fx->grad_norm;

	bad += compare(log, "gradient norm", &fnorm, &want_norm, 1);
	bad += load_tensors(fx, m, "gradclip", buf) < 0;
	bad += compare(log, "clipped gradients", got, buf, np);

	if (b->adam_step(ctx, fx->lr, DCRNN_ADAM_EPS_TORCH, 1e-3, err, sizeof err) < 0 ||
		b->store_params(ctx, 0, got, err, sizeof err) < 0)
	{
		bad = -1;
		goto done;
	}
	bad += load_tensors(fx, m, "adam1", buf) < 0;
	bad += compare(log, "parameters after one Adam step", got, buf, np);
done:
	if (err[0])
		fprintf(stderr, "parity: %s backend: %s\n", b->name, err);
	free(x);
	free(y);
	return bad;
}

int
parity_run_backend(const char *dir, const DcrnnBackend *b, FILE *log)
{
	Fixture		fx;
	DcrnnModel *m = NULL;
	DcrnnBackendCtx *ctx = NULL;
	float	   *buf = NULL;
	char		err[256];
	int			bad = -1;

	if (load_fixture(&fx, dir) == 0)
	{
		/* the CPU model names the tensors; the backend runs them */
		m = dcrnn_create(&fx.cfg, err, sizeof err);
		ctx = m ? b->create(&fx.cfg, 1, err, sizeof err) : NULL;
		if (!ctx)
			fprintf(stderr, "parity: %s\n", err);
	}
	if (ctx)
	{
		size_t		nn = (size_t) fx.cfg.num_nodes * fx.cfg.num_nodes;

		buf = malloc((m->n_params > nn ? m->n_params : nn) * sizeof(float));
		if (buf)
			bad = run_model(&fx, m, b, ctx, buf, log);
	}
	free(buf);
	if (ctx)
		b->destroy(ctx);
	dcrnn_free(m);
	free(fx.manifest);
	return bad;
}

int
parity_run(const char *dir, FILE *log)
{
	return parity_run_backend(dir, dcrnn_backend_cpu(), log);
}

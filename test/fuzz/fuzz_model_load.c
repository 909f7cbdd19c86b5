/*
 * fuzz_model_load.c -- libFuzzer target for the model loader.
 *
 * Each input is loaded as it is, and again with its length field and
 * checksum made valid, so that mutations reach the field checks behind the
 * CRC.  The loader must either fail with a message or succeed; a buffer it
 * accepts must save back to the very same bytes, and is then unpacked into
 * a DCRNN model (with a 64 MB memory limit, as the server would set one),
 * which again must succeed or fail with a message.  Built
 * and run by test/fuzz/run.sh.
 */
#include "model_io.h"
#include "model_pack.h"
#include "crc32c.h"

#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load_one(const uint8_t *buf, size_t len)
{
	ModelImage	m;
	char		err[256];

	err[0] = '\0';
	if (model_io_load(buf, len, &m, err, sizeof err) != 0)
	{
		if (err[0] == '\0' || m.weights != NULL || m.config != NULL)
			abort();
		return;
	}
	if (model_io_size(&m) != len)
		abort();
	uint8_t    *out = malloc(len);

	if (model_io_save(&m, out, len) != len || memcmp(out, buf, len) != 0)
		abort();
	free(out);
	err[0] = '\0';
	DcrnnModel *net = model_unpack(&m, 1, (size_t) 64 << 20, err, sizeof err);

	if (net == NULL && err[0] == '\0')
		abort();
	dcrnn_free(net);
	model_image_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	load_one(copy, size);
	if (size >= 28)
	{
		uint32_t	crc;

		for (int i = 0; i < 8; i++)
			copy[16 + i] = (uint8_t) ((uint64_t) size >> (8 * i));
		crc = crc32c_update(0, copy, size - 4);
		for (int i = 0; i < 4; i++)
			copy[size - 4 + i] = (uint8_t) (crc >> (8 * i));
		load_one(copy, size);
	}
	free(copy);
	return 0;
}

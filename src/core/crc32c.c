/*
 * crc32c.c -- CRC-32C (reflected polynomial 0x82F63B78), slicing by 8.
 *
 * Eight 256-entry tables let the loop fold eight bytes per step, several
 * times faster than a byte at a time.  The tables (8 KB, about 4,000
 * shifts and lookups) are rebuilt on each call: a model is checksummed once
 * per save or load, and per-call tables need no state shared by threads.
 */
#include "crc32c.h"

#define CRC32C_POLY 0x82F63B78u

static void
crc32c_tables(uint32_t t[8][256])
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		t[0][i] = c;
	}
	/* t[k][i]: the CRC of byte i followed by k zero bytes */
	for (int k = 1; k < 8; k++)
		for (int i = 0; i < 256; i++)
			t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
}

uint32_t
crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t	t[8][256];

	crc32c_tables(t);
	crc = ~crc;
	for (; len >= 8; len -= 8, p += 8)
	{
		uint32_t	lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 |
								(uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);

		crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^
			t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
	}
	for (; len > 0; len--, p++)
		crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/*
 * crc32c.c -- CRC-32C (reflected polynomial 0x82F63B78), table driven.
 *
 * The 1 KB table is rebuilt on each call (about two thousand shifts): models
 * are checksummed once per save or load, and a per-call table needs no
 * shared state between threads.
 */
#include "crc32c.h"

#define CRC32C_POLY 0x82F63B78u

uint32_t
crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t	table[256];

	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		table[i] = c;
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

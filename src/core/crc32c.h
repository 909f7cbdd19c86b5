/*
 * crc32c.h -- CRC-32C (Castagnoli), the checksum of serialised models.
 */
#ifndef INFORMER_CRC32C_H
#define INFORMER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC-32C over len bytes.  Start with crc = 0; the result of one
 * call can be passed to the next to checksum a buffer in pieces.
 */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);

#endif

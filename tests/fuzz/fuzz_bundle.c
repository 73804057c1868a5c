/*
 * fuzz_bundle.c - libFuzzer target for the bundle reader: the header
 * decoder, then silver_bundle_next over what follows, decoding every entry
 * it delimits.  An entry that decodes must re-encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "silver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	silver_bundle_header h;
	silver_arena *a;
	size_t off = 0, used, len;

	if (silver_bundle_header_decode(data, size, &h, &used) != 0)
		return 0;
	if (used == 0 || used > size)
		abort();
	off = used;
	a = silver_arena_new();
	if (!a)
		return 0;
	for (uint64_t i = 0; i < h.count && off < size && i < 64; i++) {
		silver_entry e;
		if (silver_bundle_next(data + off, size - off, &len) != 0)
			break;
		if (len == 0 || len > size - off)
			abort();
		silver_arena_reset(a);
		if (silver_entry_decode(data + off, len, a, &e) == 0) {
			silver_buf b;
			silver_buf_init(&b);
			if (silver_entry_encode_body(&e, &b) != 0 || b.len != e.body.n || memcmp(b.data, e.body.p, b.len))
				abort();
			silver_buf_release(&b);
		}
		off += len;
	}
	silver_arena_destroy(&a);
	return 0;
}

/*
 * fuzz_msgcheck.c - libFuzzer target for silver_msgpack_check.
 *
 * The first two bytes choose max_items and max_depth.  Whatever the check
 * accepts, msgpack-c must parse to exactly the same length (a differential
 * test against the library the decoders use next).
 */
#include <stdint.h>
#include <stdlib.h>

#include <msgpack.h>

#include "silver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_unpacked u;
	uint32_t items, depth;
	size_t used = 12345, off = 0;
	int rv;

	if (size < 2)
		return 0;
	items = data[0] < 0xf0 ? data[0] : (data[0] == 0xff ? UINT32_MAX : SILVER_MAX_ITEMS);
	depth = data[1] % 24; /* msgpack-c's own stack holds 32 levels */
	data += 2;
	size -= 2;
	rv = silver_msgpack_check(data, size, items, depth, &used);
	if (rv != 0) {
		if ((rv != SILVER_EMALFORMED && rv != SILVER_ELIMIT) || used != 0)
			abort();
		return 0;
	}
	if (used == 0 || used > size)
		abort();
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)data, used, &off) != MSGPACK_UNPACK_SUCCESS || off != used)
		abort();
	msgpack_unpacked_destroy(&u);
	return 0;
}

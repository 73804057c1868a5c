/*
 * msgcheck.c - a first, allocation-free pass over untrusted MessagePack.
 *
 * Before any decoder builds objects from bytes that came from a peer, a
 * bundle or a USB stick, silver_msgpack_check walks exactly one object and
 * proves that decoding it is cheap:
 *
 *   - every str/bin length and every integer fits in the bytes that remain;
 *   - every array/map header declares at most max_items entries (ELIMIT),
 *     and no more elements than there are bytes left (each element takes at
 *     least one byte), so a 10-byte message cannot make anybody allocate
 *     room for 2^32-1 objects (EMALFORMED);
 *   - nesting: the outermost object has depth 0 and the elements of a
 *     container at depth d have depth d + 1; a container deeper than
 *     max_depth is refused (ELIMIT).  An entry's deepest container, a base
 *     [feedtag, seq], sits at depth 6 == SILVER_MAX_DEPTH;
 *   - floats, ext types and the never-used byte 0xc1 are refused
 *     (EMALFORMED): silversync never writes them.
 *
 * The walk is iterative with one counter per open container, so hostile
 * nesting cannot overflow the C stack; max_depth may be at most 63.
 * Trailing bytes after the object are the caller's business: *used says
 * where the object ends.
 */
#include "silver_proto.h"

#define CHECK_STACK 64

static uint64_t be(const uint8_t *p, unsigned k)
{
	uint64_t v = 0;

	while (k--)
		v = v << 8 | *p++;
	return v;
}

int silver_msgpack_check(const uint8_t *p, size_t n, uint32_t max_items, uint32_t max_depth,
			 size_t *used)
{
	uint64_t left[CHECK_STACK]; /* elements still to read in each open container */
	uint32_t open = 0;          /* containers open == depth of the next object */
	size_t off = 0;

	if (!used || (!p && n) || max_depth >= CHECK_STACK)
		return SILVER_EINVAL;
	*used = 0;
	for (;;) {
		size_t rest = n - off, hdr;
		uint64_t len = 0, count = 0;
		int container = 0, map = 0;
		uint8_t b;

		if (rest == 0)
			return SILVER_EMALFORMED;
		b = p[off];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
			hdr = 1;
		} else if (b <= 0x8f) {
			hdr = 1, count = b & 0x0f, container = map = 1;
		} else if (b <= 0x9f) {
			hdr = 1, count = b & 0x0f, container = 1;
		} else if (b <= 0xbf) {
			hdr = 1, len = b & 0x1f;
		} else {
			switch (b) {
			case 0xc4: case 0xd9: hdr = 2; break; /* bin8, str8 */
			case 0xc5: case 0xda: hdr = 3; break; /* bin16, str16 */
			case 0xc6: case 0xdb: hdr = 5; break; /* bin32, str32 */
			case 0xcc: case 0xd0: hdr = 2; break; /* (u)int8 */
			case 0xcd: case 0xd1: hdr = 3; break; /* (u)int16 */
			case 0xce: case 0xd2: hdr = 5; break; /* (u)int32 */
			case 0xcf: case 0xd3: hdr = 9; break; /* (u)int64 */
			case 0xdc: hdr = 3, container = 1; break;
			case 0xdd: hdr = 5, container = 1; break;
			case 0xde: hdr = 3, container = map = 1; break;
			case 0xdf: hdr = 5, container = map = 1; break;
			default: /* 0xc1, ext 0xc7-0xc9 and 0xd4-0xd8, float 0xca-0xcb */
				return SILVER_EMALFORMED;
			}
			if (hdr > rest)
				return SILVER_EMALFORMED;
			if (b == 0xc4 || b == 0xc5 || b == 0xc6 || b == 0xd9 || b == 0xda || b == 0xdb)
				len = be(p + off + 1, (unsigned)hdr - 1);
			else if (container)
				count = be(p + off + 1, (unsigned)hdr - 1);
		}
		if (hdr > rest || len > rest - hdr)
			return SILVER_EMALFORMED;
		off += hdr + (size_t)len;
		if (container) {
			uint64_t elems = map ? 2 * count : count;

			if (count > max_items || open > max_depth)
				return SILVER_ELIMIT;
			if (elems > rest - hdr)
				return SILVER_EMALFORMED;
			if (elems > 0) {
				left[open++] = elems;
				continue;
			}
		}
		/* one object complete: close every container it completes */
		for (;;) {
			if (open == 0) {
				*used = off;
				return 0;
			}
			if (--left[open - 1] > 0)
				break;
			open--;
		}
	}
}

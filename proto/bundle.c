/*
 * bundle.c - the bundle header: a bundle is this header followed by count
 * entries back to back (docs/FORMAT.md, "Bundles").
 *
 *   header  array(5)                      95
 *    [0] magic    str "silversync-bundle" b1 73 69 6c ...
 *    [1] version  uint                    01
 *    [2] suite    uint                    01
 *    [3] created  uint  (hlc)
 *    [4] count    uint  (entries that follow)
 *
 * A reader checks the magic, refuses a newer version with SILVER_EVERSION,
 * and then reads exactly count entries; bytes after them, or fewer entries
 * than count, make the bundle malformed (truncated).
 */
#include <string.h>

#include <msgpack.h>

#include "silver_pack.h"
#include "silver_proto.h"

int silver_bundle_header_encode(const silver_bundle_header *h, silver_buf *out)
{
	silver_buf *pk;
	size_t n = strlen(SILVER_BUNDLE_MAGIC);
	pk = out;
	if (silver_pack_array(pk, 5) || silver_pack_str(pk, n) || silver_pack_str_body(pk, SILVER_BUNDLE_MAGIC, n) ||
	    silver_pack_uint32(pk, h->version) || silver_pack_uint32(pk, h->suite) ||
	    silver_pack_uint64(pk, h->created) || silver_pack_uint64(pk, h->count))
		return SILVER_ENOMEM;
	return 0;
}

int silver_bundle_header_decode(const uint8_t *p, size_t n, silver_bundle_header *h, size_t *used)
{
	msgpack_zone zone;
	msgpack_object o;
	size_t len, off = 0;
	int rv;

	memset(h, 0, sizeof(*h));
	if ((rv = silver_msgpack_check(p, n, 8, 2, &len)) != 0)
		return rv == SILVER_ELIMIT ? SILVER_EMALFORMED : rv;
	if (!msgpack_zone_init(&zone, 256))
		return SILVER_ENOMEM;
	rv = SILVER_EMALFORMED;
	if (msgpack_unpack((const char *)p, len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS || off != len)
		goto out;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size < 5)
		goto out;
	{
		const msgpack_object *a = o.via.array.ptr;
		size_t mn = strlen(SILVER_BUNDLE_MAGIC);
		if (a[0].type != MSGPACK_OBJECT_STR || a[0].via.str.size != mn ||
		    memcmp(a[0].via.str.ptr, SILVER_BUNDLE_MAGIC, mn) != 0)
			goto out;
		for (int i = 1; i < 5; i++)
			if (a[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				goto out;
		if (a[1].via.u64 > SILVER_FORMAT_VERSION || a[2].via.u64 != SILVER_SUITE_ED25519_BLAKE2B) {
			rv = SILVER_EVERSION;
			goto out;
		}
		if (o.via.array.size != 5)
			goto out;
		h->version = (uint32_t)a[1].via.u64;
		h->suite = (uint32_t)a[2].via.u64;
		h->created = a[3].via.u64;
		h->count = a[4].via.u64;
	}
	*used = len;
	rv = 0;
out:
	msgpack_zone_destroy(&zone);
	return rv;
}

int silver_bundle_next(const uint8_t *p, size_t n, size_t *len)
{
	int rv = silver_msgpack_check(p, n < SILVER_MAX_ENTRY ? n : SILVER_MAX_ENTRY, SILVER_MAX_ITEMS,
				      SILVER_MAX_DEPTH, len);
	if (rv == SILVER_EMALFORMED && n > SILVER_MAX_ENTRY)
		return SILVER_ELIMIT; /* runs past the largest entry there can be */
	return rv;
}

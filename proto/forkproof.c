/*
 * forkproof.c - fork proofs: two sealed chains of one feed that disagree at
 * one seq, in a file anyone holding neither store can check (docs/FORMAT.md,
 * "Fork proofs").
 *
 *   proof = array(3) [ "silversync-fork-proof", 1, array(2) [ side A, side B ] ]
 *   side  = array(1..4096) of bin(entry bytes)
 *
 * A side is entries seq, seq+1, ..., each one's prev the hash of the one
 * before, the last sealed: the seal covers the whole side, so the author's
 * key signed the side's first entry.  Two sides starting at the same
 * (author, township, seq) with different hashes prove the key signed both.
 */
#include <string.h>

#include <msgpack.h>

#include "silver_pack.h"
#include "silver_proto.h"

int silver_fork_proof_encode(const silver_slice *a, size_t na, const silver_slice *b, size_t nb, silver_buf *out)
{
	silver_buf *pk;
	const silver_slice *side[2] = {a, b};
	size_t n[2] = {na, nb}, ml = strlen(SILVER_FORK_PROOF_MAGIC);
	if (!na || !nb || na > SILVER_MAX_PROOF_SIDE || nb > SILVER_MAX_PROOF_SIDE)
		return SILVER_EINVAL;
	pk = out;
	silver_pack_array(pk, 3);
	silver_pack_str(pk, ml);
	silver_pack_str_body(pk, SILVER_FORK_PROOF_MAGIC, ml);
	silver_pack_uint8(pk, 1);
	silver_pack_array(pk, 2);
	for (int s = 0; s < 2; s++) {
		silver_pack_array(pk, (uint32_t)n[s]);
		for (size_t i = 0; i < n[s]; i++) {
			silver_pack_bin(pk, side[s][i].n);
			silver_pack_bin_body(pk, side[s][i].p, side[s][i].n);
		}
	}
	return silver_buf_failed(out) ? SILVER_ENOMEM : 0;
}

/* Check one side; fill the first entry's identity. */
static int side_check(const msgpack_object *o, silver_arena *a, silver_entry *first)
{
	silver_entry prev, e;
	int rv;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 || o->via.array.size > SILVER_MAX_PROOF_SIDE)
		return SILVER_EMALFORMED;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *x = &o->via.array.ptr[i];
		if (x->type != MSGPACK_OBJECT_BIN)
			return SILVER_EMALFORMED;
		if ((rv = silver_entry_decode((const uint8_t *)x->via.bin.ptr, x->via.bin.size, a, &e)) != 0)
			return rv;
		if (i == 0) {
			*first = e;
		} else if (memcmp(e.author, prev.author, SILVER_KEY_BYTES) != 0 || e.township.n != prev.township.n ||
			   memcmp(e.township.p, prev.township.p, e.township.n) != 0 || e.seq != prev.seq + 1 ||
			   memcmp(e.prev, prev.hash, SILVER_HASH_BYTES) != 0) {
			return SILVER_ECHAIN;
		}
		prev = e;
	}
	if (!prev.sealed)
		return SILVER_EUNSEALED;
	return silver_seal_verify(prev.hash, prev.author, prev.sig);
}

int silver_fork_proof_verify(const uint8_t *p, size_t n, silver_fork_info *info)
{
	msgpack_zone z;
	msgpack_object o;
	silver_arena *a;
	silver_entry f[2];
	size_t used, off = 0, ml = strlen(SILVER_FORK_PROOF_MAGIC);
	int rv;

	memset(info, 0, sizeof(*info));
	if ((rv = silver_msgpack_check(p, n, SILVER_MAX_PROOF_SIDE, 3, &used)) != 0)
		return rv;
	if (used != n)
		return SILVER_EMALFORMED;
	if (!msgpack_zone_init(&z, 4096))
		return SILVER_ENOMEM;
	if (!(a = silver_arena_new())) {
		msgpack_zone_destroy(&z);
		return SILVER_ENOMEM;
	}
	rv = SILVER_EMALFORMED;
	if (msgpack_unpack((const char *)p, n, &off, &z, &o) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != 3 || o.via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
	    o.via.array.ptr[0].via.str.size != ml || memcmp(o.via.array.ptr[0].via.str.ptr, SILVER_FORK_PROOF_MAGIC, ml) ||
	    o.via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		goto out;
	if (o.via.array.ptr[1].via.u64 != 1) {
		rv = SILVER_EVERSION;
		goto out;
	}
	if (o.via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY || o.via.array.ptr[2].via.array.size != 2)
		goto out;
	for (int s = 0; s < 2; s++)
		if ((rv = side_check(&o.via.array.ptr[2].via.array.ptr[s], a, &f[s])) != 0)
			goto out;
	if (memcmp(f[0].author, f[1].author, SILVER_KEY_BYTES) != 0 || f[0].township.n != f[1].township.n ||
	    memcmp(f[0].township.p, f[1].township.p, f[0].township.n) != 0 || f[0].seq != f[1].seq) {
		rv = SILVER_EINVAL; /* two chains, but not of one feed and seq */
		goto out;
	}
	if (memcmp(f[0].hash, f[1].hash, SILVER_HASH_BYTES) == 0) {
		rv = SILVER_EINVAL; /* the same entry twice: no fork */
		goto out;
	}
	memcpy(info->author, f[0].author, SILVER_KEY_BYTES);
	memcpy(info->township, f[0].township.p, f[0].township.n);
	info->seq = f[0].seq;
	for (int s = 0; s < 2; s++) {
		memcpy(info->hash[s], f[s].hash, SILVER_HASH_BYTES);
		info->hlc[s] = f[s].hlc;
	}
	rv = 0;
out:
	silver_arena_destroy(&a);
	msgpack_zone_destroy(&z);
	return rv;
}

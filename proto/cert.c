/*
 * cert.c - certificates and revocations: the two operations of the county
 * admin's feed that every trust decision derives from (docs/FORMAT.md,
 * "Certificates and revocations").
 *
 *   CERT   array(6) [ 2, key bin(32), name str(<=128), role uint(1..3),
 *                     write array(<=64) of str, read array(<=64) of str ]
 *   REVOKE array(4) [ 3, key bin(32), last array(<=64) of array(2)
 *                     [ township str, seq uint ], reason str(<=1024) ]
 *
 * Township lists (and the townships of last) are strictly ascending by
 * bytes; each is a township code or "*".  Decoding rebuilds the structure
 * and re-encodes it: the bytes must come back identical (one encoding).
 */
#include <string.h>

#include <msgpack.h>

#include "silver_pack.h"
#include "silver_proto.h"

static int slice_cmp(const silver_slice *a, const silver_slice *b)
{
	uint32_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

static int township_ok(const silver_slice *s)
{
	if (s->n == 1 && s->p[0] == '*')
		return 1;
	return silver_name_check(s->p, s->n, SILVER_NAME_TOWNSHIP) == 0;
}

static int list_ok(const silver_slice *l, uint32_t n)
{
	if (n > SILVER_MAX_TOWNSHIPS)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (!township_ok(&l[i]) || (i && slice_cmp(&l[i - 1], &l[i]) >= 0))
			return 0;
	return 1;
}

int silver_township_in(const silver_slice *list, uint32_t n, const uint8_t *township, size_t len)
{
	for (uint32_t i = 0; i < n; i++)
		if ((list[i].n == 1 && list[i].p[0] == '*') ||
		    (list[i].n == len && memcmp(list[i].p, township, len) == 0))
			return 1;
	return 0;
}

static void pack_str(silver_buf *pk, const silver_slice *s)
{
	silver_pack_str(pk, s->n);
	silver_pack_str_body(pk, s->p, s->n);
}

static void pack_list(silver_buf *pk, const silver_slice *l, uint32_t n)
{
	silver_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++)
		pack_str(pk, &l[i]);
}

int silver_cert_encode(const silver_cert *c, silver_buf *out)
{
	silver_buf *pk;
	size_t start = out->len;
	if (c->role < SILVER_ROLE_MIN || c->role > SILVER_ROLE_MAX || c->name.n > SILVER_MAX_CERT_NAME ||
	    (c->name.n && silver_label_check(c->name.p, c->name.n) != 0) ||
	    !list_ok(c->write, c->nwrite) || !list_ok(c->read, c->nread))
		return SILVER_EINVAL;
	pk = out;
	silver_pack_array(pk, 6);
	silver_pack_uint8(pk, 2);
	silver_pack_bin(pk, SILVER_KEY_BYTES);
	silver_pack_bin_body(pk, c->key, SILVER_KEY_BYTES);
	pack_str(pk, &c->name);
	silver_pack_uint32(pk, c->role);
	pack_list(pk, c->write, c->nwrite);
	pack_list(pk, c->read, c->nread);
	return silver_buf_failed(out) || out->len <= start ? SILVER_ENOMEM : 0;
}

int silver_revoke_encode(const silver_revoke *r, silver_buf *out)
{
	silver_buf *pk;
	size_t start = out->len;
	if (r->nlast > SILVER_MAX_TOWNSHIPS || r->reason.n > SILVER_MAX_REASON)
		return SILVER_EINVAL;
	for (uint32_t i = 0; i < r->nlast; i++)
		if (!township_ok(&r->last[i].township) ||
		    (r->last[i].township.n == 1 && r->last[i].township.p[0] == '*') ||
		    (i && slice_cmp(&r->last[i - 1].township, &r->last[i].township) >= 0))
			return SILVER_EINVAL;
	pk = out;
	silver_pack_array(pk, 4);
	silver_pack_uint8(pk, 3);
	silver_pack_bin(pk, SILVER_KEY_BYTES);
	silver_pack_bin_body(pk, r->key, SILVER_KEY_BYTES);
	silver_pack_array(pk, r->nlast);
	for (uint32_t i = 0; i < r->nlast; i++) {
		silver_pack_array(pk, 2);
		pack_str(pk, &r->last[i].township);
		silver_pack_uint64(pk, r->last[i].seq);
	}
	pack_str(pk, &r->reason);
	return silver_buf_failed(out) || out->len <= start ? SILVER_ENOMEM : 0;
}

/* Parse raw into a msgpack tree after the limit check. */
static int unpack(const silver_slice *raw, msgpack_zone *z, msgpack_object *o)
{
	size_t used, off = 0;
	int rv = silver_msgpack_check(raw->p, raw->n, SILVER_MAX_TOWNSHIPS + 8, 4, &used);
	if (rv != 0)
		return rv;
	if (used != raw->n)
		return SILVER_EMALFORMED;
	if (msgpack_unpack((const char *)raw->p, raw->n, &off, z, o) != MSGPACK_UNPACK_SUCCESS)
		return SILVER_EMALFORMED;
	return 0;
}

static int get_str(const msgpack_object *o, silver_slice *s)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return SILVER_EMALFORMED;
	s->p = (const uint8_t *)o->via.str.ptr;
	s->n = o->via.str.size;
	return 0;
}

static int get_key(const msgpack_object *o, uint8_t key[SILVER_KEY_BYTES])
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != SILVER_KEY_BYTES)
		return SILVER_EMALFORMED;
	memcpy(key, o->via.bin.ptr, SILVER_KEY_BYTES);
	return 0;
}

static int get_list(const msgpack_object *o, silver_arena *a, silver_slice **l, uint32_t *n)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > SILVER_MAX_TOWNSHIPS)
		return SILVER_EMALFORMED;
	*n = o->via.array.size;
	*l = silver_arena_alloc(a, sizeof(silver_slice) * (*n + 1));
	if (!*l)
		return SILVER_ENOMEM;
	for (uint32_t i = 0; i < *n; i++)
		if (get_str(&o->via.array.ptr[i], &(*l)[i]) != 0)
			return SILVER_EMALFORMED;
	return 0;
}

/* Re-encode and compare: the one-encoding rule. */
static int same(const silver_buf *b, const silver_slice *raw)
{
	return b->len == raw->n && memcmp(b->data, raw->p, raw->n) == 0;
}

int silver_cert_decode(const silver_slice *raw, silver_arena *a, silver_cert *c)
{
	msgpack_zone z;
	msgpack_object o;
	silver_buf b;
	int rv;

	memset(c, 0, sizeof(*c));
	if (!msgpack_zone_init(&z, 512))
		return SILVER_ENOMEM;
	silver_buf_init(&b);
	if ((rv = unpack(raw, &z, &o)) != 0)
		goto out;
	rv = SILVER_EMALFORMED;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != 6 ||
	    o.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || o.via.array.ptr[0].via.u64 != 2 ||
	    o.via.array.ptr[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		goto out;
	if (get_key(&o.via.array.ptr[1], c->key) || get_str(&o.via.array.ptr[2], &c->name))
		goto out;
	if (o.via.array.ptr[3].via.u64 < SILVER_ROLE_MIN || o.via.array.ptr[3].via.u64 > SILVER_ROLE_MAX)
		goto out;
	c->role = (uint32_t)o.via.array.ptr[3].via.u64;
	if ((rv = get_list(&o.via.array.ptr[4], a, &c->write, &c->nwrite)) != 0 ||
	    (rv = get_list(&o.via.array.ptr[5], a, &c->read, &c->nread)) != 0)
		goto out;
	rv = silver_cert_encode(c, &b);
	if (rv == SILVER_EINVAL)
		rv = SILVER_EMALFORMED;
	else if (rv == 0 && !same(&b, raw))
		rv = SILVER_ENONCANON;
out:
	silver_buf_release(&b);
	msgpack_zone_destroy(&z);
	return rv;
}

int silver_revoke_decode(const silver_slice *raw, silver_arena *a, silver_revoke *r)
{
	msgpack_zone z;
	msgpack_object o;
	silver_buf b;
	const msgpack_object *l;
	int rv;

	memset(r, 0, sizeof(*r));
	if (!msgpack_zone_init(&z, 512))
		return SILVER_ENOMEM;
	silver_buf_init(&b);
	if ((rv = unpack(raw, &z, &o)) != 0)
		goto out;
	rv = SILVER_EMALFORMED;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != 4 ||
	    o.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || o.via.array.ptr[0].via.u64 != 3)
		goto out;
	if (get_key(&o.via.array.ptr[1], r->key) || get_str(&o.via.array.ptr[3], &r->reason))
		goto out;
	l = &o.via.array.ptr[2];
	if (l->type != MSGPACK_OBJECT_ARRAY || l->via.array.size > SILVER_MAX_TOWNSHIPS)
		goto out;
	r->nlast = l->via.array.size;
	r->last = silver_arena_alloc(a, sizeof(*r->last) * (r->nlast + 1));
	if (!r->last) {
		rv = SILVER_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < r->nlast; i++) {
		const msgpack_object *x = &l->via.array.ptr[i];
		if (x->type != MSGPACK_OBJECT_ARRAY || x->via.array.size != 2 ||
		    get_str(&x->via.array.ptr[0], &r->last[i].township) ||
		    x->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			goto out;
		r->last[i].seq = x->via.array.ptr[1].via.u64;
	}
	rv = silver_revoke_encode(r, &b);
	if (rv == SILVER_EINVAL)
		rv = SILVER_EMALFORMED;
	else if (rv == 0 && !same(&b, raw))
		rv = SILVER_ENONCANON;
out:
	silver_buf_release(&b);
	msgpack_zone_destroy(&z);
	return rv;
}

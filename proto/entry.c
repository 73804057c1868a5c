/*
 * entry.c - the log entry: canonical encoding, decoding of untrusted bytes.
 *
 * docs/FORMAT.md is the contract (with a worked byte-exact example); this is
 * the short version for whoever changes this file.
 *
 * An entry is one MessagePack array.  Every integer, string, binary and array
 * header uses the shortest form MessagePack has for it (what msgpack-c 4.0's
 * packer emits, str8 included), so each entry has exactly one byte string:
 *
 *   entry    array(2)   92
 *    body    array(8)   98                                 <- hashed bytes
 *     [0] version  uint    01                                (SILVER_FORMAT_VERSION)
 *     [1] suite    uint    01                                (Ed25519 + BLAKE2b)
 *     [2] author   bin(32) c4 20 <32 bytes Ed25519 public key>
 *     [3] township str     a0+n <n bytes [a-z0-9_], 1..64, not starting "_">
 *     [4] seq      uint    1, 2, 3 ... per feed, no gaps
 *     [5] prev     nil     c0                when seq == 1
 *                  bin(32) c4 20 <hash>      when seq > 1: hash of entry seq-1
 *     [6] hlc      uint    ms since 1970 << 16 | counter
 *     [7] op       array   first element = op type (uint)
 *          type 1 CHANGE: array(4) [1, collection str, record str, writes]
 *                      or array(5) [1, collection, record, writes, operator]
 *            operator: str, 1..32 bytes of [a-z0-9_.-] (SILVER_NAME_OPERATOR),
 *                    the office's account that made the change; absent when
 *                    none is recorded, never nil or empty (one encoding)
 *            writes: array(1..64) of array(3) [field str, value, bases],
 *                    strictly ascending by field bytes; the reserved
 *                    field "_del", when written, has a bool value
 *            value:  nil | str(<=4096) | int (int64) | true/false
 *                    | array(<=32) of str, strictly ascending
 *            bases:  array(<=32) of array(2) [bin(16) feed tag, uint seq>=1],
 *                    strictly ascending by silver_ref_cmp
 *          type 2 CERT, 3 REVOKE: any canonical array whose first element
 *            is the type; kept as op.raw for node/ to decode
 *    seal    nil | bin(64)  c0 | c4 40 <Ed25519 over "silvseal" || hash>
 *
 *   hash     = BLAKE2b-256(body bytes exactly as they stand in the entry)
 *   feed tag = BLAKE2b-128(author || township)  (a 16-byte BLAKE2b output)
 *
 * Validity (proto's part): the bytes are at most 64 KiB, pass
 * silver_msgpack_check with no trailing bytes, have the shape above with
 * every rule met, and re-encoding the decoded structure gives back every
 * byte.  A seal on entry n covers entries 1..n of its feed through the prev
 * chain; checking the chain and the seal is the caller's job (node/).
 *
 * Decoding is three passes: silver_msgpack_check (no allocation), then
 * msgpack-c's unpacker builds a tree in its zone (strings and binaries point
 * into the input), which we copy into silver structs in the caller's arena,
 * then silver_entry_encode_body re-encodes it, applying every rule, and
 * the result must equal the input byte for byte.  One function owns the
 * rules, so the encoder and decoder cannot drift apart.  The re-encoding is
 * skipped when it cannot differ: when a walk over the input finds every
 * header in its shortest form and check_entry (the encoder's rules) passes
 * (see canonical()); any other input still takes it.
 */
#include <string.h>

#include <msgpack.h>

#include "silver_pack.h"
#include "silver_proto.h"

/* The largest body that still fits in SILVER_MAX_ENTRY once wrapped with a
 * seal: array(2) header (1) + body + bin8 header (2) + signature (64). */
#define MAX_BODY (SILVER_MAX_ENTRY - 1 - 2 - SILVER_SIG_BYTES)

/* Depth of the op within an entry: entry 0, body 1, op 2. */
#define OP_DEPTH 2

/* ---- small helpers ------------------------------------------------------- */

static void buf_truncate(silver_buf *b, size_t len)
{
	b->len = len;
	if (b->cap)
		b->data[len] = 0;
}

/* memcmp order, a proper prefix first. */
static int slice_cmp(const silver_slice *a, const silver_slice *b)
{
	uint32_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0;

	if (c)
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int slice_ok(const silver_slice *s)
{
	return s->p || s->n == 0;
}

int silver_ref_cmp(const silver_ref *a, const silver_ref *b)
{
	int c = memcmp(a->feed, b->feed, SILVER_FEEDTAG_BYTES);

	if (c)
		return c < 0 ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int silver_value_equal(const silver_value *a, const silver_value *b)
{
	uint32_t k;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case SILVER_V_NIL:
		return 1;
	case SILVER_V_INT:
	case SILVER_V_BOOL:
		return a->i == b->i;
	case SILVER_V_STR:
		return slice_cmp(&a->s, &b->s) == 0;
	case SILVER_V_LIST:
		if (a->n != b->n)
			return 0;
		for (k = 0; k < a->n; k++)
			if (slice_cmp(&a->items[k], &b->items[k]) != 0)
				return 0;
		return 1;
	}
	return 0;
}

/* ---- the rules (applied on encode, and so on decode) --------------------- */

/* Names follow the one rule of proto/names.c. */
static int check_name(const silver_slice *s, enum silver_name_kind kind)
{
	if (!slice_ok(s))
		return SILVER_EINVAL;
	return silver_name_check(s->p, s->n, kind);
}

static int check_str(const silver_slice *s)
{
	if (!slice_ok(s))
		return SILVER_EINVAL;
	return s->n > SILVER_MAX_STR ? SILVER_ELIMIT : 0;
}

static int check_value(const silver_value *v)
{
	uint32_t k;
	int rv;

	switch (v->type) {
	case SILVER_V_NIL:
	case SILVER_V_INT:
		return 0;
	case SILVER_V_BOOL:
		return v->i == 0 || v->i == 1 ? 0 : SILVER_EINVAL;
	case SILVER_V_STR:
		return check_str(&v->s);
	case SILVER_V_LIST:
		if (v->n > SILVER_MAX_LIST)
			return SILVER_ELIMIT;
		if (v->n && !v->items)
			return SILVER_EINVAL;
		for (k = 0; k < v->n; k++) {
			if ((rv = check_str(&v->items[k])) != 0)
				return rv;
			if (k > 0 && slice_cmp(&v->items[k - 1], &v->items[k]) >= 0)
				return SILVER_ENONCANON;
		}
		return 0;
	}
	return SILVER_EINVAL;
}

static int check_change(const silver_op *op)
{
	static const silver_slice del = { (const uint8_t *)"_del", 4 };
	int rv;
	uint32_t k, j;

	if ((rv = check_name(&op->collection, SILVER_NAME_COLLECTION)) != 0)
		return rv;
	if (!slice_ok(&op->record))
		return SILVER_EINVAL;
	if (op->record.n == 0)
		return SILVER_EMALFORMED;
	if (op->record.n > SILVER_MAX_ID)
		return SILVER_ELIMIT;
	if (op->nwrites > SILVER_MAX_WRITES)
		return SILVER_ELIMIT;
	if (op->nwrites == 0)
		return SILVER_EMALFORMED;
	if (!op->writes)
		return SILVER_EINVAL;
	for (k = 0; k < op->nwrites; k++) {
		const silver_write *w = &op->writes[k];

		if ((rv = check_name(&w->field, SILVER_NAME_FIELD)) != 0)
			return rv;
		if (k > 0 && slice_cmp(&op->writes[k - 1].field, &w->field) >= 0)
			return SILVER_ENONCANON;
		if ((rv = check_value(&w->value)) != 0)
			return rv;
		if (slice_cmp(&w->field, &del) == 0 && w->value.type != SILVER_V_BOOL)
			return SILVER_EMALFORMED;
		if (w->nbases > SILVER_MAX_BASES)
			return SILVER_ELIMIT;
		if (w->nbases && !w->bases)
			return SILVER_EINVAL;
		for (j = 0; j < w->nbases; j++) {
			if (w->bases[j].seq == 0)
				return SILVER_EMALFORMED;
			if (j > 0 && silver_ref_cmp(&w->bases[j - 1], &w->bases[j]) >= 0)
				return SILVER_ENONCANON;
		}
	}
	/* absent is { NULL, 0 }; anything else must be a whole operator name,
	 * so an empty one is refused, not quietly written as absent */
	if (op->operator_name.p || op->operator_name.n)
		return check_name(&op->operator_name, SILVER_NAME_OPERATOR);
	return 0;
}

/* CERT and REVOKE ops are opaque here, but they are still one well-formed,
 * limited, canonical array whose first element is the op type: repacking
 * msgpack-c's tree of it must give back the same bytes. */
static int check_raw_op(const silver_op *op)
{
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const msgpack_object *o;
	size_t used = 0, off = 0;
	int rv;

	if (!slice_ok(&op->raw))
		return SILVER_EINVAL;
	rv = silver_msgpack_check(op->raw.p, op->raw.n, SILVER_MAX_ITEMS, SILVER_MAX_DEPTH - OP_DEPTH, &used);
	if (rv != 0)
		return rv;
	if (used != op->raw.n)
		return SILVER_EMALFORMED;
	msgpack_unpacked_init(&u);
	switch (msgpack_unpack_next(&u, (const char *)op->raw.p, op->raw.n, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		msgpack_unpacked_destroy(&u);
		return SILVER_ENOMEM;
	default:
		msgpack_unpacked_destroy(&u);
		return SILVER_EMALFORMED;
	}
	o = &u.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 ||
	    o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->via.array.ptr[0].via.u64 != (uint64_t)op->type) {
		msgpack_unpacked_destroy(&u);
		return SILVER_EMALFORMED;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_object(&pk, *o) != 0)
		rv = SILVER_ENOMEM;
	else if (sb.size != op->raw.n || memcmp(sb.data, op->raw.p, sb.size) != 0)
		rv = SILVER_ENONCANON;
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&u);
	return rv;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *p++;
	return acc == 0;
}

static int check_entry(const silver_entry *e)
{
	int rv;

	if (e->version > SILVER_FORMAT_VERSION)
		return SILVER_EVERSION;
	if (e->version != SILVER_FORMAT_VERSION)
		return SILVER_EMALFORMED;
	if (e->suite != SILVER_SUITE_ED25519_BLAKE2B)
		return SILVER_EVERSION;
	if ((rv = check_name(&e->township, SILVER_NAME_TOWNSHIP)) != 0)
		return rv;
	if (e->seq == 0)
		return SILVER_EMALFORMED;
	if (e->seq == 1 && !all_zero(e->prev, sizeof(e->prev)))
		return SILVER_EMALFORMED;
	switch (e->op.type) {
	case SILVER_OP_CHANGE:
		return check_change(&e->op);
	case SILVER_OP_CERT:
	case SILVER_OP_REVOKE:
		return check_raw_op(&e->op);
	}
	return SILVER_EMALFORMED;
}

/* ---- encoding ------------------------------------------------------------- */

static int pack_slice_str(silver_buf *pk, const silver_slice *s)
{
	return silver_pack_str(pk, s->n) | silver_pack_str_body(pk, s->p, s->n);
}

static int pack_bin(silver_buf *pk, const uint8_t *p, size_t n)
{
	return silver_pack_bin(pk, n) | silver_pack_bin_body(pk, p, n);
}

static int pack_value(silver_buf *pk, const silver_value *v)
{
	uint32_t k;
	int rv;

	switch (v->type) {
	case SILVER_V_NIL:
		return silver_pack_nil(pk);
	case SILVER_V_STR:
		return pack_slice_str(pk, &v->s);
	case SILVER_V_INT:
		return silver_pack_int64(pk, v->i);
	case SILVER_V_BOOL:
		return v->i ? silver_pack_true(pk) : silver_pack_false(pk);
	case SILVER_V_LIST:
		rv = silver_pack_array(pk, v->n);
		for (k = 0; k < v->n; k++)
			rv |= pack_slice_str(pk, &v->items[k]);
		return rv;
	}
	return -1;
}

static int pack_change(silver_buf *pk, const silver_op *op)
{
	uint32_t k, j;
	int rv;

	rv = silver_pack_array(pk, op->operator_name.n ? 5 : 4);
	rv |= silver_pack_uint64(pk, SILVER_OP_CHANGE);
	rv |= pack_slice_str(pk, &op->collection);
	rv |= pack_slice_str(pk, &op->record);
	rv |= silver_pack_array(pk, op->nwrites);
	for (k = 0; k < op->nwrites && rv == 0; k++) {
		const silver_write *w = &op->writes[k];

		rv |= silver_pack_array(pk, 3);
		rv |= pack_slice_str(pk, &w->field);
		rv |= pack_value(pk, &w->value);
		rv |= silver_pack_array(pk, w->nbases);
		for (j = 0; j < w->nbases; j++) {
			rv |= silver_pack_array(pk, 2);
			rv |= pack_bin(pk, w->bases[j].feed, SILVER_FEEDTAG_BYTES);
			rv |= silver_pack_uint64(pk, w->bases[j].seq);
		}
	}
	if (op->operator_name.n)
		rv |= pack_slice_str(pk, &op->operator_name);
	return rv;
}

int silver_entry_encode_body(silver_entry *e, silver_buf *out)
{
	silver_buf *pk;
	size_t start;
	int rv;

	if (!e || !out)
		return SILVER_EINVAL;
	if ((rv = check_entry(e)) != 0)
		return rv;
	start = out->len;
	pk = out;
	rv = silver_pack_array(pk, 8);
	rv |= silver_pack_uint64(pk, e->version);
	rv |= silver_pack_uint64(pk, e->suite);
	rv |= pack_bin(pk, e->author, SILVER_KEY_BYTES);
	rv |= pack_slice_str(pk, &e->township);
	rv |= silver_pack_uint64(pk, e->seq);
	rv |= e->seq == 1 ? silver_pack_nil(pk) : pack_bin(pk, e->prev, SILVER_HASH_BYTES);
	rv |= silver_pack_uint64(pk, e->hlc);
	if (e->op.type == SILVER_OP_CHANGE)
		rv |= pack_change(pk, &e->op);
	else
		rv |= silver_buf_append(out, e->op.raw.p, e->op.raw.n);
	if (rv != 0) {
		buf_truncate(out, start);
		return SILVER_ENOMEM;
	}
	if (out->len - start > MAX_BODY) {
		buf_truncate(out, start);
		return SILVER_ELIMIT;
	}
	silver_hash(out->data + start, out->len - start, e->hash);
	return 0;
}

int silver_entry_wrap(const uint8_t *body, size_t nbody, const uint8_t *sig, silver_buf *out)
{
	silver_buf *pk;
	size_t start, total;
	int rv;

	if (!body || !out)
		return SILVER_EINVAL;
	if (nbody > MAX_BODY)
		return SILVER_ELIMIT;
	total = 1 + nbody + (sig ? 2 + SILVER_SIG_BYTES : 1);
	if ((rv = silver_buf_reserve(out, total)) != 0)
		return rv;
	start = out->len;
	pk = out;
	rv = silver_pack_array(pk, 2);
	rv |= silver_buf_append(out, body, nbody);
	rv |= sig ? pack_bin(pk, sig, SILVER_SIG_BYTES) : silver_pack_nil(pk);
	if (rv != 0) {
		buf_truncate(out, start);
		return SILVER_ENOMEM;
	}
	return 0;
}

/* ---- decoding ------------------------------------------------------------- */

static uint64_t be16(const uint8_t *p)
{
	return (uint64_t)p[0] << 8 | p[1];
}

static uint64_t be32(const uint8_t *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

/* Reads an unsigned integer in any width, for the version peek only. */
static int peek_uint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	static const uint8_t width[4] = { 1, 2, 4, 8 };
	uint8_t b;
	unsigned k, w;

	if (*off >= n)
		return -1;
	b = p[(*off)++];
	if (b <= 0x7f) {
		*v = b;
		return 0;
	}
	if (b < 0xcc || b > 0xcf)
		return -1;
	w = width[b - 0xcc];
	if (n - *off < w)
		return -1;
	for (*v = 0, k = 0; k < w; k++)
		*v = *v << 8 | p[(*off)++];
	return 0;
}

static int peek_array(const uint8_t *p, size_t n, size_t *off)
{
	uint8_t b;

	if (*off >= n)
		return -1;
	b = p[*off];
	if (b >= 0x90 && b <= 0x9f)
		*off += 1;
	else if (b == 0xdc)
		*off += 3;
	else if (b == 0xdd)
		*off += 5;
	else
		return -1;
	return *off <= n ? 0 : -1;
}

/* A newer format may change anything after the version, even the limits, so
 * look at version and suite before judging the rest: an old node must say
 * "upgrade", not "damaged".  Anything unrecognisable is left to the full
 * check. */
static int peek_version(const uint8_t *p, size_t n)
{
	size_t off = 0;
	uint64_t v;

	if (peek_array(p, n, &off) || peek_array(p, n, &off) || peek_uint(p, n, &off, &v))
		return 0;
	if (v > SILVER_FORMAT_VERSION)
		return SILVER_EVERSION;
	if (v != SILVER_FORMAT_VERSION || peek_uint(p, n, &off, &v))
		return 0;
	return v != SILVER_SUITE_ED25519_BLAKE2B ? SILVER_EVERSION : 0;
}

static size_t array_header_len(uint8_t b)
{
	return b == 0xdc ? 3 : b == 0xdd ? 5 : 1;
}

static int get_uint(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return SILVER_EMALFORMED;
	*v = o->via.u64;
	return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *out, uint32_t n)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
		return SILVER_EMALFORMED;
	memcpy(out, o->via.bin.ptr, n);
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

static int get_array(const msgpack_object *o, uint32_t min, uint32_t max, int over)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return SILVER_EMALFORMED;
	if (o->via.array.size > max)
		return over;
	return o->via.array.size < min ? SILVER_EMALFORMED : 0;
}

static int get_value(const msgpack_object *o, silver_arena *a, silver_value *v)
{
	uint32_t k;
	int rv;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v->type = SILVER_V_NIL;
		return 0;
	case MSGPACK_OBJECT_STR:
		v->type = SILVER_V_STR;
		return get_str(o, &v->s);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return SILVER_EMALFORMED;
		v->type = SILVER_V_INT;
		v->i = (int64_t)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->type = SILVER_V_INT;
		v->i = o->via.i64;
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		v->type = SILVER_V_BOOL;
		v->i = o->via.boolean ? 1 : 0;
		return 0;
	case MSGPACK_OBJECT_ARRAY:
		if ((rv = get_array(o, 0, SILVER_MAX_LIST, SILVER_ELIMIT)) != 0)
			return rv;
		v->type = SILVER_V_LIST;
		v->n = o->via.array.size;
		if (v->n && !(v->items = silver_arena_alloc(a, v->n * sizeof(*v->items))))
			return SILVER_ENOMEM;
		for (k = 0; k < v->n; k++)
			if ((rv = get_str(&o->via.array.ptr[k], &v->items[k])) != 0)
				return rv;
		return 0;
	default:
		return SILVER_EMALFORMED;
	}
}

static int get_write(const msgpack_object *o, silver_arena *a, silver_write *w)
{
	const msgpack_object *f, *bases;
	uint32_t j;
	int rv;

	if ((rv = get_array(o, 3, 3, SILVER_EMALFORMED)) != 0)
		return rv;
	f = o->via.array.ptr;
	if ((rv = get_str(&f[0], &w->field)) != 0 || (rv = get_value(&f[1], a, &w->value)) != 0)
		return rv;
	bases = &f[2];
	if ((rv = get_array(bases, 0, SILVER_MAX_BASES, SILVER_ELIMIT)) != 0)
		return rv;
	w->nbases = bases->via.array.size;
	if (w->nbases && !(w->bases = silver_arena_alloc(a, w->nbases * sizeof(*w->bases))))
		return SILVER_ENOMEM;
	for (j = 0; j < w->nbases; j++) {
		const msgpack_object *b = &bases->via.array.ptr[j];

		if ((rv = get_array(b, 2, 2, SILVER_EMALFORMED)) != 0 ||
		    (rv = get_bin(&b->via.array.ptr[0], w->bases[j].feed, SILVER_FEEDTAG_BYTES)) != 0 ||
		    (rv = get_uint(&b->via.array.ptr[1], &w->bases[j].seq)) != 0)
			return rv;
	}
	return 0;
}

static int get_change(const msgpack_object *o, silver_arena *a, silver_op *op)
{
	const msgpack_object *f, *writes;
	uint32_t k;
	int rv;

	if (o->via.array.size != 4 && o->via.array.size != 5)
		return SILVER_EMALFORMED;
	f = o->via.array.ptr;
	if ((rv = get_str(&f[1], &op->collection)) != 0 || (rv = get_str(&f[2], &op->record)) != 0)
		return rv;
	if (o->via.array.size == 5) {
		/* present means named: nil or "" would be a second encoding of absent */
		if ((rv = get_str(&f[4], &op->operator_name)) != 0)
			return rv;
		if (op->operator_name.n == 0)
			return SILVER_EMALFORMED;
	}
	writes = &f[3];
	if ((rv = get_array(writes, 1, SILVER_MAX_WRITES, SILVER_ELIMIT)) != 0)
		return rv;
	op->nwrites = writes->via.array.size;
	if (!(op->writes = silver_arena_alloc(a, op->nwrites * sizeof(*op->writes))))
		return SILVER_ENOMEM;
	for (k = 0; k < op->nwrites; k++)
		if ((rv = get_write(&writes->via.array.ptr[k], a, &op->writes[k])) != 0)
			return rv;
	return 0;
}

/* Where the op stands: the body's header, then seven elements to skip. */
static int op_slice(const silver_slice *body, silver_slice *raw)
{
	size_t off = array_header_len(body->p[0]), used;
	int k, rv;

	for (k = 0; k < 7; k++) {
		rv = silver_msgpack_check(body->p + off, body->n - off, SILVER_MAX_ITEMS, SILVER_MAX_DEPTH,
					  &used);
		if (rv != 0)
			return rv;
		off += used;
	}
	if (off >= body->n)
		return SILVER_EMALFORMED;
	raw->p = body->p + off;
	raw->n = body->n - (uint32_t)off;
	return 0;
}

static int get_entry(const msgpack_object *root, const uint8_t *p, size_t n, silver_arena *a, silver_entry *e)
{
	const msgpack_object *f, *seal, *op;
	size_t hdr, used;
	uint64_t v;
	int rv;

	if ((rv = get_array(root, 2, 2, SILVER_EMALFORMED)) != 0)
		return rv;
	if ((rv = get_array(&root->via.array.ptr[0], 8, 8, SILVER_EMALFORMED)) != 0)
		return rv;
	/* the body's bytes: after the entry's array header, one object long */
	hdr = array_header_len(p[0]);
	rv = silver_msgpack_check(p + hdr, n - hdr, SILVER_MAX_ITEMS, SILVER_MAX_DEPTH, &used);
	if (rv != 0)
		return rv;
	e->body.p = p + hdr;
	e->body.n = (uint32_t)used;

	f = root->via.array.ptr[0].via.array.ptr;
	if ((rv = get_uint(&f[0], &v)) != 0)
		return rv;
	if (v > SILVER_FORMAT_VERSION)
		return SILVER_EVERSION;
	e->version = (uint32_t)v;
	if ((rv = get_uint(&f[1], &v)) != 0)
		return rv;
	if (v != SILVER_SUITE_ED25519_BLAKE2B)
		return SILVER_EVERSION;
	e->suite = (uint32_t)v;
	if ((rv = get_bin(&f[2], e->author, SILVER_KEY_BYTES)) != 0 ||
	    (rv = get_str(&f[3], &e->township)) != 0 || (rv = get_uint(&f[4], &e->seq)) != 0)
		return rv;
	if (e->seq == 1) {
		if (f[5].type != MSGPACK_OBJECT_NIL)
			return SILVER_EMALFORMED;
	} else if ((rv = get_bin(&f[5], e->prev, SILVER_HASH_BYTES)) != 0) {
		return rv;
	}
	if ((rv = get_uint(&f[6], &e->hlc)) != 0)
		return rv;

	op = &f[7];
	if ((rv = get_array(op, 1, SILVER_MAX_ITEMS, SILVER_ELIMIT)) != 0 ||
	    (rv = get_uint(&op->via.array.ptr[0], &v)) != 0)
		return rv;
	switch (v) {
	case SILVER_OP_CHANGE:
		e->op.type = SILVER_OP_CHANGE;
		if ((rv = get_change(op, a, &e->op)) != 0)
			return rv;
		break;
	case SILVER_OP_CERT:
	case SILVER_OP_REVOKE:
		e->op.type = (enum silver_optype)v;
		if ((rv = op_slice(&e->body, &e->op.raw)) != 0)
			return rv;
		break;
	default:
		return SILVER_EMALFORMED;
	}

	seal = &root->via.array.ptr[1];
	if (seal->type == MSGPACK_OBJECT_NIL)
		return 0;
	if ((rv = get_bin(seal, e->sig, SILVER_SIG_BYTES)) != 0)
		return rv;
	e->sealed = 1;
	return 0;
}

/* Re-encode and compare: the canonical check, and it applies every rule. */
static int reencode(silver_entry *e, const uint8_t *p, size_t n)
{
	silver_buf body, whole;
	int rv;

	silver_buf_init(&body);
	silver_buf_init(&whole);
	if ((rv = silver_entry_encode_body(e, &body)) == 0 &&
	    (rv = silver_entry_wrap(body.data, body.len, e->sealed ? e->sig : NULL, &whole)) == 0) {
		if (whole.len != n || memcmp(whole.data, p, n) != 0)
			rv = SILVER_ENONCANON;
	}
	silver_buf_release(&body);
	silver_buf_release(&whole);
	return rv;
}

/* Does every object in p[0..n) use the shortest header msgpack-c's packer
 * writes for its value (FORMAT.md 1.3)?  The bytes have passed
 * silver_msgpack_check, so every length fits and there are no floats, ext
 * types or 0xc1.  A preorder walk is enough: each header is followed by its
 * payload (str/bin bytes, integer bytes) or by its elements. */
static int shortest_forms(const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		uint8_t b = p[off];
		uint64_t v;

		if (b <= 0x7f || b >= 0xe0 || (b >= 0x80 && b <= 0x9f) || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3) {
			off += 1; /* fixint, fixmap, fixarray, nil, bool */
			continue;
		}
		if (b >= 0xa0 && b <= 0xbf) {
			off += 1 + (b & 0x1f);
			continue;
		}
		switch (b) {
		case 0xc4: /* bin 8: the shortest for any length below 256 */
			off += 2 + p[off + 1];
			break;
		case 0xc5:
			if ((v = be16(p + off + 1)) < 0x100)
				return 0;
			off += 3 + v;
			break;
		case 0xc6:
			if ((v = be32(p + off + 1)) < 0x10000)
				return 0;
			off += 5 + v;
			break;
		case 0xd9:
			if ((v = p[off + 1]) < 32)
				return 0;
			off += 2 + v;
			break;
		case 0xda:
			if ((v = be16(p + off + 1)) < 0x100)
				return 0;
			off += 3 + v;
			break;
		case 0xdb:
			if ((v = be32(p + off + 1)) < 0x10000)
				return 0;
			off += 5 + v;
			break;
		case 0xdc:
		case 0xde:
			if (be16(p + off + 1) < 16)
				return 0;
			off += 3;
			break;
		case 0xdd:
		case 0xdf:
			if (be32(p + off + 1) < 0x10000)
				return 0;
			off += 5;
			break;
		case 0xcc:
			if (p[off + 1] < 0x80)
				return 0;
			off += 2;
			break;
		case 0xcd:
			if (be16(p + off + 1) < 0x100)
				return 0;
			off += 3;
			break;
		case 0xce:
			if (be32(p + off + 1) < 0x10000)
				return 0;
			off += 5;
			break;
		case 0xcf:
			if ((be32(p + off + 1) << 32 | be32(p + off + 5)) <= 0xffffffffu)
				return 0;
			off += 9;
			break;
		/* signed forms: only for negative values below the next shorter form */
		case 0xd0:
			if ((int8_t)p[off + 1] >= -32)
				return 0;
			off += 2;
			break;
		case 0xd1:
			if ((int16_t)be16(p + off + 1) >= -128)
				return 0;
			off += 3;
			break;
		case 0xd2:
			if ((int32_t)be32(p + off + 1) >= -32768)
				return 0;
			off += 5;
			break;
		case 0xd3:
			if ((int64_t)(be32(p + off + 1) << 32 | be32(p + off + 5)) >= -2147483648LL)
				return 0;
			off += 9;
			break;
		default:
			return 0; /* not reached after silver_msgpack_check */
		}
	}
	return off == n;
}

/* The canonical check.  A structure that get_entry accepted, whose every
 * header is already the shortest form and that meets every rule
 * (check_entry), re-encodes to exactly its input: then the body is hashed
 * where it stands.  Anything else takes the full re-encoding, which gives
 * the same answer and the same error code as always. */
static int canonical(silver_entry *e, const uint8_t *p, size_t n)
{
	int rv;

	if (!shortest_forms(p, n))
		return reencode(e, p, n);
	if ((rv = check_entry(e)) != 0)
		return rv;
	if (e->body.n > MAX_BODY)
		return SILVER_ELIMIT;
	silver_hash(e->body.p, e->body.n, e->hash);
	return 0;
}

int silver_entry_decode(const uint8_t *p, size_t n, silver_arena *a, silver_entry *out)
{
	msgpack_unpacked u;
	size_t used = 0, off = 0;
	int rv;

	if (!p || !a || !out)
		return SILVER_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rv = peek_version(p, n)) != 0)
		return rv;
	if (n > SILVER_MAX_ENTRY)
		return SILVER_ELIMIT;
	if ((rv = silver_msgpack_check(p, n, SILVER_MAX_ITEMS, SILVER_MAX_DEPTH, &used)) != 0)
		return rv;
	if (used != n)
		return SILVER_EMALFORMED; /* trailing bytes */

	msgpack_unpacked_init(&u);
	switch (msgpack_unpack_next(&u, (const char *)p, n, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		rv = off == n ? get_entry(&u.data, p, n, a, out) : SILVER_EMALFORMED;
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		rv = SILVER_ENOMEM;
		break;
	default:
		rv = SILVER_EMALFORMED;
		break;
	}
	msgpack_unpacked_destroy(&u);
	if (rv == 0)
		rv = canonical(out, p, n);
	if (rv != 0)
		memset(out, 0, sizeof(*out));
	return rv;
}

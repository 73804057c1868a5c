/*
 * sync_msg.c - the messages of the sync protocol (docs/PROTOCOL.md is the
 * contract; this is the short version for whoever changes this file).
 *
 * One ZeroMQ frame carries one message: one MessagePack array, every
 * integer, string, binary and array header in its shortest form (what
 * msgpack-c's packer emits, as for entries), nothing after it:
 *
 *   msg = array(3 + k) [ "silversync", version, type, field 1 .. field k ]
 *    [0] magic    str(10) aa 73 69 6c 76 65 72 73 79 6e 63
 *    [1] version  uint    01 (SILVER_SYNC_VERSION)
 *    [2] type     uint    1..6
 *
 *   type 1 HELLO  key bin(32), township str(<=64), role uint, window uint(1..64),
 *                 feeds array(<=65536) of array(3) [tag bin(16), seq uint>=1, hash bin(32)]
 *   type 2 BATCH  batch uint, entries array(<=1024) of bin(<=65536); the
 *                 entry bytes add up to at most 4 MiB
 *   type 3 ACK    batch uint, code int (0 or a negative error code), reason str(<=256),
 *                 received uint, stored uint, applied uint
 *   type 4 DONE   batches uint, entries uint
 *   type 5 FORK   tag bin(16), seq uint>=1, sender's hash bin(32), receiver's hash bin(32)
 *   type 6 ERROR  code int (a negative error code), reason str(<=256)
 *
 * Validity: at most SILVER_SYNC_MAX_MSG bytes; silver_msgpack_check passes
 * with max_items = SILVER_SYNC_MAX_FEEDS, max_depth 2 and no trailing bytes;
 * magic and version match (a larger version, or an unknown type, is
 * SILVER_EVERSION so that a newer peer gets a clear answer); the field count
 * and every field's type and limit are as above; and re-encoding the decoded
 * message gives back every byte (SILVER_ENONCANON otherwise).  Entry bytes
 * inside a BATCH are not decoded here: the store's ingest does that.
 */
#include <string.h>

#include <msgpack.h>

#include "silver_pack.h"
#include "silver_proto.h"

#define MAGIC_LEN (sizeof(SILVER_SYNC_MAGIC) - 1)

/* ---- encoding ------------------------------------------------------------ */

static int head(silver_buf *pk, enum silver_msgtype type, uint32_t fields)
{
	if (silver_pack_array(pk, 3 + fields) || silver_pack_str(pk, MAGIC_LEN) ||
	    silver_pack_str_body(pk, SILVER_SYNC_MAGIC, MAGIC_LEN) || silver_pack_uint32(pk, SILVER_SYNC_VERSION) ||
	    silver_pack_uint32(pk, (uint32_t)type))
		return SILVER_ENOMEM;
	return 0;
}

static int pack_bin(silver_buf *pk, const uint8_t *p, size_t n)
{
	return silver_pack_bin(pk, n) || silver_pack_bin_body(pk, p, n) ? SILVER_ENOMEM : 0;
}

static int pack_str(silver_buf *pk, const char *s, size_t n)
{
	return silver_pack_str(pk, n) || silver_pack_str_body(pk, s, n) ? SILVER_ENOMEM : 0;
}

/* Reason text is cut to the limit on a UTF-8 character boundary. */
static size_t reason_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n <= SILVER_SYNC_MAX_REASON)
		return n;
	n = SILVER_SYNC_MAX_REASON;
	while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Encoders undo a partial append on failure, so out holds whole messages. */
#define ENCODE_BEGIN(out)                                                                                        \
	silver_buf *pk = (out);                                                                                  \
	size_t start_ = (out)->len;                                                                              \
	int rv = 0
#define ENCODE_END(out)                                                                                          \
	if (rv != 0)                                                                                             \
		(out)->len = start_;                                                                             \
	return rv

int silver_msg_hello_encode(const uint8_t key[SILVER_KEY_BYTES], const char *township, uint32_t role,
			    uint32_t window, const silver_feedstate *feeds, uint32_t nfeeds, silver_buf *out)
{
	size_t tn = township ? strlen(township) : 0;

	if (!key || !township || !out || (nfeeds && !feeds))
		return SILVER_EINVAL;
	if (tn > SILVER_MAX_NAME || nfeeds > SILVER_SYNC_MAX_FEEDS || window < 1 || window > SILVER_SYNC_MAX_WINDOW)
		return SILVER_ELIMIT;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_HELLO, 5)) == 0 && (rv = pack_bin(pk, key, SILVER_KEY_BYTES)) == 0 &&
	    (rv = pack_str(pk, township, tn)) == 0) {
		if (silver_pack_uint32(pk, role) || silver_pack_uint32(pk, window) ||
		    silver_pack_array(pk, nfeeds))
			rv = SILVER_ENOMEM;
		for (uint32_t i = 0; i < nfeeds && rv == 0; i++) {
			if (feeds[i].seq == 0) {
				rv = SILVER_EINVAL;
				break;
			}
			if (silver_pack_array(pk, 3) || pack_bin(pk, feeds[i].tag, SILVER_FEEDTAG_BYTES) ||
			    silver_pack_uint64(pk, feeds[i].seq) || pack_bin(pk, feeds[i].hash, SILVER_HASH_BYTES))
				rv = SILVER_ENOMEM;
		}
	}
	ENCODE_END(out);
}

int silver_msg_batch_head(uint64_t batch, uint32_t n, silver_buf *out)
{
	if (!out)
		return SILVER_EINVAL;
	if (n > SILVER_SYNC_MAX_BATCH)
		return SILVER_ELIMIT;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_BATCH, 2)) == 0 && (silver_pack_uint64(pk, batch) || silver_pack_array(pk, n)))
		rv = SILVER_ENOMEM;
	ENCODE_END(out);
}

int silver_msg_bin_append(const uint8_t *p, size_t n, silver_buf *out)
{
	if (!out || (!p && n))
		return SILVER_EINVAL;
	if (n > SILVER_MAX_ENTRY)
		return SILVER_ELIMIT;
	ENCODE_BEGIN(out);
	rv = pack_bin(pk, p, n);
	ENCODE_END(out);
}

int silver_msg_batch_encode(uint64_t batch, const silver_slice *entries, uint32_t n, silver_buf *out)
{
	size_t total = 0;

	if (!out || (n && !entries))
		return SILVER_EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (entries[i].n > SILVER_MAX_ENTRY)
			return SILVER_ELIMIT;
		total += entries[i].n;
	}
	if (n > SILVER_SYNC_MAX_BATCH || total > SILVER_SYNC_MAX_BATCH_BYTES)
		return SILVER_ELIMIT;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_BATCH, 2)) == 0 && (silver_pack_uint64(pk, batch) || silver_pack_array(pk, n)))
		rv = SILVER_ENOMEM;
	for (uint32_t i = 0; i < n && rv == 0; i++)
		rv = pack_bin(pk, entries[i].p, entries[i].n);
	ENCODE_END(out);
}

int silver_msg_ack_encode(uint64_t batch, int32_t code, const char *reason, uint64_t received, uint64_t stored,
			  uint64_t applied, silver_buf *out)
{
	if (!out)
		return SILVER_EINVAL;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_ACK, 6)) == 0 &&
	    (silver_pack_uint64(pk, batch) || silver_pack_int32(pk, code) ||
	     pack_str(pk, reason ? reason : "", reason_len(reason)) || silver_pack_uint64(pk, received) ||
	     silver_pack_uint64(pk, stored) || silver_pack_uint64(pk, applied)))
		rv = SILVER_ENOMEM;
	ENCODE_END(out);
}

int silver_msg_done_encode(uint64_t batches, uint64_t sent, silver_buf *out)
{
	if (!out)
		return SILVER_EINVAL;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_DONE, 2)) == 0 &&
	    (silver_pack_uint64(pk, batches) || silver_pack_uint64(pk, sent)))
		rv = SILVER_ENOMEM;
	ENCODE_END(out);
}

int silver_msg_fork_encode(const silver_feedstate *ours, const uint8_t theirs[SILVER_HASH_BYTES], silver_buf *out)
{
	if (!ours || !theirs || !out || ours->seq == 0)
		return SILVER_EINVAL;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_FORK, 4)) == 0 &&
	    (pack_bin(pk, ours->tag, SILVER_FEEDTAG_BYTES) || silver_pack_uint64(pk, ours->seq) ||
	     pack_bin(pk, ours->hash, SILVER_HASH_BYTES) || pack_bin(pk, theirs, SILVER_HASH_BYTES)))
		rv = SILVER_ENOMEM;
	ENCODE_END(out);
}

int silver_msg_error_encode(int32_t code, const char *reason, silver_buf *out)
{
	if (!out)
		return SILVER_EINVAL;
	ENCODE_BEGIN(out);
	if ((rv = head(pk, SILVER_MSG_ERROR, 2)) == 0 &&
	    (silver_pack_int32(pk, code) || pack_str(pk, reason ? reason : "", reason_len(reason))))
		rv = SILVER_ENOMEM;
	ENCODE_END(out);
}

/* ---- decoding ------------------------------------------------------------ */

static int get_uint(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return SILVER_EMALFORMED;
	*v = o->via.u64;
	return 0;
}

static int get_u32(const msgpack_object *o, uint32_t *v)
{
	uint64_t u;
	if (get_uint(o, &u) != 0 || u > UINT32_MAX)
		return SILVER_EMALFORMED;
	*v = (uint32_t)u;
	return 0;
}

/* An error code: negative, or 0 where zero_ok (an ACK of a stored batch). */
static int get_code(const msgpack_object *o, int zero_ok, int32_t *v)
{
	if (zero_ok && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == 0)
		*v = 0;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 >= INT32_MIN)
		*v = (int32_t)o->via.i64;
	else
		return SILVER_EMALFORMED;
	return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *out, uint32_t n)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
		return SILVER_EMALFORMED;
	memcpy(out, o->via.bin.ptr, n);
	return 0;
}

static int get_str(const msgpack_object *o, uint32_t max, silver_slice *s)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return SILVER_EMALFORMED;
	if (o->via.str.size > max)
		return SILVER_ELIMIT;
	s->p = (const uint8_t *)o->via.str.ptr;
	s->n = o->via.str.size;
	return 0;
}

static const uint32_t nfields[] = {0, 5, 2, 6, 2, 4, 2}; /* by type */

static int get_hello(const msgpack_object *f, silver_arena *a, silver_msg *m)
{
	const msgpack_object_array *fa;
	int rv;

	if ((rv = get_bin(&f[0], m->key, SILVER_KEY_BYTES)) != 0 || (rv = get_str(&f[1], SILVER_MAX_NAME, &m->township)) != 0 ||
	    (rv = get_u32(&f[2], &m->role)) != 0 || (rv = get_u32(&f[3], &m->window)) != 0)
		return rv;
	if (m->window < 1 || m->window > SILVER_SYNC_MAX_WINDOW)
		return SILVER_EMALFORMED;
	if (f[4].type != MSGPACK_OBJECT_ARRAY)
		return SILVER_EMALFORMED;
	fa = &f[4].via.array;
	if (fa->size > SILVER_SYNC_MAX_FEEDS)
		return SILVER_ELIMIT;
	m->nfeeds = fa->size;
	if (fa->size && !(m->feeds = silver_arena_alloc(a, fa->size * sizeof(*m->feeds))))
		return SILVER_ENOMEM;
	for (uint32_t i = 0; i < fa->size; i++) {
		const msgpack_object *e = &fa->ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3)
			return SILVER_EMALFORMED;
		if ((rv = get_bin(&e->via.array.ptr[0], m->feeds[i].tag, SILVER_FEEDTAG_BYTES)) != 0 ||
		    (rv = get_uint(&e->via.array.ptr[1], &m->feeds[i].seq)) != 0 ||
		    (rv = get_bin(&e->via.array.ptr[2], m->feeds[i].hash, SILVER_HASH_BYTES)) != 0)
			return rv;
		if (m->feeds[i].seq == 0)
			return SILVER_EMALFORMED;
	}
	return 0;
}

static int get_batch(const msgpack_object *f, silver_arena *a, silver_msg *m)
{
	const msgpack_object_array *ea;
	size_t total = 0;
	int rv;

	if ((rv = get_uint(&f[0], &m->batch)) != 0)
		return rv;
	if (f[1].type != MSGPACK_OBJECT_ARRAY)
		return SILVER_EMALFORMED;
	ea = &f[1].via.array;
	if (ea->size > SILVER_SYNC_MAX_BATCH)
		return SILVER_ELIMIT;
	m->nentries = ea->size;
	if (ea->size && !(m->entries = silver_arena_alloc(a, ea->size * sizeof(*m->entries))))
		return SILVER_ENOMEM;
	for (uint32_t i = 0; i < ea->size; i++) {
		const msgpack_object *e = &ea->ptr[i];
		if (e->type != MSGPACK_OBJECT_BIN)
			return SILVER_EMALFORMED;
		if (e->via.bin.size > SILVER_MAX_ENTRY)
			return SILVER_ELIMIT;
		total += e->via.bin.size;
		m->entries[i].p = (const uint8_t *)e->via.bin.ptr;
		m->entries[i].n = e->via.bin.size;
	}
	return total > SILVER_SYNC_MAX_BATCH_BYTES ? SILVER_ELIMIT : 0;
}

static int get_fields(const msgpack_object *f, silver_arena *a, silver_msg *m)
{
	int rv;

	switch (m->type) {
	case SILVER_MSG_HELLO:
		return get_hello(f, a, m);
	case SILVER_MSG_BATCH:
		return get_batch(f, a, m);
	case SILVER_MSG_ACK:
		if ((rv = get_uint(&f[0], &m->batch)) != 0 || (rv = get_code(&f[1], 1, &m->code)) != 0 ||
		    (rv = get_str(&f[2], SILVER_SYNC_MAX_REASON, &m->reason)) != 0 ||
		    (rv = get_uint(&f[3], &m->received)) != 0 || (rv = get_uint(&f[4], &m->stored)) != 0)
			return rv;
		return get_uint(&f[5], &m->applied);
	case SILVER_MSG_DONE:
		if ((rv = get_uint(&f[0], &m->batches)) != 0)
			return rv;
		return get_uint(&f[1], &m->sent);
	case SILVER_MSG_FORK:
		if ((rv = get_bin(&f[0], m->fork.tag, SILVER_FEEDTAG_BYTES)) != 0 ||
		    (rv = get_uint(&f[1], &m->fork.seq)) != 0 ||
		    (rv = get_bin(&f[2], m->fork.hash, SILVER_HASH_BYTES)) != 0)
			return rv;
		if (m->fork.seq == 0)
			return SILVER_EMALFORMED;
		return get_bin(&f[3], m->fork_theirs, SILVER_HASH_BYTES);
	case SILVER_MSG_ERROR:
		if ((rv = get_code(&f[0], 0, &m->code)) != 0)
			return rv;
		return get_str(&f[1], SILVER_SYNC_MAX_REASON, &m->reason);
	}
	return SILVER_EVERSION;
}

static int get_msg(const msgpack_object *root, silver_arena *a, silver_msg *m)
{
	const msgpack_object *f;
	uint64_t version, type;

	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 3)
		return SILVER_EMALFORMED;
	f = root->via.array.ptr;
	if (f[0].type != MSGPACK_OBJECT_STR || f[0].via.str.size != MAGIC_LEN ||
	    memcmp(f[0].via.str.ptr, SILVER_SYNC_MAGIC, MAGIC_LEN) != 0)
		return SILVER_EMALFORMED;
	if (get_uint(&f[1], &version) != 0 || get_uint(&f[2], &type) != 0)
		return SILVER_EMALFORMED;
	if (version > SILVER_SYNC_VERSION || type < SILVER_MSG_HELLO || type > SILVER_MSG_ERROR)
		return SILVER_EVERSION;
	if (version != SILVER_SYNC_VERSION)
		return SILVER_EMALFORMED;
	m->type = (enum silver_msgtype)type;
	if (root->via.array.size != 3 + nfields[type])
		return SILVER_EMALFORMED;
	return get_fields(f + 3, a, m);
}

static int reencode(const silver_msg *m, silver_buf *out)
{
	char t[SILVER_MAX_NAME + 1];
	char r[SILVER_SYNC_MAX_REASON + 1];

	switch (m->type) {
	case SILVER_MSG_HELLO:
		if (memchr(m->township.p, 0, m->township.n))
			return SILVER_EMALFORMED;
		memcpy(t, m->township.p, m->township.n);
		t[m->township.n] = 0;
		return silver_msg_hello_encode(m->key, t, m->role, m->window, m->feeds, m->nfeeds, out);
	case SILVER_MSG_BATCH:
		return silver_msg_batch_encode(m->batch, m->entries, m->nentries, out);
	case SILVER_MSG_ACK:
	case SILVER_MSG_ERROR:
		if (memchr(m->reason.p, 0, m->reason.n))
			return SILVER_EMALFORMED;
		memcpy(r, m->reason.p, m->reason.n);
		r[m->reason.n] = 0;
		if (m->type == SILVER_MSG_ERROR)
			return silver_msg_error_encode(m->code, r, out);
		return silver_msg_ack_encode(m->batch, m->code, r, m->received, m->stored, m->applied, out);
	case SILVER_MSG_DONE:
		return silver_msg_done_encode(m->batches, m->sent, out);
	case SILVER_MSG_FORK:
		return silver_msg_fork_encode(&m->fork, m->fork_theirs, out);
	}
	return SILVER_EINVAL;
}

int silver_msg_decode(const uint8_t *p, size_t n, silver_arena *a, silver_msg *out)
{
	msgpack_unpacked u;
	silver_buf again;
	size_t used = 0, off = 0;
	int rv;

	if ((!p && n) || !a || !out)
		return SILVER_EINVAL;
	memset(out, 0, sizeof(*out));
	if (n > SILVER_SYNC_MAX_MSG)
		return SILVER_ELIMIT;
	if ((rv = silver_msgpack_check(p, n, SILVER_SYNC_MAX_FEEDS, 2, &used)) != 0)
		return rv;
	if (used != n)
		return SILVER_EMALFORMED; /* trailing bytes */
	msgpack_unpacked_init(&u);
	switch (msgpack_unpack_next(&u, (const char *)p, n, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		rv = off == n ? get_msg(&u.data, a, out) : SILVER_EMALFORMED;
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		rv = SILVER_ENOMEM;
		break;
	default:
		rv = SILVER_EMALFORMED;
		break;
	}
	msgpack_unpacked_destroy(&u);
	if (rv == 0) {
		silver_buf_init(&again);
		if ((rv = silver_buf_reserve(&again, n)) == 0 && (rv = reencode(out, &again)) == 0 &&
		    (again.len != n || memcmp(again.data, p, n) != 0))
			rv = SILVER_ENONCANON;
		if (rv == SILVER_ELIMIT || rv == SILVER_EINVAL)
			rv = SILVER_EMALFORMED; /* e.g. a zero seq: not a message we write */
		silver_buf_release(&again);
	}
	if (rv != 0)
		memset(out, 0, sizeof(*out));
	return rv;
}

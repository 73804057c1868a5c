/*
 * record.c - a record's state and the merge rule (docs/MERGE.md).
 *
 * A record's state is, per field, the set of its heads: the writes of that
 * field that no known entry names as a base.  One head, or several with
 * equal values: settled.  Several distinct values: a conflict, shown with a
 * provisional winner (greatest hlc, then feed tag, then seq).
 *
 * To make state a function of the set of entries held and not of their
 * arrival order, a base that names an entry we do not hold yet is kept as an
 * "orphan" (field, ref): when that entry arrives its write to the field is
 * born superseded.  Every orphan naming an entry is dropped when the entry
 * arrives, and a base naming an entry we hold that touched this record but
 * is no head is simply already superseded; a base naming an entry we hold
 * that never touched this record stays an orphan, as it would had the entries
 * come the other way round.
 *
 * State value in "records" (canonical msgpack; everything sorted):
 *   array(4) [ collection str,
 *              array of array(3) [ bin(16) feed tag, uint seq, hlc uint ],  -- the heads' refs
 *              array of array(1 + 2k) [ field str, (ref index uint, value) x k ],
 *              array of array(2) [ field str, ref ] ]          -- orphans
 *   ref = array(2) [ bin(16) feed tag, uint seq ]
 * Each entry that is a head of some field is listed once, with its hlc, in
 * ref order; a field's heads name it by its index in that list (so heads
 * in ref order have ascending indexes).  An import's record thus carries
 * its one reference once, not once per field.
 *
 * The state digest is the sum, as 256-bit little-endian integers modulo
 * 2^256, of BLAKE2b-256(key || value) over every record, kept up to date in
 * the same transaction as each change; and the same sum over the records of
 * each township, so that nodes holding different townships can compare the
 * ones they share.
 */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "silver_pack.h"
#include "store_int.h"

typedef struct orphan {
	silver_slice field;
	silver_ref ref;
} orphan;

typedef struct recstate {
	silver_record r;
	orphan *orphans;
	uint32_t norphans;
} recstate;

/* ---- encoding -------------------------------------------------------------- */

static void pack_ref(silver_buf *pk, const silver_ref *r)
{
	silver_pack_array(pk, 2);
	silver_pack_bin(pk, SILVER_FEEDTAG_BYTES);
	silver_pack_bin_body(pk, r->feed, SILVER_FEEDTAG_BYTES);
	silver_pack_uint64(pk, r->seq);
}

static void pack_value(silver_buf *pk, const silver_value *v)
{
	switch (v->type) {
	case SILVER_V_STR:
		silver_pack_str(pk, v->s.n);
		silver_pack_str_body(pk, v->s.p, v->s.n);
		break;
	case SILVER_V_INT:
		silver_pack_int64(pk, v->i);
		break;
	case SILVER_V_BOOL:
		if (v->i)
			silver_pack_true(pk);
		else
			silver_pack_false(pk);
		break;
	case SILVER_V_LIST:
		silver_pack_array(pk, v->n);
		for (uint32_t i = 0; i < v->n; i++) {
			silver_pack_str(pk, v->items[i].n);
			silver_pack_str_body(pk, v->items[i].p, v->items[i].n);
		}
		break;
	default:
		silver_pack_nil(pk);
	}
}

/* The distinct refs of every head of the record, sorted, each with its
 * hlc; *n of them.  Usually one or a few: insertion into a sorted array. */
static silver_head *head_refs(const silver_record *r, silver_arena *a, uint32_t *n)
{
	uint32_t total = 0, k = 0;
	silver_head *u;

	for (uint32_t i = 0; i < r->nfields; i++)
		total += r->fields[i].nheads;
	if (!(u = silver_arena_alloc(a, sizeof(*u) * (total + 1))))
		return NULL;
	for (uint32_t i = 0; i < r->nfields; i++) {
		const silver_fieldstate *f = &r->fields[i];
		for (uint32_t j = 0; j < f->nheads; j++) {
			const silver_head *h = &f->heads[j];
			uint32_t lo = 0, hi = k;
			int c = 1;
			/* the last one first: most records have only one ref */
			if (k && (c = silver_ref_cmp(&u[k - 1].ref, &h->ref)) < 0) {
				lo = k;
			} else if (c != 0) {
				while (lo < hi) {
					uint32_t mid = lo + (hi - lo) / 2;
					if ((c = silver_ref_cmp(&u[mid].ref, &h->ref)) < 0)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (lo < k && silver_ref_cmp(&u[lo].ref, &h->ref) == 0)
					continue;
				memmove(&u[lo + 1], &u[lo], sizeof(*u) * (k - lo));
			} else {
				continue;
			}
			u[lo].ref = h->ref;
			u[lo].hlc = h->hlc;
			k++;
		}
	}
	*n = k;
	return u;
}

static uint32_t ref_index(const silver_head *u, uint32_t n, const silver_ref *ref)
{
	uint32_t lo = 0, hi = n;
	if (n == 1)
		return 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (silver_ref_cmp(&u[mid].ref, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int rec_encode(const recstate *rs, silver_arena *a, silver_buf *out)
{
	silver_buf *pk;
	const silver_record *r = &rs->r;
	silver_head *u;
	uint32_t nu;

	if (!(u = head_refs(r, a, &nu)))
		return SILVER_ENOMEM;
	silver_buf_reset(out);
	pk = out;
	silver_pack_array(pk, 4);
	silver_pack_str(pk, r->collection.n);
	silver_pack_str_body(pk, r->collection.p, r->collection.n);
	silver_pack_array(pk, nu);
	for (uint32_t i = 0; i < nu; i++) {
		silver_pack_array(pk, 3);
		silver_pack_bin(pk, SILVER_FEEDTAG_BYTES);
		silver_pack_bin_body(pk, u[i].ref.feed, SILVER_FEEDTAG_BYTES);
		silver_pack_uint64(pk, u[i].ref.seq);
		silver_pack_uint64(pk, u[i].hlc);
	}
	silver_pack_array(pk, r->nfields);
	for (uint32_t i = 0; i < r->nfields; i++) {
		const silver_fieldstate *f = &r->fields[i];
		silver_pack_array(pk, 1 + 2 * f->nheads);
		silver_pack_str(pk, f->field.n);
		silver_pack_str_body(pk, f->field.p, f->field.n);
		for (uint32_t j = 0; j < f->nheads; j++) {
			silver_pack_uint32(pk, ref_index(u, nu, &f->heads[j].ref));
			pack_value(pk, &f->heads[j].value);
		}
	}
	silver_pack_array(pk, rs->norphans);
	for (uint32_t i = 0; i < rs->norphans; i++) {
		silver_pack_array(pk, 2);
		silver_pack_str(pk, rs->orphans[i].field.n);
		silver_pack_str_body(pk, rs->orphans[i].field.p, rs->orphans[i].field.n);
		pack_ref(pk, &rs->orphans[i].ref);
	}
	return silver_buf_failed(out) ? SILVER_ENOMEM : 0;
}

/* ---- decoding (our own bytes, but checked all the same) ------------------- */

static int obj_str(const msgpack_object *o, silver_slice *s)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return SILVER_ECORRUPT;
	s->p = (const uint8_t *)o->via.str.ptr;
	s->n = o->via.str.size;
	return 0;
}

static int obj_ref(const msgpack_object *o, silver_ref *r)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 ||
	    o->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
	    o->via.array.ptr[0].via.bin.size != SILVER_FEEDTAG_BYTES ||
	    o->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return SILVER_ECORRUPT;
	memcpy(r->feed, o->via.array.ptr[0].via.bin.ptr, SILVER_FEEDTAG_BYTES);
	r->seq = o->via.array.ptr[1].via.u64;
	return 0;
}

static int obj_value(const msgpack_object *o, silver_arena *a, silver_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v->type = SILVER_V_NIL;
		return 0;
	case MSGPACK_OBJECT_STR:
		v->type = SILVER_V_STR;
		return obj_str(o, &v->s);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		v->type = SILVER_V_INT;
		v->i = (int64_t)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->type = SILVER_V_INT;
		v->i = o->via.i64;
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		v->type = SILVER_V_BOOL;
		v->i = o->via.boolean;
		return 0;
	case MSGPACK_OBJECT_ARRAY:
		v->type = SILVER_V_LIST;
		v->n = o->via.array.size;
		v->items = silver_arena_alloc(a, sizeof(silver_slice) * (v->n ? v->n : 1));
		if (!v->items)
			return SILVER_ENOMEM;
		for (uint32_t i = 0; i < v->n; i++)
			if (obj_str(&o->via.array.ptr[i], &v->items[i]) != 0)
				return SILVER_ECORRUPT;
		return 0;
	default:
		return SILVER_ECORRUPT;
	}
}

/* Copy a slice into the arena: decoded strings point into a msgpack zone or
 * LMDB's map, and both can go away before the record does. */
static int slice_own(silver_arena *a, silver_slice *s)
{
	uint8_t *p;
	if (s->n == 0)
		return 0;
	p = silver_arena_alloc(a, s->n + 1);
	if (!p)
		return SILVER_ENOMEM;
	memcpy(p, s->p, s->n);
	s->p = p;
	return 0;
}

static int value_own(silver_arena *a, silver_value *v)
{
	int rv = 0;
	if (v->type == SILVER_V_STR)
		return slice_own(a, &v->s);
	if (v->type == SILVER_V_LIST)
		for (uint32_t i = 0; i < v->n && rv == 0; i++)
			rv = slice_own(a, &v->items[i]);
	return rv;
}

static int rec_decode(const uint8_t *p, size_t n, silver_arena *a, recstate *rs)
{
	msgpack_zone zone;
	msgpack_object o;
	size_t off = 0;
	int rv = SILVER_ECORRUPT;

	memset(rs, 0, sizeof(*rs));
	if (!msgpack_zone_init(&zone, 2048))
		return SILVER_ENOMEM;
	if (msgpack_unpack((const char *)p, n, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS || off != n)
		goto out;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != 4)
		goto out;
	{
		const msgpack_object *top = o.via.array.ptr;
		const msgpack_object *us = &top[1], *fs = &top[2], *os = &top[3];
		silver_record *r = &rs->r;
		silver_head *u;
		uint32_t nu;
		if (obj_str(&top[0], &r->collection) != 0 || us->type != MSGPACK_OBJECT_ARRAY ||
		    fs->type != MSGPACK_OBJECT_ARRAY || os->type != MSGPACK_OBJECT_ARRAY)
			goto out;
		if (slice_own(a, &r->collection) != 0)
			goto nomem;
		nu = us->via.array.size;
		if (!(u = silver_arena_alloc(a, sizeof(*u) * (nu + 1))))
			goto nomem;
		for (uint32_t i = 0; i < nu; i++) {
			const msgpack_object *x = &us->via.array.ptr[i];
			if (x->type != MSGPACK_OBJECT_ARRAY || x->via.array.size != 3 ||
			    x->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
			    x->via.array.ptr[0].via.bin.size != SILVER_FEEDTAG_BYTES ||
			    x->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    x->via.array.ptr[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				goto out;
			memcpy(u[i].ref.feed, x->via.array.ptr[0].via.bin.ptr, SILVER_FEEDTAG_BYTES);
			u[i].ref.seq = x->via.array.ptr[1].via.u64;
			u[i].hlc = x->via.array.ptr[2].via.u64;
		}
		r->nfields = fs->via.array.size;
		r->fields = silver_arena_alloc(a, sizeof(*r->fields) * (r->nfields + 1));
		if (!r->fields)
			goto nomem;
		for (uint32_t i = 0; i < r->nfields; i++) {
			const msgpack_object *fo = &fs->via.array.ptr[i];
			silver_fieldstate *f = &r->fields[i];
			if (fo->type != MSGPACK_OBJECT_ARRAY || fo->via.array.size % 2 != 1 ||
			    obj_str(&fo->via.array.ptr[0], &f->field) != 0)
				goto out;
			if (slice_own(a, &f->field) != 0)
				goto nomem;
			f->nheads = fo->via.array.size / 2;
			f->heads = silver_arena_alloc(a, sizeof(*f->heads) * (f->nheads + 1));
			if (!f->heads)
				goto nomem;
			for (uint32_t j = 0; j < f->nheads; j++) {
				const msgpack_object *ix = &fo->via.array.ptr[1 + 2 * j];
				if (ix->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ix->via.u64 >= nu)
					goto out;
				f->heads[j].ref = u[ix->via.u64].ref;
				f->heads[j].hlc = u[ix->via.u64].hlc;
				if ((rv = obj_value(&fo->via.array.ptr[2 + 2 * j], a, &f->heads[j].value)) != 0)
					goto out;
				if (value_own(a, &f->heads[j].value) != 0)
					goto nomem;
				rv = SILVER_ECORRUPT;
			}
		}
		rs->norphans = os->via.array.size;
		rs->orphans = silver_arena_alloc(a, sizeof(*rs->orphans) * (rs->norphans + 1));
		if (!rs->orphans)
			goto nomem;
		for (uint32_t i = 0; i < rs->norphans; i++) {
			const msgpack_object *x = &os->via.array.ptr[i];
			if (x->type != MSGPACK_OBJECT_ARRAY || x->via.array.size != 2 ||
			    obj_str(&x->via.array.ptr[0], &rs->orphans[i].field) != 0 ||
			    obj_ref(&x->via.array.ptr[1], &rs->orphans[i].ref) != 0)
				goto out;
			if (slice_own(a, &rs->orphans[i].field) != 0)
				goto nomem;
		}
	}
	rv = 0;
	goto out;
nomem:
	rv = SILVER_ENOMEM;
out:
	msgpack_zone_destroy(&zone);
	return rv;
}

/* ---- winners ------------------------------------------------------------------ */

static int head_later(const silver_head *a, const silver_head *b)
{
	int c;
	if (a->hlc != b->hlc)
		return a->hlc > b->hlc;
	c = memcmp(a->ref.feed, b->ref.feed, SILVER_FEEDTAG_BYTES);
	if (c != 0)
		return c > 0;
	return a->ref.seq > b->ref.seq;
}

static int slice_is(const silver_slice *s, const char *z)
{
	size_t n = strlen(z);
	return s->n == n && memcmp(s->p, z, n) == 0;
}

void silver__record_pick(silver_record *r)
{
	r->deleted = 0;
	for (uint32_t i = 0; i < r->nfields; i++) {
		silver_fieldstate *f = &r->fields[i];
		f->winner = 0;
		f->conflict = 0;
		for (uint32_t j = 1; j < f->nheads; j++)
			if (head_later(&f->heads[j], &f->heads[f->winner]))
				f->winner = j;
		for (uint32_t j = 0; j < f->nheads; j++)
			if (!silver_value_equal(&f->heads[j].value, &f->heads[f->winner].value))
				f->conflict = 1;
		if (f->nheads && slice_is(&f->field, "_del") && f->heads[f->winner].value.type == SILVER_V_BOOL &&
		    f->heads[f->winner].value.i)
			r->deleted = 1;
	}
}

int silver__record_decode(const uint8_t *p, size_t n, silver_arena *a, silver_record *r)
{
	recstate rs;
	int rv = rec_decode(p, n, a, &rs);
	if (rv == 0) {
		*r = rs.r;
		silver__record_pick(r);
	}
	return rv;
}

int silver__record_key(const silver_slice *collection, const silver_slice *id, silver_buf *out)
{
	uint8_t zero = 0;
	silver_buf_reset(out);
	silver_buf_append(out, collection->p, collection->n);
	silver_buf_append(out, &zero, 1);
	silver_buf_append(out, id->p, id->n);
	return silver_buf_failed(out) ? SILVER_ENOMEM : 0;
}

int silver__record_load(silver_wtxn *t, const silver_slice *collection, const silver_slice *id, silver_arena *a,
			silver_record *r, int *found)
{
	silver_buf key;
	MDB_val k, v;
	int rc, rv;

	silver_buf_init(&key);
	if (silver__record_key(collection, id, &key) != 0) {
		silver_buf_release(&key);
		return SILVER_ENOMEM;
	}
	k.mv_size = key.len;
	k.mv_data = key.data;
	rc = mdb_get(t->txn, t->s->records, &k, &v);
	silver_buf_release(&key);
	*found = rc == 0;
	memset(r, 0, sizeof(*r));
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return silver__mdb_err(rc);
	rv = silver__record_decode(v.mv_data, v.mv_size, a, r);
	r->id = *id;
	return rv;
}

/* ---- the digest ------------------------------------------------------------------ */

static void digest_add(uint8_t acc[32], const uint8_t h[32], int sub)
{
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned x = sub ? (unsigned)acc[i] - h[i] - carry : (unsigned)acc[i] + h[i] + carry;
		acc[i] = (uint8_t)x;
		carry = sub ? (x >> 8) & 1u : x >> 8;
	}
}

static void digest_term(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn, uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, k, kn);
	crypto_generichash_update(&st, v, vn);
	crypto_generichash_final(&st, out, 32);
}

int silver__state_digest_load(silver_wtxn *t)
{
	MDB_val v;
	int rv;
	if (t->digest_loaded)
		return 0;
	rv = silver__meta_get(t->s, t->txn, "state", &v);
	if (rv == 0 && v.mv_size == 32)
		memcpy(t->digest, v.mv_data, 32);
	else if (rv == 0)
		return SILVER_ECORRUPT;
	else if (rv != SILVER_ENOTFOUND)
		return rv;
	t->digest_loaded = 1;
	return 0;
}

/* The running digest of one township's records ("state:" + township in
 * meta), loaded on first use in a transaction. */
static uint8_t *township_digest(silver_wtxn *t, const silver_slice *township)
{
	char key[8 + SILVER_MAX_NAME + 1];
	MDB_val v;
	struct silver_tdigest *d;
	for (uint32_t i = 0; i < t->ntdig; i++)
		if (strlen(t->tdig[i].township) == township->n && memcmp(t->tdig[i].township, township->p, township->n) == 0)
			return t->tdig[i].digest;
	if (township->n > SILVER_MAX_NAME)
		return NULL;
	if (t->ntdig == sizeof(t->tdig) / sizeof(t->tdig[0])) {
		/* A batch touching many townships: write these back, start afresh. */
		if (silver__state_digest_save(t) != 0)
			return NULL;
		t->ntdig = 0;
	}
	d = &t->tdig[t->ntdig];
	memset(d, 0, sizeof(*d));
	memcpy(d->township, township->p, township->n);
	snprintf(key, sizeof(key), "state:%s", d->township);
	if (silver__meta_get(t->s, t->txn, key, &v) == 0 && v.mv_size == 32)
		memcpy(d->digest, v.mv_data, 32);
	t->ntdig++;
	return d->digest;
}

int silver__state_digest_save(silver_wtxn *t)
{
	char key[8 + SILVER_MAX_NAME + 1];
	int rv = silver__meta_put(t->s, t->txn, "state", t->digest, 32);
	for (uint32_t i = 0; i < t->ntdig && rv == 0; i++) {
		snprintf(key, sizeof(key), "state:%s", t->tdig[i].township);
		rv = silver__meta_put(t->s, t->txn, key, t->tdig[i].digest, 32);
	}
	return rv;
}

/* ---- applying a change ---------------------------------------------------------- */

static int touched(silver_wtxn *t, const silver_slice *id, const silver_ref *ref)
{
	uint8_t key[SILVER_MAX_ID + 1 + 24];
	MDB_val k = {id->n + 1 + 24, key}, v;
	memcpy(key, id->p, id->n);
	key[id->n] = 0;
	silver__entry_key(ref->feed, ref->seq, key + id->n + 1);
	return mdb_get(t->txn, t->s->touch, &k, &v) == 0;
}

static int touch_put(silver_wtxn *t, const silver_slice *id, const silver_ref *ref, uint64_t hlc)
{
	uint8_t key[SILVER_MAX_ID + 1 + 24], val[8];
	MDB_val k = {id->n + 1 + 24, key}, v = {8, val};
	memcpy(key, id->p, id->n);
	key[id->n] = 0;
	silver__entry_key(ref->feed, ref->seq, key + id->n + 1);
	for (int i = 7; i >= 0; i--, hlc >>= 8)
		val[i] = (uint8_t)hlc;
	return silver__mdb_err(mdb_put(t->txn, t->s->touch, &k, &v, 0));
}

static int slice_cmp(const silver_slice *a, const silver_slice *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* The field's state, inserted in order when new.  The array has room for
 * *cap fields (apply reserves room for every write of the entry up front,
 * so a new record's fields are not copied once per field). */
static silver_fieldstate *field_get(silver_record *r, silver_arena *a, const silver_slice *name, uint32_t *cap)
{
	uint32_t i = 0;
	silver_fieldstate *nf;
	/* An entry's writes come in field order: a new field usually goes last. */
	if (r->nfields && slice_cmp(&r->fields[r->nfields - 1].field, name) < 0)
		i = r->nfields;
	while (i < r->nfields && slice_cmp(&r->fields[i].field, name) < 0)
		i++;
	if (i < r->nfields && slice_cmp(&r->fields[i].field, name) == 0)
		return &r->fields[i];
	if (r->nfields < *cap) {
		nf = r->fields;
		memmove(nf + i + 1, nf + i, sizeof(*nf) * (r->nfields - i));
	} else {
		*cap = r->nfields + 8;
		nf = silver_arena_alloc(a, sizeof(*nf) * *cap);
		if (!nf)
			return NULL;
		if (i)
			memcpy(nf, r->fields, sizeof(*nf) * i);
		if (r->nfields > i)
			memcpy(nf + i + 1, r->fields + i, sizeof(*nf) * (r->nfields - i));
	}
	memset(&nf[i], 0, sizeof(nf[i]));
	nf[i].field = *name;
	r->fields = nf;
	r->nfields++;
	return &nf[i];
}

static int head_add(silver_fieldstate *f, silver_arena *a, const silver_head *h)
{
	uint32_t i = 0;
	silver_head *nh;
	while (i < f->nheads && silver_ref_cmp(&f->heads[i].ref, &h->ref) < 0)
		i++;
	if (i < f->nheads && silver_ref_cmp(&f->heads[i].ref, &h->ref) == 0)
		return 0;
	nh = silver_arena_alloc(a, sizeof(*nh) * (f->nheads + 1));
	if (!nh)
		return SILVER_ENOMEM;
	if (i)
		memcpy(nh, f->heads, sizeof(*nh) * i);
	if (f->nheads > i)
		memcpy(nh + i + 1, f->heads + i, sizeof(*nh) * (f->nheads - i));
	nh[i] = *h;
	f->heads = nh;
	f->nheads++;
	return 0;
}

static int head_remove(silver_fieldstate *f, const silver_ref *ref)
{
	for (uint32_t i = 0; i < f->nheads; i++) {
		if (silver_ref_cmp(&f->heads[i].ref, ref) == 0) {
			memmove(&f->heads[i], &f->heads[i + 1], sizeof(f->heads[0]) * (f->nheads - i - 1));
			f->nheads--;
			return 1;
		}
	}
	return 0;
}

static int orphan_cmp(const orphan *a, const silver_slice *field, const silver_ref *ref)
{
	int c = slice_cmp(&a->field, field);
	return c ? c : silver_ref_cmp(&a->ref, ref);
}

static int orphan_find(const recstate *rs, const silver_slice *field, const silver_ref *ref)
{
	for (uint32_t i = 0; i < rs->norphans; i++)
		if (orphan_cmp(&rs->orphans[i], field, ref) == 0)
			return 1;
	return 0;
}

static int orphan_add(recstate *rs, silver_arena *a, const silver_slice *field, const silver_ref *ref)
{
	uint32_t i = 0;
	orphan *no;
	while (i < rs->norphans && orphan_cmp(&rs->orphans[i], field, ref) < 0)
		i++;
	if (i < rs->norphans && orphan_cmp(&rs->orphans[i], field, ref) == 0)
		return 0;
	no = silver_arena_alloc(a, sizeof(*no) * (rs->norphans + 1));
	if (!no)
		return SILVER_ENOMEM;
	if (i)
		memcpy(no, rs->orphans, sizeof(*no) * i);
	if (rs->norphans > i)
		memcpy(no + i + 1, rs->orphans + i, sizeof(*no) * (rs->norphans - i));
	no[i].field = *field;
	no[i].ref = *ref;
	rs->orphans = no;
	rs->norphans++;
	return 0;
}

static void orphans_drop_ref(recstate *rs, const silver_ref *ref)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < rs->norphans; i++)
		if (silver_ref_cmp(&rs->orphans[i].ref, ref) != 0)
			rs->orphans[j++] = rs->orphans[i];
	rs->norphans = j;
}

static int conflict_mark(silver_wtxn *t, const silver_slice *id, const silver_slice *field, int on)
{
	uint8_t key[SILVER_MAX_ID + 1 + SILVER_MAX_NAME + 1];
	MDB_val k = {id->n + 1 + field->n, key}, v = {0, NULL};
	int rc;
	memcpy(key, id->p, id->n);
	key[id->n] = 0;
	memcpy(key + id->n + 1, field->p, field->n);
	rc = on ? mdb_put(t->txn, t->s->conflicts, &k, &v, 0) : mdb_del(t->txn, t->s->conflicts, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : silver__mdb_err(rc);
}

int silver__apply(silver_wtxn *t, const silver_entry *e)
{
	const silver_op *op = &e->op;
	silver_arena *a = t->arena;
	silver_buf key;
	recstate rs;
	silver_ref self;
	MDB_val k, v;
	uint8_t h[32];
	uint8_t *was_conflict, *tdig;
	silver_contrib before, after;
	uint32_t cap;
	silver_slice tw, coll;
	int rc, rv;

	if (op->type != SILVER_OP_CHANGE)
		return silver__trust_apply(t, e); /* certificates and revocations */
	if ((rv = silver__state_digest_load(t)) != 0)
		return rv;
	if (silver_schema_split_id((const char *)op->record.p, op->record.n, &tw, &coll) != 0 ||
	    !(tdig = township_digest(t, &tw)))
		return SILVER_EINVAL;
	silver_buf_init(&key);
	if (silver__record_key(&op->collection, &op->record, &key) != 0) {
		silver_buf_release(&key);
		return SILVER_ENOMEM;
	}
	k.mv_size = key.len;
	k.mv_data = key.data;
	memset(&rs, 0, sizeof(rs));
	rc = mdb_get(t->txn, t->s->records, &k, &v);
	if (rc == 0) {
		digest_term(key.data, key.len, v.mv_data, v.mv_size, h);
		digest_add(t->digest, h, 1);
		digest_add(tdig, h, 1);
		rv = rec_decode(v.mv_data, v.mv_size, a, &rs);
	} else if (rc == MDB_NOTFOUND) {
		rs.r.collection = op->collection;
		rv = 0;
	} else {
		rv = silver__mdb_err(rc);
	}
	if (rv != 0)
		goto out;
	rs.r.id = op->record;
	silver__record_pick(&rs.r);
	silver__stats_contrib(&rs.r, &before);
	was_conflict = silver_arena_alloc(a, rs.r.nfields + op->nwrites + 1);
	if (!was_conflict) {
		rv = SILVER_ENOMEM;
		goto out;
	}

	silver_feedtag(e->author, e->township.p, e->township.n, self.feed);
	self.seq = e->seq;

	cap = rs.r.nfields; /* decoded arrays have no spare room */
	for (uint32_t i = 0; i < op->nwrites; i++) {
		const silver_write *w = &op->writes[i];
		silver_fieldstate *f = field_get(&rs.r, a, &w->field, &cap);
		if (!f) {
			rv = SILVER_ENOMEM;
			goto out;
		}
		if (!orphan_find(&rs, &w->field, &self)) {
			silver_head hd = {self, e->hlc, w->value};
			if ((rv = head_add(f, a, &hd)) != 0)
				goto out;
		}
	}
	orphans_drop_ref(&rs, &self);
	for (uint32_t i = 0; i < op->nwrites; i++) {
		const silver_write *w = &op->writes[i];
		silver_fieldstate *f;
		if (w->nbases == 0)
			continue; /* a new record's writes: nothing to supersede */
		f = field_get(&rs.r, a, &w->field, &cap);
		for (uint32_t j = 0; j < w->nbases; j++) {
			if (head_remove(f, &w->bases[j]))
				continue;
			if (touched(t, &op->record, &w->bases[j]))
				continue; /* held, and already superseded */
			if ((rv = orphan_add(&rs, a, &w->field, &w->bases[j])) != 0)
				goto out;
		}
	}
	/* Conflict markers: the flags still hold the state before this entry
	 * (fields new to the record start at 0); compare with the state after. */
	for (uint32_t i = 0; i < rs.r.nfields; i++)
		was_conflict[i] = (uint8_t)rs.r.fields[i].conflict;
	silver__record_pick(&rs.r);
	for (uint32_t i = 0; i < rs.r.nfields; i++) {
		silver_fieldstate *f = &rs.r.fields[i];
		if (f->conflict != was_conflict[i]) {
			if ((rv = conflict_mark(t, &op->record, &f->field, f->conflict)) != 0)
				goto out;
		}
	}
	silver__stats_contrib(&rs.r, &after);
	if ((rv = silver__stats_update(t, &tw, &before, &after)) != 0)
		goto out;
	if ((rv = touch_put(t, &op->record, &self, e->hlc)) != 0)
		goto out;
	if ((rv = rec_encode(&rs, a, &t->rbuf)) != 0)
		goto out;
	digest_term(key.data, key.len, t->rbuf.data, t->rbuf.len, h);
	digest_add(t->digest, h, 0);
	digest_add(tdig, h, 0);
	v.mv_size = t->rbuf.len;
	v.mv_data = t->rbuf.data;
	rv = silver__mdb_err(mdb_put(t->txn, t->s->records, &k, &v, 0));
out:
	silver_buf_release(&key);
	return rv;
}

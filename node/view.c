/*
 * view.c - reading the store: records, histories, the log, feeds, digests
 * and conflicts.  Every call runs in one read-only LMDB transaction, so it
 * sees one consistent state even while another process writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "store_int.h"

static int rtxn(silver_store *s, MDB_txn **txn)
{
	return silver__rtxn(s, txn);
}

const silver_fieldstate *silver_record_field(const silver_record *r, const char *key)
{
	size_t n = strlen(key);
	for (uint32_t k = 0; k < r->nfields; k++)
		if (r->fields[k].field.n == n && memcmp(r->fields[k].field.p, key, n) == 0)
			return r->fields[k].nheads ? &r->fields[k] : NULL;
	return NULL;
}

const silver_value *silver_record_value(const silver_record *r, const char *key)
{
	const silver_fieldstate *f = silver_record_field(r, key);
	return f ? &f->heads[f->winner].value : NULL;
}

int silver_store_get(silver_store *s, const char *id, silver_arena *a, silver_record *out)
{
	silver_slice tw, coll, ids = {(const uint8_t *)id, (uint32_t)strlen(id)};
	silver_buf key;
	MDB_txn *txn;
	MDB_val k, v;
	int rv, rc;
	char *idc;

	if (silver_schema_split_id(id, ids.n, &tw, &coll) != 0)
		return SILVER_EINVAL;
	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	silver_buf_init(&key);
	if (silver__record_key(&coll, &ids, &key) != 0) {
		silver__rtxn_end(s, txn);
		silver_buf_release(&key);
		return SILVER_ENOMEM;
	}
	k.mv_size = key.len;
	k.mv_data = key.data;
	rc = mdb_get(txn, s->records, &k, &v);
	if (rc == 0)
		rv = silver__record_decode(v.mv_data, v.mv_size, a, out);
	else
		rv = silver__mdb_err(rc);
	if (rv == 0) {
		idc = silver_arena_alloc(a, ids.n + 1);
		if (!idc) {
			rv = SILVER_ENOMEM;
		} else {
			memcpy(idc, id, ids.n);
			out->id.p = (const uint8_t *)idc;
			out->id.n = ids.n;
		}
	}
	silver_buf_release(&key);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_list(silver_store *s, const char *collection, silver_record_fn fn, void *ctx)
{
	return silver_store_list_from(s, collection, NULL, 0, fn, ctx);
}

/* Put the cursor on the first record of the walk: forward, the first key
 * after collection 0 from (from NULL: the collection's first); backward, the
 * last key before it (from NULL: the collection's last). */
static int list_start(MDB_cursor *cur, const char *collection, const char *from, int backward,
		      silver_buf *key, MDB_val *k, MDB_val *v)
{
	size_t pn = strlen(collection) + 1;
	uint8_t sep = from ? 0 : (uint8_t)(backward ? 1 : 0);
	int rc;

	silver_buf_reset(key);
	silver_buf_append(key, collection, pn - 1);
	silver_buf_append(key, &sep, 1); /* collection 1 sorts after every key of the collection */
	if (from)
		silver_buf_append(key, from, strlen(from));
	if (silver_buf_failed(key))
		return ENOMEM;
	k->mv_data = key->data;
	k->mv_size = key->len;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (!backward) {
		/* from itself is not part of the walk */
		if (rc == 0 && from && k->mv_size == key->len && memcmp(k->mv_data, key->data, key->len) == 0)
			rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
		return rc;
	}
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	return rc == 0 ? mdb_cursor_get(cur, k, v, MDB_PREV) : rc;
}

int silver_store_list_from(silver_store *s, const char *collection, const char *from, int backward,
			   silver_record_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	silver_arena *a;
	silver_buf key;
	size_t pn = collection ? strlen(collection) + 1 : 0;
	int rv, rc;

	if (!collection && (from || backward))
		return SILVER_EINVAL;
	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	a = silver_arena_new();
	if (!a) {
		silver__rtxn_end(s, txn);
		return SILVER_ENOMEM;
	}
	if ((rc = mdb_cursor_open(txn, s->records, &cur)) != 0) {
		silver_arena_destroy(&a);
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	silver_buf_init(&key);
	if (collection)
		rc = list_start(cur, collection, from, backward, &key, &k, &v);
	else
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, backward ? MDB_PREV : MDB_NEXT)) {
		silver_record r;
		const uint8_t *z;
		if (collection && (k.mv_size < pn || memcmp(k.mv_data, collection, pn) != 0))
			break;
		z = memchr(k.mv_data, 0, k.mv_size);
		if (!z) {
			rv = SILVER_ECORRUPT;
			break;
		}
		silver_arena_reset(a);
		if ((rv = silver__record_decode(v.mv_data, v.mv_size, a, &r)) != 0)
			break;
		r.id.p = z + 1;
		r.id.n = (uint32_t)(k.mv_size - (size_t)(z + 1 - (const uint8_t *)k.mv_data));
		if ((rv = fn(&r, ctx)) != 0)
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		rv = silver__mdb_err(rc);
	silver_buf_release(&key);
	mdb_cursor_close(cur);
	silver_arena_destroy(&a);
	silver__rtxn_end(s, txn);
	return rv;
}

static int entry_get(silver_store *s, MDB_txn *txn, const silver_ref *ref, silver_arena *a, silver_entry *out)
{
	uint8_t key[24];
	MDB_val k = {24, key}, v;
	int rc;
	silver__entry_key(ref->feed, ref->seq, key);
	rc = mdb_get(txn, s->entries, &k, &v);
	if (rc != 0)
		return silver__mdb_err(rc);
	return silver_entry_decode(v.mv_data, v.mv_size, a, out);
}

int silver_store_entry(silver_store *s, const silver_ref *ref, silver_arena *a, silver_entry *out)
{
	MDB_txn *txn;
	int rv;
	uint8_t *copy;
	silver_entry e;
	uint8_t key[24];
	MDB_val k = {24, key}, v;

	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	/* Decode from a copy in the arena: the map's pages go with the txn. */
	silver__entry_key(ref->feed, ref->seq, key);
	rv = silver__mdb_err(mdb_get(txn, s->entries, &k, &v));
	if (rv == 0) {
		copy = silver_arena_alloc(a, v.mv_size);
		if (!copy) {
			rv = SILVER_ENOMEM;
		} else {
			memcpy(copy, v.mv_data, v.mv_size);
			rv = silver_entry_decode(copy, v.mv_size, a, &e);
			if (rv == 0)
				*out = e;
		}
	}
	silver__rtxn_end(s, txn);
	return rv;
}

typedef struct touchref {
	uint64_t hlc;
	silver_ref ref;
} touchref;

static int touch_cmp(const void *a, const void *b)
{
	const touchref *x = a, *y = b;
	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return silver_ref_cmp(&x->ref, &y->ref);
}

int silver_store_entry_count(silver_store *s, uint64_t *n)
{
	MDB_txn *txn;
	MDB_stat st;
	int rv = rtxn(s, &txn);
	if (rv != 0)
		return rv;
	rv = silver__mdb_err(mdb_stat(txn, s->entries, &st));
	if (rv == 0)
		*n = st.ms_entries;
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_history(silver_store *s, const char *id, silver_entry_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t pn = strlen(id) + 1, n = 0, cap = 0;
	touchref *list = NULL;
	silver_arena *a;
	int rv, rc;

	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	if ((rc = mdb_cursor_open(txn, s->touch, &cur)) != 0) {
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	k.mv_size = pn;
	k.mv_data = (void *)id;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data, *h = v.mv_data;
		if (k.mv_size != pn + 24 || memcmp(p, id, pn) != 0)
			break;
		if (n == cap) {
			touchref *nl = realloc(list, (cap = cap ? cap * 2 : 16) * sizeof(*list));
			if (!nl) {
				rv = SILVER_ENOMEM;
				break;
			}
			list = nl;
		}
		memcpy(list[n].ref.feed, p + pn, SILVER_FEEDTAG_BYTES);
		list[n].ref.seq = 0;
		list[n].hlc = 0;
		for (int i = 0; i < 8; i++) {
			list[n].ref.seq = list[n].ref.seq << 8 | p[pn + 16 + i];
			list[n].hlc = list[n].hlc << 8 | (v.mv_size == 8 ? h[i] : 0);
		}
		n++;
	}
	mdb_cursor_close(cur);
	if (rv == 0 && n == 0)
		rv = SILVER_ENOTFOUND;
	a = rv == 0 ? silver_arena_new() : NULL;
	if (rv == 0 && !a)
		rv = SILVER_ENOMEM;
	if (rv == 0) {
		qsort(list, n, sizeof(*list), touch_cmp);
		for (size_t i = 0; i < n && rv == 0; i++) {
			silver_entry e;
			silver_arena_reset(a);
			if ((rv = entry_get(s, txn, &list[i].ref, a, &e)) == 0)
				rv = fn(&e, ctx);
		}
	}
	silver_arena_destroy(&a);
	free(list);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_log(silver_store *s, silver_entry_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	silver_arena *a;
	int rv, rc;

	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	a = silver_arena_new();
	if (!a || (rc = mdb_cursor_open(txn, s->entries, &cur)) != 0) {
		silver_arena_destroy(&a);
		silver__rtxn_end(s, txn);
		return a ? SILVER_ESTORE : SILVER_ENOMEM;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		silver_entry e;
		silver_arena_reset(a);
		if ((rv = silver_entry_decode(v.mv_data, v.mv_size, a, &e)) != 0)
			break;
		if ((rv = fn(&e, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	silver_arena_destroy(&a);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_feeds(silver_store *s, silver_feed_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rv, rc;

	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	if ((rc = mdb_cursor_open(txn, s->feeds, &cur)) != 0) {
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		silver_feedinfo fi;
		if (k.mv_size != SILVER_FEEDTAG_BYTES) {
			rv = SILVER_ECORRUPT;
			break;
		}
		if ((rv = silver__feed_get(s, txn, k.mv_data, &fr)) != 0)
			break;
		memset(&fi, 0, sizeof(fi));
		memcpy(fi.tag, k.mv_data, SILVER_FEEDTAG_BYTES);
		memcpy(fi.author, fr.author, SILVER_KEY_BYTES);
		memcpy(fi.township, fr.township, sizeof(fi.township));
		fi.seq = fr.seq;
		memcpy(fi.hash, fr.hash, SILVER_HASH_BYTES);
		if ((rv = fn(&fi, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	silver__rtxn_end(s, txn);
	return rv;
}

struct digest_ctx {
	crypto_generichash_state st;
	uint64_t entries, feeds;
	const char *township; /* NULL: every feed */
};

static int digest_feed(const silver_feedinfo *f, void *vctx)
{
	struct digest_ctx *d = vctx;
	uint8_t seq[8];
	uint64_t x = f->seq;
	if (d->township && strcmp(d->township, f->township) != 0)
		return 0;
	if (f->seq == 0)
		return 0; /* only an unsealed tail: nothing applied, nothing to compare */
	for (int i = 7; i >= 0; i--, x >>= 8)
		seq[i] = (uint8_t)x;
	crypto_generichash_update(&d->st, f->tag, SILVER_FEEDTAG_BYTES);
	crypto_generichash_update(&d->st, seq, 8);
	crypto_generichash_update(&d->st, f->hash, SILVER_HASH_BYTES);
	d->entries += f->seq;
	d->feeds++;
	return 0;
}

uint64_t silver_store_generation(silver_store *s)
{
	MDB_envinfo info;
	if (mdb_env_info(s->env, &info) != 0)
		return 0;
	return (uint64_t)info.me_last_txnid;
}

int silver_store_digest(silver_store *s, silver_digest *out)
{
	struct digest_ctx d;
	MDB_txn *txn;
	MDB_val v;
	MDB_stat st;
	int rv;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	crypto_generichash_init(&d.st, NULL, 0, SILVER_HASH_BYTES);
	if ((rv = silver_store_feeds(s, digest_feed, &d)) != 0)
		return rv;
	crypto_generichash_final(&d.st, out->log, SILVER_HASH_BYTES);
	out->entries = d.entries;
	out->feeds = d.feeds;
	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	rv = silver__meta_get(s, txn, "state", &v);
	if (rv == 0 && v.mv_size == SILVER_HASH_BYTES)
		memcpy(out->state, v.mv_data, SILVER_HASH_BYTES);
	else if (rv == SILVER_ENOTFOUND)
		rv = 0;
	if (rv == 0 && mdb_stat(txn, s->records, &st) == 0)
		out->records = st.ms_entries;
	if (rv == 0 && mdb_stat(txn, s->conflicts, &st) == 0)
		out->conflicts = st.ms_entries;
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_digest_township(silver_store *s, const char *township, silver_digest *out)
{
	struct digest_ctx d;
	char key[8 + SILVER_MAX_NAME + 1];
	MDB_txn *txn;
	MDB_val v;
	int rv;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	d.township = township;
	crypto_generichash_init(&d.st, NULL, 0, SILVER_HASH_BYTES);
	if ((rv = silver_store_feeds(s, digest_feed, &d)) != 0)
		return rv;
	crypto_generichash_final(&d.st, out->log, SILVER_HASH_BYTES);
	out->entries = d.entries;
	out->feeds = d.feeds;
	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	snprintf(key, sizeof(key), "state:%s", township);
	rv = silver__meta_get(s, txn, key, &v);
	if (rv == 0 && v.mv_size == SILVER_HASH_BYTES)
		memcpy(out->state, v.mv_data, SILVER_HASH_BYTES);
	else if (rv == SILVER_ENOTFOUND)
		rv = 0;
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_conflicts(silver_store *s, silver_conflict_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rv, rc;
	char id[SILVER_MAX_ID + 1], field[SILVER_MAX_NAME + 1];

	if ((rv = rtxn(s, &txn)) != 0)
		return rv;
	if ((rc = mdb_cursor_open(txn, s->conflicts, &cur)) != 0) {
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *p = k.mv_data, *z = memchr(p, 0, k.mv_size);
		size_t in, fn_;
		if (!z || (in = (size_t)(z - p)) > SILVER_MAX_ID || (fn_ = k.mv_size - in - 1) > SILVER_MAX_NAME) {
			rv = SILVER_ECORRUPT;
			break;
		}
		memcpy(id, p, in);
		id[in] = 0;
		memcpy(field, z + 1, fn_);
		field[fn_] = 0;
		if ((rv = fn(id, field, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	silver__rtxn_end(s, txn);
	return rv;
}

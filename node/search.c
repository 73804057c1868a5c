/*
 * search.c - the search index: a list's free-text search (q=) and its
 * filters (field=value on enum and reference fields) without reading every
 * record of the collection.  docs/STORE.md 3.5 has the bytes, docs/WEB.md
 * what a user sees.
 *
 * The rule.  A record matches the text q when the winning value of one of
 * its searched fields (silver_schema_searched: short TEXT fields such as a
 * name, an ID card number, a phone) contains q, after both are folded:
 * the query is normalised to NFC (stored text already is), and ASCII
 * letters are lower-cased on both sides.  Nothing else is folded (no
 * width or Chinese variant folding).  silver_search_match is that rule and
 * is the only place it is written; the web's full scan calls it too.
 *
 * The index only narrows.  Its terms are derived from a record's current
 * state:
 *   't' window : for every searched field, at each code point of the folded
 *                value, the window of the next min(3, rest) code points;
 *   'v' field 0 value : the winning value of an ENUM or REF field.
 * Every substring of length L >= 3 of a value has its 3-code-point windows
 * as terms, and every substring of length 1-2 is the prefix of the window
 * that starts where it does.  So a query of >= 3 code points intersects the
 * postings of its windows, a query of 1-2 code points unions the postings
 * of every term that starts with it, and each candidate is read and checked
 * against the rule: the index can only give too many candidates, never too
 * few.  Postings are sorted by record id (LMDB's dupsort order, the same as
 * the records database's), so the results come in the order of a full
 * list and a page (skip n, take 50) is the same page.
 *
 * Lazy maintenance.  Writing a change does not touch the index (the write
 * path is measured to the signature rate).  Instead search_feeds keeps, per
 * feed, the last entry whose record the index has seen; a catch-up reads
 * each feed's applied entries after that (feed record seq, not tail_seq),
 * takes each CHANGE's record, and indexes the record again from its current
 * state (a deleted or missing record has no terms).  The terms a record has
 * in the index are kept as its document in search_docs, so that indexing it
 * again deletes exactly those.  The index is complete when every feed's mark
 * equals its applied seq; a reader checks this in the read transaction it
 * reads the postings in, and is told SILVER_EINDEX otherwise.  Anything
 * that rebuilds the records (silver__rebuild: a revocation, an upgrade from
 * format 1 or 2) empties the index, which is then built again from the
 * first entry.  Indexing a record from its current state makes the order in
 * which entries are caught up irrelevant: after catching up, every record
 * touched by an applied entry has the document of its current state.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "store_int.h"

#define WINDOW 3              /* code points in a window */
#define BATCH_MAX 20000       /* entries per catch-up transaction */
#define BATCH_FIRST 256       /* the first transaction of a call with a time budget */
#define BATCH_MIN 32          /* every transaction makes at least this much progress */
#define UNION_JOIN_MAX 64     /* a short query's terms take part in a join only up to this many */
#define MAX_LISTS 12          /* posting lists joined (rarest first); the check does the rest */
#define DOC_TEXT 't'
#define DOC_VALUE 'v'

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* LMDB's default order for keys and dupsort data: bytes, then length. */
static int cmp_bytes(const void *a, size_t an, const void *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : an < bn ? -1 : an > bn;
}

static int cmp_val(const MDB_val *a, const MDB_val *b)
{
	return cmp_bytes(a->mv_data, a->mv_size, b->mv_data, b->mv_size);
}

/* ---- the rule -------------------------------------------------------------------------- */

static void ascii_lower(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] + 32);
}

int silver_search_fold(const char *text, silver_buf *out)
{
	size_t n = strlen(text), m;
	utf8proc_uint8_t *nfc;
	silver_buf_reset(out);
	for (size_t i = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0 || cp < 0)
			return SILVER_EINVAL;
		i += (size_t)k;
	}
	nfc = utf8proc_NFC((const utf8proc_uint8_t *)text);
	if (!nfc)
		return SILVER_ENOMEM;
	m = strlen((const char *)nfc);
	ascii_lower(nfc, m);
	silver_buf_append(out, nfc, m + 1);
	free(nfc);
	if (silver_buf_failed(out))
		return SILVER_ENOMEM;
	out->len = m; /* the NUL stays after the text */
	return 0;
}

/* Does the value h (as stored) contain the folded q, ASCII letters of h
 * taken in lower case? */
static int folded_contains(const uint8_t *h, size_t hn, const uint8_t *q, size_t qn)
{
	if (qn == 0)
		return 1;
	for (size_t i = 0; i + qn <= hn; i++) {
		size_t j = 0;
		while (j < qn) {
			uint8_t c = h[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			if (c != q[j])
				break;
			j++;
		}
		if (j == qn)
			return 1;
	}
	return 0;
}

int silver_search_field_match(const silver_record *r, const char *field, const char *folded, size_t n)
{
	const silver_value *v = silver_record_value(r, field);
	return v && v->type == SILVER_V_STR && folded_contains(v->s.p, v->s.n, (const uint8_t *)folded, n);
}

int silver_search_match(const silver_collection *c, const silver_record *r, const char *folded, size_t n)
{
	if (n == 0)
		return 1;
	for (uint32_t i = 0; c && i < c->nfields; i++)
		if (silver_schema_searched(&c->fields[i]) && silver_search_field_match(r, c->fields[i].key, folded, n))
			return 1;
	return 0;
}

/* ---- documents and terms ----------------------------------------------------------------- */

/* A record's document: what the index holds for it, items of
 *   kind(1) || length(2, BE) || bytes
 * kind 't': the folded value of a searched field; kind 'v': field 0 value
 * of an ENUM or REF field.  A deleted record has none (no document). */
static int doc_item(silver_buf *doc, uint8_t kind, const void *a, size_t an, const void *b, size_t bn)
{
	size_t n = an + (b ? 1 + bn : 0), at;
	uint8_t hdr[3] = {kind, (uint8_t)(n >> 8), (uint8_t)n}, zero = 0;
	if (n > 0xffff)
		return SILVER_ECORRUPT; /* values are at most SILVER_MAX_STR */
	silver_buf_append(doc, hdr, 3);
	at = doc->len;
	silver_buf_append(doc, a, an);
	if (b) {
		silver_buf_append(doc, &zero, 1);
		silver_buf_append(doc, b, bn);
	}
	if (silver_buf_failed(doc))
		return SILVER_ENOMEM;
	if (kind == DOC_TEXT)
		ascii_lower(doc->data + at, an);
	return 0;
}

static int doc_build(const silver_record *r, silver_buf *doc)
{
	char coll[SILVER_MAX_NAME + 1];
	const silver_collection *c;
	int rv = 0;
	silver_buf_reset(doc);
	if (r->deleted || r->collection.n > SILVER_MAX_NAME)
		return 0;
	memcpy(coll, r->collection.p, r->collection.n);
	coll[r->collection.n] = 0;
	if (!(c = silver_schema_find(coll)))
		return 0;
	for (uint32_t i = 0; i < c->nfields && rv == 0; i++) {
		const silver_field *f = &c->fields[i];
		const silver_value *v = silver_record_value(r, f->key);
		if (!v || v->type != SILVER_V_STR || v->s.n == 0)
			continue;
		if (silver_schema_searched(f))
			rv = doc_item(doc, DOC_TEXT, v->s.p, v->s.n, NULL, 0);
		else if (f->type == SILVER_F_ENUM || f->type == SILVER_F_REF)
			rv = doc_item(doc, DOC_VALUE, f->key, strlen(f->key), v->s.p, v->s.n);
	}
	return rv;
}

/* Terms as offsets into one buffer, to be sorted. */
struct terms {
	silver_buf b;
	struct term {
		uint32_t off, n;
	} *t;
	size_t n, cap;
};

static int terms_push(struct terms *ts, const uint8_t *coll, size_t cn, uint8_t kind, const uint8_t *p, size_t n)
{
	uint8_t zero = 0;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 256;
		void *nt = realloc(ts->t, cap * sizeof(*ts->t));
		if (!nt)
			return SILVER_ENOMEM;
		ts->t = nt;
		ts->cap = cap;
	}
	ts->t[ts->n].off = (uint32_t)ts->b.len;
	silver_buf_append(&ts->b, coll, cn);
	silver_buf_append(&ts->b, &zero, 1);
	silver_buf_append(&ts->b, &kind, 1);
	silver_buf_append(&ts->b, p, n);
	if (silver_buf_failed(&ts->b))
		return SILVER_ENOMEM;
	ts->t[ts->n].n = (uint32_t)(ts->b.len - ts->t[ts->n].off);
	ts->n++;
	return 0;
}

/* Length in bytes of the UTF-8 sequence starting with byte c (1 for a byte
 * that starts none: stored text is valid, this only keeps the walk finite). */
static size_t cp_len(uint8_t c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* The keys (collection 0 kind ...) of a document's terms, appended to ts. */
static int doc_terms(const uint8_t *coll, size_t cn, const uint8_t *doc, size_t n, struct terms *ts)
{
	size_t i = 0;
	int rv = 0;
	while (i + 3 <= n && rv == 0) {
		uint8_t kind = doc[i];
		size_t len = (size_t)doc[i + 1] << 8 | doc[i + 2];
		const uint8_t *p = doc + i + 3;
		if (i + 3 + len > n)
			return SILVER_ECORRUPT;
		if (kind == DOC_VALUE) {
			rv = terms_push(ts, coll, cn, DOC_VALUE, p, len);
		} else if (kind == DOC_TEXT) {
			for (size_t at = 0; at < len && rv == 0; at += cp_len(p[at])) {
				size_t end = at;
				for (int k = 0; k < WINDOW && end < len; k++)
					end += cp_len(p[end]);
				if (end > len)
					end = len;
				rv = terms_push(ts, coll, cn, DOC_TEXT, p + at, end - at);
			}
		} else {
			return SILVER_ECORRUPT;
		}
		i += 3 + len;
	}
	return rv == 0 && i != n ? SILVER_ECORRUPT : rv;
}

static int term_cmp(const void *x, const void *y, void *ctx)
{
	const struct term *a = x, *b = y;
	const uint8_t *base = ctx;
	return cmp_bytes(base + a->off, a->n, base + b->off, b->n);
}

/* Sort and drop repeats (a window that occurs twice in a record). */
static void terms_sort(struct terms *ts)
{
	size_t k = 0;
	if (ts->n < 2)
		return;
	qsort_r(ts->t, ts->n, sizeof(*ts->t), term_cmp, ts->b.data);
	for (size_t i = 0; i < ts->n; i++)
		if (k == 0 || term_cmp(&ts->t[k - 1], &ts->t[i], ts->b.data) != 0)
			ts->t[k++] = ts->t[i];
	ts->n = k;
}

static void terms_reset(struct terms *ts)
{
	silver_buf_reset(&ts->b);
	ts->n = 0;
}

static void terms_release(struct terms *ts)
{
	silver_buf_release(&ts->b);
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}

/* ---- catching up --------------------------------------------------------------------------- */

int silver__search_clear(silver_store *s, MDB_txn *txn)
{
	int rc;
	if ((rc = mdb_drop(txn, s->search, 0)) != 0 || (rc = mdb_drop(txn, s->search_docs, 0)) != 0 ||
	    (rc = mdb_drop(txn, s->search_feeds, 0)) != 0)
		return silver__mdb_err(rc);
	return 0;
}

static int mark_get(silver_store *s, MDB_txn *txn, const uint8_t *tag, uint64_t *seq)
{
	MDB_val k = {SILVER_FEEDTAG_BYTES, (void *)tag}, v;
	int rc = mdb_get(txn, s->search_feeds, &k, &v);
	*seq = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return silver__mdb_err(rc);
	if (v.mv_size != 8)
		return SILVER_ECORRUPT;
	*seq = silver__rd64(v.mv_data);
	return 0;
}

/* Entries applied but not yet seen by the index, summed over the feeds (0:
 * the index is complete). */
static int search_behind(silver_store *s, MDB_txn *txn, uint64_t *behind)
{
	MDB_cursor *fc;
	MDB_val k, v;
	int rc, rv = 0;
	*behind = 0;
	if ((rc = mdb_cursor_open(txn, s->feeds, &fc)) != 0)
		return silver__mdb_err(rc);
	for (rc = mdb_cursor_get(fc, &k, &v, MDB_FIRST); rc == 0 && rv == 0; rc = mdb_cursor_get(fc, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		uint64_t mark;
		if (k.mv_size != SILVER_FEEDTAG_BYTES || (rv = silver__feed_get(s, txn, k.mv_data, &fr)) != 0 ||
		    (rv = mark_get(s, txn, k.mv_data, &mark)) != 0)
			break;
		if (mark > fr.seq)
			rv = SILVER_ECORRUPT;
		else
			*behind += fr.seq - mark;
	}
	if (rv == 0 && rc != MDB_NOTFOUND && rc != 0)
		rv = silver__mdb_err(rc);
	mdb_cursor_close(fc);
	return rv;
}

struct batch {
	size_t max;     /* entries to take in this transaction */
	size_t entries; /* taken */
	uint64_t behind; /* left after this transaction */
	silver_arena *a;
	silver_buf keys; /* record keys (collection 0 id) named by the entries */
	struct term *kt;
	size_t nk, capk;
	struct terms del, add, tmp, tmp2;
	silver_buf doc, old;
};

static int batch_key(struct batch *b, const silver_op *op)
{
	uint8_t zero = 0;
	if (b->nk == b->capk) {
		size_t cap = b->capk ? b->capk * 2 : 1024;
		void *n = realloc(b->kt, cap * sizeof(*b->kt));
		if (!n)
			return SILVER_ENOMEM;
		b->kt = n;
		b->capk = cap;
	}
	b->kt[b->nk].off = (uint32_t)b->keys.len;
	silver_buf_append(&b->keys, op->collection.p, op->collection.n);
	silver_buf_append(&b->keys, &zero, 1);
	silver_buf_append(&b->keys, op->record.p, op->record.n);
	if (silver_buf_failed(&b->keys))
		return SILVER_ENOMEM;
	b->kt[b->nk].n = (uint32_t)(b->keys.len - b->kt[b->nk].off);
	b->nk++;
	return 0;
}

/* Push the pair (term t of ts, id) onto to: the term's bytes, the id, and
 * the id's length in a last byte (pair_split takes it apart). */
static int pair_push(struct terms *to, const struct terms *ts, const struct term *t, const uint8_t *id, size_t idn)
{
	uint8_t len = (uint8_t)idn;
	if (to->n == to->cap) {
		size_t cap = to->cap ? to->cap * 2 : 256;
		void *nt = realloc(to->t, cap * sizeof(*to->t));
		if (!nt)
			return SILVER_ENOMEM;
		to->t = nt;
		to->cap = cap;
	}
	to->t[to->n].off = (uint32_t)to->b.len;
	silver_buf_append(&to->b, ts->b.data + t->off, t->n);
	silver_buf_append(&to->b, id, idn);
	silver_buf_append(&to->b, &len, 1);
	if (silver_buf_failed(&to->b))
		return SILVER_ENOMEM;
	to->t[to->n].n = (uint32_t)(to->b.len - to->t[to->n].off);
	to->n++;
	return 0;
}

/* The pairs (term, id) to delete and to add for one record, from its old
 * document (b->old) and its new one (b->doc): only the difference. */
static int diff_terms(struct batch *b, const uint8_t *coll, size_t cn, const uint8_t *id, size_t idn)
{
	struct terms *o = &b->tmp, *nw = &b->tmp2;
	size_t i = 0, j = 0;
	int rv;
	terms_reset(o);
	terms_reset(nw);
	if ((rv = doc_terms(coll, cn, b->old.data, b->old.len, o)) != 0 ||
	    (rv = doc_terms(coll, cn, b->doc.data, b->doc.len, nw)) != 0)
		return rv;
	terms_sort(o);
	terms_sort(nw);
	while (i < o->n || j < nw->n) {
		int c = i == o->n ? 1 : j == nw->n ? -1 :
			cmp_bytes(o->b.data + o->t[i].off, o->t[i].n, nw->b.data + nw->t[j].off, nw->t[j].n);
		if (c < 0)
			rv = pair_push(&b->del, o, &o->t[i++], id, idn);
		else if (c > 0)
			rv = pair_push(&b->add, nw, &nw->t[j++], id, idn);
		else
			i++, j++;
		if (rv != 0)
			return rv;
	}
	return 0;
}

/* A pair (term, id) as pushed by diff_terms: the term's length is n - idn - 1. */
static void pair_split(const struct terms *ts, const struct term *t, MDB_val *k, MDB_val *d)
{
	const uint8_t *p = ts->b.data + t->off;
	size_t idn = p[t->n - 1];
	k->mv_data = (void *)p;
	k->mv_size = t->n - idn - 1;
	d->mv_data = (void *)(p + k->mv_size);
	d->mv_size = idn;
}

static int pair_cmp(const void *x, const void *y, void *ctx)
{
	MDB_val ka, da, kb, db;
	int c;
	pair_split(ctx, x, &ka, &da);
	pair_split(ctx, y, &kb, &db);
	c = cmp_val(&ka, &kb);
	return c ? c : cmp_val(&da, &db);
}

static int index_record(silver_store *s, MDB_txn *txn, struct batch *b, const uint8_t *key, size_t kn)
{
	MDB_val k = {kn, (void *)key}, v, dk, dv;
	const uint8_t *z = memchr(key, 0, kn);
	silver_record r;
	int rc, rv;
	if (!z)
		return SILVER_ECORRUPT;
	silver_buf_reset(&b->doc);
	rc = mdb_get(txn, s->records, &k, &v);
	if (rc == 0) {
		silver_arena_reset(b->a);
		if ((rv = silver__record_decode(v.mv_data, v.mv_size, b->a, &r)) != 0)
			return rv;
		if ((rv = doc_build(&r, &b->doc)) != 0)
			return rv;
	} else if (rc != MDB_NOTFOUND) {
		return silver__mdb_err(rc);
	}
	dk.mv_data = (void *)(z + 1);
	dk.mv_size = kn - (size_t)(z + 1 - key);
	if (dk.mv_size == 0 || dk.mv_size > 255)
		return SILVER_ECORRUPT;
	silver_buf_reset(&b->old);
	rc = mdb_get(txn, s->search_docs, &dk, &dv);
	if (rc == 0) {
		if (silver_buf_append(&b->old, dv.mv_data, dv.mv_size) != 0)
			return SILVER_ENOMEM;
	} else if (rc != MDB_NOTFOUND) {
		return silver__mdb_err(rc);
	}
	if (b->old.len == b->doc.len && memcmp(b->old.data, b->doc.data, b->doc.len) == 0)
		return 0;
	if ((rv = diff_terms(b, key, (size_t)(z - key), dk.mv_data, dk.mv_size)) != 0)
		return rv;
	if (b->doc.len) {
		dv.mv_data = b->doc.data;
		dv.mv_size = b->doc.len;
		rc = mdb_put(txn, s->search_docs, &dk, &dv, 0);
	} else {
		rc = mdb_del(txn, s->search_docs, &dk, NULL);
	}
	return silver__mdb_err(rc);
}

static int pairs_write(silver_store *s, MDB_txn *txn, struct terms *ts, int add)
{
	MDB_cursor *cur;
	int rc = 0;
	if (ts->n == 0)
		return 0;
	qsort_r(ts->t, ts->n, sizeof(*ts->t), pair_cmp, ts);
	if ((rc = mdb_cursor_open(txn, s->search, &cur)) != 0)
		return silver__mdb_err(rc);
	for (size_t i = 0; i < ts->n && rc == 0; i++) {
		MDB_val k, d;
		pair_split(ts, &ts->t[i], &k, &d);
		if (add) {
			/* ids mostly come after a term's last one: LMDB then
			 * fills pages instead of splitting them in half */
			rc = mdb_cursor_put(cur, &k, &d, MDB_APPENDDUP);
			if (rc == MDB_KEYEXIST)
				rc = mdb_cursor_put(cur, &k, &d, MDB_NODUPDATA);
			if (rc == MDB_KEYEXIST)
				rc = 0; /* there already: a posting too many only costs a check */
		} else {
			MDB_val k2 = k, d2 = d;
			rc = mdb_cursor_get(cur, &k2, &d2, MDB_GET_BOTH);
			if (rc == 0)
				rc = mdb_cursor_del(cur, 0);
			else if (rc == MDB_NOTFOUND)
				rc = 0;
		}
	}
	mdb_cursor_close(cur);
	return silver__mdb_err(rc);
}



/* One transaction of catching up: take up to b->max applied entries after
 * the feeds' marks, index their records again, move the marks. */
static int batch_run(silver_store *s, MDB_txn *txn, void *vctx)
{
	struct batch *b = vctx;
	MDB_cursor *fc = NULL, *ec = NULL;
	MDB_val k, v;
	int rc, rv = 0;

	b->entries = 0;
	b->nk = 0;
	silver_buf_reset(&b->keys);
	terms_reset(&b->del);
	terms_reset(&b->add);
	if ((rc = mdb_cursor_open(txn, s->feeds, &fc)) != 0 || (rc = mdb_cursor_open(txn, s->entries, &ec)) != 0) {
		if (fc)
			mdb_cursor_close(fc);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(fc, &k, &v, MDB_FIRST); rc == 0 && rv == 0 && b->entries < b->max;
	     rc = mdb_cursor_get(fc, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		uint64_t mark, seq;
		uint8_t tag[SILVER_FEEDTAG_BYTES], ekey[24], mv[8];
		MDB_val ek = {24, ekey}, ev, mk = {SILVER_FEEDTAG_BYTES, tag}, mval = {8, mv};
		int erc;
		if (k.mv_size != SILVER_FEEDTAG_BYTES) {
			rv = SILVER_ECORRUPT;
			break;
		}
		memcpy(tag, k.mv_data, SILVER_FEEDTAG_BYTES);
		if ((rv = silver__feed_get(s, txn, tag, &fr)) != 0 || (rv = mark_get(s, txn, tag, &mark)) != 0)
			break;
		if (mark >= fr.seq)
			continue;
		silver__entry_key(tag, mark + 1, ekey);
		seq = mark;
		for (erc = mdb_cursor_get(ec, &ek, &ev, MDB_SET_KEY); erc == 0 && b->entries < b->max;
		     erc = mdb_cursor_get(ec, &ek, &ev, MDB_NEXT)) {
			silver_entry e;
			if (ek.mv_size != 24 || memcmp(ek.mv_data, tag, SILVER_FEEDTAG_BYTES) != 0 ||
			    silver__rd64((const uint8_t *)ek.mv_data + SILVER_FEEDTAG_BYTES) != seq + 1) {
				rv = SILVER_ECORRUPT; /* an applied entry is missing */
				break;
			}
			silver_arena_reset(b->a);
			if ((rv = silver_entry_decode(ev.mv_data, ev.mv_size, b->a, &e)) != 0)
				break;
			if (e.op.type == SILVER_OP_CHANGE && (rv = batch_key(b, &e.op)) != 0)
				break;
			seq++;
			b->entries++;
			if (seq == fr.seq)
				break;
		}
		if (rv == 0 && erc != 0)
			rv = erc == MDB_NOTFOUND ? SILVER_ECORRUPT : silver__mdb_err(erc);
		if (rv == 0 && seq > mark) {
			silver__be64(mv, seq);
			rv = silver__mdb_err(mdb_put(txn, s->search_feeds, &mk, &mval, 0));
		}
	}
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = silver__mdb_err(rc);
	mdb_cursor_close(ec);
	mdb_cursor_close(fc);
	if (rv != 0)
		return rv;
	/* each record once, in key order */
	if (b->nk > 1)
		qsort_r(b->kt, b->nk, sizeof(*b->kt), term_cmp, b->keys.data);
	for (size_t i = 0; i < b->nk && rv == 0; i++) {
		if (i > 0 && term_cmp(&b->kt[i - 1], &b->kt[i], b->keys.data) == 0)
			continue;
		rv = index_record(s, txn, b, b->keys.data + b->kt[i].off, b->kt[i].n);
	}
	if (rv == 0)
		rv = pairs_write(s, txn, &b->del, 0);
	if (rv == 0)
		rv = pairs_write(s, txn, &b->add, 1);
	if (rv == 0)
		rv = search_behind(s, txn, &b->behind);
	return rv;
}

static int rtxn_behind(silver_store *s, uint64_t *behind)
{
	MDB_txn *txn;
	int rv = silver__rtxn(s, &txn);
	if (rv != 0)
		return rv;
	rv = search_behind(s, txn, behind);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_search_update(silver_store *s, uint64_t budget_ms, silver_search_progress_fn fn, void *ctx)
{
	struct batch b;
	uint64_t t0 = mono_ms(), behind, total, done = 0;
	int rv;

	if ((rv = rtxn_behind(s, &behind)) != 0)
		return rv;
	if (behind == 0)
		return 1;
	if (s->flags & SILVER_OPEN_RDONLY)
		return 0;
	memset(&b, 0, sizeof(b));
	silver_buf_init(&b.keys);
	silver_buf_init(&b.doc);
	silver_buf_init(&b.old);
	silver_buf_init(&b.del.b);
	silver_buf_init(&b.add.b);
	silver_buf_init(&b.tmp.b);
	silver_buf_init(&b.tmp2.b);
	if (!(b.a = silver_arena_new()))
		return SILVER_ENOMEM;
	total = behind;
	b.max = budget_ms ? BATCH_FIRST : BATCH_MAX;
	for (;;) {
		uint64_t t1 = mono_ms(), spent;
		if ((rv = silver__store_txn(s, batch_run, &b)) != 0)
			break;
		done += b.entries;
		if (fn)
			fn(done, total, ctx);
		if (b.behind == 0) {
			rv = 1;
			break;
		}
		spent = mono_ms() - t0;
		if (budget_ms && spent >= budget_ms) {
			rv = 0;
			break;
		}
		if (budget_ms) {
			/* size the next transaction to what is left of the budget */
			uint64_t per = mono_ms() - t1, left = budget_ms - spent;
			size_t next = per ? (size_t)(b.entries * left / per) : BATCH_MAX;
			b.max = next < BATCH_MIN ? BATCH_MIN : next > BATCH_MAX ? BATCH_MAX : next;
		}
	}
	silver_arena_destroy(&b.a);
	silver_buf_release(&b.keys);
	free(b.kt);
	silver_buf_release(&b.doc);
	silver_buf_release(&b.old);
	terms_release(&b.del);
	terms_release(&b.add);
	terms_release(&b.tmp);
	terms_release(&b.tmp2);
	return rv;
}

/* Pages of a database's own tree (for a DUPSORT one, without the trees
 * of its keys' data, which mdb_stat does not count). */
static uint64_t tree_pages(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat st;
	if (mdb_stat(txn, dbi, &st) != 0)
		return 0;
	return (uint64_t)st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
}

int silver_store_search_stat(silver_store *s, silver_search_stat *out)
{
	MDB_txn *txn;
	MDB_stat st;
	MDB_envinfo info;
	MDB_cursor *fc;
	MDB_val k, v;
	uint64_t behind = 0, used, other = 0, freed = 0;
	int rv = silver__rtxn(s, &txn), rc;
	memset(out, 0, sizeof(*out));
	if (rv != 0)
		return rv;
	if ((rv = search_behind(s, txn, &behind)) != 0)
		goto out;
	out->behind = behind;
	if ((rc = mdb_stat(txn, s->search, &st)) != 0 || (rc = mdb_env_info(s->env, &info)) != 0) {
		rv = silver__mdb_err(rc);
		goto out;
	}
	out->postings = st.ms_entries;
	if ((rc = mdb_stat(txn, s->search_docs, &st)) != 0) {
		rv = silver__mdb_err(rc);
		goto out;
	}
	out->records = st.ms_entries;
	/* The index's pages, its keys' sub-trees included: every page in use
	 * (the two meta pages, the free list's and the free pages aside) less
	 * the pages of the other databases and of the catalogue of names. */
	used = (uint64_t)info.me_last_pgno + 1 - 2;
	{
		const MDB_dbi others[] = {s->meta, s->feeds, s->entries, s->records, s->touch,
					  s->conflicts, s->certs, s->revoked, s->forks, s->aggs};
		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			other += tree_pages(txn, others[i]);
		other += tree_pages(txn, 0) + tree_pages(txn, 1); /* the free list's tree, the catalogue */
	}
	if ((rc = mdb_cursor_open(txn, 0, &fc)) != 0) {
		rv = silver__mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(fc, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(fc, &k, &v, MDB_NEXT))
		if (v.mv_size >= sizeof(size_t))
			freed += *(const size_t *)v.mv_data; /* an IDL: its count, then the page numbers */
	mdb_cursor_close(fc);
	out->bytes = used > other + freed ? (used - other - freed) * st.ms_psize : 0;
out:
	silver__rtxn_end(s, txn);
	return rv;
}

/* ---- finding ---------------------------------------------------------------------------------- */

/* A posting list (one term), or the union of several (every term that
 * starts with a short query), read in id order. */
struct plist {
	MDB_cursor *cur;
	MDB_val key; /* the term (copied into the query's buffer) */
	MDB_val id;  /* the current id (points into the map: valid in the read transaction) */
	int end;
	uint64_t count;
	/* a union: members, and a heap of them by current id (end ones left out) */
	struct plist *m;
	size_t nm, *heap, nheap;
};

static int plist_open(silver_store *s, MDB_txn *txn, struct plist *p, const void *key, size_t n)
{
	MDB_val k = {n, (void *)key};
	size_t count = 0;
	int rc;
	memset(p, 0, sizeof(*p));
	p->key = k;
	if ((rc = mdb_cursor_open(txn, s->search, &p->cur)) != 0)
		return silver__mdb_err(rc);
	rc = mdb_cursor_get(p->cur, &k, &p->id, MDB_SET_KEY);
	if (rc == MDB_NOTFOUND) {
		p->end = 1;
		return 0;
	}
	if (rc == 0)
		rc = mdb_cursor_count(p->cur, &count);
	p->count = count;
	return silver__mdb_err(rc);
}

static void plist_close(struct plist *p)
{
	for (size_t i = 0; i < p->nm; i++)
		plist_close(&p->m[i]);
	free(p->m);
	free(p->heap);
	if (p->cur)
		mdb_cursor_close(p->cur);
	memset(p, 0, sizeof(*p));
}

static int heap_less(const struct plist *u, size_t a, size_t b)
{
	return cmp_val(&u->m[a].id, &u->m[b].id) < 0;
}

static void heap_down(struct plist *u, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i, t;
		if (l < u->nheap && heap_less(u, u->heap[l], u->heap[min]))
			min = l;
		if (r < u->nheap && heap_less(u, u->heap[r], u->heap[min]))
			min = r;
		if (min == i)
			return;
		t = u->heap[i];
		u->heap[i] = u->heap[min];
		u->heap[min] = t;
		i = min;
	}
}

static void union_top(struct plist *u)
{
	u->nheap = 0;
	for (size_t i = 0; i < u->nm; i++)
		if (!u->m[i].end)
			u->heap[u->nheap++] = i;
	for (size_t i = u->nheap / 2; i-- > 0;)
		heap_down(u, i);
	u->end = u->nheap == 0;
	if (!u->end)
		u->id = u->m[u->heap[0]].id;
}

static int plist_seek(struct plist *p, const MDB_val *to);

/* Move to the next id (a union: past every member on the current one). */
static int plist_next(struct plist *p)
{
	int rc;
	if (p->end)
		return 0;
	if (p->m) {
		MDB_val x = p->id;
		while (p->nheap && cmp_val(&p->m[p->heap[0]].id, &x) == 0) {
			struct plist *top = &p->m[p->heap[0]];
			if ((rc = plist_next(top)) != 0)
				return rc;
			if (top->end)
				p->heap[0] = p->heap[--p->nheap];
			heap_down(p, 0);
		}
		p->end = p->nheap == 0;
		if (!p->end)
			p->id = p->m[p->heap[0]].id;
		return 0;
	}
	rc = mdb_cursor_get(p->cur, &p->key, &p->id, MDB_NEXT_DUP);
	if (rc == MDB_NOTFOUND) {
		p->end = 1;
		return 0;
	}
	return silver__mdb_err(rc);
}

/* Move to the first id >= to. */
static int plist_seek(struct plist *p, const MDB_val *to)
{
	MDB_val k, d;
	int rc;
	if (p->end || cmp_val(&p->id, to) >= 0)
		return 0;
	if (p->m) {
		for (size_t i = 0; i < p->nm; i++)
			if ((rc = plist_seek(&p->m[i], to)) != 0)
				return rc;
		union_top(p);
		return 0;
	}
	k = p->key;
	d = *to;
	rc = mdb_cursor_get(p->cur, &k, &d, MDB_GET_BOTH_RANGE);
	if (rc == MDB_NOTFOUND) {
		p->end = 1;
		return 0;
	}
	if (rc == 0)
		p->id = d;
	return silver__mdb_err(rc);
}

/* The union of every term that starts with prefix (a query of 1 or 2 code
 * points: each substring of a value that long begins a window). */
static int union_open(silver_store *s, MDB_txn *txn, struct plist *u, const uint8_t *prefix, size_t n)
{
	MDB_cursor *cur;
	MDB_val k = {n, (void *)prefix}, d;
	size_t cap = 0;
	int rc, rv = 0;
	memset(u, 0, sizeof(*u));
	if ((rc = mdb_cursor_open(txn, s->search, &cur)) != 0)
		return silver__mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && rv == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_NODUP)) {
		if (k.mv_size < n || memcmp(k.mv_data, prefix, n) != 0)
			break;
		if (u->nm == cap) {
			void *nm = realloc(u->m, (cap = cap ? cap * 2 : 16) * sizeof(*u->m));
			if (!nm) {
				rv = SILVER_ENOMEM;
				break;
			}
			u->m = nm;
		}
		/* the term's bytes are in the map, valid for the read transaction */
		if ((rv = plist_open(s, txn, &u->m[u->nm], k.mv_data, k.mv_size)) == 0) {
			u->count += u->m[u->nm].count;
			u->nm++;
		}
	}
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = silver__mdb_err(rc);
	mdb_cursor_close(cur);
	if (rv == 0 && u->nm && !(u->heap = malloc(u->nm * sizeof(*u->heap))))
		rv = SILVER_ENOMEM;
	if (rv == 0)
		union_top(u);
	else
		u->end = 1;
	return rv;
}

static int by_count(const void *x, const void *y)
{
	const struct plist *a = x, *b = y;
	return a->count < b->count ? -1 : a->count > b->count;
}

struct finder {
	silver_store *s;
	MDB_txn *txn;
	const silver_collection *c;
	const char *collection;
	const silver_find *q;
	const char *folded;
	size_t nfolded;
	silver_arena *a;
	silver_buf key;
	silver_record_fn fn;
	void *ctx;
};

/* Read a candidate and give it to fn when it matches. */
static int candidate(struct finder *f, const MDB_val *id)
{
	MDB_val k, v;
	silver_record r;
	uint8_t zero = 0;
	int rc, rv;
	silver_buf_reset(&f->key);
	silver_buf_append(&f->key, f->collection, strlen(f->collection));
	silver_buf_append(&f->key, &zero, 1);
	silver_buf_append(&f->key, id->mv_data, id->mv_size);
	if (silver_buf_failed(&f->key))
		return SILVER_ENOMEM;
	k.mv_data = f->key.data;
	k.mv_size = f->key.len;
	rc = mdb_get(f->txn, f->s->records, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0; /* cannot be: a posting without its record (the index only narrows) */
	if (rc != 0)
		return silver__mdb_err(rc);
	silver_arena_reset(f->a);
	if ((rv = silver__record_decode(v.mv_data, v.mv_size, f->a, &r)) != 0)
		return rv;
	r.id.p = (const uint8_t *)f->key.data + strlen(f->collection) + 1;
	r.id.n = (uint32_t)id->mv_size;
	if (r.deleted)
		return 0;
	for (uint32_t i = 0; i < f->q->nf; i++) {
		const silver_value *w = silver_record_value(&r, f->q->fkey[i]);
		if (!w || !silver_value_equal(w, &f->q->fval[i]))
			return 0;
	}
	if (!silver_search_match(f->c, &r, f->folded, f->nfolded))
		return 0;
	return f->fn(&r, f->ctx);
}

/* The ids in every list, in order (leapfrog: each list seeks to the
 * largest id seen, until all agree). */
static int join(struct finder *f, struct plist *l, size_t n)
{
	int rv = 0;
	while (!l[0].end && rv == 0) {
		MDB_val x = l[0].id;
		int agree = 1;
		for (size_t i = 1; i < n && rv == 0; i++) {
			if ((rv = plist_seek(&l[i], &x)) != 0 || l[i].end)
				return rv;
			if (cmp_val(&l[i].id, &x) > 0) {
				rv = plist_seek(&l[0], &l[i].id);
				agree = 0;
				break;
			}
		}
		if (rv != 0 || !agree)
			continue;
		if ((rv = candidate(f, &x)) != 0)
			return rv;
		rv = plist_next(&l[0]);
	}
	return rv;
}

int silver_store_find(silver_store *s, const char *collection, const silver_find *q, silver_record_fn fn, void *ctx)
{
	struct finder f;
	struct plist l[MAX_LISTS + SILVER_MAX_WRITES];
	silver_buf folded, terms;
	size_t nl = 0, cn;
	uint64_t behind;
	int rv;

	memset(&f, 0, sizeof(f));
	if (!collection || !(f.c = silver_schema_find(collection)) || q->nf > SILVER_MAX_WRITES)
		return SILVER_EINVAL;
	for (uint32_t i = 0; i < q->nf; i++) {
		const silver_field *fd = silver_schema_field(f.c, q->fkey[i], strlen(q->fkey[i]));
		if (!fd || (fd->type != SILVER_F_ENUM && fd->type != SILVER_F_REF) || q->fval[i].type != SILVER_V_STR)
			return SILVER_EINVAL;
	}
	cn = strlen(collection);
	silver_buf_init(&folded);
	silver_buf_init(&terms);
	if ((rv = silver_search_fold(q->text ? q->text : "", &folded)) != 0) {
		silver_buf_release(&folded);
		return rv;
	}
	f.s = s;
	f.collection = collection;
	f.q = q;
	f.folded = (const char *)folded.data;
	f.nfolded = folded.len;
	f.fn = fn;
	f.ctx = ctx;
	silver_buf_init(&f.key);
	if (!(f.a = silver_arena_new())) {
		silver_buf_release(&folded);
		return SILVER_ENOMEM;
	}
	if ((rv = silver__rtxn(s, &f.txn)) != 0)
		goto out_notxn;
	if ((rv = search_behind(s, f.txn, &behind)) != 0)
		goto out;
	if (behind) {
		rv = SILVER_EINDEX;
		goto out;
	}
	/* Every term key is written into one buffer first (it must not move
	 * while the lists point into it). */
	{
		uint8_t zero = 0;
		size_t off[MAX_LISTS + SILVER_MAX_WRITES], len[MAX_LISTS + SILVER_MAX_WRITES], nt = 0, ncp = 0, union_len = 0;
		const uint8_t *t = folded.data;
		for (size_t i = 0; i < folded.len; i += cp_len(t[i]))
			ncp++;
		for (uint32_t i = 0; i < q->nf; i++) {
			off[nt] = terms.len;
			silver_buf_append(&terms, collection, cn);
			silver_buf_append(&terms, &zero, 1);
			silver_buf_append(&terms, (uint8_t[]){DOC_VALUE}, 1);
			silver_buf_append(&terms, q->fkey[i], strlen(q->fkey[i]));
			silver_buf_append(&terms, &zero, 1);
			silver_buf_append(&terms, q->fval[i].s.p, q->fval[i].s.n);
			len[nt] = terms.len - off[nt];
			nt++;
		}
		if (ncp >= WINDOW) {
			/* the windows of 3 code points, each once */
			for (size_t at = 0, k = 0; k + WINDOW <= ncp; at += cp_len(t[at]), k++) {
				size_t end = at, dup = 0;
				for (int w = 0; w < WINDOW; w++)
					end += cp_len(t[end]);
				for (size_t j = q->nf; j < nt && !dup; j++)
					dup = len[j] == cn + 2 + end - at &&
					      memcmp(terms.data + off[j] + cn + 2, t + at, end - at) == 0;
				if (dup)
					continue;
				if (nt == MAX_LISTS + SILVER_MAX_WRITES)
					break; /* the check covers the windows left out */
				off[nt] = terms.len;
				silver_buf_append(&terms, collection, cn);
				silver_buf_append(&terms, &zero, 1);
				silver_buf_append(&terms, (uint8_t[]){DOC_TEXT}, 1);
				silver_buf_append(&terms, t + at, end - at);
				len[nt] = terms.len - off[nt];
				nt++;
			}
		} else if (ncp > 0) {
			off[nt] = terms.len;
			silver_buf_append(&terms, collection, cn);
			silver_buf_append(&terms, &zero, 1);
			silver_buf_append(&terms, (uint8_t[]){DOC_TEXT}, 1);
			silver_buf_append(&terms, t, folded.len);
			union_len = terms.len - off[nt];
		}
		if (silver_buf_failed(&terms)) {
			rv = SILVER_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nt && rv == 0; i++) {
			if ((rv = plist_open(s, f.txn, &l[nl], terms.data + off[i], len[i])) == 0)
				nl++;
		}
		if (rv == 0 && union_len) {
			if ((rv = union_open(s, f.txn, &l[nl], terms.data + terms.len - union_len, union_len)) == 0)
				nl++;
		}
	}
	if (rv != 0)
		goto out;
	if (nl == 0) {
		/* neither text nor filters: every record of the collection */
		rv = SILVER_EINVAL;
		goto out;
	}
	qsort(l, nl, sizeof(l[0]), by_count);
	/* An empty list: nothing matches.  A union of many terms costs a
	 * seek per term: it takes part only as the rarest list. */
	if (l[0].end)
		goto out;
	{
		size_t k = 1;
		for (size_t i = 1; i < nl; i++) {
			if (l[i].m && l[i].nm > UNION_JOIN_MAX)
				plist_close(&l[i]);
			else if (k < MAX_LISTS)
				l[k++] = l[i];
			else
				plist_close(&l[i]);
		}
		nl = k;
	}
	if (q->after) {
		/* the next page: from the first id after the last one shown */
		MDB_val x = { strlen(q->after), (void *)q->after };
		if ((rv = plist_seek(&l[0], &x)) == 0 && !l[0].end && cmp_val(&l[0].id, &x) == 0)
			rv = plist_next(&l[0]);
		if (rv != 0 || l[0].end)
			goto out;
	}
	rv = join(&f, l, nl);
out:
	for (size_t i = 0; i < nl; i++)
		plist_close(&l[i]);
	silver__rtxn_end(s, f.txn);
out_notxn:
	silver_arena_destroy(&f.a);
	silver_buf_release(&f.key);
	silver_buf_release(&folded);
	silver_buf_release(&terms);
	return rv;
}

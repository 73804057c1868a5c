/*
 * audit_state.c - what only a store can be asked: the forks it keeps as
 * evidence, and whether its records are what its entries say.
 *
 * The replay: a fresh store in a temporary directory under $TMPDIR, pinned
 * to the same admin key, is fed every valid entry of the audited store
 * (the admin's feeds first, then each authorised feed up to its last valid
 * seq) through silver_store_ingest, in batches, so memory stays bounded and
 * the disk holds the replayed state.  Merge is a function of the set of
 * entries (docs/MERGE.md), so an honest store holds the very same records.
 * Both state digests are compared, and then every record, both ways: the
 * stored state digest is kept up to date by the writer, so a value
 * rewritten behind the store's back only shows in the records themselves.
 * Last the statistics: every cell of the store (silver_store_cells) must
 * be in the replay with the same count and sum, and every cell of the
 * replay in the store, so the figures silver-stats prints are the ones
 * the signed history gives.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "silver_i18n.h"

#define BATCH_ENTRIES 2048
#define BATCH_BYTES (4u << 20)
#define MAX_STATE_FINDINGS 50

/* ---- forks ------------------------------------------------------------------------------ */

struct fork_ctx {
	audit_report *rep;
	int rv;
};

static int fork_one(const silver_feedinfo *feed, uint64_t seq, const uint8_t *proof, size_t n, void *vctx)
{
	struct fork_ctx *c = vctx;
	silver_fork_info info;
	const audit_cert *cert = audit_cert_find(c->rep, feed->author);
	char key[2 * SILVER_KEY_BYTES + 1], h0[17], h1[17];
	const char *office = cert && cert->name[0] ? cert->name : _("(no certificate)");
	int rv = silver_fork_proof_verify(proof, n, &info);

	silver_hex(feed->author, SILVER_KEY_BYTES, key);
	if (rv != 0)
		return audit__add(c->rep, AUDIT_K_FORK, feed->author, feed->township, seq,
				  _("the store holds a fork of key %s (office %s) at seq %llu, but its proof does not "
				    "verify: %s"),
				  key, office, (unsigned long long)seq, _(silver_strerror(rv)));
	silver_hex(info.hash[0], 8, h0);
	silver_hex(info.hash[1], 8, h1);
	return audit__add(c->rep, AUDIT_K_FORK, info.author, info.township, info.seq,
			  _("key %s (office %s) signed two different entries for seq %llu of township %s (hashes "
			    "%s... and %s...); the proof the store keeps verifies"),
			  key, office, (unsigned long long)info.seq, info.township, h0, h1);
}

/* ---- the replay ------------------------------------------------------------------------------ */

struct batch {
	silver_buf bytes;
	size_t *off;
	silver_slice *sl;
	size_t n;
};

static int batch_flush(silver_store *r, struct batch *b, silver_why *why)
{
	silver_ingest_report ir;
	int rv;
	if (b->n == 0)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		size_t end = i + 1 < b->n ? b->off[i + 1] : b->bytes.len;
		b->sl[i].p = b->bytes.data + b->off[i];
		b->sl[i].n = (uint32_t)(end - b->off[i]);
	}
	rv = silver_store_ingest(r, b->sl, b->n, &ir, why);
	b->n = 0;
	b->bytes.len = 0;
	return rv;
}

static int replay_feed(silver_store *st, silver_store *r, audit_report *rep, const audit_feedsum *f,
		       struct batch *b, silver_arena *a)
{
	silver_why why;
	int rv = 0;

	memset(&why, 0, sizeof(why));
	for (uint64_t seq = 1; seq <= f->valid_to && rv == 0; seq++) {
		silver_ref ref;
		silver_entry e;
		memcpy(ref.feed, f->tag, SILVER_FEEDTAG_BYTES);
		ref.seq = seq;
		silver_arena_reset(a);
		if ((rv = silver_store_entry(st, &ref, a, &e)) != 0)
			break;
		b->off[b->n++] = b->bytes.len;
		if ((rv = silver_entry_wrap(e.body.p, e.body.n, e.sealed ? e.sig : NULL, &b->bytes)) != 0)
			break;
		if (b->n == BATCH_ENTRIES || b->bytes.len >= BATCH_BYTES || seq == f->valid_to)
			rv = batch_flush(r, b, &why);
	}
	if (rv == 0)
		return 0;
	b->n = 0;
	b->bytes.len = 0;
	if (rv == SILVER_ENOMEM)
		return rv;
	return audit__add(rep, AUDIT_K_STATE, f->author, f->township, 0,
			  _("replaying this feed into a fresh store was refused: %s%s%s"),
			  why.reason[0] ? _(why.reason) : _(silver_strerror(rv)), why.detail[0] ? " " : "", why.detail);
}

static int value_same(const silver_value *x, const silver_value *y)
{
	return silver_value_equal(x, y);
}

/* 1 when two records hold the same fields, heads and values. */
static int record_same(const silver_record *x, const silver_record *y)
{
	if (x->collection.n != y->collection.n || memcmp(x->collection.p, y->collection.p, x->collection.n) != 0 ||
	    x->deleted != y->deleted || x->nfields != y->nfields)
		return 0;
	for (uint32_t i = 0; i < x->nfields; i++) {
		const silver_fieldstate *a = &x->fields[i], *b = &y->fields[i];
		if (a->field.n != b->field.n || memcmp(a->field.p, b->field.p, a->field.n) != 0 ||
		    a->nheads != b->nheads || a->winner != b->winner || a->conflict != b->conflict)
			return 0;
		for (uint32_t h = 0; h < a->nheads; h++)
			if (silver_ref_cmp(&a->heads[h].ref, &b->heads[h].ref) != 0 ||
			    a->heads[h].hlc != b->heads[h].hlc || !value_same(&a->heads[h].value, &b->heads[h].value))
				return 0;
	}
	return 1;
}

struct cmp_ctx {
	silver_store *other;
	audit_report *rep;
	silver_arena *a;
	int stored_side; /* 1: walking the audited store, 0: walking the replay */
	uint64_t differ, listed, walked;
};

static int cmp_one(const silver_record *rec, void *vctx)
{
	struct cmp_ctx *c = vctx;
	silver_record o;
	char id[SILVER_MAX_ID + 1];
	int rv;

	c->walked++;
	snprintf(id, sizeof(id), "%.*s", (int)rec->id.n, (const char *)rec->id.p);
	silver_arena_reset(c->a);
	rv = silver_store_get(c->other, id, c->a, &o);
	if (rv == 0 && (!c->stored_side || record_same(rec, &o)))
		return 0;
	if (rv == SILVER_ENOMEM)
		return rv;
	c->differ++;
	if (c->listed++ >= MAX_STATE_FINDINGS)
		return 0;
	if (rv != 0 && rv != SILVER_ENOTFOUND)
		return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0, _("record %s cannot be read from the %s: %s"),
				  id, c->stored_side ? _("replay") : _("store"), _(silver_strerror(rv)));
	if (rv == 0)
		return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
				  _("record %s differs from what its entries say (a value was rewritten in the store)"),
				  id);
	if (c->stored_side)
		return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
				  _("record %s is in the store but no valid entry writes it"), id);
	return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
			  _("record %s is written by valid entries but missing from the store"), id);
}

struct cell_ctx {
	silver_store *other;
	audit_report *rep;
	int stored_side;
	uint64_t differ, listed, walked;
};

static int cell_one(const char *metric, const char *township, const char *date, const char *dim, int64_t count,
		    int64_t sum, void *vctx)
{
	struct cell_ctx *c = vctx;
	int64_t o[2];
	int rv;

	c->walked++;
	rv = silver_store_cell(c->other, metric, township, date, dim, o);
	if (rv == 0 && (!c->stored_side || (o[0] == count && o[1] == sum)))
		return 0;
	if (rv != 0 && rv != SILVER_ENOTFOUND)
		return rv;
	c->differ++;
	if (c->listed++ >= MAX_STATE_FINDINGS)
		return 0;
	if (rv == 0)
		return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
				  _("statistics cell %s/%s/%s/%s holds count %lld, sum %lld; a replay of the entries "
				    "gives %lld, %lld"),
				  metric, township, date, dim, (long long)count, (long long)sum, (long long)o[0],
				  (long long)o[1]);
	if (c->stored_side)
		return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
				  _("statistics cell %s/%s/%s/%s (count %lld, sum %lld) is in the store but no valid "
				    "entry makes it"),
				  metric, township, date, dim, (long long)count, (long long)sum);
	return audit__add(c->rep, AUDIT_K_STATE, NULL, NULL, 0,
			  _("statistics cell %s/%s/%s/%s (count %lld, sum %lld) follows from valid entries but is "
			    "missing from the store"),
			  metric, township, date, dim, (long long)count, (long long)sum);
}

/* Every statistics cell, both ways, as for the records. */
static int cmp_cells(silver_store *st, silver_store *r, audit_report *rep)
{
	struct cell_ctx c;
	int rv;

	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.other = r;
	c.stored_side = 1;
	rv = silver_store_cells(st, cell_one, &c);
	rep->cells = c.walked;
	if (rv == 0) {
		c.other = st;
		c.stored_side = 0;
		rv = silver_store_cells(r, cell_one, &c);
	}
	if (rv != 0 && rv != SILVER_ENOMEM) {
		audit__add(rep, AUDIT_K_STATE, NULL, NULL, 0, _("the statistics cells cannot be compared: %s"),
			   _(silver_strerror(rv)));
		rv = 0;
	}
	if (rv == 0 && c.listed > MAX_STATE_FINDINGS)
		audit__add(rep, AUDIT_K_STATE, NULL, NULL, 0,
			   _("%llu statistics cells differ in all; the first %d are listed"),
			   (unsigned long long)c.differ, MAX_STATE_FINDINGS);
	return rv;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : 0;
}

static int replay(const audit_opts *o, silver_store *st, audit_report *rep, audit_feedsum **feeds, size_t nfeeds)
{
	const char *tmpdir = getenv("TMPDIR");
	char base[4096], dir[4200];
	silver_store *r = NULL;
	silver_arena *a = NULL;
	struct batch b;
	silver_digest d0, d1;
	struct cmp_ctx c;
	int rv;

	memset(&b, 0, sizeof(b));
	silver_buf_init(&b.bytes);
	snprintf(base, sizeof(base), "%s/silver-audit-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(base))
		return SILVER_EIO;
	snprintf(dir, sizeof(dir), "%s/replay", base);
	if ((rv = silver_store_create(dir, "audit", "silver-audit replay")) != 0)
		goto out;
	if ((rv = silver_store_open(dir, 0, &r)) != 0)
		goto out;
	if ((rv = silver_store_pin_admin(r, o->admin)) != 0)
		goto out;
	b.off = calloc(BATCH_ENTRIES, sizeof(*b.off));
	b.sl = calloc(BATCH_ENTRIES, sizeof(*b.sl));
	a = silver_arena_new();
	if (!b.off || !b.sl || !a) {
		rv = SILVER_ENOMEM;
		goto out;
	}
	/* Certificates before what they allow. */
	for (int pass = 0; pass < 2 && rv == 0; pass++)
		for (size_t i = 0; i < nfeeds && rv == 0; i++)
			if (feeds[i]->admin == !pass && !feeds[i]->denied && feeds[i]->valid_to > 0)
				rv = replay_feed(st, r, rep, feeds[i], &b, a);
	if (rv != 0)
		goto out;
	rep->state_checked = 1;
	if ((rv = silver_store_digest(st, &d0)) != 0 || (rv = silver_store_digest(r, &d1)) != 0)
		goto out;
	memcpy(rep->state, d0.state, SILVER_HASH_BYTES);
	memcpy(rep->replay_state, d1.state, SILVER_HASH_BYTES);
	rep->records = d0.records;
	if (memcmp(d0.state, d1.state, SILVER_HASH_BYTES) != 0) {
		char h0[2 * SILVER_HASH_BYTES + 1], h1[2 * SILVER_HASH_BYTES + 1];
		silver_hex(d0.state, SILVER_HASH_BYTES, h0);
		silver_hex(d1.state, SILVER_HASH_BYTES, h1);
		audit__add(rep, AUDIT_K_STATE, NULL, NULL, 0,
			   _("the store's state digest %s differs from the digest %s of a replay of its valid entries"), h0,
			   h1);
	}
	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.a = a;
	c.other = r;
	c.stored_side = 1;
	rv = silver_store_list(st, NULL, cmp_one, &c);
	if (rv != 0 && rv != SILVER_ENOMEM) {
		audit__add(rep, AUDIT_K_STATE, NULL, NULL, 0,
			   _("the store's records cannot be read after record %llu: %s"), (unsigned long long)c.walked,
			   _(silver_strerror(rv)));
		rv = 0;
	}
	if (rv == 0) {
		uint64_t differ = c.differ, listed = c.listed;
		c.other = st;
		c.stored_side = 0;
		c.walked = 0;
		rv = silver_store_list(r, NULL, cmp_one, &c);
		if (c.listed > MAX_STATE_FINDINGS)
			audit__add(rep, AUDIT_K_STATE, NULL, NULL, 0, _("%llu records differ in all; the first %d are listed"),
				   (unsigned long long)c.differ, MAX_STATE_FINDINGS);
		(void)differ;
		(void)listed;
	}
	if (rv == 0)
		rv = cmp_cells(st, r, rep);
out:
	silver_store_close(&r);
	silver_arena_destroy(&a);
	silver_buf_release(&b.bytes);
	free(b.off);
	free(b.sl);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rv;
}

int audit__store_checks(const audit_opts *o, silver_store *s, audit_report *rep, audit_feedsum **feeds, size_t nfeeds)
{
	struct fork_ctx fc = {rep, 0};
	int rv = silver_store_forks(s, fork_one, &fc);
	if (rv != 0 && rv != SILVER_ENOMEM)
		rv = audit__add(rep, AUDIT_K_STORE, NULL, NULL, 0, _("the store's forks cannot be read: %s"),
				_(silver_strerror(rv)));
	if (rv != 0 || o->no_replay)
		return rv;
	return replay(o, s, rep, feeds, nfeeds);
}

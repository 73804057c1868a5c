/*
 * trust.c - who may write what: the county admin's certificates and
 * revocations, checked on every ingest path, and the derived-state rebuild
 * a revocation can call for.
 *
 * The rule (docs/AUDIT.md), decidable from entries and certificates alone:
 * an entry of feed (author, township) at seq is authorised iff
 *   - author is the pinned admin key; or
 *   - it is a CHANGE, the admin's feed holds a certificate for author whose
 *     write list holds township (or "*"), and no revocation of author says
 *     the last valid seq of that feed is below seq.
 * Certificates take effect whenever they arrive: an office may work
 * offline before the county certifies its key.  The latest certificate
 * (and revocation) of a key in the admin's feed is the one in force.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store_int.h"

static void why_set(silver_why *why, const char *reason, const uint8_t *key, const silver_slice *tw)
{
	char hex[17];
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (key) {
		silver_hex(key, 8, hex);
		if (tw)
			snprintf(why->detail, sizeof(why->detail), "key %s, township %.*s", hex, (int)tw->n,
				 (const char *)tw->p);
		else
			snprintf(why->detail, sizeof(why->detail), "key %s", hex);
	}
}

static int get_op(silver_store *s, MDB_txn *txn, MDB_dbi dbi, const uint8_t key[SILVER_KEY_BYTES], silver_slice *out)
{
	MDB_val k = {SILVER_KEY_BYTES, (void *)key}, v;
	int rc = mdb_get(txn, dbi, &k, &v);
	(void)s;
	if (rc != 0)
		return silver__mdb_err(rc);
	out->p = v.mv_data;
	out->n = (uint32_t)v.mv_size;
	return 0;
}

int silver_store_pin_admin(silver_store *s, const uint8_t key[SILVER_KEY_BYTES])
{
	MDB_txn *txn;
	int rv;
	if (s->pinned)
		return memcmp(s->admin, key, SILVER_KEY_BYTES) == 0 ? 0 : SILVER_EEXIST;
	if ((rv = silver__mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn))) != 0)
		return rv;
	rv = silver__meta_put(s, txn, "admin", key, SILVER_KEY_BYTES);
	if (rv == 0)
		rv = silver__mdb_err(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	if (rv == 0) {
		memcpy(s->admin, key, SILVER_KEY_BYTES);
		s->pinned = 1;
	}
	return rv;
}

int silver_store_admin(silver_store *s, uint8_t key[SILVER_KEY_BYTES])
{
	if (!s->pinned)
		return SILVER_ENOTFOUND;
	memcpy(key, s->admin, SILVER_KEY_BYTES);
	return 0;
}

uint64_t silver__last_valid(silver_store *s, MDB_txn *txn, const uint8_t author[SILVER_KEY_BYTES],
			    const char *township)
{
	silver_slice raw;
	silver_revoke r;
	silver_arena *a;
	uint64_t last = UINT64_MAX;
	size_t n = strlen(township);

	if (!s->pinned || get_op(s, txn, s->revoked, author, &raw) != 0)
		return UINT64_MAX;
	a = silver_arena_new();
	if (!a)
		return 0; /* fail closed */
	if (silver_revoke_decode(&raw, a, &r) != 0) {
		last = 0;
	} else {
		last = 0; /* feeds the revocation does not list: nothing valid */
		for (uint32_t i = 0; i < r.nlast; i++)
			if (r.last[i].township.n == n && memcmp(r.last[i].township.p, township, n) == 0)
				last = r.last[i].seq;
	}
	silver_arena_destroy(&a);
	return last;
}

/* The part of the rule that depends only on the feed: is there a
 * certificate letting author write township, and what is the feed's last
 * valid seq.  Worked out once per feed and batch (a certificate decode per
 * entry was a measurable share of a bulk ingest). */
static void feed_auth(silver_store *s, MDB_txn *txn, const silver_entry *e, silver_feedauth *fa)
{
	silver_slice raw;
	silver_cert c;
	silver_arena *a;
	char tw[SILVER_MAX_NAME + 1];
	int rv;

	memset(fa, 0, sizeof(*fa));
	fa->checked = 1;
	rv = get_op(s, txn, s->certs, e->author, &raw);
	if (rv == SILVER_ENOTFOUND) {
		why_set(&fa->why, N_("written by a key the county has not certified"), e->author, &e->township);
		fa->rv = SILVER_EDENIED;
		return;
	}
	if (rv != 0) {
		fa->rv = rv;
		return;
	}
	if (!(a = silver_arena_new())) {
		fa->rv = SILVER_ENOMEM;
		return;
	}
	rv = silver_cert_decode(&raw, a, &c);
	if (rv == 0 && (c.role == SILVER_ROLE_ADMIN ||
			!silver_township_in(c.write, c.nwrite, e->township.p, e->township.n))) {
		why_set(&fa->why, N_("the key's certificate does not let it write this township"), e->author,
			&e->township);
		rv = SILVER_EDENIED;
	}
	silver_arena_destroy(&a);
	if (rv != 0) {
		fa->rv = rv == SILVER_EDENIED ? rv : SILVER_ECORRUPT;
		return;
	}
	memcpy(tw, e->township.p, e->township.n);
	tw[e->township.n] = 0;
	fa->last_valid = silver__last_valid(s, txn, e->author, tw);
}

int silver__authorize(silver_store *s, MDB_txn *txn, const silver_entry *e, silver_feedauth *fa, silver_why *why)
{
	silver_feedauth local;

	if (!s->pinned)
		return 0; /* open mode */
	if (memcmp(e->author, s->admin, SILVER_KEY_BYTES) == 0)
		return 0;
	if (e->op.type != SILVER_OP_CHANGE) {
		why_set(why, N_("only the county admin may certify or revoke keys"), e->author, &e->township);
		return SILVER_EDENIED;
	}
	if (!fa) {
		fa = &local;
		fa->checked = 0;
	}
	if (!fa->checked)
		feed_auth(s, txn, e, fa);
	if (fa->rv != 0) {
		if (why)
			*why = fa->why;
		return fa->rv;
	}
	if (e->seq > fa->last_valid) {
		why_set(why, N_("written after the key was revoked"), e->author, &e->township);
		return SILVER_EDENIED;
	}
	return 0;
}

int silver__may_write(silver_wtxn *t, const char *township)
{
	silver_store *s = t->s;
	silver_slice raw;
	silver_cert c;
	silver_arena *a;
	int ok = 0;

	if (strcmp(township, s->township) == 0)
		ok = 1;
	if (!s->pinned)
		return ok;
	if (memcmp(s->self, s->admin, SILVER_KEY_BYTES) == 0)
		return 1;
	if (silver__last_valid(s, t->txn, s->self, township) != UINT64_MAX)
		return 0; /* we have been revoked */
	if (ok || get_op(s, t->txn, s->certs, s->self, &raw) != 0)
		return ok;
	if (!(a = silver_arena_new()))
		return 0;
	if (silver_cert_decode(&raw, a, &c) == 0 && c.role != SILVER_ROLE_ADMIN)
		ok = silver_township_in(c.write, c.nwrite, (const uint8_t *)township, strlen(township));
	silver_arena_destroy(&a);
	return ok;
}

int silver_store_key_allowed(silver_store *s, const uint8_t key[SILVER_KEY_BYTES], silver_why *why)
{
	MDB_txn *txn;
	silver_slice raw;
	MDB_val k = {SILVER_KEY_BYTES, (void *)key}, v;
	int rv;

	if (why)
		memset(why, 0, sizeof(*why));
	if (!s->pinned || memcmp(key, s->admin, SILVER_KEY_BYTES) == 0)
		return 0;
	if ((rv = silver__rtxn(s, &txn)) != 0)
		return rv;
	rv = get_op(s, txn, s->certs, key, &raw);
	if (rv == SILVER_ENOTFOUND) {
		why_set(why, N_("this key is not certified by the county"), key, NULL);
		rv = SILVER_EDENIED;
	} else if (rv == 0 && mdb_get(txn, s->revoked, &k, &v) == 0) {
		why_set(why, N_("this key has been revoked"), key, NULL);
		rv = SILVER_EDENIED;
	}
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_may_read(silver_store *s, const uint8_t reader[SILVER_KEY_BYTES], const char *township)
{
	MDB_txn *txn;
	silver_slice raw;
	silver_cert c;
	silver_arena *a;
	int ok = 0;

	if (!s->pinned || memcmp(reader, s->admin, SILVER_KEY_BYTES) == 0)
		return 1;
	if (strcmp(township, "county") == 0)
		return 1; /* the certificates themselves */
	if (silver__rtxn(s, &txn) != 0)
		return 0;
	if (get_op(s, txn, s->certs, reader, &raw) == 0 && (a = silver_arena_new()) != NULL) {
		if (silver_cert_decode(&raw, a, &c) == 0)
			ok = c.role == SILVER_ROLE_HUB || c.role == SILVER_ROLE_ADMIN ||
			     silver_township_in(c.read, c.nread, (const uint8_t *)township, strlen(township)) ||
			     silver_township_in(c.write, c.nwrite, (const uint8_t *)township, strlen(township));
		silver_arena_destroy(&a);
	}
	silver__rtxn_end(s, txn);
	return ok;
}

int silver_store_curve_keys(silver_store *s, uint8_t pub[32], uint8_t sec[32])
{
	if (!s->secret)
		return SILVER_EINVAL;
	if (crypto_sign_ed25519_pk_to_curve25519(pub, s->self) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(sec, s->secret) != 0)
		return SILVER_ECRYPTO;
	return 0;
}

int silver_curve_public(const uint8_t ed_pk[SILVER_KEY_BYTES], uint8_t out[32])
{
	return crypto_sign_ed25519_pk_to_curve25519(out, ed_pk) == 0 ? 0 : SILVER_EINVAL;
}

/* ---- applying the admin's acts -------------------------------------------------- */

/* Does key hold applied entries beyond what the revocation leaves valid? */
static int revocation_cuts(silver_wtxn *t, const silver_revoke *r)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, cut = 0;
	if (mdb_cursor_open(t->txn, t->s->feeds, &cur) != 0)
		return 1; /* rebuild to be safe */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !cut; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		uint64_t last = 0;
		if (k.mv_size != SILVER_FEEDTAG_BYTES || silver__feed_get(t->s, t->txn, k.mv_data, &fr) != 0)
			continue;
		if (memcmp(fr.author, r->key, SILVER_KEY_BYTES) != 0)
			continue;
		for (uint32_t i = 0; i < r->nlast; i++)
			if (r->last[i].township.n == strlen(fr.township) &&
			    memcmp(r->last[i].township.p, fr.township, r->last[i].township.n) == 0)
				last = r->last[i].seq;
		if (fr.seq > last)
			cut = 1;
	}
	mdb_cursor_close(cur);
	return cut;
}

int silver__trust_apply(silver_wtxn *t, const silver_entry *e)
{
	silver_store *s = t->s;
	silver_arena *a;
	MDB_val k, v = {e->op.raw.n, (void *)e->op.raw.p};
	int rv;

	if (!s->pinned || memcmp(e->author, s->admin, SILVER_KEY_BYTES) != 0)
		return 0; /* only the pinned admin's acts count */
	if (!(a = silver_arena_new()))
		return SILVER_ENOMEM;
	if (e->op.type == SILVER_OP_CERT) {
		silver_cert c;
		if ((rv = silver_cert_decode(&e->op.raw, a, &c)) == 0) {
			k.mv_size = SILVER_KEY_BYTES;
			k.mv_data = c.key;
			rv = silver__mdb_err(mdb_put(t->txn, s->certs, &k, &v, 0));
		}
	} else {
		silver_revoke r;
		if ((rv = silver_revoke_decode(&e->op.raw, a, &r)) == 0) {
			k.mv_size = SILVER_KEY_BYTES;
			k.mv_data = r.key;
			rv = silver__mdb_err(mdb_put(t->txn, s->revoked, &k, &v, 0));
			if (rv == 0 && revocation_cuts(t, &r))
				t->rebuild = 1;
		}
	}
	silver_arena_destroy(&a);
	return rv;
}

/* ---- the admin's acts, written here ------------------------------------------------ */

static int admin_append(silver_wtxn *t, enum silver_optype type, silver_buf *op)
{
	silver_entry e;
	int rv;
	memset(&e, 0, sizeof(e));
	e.op.type = type;
	e.op.raw.p = op->data;
	e.op.raw.n = (uint32_t)op->len;
	rv = silver__append(t, "county", &e);
	silver_arena_reset(t->arena);
	return rv;
}

static int must_be_admin(silver_wtxn *t, silver_why *why)
{
	if (!t->s->pinned || memcmp(t->s->self, t->s->admin, SILVER_KEY_BYTES) != 0) {
		why_set(why, N_("only the county admin's node can do this (silvernode admin init)"), NULL, NULL);
		return SILVER_EDENIED;
	}
	return 0;
}

int silver_wtxn_certify(silver_wtxn *t, const silver_cert *c, silver_why *why)
{
	silver_buf op;
	int rv;
	if (why)
		memset(why, 0, sizeof(*why));
	if ((rv = must_be_admin(t, why)) != 0)
		return rv;
	silver_buf_init(&op);
	rv = silver_cert_encode(c, &op);
	if (rv == SILVER_EINVAL)
		why_set(why, N_("the certificate is not valid (townships sorted, codes of a-z 0-9 _, role)"), NULL, NULL);
	if (rv == 0)
		rv = admin_append(t, SILVER_OP_CERT, &op);
	silver_buf_release(&op);
	return rv;
}

int silver_wtxn_revoke(silver_wtxn *t, const uint8_t key[SILVER_KEY_BYTES], const char *reason, silver_why *why)
{
	silver_lastvalid last[SILVER_MAX_TOWNSHIPS];
	char names[SILVER_MAX_TOWNSHIPS][SILVER_MAX_NAME + 1];
	silver_revoke r;
	silver_buf op;
	MDB_cursor *cur;
	MDB_val k, v;
	int rv, rc;

	if (why)
		memset(why, 0, sizeof(*why));
	if ((rv = must_be_admin(t, why)) != 0)
		return rv;
	memset(&r, 0, sizeof(r));
	memcpy(r.key, key, SILVER_KEY_BYTES);
	r.reason.p = (const uint8_t *)reason;
	r.reason.n = (uint32_t)strlen(reason);
	r.last = last;
	/* What we hold of the key's feeds stays valid; feeds come in tag order,
	 * the list must be in township order: insert sorted. */
	if ((rc = mdb_cursor_open(t->txn, t->s->feeds, &cur)) != 0)
		return silver__mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		uint32_t at;
		if (k.mv_size != SILVER_FEEDTAG_BYTES || silver__feed_get(t->s, t->txn, k.mv_data, &fr) != 0 ||
		    memcmp(fr.author, key, SILVER_KEY_BYTES) != 0 || r.nlast == SILVER_MAX_TOWNSHIPS)
			continue;
		for (at = 0; at < r.nlast && strcmp(names[at], fr.township) < 0; at++)
			;
		memmove(&names[at + 1], &names[at], sizeof(names[0]) * (r.nlast - at));
		memmove(&last[at + 1], &last[at], sizeof(last[0]) * (r.nlast - at));
		snprintf(names[at], sizeof(names[at]), "%s", fr.township);
		last[at].seq = fr.seq;
		r.nlast++;
		for (uint32_t i = 0; i < r.nlast; i++) {
			last[i].township.p = (const uint8_t *)names[i];
			last[i].township.n = (uint32_t)strlen(names[i]);
		}
	}
	mdb_cursor_close(cur);
	silver_buf_init(&op);
	rv = silver_revoke_encode(&r, &op);
	if (rv == 0)
		rv = admin_append(t, SILVER_OP_REVOKE, &op);
	silver_buf_release(&op);
	return rv;
}

/* ---- listing ---------------------------------------------------------------------- */

int silver_store_certs(silver_store *s, silver_cert_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	silver_arena *a;
	int rv, rc;

	if ((rv = silver__rtxn(s, &txn)) != 0)
		return rv;
	if (!(a = silver_arena_new())) {
		silver__rtxn_end(s, txn);
		return SILVER_ENOMEM;
	}
	if ((rc = mdb_cursor_open(txn, s->certs, &cur)) != 0) {
		silver_arena_destroy(&a);
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && rv == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		silver_slice raw = {v.mv_data, (uint32_t)v.mv_size}, rraw;
		silver_cert c;
		silver_revoke r;
		int revoked = 0;
		silver_arena_reset(a);
		if ((rv = silver_cert_decode(&raw, a, &c)) != 0)
			break;
		if (k.mv_size == SILVER_KEY_BYTES && get_op(s, txn, s->revoked, k.mv_data, &rraw) == 0)
			revoked = silver_revoke_decode(&rraw, a, &r) == 0;
		rv = fn(&c, revoked ? &r : NULL, ctx);
	}
	mdb_cursor_close(cur);
	silver_arena_destroy(&a);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_forks(silver_store *s, silver_fork_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rv, rc;

	if ((rv = silver__rtxn(s, &txn)) != 0)
		return rv;
	if ((rc = mdb_cursor_open(txn, s->forks, &cur)) != 0) {
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && rv == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		silver_feedrec fr;
		silver_feedinfo fi;
		uint64_t seq = 0;
		if (k.mv_size != 24)
			continue;
		for (int i = 0; i < 8; i++)
			seq = seq << 8 | p[16 + i];
		memset(&fi, 0, sizeof(fi));
		memcpy(fi.tag, p, SILVER_FEEDTAG_BYTES);
		if (silver__feed_get(s, txn, p, &fr) == 0) {
			memcpy(fi.author, fr.author, SILVER_KEY_BYTES);
			memcpy(fi.township, fr.township, sizeof(fi.township));
			fi.seq = fr.seq;
			memcpy(fi.hash, fr.hash, SILVER_HASH_BYTES);
		}
		rv = fn(&fi, seq, v.mv_data, v.mv_size, ctx);
	}
	mdb_cursor_close(cur);
	silver__rtxn_end(s, txn);
	return rv;
}

/* ---- rebuilding derived state ---------------------------------------------------------- */

int silver__rebuild(silver_wtxn *t)
{
	silver_store *s = t->s;
	MDB_cursor *fc;
	MDB_val k, v;
	silver_arena *a;
	silver_feedrec *feeds = NULL;
	uint8_t (*tags)[SILVER_FEEDTAG_BYTES] = NULL;
	size_t n = 0, cap = 0;
	int rv = 0, rc;

	t->rebuild = 0;
	if ((rc = mdb_drop(t->txn, s->records, 0)) != 0 || (rc = mdb_drop(t->txn, s->touch, 0)) != 0 ||
	    (rc = mdb_drop(t->txn, s->conflicts, 0)) != 0 || (rc = mdb_drop(t->txn, s->aggs, 0)) != 0)
		return silver__mdb_err(rc);
	if ((rv = silver__search_clear(s, t->txn)) != 0)
		return rv;
	memset(t->digest, 0, sizeof(t->digest));
	t->digest_loaded = 1;
	silver__stats_discard(t); /* the cells start again from nothing too */
	{
		/* Per-township digests start again from zero too. */
		MDB_cursor *mc;
		MDB_val mk, mv;
		if ((rc = mdb_cursor_open(t->txn, s->meta, &mc)) != 0)
			return silver__mdb_err(rc);
		mk.mv_size = 6;
		mk.mv_data = "state:";
		for (rc = mdb_cursor_get(mc, &mk, &mv, MDB_SET_RANGE); rc == 0 && mk.mv_size >= 6 &&
									memcmp(mk.mv_data, "state:", 6) == 0;
		     rc = mdb_cursor_get(mc, &mk, &mv, MDB_NEXT))
			mdb_cursor_del(mc, 0);
		mdb_cursor_close(mc);
		t->ntdig = 0;
	}
	/* Collect the feeds first: applying writes to other databases only, but
	 * keep the cursor walk simple and independent of that. */
	if ((rc = mdb_cursor_open(t->txn, s->feeds, &fc)) != 0)
		return silver__mdb_err(rc);
	for (rc = mdb_cursor_get(fc, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(fc, &k, &v, MDB_NEXT)) {
		if (n == cap) {
			void *nf = realloc(feeds, (cap = cap ? cap * 2 : 16) * sizeof(*feeds));
			void *nt = nf ? realloc(tags, cap * sizeof(*tags)) : NULL;
			if (nf)
				feeds = nf;
			if (!nt) {
				rv = SILVER_ENOMEM;
				break;
			}
			tags = nt;
		}
		if (k.mv_size != SILVER_FEEDTAG_BYTES || (rv = silver__feed_get(s, t->txn, k.mv_data, &feeds[n])) != 0)
			break;
		memcpy(tags[n], k.mv_data, SILVER_FEEDTAG_BYTES);
		n++;
	}
	mdb_cursor_close(fc);
	a = rv == 0 ? silver_arena_new() : NULL;
	if (rv == 0 && !a)
		rv = SILVER_ENOMEM;
	for (size_t f = 0; f < n && rv == 0; f++) {
		uint64_t last = silver__last_valid(s, t->txn, feeds[f].author, feeds[f].township);
		for (uint64_t seq = 1; seq <= feeds[f].seq && seq <= last && rv == 0; seq++) {
			uint8_t key[24], *copy;
			MDB_val ek = {24, key}, ev;
			silver_entry e;
			silver__entry_key(tags[f], seq, key);
			if ((rc = mdb_get(t->txn, s->entries, &ek, &ev)) != 0) {
				rv = SILVER_ECORRUPT;
				break;
			}
			silver_arena_reset(a);
			copy = silver_arena_alloc(a, ev.mv_size);
			if (!copy) {
				rv = SILVER_ENOMEM;
				break;
			}
			memcpy(copy, ev.mv_data, ev.mv_size);
			if ((rv = silver_entry_decode(copy, ev.mv_size, a, &e)) != 0)
				break;
			if (e.op.type == SILVER_OP_CHANGE)
				rv = silver__apply(t, &e);
			silver_arena_reset(t->arena);
		}
	}
	silver_arena_destroy(&a);
	free(feeds);
	free(tags);
	return rv;
}

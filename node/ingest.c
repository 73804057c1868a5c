/*
 * ingest.c - receiving entries written elsewhere (bundles, peers) and
 * sending ours.
 *
 * A batch is checked in two phases, and nothing is written unless both pass:
 *  1. without the store: decode every entry (canonical form, limits), check
 *     its operation against the schema, and verify every seal, spread over
 *     the machine's cores (seals are the expensive part);
 *  2. inside one write transaction: per feed, the sequence must continue the
 *     entries held with no gap and each prev must be the hash of the entry
 *     before; an entry we hold already is a duplicate if its body is the
 *     same, and a fork if it differs.  When a sealed entry arrives, every
 *     entry of its feed up to it is applied to the records, in order.
 * Any refusal aborts the transaction, so the store is as it was.
 *
 * Entries after the last seal of a feed are stored as its tail and applied
 * when a later batch brings their seal.  A stored tail is unverified: an
 * entry that differs from it replaces it from that seq on.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

#define VERIFY_MAX_THREADS 8
#define VERIFY_CHUNK 16 /* seals a thread takes at a time: about a millisecond */

struct batch_entry {
	silver_entry e;
	uint8_t tag[SILVER_FEEDTAG_BYTES];
};

struct feedstate {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	silver_feedrec fr;
	size_t *pending;        /* batch indices of unsealed entries of this batch, ascending seq */
	size_t npending, cap;
	int exists, dirty;
	silver_feedauth auth; /* the admin's entries come first: certificates are final by then */
};

/* ---- seal verification ------------------------------------------------------- */

/* The seals of one batch, verified by the store's verification threads.
 * Threads take VERIFY_CHUNK seals at a time, batches in the order they
 * were started: the oldest batch is done first, and a batch started ahead
 * (silver_store_ingest_start while the one before is being committed)
 * keeps the threads busy in the meantime.  A thread that waits for a
 * batch verifies its remaining seals itself. */
struct vtask {
	const struct batch_entry *b;
	const size_t *idx; /* batch indices of the sealed entries */
	size_t n;
	size_t next; /* first seal no thread took yet */
	size_t done; /* seals verified (or skipped after a bad one) */
	size_t bad;  /* batch index of a seal that does not verify, SIZE_MAX none */
	int queued;
	struct vtask *qnext;
};

struct silver__vpool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	pthread_t th[VERIFY_MAX_THREADS];
	size_t nt;
	int stop;
	struct vtask *head, *tail;
};

static void vtask_unqueue(struct silver__vpool *p, struct vtask *t)
{
	struct vtask **pp = &p->head, *prev = NULL;
	while (*pp && *pp != t) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (!*pp)
		return;
	*pp = t->qnext;
	if (p->tail == t)
		p->tail = prev;
	t->queued = 0;
	t->qnext = NULL;
}

/* Take the next chunk of t (lock held); 0 when none is left. */
static int vtask_claim(struct silver__vpool *p, struct vtask *t, size_t *from, size_t *to)
{
	if (t->next >= t->n)
		return 0;
	*from = t->next;
	*to = t->n - t->next > VERIFY_CHUNK ? t->next + VERIFY_CHUNK : t->n;
	t->next = *to;
	if (t->next == t->n && t->queued)
		vtask_unqueue(p, t);
	return 1;
}

/* Verify [from, to) of t without the lock, then account for it with it held. */
static void vtask_run(struct silver__vpool *p, struct vtask *t, size_t from, size_t to)
{
	size_t bad = SIZE_MAX;
	pthread_mutex_unlock(&p->lock);
	for (size_t k = from; k < to; k++) {
		const silver_entry *e = &t->b[t->idx[k]].e;
		if (silver_seal_verify(e->hash, e->author, e->sig) != 0) {
			bad = t->idx[k];
			break;
		}
	}
	pthread_mutex_lock(&p->lock);
	t->done += to - from;
	if (bad != SIZE_MAX) {
		if (bad < t->bad)
			t->bad = bad;
		/* the batch is refused anyway: skip what nobody took yet */
		t->done += t->n - t->next;
		t->next = t->n;
		if (t->queued)
			vtask_unqueue(p, t);
	}
	if (t->done == t->n)
		pthread_cond_broadcast(&p->done);
}

static void *vpool_main(void *arg)
{
	struct silver__vpool *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct vtask *t = p->head;
		size_t from, to;
		if (!t) {
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		if (vtask_claim(p, t, &from, &to))
			vtask_run(p, t, from, to);
		else
			vtask_unqueue(p, t); /* (cannot happen: fully taken tasks leave the queue) */
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* The store's verification threads, one per core, started on first use.
 * NULL when they cannot be started: then the waiting thread verifies all. */
static struct silver__vpool *vpool_get(silver_store *s)
{
	struct silver__vpool *p;
	long cores;
	size_t nt;

	if (s->vpool)
		return s->vpool;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	nt = cores > 0 ? (size_t)cores : 1;
	if (nt > VERIFY_MAX_THREADS)
		nt = VERIFY_MAX_THREADS;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (p->nt = 0; p->nt < nt; p->nt++)
		if (pthread_create(&p->th[p->nt], NULL, vpool_main, p) != 0)
			break;
	if (p->nt == 0) {
		pthread_cond_destroy(&p->done);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	s->vpool = p;
	return p;
}

void silver__vpool_destroy(silver_store *s)
{
	struct silver__vpool *p = s->vpool;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->nt; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
	s->vpool = NULL;
}

static void vtask_start(silver_store *s, struct vtask *t, const struct batch_entry *b, const size_t *idx, size_t n)
{
	struct silver__vpool *p = n ? vpool_get(s) : NULL;

	memset(t, 0, sizeof(*t));
	t->b = b;
	t->idx = idx;
	t->n = n;
	t->bad = SIZE_MAX;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	t->queued = 1;
	if (p->tail)
		p->tail->qnext = t;
	else
		p->head = t;
	p->tail = t;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

/* Wait until every seal of t is verified, taking part; the batch index of
 * a seal that does not verify, or SIZE_MAX. */
static size_t vtask_wait(silver_store *s, struct vtask *t)
{
	struct silver__vpool *p = s->vpool;
	size_t from, to;

	if (!p) {
		/* no threads: verify here (t was never queued) */
		if (t->done < t->n) {
			for (size_t k = 0; k < t->n && t->bad == SIZE_MAX; k++) {
				const silver_entry *e = &t->b[t->idx[k]].e;
				if (silver_seal_verify(e->hash, e->author, e->sig) != 0)
					t->bad = t->idx[k];
			}
			t->next = t->done = t->n;
		}
		return t->bad;
	}
	pthread_mutex_lock(&p->lock);
	while (vtask_claim(p, t, &from, &to))
		vtask_run(p, t, from, to);
	while (t->done < t->n)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return t->bad;
}

struct ingest {
	silver_store *s;
	size_t *order; /* the admin's entries first: certificates before what they allow */
	const silver_slice *in;
	size_t n;
	struct batch_entry *b;
	silver_arena *arena;
	silver_ingest_report *rep;
	silver_why *why;
	struct feedstate *feeds;
	size_t nfeeds, capfeeds;
	size_t bad; /* index of the entry refused, for the message */
	size_t fork; /* with SILVER_EFORK: the batch index of the second entry */
	size_t *sealed; /* batch indices of sealed entries, being verified */
	struct vtask ver;
	int verifying;
	int decode_rv;   /* phase 1 refused an entry (why in decode_why) */
	silver_why decode_why;
};


static void why_entry(silver_why *why, const silver_entry *e, const char *reason)
{
	char hex[17];
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	silver_hex(e->author, 8, hex);
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	snprintf(why->detail, sizeof(why->detail), "feed %s/%.*s seq %llu", hex, (int)e->township.n,
		 (const char *)e->township.p, (unsigned long long)e->seq);
}

/* Wait for the seal checks; SILVER_EBADSIG (with why) when one failed. */
static int seals_verified(struct ingest *g)
{
	size_t bad;
	if (!g->verifying)
		return 0;
	bad = vtask_wait(g->s, &g->ver);
	if (bad == SIZE_MAX)
		return 0;
	why_entry(g->why, &g->b[bad].e, N_("the seal does not verify: altered, or not signed by its author"));
	return SILVER_EBADSIG;
}

/* ---- phase 1 ------------------------------------------------------------------ */

/* A received value is valid for its field iff writing it back as text and
 * parsing that gives the same canonical value: one set of rules (schema.c)
 * for what users type and what peers send. */
static int value_ok(const silver_field *f, const silver_value *v, silver_arena *a, silver_buf *tmp)
{
	silver_value back;
	char why[200];
	if (v->type == SILVER_V_NIL)
		return !f->required;
	if (v->type == SILVER_V_BOOL)
		return 0;
	silver_buf_reset(tmp);
	if (silver_schema_format(f, v, tmp) != 0)
		return 0;
	if (silver_schema_parse(f, (const char *)tmp->data, a, &back, why, sizeof(why)) != 0)
		return 0;
	return silver_value_equal(v, &back);
}

static int op_check(const silver_entry *e, silver_arena *a, silver_buf *tmp, const char **reason)
{
	const silver_op *op = &e->op;
	const silver_collection *c;
	silver_slice tw, coll;
	char name[SILVER_MAX_NAME + 1];

	if (op->type != SILVER_OP_CHANGE)
		return 0; /* certificates: checked by the trust rules */
	if (op->collection.n > SILVER_MAX_NAME) {
		*reason = N_("unknown collection");
		return SILVER_ESCHEMA;
	}
	memcpy(name, op->collection.p, op->collection.n);
	name[op->collection.n] = 0;
	if (!(c = silver_schema_find(name))) {
		*reason = N_("unknown collection");
		return SILVER_ESCHEMA;
	}
	if (silver_schema_split_id((const char *)op->record.p, op->record.n, &tw, &coll) != 0 ||
	    coll.n != op->collection.n || memcmp(coll.p, op->collection.p, coll.n) != 0) {
		*reason = N_("record id does not fit its collection");
		return SILVER_ESCHEMA;
	}
	if (tw.n != e->township.n || memcmp(tw.p, e->township.p, tw.n) != 0) {
		*reason = N_("record belongs to another township than the feed");
		return SILVER_EDENIED;
	}
	for (uint32_t i = 0; i < op->nwrites; i++) {
		const silver_write *w = &op->writes[i];
		const silver_field *f;
		if (w->field.n == 4 && memcmp(w->field.p, "_del", 4) == 0) {
			if (w->value.type != SILVER_V_BOOL) {
				*reason = N_("_del must be true or false");
				return SILVER_ESCHEMA;
			}
			continue;
		}
		f = silver_schema_field(c, (const char *)w->field.p, w->field.n);
		if (!f) {
			*reason = N_("unknown field");
			return SILVER_ESCHEMA;
		}
		if (!value_ok(f, &w->value, a, tmp)) {
			*reason = N_("a value does not fit its field");
			return SILVER_ESCHEMA;
		}
	}
	return 0;
}

/* Decode every entry and start verifying the seals; nothing here reads
 * the store, so it may run while an earlier batch is being written. */
static int phase1(struct ingest *g)
{
	size_t *sealed, nsealed = 0;
	int rv = 0;

	g->b = calloc(g->n ? g->n : 1, sizeof(*g->b));
	sealed = calloc(g->n ? g->n : 1, sizeof(*sealed));
	if (!g->b || !sealed) {
		rv = SILVER_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < g->n; i++) {
		silver_entry *e = &g->b[i].e;
		rv = silver_entry_decode(g->in[i].p, g->in[i].n, g->arena, e);
		if (rv != 0) {
			g->bad = i;
			memset(&g->decode_why, 0, sizeof(g->decode_why));
			snprintf(g->decode_why.reason, sizeof(g->decode_why.reason), "%s", silver_strerror(rv));
			snprintf(g->decode_why.detail, sizeof(g->decode_why.detail), "entry %zu of %zu", i + 1, g->n);
			goto out;
		}
		silver_feedtag(e->author, e->township.p, e->township.n, g->b[i].tag);
		if (e->sealed)
			sealed[nsealed++] = i;
	}
	g->sealed = sealed;
	vtask_start(g->s, &g->ver, g->b, sealed, nsealed);
	g->verifying = 1;
	return 0;
out:
	free(sealed);
	return rv;
}

/* The admin's entries first: certificates before what they allow. */
static int order_batch(struct ingest *g)
{
	size_t k = 0;
	g->order = calloc(g->n ? g->n : 1, sizeof(*g->order));
	if (!g->order)
		return SILVER_ENOMEM;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < g->n; i++)
			if ((g->s->pinned && memcmp(g->b[i].e.author, g->s->admin, SILVER_KEY_BYTES) == 0) == !pass)
				g->order[k++] = i;
	return 0;
}

/* ---- phase 2 ------------------------------------------------------------------ */

/* The batch's chain from entry i: the entries of its feed that follow it
 * seq by seq, each one's prev the hash of the one before, up to the first
 * sealed one.  Returns its length when it ends in a seal (seals were
 * verified in phase 1), else 0; out (may be NULL) gets the batch indices. */
static size_t sealed_chain(const struct ingest *g, size_t i, size_t *out, size_t max)
{
	size_t n = 0, cur = i;
	for (;;) {
		const struct batch_entry *c = &g->b[cur];
		size_t next = SIZE_MAX;
		if (out && n < max)
			out[n] = cur;
		n++;
		if (c->e.sealed)
			return n;
		if (n >= max && out)
			return 0;
		for (size_t k = 0; k < g->n; k++) {
			const struct batch_entry *x = &g->b[k];
			if (x->e.seq == c->e.seq + 1 && memcmp(x->tag, c->tag, SILVER_FEEDTAG_BYTES) == 0 &&
			    memcmp(x->e.prev, c->e.hash, SILVER_HASH_BYTES) == 0) {
				next = k;
				break;
			}
		}
		if (next == SIZE_MAX || n > g->n)
			return 0;
		cur = next;
	}
}

static struct feedstate *feed_state(struct ingest *g, silver_wtxn *t, const struct batch_entry *be, int *rv)
{
	struct feedstate *f;
	for (size_t i = g->nfeeds; i-- > 0;)
		if (memcmp(g->feeds[i].tag, be->tag, SILVER_FEEDTAG_BYTES) == 0)
			return &g->feeds[i];
	if (g->nfeeds == g->capfeeds) {
		struct feedstate *nf = realloc(g->feeds, (g->capfeeds = g->capfeeds ? g->capfeeds * 2 : 8) * sizeof(*nf));
		if (!nf) {
			*rv = SILVER_ENOMEM;
			return NULL;
		}
		g->feeds = nf;
	}
	f = &g->feeds[g->nfeeds];
	memset(f, 0, sizeof(*f));
	memcpy(f->tag, be->tag, SILVER_FEEDTAG_BYTES);
	*rv = silver__feed_get(t->s, t->txn, be->tag, &f->fr);
	if (*rv == 0) {
		f->exists = 1;
		if (memcmp(f->fr.author, be->e.author, SILVER_KEY_BYTES) != 0) {
			*rv = SILVER_ECORRUPT;
			return NULL;
		}
	} else if (*rv == SILVER_ENOTFOUND) {
		memcpy(f->fr.author, be->e.author, SILVER_KEY_BYTES);
		memcpy(f->fr.township, be->e.township.p, be->e.township.n);
		f->fr.township[be->e.township.n] = 0;
		*rv = 0;
	} else {
		return NULL;
	}
	g->nfeeds++;
	return f;
}

/* The stored entry at (tag, seq), copied into the arena and decoded. */
static int stored_entry(silver_wtxn *t, const uint8_t *tag, uint64_t seq, silver_arena *a, silver_entry *e,
			silver_slice *raw)
{
	uint8_t key[24], *copy;
	MDB_val k = {24, key}, v;
	int rc;
	silver__entry_key(tag, seq, key);
	rc = mdb_get(t->txn, t->s->entries, &k, &v);
	if (rc != 0)
		return rc == MDB_NOTFOUND ? SILVER_ECORRUPT : silver__mdb_err(rc);
	copy = silver_arena_alloc(a, v.mv_size);
	if (!copy)
		return SILVER_ENOMEM;
	memcpy(copy, v.mv_data, v.mv_size);
	if (raw) {
		raw->p = copy;
		raw->n = (uint32_t)v.mv_size;
	}
	return e ? silver_entry_decode(copy, v.mv_size, a, e) : 0;
}

static int put_bytes(silver_wtxn *t, const uint8_t *tag, uint64_t seq, const silver_slice *bytes)
{
	uint8_t key[24];
	MDB_val k = {24, key}, v = {bytes->n, (void *)bytes->p};
	silver__entry_key(tag, seq, key);
	return silver__mdb_err(mdb_put(t->txn, t->s->entries, &k, &v, 0));
}

/* Does the stored entry hold the same body as e? */
static int same_body(const silver_slice *stored, const silver_entry *e)
{
	return stored->n > e->body.n && memcmp(stored->p + 1, e->body.p, e->body.n) == 0;
}

static int apply_one(struct ingest *g, silver_wtxn *t, const silver_entry *e)
{
	int rv;
	uint64_t now = silver__now_ms();
	if (t->restored && e->seq > t->restored_tip && memcmp(e->author, t->s->self, SILVER_KEY_BYTES) == 0) {
		/* Our own entries written after the backup came back: caught up. */
		MDB_val k = {8, "restored"};
		int rc = mdb_del(t->txn, t->s->meta, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return silver__mdb_err(rc);
		t->restored = 0;
	}
	if (silver_hlc_observe(&t->hlc, e->hlc, now, SILVER_MAX_SKEW_MS) == SILVER_ESKEW)
		g->rep->skewed++;
	rv = silver__apply(t, e);
	silver_arena_reset(t->arena);
	g->rep->applied++;
	return rv;
}

/* A seal arrived: apply (fr.seq, sealer.seq] in order, each entry from this
 * batch when it came in it, else from the stored tail. */
static int seal_reached(struct ingest *g, silver_wtxn *t, struct feedstate *f, const silver_entry *sealer)
{
	silver_arena *a = NULL;
	size_t k = 0, keep = 0;
	int rv = 0;
	for (uint64_t s = f->fr.seq + 1; s < sealer->seq && rv == 0; s++) {
		silver_entry e;
		while (k < f->npending && g->b[f->pending[k]].e.seq < s)
			k++;
		if (k < f->npending && g->b[f->pending[k]].e.seq == s) {
			rv = apply_one(g, t, &g->b[f->pending[k]].e);
			continue;
		}
		if (!a && !(a = silver_arena_new()))
			return SILVER_ENOMEM;
		silver_arena_reset(a);
		if ((rv = stored_entry(t, f->tag, s, a, &e, NULL)) == 0)
			rv = apply_one(g, t, &e);
	}
	silver_arena_destroy(&a);
	if (rv == 0)
		rv = apply_one(g, t, sealer);
	for (k = 0; k < f->npending; k++)
		if (g->b[f->pending[k]].e.seq > sealer->seq)
			f->pending[keep++] = f->pending[k];
	f->npending = keep;
	f->fr.seq = sealer->seq;
	memcpy(f->fr.hash, sealer->hash, SILVER_HASH_BYTES);
	return rv;
}

static int phase2(silver_wtxn *t, void *vctx)
{
	struct ingest *g = vctx;
	silver_arena *a = silver_arena_new();
	silver_buf tmp;
	silver_why dwhy;
	int rv = 0, deferred = 0;
	MDB_stat st;

	silver_buf_init(&tmp);
	memset(&dwhy, 0, sizeof(dwhy));
	if (!a)
		return SILVER_ENOMEM;
	/* This runs again from the start if the map had to grow. */
	memset(g->rep, 0, sizeof(*g->rep));
	g->rep->received = g->n;
	for (size_t i = 0; i < g->nfeeds; i++)
		free(g->feeds[i].pending);
	g->nfeeds = 0;
	if (mdb_stat(t->txn, t->s->conflicts, &st) == 0)
		g->rep->conflicts_before = st.ms_entries;

	for (size_t oi = 0; oi < g->n && rv == 0; oi++) {
		size_t i = g->order[oi];
		struct batch_entry *be = &g->b[i];
		const silver_entry *e = &be->e;
		struct feedstate *f = feed_state(g, t, be, &rv);
		silver_slice stored = {NULL, 0};
		if (!f)
			break;
		silver_arena_reset(a);
		if (e->seq <= f->fr.seq) {
			if ((rv = stored_entry(t, f->tag, e->seq, a, NULL, &stored)) != 0)
				break;
			if (!same_body(&stored, e)) {
				if (sealed_chain(g, i, NULL, 0) == 0) {
					/* Not signed: an altered copy, not proof of anything. */
					why_entry(g->why, e, N_("differs from the entry held for the same feed and seq, "
								"and no seal covers it (altered?)"));
					rv = SILVER_ECHAIN;
					break;
				}
				why_entry(g->why, e, N_("differs from the sealed entry held for the same feed and seq (a fork)"));
				g->fork = i;
				rv = SILVER_EFORK;
				break;
			}
			g->rep->duplicates++;
			continue;
		}
		if (e->seq <= f->fr.tail_seq) {
			if ((rv = stored_entry(t, f->tag, e->seq, a, NULL, &stored)) != 0)
				break;
			if (same_body(&stored, e)) {
				if (!e->sealed) {
					g->rep->duplicates++;
					continue;
				}
				/* The seal for a tail we held unsealed. */
				if ((rv = put_bytes(t, f->tag, e->seq, &g->in[i])) != 0)
					break;
				rv = seal_reached(g, t, f, e);
				f->dirty = 1;
				continue;
			}
			/* An unverified tail that this entry contradicts: drop it from here. */
			for (uint64_t s = e->seq; s <= f->fr.tail_seq && rv == 0; s++) {
				uint8_t key[24];
				MDB_val k = {24, key};
				silver__entry_key(f->tag, s, key);
				rv = silver__mdb_err(mdb_del(t->txn, t->s->entries, &k, NULL));
			}
			if (rv != 0)
				break;
			{
				size_t keep = 0;
				for (size_t k = 0; k < f->npending; k++)
					if (g->b[f->pending[k]].e.seq < e->seq)
						f->pending[keep++] = f->pending[k];
				f->npending = keep;
			}
			{
				silver_entry old;
				if ((rv = stored_entry(t, f->tag, e->seq - 1, a, &old, NULL)) != 0 && e->seq - 1 > 0)
					break;
				rv = 0;
				f->fr.tail_seq = e->seq - 1;
				if (e->seq - 1 == 0)
					memset(f->fr.tail_hash, 0, SILVER_HASH_BYTES);
				else
					memcpy(f->fr.tail_hash, old.hash, SILVER_HASH_BYTES);
			}
		}
		if (e->seq != f->fr.tail_seq + 1) {
			why_entry(g->why, e, N_("entries are missing before this one (a gap in the sequence)"));
			rv = SILVER_ECHAIN;
			break;
		}
		if (memcmp(e->prev, f->fr.tail_hash, SILVER_HASH_BYTES) != 0) {
			why_entry(g->why, e, N_("does not follow the entry before it (prev hash differs)"));
			rv = SILVER_ECHAIN;
			break;
		}
		/* The entry is intact and in place.  Whether it is allowed and fits
		 * the schema is judged now, but a refusal waits for the end of the
		 * batch: damage found later (a broken chain, a gap) is the truer
		 * reason, since damage can make an entry look unauthorised. */
		if (!deferred) {
			const char *reason = NULL;
			silver_arena_reset(a);
			if ((deferred = silver__authorize(t->s, t->txn, e, &f->auth, &dwhy)) == 0 &&
			    (deferred = op_check(e, a, &tmp, &reason)) != 0)
				why_entry(&dwhy, e, reason);
		}
		if ((rv = put_bytes(t, f->tag, e->seq, &g->in[i])) != 0)
			break;
		g->rep->stored++;
		f->fr.tail_seq = e->seq;
		memcpy(f->fr.tail_hash, e->hash, SILVER_HASH_BYTES);
		f->dirty = 1;
		if (e->sealed) {
			rv = seal_reached(g, t, f, e);
		} else {
			if (f->npending == f->cap) {
				size_t *np = realloc(f->pending, (f->cap = f->cap ? f->cap * 2 : 64) * sizeof(*np));
				if (!np) {
					rv = SILVER_ENOMEM;
					break;
				}
				f->pending = np;
			}
			f->pending[f->npending++] = i;
		}
	}
	{
		/* A bad seal is the truest reason of all: damage explains the rest. */
		int sv = seals_verified(g);
		if (sv != 0)
			rv = sv;
	}
	if (rv == 0 && deferred) {
		rv = deferred;
		if (g->why)
			*g->why = dwhy;
	}
	for (size_t i = 0; i < g->nfeeds && rv == 0; i++) {
		g->rep->waiting += g->feeds[i].fr.tail_seq - g->feeds[i].fr.seq;
		if (g->feeds[i].dirty)
			rv = silver__feed_put(t->s, t->txn, g->feeds[i].tag, &g->feeds[i].fr);
	}
	if (rv == 0 && mdb_stat(t->txn, t->s->conflicts, &st) == 0)
		g->rep->conflicts_after = st.ms_entries;
	silver_buf_release(&tmp);
	silver_arena_destroy(&a);
	return rv;
}

/* ---- keeping a fork as evidence ----------------------------------------------------- */

/* Both sides of a fork, each from the disputed seq to its first seal.  Ours
 * comes from the store; theirs from the batch (its seals were verified in
 * phase 1).  When the batch holds no seal for its side, nothing is proved
 * and nothing is kept. */
static int keep_fork(silver_wtxn *t, void *vctx)
{
	struct ingest *g = vctx;
	const struct batch_entry *be = &g->b[g->fork];
	silver_slice *mine = NULL, *theirs = NULL;
	size_t nm = 0, nt = 0;
	silver_arena *a = silver_arena_new();
	silver_buf proof;
	int rv = 0, sealed = 0;

	silver_buf_init(&proof);
	mine = calloc(SILVER_MAX_PROOF_SIDE, sizeof(*mine));
	theirs = calloc(SILVER_MAX_PROOF_SIDE, sizeof(*theirs));
	if (!a || !mine || !theirs) {
		rv = SILVER_ENOMEM;
		goto out;
	}
	{
		size_t idx[SILVER_MAX_PROOF_SIDE];
		nt = sealed_chain(g, g->fork, idx, SILVER_MAX_PROOF_SIDE);
		for (size_t k = 0; k < nt; k++)
			theirs[k] = g->in[idx[k]];
		sealed = nt > 0;
	}
	if (!sealed)
		goto out;
	sealed = 0;
	for (uint64_t seq = be->e.seq; nm < SILVER_MAX_PROOF_SIDE && !sealed; seq++) {
		silver_entry e;
		if ((rv = stored_entry(t, be->tag, seq, a, &e, &mine[nm])) != 0)
			goto out;
		nm++;
		sealed = e.sealed;
	}
	if ((rv = silver_fork_proof_encode(mine, nm, theirs, nt, &proof)) == 0) {
		silver_fork_info info;
		uint8_t key[24];
		MDB_val k = {24, key}, v = {proof.len, proof.data};
		/* Keep only what anyone could check: a proof that does not verify
		 * accuses a key of nothing. */
		if (silver_fork_proof_verify(proof.data, proof.len, &info) != 0)
			goto out;
		silver__entry_key(be->tag, be->e.seq, key);
		rv = silver__mdb_err(mdb_put(t->txn, t->s->forks, &k, &v, 0));
	}
out:
	silver_buf_release(&proof);
	free(mine);
	free(theirs);
	silver_arena_destroy(&a);
	return rv;
}

struct silver_ingest_prep {
	struct ingest g;
};

int silver_store_ingest_start(silver_store *s, const silver_slice *entries, size_t n, silver_ingest_prep **out)
{
	silver_ingest_prep *p;
	struct ingest *g;
	int rv;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return SILVER_ENOMEM;
	g = &p->g;
	g->s = s;
	g->in = entries;
	g->n = n;
	if (!(g->arena = silver_arena_new())) {
		free(p);
		return SILVER_ENOMEM;
	}
	rv = phase1(g);
	if (rv == SILVER_ENOMEM) {
		silver_store_ingest_cancel(&p);
		return rv;
	}
	g->decode_rv = rv; /* a refusal: told by silver_store_ingest_finish */
	*out = p;
	return 0;
}

static void prep_free(silver_ingest_prep *p)
{
	struct ingest *g = &p->g;
	for (size_t i = 0; i < g->nfeeds; i++)
		free(g->feeds[i].pending);
	free(g->feeds);
	free(g->order);
	free(g->sealed);
	free(g->b);
	silver_arena_destroy(&g->arena);
	free(p);
}

void silver_store_ingest_cancel(silver_ingest_prep **pp)
{
	silver_ingest_prep *p = pp ? *pp : NULL;
	if (!p)
		return;
	if (p->g.verifying)
		(void)vtask_wait(p->g.s, &p->g.ver); /* the threads must be done with it */
	prep_free(p);
	*pp = NULL;
}

int silver_store_ingest_finish(silver_ingest_prep **pp, silver_ingest_report *rep, silver_why *why)
{
	silver_ingest_prep *p = *pp;
	struct ingest *g = &p->g;
	silver_ingest_report local;
	int rv;

	if (why)
		memset(why, 0, sizeof(*why));
	g->rep = rep ? rep : &local;
	g->why = why;
	memset(g->rep, 0, sizeof(*g->rep));
	g->rep->received = g->n;
	rv = g->decode_rv;
	if (rv != 0) {
		if (why)
			*why = g->decode_why;
	} else if ((rv = order_batch(g)) == 0 && g->n > 0) {
		rv = silver_store_write(g->s, phase2, g);
	}
	if (g->verifying) {
		int sv = seals_verified(g);
		if (sv != 0 && rv != SILVER_EBADSIG)
			rv = sv; /* e.g. phase 2 could not start: still never report a bad seal as fine */
	}
	if (rv == SILVER_EFORK && silver_store_write(g->s, keep_fork, g) != 0)
		rv = SILVER_EFORK; /* the refusal stands even if the evidence could not be kept */
	prep_free(p);
	*pp = NULL;
	return rv;
}

int silver_store_ingest(silver_store *s, const silver_slice *entries, size_t n, silver_ingest_report *rep,
			silver_why *why)
{
	silver_ingest_prep *p;
	int rv = silver_store_ingest_start(s, entries, n, &p);
	if (rv != 0) {
		if (why)
			memset(why, 0, sizeof(*why));
		if (rep) {
			memset(rep, 0, sizeof(*rep));
			rep->received = n;
		}
		return rv;
	}
	return silver_store_ingest_finish(&p, rep, why);
}

/* ---- sending ---------------------------------------------------------------------- */

int silver__rtxn(silver_store *s, MDB_txn **txn)
{
	int rc;
	if (s->snap) {
		*txn = s->snap; /* silver_store_snapshot: every read sees one state */
		return 0;
	}
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		silver__map_note(s);
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	return silver__mdb_err(rc);
}

void silver__rtxn_end(silver_store *s, MDB_txn *txn)
{
	if (txn != s->snap)
		mdb_txn_abort(txn);
}

int silver_store_snapshot(silver_store *s, int on)
{
	int rv = 0;
	if (on && !s->snap) {
		MDB_txn *txn;
		if ((rv = silver__rtxn(s, &txn)) == 0)
			s->snap = txn;
	} else if (!on && s->snap) {
		mdb_txn_abort(s->snap);
		s->snap = NULL;
	}
	return rv;
}

int silver_store_export(silver_store *s, const silver_have *have, size_t nhave, silver_feedfilter_fn filter,
			void *fctx, silver_bytes_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rv = silver__rtxn(s, &txn);
	if (rv != 0)
		return rv;
	rv = silver__export(s, txn, have, nhave, filter, fctx, fn, ctx);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver__export(silver_store *s, MDB_txn *txn, const silver_have *have, size_t nhave,
		   silver_feedfilter_fn filter, void *fctx, silver_bytes_fn fn, void *ctx)
{
	MDB_cursor *fc, *ec;
	MDB_val k, v;
	int rv = 0, rc;

	if ((rc = mdb_cursor_open(txn, s->feeds, &fc)) != 0)
		return silver__mdb_err(rc);
	if ((rc = mdb_cursor_open(txn, s->entries, &ec)) != 0) {
		mdb_cursor_close(fc);
		return silver__mdb_err(rc);
	}
	for (rc = mdb_cursor_get(fc, &k, &v, MDB_FIRST); rc == 0 && rv == 0; rc = mdb_cursor_get(fc, &k, &v, MDB_NEXT)) {
		silver_feedrec fr;
		silver_feedinfo fi;
		uint64_t from = 1;
		uint8_t key[24];
		MDB_val ek, ev;
		if (k.mv_size != SILVER_FEEDTAG_BYTES || (rv = silver__feed_get(s, txn, k.mv_data, &fr)) != 0) {
			rv = rv ? rv : SILVER_ECORRUPT;
			break;
		}
		memset(&fi, 0, sizeof(fi));
		memcpy(fi.tag, k.mv_data, SILVER_FEEDTAG_BYTES);
		memcpy(fi.author, fr.author, SILVER_KEY_BYTES);
		memcpy(fi.township, fr.township, sizeof(fi.township));
		fi.seq = fr.seq;
		memcpy(fi.hash, fr.hash, SILVER_HASH_BYTES);
		if (filter && !filter(&fi, fctx))
			continue;
		{
			/* Entries a revocation made invalid are evidence, not data to pass on. */
			uint64_t last = silver__last_valid(s, txn, fr.author, fr.township);
			if (fr.seq > last)
				fr.seq = last;
		}
		for (size_t i = 0; i < nhave; i++)
			if (memcmp(have[i].tag, fi.tag, SILVER_FEEDTAG_BYTES) == 0)
				from = have[i].seq + 1;
		if (from > fr.seq)
			continue;
		silver__entry_key(fi.tag, from, key);
		ek.mv_size = 24;
		ek.mv_data = key;
		for (rc = mdb_cursor_get(ec, &ek, &ev, MDB_SET_KEY); rc == 0 && rv == 0;
		     rc = mdb_cursor_get(ec, &ek, &ev, MDB_NEXT)) {
			const uint8_t *kp = ek.mv_data;
			uint64_t seq = 0;
			if (ek.mv_size != 24 || memcmp(kp, fi.tag, SILVER_FEEDTAG_BYTES) != 0)
				break;
			for (int b = 0; b < 8; b++)
				seq = seq << 8 | kp[16 + b];
			if (seq > fr.seq)
				break; /* an unsealed tail is not passed on */
			rv = fn(ev.mv_data, ev.mv_size, ctx);
		}
		if (rc != 0 && rc != MDB_NOTFOUND && rv == 0)
			rv = silver__mdb_err(rc);
		rc = 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND && rv == 0)
		rv = silver__mdb_err(rc);
	mdb_cursor_close(ec);
	mdb_cursor_close(fc);
	return rv;
}

/*
 * audit_scan.c - the walk over every entry of a bundle or a store, and the
 * checks made on the way (docs/AUDIT.md, "What is verified").
 *
 * The walk is one pass in the order the entries stand: feed by feed, each
 * feed in ascending seq.  A bundle is read as a stream through one fixed
 * buffer (walk_bundle), so memory does not follow the file's size; a
 * framing break found on the way makes the bundle one `damaged' finding,
 * as before the walk began.  Per entry, on the walking thread: decode it
 * (silver_entry_decode: limits, canonical form, hash), place it in its
 * feed's chain (seq and prev against the last entry kept for the feed; a
 * window of the feed's recent hashes tells duplicates and forks from
 * reordered entries), check its clock against the entry before and against
 * the bundle's (or the audit's) time, and note what authorisation needs.
 *
 * Seals are the expensive part.  A sealed entry becomes a job (hash, key,
 * signature, the seqs it covers) in a chunk; full chunks go to verifier
 * threads through a bounded ring, so memory stays flat however long the
 * input, and the walk goes on while they work.  The county admin's entries
 * are verified at once on the walking thread instead: a certificate counts
 * only when a verified seal covers it on an unbroken chain.
 *
 * Authorisation (the rule at the top of node/trust.c, restated in
 * docs/AUDIT.md) depends only on a feed's author and township and on the
 * entry's seq, and certificates take effect whenever they arrive, so it is
 * decided per feed once the walk is over: each feed keeps the range of its
 * CHANGE entries, and the latest certificate and revocation of each key
 * are looked up at the end.  No second pass over the entries is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "silver_i18n.h"

#define VCHUNK 256   /* seals per verifier job */
#define VRING 8      /* jobs in flight */
#define WINDOW 256   /* recent (seq, hash) pairs kept per feed */
#define MAX_THREADS 8

/* ---- findings ----------------------------------------------------------------- */

int audit__add(audit_report *rep, const char *kind, const uint8_t *author, const char *township, uint64_t seq,
	       const char *fmt, ...)
{
	audit_finding *f;
	va_list ap;
	char msg[1024];

	if (rep->nfindings >= AUDIT_MAX_FINDINGS) {
		rep->dropped++;
		return 0;
	}
	if (rep->nfindings == rep->capfindings) {
		size_t cap = rep->capfindings ? rep->capfindings * 2 : 32;
		audit_finding *nf = realloc(rep->findings, cap * sizeof(*nf));
		if (!nf)
			return SILVER_ENOMEM;
		rep->findings = nf;
		rep->capfindings = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = &rep->findings[rep->nfindings];
	memset(f, 0, sizeof(*f));
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	if (author) {
		f->has_feed = 1;
		memcpy(f->author, author, SILVER_KEY_BYTES);
		snprintf(f->township, sizeof(f->township), "%s", township ? township : "");
	}
	f->seq = seq;
	if (!(f->message = strdup(msg)))
		return SILVER_ENOMEM;
	rep->nfindings++;
	return 0;
}

int audit_has(const audit_report *rep, const char *kind)
{
	for (size_t i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].kind, kind) == 0)
			return 1;
	return 0;
}

const audit_cert *audit_cert_find(const audit_report *rep, const uint8_t key[SILVER_KEY_BYTES])
{
	for (size_t i = 0; i < rep->ncerts; i++)
		if (memcmp(rep->certs[i].key, key, SILVER_KEY_BYTES) == 0)
			return rep->certs[i].has_cert ? &rep->certs[i] : NULL;
	return NULL;
}

void audit_report_release(audit_report *rep)
{
	for (size_t i = 0; i < rep->nfindings; i++)
		free(rep->findings[i].message);
	for (size_t i = 0; i < rep->ncerts; i++) {
		free(rep->certs[i].raw);
		free(rep->certs[i].rev);
	}
	for (size_t i = 0; i < rep->ntrace; i++)
		free(rep->trace[i].raw);
	free(rep->findings);
	free(rep->certs);
	free(rep->trace);
	memset(rep, 0, sizeof(*rep));
}

/* ---- seal verification on worker threads ------------------------------------------ */

struct vjob {
	uint8_t hash[SILVER_HASH_BYTES];
	uint8_t author[SILVER_KEY_BYTES];
	uint8_t sig[SILVER_SIG_BYTES];
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t seq, from;
	int bad;
};

enum { C_FREE, C_QUEUED, C_WORKING, C_DONE };

struct vchunk {
	struct vjob jobs[VCHUNK];
	size_t n;
	int state;
};

struct vpool {
	struct vchunk ring[VRING];
	size_t fill;  /* the chunk the walk is filling */
	size_t take;  /* the next chunk a worker takes */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t th[MAX_THREADS];
	int nth, stop;
};

static void *vworker(void *arg)
{
	struct vpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct vchunk *c;
		while (!p->stop && p->ring[p->take].state != C_QUEUED)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->ring[p->take].state != C_QUEUED)
			break; /* stopping, nothing queued */
		c = &p->ring[p->take];
		c->state = C_WORKING;
		p->take = (p->take + 1) % VRING;
		pthread_cond_broadcast(&p->work); /* the next chunk may be queued too */
		pthread_mutex_unlock(&p->mu);
		for (size_t i = 0; i < c->n; i++)
			c->jobs[i].bad = silver_seal_verify(c->jobs[i].hash, c->jobs[i].author, c->jobs[i].sig) != 0;
		pthread_mutex_lock(&p->mu);
		c->state = C_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the walk ------------------------------------------------------------------------ */

/* A feed's recent entries, to tell a duplicate or a fork from an entry
 * out of order (allocated with the feed's first entry). */
struct audit_window {
	struct {
		uint64_t seq;
		uint8_t hash[SILVER_HASH_BYTES];
	} v[WINDOW];
	size_t n, pos;
};

struct pend_op {
	uint64_t seq, hlc;
	enum silver_optype type;
	uint8_t *raw;
	uint32_t nraw;
};

struct scan {
	const audit_opts *o;
	audit_report *rep;
	silver_arena *arena;
	silver_buf tmp;
	/* feeds: open addressing on the tag (a hash already) */
	audit_feedsum **tab;
	size_t tabcap, nfeeds;
	audit_feedsum *cur; /* the feed being walked */
	uint64_t future_ms; /* entries later than this are in the future */
	/* the admin's certificates and revocations waiting for their seal */
	struct pend_op *pend;
	size_t npend, cappend;
	struct vpool pool;
	int pool_started;
	int err; /* out of memory and the like: stop */
	/* a run of consecutive out-of-order entries is one finding */
	audit_feedsum *order_feed;
	size_t order_idx;
	uint64_t order_first, order_last, order_after;
	uint8_t trace_id[SILVER_MAX_ID];
	size_t trace_n;
	/* a bundle whose framing broke after its header: why (walk_bundle) */
	int damaged;
	silver_why damage;
};

static audit_feedsum *feed_get(struct scan *s, const uint8_t tag[SILVER_FEEDTAG_BYTES], int create)
{
	size_t h, mask;
	if (s->tabcap == 0 || (create && (s->nfeeds + 1) * 2 > s->tabcap)) {
		size_t ncap = s->tabcap ? s->tabcap * 2 : 64;
		audit_feedsum **nt = calloc(ncap, sizeof(*nt));
		if (!nt) {
			s->err = SILVER_ENOMEM;
			return NULL;
		}
		for (size_t i = 0; i < s->tabcap; i++) {
			audit_feedsum *f = s->tab[i];
			if (!f)
				continue;
			memcpy(&h, f->tag, sizeof(h));
			for (h &= ncap - 1; nt[h]; h = (h + 1) & (ncap - 1))
				;
			nt[h] = f;
		}
		free(s->tab);
		s->tab = nt;
		s->tabcap = ncap;
	}
	mask = s->tabcap - 1;
	memcpy(&h, tag, sizeof(h));
	for (h &= mask; s->tab[h]; h = (h + 1) & mask)
		if (memcmp(s->tab[h]->tag, tag, SILVER_FEEDTAG_BYTES) == 0)
			return s->tab[h];
	if (!create)
		return NULL;
	if (!(s->tab[h] = calloc(1, sizeof(audit_feedsum)))) {
		s->err = SILVER_ENOMEM;
		return NULL;
	}
	memcpy(s->tab[h]->tag, tag, SILVER_FEEDTAG_BYTES);
	s->tab[h]->problem = UINT64_MAX;
	s->nfeeds++;
	return s->tab[h];
}

static void feed_problem(audit_feedsum *f, uint64_t valid_upto)
{
	if (valid_upto < f->problem)
		f->problem = valid_upto;
}

static void add(struct scan *s, const char *kind, const audit_feedsum *f, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add(struct scan *s, const char *kind, const audit_feedsum *f, uint64_t seq, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (audit__add(s->rep, kind, f ? f->author : NULL, f ? f->township : NULL, seq, "%s", msg) != 0)
		s->err = SILVER_ENOMEM;
}

/* A chunk's results: findings for the seals that failed. */
static void chunk_results(struct scan *s, struct vchunk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct vjob *j = &c->jobs[i];
		audit_feedsum *f;
		s->rep->seals++;
		if (!j->bad)
			continue;
		s->rep->bad_seals++;
		f = feed_get(s, j->tag, 0);
		if (f)
			feed_problem(f, j->from - 1);
		add(s, AUDIT_K_SIGNATURE, f, j->seq,
		    _("the seal does not verify with the author's key: entries %llu to %llu are altered or not "
		      "signed by their author"),
		    (unsigned long long)j->from, (unsigned long long)j->seq);
	}
	c->n = 0;
	c->state = C_FREE;
}

static int pool_start(struct scan *s)
{
	struct vpool *p = &s->pool;
	int want = s->o->threads > 0 ? s->o->threads : 2;
	if (want > MAX_THREADS)
		want = MAX_THREADS;
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	s->pool_started = 1;
	for (p->nth = 0; p->nth < want; p->nth++)
		if (pthread_create(&p->th[p->nth], NULL, vworker, p) != 0)
			break;
	return p->nth > 0 ? 0 : SILVER_ENOMEM;
}

/* Hand the filling chunk to the workers and take the next one, first
 * reading the results it held from its last round. */
static void pool_submit(struct scan *s)
{
	struct vpool *p = &s->pool;
	struct vchunk *next;
	pthread_mutex_lock(&p->mu);
	p->ring[p->fill].state = C_QUEUED;
	pthread_cond_broadcast(&p->work);
	p->fill = (p->fill + 1) % VRING;
	next = &p->ring[p->fill];
	while (next->state == C_QUEUED || next->state == C_WORKING)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (next->state == C_DONE)
		chunk_results(s, next);
}

/* Wait for every chunk and read its results, in the order submitted. */
static void pool_drain(struct scan *s)
{
	struct vpool *p = &s->pool;
	if (p->ring[p->fill].n > 0)
		pool_submit(s);
	for (size_t k = 1; k <= VRING; k++) {
		struct vchunk *c = &p->ring[(p->fill + k) % VRING];
		pthread_mutex_lock(&p->mu);
		while (c->state == C_QUEUED || c->state == C_WORKING)
			pthread_cond_wait(&p->done, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (c->state == C_DONE)
			chunk_results(s, c);
	}
}

static void pool_stop(struct scan *s)
{
	struct vpool *p = &s->pool;
	if (!s->pool_started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	s->pool_started = 0;
}

/* ---- certificates -------------------------------------------------------------------- */

static audit_cert *cert_slot(struct scan *s, const uint8_t key[SILVER_KEY_BYTES])
{
	audit_report *r = s->rep;
	for (size_t i = 0; i < r->ncerts; i++)
		if (memcmp(r->certs[i].key, key, SILVER_KEY_BYTES) == 0)
			return &r->certs[i];
	{
		audit_cert *nc = realloc(r->certs, (r->ncerts + 1) * sizeof(*nc));
		if (!nc) {
			s->err = SILVER_ENOMEM;
			return NULL;
		}
		r->certs = nc;
		memset(&nc[r->ncerts], 0, sizeof(*nc));
		memcpy(nc[r->ncerts].key, key, SILVER_KEY_BYTES);
		return &nc[r->ncerts++];
	}
}

/* A CERT or REVOKE of the admin's, covered by a verified seal: in force.
 * The latest one of a key wins; entries come in seq order within a feed. */
static void cert_apply(struct scan *s, const audit_feedsum *f, const struct pend_op *op)
{
	silver_slice raw = {op->raw, op->nraw};
	silver_arena_reset(s->arena);
	if (op->type == SILVER_OP_CERT) {
		silver_cert c;
		audit_cert *ac;
		if (silver_cert_decode(&raw, s->arena, &c) != 0) {
			add(s, AUDIT_K_CERT, f, op->seq, _("the certificate in this entry does not decode"));
			return;
		}
		if (!(ac = cert_slot(s, c.key)))
			return;
		free(ac->raw);
		ac->raw = op->raw;
		ac->nraw = op->nraw;
		ac->has_cert = 1;
		ac->role = c.role;
		ac->seq = op->seq;
		ac->hlc = op->hlc;
		snprintf(ac->name, sizeof(ac->name), "%.*s", (int)c.name.n, (const char *)c.name.p);
		snprintf(ac->township, sizeof(ac->township), "%s", f->township);
		s->rep->certs_total++;
	} else {
		silver_revoke r;
		audit_cert *ac;
		if (silver_revoke_decode(&raw, s->arena, &r) != 0) {
			add(s, AUDIT_K_CERT, f, op->seq, _("the revocation in this entry does not decode"));
			return;
		}
		if (!(ac = cert_slot(s, r.key)))
			return;
		free(ac->rev);
		ac->rev = op->raw;
		ac->nrev = op->nraw;
		ac->rev_seq = op->seq;
		s->rep->revokes_total++;
	}
}

static void pend_clear(struct scan *s)
{
	for (size_t i = 0; i < s->npend; i++)
		free(s->pend[i].raw);
	s->npend = 0;
}

/* ---- one entry ------------------------------------------------------------------------ */

static void feed_switch(struct scan *s, audit_feedsum *f)
{
	if (s->cur == f)
		return;
	if (s->cur)
		s->cur->run_closed = 1;
	s->cur = f;
	if (!f->win && !(f->win = calloc(1, sizeof(*f->win))))
		s->err = SILVER_ENOMEM;
}

static void win_push(audit_feedsum *f, uint64_t seq, const uint8_t hash[SILVER_HASH_BYTES])
{
	struct audit_window *w = f->win;
	if (!w)
		return;
	w->v[w->pos].seq = seq;
	memcpy(w->v[w->pos].hash, hash, SILVER_HASH_BYTES);
	w->pos = (w->pos + 1) % WINDOW;
	if (w->n < WINDOW)
		w->n++;
}

static const uint8_t *win_find(const audit_feedsum *f, uint64_t seq)
{
	for (size_t i = 0; f->win && i < f->win->n; i++)
		if (f->win->v[i].seq == seq)
			return f->win->v[i].hash;
	return NULL;
}

static void note_refs(struct scan *s, const silver_entry *e, const uint8_t tag[SILVER_FEEDTAG_BYTES])
{
	for (uint32_t i = 0; i < e->op.nwrites; i++)
		for (uint32_t j = 0; j < e->op.writes[i].nbases; j++) {
			const silver_ref *r = &e->op.writes[i].bases[j];
			audit_feedsum *g;
			if (memcmp(r->feed, tag, SILVER_FEEDTAG_BYTES) == 0)
				continue;
			if (!(g = feed_get(s, r->feed, 1)))
				return;
			if (r->seq > g->maxref)
				g->maxref = r->seq;
		}
}

static void tw_copy(char out[SILVER_MAX_NAME + 1], const silver_slice *s)
{
	uint32_t n = s->n > SILVER_MAX_NAME ? SILVER_MAX_NAME : s->n;
	memcpy(out, s->p, n);
	out[n] = 0;
}

static void trace_keep(struct scan *s, const uint8_t *p, size_t n)
{
	audit_report *r = s->rep;
	if (r->ntrace == r->captrace) {
		size_t cap = r->captrace ? r->captrace * 2 : 16;
		audit_trace_entry *nt = realloc(r->trace, cap * sizeof(*nt));
		if (!nt) {
			s->err = SILVER_ENOMEM;
			return;
		}
		r->trace = nt;
		r->captrace = cap;
	}
	if (!(r->trace[r->ntrace].raw = malloc(n))) {
		s->err = SILVER_ENOMEM;
		return;
	}
	memcpy(r->trace[r->ntrace].raw, p, n);
	r->trace[r->ntrace].nraw = (uint32_t)n;
	r->trace[r->ntrace].valid = 0;
	r->ntrace++;
}

/* The chain: where e stands in its feed.  Returns 1 when e continues the
 * chain (and may be sealed, counted, applied), 0 when it is set aside. */
static int chain_place(struct scan *s, audit_feedsum *f, const silver_entry *e)
{
	const uint8_t *seen;
	if (e->seq == f->last_seq + 1) {
		if (f->hash_unknown) {
			f->hash_unknown = 0; /* the entry before could not be read: nothing to compare */
		} else if (f->last_seq > 0) {
			if (memcmp(e->prev, f->last_hash, SILVER_HASH_BYTES) != 0) {
				add(s, AUDIT_K_CHAIN, f, e->seq,
				    _("does not follow the entry before it: its prev is not that entry's hash"));
				feed_problem(f, f->last_seal);
				f->pending_from = 0;
				f->pending_n = 0;
			}
		} else if (!sodium_is_zero(e->prev, SILVER_HASH_BYTES)) {
			add(s, AUDIT_K_CHAIN, f, e->seq, _("the first entry of a feed names an entry before it"));
			feed_problem(f, 0);
		}
		return 1;
	}
	if (e->seq > f->last_seq + 1) {
		if (f->last_seq == 0 && f->count == 0)
			add(s, AUDIT_K_GAP, f, e->seq, _("the feed starts at seq %llu: entries 1 to %llu are missing"),
			    (unsigned long long)e->seq, (unsigned long long)e->seq - 1);
		else
			add(s, AUDIT_K_GAP, f, e->seq, _("entries %llu to %llu are missing before this one"),
			    (unsigned long long)f->last_seq + 1, (unsigned long long)e->seq - 1);
		feed_problem(f, f->last_seal);
		f->pending_from = 0;
		f->pending_n = 0;
		return 1;
	}
	seen = win_find(f, e->seq);
	if (seen && memcmp(seen, e->hash, SILVER_HASH_BYTES) == 0) {
		add(s, AUDIT_K_DUPLICATE, f, e->seq, _("the same entry appears twice"));
		return 0;
	}
	if (seen) {
		add(s, AUDIT_K_FORK, f, e->seq,
		    _("two different entries for the same feed and seq: the key signed two histories, or a node "
		      "was restored from an old backup"));
		feed_problem(f, e->seq - 1);
		/* Follow the second branch: its seals are checked as well. */
		f->pending_from = 0;
		f->pending_n = 0;
		f->last_seq = e->seq - 1;
		{
			const uint8_t *before = win_find(f, e->seq - 1);
			if (before)
				memcpy(f->last_hash, before, SILVER_HASH_BYTES);
		}
		return 1;
	}
	if (s->order_feed == f && e->seq == s->order_last + 1 && s->order_idx < s->rep->nfindings) {
		char msg[256], *m;
		s->order_last = e->seq;
		snprintf(msg, sizeof(msg), _("out of order: seq %llu to %llu come after seq %llu of the same feed"),
			 (unsigned long long)s->order_first, (unsigned long long)s->order_last,
			 (unsigned long long)s->order_after);
		if ((m = strdup(msg)) != NULL) {
			free(s->rep->findings[s->order_idx].message);
			s->rep->findings[s->order_idx].message = m;
		}
		return 0;
	}
	s->order_feed = f;
	s->order_idx = s->rep->nfindings;
	s->order_first = s->order_last = e->seq;
	s->order_after = f->last_seq;
	add(s, AUDIT_K_ORDER, f, e->seq, _("out of order: seq %llu comes after seq %llu of the same feed"),
	    (unsigned long long)e->seq, (unsigned long long)f->last_seq);
	feed_problem(f, f->last_seal);
	return 0;
}

static int scan_entry(struct scan *s, const uint8_t *p, size_t n, uint64_t index)
{
	silver_entry e;
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	audit_feedsum *f;
	int rv;

	s->rep->entries++;
	silver_arena_reset(s->arena);
	rv = silver_entry_decode(p, n, s->arena, &e);
	if (rv != 0) {
		const char *kind = rv == SILVER_EVERSION ? AUDIT_K_VERSION : AUDIT_K_MALFORMED;
		if (s->cur)
			feed_problem(s->cur, s->cur->last_seal);
		return audit__add(s->rep, kind, NULL, NULL, 0, _("entry %llu of the input does not decode: %s"),
				  (unsigned long long)index + 1, _(silver_strerror(rv)));
	}
	silver_feedtag(e.author, e.township.p, e.township.n, tag);
	if (!(f = feed_get(s, tag, 1)))
		return s->err;
	if (!f->seen) {
		f->seen = 1;
		memcpy(f->author, e.author, SILVER_KEY_BYTES);
		tw_copy(f->township, &e.township);
		f->admin = memcmp(e.author, s->o->admin, SILVER_KEY_BYTES) == 0;
		s->rep->feeds++;
	}
	if (s->cur != f && s->cur && s->cur->admin && s->npend)
		pend_clear(s); /* the admin's feed ended without sealing these */
	feed_switch(s, f);

	/* Checks of the entry alone. */
	if (e.op.type != SILVER_OP_CHANGE && !f->admin)
		add(s, AUDIT_K_CERT, f, e.seq,
		    _("a certificate or revocation written by a key that is not the county admin's"));
	if (e.op.type == SILVER_OP_CHANGE) {
		silver_slice tw, coll;
		if (silver_schema_split_id((const char *)e.op.record.p, e.op.record.n, &tw, &coll) != 0)
			add(s, AUDIT_K_MALFORMED, f, e.seq, _("the record id %.*s is not a record id"),
			    (int)e.op.record.n, (const char *)e.op.record.p);
		else if (tw.n != e.township.n || memcmp(tw.p, e.township.p, tw.n) != 0)
			add(s, AUDIT_K_TOWNSHIP, f, e.seq,
			    _("writes record %.*s of another township than its feed's (%s)"), (int)e.op.record.n,
			    (const char *)e.op.record.p, f->township);
		note_refs(s, &e, tag);
		if (s->trace_n && e.op.record.n == s->trace_n && memcmp(e.op.record.p, s->trace_id, s->trace_n) == 0)
			trace_keep(s, p, n);
	}
	if (SILVER_HLC_MS(e.hlc) < AUDIT_CLOCK_EPOCH_MS)
		add(s, AUDIT_K_CLOCK, f, e.seq, _("its clock says it was written before the year 2000"));
	else if (s->future_ms && SILVER_HLC_MS(e.hlc) > s->future_ms)
		add(s, AUDIT_K_CLOCK, f, e.seq, _("its clock is more than a day ahead of %s"),
		    s->rep->created ? _("the time the bundle was written") : _("the time of the audit"));

	if (!chain_place(s, f, &e))
		return s->err;

	if (f->last_seq > 0 && f->last_hlc &&
	    SILVER_HLC_MS(e.hlc) + AUDIT_CLOCK_BACK_MS < SILVER_HLC_MS(f->last_hlc))
		add(s, AUDIT_K_CLOCK, f, e.seq, _("its clock is %llu hours before the entry before it"),
		    (unsigned long long)((SILVER_HLC_MS(f->last_hlc) - SILVER_HLC_MS(e.hlc)) / 3600000));
	f->count++;
	f->last_seq = e.seq;
	memcpy(f->last_hash, e.hash, SILVER_HASH_BYTES);
	f->last_hlc = e.hlc;
	win_push(f, e.seq, e.hash);
	if (!f->pending_from)
		f->pending_from = e.seq;
	f->pending_n++;
	if (e.op.type == SILVER_OP_CHANGE) {
		if (!f->chg_n)
			f->chg_first = e.seq;
		f->chg_last = e.seq;
		f->chg_n++;
	}

	if (f->admin && e.op.type != SILVER_OP_CHANGE && f->problem == UINT64_MAX &&
	    s->npend >= SILVER_SEAL_EVERY) {
		/* Certificates wait for their seal with their bytes; a writer
		 * seals at least every SILVER_SEAL_EVERY entries, so a longer
		 * run is not one, and what waits stays bounded. */
		add(s, AUDIT_K_CERT, f, e.seq,
		    _("more than %d certificates and revocations without a seal: no silversync node writes "
		      "that, and none of them counts"),
		    SILVER_SEAL_EVERY);
		feed_problem(f, f->last_seal);
		pend_clear(s);
	}
	if (f->admin && e.op.type != SILVER_OP_CHANGE && f->problem == UINT64_MAX) {
		struct pend_op *op;
		if (s->npend == s->cappend) {
			size_t cap = s->cappend ? s->cappend * 2 : 16;
			struct pend_op *np = realloc(s->pend, cap * sizeof(*np));
			if (!np)
				return s->err = SILVER_ENOMEM;
			s->pend = np;
			s->cappend = cap;
		}
		op = &s->pend[s->npend];
		op->seq = e.seq;
		op->hlc = e.hlc;
		op->type = e.op.type;
		op->nraw = e.op.raw.n;
		if (!(op->raw = malloc(e.op.raw.n ? e.op.raw.n : 1)))
			return s->err = SILVER_ENOMEM;
		memcpy(op->raw, e.op.raw.p, e.op.raw.n);
		s->npend++;
	}

	if (e.sealed) {
		if (f->admin) {
			/* Verified here and now: certificates count from this seal on. */
			int bad = silver_seal_verify(e.hash, e.author, e.sig) != 0;
			s->rep->seals++;
			if (bad) {
				s->rep->bad_seals++;
				feed_problem(f, f->pending_from - 1);
				add(s, AUDIT_K_SIGNATURE, f, e.seq,
				    _("the seal does not verify with the author's key: entries %llu to %llu are altered "
				      "or not signed by their author"),
				    (unsigned long long)f->pending_from, (unsigned long long)e.seq);
			}
			if (!bad && f->problem == UINT64_MAX) {
				for (size_t i = 0; i < s->npend; i++) {
					cert_apply(s, f, &s->pend[i]);
					s->pend[i].raw = NULL; /* owned by the certificate now (or freed below) */
				}
			}
			for (size_t i = 0; i < s->npend; i++)
				free(s->pend[i].raw);
			s->npend = 0;
		} else {
			struct vchunk *c = &s->pool.ring[s->pool.fill];
			struct vjob *j = &c->jobs[c->n++];
			memcpy(j->hash, e.hash, SILVER_HASH_BYTES);
			memcpy(j->author, e.author, SILVER_KEY_BYTES);
			memcpy(j->sig, e.sig, SILVER_SIG_BYTES);
			memcpy(j->tag, tag, SILVER_FEEDTAG_BYTES);
			j->seq = e.seq;
			j->from = f->pending_from;
			j->bad = 0;
			if (c->n == VCHUNK)
				pool_submit(s);
		}
		f->last_seal = e.seq;
		f->pending_from = 0;
		f->pending_n = 0;
	}
	return s->err;
}

/* ---- after the walk ------------------------------------------------------------------- */

static uint64_t revoke_last(struct scan *s, const audit_cert *c, const char *township, int *listed)
{
	silver_slice raw = {c->rev, c->nrev};
	silver_revoke r;
	size_t n = strlen(township);
	*listed = 0;
	silver_arena_reset(s->arena);
	if (silver_revoke_decode(&raw, s->arena, &r) != 0)
		return 0;
	for (uint32_t i = 0; i < r.nlast; i++)
		if (r.last[i].township.n == n && memcmp(r.last[i].township.p, township, n) == 0) {
			*listed = 1;
			return r.last[i].seq;
		}
	return 0; /* feeds the revocation does not list: nothing of them is valid */
}

/* The rule of node/trust.c, per feed: see the comment at the top. */
static void authorise(struct scan *s, audit_feedsum *f)
{
	const audit_cert *c;
	silver_slice raw;
	silver_cert cert;
	char hex[17];

	if (f->admin || f->chg_n == 0)
		return;
	silver_hex(f->author, 8, hex);
	c = audit_cert_find(s->rep, f->author);
	if (!c) {
		f->denied = 1;
		add(s, AUDIT_K_UNCERTIFIED, f, f->chg_first,
		    _("%llu changes (seq %llu to %llu) written by key %s..., which the county has not certified"),
		    (unsigned long long)f->chg_n, (unsigned long long)f->chg_first, (unsigned long long)f->chg_last,
		    hex);
		return;
	}
	raw.p = c->raw;
	raw.n = c->nraw;
	silver_arena_reset(s->arena);
	if (silver_cert_decode(&raw, s->arena, &cert) != 0 || cert.role == SILVER_ROLE_ADMIN ||
	    !silver_township_in(cert.write, cert.nwrite, (const uint8_t *)f->township, strlen(f->township))) {
		f->denied = 1;
		add(s, AUDIT_K_TOWNSHIP, f, f->chg_first,
		    _("%llu changes (seq %llu to %llu) to township %s, which the certificate of %s (admin entry "
		      "%llu) does not let it write"),
		    (unsigned long long)f->chg_n, (unsigned long long)f->chg_first, (unsigned long long)f->chg_last,
		    f->township, c->name[0] ? c->name : hex, (unsigned long long)c->seq);
		return;
	}
	if (c->rev) {
		int listed;
		uint64_t last = revoke_last(s, c, f->township, &listed);
		if (f->chg_last > last) {
			uint64_t from = last + 1 > f->chg_first ? last + 1 : f->chg_first;
			add(s, AUDIT_K_REVOKED, f, from,
			    _("changes seq %llu to %llu were written after the key of %s was revoked (admin entry "
			      "%llu keeps this feed valid up to seq %llu)"),
			    (unsigned long long)from, (unsigned long long)f->chg_last, c->name[0] ? c->name : hex,
			    (unsigned long long)c->rev_seq, (unsigned long long)last);
		}
		if (last < f->valid_to)
			f->valid_to = last;
	}
}

/* A revocation lists what the admin held of each feed of the key: a feed
 * that is shorter here was cut. */
static void revocation_cover(struct scan *s, const audit_cert *c)
{
	silver_slice raw = {c->rev, c->nrev};
	silver_revoke r;
	silver_arena_reset(s->arena);
	if (silver_revoke_decode(&raw, s->arena, &r) != 0)
		return;
	for (uint32_t i = 0; i < r.nlast; i++) {
		uint8_t tag[SILVER_FEEDTAG_BYTES];
		audit_feedsum *f;
		silver_feedtag(c->key, r.last[i].township.p, r.last[i].township.n, tag);
		f = feed_get(s, tag, 0);
		if (f && f->seen && f->last_seq < r.last[i].seq)
			add(s, AUDIT_K_TRUNCATED, f, f->last_seq + 1,
			    _("the revocation in admin entry %llu says seq %llu of this feed was held, but it ends at "
			      "seq %llu: entries were removed"),
			    (unsigned long long)c->rev_seq, (unsigned long long)r.last[i].seq,
			    (unsigned long long)f->last_seq);
	}
}

static int finding_cmp(const void *a, const void *b)
{
	const audit_finding *x = a, *y = b;
	int c;
	if (x->has_feed != y->has_feed)
		return x->has_feed - y->has_feed;
	if ((c = memcmp(x->author, y->author, SILVER_KEY_BYTES)) != 0)
		return c;
	if ((c = strcmp(x->township, y->township)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	return strcmp(x->message, y->message);
}

static int cert_cmp(const void *a, const void *b)
{
	return memcmp(((const audit_cert *)a)->key, ((const audit_cert *)b)->key, SILVER_KEY_BYTES);
}

static void finish(struct scan *s)
{
	pool_drain(s);
	pend_clear(s);
	for (size_t i = 0; i < s->tabcap; i++) {
		audit_feedsum *f = s->tab[i];
		if (!f || !f->seen)
			continue;
		if (f->pending_n > 0)
			add(s, AUDIT_K_UNSEALED, f, f->pending_from,
			    _("entries %llu to %llu have no seal after them: nothing proves who wrote them"),
			    (unsigned long long)f->pending_from, (unsigned long long)f->last_seq);
		if (f->maxref > f->last_seq)
			add(s, AUDIT_K_TRUNCATED, f, f->last_seq + 1,
			    _("other entries name seq %llu of this feed as a base, but it ends at seq %llu: entries "
			      "were removed"),
			    (unsigned long long)f->maxref, (unsigned long long)f->last_seq);
		f->valid_to = f->problem < f->last_seal ? f->problem : f->last_seal;
	}
	for (size_t i = 0; i < s->tabcap; i++)
		if (s->tab[i] && s->tab[i]->seen)
			authorise(s, s->tab[i]);
	for (size_t i = 0; i < s->rep->ncerts; i++)
		if (s->rep->certs[i].rev)
			revocation_cover(s, &s->rep->certs[i]);
	for (size_t i = 0; i < s->rep->ntrace; i++) {
		silver_entry e;
		uint8_t tag[SILVER_FEEDTAG_BYTES];
		audit_feedsum *f;
		silver_arena_reset(s->arena);
		if (silver_entry_decode(s->rep->trace[i].raw, s->rep->trace[i].nraw, s->arena, &e) != 0)
			continue;
		silver_feedtag(e.author, e.township.p, e.township.n, tag);
		f = feed_get(s, tag, 0);
		s->rep->trace[i].valid = f && !f->denied && e.seq <= f->valid_to;
	}
	if (s->rep->nfindings > 1)
		qsort(s->rep->findings, s->rep->nfindings, sizeof(*s->rep->findings), finding_cmp);
	if (s->rep->ncerts > 1)
		qsort(s->rep->certs, s->rep->ncerts, sizeof(*s->rep->certs), cert_cmp);
}

/* ---- the two sources ------------------------------------------------------------------- */

/* A bundle is read as a stream, through one buffer of BUNDLE_BUF bytes:
 * whatever the file's size, the walk holds the entry it is at and what
 * follows it in the buffer, never the file.  Before each entry is split the
 * buffer holds the rest of the file or more than SILVER_MAX_ENTRY bytes of
 * it, so silver_bundle_next sees exactly what it would see in the whole
 * file (it looks at no more than that), and an entry that a refill cut in
 * two is whole again. */
#define BUNDLE_BUF (1u << 20)

struct bundle_rd {
	int fd;
	uint8_t *buf;
	size_t start, end; /* the bytes not walked yet: buf[start..end) */
	int eof;
};

/* Move what is left to the front and read until the buffer is full or the
 * file ends. */
static int rd_fill(struct bundle_rd *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	while (!r->eof && r->end < BUNDLE_BUF) {
		ssize_t got = read(r->fd, r->buf + r->end, BUNDLE_BUF - r->end);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return SILVER_EIO;
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
	return 0;
}

/* The bundle's framing is broken after a sound header: say why in the terms
 * silver_bundle_open uses, and stop the walk (audit_run makes it the one
 * finding, as it is for a bundle that silver_bundle_open refuses). */
static void damaged(struct scan *s, const char *reason, uint64_t entry, uint64_t count)
{
	s->damaged = 1;
	snprintf(s->damage.reason, sizeof(s->damage.reason), "%s", reason);
	snprintf(s->damage.detail, sizeof(s->damage.detail), "entry %llu of %llu", (unsigned long long)entry,
		 (unsigned long long)count);
}

static int walk_bundle(struct scan *s, const char *path, silver_why *why)
{
	struct bundle_rd r = {-1, NULL, 0, 0, 0};
	silver_bundle_header h;
	struct stat st;
	size_t used, len;
	uint64_t i;
	int rv;

	if ((r.fd = open(path, O_RDONLY)) < 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (fstat(r.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(r.fd);
		return SILVER_EIO;
	}
	if (!(r.buf = malloc(BUNDLE_BUF))) {
		close(r.fd);
		return SILVER_ENOMEM;
	}
	if ((rv = rd_fill(&r)) != 0)
		goto out;
	if (r.end == 0) {
		if (why)
			snprintf(why->reason, sizeof(why->reason), "%s", N_("the file is empty"));
		rv = SILVER_EMALFORMED;
		goto out;
	}
	/* No header at all is not a bundle (no verdict); a newer format is
	 * for a newer silver-audit. */
	rv = silver_bundle_header_decode(r.buf, r.end, &h, &used);
	if (rv != 0) {
		if (rv == SILVER_EMALFORMED || rv == SILVER_ELIMIT) {
			if (why)
				snprintf(why->reason, sizeof(why->reason), "%s",
					 N_("not a silversync bundle (no bundle header)"));
			rv = SILVER_EMALFORMED;
		}
		goto out;
	}
	r.start = used;
	s->rep->created = h.created;
	if (h.created)
		s->future_ms = SILVER_HLC_MS(h.created) + AUDIT_CLOCK_AHEAD_MS;
	/* Every entry is at least a few bytes: a count larger than the file
	 * could hold is a lie. */
	if (h.count > ((uint64_t)st.st_size - used) / 8 + 1) {
		damaged(s, N_("the header claims more entries than the file can hold (truncated?)"), 0, h.count);
		goto out;
	}
	for (i = 0; i < h.count && s->err == 0; i++) {
		if (r.end - r.start <= SILVER_MAX_ENTRY && !r.eof && (rv = rd_fill(&r)) != 0)
			goto out;
		if (r.start == r.end) {
			damaged(s, N_("the file ends before its last entry (truncated)"), i + 1, h.count);
			goto out;
		}
		rv = silver_bundle_next(r.buf + r.start, r.end - r.start, &len);
		if (rv != 0) {
			damaged(s,
				rv == SILVER_ELIMIT ? N_("an entry is larger than allowed")
						    : N_("an entry is damaged or cut short"),
				i + 1, h.count);
			rv = 0;
			goto out;
		}
		if ((rv = scan_entry(s, r.buf + r.start, len, i)) != 0)
			goto out;
		r.start += len;
	}
	if (s->err == 0 && r.start == r.end && !r.eof && (rv = rd_fill(&r)) != 0)
		goto out;
	if (s->err == 0 && r.start != r.end)
		damaged(s, N_("there are bytes after the last entry"), h.count, h.count);
out:
	close(r.fd);
	free(r.buf);
	return rv ? rv : s->err;
}

struct feedlist {
	silver_feedinfo *v;
	size_t n, cap;
};

static int collect_feed(const silver_feedinfo *f, void *ctx)
{
	struct feedlist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		silver_feedinfo *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return SILVER_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return 0;
}

volatile unsigned long audit_progress;
volatile int audit_walking;

static int walk_store(struct scan *s, silver_store *st)
{
	struct feedlist l = {0};
	silver_arena *a = silver_arena_new();
	silver_buf raw;
	uint64_t index = 0, nentries = 0, missing;
	int rv, broken = 0;

	silver_buf_init(&raw);
	if (!a)
		return SILVER_ENOMEM;
	if (silver_store_entry_count(st, &nentries) != 0)
		nentries = UINT64_MAX - 1;
	rv = silver_store_feeds(st, collect_feed, &l);
	if (rv != 0)
		audit__add(s->rep, AUDIT_K_STORE, NULL, NULL, 0, _("the store's list of feeds cannot be read: %s"),
			   _(silver_strerror(rv)));
	for (size_t i = 0; i < l.n && s->err == 0 && !broken; i++) {
		const silver_feedinfo *fi = &l.v[i];
		audit_feedsum *f = feed_get(s, fi->tag, 1);
		int head_seen = 0;
		if (!f)
			break;
		f->seen = 1;
		memcpy(f->author, fi->author, SILVER_KEY_BYTES);
		snprintf(f->township, sizeof(f->township), "%s", fi->township);
		f->admin = memcmp(fi->author, s->o->admin, SILVER_KEY_BYTES) == 0;
		s->rep->feeds++;
		missing = 0;
		for (uint64_t seq = 1; s->err == 0; seq++) {
			silver_ref ref;
			silver_entry e;
			memcpy(ref.feed, fi->tag, SILVER_FEEDTAG_BYTES);
			ref.seq = seq;
			silver_arena_reset(a);
			audit_progress++;
			rv = silver_store_entry(st, &ref, a, &e);
			if (rv == SILVER_ENOTFOUND) {
				if (seq > fi->seq)
					break;
				if (++missing > nentries) {
					/* More entries missing than the store holds at all: the
					 * feed's record is damaged, not a run of lost entries. */
					add(s, AUDIT_K_STORE, f, seq,
					    _("the store's record of this feed claims seq %llu, more entries than the store "
					      "holds (%llu): the record is damaged"),
					    (unsigned long long)fi->seq, (unsigned long long)nentries);
					feed_problem(f, f->last_seal);
					break;
				}
				add(s, AUDIT_K_GAP, f, seq, _("the store has lost this entry: its feed goes on to seq %llu"),
				    (unsigned long long)fi->seq);
				feed_problem(f, f->last_seal);
				continue;
			}
			if (rv == SILVER_ECORRUPT) {
				/* LMDB met a page it cannot follow: nothing further
				 * read through it can be trusted. */
				audit__add(s->rep, AUDIT_K_DAMAGED, NULL, NULL, 0,
					   _("the store is damaged: LMDB cannot read its pages (%s)"),
					   _(silver_strerror(rv)));
				broken = 1;
				break;
			}
			if (rv != 0 && ++missing > nentries) {
				add(s, AUDIT_K_STORE, f, seq,
				    _("the store's record of this feed claims seq %llu, more entries than the store "
				      "holds (%llu): the record is damaged"),
				    (unsigned long long)fi->seq, (unsigned long long)nentries);
				feed_problem(f, f->last_seal);
				break;
			}
			if (rv != 0) {
				s->rep->entries++;
				add(s, rv == SILVER_EVERSION ? AUDIT_K_VERSION : AUDIT_K_MALFORMED, f, seq,
				    _("the stored entry cannot be read: %s"), _(silver_strerror(rv)));
				feed_switch(s, f);
				feed_problem(f, f->last_seal);
				f->last_seq = seq;
				f->hash_unknown = 1;
				f->pending_from = 0;
				f->pending_n = 0;
				continue;
			}
			raw.len = 0;
			if ((rv = silver_entry_wrap(e.body.p, e.body.n, e.sealed ? e.sig : NULL, &raw)) != 0) {
				s->err = rv;
				break;
			}
			if (seq == fi->seq) {
				head_seen = 1;
				if (memcmp(e.hash, fi->hash, SILVER_HASH_BYTES) != 0)
					add(s, AUDIT_K_STORE, f, seq,
					    _("the store's record of this feed names another hash for its last entry"));
			}
			if (memcmp(e.author, fi->author, SILVER_KEY_BYTES) != 0)
				add(s, AUDIT_K_STORE, f, seq, _("an entry of another author is stored in this feed"));
			if ((rv = scan_entry(s, raw.data, raw.len, index++)) != 0)
				break;
		}
		if (!head_seen && fi->seq > 0 && s->err == 0)
			feed_problem(f, 0);
	}
	free(l.v);
	silver_buf_release(&raw);
	silver_arena_destroy(&a);
	if (broken)
		return s->err;
	return rv == SILVER_ENOTFOUND ? s->err : (rv ? rv : s->err);
}

static void feeds_free(struct scan *s)
{
	for (size_t i = 0; i < s->tabcap; i++) {
		if (s->tab[i])
			free(s->tab[i]->win);
		free(s->tab[i]);
	}
	free(s->tab);
	s->tab = NULL;
	s->tabcap = s->nfeeds = 0;
	s->cur = s->order_feed = NULL;
}

static uint64_t now_ms(const audit_opts *o)
{
	const char *fake = getenv("SILVER_FAKE_TIME_MS");
	struct timespec ts;
	if (o->now_ms)
		return o->now_ms;
	if (fake && *fake)
		return strtoull(fake, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int audit_run(const audit_opts *o, audit_report *rep, silver_why *why)
{
	struct scan s;
	silver_store *st = NULL;
	int rv;

	memset(rep, 0, sizeof(*rep));
	if (why)
		memset(why, 0, sizeof(*why));
	if ((rv = silver_crypto_init()) != 0)
		return rv;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.rep = rep;
	silver_buf_init(&s.tmp);
	if (o->trace) {
		s.trace_n = strlen(o->trace);
		if (s.trace_n == 0 || s.trace_n > SILVER_MAX_ID)
			return SILVER_EINVAL;
		memcpy(s.trace_id, o->trace, s.trace_n);
	}
	s.future_ms = now_ms(o) + AUDIT_CLOCK_AHEAD_MS;
	if (!(s.arena = silver_arena_new()))
		return SILVER_ENOMEM;
	if (o->store) {
		rv = silver_store_open(o->store, SILVER_OPEN_RDONLY, &st);
		if (rv != 0)
			goto out;
		/* One read transaction for the whole audit: a node that writes
		 * meanwhile (a running daemon, an add) cannot make its entries,
		 * records and digests disagree with each other in the report. */
		if ((rv = silver_store_snapshot(st, 1)) != 0)
			goto out;
	}
	if ((rv = pool_start(&s)) != 0)
		goto out;
	if (st) {
		uint8_t pinned[SILVER_KEY_BYTES];
		if (silver_store_admin(st, pinned) != 0)
			audit__add(rep, AUDIT_K_CERT, NULL, NULL, 0,
				   _("the store pins no county admin key: it accepted entries from any key"));
		else if (memcmp(pinned, o->admin, SILVER_KEY_BYTES) != 0)
			audit__add(rep, AUDIT_K_CERT, NULL, NULL, 0,
				   _("the store pins another county admin key than the one given to the audit"));
		audit_walking = 1;
		rv = walk_store(&s, st);
		audit_walking = 0;
	} else {
		rv = walk_bundle(&s, o->bundle, why);
	}
	if (rv == 0 && s.damaged) {
		/* The one finding, whatever the walk saw before the break, as
		 * for a bundle that cannot be split at all. */
		uint64_t created = rep->created;
		pool_stop(&s);
		pend_clear(&s);
		feeds_free(&s);
		audit_report_release(rep);
		rep->created = created;
		rv = audit__add(rep, AUDIT_K_DAMAGED, NULL, NULL, 0, _("the bundle is damaged: %s (%s)"),
				_(s.damage.reason), s.damage.detail);
	} else if (rv == 0) {
		finish(&s);
		rv = s.err;
	}
	pool_stop(&s);
	if (rv == 0 && st) {
		audit_feedsum **list = calloc(s.nfeeds ? s.nfeeds : 1, sizeof(*list));
		size_t n = 0;
		if (!list) {
			rv = SILVER_ENOMEM;
		} else {
			for (size_t i = 0; i < s.tabcap; i++)
				if (s.tab[i] && s.tab[i]->seen)
					list[n++] = s.tab[i];
			rv = audit__store_checks(o, st, rep, list, n);
			free(list);
		}
		if (rep->nfindings > 1)
			qsort(rep->findings, rep->nfindings, sizeof(*rep->findings), finding_cmp);
	}
out:
	pool_stop(&s);
	pend_clear(&s);
	free(s.pend);
	feeds_free(&s);
	silver_buf_release(&s.tmp);
	silver_arena_destroy(&s.arena);
	silver_store_close(&st);
	return rv;
}

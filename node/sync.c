/*
 * sync.c - the sync engine: sessions over ZeroMQ for the node, peer and hub
 * roles (docs/PROTOCOL.md has the messages byte for byte and the flow).
 *
 * One session, either side:
 *
 *   client (DEALER)                         server (ROUTER)
 *   HELLO  key, township, window, feeds --> checks the key against ZAP's
 *                                           CURVE key and the certificates
 *          <-- HELLO  key, township, window, feeds
 *   both:  compare vectors; a feed where the peer's seq <= ours but our
 *          hash at that seq differs is a fork: FORK is sent, the feed is
 *          left out of this session in both directions
 *   both:  BATCH (up to the peer's window unacknowledged) ...
 *          each BATCH is ingested all-or-nothing and answered with ACK
 *   both:  DONE when nothing more is to be sent
 *   over when: we sent DONE, every batch of ours is acknowledged, and the
 *   peer's DONE is in.  The client then closes; the server forgets it.
 *
 * Sending streams silver_store_export: a batch is cut by returning
 * STOP_BATCH from the entry callback, and the next export resumes from a
 * progress vector (the peer's HELLO, raised as batches go out), so nothing
 * but the batches in flight is ever held in memory.  Only feeds of the
 * snapshot taken at HELLO are sent, and only up to their seq then, so
 * entries that arrive from the peer during the session do not bounce back.
 *
 * The server is one thread with one ROUTER socket and a table of sessions
 * keyed by ZeroMQ routing id, plus a ZAP handler thread with an allow-list
 * of CURVE keys that the main thread refreshes from silver_store_certs
 * (the store is only ever touched by the main thread; the store's seal
 * verification threads see only the decoded entries of batches received
 * ahead, see INQ_MAX).  A message that does
 * not decode ends that session only (ERROR is sent back); libzmq itself
 * drops connections that fail the CURVE handshake or exceed ZMQ_MAXMSGSIZE.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "silver_i18n.h"
#include "silver_sync.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* a draft option in libzmq 4.3: set when the library knows it */
#endif

#define STOP_BATCH 1                   /* export callback: the batch is full */
#define BATCH_TARGET_BYTES (2u << 20)  /* we cut batches here, below the protocol's 4 MiB */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define SESSION_IDLE_MS 60000
#define LINGER_MS 2000
#define EVIDENCE_WAIT_MS 3000 /* after a FORK, how long to wait for the peer's side of it */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void why_set(silver_why *why, const char *reason, const char *detail)
{
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%.255s", reason);
	if (detail)
		snprintf(why->detail, sizeof(why->detail), "%s", detail);
}

void silver_sync_report_release(silver_sync_report *r)
{
	if (!r)
		return;
	free(r->peer_feeds);
	r->peer_feeds = NULL;
	r->npeer_feeds = 0;
}

/* ---- one session, either side ----------------------------------------------------- */

struct ourfeed {
	silver_feedinfo fi;
	int sendable;        /* peer may read it, not forked, not skipped */
	int isolate;         /* after a refusal: sent in batches of its own */
	int skipped;         /* the peer refused it: left out for the rest of the session */
	int unreadable;      /* our certificates do not (yet) let the peer read it */
	int forked;
	uint64_t rewound_at; /* batches before this id were sent before a rewind of this feed */
};

/* Which entries of which feed a batch in flight holds: after a refusal the
 * sender rewinds exactly these. */
struct span {
	uint32_t feed;  /* index into ours */
	size_t prog;    /* index into prog */
	uint64_t from;  /* the peer's seq before this batch */
};

struct slot {
	struct span *spans;
	size_t nspans, cap;
	uint64_t nentries;
	int evidence; /* a fork's evidence: its refusal (-9) is expected */
};

struct evidence {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t seq;
};

struct sess {
	silver_store *s;
	uint32_t window;      /* ours, stated in HELLO */
	uint32_t role;
	uint8_t routing[256]; /* server side: ZeroMQ routing id */
	size_t nrouting;
	char userid[65];      /* server side: hex CURVE key from ZAP */
	char address[64];
	struct ourfeed *ours; /* snapshot at HELLO, sorted by tag */
	size_t nours, capours;
	silver_have *prog;    /* what the peer holds or will hold once our batches land */
	size_t nprog, capprog;
	silver_feedstate *peer_hello; /* the peer's HELLO vector */
	size_t npeer;
	uint32_t peer_window;
	int hello_in, hello_out;
	int export_done, done_sent, peer_done;
	uint64_t next_batch, acked_next; /* ids: batches next_batch-1 .. acked_next are in flight */
	struct slot *slots;              /* per in-flight batch, ring of SILVER_SYNC_MAX_WINDOW */
	uint64_t last_rx;
	uint64_t started;
	silver_buf scratch, msg;
	silver_arena *arena; /* a client's decoded message (a server decodes into its queue, struct inmsg) */
	silver_sync_report rep;
	/* export cursor */
	struct ourfeed *cur;
	uint64_t cur_seq;
	size_t cur_prog;
	uint32_t bcount;
	size_t bbytes;
	struct ourfeed *blast; /* the feed of the last entry put in the batch being cut */
	struct slot *bslot;    /* its slot */
	/* fork evidence asked for by the peer's FORK: our entry at (tag, seq) */
	struct evidence *ev;
	size_t nev, capev;
	int ev_mode;
	int client;           /* we connected: we may wait for the peer's DONE before ours */
	int admin_phase;      /* the admin's feeds (certificates) go first */
	uint8_t admin[SILVER_KEY_BYTES];
	size_t nunreadable;   /* feeds the peer may not read as far as we know yet */
	uint64_t ev_wait;     /* FORKs we sent whose evidence has not come */
	uint64_t ev_deadline; /* ... and how long we wait for it */
	int fatal;                 /* a local failure: end the session */
	int error_code;            /* ERROR received or sent */
	char error_reason[SILVER_SYNC_MAX_REASON + 64];
	/* queued FORK messages */
	silver_buf forks;
	/* the BATCH being handled, when its seals were started ahead (server) */
	silver_ingest_prep *prep;
};

static int sess_init(struct sess *x, silver_store *s, const silver_sync_opts *o)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->window = o && o->window ? o->window : SILVER_SYNC_WINDOW;
	if (x->window > SILVER_SYNC_MAX_WINDOW)
		x->window = SILVER_SYNC_MAX_WINDOW;
	x->role = o && o->role ? o->role : SILVER_ROLE_BRANCH;
	x->admin_phase = silver_store_admin(s, x->admin) == 0;
	silver_buf_init(&x->scratch);
	silver_buf_init(&x->msg);
	silver_buf_init(&x->forks);
	x->arena = silver_arena_new();
	x->slots = calloc(SILVER_SYNC_MAX_WINDOW, sizeof(*x->slots));
	x->started = x->last_rx = now_ms();
	return x->arena && x->slots ? 0 : SILVER_ENOMEM;
}

static void sess_release(struct sess *x)
{
	silver_store_ingest_cancel(&x->prep);
	free(x->ours);
	free(x->prog);
	free(x->peer_hello);
	if (x->slots)
		for (size_t i = 0; i < SILVER_SYNC_MAX_WINDOW; i++)
			free(x->slots[i].spans);
	free(x->slots);
	free(x->ev);
	silver_buf_release(&x->scratch);
	silver_buf_release(&x->msg);
	silver_buf_release(&x->forks);
	silver_arena_destroy(&x->arena);
	silver_sync_report_release(&x->rep);
}

static int load_feed(const silver_feedinfo *f, void *ctx)
{
	struct sess *x = ctx;
	if (f->seq == 0)
		return 0; /* nothing sealed yet */
	if (x->nours == x->capours) {
		size_t cap = x->capours ? 2 * x->capours : 64;
		struct ourfeed *p = realloc(x->ours, cap * sizeof(*p));
		if (!p)
			return SILVER_ENOMEM;
		x->ours = p;
		x->capours = cap;
	}
	memset(&x->ours[x->nours], 0, sizeof(x->ours[0]));
	x->ours[x->nours++].fi = *f;
	return 0;
}

static int cmp_ourfeed(const void *a, const void *b)
{
	return memcmp(((const struct ourfeed *)a)->fi.tag, ((const struct ourfeed *)b)->fi.tag, SILVER_FEEDTAG_BYTES);
}

static struct ourfeed *find_ours(struct sess *x, const uint8_t *tag)
{
	struct ourfeed key;
	if (!x->nours)
		return NULL;
	memcpy(key.fi.tag, tag, SILVER_FEEDTAG_BYTES);
	return bsearch(&key, x->ours, x->nours, sizeof(*x->ours), cmp_ourfeed);
}

static size_t find_prog(struct sess *x, const uint8_t *tag)
{
	for (size_t i = 0; i < x->nprog; i++)
		if (memcmp(x->prog[i].tag, tag, SILVER_FEEDTAG_BYTES) == 0)
			return i;
	return (size_t)-1;
}

static int add_prog(struct sess *x, const uint8_t *tag, uint64_t seq, size_t *at)
{
	if (x->nprog == x->capprog) {
		size_t cap = x->capprog ? 2 * x->capprog : 64;
		silver_have *p = realloc(x->prog, cap * sizeof(*p));
		if (!p)
			return SILVER_ENOMEM;
		x->prog = p;
		x->capprog = cap;
	}
	memcpy(x->prog[x->nprog].tag, tag, SILVER_FEEDTAG_BYTES);
	x->prog[x->nprog].seq = seq;
	*at = x->nprog++;
	return 0;
}

/* Our HELLO: the snapshot of our feeds. */
static int sess_snapshot(struct sess *x)
{
	int rv;
	x->nours = 0;
	if ((rv = silver_store_feeds(x->s, load_feed, x)) != 0)
		return rv;
	if (x->nours > SILVER_SYNC_MAX_FEEDS)
		return SILVER_ELIMIT;
	if (x->nours)
		qsort(x->ours, x->nours, sizeof(*x->ours), cmp_ourfeed);
	return 0;
}

static int sess_hello_encode(struct sess *x, silver_buf *out)
{
	silver_feedstate *fs = NULL;
	int rv;

	if (x->nours && !(fs = calloc(x->nours, sizeof(*fs))))
		return SILVER_ENOMEM;
	for (size_t i = 0; i < x->nours; i++) {
		memcpy(fs[i].tag, x->ours[i].fi.tag, SILVER_FEEDTAG_BYTES);
		fs[i].seq = x->ours[i].fi.seq;
		memcpy(fs[i].hash, x->ours[i].fi.hash, SILVER_HASH_BYTES);
	}
	rv = silver_msg_hello_encode(silver_store_self(x->s), silver_store_township(x->s), x->role, x->window, fs,
				     (uint32_t)x->nours, out);
	free(fs);
	return rv;
}

/* The peer's HELLO: fork check, what to send, the progress vector. */
static int sess_hello_in(struct sess *x, const silver_msg *m)
{
	silver_arena *a;
	int rv = 0;

	memcpy(x->rep.peer, m->key, SILVER_KEY_BYTES);
	memcpy(x->rep.peer_township, m->township.p, m->township.n);
	x->rep.peer_township[m->township.n] = 0;
	x->rep.peer_role = m->role;
	x->peer_window = m->window;
	x->hello_in = 1;
	if (m->nfeeds && !(x->peer_hello = calloc(m->nfeeds, sizeof(*x->peer_hello))))
		return SILVER_ENOMEM;
	if (m->nfeeds)
		memcpy(x->peer_hello, m->feeds, m->nfeeds * sizeof(*m->feeds));
	x->npeer = m->nfeeds;
	for (size_t i = 0; i < x->nours; i++) {
		x->ours[i].sendable = silver_store_may_read(x->s, m->key, x->ours[i].fi.township) == 1;
		x->ours[i].unreadable = !x->ours[i].sendable;
		x->nunreadable += x->ours[i].unreadable;
	}
	if (!(a = silver_arena_new()))
		return SILVER_ENOMEM;
	for (uint32_t i = 0; i < m->nfeeds && rv == 0; i++) {
		const silver_feedstate *pf = &m->feeds[i];
		struct ourfeed *of = find_ours(x, pf->tag);
		uint8_t h[SILVER_HASH_BYTES];
		size_t at;

		if (find_prog(x, pf->tag) != (size_t)-1)
			continue; /* a feed named twice: the first counts */
		if ((rv = add_prog(x, pf->tag, pf->seq, &at)) != 0)
			break;
		if (!of || pf->seq > of->fi.seq)
			continue;
		if (pf->seq == of->fi.seq) {
			memcpy(h, of->fi.hash, SILVER_HASH_BYTES);
		} else {
			silver_ref ref;
			silver_entry e;
			memcpy(ref.feed, pf->tag, SILVER_FEEDTAG_BYTES);
			ref.seq = pf->seq;
			silver_arena_reset(a);
			if (silver_store_entry(x->s, &ref, a, &e) != 0)
				continue; /* not held (a gap): ingest will sort it out */
			memcpy(h, e.hash, SILVER_HASH_BYTES);
		}
		if (memcmp(h, pf->hash, SILVER_HASH_BYTES) != 0) {
			silver_feedstate ours;
			memcpy(ours.tag, pf->tag, SILVER_FEEDTAG_BYTES);
			ours.seq = pf->seq;
			memcpy(ours.hash, h, SILVER_HASH_BYTES);
			of->sendable = 0;
			of->forked = 1;
			x->rep.forks++;
			x->ev_wait++;
			x->ev_deadline = now_ms() + EVIDENCE_WAIT_MS;
			rv = silver_msg_fork_encode(&ours, pf->hash, &x->forks);
		}
	}
	silver_arena_destroy(&a);
	for (size_t i = 0; i < x->nours && rv == 0; i++) {
		size_t p = find_prog(x, x->ours[i].fi.tag);
		uint64_t has = p == (size_t)-1 ? 0 : x->prog[p].seq;
		if (x->ours[i].sendable && has < x->ours[i].fi.seq)
			x->rep.to_send += x->ours[i].fi.seq - has;
	}
	return rv;
}

static int export_filter(const silver_feedinfo *f, void *ctx)
{
	struct sess *x = ctx;
	struct ourfeed *of = find_ours(x, f->tag);
	size_t p;

	x->cur = NULL;
	if (!of || (!of->sendable && !x->ev_mode))
		return 0;
	if (x->admin_phase && !x->ev_mode && memcmp(f->author, x->admin, SILVER_KEY_BYTES) != 0)
		return 0;
	if (x->ev_mode) {
		/* one entry: ours at the forked seq */
		if (memcmp(f->tag, x->ev[0].tag, SILVER_FEEDTAG_BYTES) != 0)
			return 0;
		x->cur = of;
		x->cur_prog = (size_t)-1;
		x->cur_seq = x->ev[0].seq - 1;
		return 1;
	}
	p = find_prog(x, f->tag);
	x->cur = of;
	x->cur_prog = p;
	x->cur_seq = p == (size_t)-1 ? 0 : x->prog[p].seq;
	return x->cur_seq < of->fi.seq;
}

static int export_entry(const uint8_t *p, size_t n, void *ctx)
{
	struct sess *x = ctx;
	int rv;

	if (!x->cur || x->cur_seq >= x->cur->fi.seq)
		return 0; /* beyond the snapshot: arrived during this session */
	if (x->ev_mode) {
		if ((rv = silver_msg_bin_append(p, n, &x->scratch)) != 0)
			return rv;
		x->bcount = 1;
		return STOP_BATCH;
	}
	if (x->cur != x->blast) {
		/* a new feed in this batch: a feed under suspicion goes alone */
		struct slot *sl = x->bslot;
		if (x->bcount && (x->cur->isolate || (x->blast && x->blast->isolate)))
			return STOP_BATCH;
		if (sl->nspans == sl->cap) {
			size_t cap = sl->cap ? 2 * sl->cap : 8;
			struct span *np = realloc(sl->spans, cap * sizeof(*np));
			if (!np)
				return SILVER_ENOMEM;
			sl->spans = np;
			sl->cap = cap;
		}
		if (x->cur_prog == (size_t)-1 && (rv = add_prog(x, x->cur->fi.tag, 0, &x->cur_prog)) != 0)
			return rv;
		sl->spans[sl->nspans].feed = (uint32_t)(x->cur - x->ours);
		sl->spans[sl->nspans].prog = x->cur_prog;
		sl->spans[sl->nspans].from = x->cur_seq;
		sl->nspans++;
		x->blast = x->cur;
	}
	if ((rv = silver_msg_bin_append(p, n, &x->scratch)) != 0)
		return rv;
	x->cur_seq++;
	x->prog[x->cur_prog].seq = x->cur_seq;
	x->bcount++;
	x->bbytes += n;
	if (x->bcount >= SILVER_SYNC_MAX_BATCH || x->bbytes + SILVER_MAX_ENTRY > BATCH_TARGET_BYTES)
		return STOP_BATCH;
	return 0;
}

/* The next batch into x->msg; 0 with x->bcount == 0 when nothing is left. */
static int sess_next_batch(struct sess *x)
{
	int rv;

	silver_buf_release(&x->scratch);
	x->bcount = 0;
	x->bbytes = 0;
	x->cur = NULL;
	x->blast = NULL;
	x->bslot = &x->slots[x->next_batch % SILVER_SYNC_MAX_WINDOW];
	x->bslot->nspans = 0;
	x->bslot->evidence = 0;
	x->ev_mode = 0;
	if (x->nev) {
		/* fork evidence first: our entry at the seq the peer's FORK names */
		silver_have h;
		memcpy(h.tag, x->ev[0].tag, SILVER_FEEDTAG_BYTES);
		h.seq = x->ev[0].seq - 1;
		x->ev_mode = 1;
		rv = silver_store_export(x->s, &h, 1, export_filter, x, export_entry, x);
		x->ev_mode = 0;
		memmove(x->ev, x->ev + 1, --x->nev * sizeof(*x->ev));
		if (rv == STOP_BATCH)
			rv = 0;
		if (rv != 0)
			return rv;
		if (x->bcount) {
			x->bslot->evidence = 1;
			goto encode;
		}
		return sess_next_batch(x); /* not held (any more): the next */
	}
	/* The admin's feeds first: they hold the certificates without which
	 * the peer would refuse everything else as written by unknown keys. */
	rv = silver_store_export(x->s, x->prog, x->nprog, export_filter, x, export_entry, x);
	if (rv == 0 && x->admin_phase) {
		x->admin_phase = 0;
		if (x->bcount == 0)
			rv = silver_store_export(x->s, x->prog, x->nprog, export_filter, x, export_entry, x);
		else
			rv = STOP_BATCH; /* the rest in the next batch */
	}
	if (rv == STOP_BATCH)
		rv = 0;
	else if (rv == 0)
		x->export_done = 1;
	if (rv != 0 || x->bcount == 0)
		return rv;
encode:
	silver_buf_reset(&x->msg);
	if ((rv = silver_msg_batch_head(x->next_batch, x->bcount, &x->msg)) != 0 ||
	    (rv = silver_buf_append(&x->msg, x->scratch.data, x->scratch.len)) != 0)
		return rv;
	silver_buf_release(&x->scratch);
	return 0;
}

static uint32_t sess_window(const struct sess *x)
{
	uint32_t w = x->peer_window < x->window ? x->peer_window : x->window;
	return w ? w : 1;
}

/* A transport: how a session hands a message to its socket. */
typedef int (*send_fn)(struct sess *x, const silver_buf *m, void *ctx);

/* Send what can be sent now: queued FORKs, batches up to the window, DONE. */
static int sess_pump(struct sess *x, send_fn send, void *sctx)
{
	int rv;

	if (x->forks.len) {
		/* FORK messages were appended back to back; split them again */
		size_t off = 0;
		while (off < x->forks.len) {
			size_t used;
			silver_buf one;
			if (silver_msgpack_check(x->forks.data + off, x->forks.len - off, 8, 2, &used) != 0)
				break;
			one.data = x->forks.data + off;
			one.len = one.cap = used;
			if ((rv = send(x, &one, sctx)) != 0)
				return rv;
			off += used;
		}
		silver_buf_release(&x->forks);
	}
	while ((!x->export_done || x->nev) && x->next_batch - x->acked_next < sess_window(x)) {
		if ((rv = sess_next_batch(x)) != 0)
			return rv;
		if (x->bcount == 0)
			break;
		if ((rv = send(x, &x->msg, sctx)) != 0)
			return rv;
		x->slots[x->next_batch % SILVER_SYNC_MAX_WINDOW].nentries = x->bcount;
		x->next_batch++;
		x->rep.batches_sent++;
		x->rep.bytes_sent += x->msg.len;
	}
	/* DONE only once every batch is acknowledged: a refusal may still
	 * rewind a feed and make us send it again. */
	if (x->export_done && !x->nev && !x->done_sent && x->acked_next == x->next_batch &&
	    !(x->client && x->nunreadable && !x->peer_done)) {
		silver_buf_reset(&x->msg);
		if ((rv = silver_msg_done_encode(x->next_batch, x->rep.sent, &x->msg)) != 0 ||
		    (rv = send(x, &x->msg, sctx)) != 0)
			return rv;
		x->done_sent = 1;
	}
	return 0;
}

static int sess_finished(const struct sess *x)
{
	return x->done_sent && x->peer_done && x->acked_next == x->next_batch &&
	       (x->ev_wait == 0 || now_ms() >= x->ev_deadline);
}

static int is_local_failure(int rv)
{
	return rv == SILVER_ENOMEM || rv == SILVER_EIO || rv == SILVER_EFULL || rv == SILVER_ESTORE ||
	       rv == SILVER_ECORRUPT || rv == SILVER_EDISKFULL;
}

/* The code to act on for an ERROR from the peer.  A failure of the peer's
 * own store or memory (its disk is full) is not this node's: it is a peer
 * failure, SILVER_ENET (exit 8, docs/EXIT.md), with the peer's reason. */
static int peer_error_code(int64_t code)
{
	if (code >= 0 || code < INT32_MIN || is_local_failure((int)code))
		return SILVER_ENET;
	return (int)code;
}

static void note_refusal(struct sess *x, int code, const char *reason, size_t rn, const char *detail)
{
	if (x->rep.refusal)
		return;
	x->rep.refusal = code;
	if (detail && *detail)
		snprintf(x->rep.refusal_reason, sizeof(x->rep.refusal_reason), "%.*s (%s)", (int)rn, reason, detail);
	else
		snprintf(x->rep.refusal_reason, sizeof(x->rep.refusal_reason), "%.*s", (int)rn, reason);
}

/* The peer refused batch id (nothing of it was stored).  Every later batch
 * that continues one of its feeds will be refused too (a gap).  A batch of
 * one feed names the culprit: that feed is left out for the rest of the
 * session.  A batch of several: each of them is rewound to where the batch
 * began and sent again in batches of its own, so that the next refusal
 * names one feed.  Each feed is rewound at most once and skipped at most
 * once, so this ends.  Refusals of batches sent before a feed's rewind say
 * nothing about it. */
static void sess_refused(struct sess *x, const struct slot *sl, uint64_t id)
{
	int one_feed = 1;

	for (size_t i = 1; i < sl->nspans; i++)
		if (sl->spans[i].feed != sl->spans[0].feed)
			one_feed = 0;
	for (size_t i = 0; i < sl->nspans; i++) {
		const struct span *sp = &sl->spans[i];
		struct ourfeed *of = &x->ours[sp->feed];
		if (!of->sendable || id < of->rewound_at)
			continue;
		if (one_feed) {
			of->sendable = 0;
			of->skipped = 1;
			x->rep.feeds_skipped++;
		} else {
			of->isolate = 1;
			of->rewound_at = x->next_batch;
			if (x->prog[sp->prog].seq > sp->from)
				x->prog[sp->prog].seq = sp->from;
			x->export_done = 0;
		}
	}
}

/* New entries may have brought the certificate that lets the peer read a
 * feed (a new node's first sync: it learns the hub's certificate from the
 * hub).  A client holds its DONE back while such feeds remain, until the
 * server's DONE: then everything the server had is in. */
static void sess_recheck_readers(struct sess *x)
{
	for (size_t i = 0; i < x->nours; i++) {
		struct ourfeed *of = &x->ours[i];
		size_t p;
		uint64_t has;
		if (!of->unreadable || silver_store_may_read(x->s, x->rep.peer, of->fi.township) != 1)
			continue;
		of->unreadable = 0;
		x->nunreadable--;
		if (of->forked || of->skipped)
			continue;
		of->sendable = 1;
		x->export_done = 0;
		p = find_prog(x, of->fi.tag);
		has = p == (size_t)-1 ? 0 : x->prog[p].seq;
		if (has < of->fi.seq)
			x->rep.to_send += of->fi.seq - has;
	}
}

/* One message from the peer (already decoded).  Replies through send. */
static int sess_handle(struct sess *x, const silver_msg *m, send_fn send, void *sctx)
{
	silver_ingest_report ir;
	silver_why why;
	int rv;

	x->last_rx = now_ms();
	switch (m->type) {
	case SILVER_MSG_HELLO:
		return SILVER_EMALFORMED; /* only once, handled by the caller */
	case SILVER_MSG_BATCH:
		/* (after the peer's DONE only its side of a fork we named may come) */
		x->rep.batches_received++;
		if (x->prep)
			rv = silver_store_ingest_finish(&x->prep, &ir, &why);
		else
			rv = silver_store_ingest(x->s, m->entries, m->nentries, &ir, &why);
		silver_buf_reset(&x->msg);
		if (rv == SILVER_EFORK && x->ev_wait > 0) {
			/* the evidence we asked for: ingest kept both sides */
			x->ev_wait--;
			x->rep.forks_kept++;
			rv = silver_msg_ack_encode(m->batch, SILVER_EFORK, "fork evidence kept", m->nentries, 0, 0,
						   &x->msg);
		} else if (rv == 0) {
			if (ir.stored && x->nunreadable)
				sess_recheck_readers(x);
			x->rep.received += m->nentries;
			x->rep.stored += ir.stored;
			x->rep.applied += ir.applied;
			x->rep.skewed += ir.skewed;
			if (ir.conflicts_after > ir.conflicts_before)
				x->rep.conflicts_opened += ir.conflicts_after - ir.conflicts_before;
			rv = silver_msg_ack_encode(m->batch, 0, "", ir.received, ir.stored, ir.applied, &x->msg);
		} else {
			char reason[SILVER_SYNC_MAX_REASON + 1];
			if (why.reason[0] && why.detail[0])
				snprintf(reason, sizeof(reason), "%.150s (%.100s)", why.reason, why.detail);
			else
				snprintf(reason, sizeof(reason), "%s", why.reason[0] ? why.reason : silver_strerror(rv));
			x->rep.refused_in += m->nentries;
			note_refusal(x, rv, why.reason[0] ? why.reason : silver_strerror(rv),
				     strlen(why.reason[0] ? why.reason : silver_strerror(rv)), why.detail);
			if (is_local_failure(rv)) {
				x->fatal = rv;
				return rv;
			}
			rv = silver_msg_ack_encode(m->batch, rv, reason, m->nentries, 0, 0, &x->msg);
		}
		if (rv == 0)
			rv = send(x, &x->msg, sctx);
		return rv;
	case SILVER_MSG_ACK:
		if (m->batch != x->acked_next || x->acked_next == x->next_batch)
			return SILVER_EMALFORMED; /* not the oldest batch in flight */
		{
			struct slot *sl = &x->slots[m->batch % SILVER_SYNC_MAX_WINDOW];
			if (sl->evidence) {
				/* our side of a fork: the peer keeps it and refuses it (-9) */
			} else if (m->code == 0) {
				x->rep.sent += sl->nentries;
			} else {
				x->rep.refused_out += sl->nentries;
				note_refusal(x, m->code, (const char *)m->reason.p, m->reason.n, NULL);
				sess_refused(x, sl, m->batch);
			}
		}
		x->acked_next++;
		return 0;
	case SILVER_MSG_DONE:
		if (x->peer_done)
			return SILVER_EMALFORMED;
		x->peer_done = 1;
		return 0;
	case SILVER_MSG_FORK: {
		struct ourfeed *of = find_ours(x, m->fork.tag);
		if (!of || of->sendable)
			x->rep.forks++; /* not seen from our side (seen twice when both saw it) */
		if (of) {
			of->sendable = 0; /* too late for batches already out; ingest refuses them */
			of->forked = 1;
		}
		if (of && m->fork.seq <= of->fi.seq && x->nev < SILVER_SYNC_MAX_FEEDS) {
			/* send our entry at that seq (sealed, or covered by a seal the
			 * peer holds): the peer's ingest keeps both sides as evidence */
			if (x->nev == x->capev) {
				size_t cap = x->capev ? 2 * x->capev : 4;
				struct evidence *np = realloc(x->ev, cap * sizeof(*np));
				if (!np)
					return SILVER_ENOMEM;
				x->ev = np;
				x->capev = cap;
			}
			memcpy(x->ev[x->nev].tag, m->fork.tag, SILVER_FEEDTAG_BYTES);
			x->ev[x->nev].seq = m->fork.seq;
			x->nev++;
		}
		return 0;
	}
	case SILVER_MSG_ERROR:
		x->error_code = peer_error_code(m->code);
		snprintf(x->error_reason, sizeof(x->error_reason), "%.*s", (int)m->reason.n, (const char *)m->reason.p);
		return x->error_code;
	}
	return SILVER_EMALFORMED;
}

/* What the peer holds now, for 'status': its HELLO raised by what it stored. */
static void sess_final_vector(struct sess *x)
{
	free(x->rep.peer_feeds);
	x->rep.peer_feeds = NULL;
	x->rep.npeer_feeds = 0;
	if (!x->nprog)
		return;
	if (!(x->rep.peer_feeds = malloc(x->nprog * sizeof(silver_have))))
		return;
	memcpy(x->rep.peer_feeds, x->prog, x->nprog * sizeof(silver_have));
	x->rep.npeer_feeds = x->nprog;
	if (x->acked_next != x->next_batch || x->rep.refused_out) {
		/* not everything landed: fall back to the HELLO */
		for (size_t i = 0; i < x->nprog; i++) {
			x->rep.peer_feeds[i].seq = 0;
			for (size_t j = 0; j < x->npeer; j++)
				if (memcmp(x->peer_hello[j].tag, x->prog[i].tag, SILVER_FEEDTAG_BYTES) == 0)
					x->rep.peer_feeds[i].seq = x->peer_hello[j].seq;
		}
	}
}

/* ---- ZeroMQ helpers ----------------------------------------------------------------- */

static int set_curve_keys(void *sock, silver_store *s, int server)
{
	uint8_t pub[32], sec[32];
	char zpub[41], zsec[41];
	int one = 1, rv;

	if ((rv = silver_store_curve_keys(s, pub, sec)) != 0)
		return rv;
	zmq_z85_encode(zpub, pub, 32);
	zmq_z85_encode(zsec, sec, 32);
	sodium_memzero(sec, sizeof(sec));
	rv = 0;
	if ((server && zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, zpub, 40) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, zsec, 40) != 0)
		rv = SILVER_ENET;
	sodium_memzero(zsec, sizeof(zsec));
	return rv;
}

static void set_common(void *sock)
{
	int64_t max = SILVER_SYNC_MAX_MSG;
	int linger = LINGER_MS, hs = 10000;
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof(hs));
}

/* ---- client --------------------------------------------------------------------------- */

struct client_tx {
	void *sock;
};

static int client_send(struct sess *x, const silver_buf *m, void *ctx)
{
	struct client_tx *c = ctx;
	(void)x;
	for (int tries = 0; tries < 200; tries++) {
		if (zmq_send(c->sock, m->data, m->len, ZMQ_DONTWAIT) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return SILVER_ENET;
		zmq_poll(NULL, 0, 50);
	}
	return SILVER_ENET;
}

static void client_why_net(silver_why *why, const char *reason, const char *endpoint)
{
	why_set(why, reason, endpoint);
}

struct silver_sync_conn {
	silver_store *s;
	void *ctx, *sock, *mon;
	uint8_t server_key[SILVER_KEY_BYTES];
	char endpoint[256];
	int connected, handshaken, auth_failed, handshake_failed;
	unsigned sessions;
};

static void conn_monitor(silver_sync_conn *c);

void silver_sync_disconnect(silver_sync_conn **pc)
{
	silver_sync_conn *c = pc ? *pc : NULL;
	int zero = 0;

	if (!c)
		return;
	if (c->mon) {
		conn_monitor(c); /* the events not read yet: was the handshake done? */
		zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(c->mon);
	}
	if (c->sock) {
		/* No server ever completed the handshake (nothing listens, or
		 * something that is no silversync server): what is queued can
		 * never be delivered; do not linger over it on the way out. */
		if (!c->handshaken)
			zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->sock);
	}
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	free(c);
	*pc = NULL;
}

int silver_sync_connect(silver_store *s, const char *endpoint, const uint8_t server_key[SILVER_KEY_BYTES],
			silver_sync_conn **out, silver_why *why)
{
	silver_sync_conn *c;
	uint8_t spub[32];
	char zspub[41], monep[64];
	int rv;

	*out = NULL;
	if (why)
		memset(why, 0, sizeof(*why));
	if (silver_curve_public(server_key, spub) != 0) {
		why_set(why, N_("the server key is not a valid public key"), NULL);
		return SILVER_EINVAL;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return SILVER_ENOMEM;
	c->s = s;
	memcpy(c->server_key, server_key, SILVER_KEY_BYTES);
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	zmq_z85_encode(zspub, spub, 32);
	if (!(c->ctx = zmq_ctx_new()) || !(c->sock = zmq_socket(c->ctx, ZMQ_DEALER))) {
		why_set(why, N_("cannot start ZeroMQ"), zmq_strerror(errno));
		silver_sync_disconnect(&c);
		return SILVER_ENET;
	}
	set_common(c->sock);
	if ((rv = set_curve_keys(c->sock, s, 0)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, zspub, 40) != 0) {
		why_set(why, N_("cannot set up encryption (is this node's key readable?)"), NULL);
		silver_sync_disconnect(&c);
		return rv ? rv : SILVER_ENET;
	}
	snprintf(monep, sizeof(monep), "inproc://silver-mon-%p", (void *)c);
	if (zmq_socket_monitor(c->sock, monep,
			       ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
				       ZMQ_EVENT_DISCONNECTED) == 0 &&
	    (c->mon = zmq_socket(c->ctx, ZMQ_PAIR)) != NULL)
		zmq_connect(c->mon, monep);
	if (zmq_connect(c->sock, endpoint) != 0) {
		client_why_net(why, N_("not a valid endpoint (expected tcp://HOST:PORT)"), endpoint);
		silver_sync_disconnect(&c);
		return SILVER_ENET;
	}
	*out = c;
	return 0;
}

/* Read the socket monitor's events (connected, handshake failed). */
static void conn_monitor(silver_sync_conn *c)
{
	zmq_msg_t ev;
	int more = 0;

	zmq_msg_init(&ev);
	while (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) >= 0) {
		/* frame 1 = event (16 bits) + value (32), frame 2 = address */
		more = zmq_msg_more(&ev);
		if (zmq_msg_size(&ev) >= 6) {
			uint16_t e;
			memcpy(&e, zmq_msg_data(&ev), 2);
			if (e == ZMQ_EVENT_CONNECTED)
				c->connected = 1;
			else if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
				c->connected = c->handshaken = 1;
			else if (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
				c->auth_failed = 1;
			else if (e == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
				c->handshake_failed = 1;
		}
		while (more) {
			zmq_msg_close(&ev);
			zmq_msg_init(&ev);
			more = zmq_msg_recv(&ev, c->mon, 0) >= 0 && zmq_msg_more(&ev);
		}
		zmq_msg_close(&ev);
		zmq_msg_init(&ev);
	}
	zmq_msg_close(&ev);
}

int silver_sync_session(silver_sync_conn *c, const silver_sync_opts *o, silver_sync_report *rep, silver_why *why)
{
	struct sess x;
	struct client_tx tx;
	const char *endpoint = c->endpoint;
	int timeout = o && o->timeout_ms > 0 ? o->timeout_ms : SILVER_SYNC_TIMEOUT_MS;
	int rv;
	uint64_t last_progress = 0;
	zmq_msg_t in;

	if (why)
		memset(why, 0, sizeof(*why));
	memset(rep, 0, sizeof(*rep));
	if ((rv = sess_init(&x, c->s, o)) != 0) {
		sess_release(&x);
		return rv;
	}
	tx.sock = c->sock;
	x.client = 1;
	c->sessions++;
	zmq_msg_init(&in);
	if ((rv = sess_snapshot(&x)) != 0)
		goto out;
	silver_buf_reset(&x.msg);
	if ((rv = sess_hello_encode(&x, &x.msg)) != 0 || (rv = client_send(&x, &x.msg, &tx)) != 0)
		goto out;
	x.hello_out = 1;
	x.rep.bytes_sent += x.msg.len;
	for (;;) {
		zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
		uint64_t t = now_ms();
		int n;

		if (o && o->stop && *o->stop) {
			rv = SILVER_ENET;
			why_set(why, N_("stopped before the session finished"), NULL);
			break;
		}
		if (o && o->progress && t - last_progress >= 250) {
			last_progress = t;
			x.rep.ms = t - x.started;
			o->progress(&x.rep, o->progress_ctx);
		}
		/* An unreachable server (refused, no route, packets dropped) gives
		 * no CONNECTED event, and one behind something that accepts TCP but
		 * is no silversync server (a proxy, a firewall, another program)
		 * never completes the CURVE handshake: say so in seconds, not after
		 * the silence timeout.  Without a monitor there is nothing to go by. */
		if (c->mon && !c->handshaken && x.rep.bytes_received == 0 &&
		    t - x.started > (uint64_t)(timeout < SILVER_SYNC_CONNECT_MS ? timeout : SILVER_SYNC_CONNECT_MS)) {
			conn_monitor(c);
			if (!c->handshaken && !c->auth_failed && !c->handshake_failed) {
				rv = SILVER_ENET;
				if (!c->connected)
					why_set(why, N_("cannot reach the server (no connection)"), endpoint);
				else
					why_set(why,
						N_("cannot reach the server: the connection is accepted but no silversync server "
						   "answers on it"),
						endpoint);
				break;
			}
		}
		if (t - x.last_rx > (uint64_t)timeout) {
			rv = SILVER_ENET;
			if (c->auth_failed) {
				rv = SILVER_EDENIED;
				why_set(why, N_("the server refused this node's key (not certified by the county, or revoked)"),
					endpoint);
			} else if (c->handshake_failed) {
				why_set(why, N_("the encrypted handshake failed: check --server-key"), endpoint);
			} else if (!c->connected) {
				why_set(why, N_("cannot reach the server (no connection)"), endpoint);
			} else {
				why_set(why, N_("the server stopped answering"), endpoint);
			}
			break;
		}
		n = zmq_poll(items, c->mon ? 2 : 1, x.ev_wait ? 50 : 200);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rv = SILVER_ENET;
			why_set(why, N_("network failure"), zmq_strerror(errno));
			break;
		}
		if (c->mon && (items[1].revents & ZMQ_POLLIN)) {
			conn_monitor(c);
			if (c->auth_failed) {
				rv = SILVER_EDENIED;
				why_set(why, N_("the server refused this node's key (not certified by the county, or revoked)"),
					endpoint);
				break;
			}
		}
		while ((items[0].revents & ZMQ_POLLIN) && rv == 0 && zmq_msg_recv(&in, c->sock, ZMQ_DONTWAIT) >= 0) {
			silver_msg m;
			silver_arena_reset(x.arena);
			x.rep.bytes_received += zmq_msg_size(&in);
			rv = silver_msg_decode(zmq_msg_data(&in), zmq_msg_size(&in), x.arena, &m);
			if (rv != 0) {
				why_set(why, N_("the server sent a message this program cannot read"), silver_strerror(rv));
				if (rv == SILVER_EVERSION)
					why_set(why, N_("the server speaks a newer protocol; upgrade this program"), NULL);
				silver_buf_reset(&x.msg);
				if (silver_msg_error_encode(rv, "malformed message", &x.msg) == 0)
					client_send(&x, &x.msg, &tx);
				break;
			}
			if (!x.hello_in) {
				if (m.type == SILVER_MSG_ERROR) {
					rv = peer_error_code(m.code);
					snprintf(x.error_reason, sizeof(x.error_reason), "%.*s", (int)m.reason.n,
						 (const char *)m.reason.p);
					why_set(why, x.error_reason, endpoint);
					break;
				}
				if (m.type != SILVER_MSG_HELLO) {
					rv = SILVER_EMALFORMED;
					why_set(why, N_("the server did not start with HELLO"), NULL);
					break;
				}
				if (memcmp(m.key, c->server_key, SILVER_KEY_BYTES) != 0) {
					rv = SILVER_EDENIED;
					why_set(why, N_("the server's HELLO names another key than --server-key"), NULL);
					break;
				}
				x.last_rx = now_ms();
				if ((rv = sess_hello_in(&x, &m)) != 0)
					break;
			} else if ((rv = sess_handle(&x, &m, client_send, &tx)) != 0) {
				if (x.error_code)
					why_set(why, x.error_reason[0] ? x.error_reason : silver_strerror(rv), endpoint);
				else if (x.fatal)
					why_set(why, N_("this node's store failed while receiving"), silver_strerror(rv));
				else
					why_set(why, N_("the server broke the protocol"), silver_strerror(rv));
				break;
			}
		}
		if (rv != 0)
			break;
		if (x.hello_in && (rv = sess_pump(&x, client_send, &tx)) != 0) {
			if (!why || !why->reason[0])
				why_set(why, N_("cannot send to the server"), silver_strerror(rv));
			break;
		}
		if (x.hello_in && sess_finished(&x)) {
			x.rep.complete = 1;
			break;
		}
	}
out:
	zmq_msg_close(&in);
	if (x.rep.bytes_received > 0)
		c->handshaken = c->connected = 1; /* the server spoke: whatever is queued may be delivered */
	x.rep.hello_done = x.hello_in && x.hello_out;
	x.rep.ms = now_ms() - x.started;
	sess_final_vector(&x);
	*rep = x.rep;
	memset(&x.rep, 0, sizeof(x.rep)); /* the vector now belongs to rep */
	sess_release(&x);
	return rv;
}

int silver_sync_client(silver_store *s, const char *endpoint, const uint8_t server_key[SILVER_KEY_BYTES],
		       const silver_sync_opts *o, silver_sync_report *rep, silver_why *why)
{
	silver_sync_conn *c = NULL;
	int rv;

	memset(rep, 0, sizeof(*rep));
	if ((rv = silver_sync_connect(s, endpoint, server_key, &c, why)) != 0)
		return rv;
	rv = silver_sync_session(c, o, rep, why);
	silver_sync_disconnect(&c);
	return rv;
}

/* ---- ZAP handler ------------------------------------------------------------------------ */

/* A key with a certificate that may not connect: why, to log it. */
struct known {
	uint8_t curve[32];
	uint8_t ed[SILVER_KEY_BYTES];
	int revoked; /* else the certificate does not allow it (silver_store_key_allowed) */
	char name[SILVER_MAX_CERT_NAME + 1];
};

struct zap {
	pthread_t thread;
	int started;
	atomic_int stop;
	void *sock;
	pthread_mutex_t lock;
	uint8_t (*keys)[32]; /* sorted CURVE public keys admitted */
	size_t nkeys;
	struct known *known; /* certified keys not admitted, sorted by CURVE key */
	size_t nknown;
	int open;            /* open mode: admit every key */
	uint64_t refused;    /* keys refused so far */
	uint8_t last_refused[32];
	char last_address[64];
	struct known last_known; /* the last refused key's certificate, if it has one */
	int last_has_cert;
};

static int cmp_key32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void zap_reply(void *sock, const zmq_msg_t *reqid, const char *code, const char *text, const char *user)
{
	zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(sock, zmq_msg_data((zmq_msg_t *)reqid), zmq_msg_size((zmq_msg_t *)reqid), ZMQ_SNDMORE);
	zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
	zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(sock, "", 0, 0);
}

/* One ZAP request: version, request id, domain, address, identity,
 * mechanism, credentials (RFC 27). */
static void zap_one(struct zap *z)
{
	zmq_msg_t f[8];
	int n = 0, more = 1, ok = 0;
	char user[65] = "";

	while (more && n < 8) {
		zmq_msg_init(&f[n]);
		if (zmq_msg_recv(&f[n], z->sock, 0) < 0) {
			zmq_msg_close(&f[n]);
			break;
		}
		more = zmq_msg_more(&f[n]);
		n++;
	}
	while (more) { /* drain anything beyond 8 frames */
		zmq_msg_t x;
		zmq_msg_init(&x);
		if (zmq_msg_recv(&x, z->sock, 0) < 0)
			more = 0;
		else
			more = zmq_msg_more(&x);
		zmq_msg_close(&x);
	}
	if (n < 2) {
		for (int i = 0; i < n; i++)
			zmq_msg_close(&f[i]);
		return;
	}
	if (n >= 7 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0 &&
	    zmq_msg_size(&f[2]) == strlen(SILVER_SYNC_ZAP_DOMAIN) &&
	    memcmp(zmq_msg_data(&f[2]), SILVER_SYNC_ZAP_DOMAIN, strlen(SILVER_SYNC_ZAP_DOMAIN)) == 0 &&
	    zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 && zmq_msg_size(&f[6]) == 32) {
		const uint8_t *key = zmq_msg_data(&f[6]);
		pthread_mutex_lock(&z->lock);
		ok = z->open || (z->nkeys && bsearch(key, z->keys, z->nkeys, 32, cmp_key32) != NULL);
		if (!ok) {
			size_t an = zmq_msg_size(&f[3]) < sizeof(z->last_address) - 1 ? zmq_msg_size(&f[3])
										: sizeof(z->last_address) - 1;
			const struct known *k =
				z->nknown ? bsearch(key, z->known, z->nknown, sizeof(*z->known), cmp_key32) : NULL;
			z->refused++;
			z->last_has_cert = k != NULL;
			if (k)
				z->last_known = *k;
			memcpy(z->last_refused, key, 32);
			memcpy(z->last_address, zmq_msg_data(&f[3]), an);
			z->last_address[an] = 0;
		}
		pthread_mutex_unlock(&z->lock);
		if (ok)
			silver_hex(key, 32, user);
	}
	if (ok)
		zap_reply(z->sock, &f[1], "200", "OK", user);
	else
		zap_reply(z->sock, &f[1], "400", "key not certified or revoked", "");
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
}

static void *zap_main(void *arg)
{
	struct zap *z = arg;
	while (!atomic_load(&z->stop)) {
		zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
		int n = zmq_poll(&it, 1, 200);
		if (n < 0 && errno == ETERM)
			break;
		if (n > 0)
			zap_one(z);
	}
	return NULL;
}

struct keyset {
	uint8_t (*keys)[32];
	size_t n, cap;
	struct known *known;
	size_t nknown, capknown;
	silver_store *s;
};

static int keyset_add(struct keyset *k, const uint8_t ed[SILVER_KEY_BYTES])
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		uint8_t (*p)[32] = realloc(k->keys, cap * 32);
		if (!p)
			return SILVER_ENOMEM;
		k->keys = p;
		k->cap = cap;
	}
	if (silver_curve_public(ed, k->keys[k->n]) == 0)
		k->n++;
	return 0;
}

static int keyset_cert(const silver_cert *c, const silver_revoke *rev, void *ctx)
{
	struct keyset *k = ctx;
	struct known *kn;
	if (!rev && silver_store_key_allowed(k->s, c->key, NULL) == 0)
		return keyset_add(k, c->key);
	/* refused, but the log can say why */
	if (k->nknown == k->capknown) {
		size_t cap = k->capknown ? 2 * k->capknown : 16;
		struct known *p = realloc(k->known, cap * sizeof(*p));
		if (!p)
			return SILVER_ENOMEM;
		k->known = p;
		k->capknown = cap;
	}
	kn = &k->known[k->nknown];
	memset(kn, 0, sizeof(*kn));
	if (silver_curve_public(c->key, kn->curve) != 0)
		return 0;
	memcpy(kn->ed, c->key, SILVER_KEY_BYTES);
	kn->revoked = rev != NULL;
	memcpy(kn->name, c->name.p, c->name.n < SILVER_MAX_CERT_NAME ? c->name.n : SILVER_MAX_CERT_NAME);
	k->nknown++;
	return 0;
}

/* Rebuild the allow-list from the certificates (main thread only). */
static int zap_refresh(struct zap *z, silver_store *s)
{
	struct keyset k;
	uint8_t admin[SILVER_KEY_BYTES];
	int open = silver_store_admin(s, admin) == SILVER_ENOTFOUND, rv = 0;

	memset(&k, 0, sizeof(k));
	k.s = s;
	if (!open && ((rv = keyset_add(&k, admin)) != 0 || (rv = silver_store_certs(s, keyset_cert, &k)) != 0)) {
		free(k.keys);
		free(k.known);
		return rv;
	}
	if (k.n)
		qsort(k.keys, k.n, 32, cmp_key32);
	if (k.nknown)
		qsort(k.known, k.nknown, sizeof(*k.known), cmp_key32);
	pthread_mutex_lock(&z->lock);
	free(z->keys);
	free(z->known);
	z->keys = k.keys;
	z->nkeys = k.n;
	z->known = k.known;
	z->nknown = k.nknown;
	z->open = open;
	pthread_mutex_unlock(&z->lock);
	return 0;
}

/* ---- server ---------------------------------------------------------------------------- */

/* Messages are taken off the socket a few ahead of the one being handled,
 * and the seals of the batches among them start verifying at once
 * (silver_store_ingest_start): while one batch is checked against the
 * store and committed (an fsync), the verification threads already work
 * on the next ones instead of waiting for them.  Each batch is still
 * verified completely before anything of it is written, and batches are
 * handled in the order they came. */
#define INQ_MAX 16 /* messages received ahead */
#define PREP_MAX 4 /* of those, batches started ahead (SILVER_SYNC_WINDOW) */

struct inmsg {
	zmq_msg_t id, data;
	silver_arena *arena; /* the decoded message */
	silver_msg m;
	int rv;                   /* silver_msg_decode */
	silver_ingest_prep *prep; /* a BATCH whose seals are being verified */
};

struct silver_server {
	silver_store *s;
	silver_sync_opts o;
	void *ctx, *sock;
	struct zap zap;
	struct sess **sess;
	size_t nsess, capsess;
	char endpoint[256];
	uint64_t refused_seen;
	uint64_t last_refresh;
	int refresh_wanted;
	struct inmsg inq[INQ_MAX]; /* a ring: inq_len messages from inq_head */
	size_t inq_head, inq_len;
	size_t inq_init;           /* entries set up (zmq_msg_init, arena) */
};

struct server_tx {
	silver_server *srv;
};

static int server_send(struct sess *x, const silver_buf *m, void *ctx)
{
	struct server_tx *t = ctx;
	if (zmq_send(t->srv->sock, x->routing, x->nrouting, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(t->srv->sock, m->data, m->len, ZMQ_DONTWAIT) < 0)
		return SILVER_ENET; /* gone (ROUTER_MANDATORY) or stuck: end the session */
	return 0;
}

int silver_server_new(silver_store *s, const char *endpoint, const silver_sync_opts *o, silver_server **out,
		      silver_why *why)
{
	silver_server *srv;
	int one = 1, rv;

	*out = NULL;
	if (why)
		memset(why, 0, sizeof(*why));
	if (!(srv = calloc(1, sizeof(*srv))))
		return SILVER_ENOMEM;
	srv->s = s;
	if (o)
		srv->o = *o;
	snprintf(srv->endpoint, sizeof(srv->endpoint), "%s", endpoint);
	pthread_mutex_init(&srv->zap.lock, NULL);
	atomic_init(&srv->zap.stop, 0);
	for (; srv->inq_init < INQ_MAX; srv->inq_init++) {
		struct inmsg *im = &srv->inq[srv->inq_init];
		if (!(im->arena = silver_arena_new())) {
			rv = SILVER_ENOMEM;
			goto fail;
		}
		zmq_msg_init(&im->id);
		zmq_msg_init(&im->data);
	}
	if (!(srv->ctx = zmq_ctx_new())) {
		rv = SILVER_ENET;
		goto fail;
	}
	/* the ZAP handler is bound before anything can connect */
	if (!(srv->zap.sock = zmq_socket(srv->ctx, ZMQ_REP)) || zmq_bind(srv->zap.sock, ZAP_ENDPOINT) != 0) {
		why_set(why, N_("cannot start the key check (ZAP handler)"), zmq_strerror(errno));
		rv = SILVER_ENET;
		goto fail;
	}
	if ((rv = zap_refresh(&srv->zap, s)) != 0)
		goto fail;
	if (pthread_create(&srv->zap.thread, NULL, zap_main, &srv->zap) != 0) {
		rv = SILVER_ENOMEM;
		goto fail;
	}
	srv->zap.started = 1;
	if (!(srv->sock = zmq_socket(srv->ctx, ZMQ_ROUTER))) {
		rv = SILVER_ENET;
		goto fail;
	}
	set_common(srv->sock);
	zmq_setsockopt(srv->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	/* A ZAP domain makes ZAP mandatory: no handler, no connection.  The
	 * draft option ZMQ_ZAP_ENFORCE_DOMAIN is set too where libzmq has it. */
	zmq_setsockopt(srv->sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one));
	if (zmq_setsockopt(srv->sock, ZMQ_ZAP_DOMAIN, SILVER_SYNC_ZAP_DOMAIN, strlen(SILVER_SYNC_ZAP_DOMAIN)) != 0) {
		rv = SILVER_ENET;
		goto fail;
	}
	if ((rv = set_curve_keys(srv->sock, s, 1)) != 0) {
		why_set(why, N_("cannot set up encryption (is this node's key readable?)"), NULL);
		goto fail;
	}
	if (zmq_bind(srv->sock, endpoint) != 0) {
		why_set(why, N_("cannot listen on this endpoint (in use, or not tcp://ADDRESS:PORT)"), endpoint);
		rv = SILVER_ENET;
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	silver_server_destroy(&srv);
	return rv;
}

static struct sess *find_sess(silver_server *srv, const uint8_t *id, size_t n, size_t *at)
{
	for (size_t i = 0; i < srv->nsess; i++)
		if (srv->sess[i]->nrouting == n && memcmp(srv->sess[i]->routing, id, n) == 0) {
			*at = i;
			return srv->sess[i];
		}
	return NULL;
}

static void drop_sess(silver_server *srv, size_t at)
{
	sess_release(srv->sess[at]);
	free(srv->sess[at]);
	srv->sess[at] = srv->sess[--srv->nsess];
}

static void emit(silver_server *srv, silver_server_event_fn fn, void *ctx, enum silver_server_evkind kind,
		 struct sess *x, int code, const char *reason)
{
	silver_server_event ev;
	if (!fn)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.code = code;
	ev.reason = reason;
	if (x) {
		x->rep.ms = now_ms() - x->started;
		ev.rep = &x->rep;
		memcpy(ev.peer, x->rep.peer, SILVER_KEY_BYTES);
		ev.address = x->address;
	}
	fn(&ev, ctx);
}

/* Tell the peer why, then forget the session. */
static void end_sess(silver_server *srv, size_t at, int code, const char *reason, silver_server_event_fn fn,
		     void *ctx, enum silver_server_evkind kind)
{
	struct sess *x = srv->sess[at];
	struct server_tx tx = {srv};
	silver_buf_reset(&x->msg);
	if (silver_msg_error_encode(code, reason, &x->msg) == 0)
		server_send(x, &x->msg, &tx);
	sess_final_vector(x);
	emit(srv, fn, ctx, kind, x, code, reason);
	drop_sess(srv, at);
}

/* A HELLO from a new connection (or a restart on an old one). */
static int server_hello(silver_server *srv, struct sess *x, const silver_msg *m, silver_why *why)
{
	uint8_t cpub[32];
	char hex[65];
	int rv;

	if (silver_curve_public(m->key, cpub) != 0) {
		why_set(why, N_("the key in HELLO is not a valid public key"), NULL);
		return SILVER_EDENIED;
	}
	silver_hex(cpub, 32, hex);
	if (strcmp(hex, x->userid) != 0) {
		why_set(why, N_("the key in HELLO is not the key this connection was made with"), NULL);
		return SILVER_EDENIED;
	}
	if ((rv = silver_store_key_allowed(srv->s, m->key, why)) != 0)
		return rv;
	if ((rv = sess_snapshot(x)) != 0 || (rv = sess_hello_in(x, m)) != 0)
		return rv;
	silver_buf_reset(&x->msg);
	return sess_hello_encode(x, &x->msg);
}

static void server_message(silver_server *srv, struct inmsg *im, silver_server_event_fn fn, void *ctx)
{
	struct server_tx tx = {srv};
	zmq_msg_t *idm = &im->id, *dm = &im->data;
	const silver_msg *mp = &im->m;
	struct sess *x;
	silver_why why;
	uint64_t stored_before;
	size_t at;
	int rv;

	x = find_sess(srv, zmq_msg_data(idm), zmq_msg_size(idm), &at);
	if (!x) {
		const char *uid = zmq_msg_gets(dm, "User-Id");
		const char *addr = zmq_msg_gets(dm, "Peer-Address");
		if (zmq_msg_size(idm) > sizeof(x->routing))
			return;
		if (srv->nsess == srv->capsess) {
			size_t cap = srv->capsess ? 2 * srv->capsess : 16;
			struct sess **p = realloc(srv->sess, cap * sizeof(*p));
			if (!p)
				return;
			srv->sess = p;
			srv->capsess = cap;
		}
		if (!(x = calloc(1, sizeof(*x))) || sess_init(x, srv->s, &srv->o) != 0) {
			if (x)
				sess_release(x);
			free(x);
			return;
		}
		memcpy(x->routing, zmq_msg_data(idm), zmq_msg_size(idm));
		x->nrouting = zmq_msg_size(idm);
		snprintf(x->userid, sizeof(x->userid), "%s", uid ? uid : "");
		snprintf(x->address, sizeof(x->address), "%s", addr ? addr : "");
		at = srv->nsess;
		srv->sess[srv->nsess++] = x;
	}
	stored_before = x->rep.stored;
	x->rep.bytes_received += zmq_msg_size(dm);
	rv = im->rv;
	if (rv != 0) {
		end_sess(srv, at, rv,
			 rv == SILVER_EVERSION ? "unknown protocol version or message type" : "malformed message", fn,
			 ctx, SILVER_EV_BAD_MESSAGE);
		return;
	}
	if (!x->hello_in) {
		if (mp->type != SILVER_MSG_HELLO) {
			/* Usually a session whose connection was cut and silently
			 * reconnected (a new routing id, no session here): answer
			 * with a network error, so the client retries from HELLO. */
			end_sess(srv, at, SILVER_ENET, "expected HELLO first (no session on this connection: start again)",
				 fn, ctx, SILVER_EV_BAD_MESSAGE);
			return;
		}
		memset(&why, 0, sizeof(why));
		if ((rv = server_hello(srv, x, mp, &why)) != 0 || (rv = server_send(x, &x->msg, &tx)) != 0) {
			char reason[300];
			if (why.reason[0] && why.detail[0])
				snprintf(reason, sizeof(reason), "%.150s (%.100s)", why.reason, why.detail);
			else
				snprintf(reason, sizeof(reason), "%s", why.reason[0] ? why.reason : silver_strerror(rv));
			end_sess(srv, at, rv, reason, fn, ctx, SILVER_EV_SESSION_FAIL);
			return;
		}
		x->hello_out = 1;
		x->rep.bytes_sent += x->msg.len;
	} else {
		if (mp->type == SILVER_MSG_BATCH) {
			x->prep = im->prep; /* sess_handle finishes it */
			im->prep = NULL;
		}
		rv = sess_handle(x, mp, server_send, &tx);
		silver_store_ingest_cancel(&x->prep); /* (when sess_handle did not get to it) */
	}
	if (rv != 0) {
		if (x->error_code) { /* the peer said why: nothing to answer */
			sess_final_vector(x);
			emit(srv, fn, ctx, SILVER_EV_SESSION_FAIL, x, x->error_code, x->error_reason);
			drop_sess(srv, at);
		} else {
			/* The reason says what failed ("the disk is full"): the client
			 * reports it as a peer failure (exit 8), not as its own. */
			char why_s[200];
			snprintf(why_s, sizeof(why_s), "the hub's store failed: %s", silver_strerror(rv));
			end_sess(srv, at, rv, x->fatal ? why_s : "protocol violation", fn, ctx,
				 x->fatal ? SILVER_EV_SESSION_FAIL : SILVER_EV_BAD_MESSAGE);
		}
		return;
	}
	if (mp->type == SILVER_MSG_BATCH && x->rep.stored != stored_before)
		srv->refresh_wanted = 1; /* certificates may have arrived */
	if ((rv = sess_pump(x, server_send, &tx)) != 0) {
		end_sess(srv, at, rv, "cannot send", fn, ctx, SILVER_EV_SESSION_FAIL);
		return;
	}
	if (sess_finished(x)) {
		x->rep.complete = 1;
		x->rep.hello_done = 1;
		sess_final_vector(x);
		emit(srv, fn, ctx, SILVER_EV_SESSION_OK, x, 0, NULL);
		drop_sess(srv, at);
	}
}

/* Take what the socket holds, up to INQ_MAX messages ahead, and decode it. */
static void server_fill(silver_server *srv)
{
	while (srv->inq_len < INQ_MAX) {
		struct inmsg *im = &srv->inq[(srv->inq_head + srv->inq_len) % INQ_MAX];
		int more;
		if (zmq_msg_recv(&im->id, srv->sock, ZMQ_DONTWAIT) < 0)
			break;
		more = zmq_msg_more(&im->id);
		if (!more || zmq_msg_recv(&im->data, srv->sock, ZMQ_DONTWAIT) < 0)
			continue;
		more = zmq_msg_more(&im->data);
		while (more) { /* a client never sends multipart: drop the rest */
			zmq_msg_t x;
			zmq_msg_init(&x);
			more = zmq_msg_recv(&x, srv->sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&x);
			zmq_msg_close(&x);
		}
		silver_arena_reset(im->arena);
		im->rv = silver_msg_decode(zmq_msg_data(&im->data), zmq_msg_size(&im->data), im->arena, &im->m);
		im->prep = NULL;
		srv->inq_len++;
	}
}

/* Start verifying the batches waiting behind the one handled next, up to
 * PREP_MAX of them, for sessions past their HELLO. */
static void server_prep_ahead(silver_server *srv)
{
	size_t nprep = 0, at;

	for (size_t k = 1; k < srv->inq_len && nprep < PREP_MAX; k++) {
		struct inmsg *im = &srv->inq[(srv->inq_head + k) % INQ_MAX];
		struct sess *x;
		if (im->prep) {
			nprep++;
			continue;
		}
		if (im->rv != 0 || im->m.type != SILVER_MSG_BATCH)
			continue;
		x = find_sess(srv, zmq_msg_data(&im->id), zmq_msg_size(&im->id), &at);
		if (!x || !x->hello_in)
			continue;
		if (silver_store_ingest_start(srv->s, im->m.entries, im->m.nentries, &im->prep) != 0)
			break; /* no memory: it is verified when its turn comes */
		nprep++;
	}
}

/* The message at the head of the queue was handled: drop it. */
static void server_pop(silver_server *srv)
{
	struct inmsg *im = &srv->inq[srv->inq_head];
	silver_store_ingest_cancel(&im->prep);
	zmq_msg_close(&im->id);
	zmq_msg_close(&im->data);
	zmq_msg_init(&im->id);
	zmq_msg_init(&im->data);
	srv->inq_head = (srv->inq_head + 1) % INQ_MAX;
	srv->inq_len--;
}

int silver_server_run(silver_server *srv, silver_server_event_fn fn, void *ctx)
{
	int rv = 0;

	emit(srv, fn, ctx, SILVER_EV_LISTENING, NULL, 0, srv->endpoint);
	while (!(srv->o.stop && *srv->o.stop)) {
		zmq_pollitem_t it = {srv->sock, 0, ZMQ_POLLIN, 0};
		uint64_t t;
		int n = zmq_poll(&it, 1, srv->inq_len ? 0 : 250);

		if (n < 0 && errno != EINTR) {
			rv = SILVER_ENET;
			break;
		}
		for (int k = 0; k < 64; k++) { /* a bounded burst, then housekeeping */
			server_fill(srv);
			if (!srv->inq_len)
				break;
			server_prep_ahead(srv);
			server_message(srv, &srv->inq[srv->inq_head], fn, ctx);
			server_pop(srv);
		}
		t = now_ms();
		for (size_t i = 0; i < srv->nsess;) {
			struct sess *x = srv->sess[i];
			if (x->hello_out && sess_finished(x)) {
				/* finished while waiting for fork evidence that did not come */
				x->rep.complete = 1;
				x->rep.hello_done = 1;
				sess_final_vector(x);
				emit(srv, fn, ctx, SILVER_EV_SESSION_OK, x, 0, NULL);
				drop_sess(srv, i);
				continue;
			}
			if (t - x->last_rx > SESSION_IDLE_MS) {
				end_sess(srv, i, SILVER_ENET, "session timed out", fn, ctx, SILVER_EV_SESSION_FAIL);
				continue;
			}
			i++;
		}
		/* right after new entries (a certificate or revocation may be among
		 * them: the next connection must see it), and every 10 s */
		if (srv->refresh_wanted || t - srv->last_refresh > 10000) {
			if (zap_refresh(&srv->zap, srv->s) == 0) {
				srv->refresh_wanted = 0;
				srv->last_refresh = t;
			}
		}
		pthread_mutex_lock(&srv->zap.lock);
		if (srv->zap.refused != srv->refused_seen) {
			silver_server_event ev;
			char addr[64];
			memset(&ev, 0, sizeof(ev));
			struct known kn = srv->zap.last_known;
			int has_cert = srv->zap.last_has_cert;
			ev.kind = SILVER_EV_KEY_REFUSED;
			memcpy(ev.peer, srv->zap.last_refused, 32);
			memcpy(addr, srv->zap.last_address, sizeof(addr));
			ev.refused = (uint64_t)(srv->zap.refused - srv->refused_seen);
			srv->refused_seen = srv->zap.refused;
			pthread_mutex_unlock(&srv->zap.lock);
			ev.address = addr;
			ev.code = SILVER_EDENIED;
			ev.reason = "this CURVE key is not the key of any node the county certified";
			ev.refusal = SILVER_REFUSED_UNKNOWN;
			if (has_cert) {
				memcpy(ev.peer, kn.ed, SILVER_KEY_BYTES);
				ev.refusal = kn.revoked ? SILVER_REFUSED_REVOKED : SILVER_REFUSED_NOT_ALLOWED;
				ev.reason = kn.revoked ? "the county revoked this key"
						       : "this key's certificate does not allow it to connect";
				ev.office = kn.name;
			}
			if (fn)
				fn(&ev, ctx);
		} else {
			pthread_mutex_unlock(&srv->zap.lock);
		}
	}
	return rv;
}

void silver_server_destroy(silver_server **psrv)
{
	silver_server *srv = psrv ? *psrv : NULL;
	int zero = 0;

	if (!srv)
		return;
	while (srv->inq_len)
		server_pop(srv);
	for (size_t i = 0; i < srv->inq_init; i++) {
		zmq_msg_close(&srv->inq[i].id);
		zmq_msg_close(&srv->inq[i].data);
		silver_arena_destroy(&srv->inq[i].arena);
	}
	while (srv->nsess)
		drop_sess(srv, srv->nsess - 1);
	free(srv->sess);
	if (srv->sock) {
		zmq_setsockopt(srv->sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(srv->sock);
	}
	if (srv->zap.started) {
		atomic_store(&srv->zap.stop, 1);
		pthread_join(srv->zap.thread, NULL);
	}
	if (srv->zap.sock) {
		zmq_setsockopt(srv->zap.sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(srv->zap.sock);
	}
	if (srv->ctx)
		zmq_ctx_term(srv->ctx);
	free(srv->zap.keys);
	free(srv->zap.known);
	pthread_mutex_destroy(&srv->zap.lock);
	free(srv);
	*psrv = NULL;
}

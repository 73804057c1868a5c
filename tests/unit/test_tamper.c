/*
 * test_tamper.c - a real bundle (silver_bundle_write) altered in every way a
 * USB stick or a hostile peer could alter it: every byte of every entry
 * flipped, the file cut at every length, an entry dropped, two entries
 * swapped, an entry duplicated, an entry of another feed spliced in, a newer
 * bundle or entry format.  Each alteration is refused (silver_bundle_open or
 * silver_store_ingest fails) with a why naming the entry at fault, and the
 * receiver is left exactly as it was; the alterations that change nothing a
 * receiver could object to (a duplicate, a swap that keeps every feed in
 * order, a feed cut at an entry boundary) are accepted and give the state
 * the intact bundle gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define OK(x) assert_int_equal((x), 0)

/* One entry of the intact bundle, decoded once. */
struct meta {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	char author8[17]; /* hex of the first 8 bytes of the author key, as why names it */
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq;
	int sealed;
	int last_of_feed;
	int feed; /* 0, 1, ... in bundle order */
};

static struct {
	char path[4200];    /* the intact bundle */
	char scratch[4200]; /* altered copies */
	uint8_t *file;
	size_t size, hdr; /* file bytes, header length */
	tu_batch all;     /* the intact entries */
	struct meta *m;
	tu_batch other; /* a third node's feed, for splicing */
	struct meta om[8];
	silver_store *recv;  /* a receiver with a record of its own */
	silver_store *part;  /* a receiver holding the first transactions (sealed) and an unsealed tail */
	silver_digest ref;   /* what a fresh node holds after the intact bundle */
} G;

/* ---- the fixture ------------------------------------------------------------ */

struct adds {
	int n;
	const char *set_id;
	char ids[8][SILVER_MAX_ID];
};

static int adds_fn(silver_wtxn *t, void *vctx)
{
	struct adds *c = vctx;
	for (int i = 0; i < c->n; i++) {
		silver_kv kv[] = {{"name", "某某"}, {"category", i & 1 ? "retired" : "honorary"}, {"birth_date", "1930-05-06"}};
		int rv = silver_wtxn_add(t, "retiree", kv, 3, c->ids[i], NULL);
		if (rv)
			return rv;
	}
	if (c->set_id) {
		silver_kv kv = {"phone", "13800138000"};
		return silver_wtxn_set(t, c->set_id, &kv, 1, NULL);
	}
	return 0;
}

static void meta_of(const silver_slice *s, struct meta *m)
{
	silver_arena *a = silver_arena_new();
	silver_entry e;
	OK(silver_entry_decode(s->p, s->n, a, &e));
	memset(m, 0, sizeof(*m));
	silver_feedtag(e.author, e.township.p, e.township.n, m->tag);
	silver_hex(e.author, 8, m->author8);
	snprintf(m->township, sizeof(m->township), "%.*s", (int)e.township.n, (const char *)e.township.p);
	m->seq = e.seq;
	m->sealed = e.sealed;
	silver_arena_destroy(&a);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void part_make(silver_store **out);

static int setup(void **state)
{
	silver_store *a, *b, *c, *ref;
	struct adds x;
	uint64_t count;
	silver_bundle *bd;
	silver_why why;
	char id0[SILVER_MAX_ID];
	(void)state;

	tu_deterministic_random(7);
	tu_set_time(1735689600000ull);
	OK(tu_node("longhu", "a", &a));
	OK(tu_node("longhu", "b", &b));
	OK(tu_node("xinyan", "c", &c));
	memset(&x, 0, sizeof(x));
	x.n = 3; /* A 1..3 */
	OK(silver_store_write(a, adds_fn, &x));
	snprintf(id0, sizeof(id0), "%s", x.ids[0]);
	x.n = 1; /* A 4..5 */
	x.set_id = id0;
	OK(silver_store_write(a, adds_fn, &x));
	OK(tu_delete(a, x.ids[0], NULL)); /* A 6 */
	OK(tu_sync(a, b, NULL, NULL));
	x.n = 3; /* A 7..9 */
	x.set_id = NULL;
	OK(silver_store_write(a, adds_fn, &x));
	x.n = 2; /* B 1..3 */
	x.set_id = id0;
	OK(tu_resolve(b, id0, "_del", NULL, 1, NULL)); /* B 1 */
	x.n = 2;
	x.set_id = NULL;
	OK(silver_store_write(b, adds_fn, &x)); /* B 2..3 */
	x.n = 1;
	OK(silver_store_write(b, adds_fn, &x)); /* B 4 */
	OK(tu_sync(b, a, NULL, NULL));
	x.n = 4; /* A 10..13 */
	OK(silver_store_write(a, adds_fn, &x));
	OK(tu_set1(a, x.ids[3], "notes", "第一行\n第二行")); /* A 14 */

	x.n = 2; /* C 1..2 */
	OK(silver_store_write(c, adds_fn, &x));
	x.n = 1; /* C 3 */
	OK(silver_store_write(c, adds_fn, &x));
	tu_batch_init(&G.other);
	OK(tu_export(c, NULL, 0, NULL, NULL, &G.other));
	assert_int_equal(G.other.n, 3);
	for (size_t i = 0; i < G.other.n; i++)
		meta_of(&G.other.v[i], &G.om[i]);

	snprintf(G.path, sizeof(G.path), "%s", tu_path("bundle"));
	snprintf(G.scratch, sizeof(G.scratch), "%s", tu_path("altered"));
	OK(silver_bundle_write(a, G.path, NULL, 0, NULL, NULL, &count));
	assert_int_equal(count, 18);
	OK(silver_bundle_open(G.path, &bd, &why));
	assert_int_equal(bd->n, 18);
	tu_batch_init(&G.all);
	for (size_t i = 0; i < bd->n; i++)
		OK(tu_batch_push(&G.all, bd->entries[i].p, bd->entries[i].n));
	G.hdr = (size_t)(bd->entries[0].p - (const uint8_t *)bd->map);
	silver_bundle_close(&bd);
	G.file = slurp(G.path, &G.size);

	G.m = calloc(G.all.n, sizeof(*G.m));
	for (size_t i = 0; i < G.all.n; i++) {
		meta_of(&G.all.v[i], &G.m[i]);
		if (i > 0)
			G.m[i].feed = G.m[i - 1].feed + (memcmp(G.m[i].tag, G.m[i - 1].tag, SILVER_FEEDTAG_BYTES) != 0);
	}
	for (size_t i = 0; i < G.all.n; i++)
		G.m[i].last_of_feed = i + 1 == G.all.n || G.m[i + 1].feed != G.m[i].feed;
	assert_int_equal(G.m[G.all.n - 1].feed, 1); /* two feeds, feed by feed */

	OK(tu_node("longhu", "ref", &ref));
	OK(tu_ingest(ref, &G.all, NULL, NULL));
	OK(tu_digest(ref, &G.ref));
	assert_int_equal(G.ref.entries, 18);
	silver_store_close(&ref);

	OK(tu_node("xinyan", "recv", &G.recv));
	OK(tu_retiree(G.recv, "本地", id0));
	part_make(&G.part);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	silver_store_close(&G.recv);
	silver_store_close(&G.part);
	tu_batch_free(&G.all);
	tu_batch_free(&G.other);
	free(G.m);
	free(G.file);
	tu_cleanup();
	return 0;
}

/* ---- checking a refusal -------------------------------------------------------- */

struct snapshot {
	silver_digest d;
	uint64_t log, forks;
};

static uint64_t bad_proofs; /* fork proofs kept that silver_fork_proof_verify refuses */

static int count_fork(const silver_feedinfo *f, uint64_t seq, const uint8_t *p, size_t n, void *ctx)
{
	silver_fork_info info;
	(void)f;
	(void)seq;
	if (silver_fork_proof_verify(p, n, &info) != 0)
		bad_proofs++;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void snap(silver_store *s, struct snapshot *x)
{
	OK(tu_digest(s, &x->d));
	OK(tu_log_count(s, &x->log));
	x->forks = 0;
	OK(silver_store_forks(s, count_fork, &x->forks));
}

static int snap_same(silver_store *s, const struct snapshot *before)
{
	struct snapshot now;
	snap(s, &now);
	return tu_digest_equal(&before->d, &now.d) && now.log == before->log && now.forks == before->forks;
}

/* Does why.detail name entry k of batch?  "feed <author8>/<township> seq
 * <n>" for an entry that decoded, "entry <i> of <n>" (1-based) for one that
 * did not. */
static int names(const silver_why *why, const tu_batch *batch, size_t k)
{
	char a8[32], tw[80];
	unsigned long long seq, i, n;
	if (k >= batch->n)
		return 0;
	if (sscanf(why->detail, "feed %16[0-9a-f]/%64[a-z0-9_] seq %llu", a8, tw, &seq) == 3) {
		struct meta m;
		silver_arena *a = silver_arena_new();
		silver_entry e;
		int ok = silver_entry_decode(batch->v[k].p, batch->v[k].n, a, &e) == 0;
		silver_arena_destroy(&a);
		if (!ok)
			return 0;
		meta_of(&batch->v[k], &m);
		return strcmp(m.author8, a8) == 0 && strcmp(m.township, tw) == 0 && m.seq == seq;
	}
	return sscanf(why->detail, "entry %llu of %llu", &i, &n) == 2 && i == k + 1 && n == batch->n;
}

/* The first entry of batch the detail names, or -1. */
static long named_entry(const silver_why *why, const tu_batch *batch)
{
	for (size_t k = 0; k < batch->n; k++)
		if (names(why, batch, k))
			return (long)k;
	return -1;
}

/* Ingest batch into s: it must be refused, name an entry, change nothing. */
static void refused_why(silver_store *s, const tu_batch *batch, const char *what, long at, long *named,
			silver_why *whyp)
{
	struct snapshot before;
	silver_why why;
	silver_ingest_report rep;
	int rv;
	long k;

	snap(s, &before);
	rv = tu_ingest(s, batch, &rep, &why);
	if (rv == 0)
		fail_msg("%s (entry %ld): accepted (stored %llu, applied %llu, waiting %llu)", what, at,
			 (unsigned long long)rep.stored, (unsigned long long)rep.applied,
			 (unsigned long long)rep.waiting);
	if (!why.reason[0])
		fail_msg("%s (entry %ld): refused (%s) without a reason", what, at, silver_strerror(rv));
	k = named_entry(&why, batch);
	if (k < 0)
		fail_msg("%s (entry %ld): refused (%s: %s) but the detail '%s' names no entry of the batch", what, at,
			 silver_strerror(rv), why.reason, why.detail);
	if (named)
		*named = k;
	if (!snap_same(s, &before)) {
		struct snapshot now;
		snap(s, &now);
		fail_msg("%s (entry %ld): refused (%s: %s, %s) but the store changed: log %llu -> %llu, forks %llu -> %llu",
			 what, at, silver_strerror(rv), why.reason, why.detail, (unsigned long long)before.log,
			 (unsigned long long)now.log, (unsigned long long)before.forks, (unsigned long long)now.forks);
	}
	if (whyp)
		*whyp = why;
}

static void refused(silver_store *s, const tu_batch *batch, const char *what, long at, long *named)
{
	refused_why(s, batch, what, at, named, NULL);
}

/* Ingest batch into a fresh node: accepted, and the intact bundle's state. */
static void accepted_same(const tu_batch *batch, const char *what, long at, uint64_t want_dups)
{
	silver_store *s;
	silver_why why;
	silver_ingest_report rep;
	silver_digest d;
	int rv;

	OK(tu_node("longhu", "scratch", &s));
	rv = tu_ingest(s, batch, &rep, &why);
	if (rv != 0)
		fail_msg("%s (entry %ld): refused: %s: %s (%s)", what, at, silver_strerror(rv), why.reason, why.detail);
	assert_int_equal(rep.duplicates, want_dups);
	OK(tu_digest(s, &d));
	if (!tu_digest_equal(&d, &G.ref))
		fail_msg("%s (entry %ld): accepted, but the state differs from the intact bundle's", what, at);
	silver_store_close(&s);
}

/* ---- flips ---------------------------------------------------------------------- */

/* Problems found by flip_all, counted by kind; the first of each kind is
 * described, and the test fails at the end if any was found. */
enum { P_ACCEPTED, P_NOREASON, P_NAMES, P_CHANGED, P_FORK, P_JUNK_LOG, P_JUNK_STATE, P_KINDS };
static const char *const pnames[P_KINDS] = {
	"accepted (and applied) an altered entry",
	"refused without a reason",
	"the detail names neither the altered entry nor its successor",
	"refused, but the store changed",
	"refused, but fork evidence was kept (the altered entry is covered by no valid seal)",
	"accepted an unsealed junk entry of a made-up feed: the log digest (feeds, log) now differs from a replica "
	"holding the same sealed entries",
	"accepted an unsealed junk entry and the state changed",
};

struct tally {
	size_t n[P_KINDS];
	char first[P_KINDS][512];
};

static void problem(struct tally *t, int kind, const char *fmt, ...)
{
	va_list ap;
	if (t->n[kind]++ == 0) {
		va_start(ap, fmt);
		vsnprintf(t->first[kind], sizeof(t->first[kind]), fmt, ap);
		va_end(ap);
	}
}

/* The receiver holding a prefix: A 1..5 sealed, B 1..2 an unsealed tail. */
static void part_make(silver_store **out)
{
	tu_batch p;
	silver_ingest_report rep;
	tu_batch_init(&p);
	for (size_t i = 0; i < G.all.n; i++)
		if (G.m[i].seq <= (G.m[i].feed == G.m[0].feed ? 5u : 2u))
			OK(tu_batch_push(&p, G.all.v[i].p, G.all.v[i].n));
	OK(tu_node("longhu", "part", out));
	OK(tu_ingest(*out, &p, &rep, NULL));
	assert_int_equal(rep.waiting, 1);
	tu_batch_free(&p);
}

static void flip_all(silver_store **sp, const char *who, int rebuildable)
{
	static const uint8_t masks[] = {0xff, 0x01};
	struct tally ty;
	tu_batch t;
	size_t total = 0, accepted = 0, nprob = 0;
	silver_digest after_intact;

	memset(&ty, 0, sizeof(ty));
	{
		/* What the receiver holds after the intact bundle. */
		silver_store *x;
		if (rebuildable)
			part_make(&x);
		else
			OK(tu_node("longhu", "x", &x));
		OK(tu_ingest(x, &G.all, NULL, NULL));
		OK(tu_digest(x, &after_intact));
		silver_store_close(&x);
	}
	for (size_t j = 0; j < G.all.n; j++) {
		for (size_t off = 0; off < G.all.v[j].n; off++) {
			for (size_t m = 0; m < sizeof(masks); m++) {
				silver_store *s = *sp;
				struct snapshot before, now;
				silver_why why;
				silver_ingest_report rep;
				char what[96];
				int rv;
				tu_batch_init(&t);
				OK(tu_batch_append(&t, &G.all, 0, G.all.n));
				((uint8_t *)t.v[j].p)[off] ^= masks[m];
				snprintf(what, sizeof(what), "%s: entry %zu (seq %llu) byte %zu ^ 0x%02x", who, j,
					 (unsigned long long)G.m[j].seq, off, masks[m]);
				total++;
				snap(s, &before);
				rv = tu_ingest(s, &t, &rep, &why);
				snap(s, &now);
				if (rv == 0) {
					/* Acceptable only as a waiting unsealed entry of some other
					 * feed (open mode takes any author): nothing applied. */
					silver_digest d = now.d;
					accepted++;
					if (rep.waiting == 0 || memcmp(d.state, after_intact.state, SILVER_HASH_BYTES) != 0 ||
					    d.records != after_intact.records || d.conflicts != after_intact.conflicts)
						problem(&ty, rep.waiting ? P_JUNK_STATE : P_ACCEPTED,
							"%s: stored %llu applied %llu waiting %llu", what,
							(unsigned long long)rep.stored, (unsigned long long)rep.applied,
							(unsigned long long)rep.waiting);
					else if (!tu_digest_equal(&d, &after_intact))
						problem(&ty, P_JUNK_LOG, "%s: feeds %llu, want %llu", what,
							(unsigned long long)d.feeds, (unsigned long long)after_intact.feeds);
					assert_true(rebuildable);
					silver_store_close(sp);
					part_make(sp);
					tu_batch_free(&t);
					continue;
				}
				if (!why.reason[0])
					problem(&ty, P_NOREASON, "%s: %s", what, silver_strerror(rv));
				/* The entry named is the altered one or, when only the
				 * next entry's prev shows the change, its successor in
				 * its feed. */
				if (!names(&why, &t, j) &&
				    !(j + 1 < G.all.n && G.m[j + 1].feed == G.m[j].feed && names(&why, &t, j + 1)))
					problem(&ty, P_NAMES, "%s: %s: %s (%s)", what, silver_strerror(rv), why.reason,
						why.detail);
				if (now.forks != before.forks)
					problem(&ty, P_FORK, "%s: %s: %s (%s)", what, silver_strerror(rv), why.reason,
						why.detail);
				else if (!snap_same(s, &before))
					problem(&ty, P_CHANGED, "%s: %s: %s (%s)", what, silver_strerror(rv), why.reason,
						why.detail);
				if (now.forks != before.forks && rebuildable) {
					silver_store_close(sp);
					part_make(sp);
				}
				tu_batch_free(&t);
			}
		}
	}
	print_message("%s: %zu single-byte alterations, %zu accepted as waiting junk\n", who, total, accepted);
	for (int k = 0; k < P_KINDS; k++) {
		if (!ty.n[k])
			continue;
		nprob += ty.n[k];
		print_error("%zu x %s; first: %s\n", ty.n[k], pnames[k], ty.first[k]);
	}
	if (bad_proofs)
		print_error("fork proofs kept that silver_fork_proof_verify refuses: seen %llu times\n",
			    (unsigned long long)bad_proofs);
	if (nprob)
		fail_msg("%s: %zu alterations handled wrongly", who, nprob);
}

static void test_flip_every_byte(void **state)
{
	(void)state;
	flip_all(&G.recv, "fresh receiver", 0);
}

/* The receiver already holds the first transactions and an unsealed tail:
 * an altered copy of an entry it holds is not a fork (no valid seal covers
 * it) and must leave no fork evidence behind.
 * KNOWN FAILURE (see the report): node/ingest.c keeps fork evidence for it. */
static void test_flip_every_byte_partial_receiver(void **state)
{
	(void)state;
	flip_all(&G.part, "receiver holding a prefix", 1);
}

/* ---- files ---------------------------------------------------------------------- */

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A bundle file with this header and these entries. */
static void write_bundle(const char *path, uint32_t version, uint64_t count, const tu_batch *b)
{
	silver_bundle_header h = {version, SILVER_SUITE_ED25519_BLAKE2B, 1, count};
	silver_buf buf;
	silver_buf_init(&buf);
	OK(silver_bundle_header_encode(&h, &buf));
	for (size_t i = 0; i < b->n; i++)
		OK(silver_buf_append(&buf, b->v[i].p, b->v[i].n));
	write_file(path, buf.data, buf.len);
	silver_buf_release(&buf);
}

/* Open path and ingest it into s; rv of whichever failed. */
static int open_ingest(const char *path, silver_store *s, silver_why *why)
{
	silver_bundle *b;
	int rv = silver_bundle_open(path, &b, why);
	if (rv != 0) {
		assert_null(b);
		return rv;
	}
	rv = silver_store_ingest(s, b->entries, b->n, NULL, why);
	silver_bundle_close(&b);
	return rv;
}

static void test_intact_file(void **state)
{
	silver_store *s;
	silver_why why;
	silver_digest d;
	(void)state;
	OK(tu_node("longhu", "intact", &s));
	OK(open_ingest(G.path, s, &why));
	OK(tu_digest(s, &d));
	assert_true(tu_digest_equal(&d, &G.ref));
	/* Again: all duplicates, nothing changes. */
	OK(open_ingest(G.path, s, &why));
	{
		silver_digest d2;
		OK(tu_digest(s, &d2));
		assert_true(tu_digest_equal(&d, &d2));
	}
	silver_store_close(&s);
}

/* silver_store_ingest_start / _finish: batches started ahead (their seals
 * verifying while the one before is written) and finished in order store
 * what one ingest would; a cancelled batch changes nothing; a bad seal in a
 * batch started ahead is refused at _finish with nothing of it written. */
static void test_ingest_ahead(void **state)
{
	size_t cut[4] = {0, G.all.n / 3, 2 * G.all.n / 3, G.all.n};
	silver_ingest_prep *p[3];
	silver_ingest_report rep;
	silver_why why;
	silver_digest d;
	silver_store *s;
	uint64_t stored = 0, before, after;
	tu_batch bad;
	size_t last = 0;
	(void)state;
	assert_true(cut[1] > 0 && cut[2] > cut[1]);
	OK(tu_node("longhu", "ahead", &s));
	for (int k = 0; k < 3; k++)
		OK(silver_store_ingest_start(s, G.all.v + cut[k], cut[k + 1] - cut[k], &p[k]));
	for (int k = 0; k < 3; k++) {
		OK(silver_store_ingest_finish(&p[k], &rep, &why));
		assert_null(p[k]);
		stored += rep.stored;
	}
	assert_int_equal(stored, G.all.n);
	OK(tu_digest(s, &d));
	assert_true(tu_digest_equal(&d, &G.ref));
	silver_store_close(&s);

	/* the rest with the last seal in it damaged, started ahead of the first third */
	tu_batch_init(&bad);
	OK(tu_batch_append(&bad, &G.all, cut[1], G.all.n));
	for (size_t j = cut[1]; j < G.all.n; j++)
		if (G.m[j].sealed)
			last = j - cut[1];
	assert_true(G.m[cut[1] + last].sealed);
	((uint8_t *)bad.v[last].p)[bad.v[last].n - 1] ^= 0x01; /* the signature ends the entry */
	OK(tu_node("longhu", "ahead2", &s));
	OK(silver_store_ingest_start(s, G.all.v, cut[1], &p[0]));
	OK(silver_store_ingest_start(s, bad.v, bad.n, &p[1]));
	OK(silver_store_ingest_start(s, G.all.v + cut[1], G.all.n - cut[1], &p[2]));
	OK(silver_store_ingest_finish(&p[0], &rep, &why));
	OK(tu_log_count(s, &before));
	assert_int_equal(silver_store_ingest_finish(&p[1], &rep, &why), SILVER_EBADSIG);
	assert_null(p[1]);
	assert_non_null(strstr(why.reason, "seal"));
	OK(tu_log_count(s, &after));
	assert_int_equal(after, before);
	/* a cancelled batch: nothing */
	silver_store_ingest_cancel(&p[2]);
	assert_null(p[2]);
	silver_store_ingest_cancel(&p[2]); /* NULL is fine */
	OK(tu_log_count(s, &after));
	assert_int_equal(after, before);
	/* the intact rest, then: as one ingest */
	OK(silver_store_ingest_start(s, G.all.v + cut[1], G.all.n - cut[1], &p[2]));
	OK(silver_store_ingest_finish(&p[2], &rep, &why));
	OK(tu_digest(s, &d));
	assert_true(tu_digest_equal(&d, &G.ref));
	tu_batch_free(&bad);
	silver_store_close(&s);
}

static void test_truncate_every_length(void **state)
{
	struct snapshot before;
	(void)state;
	snap(G.recv, &before);
	for (size_t len = 0; len < G.size; len++) {
		silver_bundle *b;
		silver_why why;
		int rv;
		write_file(G.scratch, G.file, len);
		rv = silver_bundle_open(G.scratch, &b, &why);
		if (rv == 0) {
			/* Only possible if the cut fell where no entry is missing. */
			rv = silver_store_ingest(G.recv, b->entries, b->n, NULL, &why);
			silver_bundle_close(&b);
			if (rv == 0)
				fail_msg("a bundle cut at %zu of %zu bytes was accepted", len, G.size);
		}
		if (!why.reason[0])
			fail_msg("a bundle cut at %zu bytes: refused (%s) without a reason", len, silver_strerror(rv));
		if (len > G.hdr && !strstr(why.detail, "entry "))
			fail_msg("a bundle cut at %zu bytes: the detail '%s' names no entry", len, why.detail);
	}
	assert_true(snap_same(G.recv, &before));
	/* Bytes after the last entry. */
	{
		uint8_t *p = malloc(G.size + 1);
		silver_why why;
		memcpy(p, G.file, G.size);
		p[G.size] = 0xc0;
		write_file(G.scratch, p, G.size + 1);
		free(p);
		assert_int_equal(open_ingest(G.scratch, G.recv, &why), SILVER_EMALFORMED);
		assert_true(why.reason[0] != 0);
	}
}

static void test_drop_entry(void **state)
{
	(void)state;
	for (size_t j = 0; j < G.all.n; j++) {
		tu_batch t;
		silver_why why;
		tu_batch_init(&t);
		OK(tu_batch_append(&t, &G.all, 0, j));
		OK(tu_batch_append(&t, &G.all, j + 1, G.all.n));
		/* The header still counts it: the file is short. */
		write_bundle(G.scratch, 1, G.all.n, &t);
		assert_int_equal(open_ingest(G.scratch, G.recv, &why), SILVER_EMALFORMED);
		/* The count fixed too: the gap shows in the chain. */
		write_bundle(G.scratch, 1, t.n, &t);
		if (G.m[j].last_of_feed) {
			/* A feed cut at an entry boundary is an older bundle: accepted,
			 * what has no seal after it waits. */
			silver_store *s;
			silver_ingest_report rep;
			OK(tu_node("longhu", "cut", &s));
			{
				silver_bundle *b;
				OK(silver_bundle_open(G.scratch, &b, &why));
				OK(silver_store_ingest(s, b->entries, b->n, &rep, &why));
				silver_bundle_close(&b);
			}
			assert_int_equal(rep.stored, G.all.n - 1);
			assert_int_equal(rep.waiting, G.m[j - 1].sealed ? 0 : 1);
			silver_store_close(&s);
		} else {
			long named;
			refused(G.recv, &t, "dropped", (long)j, &named);
			/* the entry after the gap */
			assert_int_equal(named, (long)j);
			assert_int_equal(G.m[j + 1].seq, G.m[j].seq + 1);
		}
		tu_batch_free(&t);
	}
}

/* Does the batch order keep each feed's entries in seq order? */
static int feeds_in_order(const size_t *ord, size_t n)
{
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (G.m[ord[a]].feed == G.m[ord[b]].feed && G.m[ord[a]].seq > G.m[ord[b]].seq)
				return 0;
	return 1;
}

static void test_swap_two(void **state)
{
	size_t n = G.all.n, *ord = calloc(n, sizeof(*ord)), nref = 0, nacc = 0;
	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			tu_batch t;
			for (size_t k = 0; k < n; k++)
				ord[k] = k;
			ord[i] = j;
			ord[j] = i;
			tu_batch_init(&t);
			for (size_t k = 0; k < n; k++)
				OK(tu_batch_push(&t, G.all.v[ord[k]].p, G.all.v[ord[k]].n));
			if (feeds_in_order(ord, n)) {
				accepted_same(&t, "swapped across feeds", (long)i, 0);
				nacc++;
			} else {
				refused(G.recv, &t, "swapped", (long)i, NULL);
				nref++;
			}
			tu_batch_free(&t);
		}
	}
	print_message("swaps: %zu refused, %zu accepted (each feed still in order)\n", nref, nacc);
	assert_true(nref > 0);
	free(ord);
}

static void test_duplicate_entry(void **state)
{
	(void)state;
	for (size_t j = 0; j < G.all.n; j++) {
		tu_batch t;
		silver_why why;
		silver_store *s;
		silver_ingest_report rep;
		/* right after itself */
		tu_batch_init(&t);
		OK(tu_batch_append(&t, &G.all, 0, j + 1));
		OK(tu_batch_append(&t, &G.all, j, G.all.n));
		accepted_same(&t, "duplicated after itself", (long)j, 1);
		/* through a file, at the end */
		tu_batch_free(&t);
		tu_batch_init(&t);
		OK(tu_batch_append(&t, &G.all, 0, G.all.n));
		OK(tu_batch_append(&t, &G.all, j, j + 1));
		write_bundle(G.scratch, 1, t.n, &t);
		OK(tu_node("longhu", "dup", &s));
		OK(open_ingest(G.scratch, s, &why));
		{
			silver_digest d;
			OK(tu_digest(s, &d));
			assert_true(tu_digest_equal(&d, &G.ref));
		}
		/* and to a node that holds it all already: nothing changes */
		{
			struct snapshot before;
			snap(s, &before);
			tu_batch_free(&t);
			tu_batch_init(&t);
			OK(tu_batch_append(&t, &G.all, j, j + 1));
			OK(tu_ingest(s, &t, &rep, &why));
			assert_int_equal(rep.duplicates, 1);
			assert_int_equal(rep.stored + rep.applied, 0);
			assert_true(snap_same(s, &before));
		}
		silver_store_close(&s);
		tu_batch_free(&t);
	}
}

static void test_splice_other_feed(void **state)
{
	(void)state;
	/* C's seq 2 and 3 without what comes before them in C's feed. */
	for (size_t k = 1; k < G.other.n; k++) {
		for (size_t j = 0; j <= G.all.n; j++) {
			tu_batch t;
			long named;
			/* inserted at j */
			tu_batch_init(&t);
			OK(tu_batch_append(&t, &G.all, 0, j));
			OK(tu_batch_append(&t, &G.other, k, k + 1));
			OK(tu_batch_append(&t, &G.all, j, G.all.n));
			refused(G.recv, &t, "spliced in", (long)j, &named);
			assert_int_equal(named, (long)j);
			tu_batch_free(&t);
			if (j == G.all.n)
				continue;
			/* in place of entry j */
			tu_batch_init(&t);
			OK(tu_batch_append(&t, &G.all, 0, j));
			OK(tu_batch_append(&t, &G.other, k, k + 1));
			OK(tu_batch_append(&t, &G.all, j + 1, G.all.n));
			refused(G.recv, &t, "spliced in place", (long)j, &named);
			tu_batch_free(&t);
		}
	}
	/* C's seq 1 is sound on its own but unsealed: kept waiting. */
	{
		tu_batch t;
		silver_store *s;
		silver_ingest_report rep;
		tu_batch_init(&t);
		OK(tu_batch_append(&t, &G.all, 0, G.all.n));
		OK(tu_batch_append(&t, &G.other, 0, 1));
		OK(tu_node("longhu", "c1", &s));
		OK(tu_ingest(s, &t, &rep, NULL));
		assert_int_equal(rep.waiting, 1);
		assert_int_equal(rep.applied, G.all.n);
		silver_store_close(&s);
		tu_batch_free(&t);
	}
}

static void test_newer_versions(void **state)
{
	silver_why why;
	struct snapshot before;
	tu_batch t;
	(void)state;

	snap(G.recv, &before);
	write_bundle(G.scratch, 2, G.all.n, &G.all);
	assert_int_equal(open_ingest(G.scratch, G.recv, &why), SILVER_EVERSION);

	/* body = array(8) [ version, ... ]: the third byte of the entry. */
	for (size_t j = 0; j < G.all.n; j++) {
		tu_batch_init(&t);
		OK(tu_batch_append(&t, &G.all, 0, G.all.n));
		assert_int_equal(t.v[j].p[0], 0x92);
		assert_int_equal(t.v[j].p[1], 0x98);
		assert_int_equal(t.v[j].p[2], 0x01);
		((uint8_t *)t.v[j].p)[2] = 0x02;
		assert_int_equal(tu_ingest(G.recv, &t, NULL, &why), SILVER_EVERSION);
		assert_int_equal(named_entry(&why, &t), (long)j);
		write_bundle(G.scratch, 1, t.n, &t);
		assert_int_equal(open_ingest(G.scratch, G.recv, &why), SILVER_EVERSION);
		tu_batch_free(&t);
	}
	assert_true(snap_same(G.recv, &before));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact_file),
		cmocka_unit_test(test_newer_versions),
		cmocka_unit_test(test_truncate_every_length),
		cmocka_unit_test(test_ingest_ahead),
		cmocka_unit_test(test_drop_entry),
		cmocka_unit_test(test_swap_two),
		cmocka_unit_test(test_duplicate_entry),
		cmocka_unit_test(test_splice_other_feed),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_flip_every_byte_partial_receiver),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_converge.c - the convergence property: replicas holding the same
 * entries hold the same state, whatever the order, batching, duplication
 * and cutting of what they exchanged.
 *
 * Five simulated nodes (three laptops of township "longhu", two of
 * "xinyan"; a node writes only its own township's records) take random
 * steps: add records (one to three per transaction), set random fields
 * (biased to collide on a few hot records and fields, with values from small
 * pools so that equal values meet too), delete, resolve an open conflict, or
 * exchange: X sends Y what Y lacks, or everything, or a random subset of its
 * feeds, or a random contiguous slice of its stream (cutting transactions,
 * leaving unsealed tails), split into chunks, perhaps duplicated, delivered
 * in random order.  A chunk that does not follow what Y holds is refused as
 * a gap, and a refusal must leave Y as it was.
 *
 * At the end everyone exchanges with everyone until nothing moves; then all
 * log and state digests are equal, every record is equal byte for byte, no
 * entry waits for a seal, and a (record, field) is listed as a conflict iff
 * its heads hold two or more distinct values.  Then one node per township
 * resolves every conflict of its township, everyone exchanges again, and
 * there are no conflicts anywhere and the digests are equal.
 *
 * Deterministic: identities (libsodium's random source) and clocks come
 * from the seed.  SILVER_SEEDS=n runs seeds 1..n (default 200),
 * SILVER_SEED=n replays one, SILVER_STEPS=n sets the steps per seed.
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

#define NNODES 5
#define MAXREC 256
#define T0 1735689600000ull

static const char *const township_of[NNODES] = {"longhu", "longhu", "longhu", "xinyan", "xinyan"};

struct sim {
	uint64_t seed;
	int step;
	tu_rng rng;
	uint64_t now;
	silver_store *n[NNODES];
	char rec[2][MAXREC][SILVER_MAX_ID]; /* record ids per township (0 longhu, 1 xinyan) */
	int nrec[2];
	/* statistics, over all seeds */
	uint64_t writes, refusals, exchanges, batches, gaps, waiting, resolved;
};

static struct sim S;
static int verbose; /* SILVER_VERBOSE=1: say what happens */
static uint64_t tot_writes, tot_refusals, tot_exch, tot_batches, tot_gaps, tot_waiting, tot_conflicts, tot_resolved;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		print_error("seed %llu step %d: ", (unsigned long long)S.seed, S.step);            \
		fail_msg(__VA_ARGS__);                                                             \
	} while (0)
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		int rv_ = (x);                                                                     \
		if (rv_ != 0)                                                                      \
			FAIL("%s: %s", #x, silver_strerror(rv_));                                  \
	} while (0)

static int town(int node)
{
	return node < 3 ? 0 : 1;
}

static uint32_t pick(uint32_t n)
{
	return tu_below(&S.rng, n);
}

static void tick(void)
{
	S.now += 1 + pick(3000);
	tu_set_time(S.now);
}

/* ---- writes ------------------------------------------------------------------- */

static const char *const names[] = {"王建国", "李秀英", "张伟"};
static const char *const phones[] = {"13800000001", "13800000002", ""};
static const char *const addresses[] = {"龙湖镇东街", "新烟街道 1 号", "龙湖镇东街 "};
static const char *const categories[] = {"honorary", "retired"};
static const char *const hardships[] = {"illness", "old_age,low_income", "low_income, old_age", ""};
static const char *const notes[] = {"第一行\n第二行", "回访", ""};

struct wctx {
	int node, kind; /* 0 add, 1 set, 2 delete, 3 resolve */
	int nadd;
	char target[2][SILVER_MAX_ID];
	silver_kv kv[2][4];
	uint32_t nkv[2];
	int ntarget;
	char field[SILVER_MAX_NAME + 1];
	const char *text;
	uint32_t take;
	char ids[3][SILVER_MAX_ID];
	int visit;
	silver_why why;
};

static int write_fn(silver_wtxn *t, void *vctx)
{
	struct wctx *c = vctx;
	int rv = 0;
	switch (c->kind) {
	case 0:
		for (int i = 0; i < c->nadd && rv == 0; i++) {
			if (c->visit && i == 0) {
				silver_kv kv[] = {{"retiree", c->target[0]}, {"date", "2025-03-01"}, {"type", "festival"}};
				rv = silver_wtxn_add(t, "visit", kv, 3, c->ids[i], &c->why);
			} else {
				silver_kv kv[] = {{"name", names[i % 3]}, {"category", "retired"}, {"birth_date", "1940-01-01"}};
				rv = silver_wtxn_add(t, "retiree", kv, 3, c->ids[i], &c->why);
			}
		}
		return rv;
	case 1:
		for (int i = 0; i < c->ntarget && rv == 0; i++)
			rv = silver_wtxn_set(t, c->target[i], c->kv[i], c->nkv[i], &c->why);
		return rv;
	case 2:
		return silver_wtxn_delete(t, c->target[0], &c->why);
	default:
		return silver_wtxn_resolve(t, c->target[0], c->field, c->text, c->take, &c->why);
	}
}

/* A record of the node's township, biased to the first few (hot) and to
 * records the node holds (a few tries). */
static const char *some_record(int node)
{
	int tw = town(node), n = S.nrec[tw];
	const char *r = NULL;
	if (n == 0)
		return NULL;
	for (int tries = 0; tries < 4; tries++) {
		if (pick(2) == 0)
			r = S.rec[tw][pick(n < 3 ? (uint32_t)n : 3)];
		else
			r = S.rec[tw][pick((uint32_t)n)];
		if (tu_exists(S.n[node], r))
			break;
	}
	return r;
}

static void random_kv(silver_kv *kv, uint32_t *n)
{
	/* 1..3 distinct fields, in a random order */
	static const char *const keys[] = {"name", "phone", "address", "category", "hardship", "notes"};
	int used[6] = {0};
	uint32_t want = 1 + pick(3);
	*n = 0;
	while (*n < want) {
		uint32_t k = *n == 0 && pick(2) ? 0 : pick(6); /* name is hot */
		if (used[k])
			continue;
		used[k] = 1;
		kv[*n].key = keys[k];
		switch (k) {
		case 0:
			kv[*n].text = names[pick(3)];
			break;
		case 1:
			kv[*n].text = phones[pick(3)];
			break;
		case 2:
			kv[*n].text = addresses[pick(3)];
			break;
		case 3:
			kv[*n].text = categories[pick(2)];
			break;
		case 4:
			kv[*n].text = hardships[pick(4)];
			break;
		default:
			kv[*n].text = notes[pick(3)];
			break;
		}
		(*n)++;
	}
}

struct conf_pick {
	const char *township;
	uint32_t seen, want;
	char id[SILVER_MAX_ID], field[SILVER_MAX_NAME + 1];
	int found;
};

static int conf_count(const char *id, const char *field, void *ctx)
{
	struct conf_pick *c = ctx;
	size_t n = strlen(c->township);
	(void)field;
	if (strncmp(id, c->township, n) == 0 && id[n] == '/')
		c->seen++;
	return 0;
}

static int conf_nth(const char *id, const char *field, void *ctx)
{
	struct conf_pick *c = ctx;
	size_t n = strlen(c->township);
	if (strncmp(id, c->township, n) != 0 || id[n] != '/')
		return 0;
	if (c->seen++ == c->want) {
		snprintf(c->id, sizeof(c->id), "%s", id);
		snprintf(c->field, sizeof(c->field), "%s", field);
		c->found = 1;
		return 1;
	}
	return 0;
}

/* The number of heads of a field, for a resolution by number. */
static uint32_t heads_of(silver_store *s, const char *id, const char *field)
{
	uint32_t nh;
	int c;
	CHECK(tu_fieldstate(s, id, field, &nh, &c));
	return nh;
}

static void do_write(int node, int kind)
{
	struct wctx c;
	silver_digest before, after;
	uint64_t lb, la;
	int rv;

	memset(&c, 0, sizeof(c));
	c.node = node;
	c.kind = kind;
	switch (kind) {
	case 0: {
		const char *r = some_record(node);
		c.nadd = 1 + (int)pick(3);
		if (r && pick(3) == 0) {
			c.visit = 1;
			snprintf(c.target[0], sizeof(c.target[0]), "%s", r);
			if (strstr(r, "/visit/"))
				c.visit = 0;
		}
		break;
	}
	case 1: {
		const char *r = some_record(node);
		if (!r || strstr(r, "/visit/"))
			return;
		c.ntarget = 1 + (pick(4) == 0);
		for (int i = 0; i < c.ntarget; i++) {
			const char *x = i ? some_record(node) : r;
			if (strstr(x, "/visit/")) {
				c.ntarget = i;
				break;
			}
			snprintf(c.target[i], sizeof(c.target[i]), "%s", x);
			random_kv(c.kv[i], &c.nkv[i]);
		}
		break;
	}
	case 2: {
		const char *r = some_record(node);
		if (!r)
			return;
		snprintf(c.target[0], sizeof(c.target[0]), "%s", r);
		break;
	}
	default: {
		struct conf_pick cp;
		memset(&cp, 0, sizeof(cp));
		cp.township = township_of[node];
		CHECK(silver_store_conflicts(S.n[node], conf_count, &cp));
		if (cp.seen == 0)
			return;
		cp.want = pick(cp.seen);
		cp.seen = 0;
		rv = silver_store_conflicts(S.n[node], conf_nth, &cp);
		if (rv < 0 || !cp.found)
			FAIL("picking a conflict: %d", rv);
		snprintf(c.target[0], sizeof(c.target[0]), "%s", cp.id);
		snprintf(c.field, sizeof(c.field), "%s", cp.field);
		if (strcmp(cp.field, "_del") == 0 || pick(2)) {
			c.take = 1 + pick(heads_of(S.n[node], cp.id, cp.field));
		} else {
			static const char *const values[] = {"王建国", "13800000003", "龙湖镇东街", "retired", "illness", "回访"};
			const char *const fields[] = {"name", "phone", "address", "category", "hardship", "notes"};
			c.text = NULL;
			for (int i = 0; i < 6; i++)
				if (strcmp(cp.field, fields[i]) == 0)
					c.text = values[i];
			if (!c.text)
				c.take = 1;
		}
		break;
	}
	}
	CHECK(tu_digest(S.n[node], &before));
	CHECK(tu_log_count(S.n[node], &lb));
	rv = silver_store_write(S.n[node], write_fn, &c);
	S.writes++;
	if (rv == 0) {
		S.resolved += kind == 3;
		if (kind == 0) {
			for (int i = 0; i < c.nadd && S.nrec[town(node)] < MAXREC; i++)
				snprintf(S.rec[town(node)][S.nrec[town(node)]++], SILVER_MAX_ID, "%s", c.ids[i]);
		}
		return;
	}
	/* Refusals the simulation can cause: a record not received yet or
	 * deleted, a visit of a deleted retiree.  Nothing else. */
	if (rv != SILVER_ENOTFOUND && rv != SILVER_ESCHEMA)
		FAIL("node %d write kind %d refused: %s: %s (%s) field '%s'", node, kind, silver_strerror(rv),
		     c.why.reason, c.why.detail, c.why.field);
	if (rv == SILVER_ESCHEMA && !(kind == 0 && c.visit))
		FAIL("node %d write kind %d refused: %s: %s (%s)", node, kind, silver_strerror(rv), c.why.reason,
		     c.why.detail);
	S.refusals++;
	if (verbose)
		print_message("seed %llu step %d: node %d write kind %d refused: %s (%s)\n", (unsigned long long)S.seed,
			      S.step, node, kind, c.why.reason, c.why.detail);
	CHECK(tu_digest(S.n[node], &after));
	CHECK(tu_log_count(S.n[node], &la));
	if (!tu_digest_equal(&before, &after) || la != lb)
		FAIL("node %d: a refused write changed the store", node);
}

/* ---- exchanges ------------------------------------------------------------------ */

static uint64_t feed_salt;

static int random_feeds(const silver_feedinfo *f, void *ctx)
{
	uint64_t h = feed_salt;
	(void)ctx;
	for (int i = 0; i < SILVER_FEEDTAG_BYTES; i++)
		h = (h ^ f->tag[i]) * 0x100000001b3ull;
	return (h >> 7) & 1;
}

static void deliver(int y, const tu_batch *b)
{
	silver_digest before, after;
	silver_ingest_report rep;
	silver_why why;
	uint64_t lb, la;
	int rv;

	CHECK(tu_digest(S.n[y], &before));
	CHECK(tu_log_count(S.n[y], &lb));
	rv = tu_ingest(S.n[y], b, &rep, &why);
	S.batches++;
	if (rv == 0) {
		S.waiting += rep.waiting ? 1 : 0;
		return;
	}
	if (rv != SILVER_ECHAIN)
		FAIL("node %d refused a batch of %zu: %s: %s (%s)", y, b->n, silver_strerror(rv), why.reason,
		     why.detail);
	S.gaps++;
	CHECK(tu_digest(S.n[y], &after));
	CHECK(tu_log_count(S.n[y], &la));
	if (!tu_digest_equal(&before, &after) || la != lb)
		FAIL("node %d: a refused batch changed the store", y);
}

static void exchange(void)
{
	int x = (int)pick(NNODES), y = (int)pick(NNODES - 1);
	tu_batch all, chunk[4];
	size_t cut[5], nchunks, order[4];
	uint32_t r = pick(100), mode = r < 40 ? 0 : r < 55 ? 1 : r < 70 ? 2 : 3;

	if (y >= x)
		y++;
	if (town(x) != town(y) && pick(2)) /* mostly within a township */
		y = town(x) ? 3 + (x == 3) : (x + 1 + (int)pick(2)) % 3;
	S.exchanges++;
	tu_batch_init(&all);
	switch (mode) {
	case 0: { /* what y lacks */
		silver_have *have;
		size_t nhave;
		CHECK(tu_have(S.n[y], &have, &nhave));
		CHECK(tu_export(S.n[x], have, nhave, NULL, NULL, &all));
		free(have);
		break;
	}
	case 1: /* everything */
		CHECK(tu_export(S.n[x], NULL, 0, NULL, NULL, &all));
		break;
	case 2: /* some feeds */
		feed_salt = tu_rand(&S.rng);
		CHECK(tu_export(S.n[x], NULL, 0, random_feeds, NULL, &all));
		break;
	default: { /* a contiguous slice of the stream */
		tu_batch full;
		size_t i, j;
		tu_batch_init(&full);
		CHECK(tu_export(S.n[x], NULL, 0, NULL, NULL, &full));
		if (full.n) {
			i = pick((uint32_t)full.n);
			j = i + 1 + pick((uint32_t)(full.n - i));
			CHECK(tu_batch_append(&all, &full, i, j));
		}
		tu_batch_free(&full);
		break;
	}
	}
	if (verbose)
		print_message("seed %llu step %d: exchange %d -> %d mode %u: %zu entries\n", (unsigned long long)S.seed,
			      S.step, x, y, mode, all.n);
	if (all.n == 0) {
		tu_batch_free(&all);
		return;
	}
	/* 1..3 chunks, a chunk perhaps twice, in random order */
	nchunks = 1 + pick(3);
	if (nchunks > all.n)
		nchunks = all.n;
	cut[0] = 0;
	cut[nchunks] = all.n;
	for (size_t k = 1; k < nchunks; k++) {
		cut[k] = cut[k - 1] + 1 + pick((uint32_t)(all.n - cut[k - 1] - (nchunks - k)));
	}
	for (size_t k = 0; k < nchunks; k++) {
		tu_batch_init(&chunk[k]);
		CHECK(tu_batch_append(&chunk[k], &all, cut[k], cut[k + 1]));
		order[k] = k;
	}
	if (pick(4) == 0) { /* a duplicate */
		tu_batch_init(&chunk[nchunks]);
		CHECK(tu_batch_append(&chunk[nchunks], &chunk[pick((uint32_t)nchunks)], 0, SIZE_MAX));
		order[nchunks] = nchunks;
		nchunks++;
	}
	if (pick(2)) /* shuffled */
		for (size_t k = nchunks; k > 1; k--) {
			size_t q = pick((uint32_t)k), tmp = order[k - 1];
			order[k - 1] = order[q];
			order[q] = tmp;
		}
	for (size_t k = 0; k < nchunks; k++)
		deliver(y, &chunk[order[k]]);
	for (size_t k = 0; k < nchunks; k++)
		tu_batch_free(&chunk[k]);
	tu_batch_free(&all);
}

/* Everyone with everyone until nothing moves. */
static void quiesce(void)
{
	for (int round = 0; round < 8; round++) {
		int moved = 0;
		for (int x = 0; x < NNODES; x++) {
			for (int y = 0; y < NNODES; y++) {
				silver_ingest_report rep;
				silver_why why;
				int rv;
				if (x == y)
					continue;
				rv = tu_sync(S.n[x], S.n[y], &rep, &why);
				if (rv != 0)
					FAIL("final sync %d -> %d: %s: %s (%s)", x, y, silver_strerror(rv), why.reason,
					     why.detail);
				if (rep.stored || rep.applied)
					moved = 1;
			}
		}
		if (!moved)
			return;
	}
	FAIL("still moving after 8 rounds of everyone with everyone");
}

/* ---- the checks -------------------------------------------------------------------- */

struct images {
	silver_buf all;
	char (*pairs)[SILVER_MAX_ID + SILVER_MAX_NAME + 2]; /* "id field" with distinct heads */
	size_t n, cap;
	uint64_t records;
};

static int add_pair(struct images *im, const char *id, size_t idn, const char *field, size_t fn)
{
	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;
		void *p = realloc(im->pairs, cap * sizeof(*im->pairs));
		if (!p)
			return SILVER_ENOMEM;
		im->pairs = p;
		im->cap = cap;
	}
	snprintf(im->pairs[im->n++], sizeof(im->pairs[0]), "%.*s %.*s", (int)idn, id, (int)fn, field);
	return 0;
}

static int image_fn(const silver_record *r, void *ctx)
{
	struct images *im = ctx;
	int rv = tu_record_image(r, &im->all);
	im->records++;
	for (uint32_t i = 0; i < r->nfields && rv == 0; i++) {
		const silver_fieldstate *f = &r->fields[i];
		int distinct = 0;
		for (uint32_t j = 1; j < f->nheads; j++)
			if (!silver_value_equal(&f->heads[0].value, &f->heads[j].value))
				distinct = 1;
		if (distinct != f->conflict)
			return SILVER_ECORRUPT;
		if (distinct)
			rv = add_pair(im, (const char *)r->id.p, r->id.n, (const char *)f->field.p, f->field.n);
	}
	return rv;
}

static int conflict_fn(const char *id, const char *field, void *ctx)
{
	return add_pair(ctx, id, strlen(id), field, strlen(field));
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void check_node(int k, struct images *im)
{
	struct images listed;
	memset(im, 0, sizeof(*im));
	memset(&listed, 0, sizeof(listed));
	silver_buf_init(&im->all);
	if (silver_store_list(S.n[k], NULL, image_fn, im) != 0)
		FAIL("node %d: listing records failed, or a field's conflict flag disagrees with its heads", k);
	CHECK(silver_store_conflicts(S.n[k], conflict_fn, &listed));
	if (im->n)
		qsort(im->pairs, im->n, sizeof(im->pairs[0]), pair_cmp);
	if (listed.n)
		qsort(listed.pairs, listed.n, sizeof(listed.pairs[0]), pair_cmp);
	if (im->n != listed.n)
		FAIL("node %d: %zu fields have distinct heads, %zu conflicts listed", k, im->n, listed.n);
	for (size_t i = 0; i < im->n; i++)
		if (strcmp(im->pairs[i], listed.pairs[i]) != 0)
			FAIL("node %d: conflict '%s' vs listed '%s'", k, im->pairs[i], listed.pairs[i]);
	free(listed.pairs);
}

static void images_free(struct images *im)
{
	silver_buf_release(&im->all);
	free(im->pairs);
}

static void check_converged(uint64_t *nconf)
{
	silver_digest d0, d;
	struct images i0, ik;
	uint64_t n;

	CHECK(tu_digest(S.n[0], &d0));
	check_node(0, &i0);
	for (int k = 0; k < NNODES; k++) {
		CHECK(tu_digest(S.n[k], &d));
		if (memcmp(d.log, d0.log, SILVER_HASH_BYTES) != 0 || d.entries != d0.entries || d.feeds != d0.feeds)
			FAIL("node %d: log digest differs from node 0 (entries %llu vs %llu)", k,
			     (unsigned long long)d.entries, (unsigned long long)d0.entries);
		if (memcmp(d.state, d0.state, SILVER_HASH_BYTES) != 0 || d.records != d0.records ||
		    d.conflicts != d0.conflicts)
			FAIL("node %d: state digest differs from node 0 (records %llu vs %llu, conflicts %llu vs %llu)", k,
			     (unsigned long long)d.records, (unsigned long long)d0.records,
			     (unsigned long long)d.conflicts, (unsigned long long)d0.conflicts);
		CHECK(tu_log_count(S.n[k], &n));
		if (n != d.entries)
			FAIL("node %d: %llu entries stored, %llu sealed: a tail still waits", k, (unsigned long long)n,
			     (unsigned long long)d.entries);
		if (k == 0)
			continue;
		check_node(k, &ik);
		if (ik.records != i0.records || ik.all.len != i0.all.len || memcmp(ik.all.data, i0.all.data, i0.all.len))
			FAIL("node %d: records differ from node 0's", k);
		images_free(&ik);
	}
	*nconf = d0.conflicts;
	images_free(&i0);
}

/* One node per township settles every conflict of its township. */
struct settle_txn {
	const char *township;
	char (*list)[2][SILVER_MAX_ID + SILVER_MAX_NAME];
	size_t n, cap;
};

static int collect(const char *id, const char *field, void *ctx)
{
	struct settle_txn *c = ctx;
	size_t n = strlen(c->township);
	if (strncmp(id, c->township, n) != 0 || id[n] != '/')
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		void *p = realloc(c->list, cap * sizeof(*c->list));
		if (!p)
			return SILVER_ENOMEM;
		c->list = p;
		c->cap = cap;
	}
	snprintf(c->list[c->n][0], sizeof(c->list[0][0]), "%s", id);
	snprintf(c->list[c->n][1], sizeof(c->list[0][1]), "%s", field);
	c->n++;
	return 0;
}

static int settle_fn(silver_wtxn *t, void *vctx)
{
	struct settle_txn *c = vctx;
	silver_why why;
	for (size_t i = 0; i < c->n; i++) {
		int rv = silver_wtxn_resolve(t, c->list[i][0], c->list[i][1], NULL, 1, &why);
		if (rv != 0)
			return rv;
	}
	return 0;
}

static void settle_all(void)
{
	for (int tw = 0; tw < 2; tw++) {
		int node = tw ? 3 : 0;
		struct settle_txn c;
		memset(&c, 0, sizeof(c));
		c.township = township_of[node];
		CHECK(silver_store_conflicts(S.n[node], collect, &c));
		if (c.n) {
			tick();
			CHECK(silver_store_write(S.n[node], settle_fn, &c));
		}
		free(c.list);
	}
}

/* ---- one seed ------------------------------------------------------------------------ */

static void run_seed(uint64_t seed, int steps)
{
	uint64_t nconf;
	char name[16];

	memset(&S, 0, sizeof(S));
	S.seed = seed;
	S.rng.s = seed * 0x9e3779b97f4a7c15ull + 1;
	S.now = T0;
	tu_reseed(seed);
	tu_set_time(S.now);
	for (int k = 0; k < NNODES; k++) {
		snprintf(name, sizeof(name), "node%d", k);
		CHECK(tu_node(township_of[k], name, &S.n[k]));
	}
	for (S.step = 1; S.step <= steps; S.step++) {
		uint32_t r = pick(100);
		int node = (int)pick(NNODES);
		tick();
		if (r < 15)
			do_write(node, 0);
		else if (r < 45)
			do_write(node, 1);
		else if (r < 49)
			do_write(node, 2);
		else if (r < 57)
			do_write(node, 3);
		else
			exchange();
	}
	S.step = -1; /* the end */
	tick();
	quiesce();
	check_converged(&nconf);
	tot_conflicts += nconf;
	settle_all();
	quiesce();
	check_converged(&nconf);
	if (nconf != 0)
		FAIL("%llu conflicts left after settling all", (unsigned long long)nconf);
	for (int k = 0; k < NNODES; k++)
		silver_store_close(&S.n[k]);
	tot_writes += S.writes;
	tot_refusals += S.refusals;
	tot_exch += S.exchanges;
	tot_batches += S.batches;
	tot_gaps += S.gaps;
	tot_waiting += S.waiting;
	tot_resolved += S.resolved;
	tu_cleanup(); /* a fresh directory per seed */
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void test_converge(void **state)
{
	long one = env_long("SILVER_SEED", 0), seeds = env_long("SILVER_SEEDS", 200);
	int steps = (int)env_long("SILVER_STEPS", 60);
	(void)state;
	verbose = (int)env_long("SILVER_VERBOSE", 0);
	if (one > 0) {
		run_seed((uint64_t)one, steps);
		seeds = 1;
	} else {
		for (long s = 1; s <= seeds; s++)
			run_seed((uint64_t)s, steps);
	}
	print_message("%ld seeds x %d steps: %llu writes (%llu refused), %llu resolutions, %llu exchanges in %llu "
		      "batches (%llu refused as gaps, %llu left a tail waiting), %llu conflicts at the end\n",
		      seeds, steps, (unsigned long long)tot_writes, (unsigned long long)tot_refusals,
		      (unsigned long long)tot_resolved, (unsigned long long)tot_exch, (unsigned long long)tot_batches,
		      (unsigned long long)tot_gaps, (unsigned long long)tot_waiting, (unsigned long long)tot_conflicts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge),
	};
	int rv;
	tu_deterministic_random(1);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	tu_set_time(0);
	tu_cleanup();
	return rv;
}

/*
 * test_audit_tamper.c - silver-audit against a real signed history and
 * hundreds of tampered copies of it (docs/AUDIT.md).
 *
 * The history: a county admin, three certified offices (xinan, donghu,
 * beishan), a fourth (nanshan) that the admin revokes after receiving its
 * work and that writes on afterwards, and an uncertified key.  Offices make
 * single edits (one seal each) and multi-record transactions (one seal for
 * several entries).  The admin's store receives everything valid and
 * exports the honest bundle.
 *
 * Every tampering case builds a bundle (or a store) from those entries,
 * runs the audit in process (audit_run, as silver-audit does), and checks
 * that a finding of an expected kind is reported; every untampered
 * variant must audit clean.  A deterministic PRNG picks positions, so a
 * failure names a case that can be rerun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>
#include <sodium.h>

#include "audit.h"
#include "testutil.h"

#define T0_MS 1717200000000ull /* 2024-06-01 */

struct office {
	const char *township;
	char dir[512];
	silver_store *s;
	uint8_t pk[SILVER_KEY_BYTES];
	uint8_t sk[SILVER_SECRET_BYTES];
	char ids[16][SILVER_MAX_ID];
	int nids;
};

enum { ADM, XA, DH, BS, NS, UC, NOFF };

static struct office off[NOFF] = {
	[ADM] = {.township = "county"}, [XA] = {.township = "xinan"},  [DH] = {.township = "donghu"},
	[BS] = {.township = "beishan"}, [NS] = {.township = "nanshan"}, [UC] = {.township = "xinan"},
};

static tu_batch honest;    /* the admin's export: every valid entry */
static tu_batch late;      /* nanshan's entries after its revocation */
static tu_batch stranger;  /* the uncertified key's entries */
static char bundle_path[600];
static int cases, clean_cases;
static int failures;

/* ---- building the history ---------------------------------------------------------- */

static void load_secret(struct office *o)
{
	char path[600], line[80];
	uint8_t seed[32];
	FILE *f;
	snprintf(path, sizeof(path), "%s/identity.key", o->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[64] = 0;
	assert_int_equal(silver_unhex(line, seed, 32), 0);
	assert_int_equal(crypto_sign_seed_keypair(o->pk, o->sk, seed), 0);
}

static void make_node(struct office *o, const char *name, const uint8_t *admin)
{
	snprintf(o->dir, sizeof(o->dir), "%s", tu_path(o->township));
	strcat(o->dir, name[0] == 'U' ? "-stranger" : "");
	assert_int_equal(silver_store_create(o->dir, o->township, name), 0);
	assert_int_equal(silver_store_open(o->dir, 0, &o->s), 0);
	load_secret(o);
	assert_int_equal(silver_store_pin_admin(o->s, admin ? admin : o->pk), 0);
}

struct cert_ctx {
	silver_cert c;
	silver_slice w;
};

static int certify_fn(silver_wtxn *t, void *ctx)
{
	struct cert_ctx *c = ctx;
	return silver_wtxn_certify(t, &c->c, NULL);
}

static void certify(struct office *o, const char *name)
{
	struct cert_ctx c;
	memset(&c, 0, sizeof(c));
	memcpy(c.c.key, o->pk, SILVER_KEY_BYTES);
	c.c.name.p = (const uint8_t *)name;
	c.c.name.n = (uint32_t)strlen(name);
	c.c.role = SILVER_ROLE_BRANCH;
	c.w.p = (const uint8_t *)o->township;
	c.w.n = (uint32_t)strlen(o->township);
	c.c.write = &c.w;
	c.c.nwrite = 1;
	c.c.read = &c.w;
	c.c.nread = 1;
	assert_int_equal(silver_store_write(off[ADM].s, certify_fn, &c), 0);
}

struct many_ctx {
	struct office *o;
	int n;
	int base;
};

static int many_fn(silver_wtxn *t, void *ctx)
{
	struct many_ctx *m = ctx;
	for (int i = 0; i < m->n; i++) {
		char name[32], id[SILVER_MAX_ID];
		silver_kv kv[] = {{"name", name}, {"category", "retired"}, {"birth_date", "1950-01-02"}};
		int rv;
		snprintf(name, sizeof(name), "Bulk %d-%d", m->base, i);
		if ((rv = silver_wtxn_add(t, "retiree", kv, 3, id, NULL)) != 0)
			return rv;
	}
	return 0;
}

static void office_work(struct office *o, int round)
{
	char name[32], phone[32];
	struct many_ctx m = {o, 6, round};
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s %d-%d", o->township, round, i);
		assert_int_equal(tu_retiree(o->s, name, o->ids[o->nids]), 0);
		o->nids++;
	}
	for (int i = 0; i < o->nids; i++) {
		snprintf(phone, sizeof(phone), "139%04d%04d", round, i);
		assert_int_equal(tu_set1(o->s, o->ids[i], "phone", phone), 0);
	}
	assert_int_equal(silver_store_write(o->s, many_fn, &m), 0);
}

static int revoke_fn(silver_wtxn *t, void *ctx)
{
	return silver_wtxn_revoke(t, ((struct office *)ctx)->pk, "laptop lost", NULL);
}

static void build_history(void)
{
	tu_batch certs;
	silver_why why;

	tu_deterministic_random(20240601);
	tu_set_time(T0_MS);
	make_node(&off[ADM], "County admin", NULL);
	make_node(&off[XA], "Xinan office", off[ADM].pk);
	make_node(&off[DH], "Donghu office", off[ADM].pk);
	make_node(&off[BS], "Beishan office", off[ADM].pk);
	make_node(&off[NS], "Nanshan office", off[ADM].pk);
	make_node(&off[UC], "Unknown laptop", off[ADM].pk);
	certify(&off[XA], "Xinan office");
	certify(&off[DH], "Donghu office");
	certify(&off[BS], "Beishan office");
	certify(&off[NS], "Nanshan office");
	tu_batch_init(&certs);
	assert_int_equal(tu_export_author(off[ADM].s, off[ADM].pk, &certs), 0);
	for (int i = XA; i <= UC; i++)
		assert_int_equal(tu_ingest(off[i].s, &certs, NULL, &why), 0);
	tu_batch_free(&certs);

	for (int round = 1; round <= 2; round++)
		for (int i = XA; i <= UC; i++) {
			tu_set_time(T0_MS + (uint64_t)round * 3600000 + (uint64_t)i * 60000);
			office_work(&off[i], round);
		}
	/* The county receives the offices' work, then revokes nanshan. */
	for (int i = XA; i <= NS; i++)
		assert_int_equal(tu_sync(off[i].s, off[ADM].s, NULL, &why), 0);
	tu_set_time(T0_MS + 5 * 3600000);
	assert_int_equal(silver_store_write(off[ADM].s, revoke_fn, &off[NS]), 0);
	/* nanshan's laptop goes on writing. */
	tu_set_time(T0_MS + 6 * 3600000);
	{
		silver_have *have;
		size_t nh;
		assert_int_equal(tu_have(off[NS].s, &have, &nh), 0);
		office_work(&off[NS], 3);
		tu_batch_init(&late);
		assert_int_equal(tu_export(off[NS].s, have, nh, NULL, NULL, &late), 0);
		free(have);
	}
	assert_true(late.n > 0);
	tu_batch_init(&stranger);
	assert_int_equal(tu_export_author(off[UC].s, off[UC].pk, &stranger), 0);
	tu_batch_init(&honest);
	assert_int_equal(tu_export(off[ADM].s, NULL, 0, NULL, NULL, &honest), 0);
	tu_set_time(0);
}

/* ---- bundles and audits ---------------------------------------------------------------- */

typedef struct list {
	silver_slice *v; /* point into honest/late/stranger or into owned */
	size_t n, cap;
	tu_batch owned;
} list;

static void list_init(list *l)
{
	memset(l, 0, sizeof(*l));
	tu_batch_init(&l->owned);
}

static void list_free(list *l)
{
	free(l->v);
	tu_batch_free(&l->owned);
}

static void list_insert(list *l, size_t at, silver_slice s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = s;
	l->n++;
}

static void list_push(list *l, silver_slice s)
{
	list_insert(l, l->n, s);
}

static void list_remove(list *l, size_t at)
{
	memmove(&l->v[at], &l->v[at + 1], (l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

/* Keep bytes alive for the list's lifetime.  The owned batch may grow, so
 * its copies are referenced by index through a second copy: simpler to
 * leak into a malloc'd block kept in owned. */
static silver_slice own(list *l, const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n);
	silver_slice s;
	assert_non_null(c);
	memcpy(c, p, n);
	assert_int_equal(tu_batch_push(&l->owned, (const uint8_t *)&c, sizeof(c)), 0);
	s.p = c;
	s.n = (uint32_t)n;
	return s;
}

static void list_release_owned(list *l)
{
	for (size_t i = 0; i < l->owned.n; i++) {
		uint8_t *c;
		memcpy(&c, l->owned.v[i].p, sizeof(c));
		free(c);
	}
}

static void list_of_batch(list *l, const tu_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		list_push(l, b->v[i]);
}

static void write_bundle(const list *l)
{
	silver_bundle_header h = {SILVER_FORMAT_VERSION, SILVER_SUITE_ED25519_BLAKE2B,
				  (T0_MS + 7 * 3600000ull) << 16, l->n};
	silver_buf b;
	FILE *f;
	silver_buf_init(&b);
	assert_int_equal(silver_bundle_header_encode(&h, &b), 0);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(silver_buf_append(&b, l->v[i].p, l->v[i].n), 0);
	f = fopen(bundle_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	silver_buf_release(&b);
}

static void raw_bundle(const uint8_t *p, size_t n)
{
	FILE *f = fopen(bundle_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int run_audit(audit_report *rep, const char *store)
{
	audit_opts o;
	silver_why why;
	memset(&o, 0, sizeof(o));
	memcpy(o.admin, off[ADM].pk, SILVER_KEY_BYTES);
	if (store)
		o.store = store;
	else
		o.bundle = bundle_path;
	o.now_ms = T0_MS + 8 * 3600000ull;
	return audit_run(&o, rep, &why);
}

static void print_findings(const audit_report *rep)
{
	for (size_t i = 0; i < rep->nfindings && i < 12; i++)
		fprintf(stderr, "    %s seq %llu: %s\n", rep->findings[i].kind, (unsigned long long)rep->findings[i].seq,
			rep->findings[i].message);
}

/* kinds: a NULL-terminated list; NULL itself means "any finding". */
static void expect(const char *what, int n, const char *store, const char *const *kinds)
{
	audit_report rep;
	int rv = run_audit(&rep, store);
	int ok = 0;
	cases++;
	if (rv != 0) {
		fprintf(stderr, "case %s #%d: the audit gave no verdict (%d)\n", what, n, rv);
		failures++;
		return;
	}
	if (!kinds)
		ok = rep.nfindings > 0;
	for (int k = 0; kinds && kinds[k] && !ok; k++)
		ok = audit_has(&rep, kinds[k]);
	if (getenv("SILVER_TEST_VERBOSE")) {
		fprintf(stderr, "case %s #%d:", what, n);
		for (size_t i = 0; i < rep.nfindings && i < 6; i++)
			fprintf(stderr, " %s", rep.findings[i].kind);
		fprintf(stderr, "%s\n", rep.nfindings > 6 ? " ..." : "");
	}
	if (!ok) {
		fprintf(stderr, "case %s #%d: not reported as %s (%zu findings)\n", what, n,
			kinds ? kinds[0] : "anything", rep.nfindings);
		print_findings(&rep);
		failures++;
	}
	audit_report_release(&rep);
}

static void expect_clean(const char *what, int n, const char *store)
{
	audit_report rep;
	int rv = run_audit(&rep, store);
	cases++;
	clean_cases++;
	if (rv != 0 || rep.nfindings != 0) {
		fprintf(stderr, "clean case %s #%d: rv %d, %zu findings\n", what, n, rv, rep.nfindings);
		print_findings(&rep);
		failures++;
	}
	audit_report_release(&rep);
}

/* ---- what the cases need to know about entries ----------------------------------------- */

static silver_arena *arena;

static void decode(silver_slice s, silver_entry *e)
{
	assert_int_equal(silver_entry_decode(s.p, s.n, arena, e), 0);
}

/* [from, to) of the run of feed (author, township) in l. */
static int feed_run(const list *l, const uint8_t *author, const char *tw, size_t *from, size_t *to)
{
	int found = 0;
	*from = *to = 0;
	for (size_t i = 0; i < l->n; i++) {
		silver_entry e;
		int mine;
		silver_arena_reset(arena);
		decode(l->v[i], &e);
		mine = memcmp(e.author, author, SILVER_KEY_BYTES) == 0 && e.township.n == strlen(tw) &&
		       memcmp(e.township.p, tw, e.township.n) == 0;
		if (mine && !found) {
			*from = i;
			found = 1;
		}
		if (mine)
			*to = i + 1;
	}
	return found;
}

static int is_sealed(silver_slice s)
{
	silver_entry e;
	silver_arena_reset(arena);
	decode(s, &e);
	return e.sealed;
}

/* Re-encode e (after changes) and seal it with sk (NULL: keep it unsealed;
 * keep_sig: wrap the old signature, which no longer fits). */
static silver_slice reencode(list *l, silver_entry *e, const uint8_t *sk, int keep_sig)
{
	silver_buf body, out;
	uint8_t sig[SILVER_SIG_BYTES];
	silver_slice r;
	silver_buf_init(&body);
	silver_buf_init(&out);
	assert_int_equal(silver_entry_encode_body(e, &body), 0);
	if (sk)
		silver_seal_sign(e->hash, sk, sig);
	else if (keep_sig)
		memcpy(sig, e->sig, SILVER_SIG_BYTES);
	assert_int_equal(silver_entry_wrap(body.data, body.len, sk || keep_sig ? sig : NULL, &out), 0);
	r = own(l, out.data, out.len);
	silver_buf_release(&body);
	silver_buf_release(&out);
	return r;
}

static tu_rng rng = {20240601};

/* ---- the cases ------------------------------------------------------------------------------ */

static void cases_clean(void)
{
	static const int sets[][5] = {{XA, DH, BS, NS, -1}, {XA, -1}, {DH, BS, -1}, {NS, -1}, {BS, XA, -1}};
	list l;
	/* The whole honest bundle, and the bundle's feeds in other block orders. */
	for (int v = 0; v < 5; v++) {
		list_init(&l);
		{
			size_t f, t;
			assert_true(feed_run(&(list){.v = honest.v, .n = honest.n}, off[ADM].pk, "county", &f, &t));
			for (size_t i = f; i < t; i++)
				list_push(&l, honest.v[i]);
		}
		for (int k = 0; sets[v][k] >= 0; k++) {
			size_t f, t;
			assert_true(feed_run(&(list){.v = honest.v, .n = honest.n}, off[sets[v][k]].pk,
					     off[sets[v][k]].township, &f, &t));
			for (size_t i = f; i < t; i++)
				list_push(&l, honest.v[i]);
		}
		write_bundle(&l);
		expect_clean("feeds", v, NULL);
		list_free(&l);
	}
	/* Every prefix of the admin's history that ends on a seal, with the feeds. */
	for (int v = 0; v < 15; v++) {
		list_init(&l);
		list_of_batch(&l, &honest);
		if (v > 0) {
			/* drop feeds whole: any subset stays clean */
			uint32_t mask = (uint32_t)v;
			for (int k = 0; k < 4; k++)
				if (mask & (1u << k)) {
					size_t f, t;
					if (feed_run(&l, off[XA + k].pk, off[XA + k].township, &f, &t))
						for (size_t i = t; i-- > f;)
							list_remove(&l, i);
				}
		}
		write_bundle(&l);
		expect_clean("subset", v, NULL);
		list_free(&l);
	}
	/* The stores themselves: the admin's, and each certified office's. */
	expect_clean("store", ADM, off[ADM].dir);
	for (int i = XA; i <= BS; i++)
		expect_clean("store", i, off[i].dir);
}

static void cases_flips(int n)
{
	silver_buf b;
	silver_bundle_header h = {SILVER_FORMAT_VERSION, SILVER_SUITE_ED25519_BLAKE2B, (T0_MS + 7 * 3600000ull) << 16,
				  honest.n};
	size_t head;
	silver_buf_init(&b);
	assert_int_equal(silver_bundle_header_encode(&h, &b), 0);
	head = b.len;
	for (size_t i = 0; i < honest.n; i++)
		assert_int_equal(silver_buf_append(&b, honest.v[i].p, honest.v[i].n), 0);
	for (int k = 0; k < n; k++) {
		size_t at = head + tu_below(&rng, (uint32_t)(b.len - head));
		uint8_t bit = (uint8_t)(1u << tu_below(&rng, 8));
		b.data[at] ^= bit;
		raw_bundle(b.data, b.len);
		expect("byte flip", k, NULL, NULL);
		b.data[at] ^= bit;
	}
	silver_buf_release(&b);
}

static const uint8_t *office_pk(int i)
{
	return off[i].pk;
}

/* A random office feed's run in l (one of xinan..nanshan). */
static int pick_feed(list *l, size_t *f, size_t *t)
{
	int i = XA + (int)tu_below(&rng, 4);
	assert_true(feed_run(l, office_pk(i), off[i].township, f, t));
	return i;
}

static void cases_structure(int n)
{
	static const char *const gap[] = {AUDIT_K_GAP, NULL};
	static const char *const dup[] = {AUDIT_K_DUPLICATE, NULL};
	static const char *const order[] = {AUDIT_K_ORDER, NULL};
	static const char *const trunc[] = {AUDIT_K_UNSEALED, AUDIT_K_TRUNCATED, NULL};
	for (int k = 0; k < n; k++) {
		list l;
		size_t f, t, at;
		list_init(&l);
		list_of_batch(&l, &honest);
		pick_feed(&l, &f, &t);
		/* dropped: an entry that is not the last of its feed */
		at = f + tu_below(&rng, (uint32_t)(t - f - 1));
		list_remove(&l, at);
		write_bundle(&l);
		expect("dropped", k, NULL, gap);
		list_free(&l);

		list_init(&l);
		list_of_batch(&l, &honest);
		pick_feed(&l, &f, &t);
		at = f + tu_below(&rng, (uint32_t)(t - f));
		/* duplicated: right after itself, or a few entries later */
		list_insert(&l, at + 1 + tu_below(&rng, (uint32_t)(t - at)), l.v[at]);
		write_bundle(&l);
		expect("duplicated", k, NULL, dup);
		list_free(&l);

		list_init(&l);
		list_of_batch(&l, &honest);
		pick_feed(&l, &f, &t);
		at = f + tu_below(&rng, (uint32_t)(t - f - 1));
		{
			silver_slice x = l.v[at];
			size_t to = at + 1 + tu_below(&rng, (uint32_t)(t - at - 1));
			list_remove(&l, at);
			list_insert(&l, to, x);
		}
		write_bundle(&l);
		expect("reordered", k, NULL, order);
		list_free(&l);

		/* truncated: the feed cut so that its last entry waits for a seal,
		 * or nanshan's feed cut below what its revocation says was held */
		list_init(&l);
		list_of_batch(&l, &honest);
		if (k % 2) {
			assert_true(feed_run(&l, off[NS].pk, "nanshan", &f, &t));
			at = f + tu_below(&rng, (uint32_t)(t - f));
		} else {
			int tries = 0;
			do {
				pick_feed(&l, &f, &t);
				at = f + 1 + tu_below(&rng, (uint32_t)(t - f - 1));
			} while (is_sealed(l.v[at - 1]) && ++tries < 1000);
			assert_false(is_sealed(l.v[at - 1]));
		}
		while (t > at)
			list_remove(&l, --t);
		write_bundle(&l);
		expect("truncated", k, NULL, trunc);
		list_free(&l);
	}
}

static void cases_feeds(int n)
{
	static const char *const replay1[] = {AUDIT_K_ORDER, AUDIT_K_DUPLICATE, NULL};
	static const char *const replay2[] = {AUDIT_K_SIGNATURE, AUDIT_K_CHAIN, NULL};
	static const char *const uncert[] = {AUDIT_K_UNCERTIFIED, NULL};
	static const char *const revoked[] = {AUDIT_K_REVOKED, NULL};
	static const char *const tw[] = {AUDIT_K_TOWNSHIP, NULL};
	for (int k = 0; k < n; k++) {
		list l;
		size_t f, t, f2, t2, at;
		int a, b;
		silver_entry e;

		/* an entry replayed, as it is, into another feed's run */
		list_init(&l);
		list_of_batch(&l, &honest);
		a = pick_feed(&l, &f, &t);
		do
			b = XA + (int)tu_below(&rng, 4);
		while (b == a);
		at = f + tu_below(&rng, (uint32_t)(t - f));
		assert_true(feed_run(&l, off[b].pk, off[b].township, &f2, &t2));
		list_insert(&l, f2 + tu_below(&rng, (uint32_t)(t2 - f2)) + 1, l.v[at]);
		write_bundle(&l);
		expect("replayed as is", k, NULL, replay1);
		list_free(&l);

		/* an entry moved into another office's feed: its body names the
		 * other feed (prev and seq made to fit), the seal is the old one */
		list_init(&l);
		list_of_batch(&l, &honest);
		a = pick_feed(&l, &f, &t);
		do
			b = XA + (int)tu_below(&rng, 4);
		while (b == a);
		at = f + tu_below(&rng, (uint32_t)(t - f));
		assert_true(feed_run(&l, off[b].pk, off[b].township, &f2, &t2));
		{
			silver_entry last;
			silver_arena_reset(arena);
			decode(l.v[t2 - 1], &last);
			decode(l.v[at], &e);
			memcpy(e.author, last.author, SILVER_KEY_BYTES);
			e.township = last.township;
			e.seq = last.seq + 1;
			memcpy(e.prev, last.hash, SILVER_HASH_BYTES);
			e.sealed = 1;
			list_insert(&l, t2, reencode(&l, &e, NULL, 1));
		}
		write_bundle(&l);
		expect("moved into another feed", k, NULL, replay2);
		list_release_owned(&l);
		list_free(&l);

		/* entries signed by an uncertified key */
		list_init(&l);
		list_of_batch(&l, &honest);
		at = tu_below(&rng, (uint32_t)stranger.n);
		for (size_t i = 0; i <= at; i++)
			list_push(&l, stranger.v[i]);
		while (!is_sealed(l.v[l.n - 1]) && at + 1 < stranger.n)
			list_push(&l, stranger.v[++at]);
		write_bundle(&l);
		expect("uncertified key", k, NULL, uncert);
		list_free(&l);

		/* entries after the revocation */
		list_init(&l);
		list_of_batch(&l, &honest);
		assert_true(feed_run(&l, off[NS].pk, "nanshan", &f, &t));
		at = tu_below(&rng, (uint32_t)late.n);
		for (size_t i = 0; i <= at; i++)
			list_insert(&l, t + i, late.v[i]);
		write_bundle(&l);
		expect("after revocation", k, NULL, revoked);
		list_free(&l);

		/* a record of another township, properly signed by the office */
		list_init(&l);
		list_of_batch(&l, &honest);
		a = pick_feed(&l, &f, &t);
		do
			b = XA + (int)tu_below(&rng, 4);
		while (b == a);
		{
			silver_entry last;
			char id[SILVER_MAX_ID + 8];
			silver_arena_reset(arena);
			decode(l.v[t - 1], &last);
			decode(l.v[f + tu_below(&rng, (uint32_t)(t - f))], &e);
			/* the same change, to the record of the same name in township b */
			snprintf(id, sizeof(id), "%s%.*s", off[b].township,
				 (int)(e.op.record.n - strlen(off[a].township)),
				 (const char *)e.op.record.p + strlen(off[a].township));
			e.op.record.p = (const uint8_t *)id;
			e.op.record.n = (uint32_t)strlen(id);
			if (k % 2) {
				/* or in a feed of township b (the certificate does not allow it) */
				e.township.p = (const uint8_t *)off[b].township;
				e.township.n = (uint32_t)strlen(off[b].township);
				e.seq = 1;
				memset(e.prev, 0, SILVER_HASH_BYTES);
				list_push(&l, reencode(&l, &e, off[a].sk, 0));
			} else {
				e.seq = last.seq + 1;
				memcpy(e.prev, last.hash, SILVER_HASH_BYTES);
				list_insert(&l, t, reencode(&l, &e, off[a].sk, 0));
			}
		}
		write_bundle(&l);
		expect("outside township", k, NULL, tw);
		list_release_owned(&l);
		list_free(&l);
	}
}

static void cases_certs(int n)
{
	static const char *const forged[] = {AUDIT_K_CERT, NULL};
	static const char *const forged2[] = {AUDIT_K_SIGNATURE, NULL};
	static const char *const altered[] = {AUDIT_K_SIGNATURE, NULL};
	for (int k = 0; k < n; k++) {
		list l;
		size_t f, t;
		silver_entry e;
		silver_cert c;
		silver_slice w = {(const uint8_t *)"*", 1};
		silver_buf op;

		/* a certificate for the stranger, written by an office's key or
		 * claimed to be the admin's but signed by another key */
		list_init(&l);
		list_of_batch(&l, &honest);
		list_of_batch(&l, &stranger);
		memset(&c, 0, sizeof(c));
		memcpy(c.key, off[UC].pk, SILVER_KEY_BYTES);
		c.name.p = (const uint8_t *)"Forged";
		c.name.n = 6;
		c.role = SILVER_ROLE_HUB;
		c.write = &w;
		c.nwrite = 1;
		c.read = &w;
		c.nread = 1;
		silver_buf_init(&op);
		assert_int_equal(silver_cert_encode(&c, &op), 0);
		memset(&e, 0, sizeof(e));
		e.version = SILVER_FORMAT_VERSION;
		e.suite = SILVER_SUITE_ED25519_BLAKE2B;
		e.seq = 1;
		e.hlc = (T0_MS + 4 * 3600000ull) << 16;
		e.op.type = SILVER_OP_CERT;
		e.op.raw.p = op.data;
		e.op.raw.n = (uint32_t)op.len;
		if (k % 2 == 0) {
			int by = XA + (int)tu_below(&rng, 5);
			memcpy(e.author, off[by].pk, SILVER_KEY_BYTES);
			e.township.p = (const uint8_t *)"county";
			e.township.n = 6;
			list_insert(&l, tu_below(&rng, (uint32_t)l.n + 1), reencode(&l, &e, off[by].sk, 0));
			write_bundle(&l);
			expect("forged certificate", k, NULL, forged);
		} else {
			silver_entry last;
			assert_true(feed_run(&l, off[ADM].pk, "county", &f, &t));
			silver_arena_reset(arena);
			decode(l.v[t - 1], &last);
			memcpy(e.author, off[ADM].pk, SILVER_KEY_BYTES);
			e.township = last.township;
			e.seq = last.seq + 1;
			memcpy(e.prev, last.hash, SILVER_HASH_BYTES);
			list_insert(&l, t, reencode(&l, &e, off[UC].sk, 0));
			write_bundle(&l);
			expect("certificate signed by another key", k, NULL, forged2);
		}
		silver_buf_release(&op);
		list_release_owned(&l);
		list_free(&l);

		/* an admin certificate altered: another township, role or name */
		list_init(&l);
		list_of_batch(&l, &honest);
		assert_true(feed_run(&l, off[ADM].pk, "county", &f, &t));
		{
			size_t at;
			silver_cert old;
			silver_slice tw2[2];
			do {
				at = f + tu_below(&rng, (uint32_t)(t - f));
				silver_arena_reset(arena);
				decode(l.v[at], &e);
			} while (e.op.type != SILVER_OP_CERT);
			assert_int_equal(silver_cert_decode(&e.op.raw, arena, &old), 0);
			c = old;
			switch (k % 3) {
			case 0:
				c.write = &w;
				c.nwrite = 1;
				break;
			case 1:
				c.role = SILVER_ROLE_HUB;
				break;
			default:
				tw2[0] = old.write[0];
				tw2[1].p = (const uint8_t *)"zzz";
				tw2[1].n = 3;
				c.write = tw2;
				c.nwrite = 2;
				break;
			}
			silver_buf_init(&op);
			assert_int_equal(silver_cert_encode(&c, &op), 0);
			e.op.raw.p = op.data;
			e.op.raw.n = (uint32_t)op.len;
			l.v[at] = reencode(&l, &e, NULL, e.sealed);
			silver_buf_release(&op);
		}
		write_bundle(&l);
		expect("altered certificate", k, NULL, altered);
		list_release_owned(&l);
		list_free(&l);
	}
}

/* ---- a rewritten store value --------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[65536];
	size_t n;
	assert_non_null(a);
	assert_non_null(b);
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		assert_int_equal(fwrite(buf, 1, n, b), n);
	fclose(a);
	fclose(b);
}

/* A copy of the admin's idle store in dir, its database db open for
 * writing behind silversync's back. */
static MDB_env *store_copy(const char *dir, const char *db, MDB_txn **txn, MDB_cursor **cur)
{
	char src[700], dst[700];
	MDB_env *env;
	MDB_dbi dbi;
	silver_store_close(&off[ADM].s); /* an idle store: its files are consistent */
	for (int f = 0; f < 2; f++) {
		const char *name = f ? "identity.key" : "data.mdb";
		snprintf(src, sizeof(src), "%s/%s", off[ADM].dir, name);
		snprintf(dst, sizeof(dst), "%s/%s", dir, name);
		copy_file(src, dst);
	}
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 32);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(*txn, dbi, cur), 0);
	return env;
}

static void cases_store(int n)
{
	static const char *const state[] = {AUDIT_K_STATE, NULL};
	for (int k = 0; k < n; k++) {
		const char *dir = tu_mkdir(k % 2 ? "rewritten-a" : "rewritten-b");
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_env *env = store_copy(dir, "records", &txn, &cur);
		MDB_val key, val;
		int skip, rc, done = 0;
		skip = (int)tu_below(&rng, 20);
		for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && !done;
		     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
			uint8_t *copy;
			uint8_t *hit;
			if (skip-- > 0)
				continue;
			copy = malloc(val.mv_size);
			assert_non_null(copy);
			memcpy(copy, val.mv_data, val.mv_size);
			/* rewrite a digit of a phone number, or a letter of a name */
			hit = memmem(copy, val.mv_size, "139", 3);
			if (!hit)
				hit = memmem(copy, val.mv_size, "Bulk", 4);
			if (!hit)
				hit = memmem(copy, val.mv_size, "1950", 4);
			if (hit) {
				hit[3] ^= 0x01;
				val.mv_data = copy;
				assert_int_equal(mdb_cursor_put(cur, &key, &val, MDB_CURRENT), 0);
				done = 1;
			}
			free(copy);
		}
		assert_true(done);
		mdb_cursor_close(cur);
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		expect("rewritten store value", k, dir, state);
	}
}

/* A statistics cell changed, dropped or made up: the records and their
 * digest are intact, only the figures silver-stats prints are wrong. */
static void cases_cells(int n)
{
	static const char *const state[] = {AUDIT_K_STATE, NULL};
	for (int k = 0; k < n; k++) {
		const char *dir = tu_mkdir(k % 2 ? "cells-a" : "cells-b");
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_env *env = store_copy(dir, "aggs", &txn, &cur);
		MDB_val key, val;
		int64_t cv[2];
		int skip = (int)tu_below(&rng, 40), rc;
		for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && skip > 0; skip--)
			rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
		assert_int_equal(rc, 0);
		assert_int_equal(val.mv_size, sizeof(cv));
		memcpy(cv, val.mv_data, sizeof(cv));
		switch (k % 3) {
		case 0: /* one more visit, or one fen more aid */
			cv[k % 2]++;
			val.mv_data = cv;
			assert_int_equal(mdb_cursor_put(cur, &key, &val, MDB_CURRENT), 0);
			break;
		case 1:
			assert_int_equal(mdb_cursor_del(cur, 0), 0);
			break;
		default: {
			MDB_val made = {sizeof("visit\0longhu\0" "2024-02-30\0birthday") - 1,
					(void *)"visit\0longhu\0" "2024-02-30\0birthday"};
			cv[0] = 1;
			cv[1] = 0;
			val.mv_data = cv;
			val.mv_size = sizeof(cv);
			assert_int_equal(mdb_cursor_put(cur, &made, &val, 0), 0);
			break;
		}
		}
		mdb_cursor_close(cur);
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		expect("altered statistics cell", k, dir, state);
	}
}

/* ---- the test ----------------------------------------------------------------------------- */

/* The operator (FORMAT 1.2): xinan's last entry re-signed by xinan with a
 * valid operator audits clean; with an operator that breaks the rule, yet
 * correctly sealed, it is malformed, like any field out of its rule. */
static void cases_operator(void)
{
	static const char *const malformed[] = { AUDIT_K_MALFORMED, NULL };
	static const struct {
		const char *bytes;
		size_t n;
	} bad[] = {
		{ "\xa7Wang.li", 8 },	  /* upper case */
		{ "\xa7wang li", 8 },	  /* a space */
		{ "\xa0", 1 },		  /* empty */
		{ "\xc0", 1 },		  /* nil */
		{ "\x07", 1 },		  /* not a str */
		{ "\xd9\x07wang.li", 9 }, /* str8 where fixstr fits */
		{ "\xb8"
		  "abcdefghijklmnopqrstuvwx",
		  25 }, /* 24 bytes: a control, within the rule */
		{ "\xd9\x21"
		  "abcdefghijklmnopqrstuvwxyz0123456",
		  35 }, /* 33 bytes */
	};
	silver_entry e;
	size_t f, t;
	list l;

	list_init(&l);
	list_of_batch(&l, &honest);
	assert_true(feed_run(&l, off[XA].pk, "xinan", &f, &t));
	silver_arena_reset(arena);
	decode(l.v[t - 1], &e);
	assert_true(e.sealed && e.op.type == SILVER_OP_CHANGE && e.op.operator_name.n == 0);
	e.op.operator_name = (silver_slice){ (const uint8_t *)"wang.li", 7 };
	l.v[t - 1] = reencode(&l, &e, off[XA].sk, 0);
	write_bundle(&l);
	expect_clean("operator", 0, NULL);

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		/* the good entry with its operator's 8 bytes replaced, re-hashed
		 * and re-sealed by xinan: only the rule is broken */
		silver_slice good = l.v[t - 1];
		size_t nbody = good.n - 1 - 2 - SILVER_SIG_BYTES, at = 1 + nbody - 8;
		uint8_t buf[SILVER_MAX_ENTRY], hash[SILVER_HASH_BYTES];
		size_t n = 0;
		list m;
		assert_memory_equal(good.p + at, "\xa7wang.li", 8);
		memcpy(buf, good.p, at);
		n = at;
		memcpy(buf + n, bad[k].bytes, bad[k].n);
		n += bad[k].n;
		silver_hash(buf + 1, n - 1, hash);
		buf[n++] = 0xc4;
		buf[n++] = SILVER_SIG_BYTES;
		silver_seal_sign(hash, off[XA].sk, buf + n);
		n += SILVER_SIG_BYTES;
		list_init(&m);
		list_of_batch(&m, &honest);
		m.v[t - 1] = own(&m, buf, n);
		write_bundle(&m);
		if (bad[k].n == 25)
			expect_clean("operator 24 bytes", (int)k, NULL);
		else
			expect("operator", (int)k, NULL, malformed);
		list_release_owned(&m);
		list_free(&m);
	}
	list_release_owned(&l);
	list_free(&l);
}

static void test_tamper_suite(void **state)
{
	(void)state;
	assert_int_equal(silver_crypto_init(), 0);
	build_history();
	arena = silver_arena_new();
	assert_non_null(arena);
	snprintf(bundle_path, sizeof(bundle_path), "%s", tu_path("case.bundle"));

	cases_clean();
	cases_flips(200);
	cases_structure(40);   /* 160 */
	cases_feeds(24);       /* 120 */
	cases_certs(16);       /* 32 */
	cases_store(20);
	cases_cells(12);
	cases_operator();
	fprintf(stderr, "audit tamper suite: %d cases (%d untampered), %d failed\n", cases, clean_cases, failures);
	silver_arena_destroy(&arena);
	tu_batch_free(&honest);
	tu_batch_free(&late);
	tu_batch_free(&stranger);
	for (int i = XA; i < NOFF; i++)
		silver_store_close(&off[i].s);
	assert_true(cases >= 500);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tamper_suite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

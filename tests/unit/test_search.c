/*
 * test_search.c - the search index (node/search.c): for many random
 * queries, silver_store_find gives exactly the records, in the same order,
 * that a brute-force scan written here (its own folding, its own list of
 * searched fields) gives; after edits, deletes, conflicting edits that
 * change a winner, entries of another node, and a rebuild of the records
 * (what a revocation does).  The index itself, kept up to date edit by edit,
 * holds byte for byte what one built from nothing holds.  A catch-up with a
 * tiny time budget converges; a format-3 store is upgraded without a
 * rebuild; a store opened read-only uses a complete index and cannot catch
 * up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>
#include <sodium.h>

#include "store_int.h"
#include "testutil.h"

#define OK(x) assert_int_equal((x), 0)
#define NQUERIES 400

/* ---- the brute force: its own rule ------------------------------------------------------ */

static const char *const searched_retiree[] = {"name", "id_number", "unit", "phone", NULL};
static const char *const searched_visit[] = {"staff", NULL};

static void lower(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
}

struct brute {
	const char *const *fields;
	char q[256]; /* lower-cased */
	const char *fkey[2];
	char fval[2][SILVER_MAX_ID];
	int nf;
	silver_buf ids; /* ids, each NUL-terminated */
	uint32_t n;
};

static int brute_row(const silver_record *r, void *vctx)
{
	struct brute *b = vctx;
	int hit = b->q[0] == 0;
	if (r->deleted)
		return 0;
	for (int i = 0; i < b->nf; i++) {
		const silver_value *v = silver_record_value(r, b->fkey[i]);
		if (!v || v->type != SILVER_V_STR || v->s.n != strlen(b->fval[i]) ||
		    memcmp(v->s.p, b->fval[i], v->s.n) != 0)
			return 0;
	}
	for (int i = 0; b->fields[i] && !hit; i++) {
		const silver_value *v = silver_record_value(r, b->fields[i]);
		char text[4200];
		if (!v || v->type != SILVER_V_STR)
			continue;
		snprintf(text, sizeof(text), "%.*s", (int)v->s.n, (const char *)v->s.p);
		lower(text);
		hit = strstr(text, b->q) != NULL;
	}
	if (hit) {
		assert_int_equal(silver_buf_append(&b->ids, r->id.p, r->id.n), 0);
		assert_int_equal(silver_buf_append(&b->ids, "", 1), 0);
		b->n++;
	}
	return 0;
}

/* Every record, deleted ones too (silver_store_list_from lists them all). */
static int found_any(const silver_record *r, void *vctx)
{
	struct brute *b = vctx;
	assert_int_equal(silver_buf_append(&b->ids, r->id.p, r->id.n), 0);
	assert_int_equal(silver_buf_append(&b->ids, "", 1), 0);
	b->n++;
	return 0;
}

static int found_row(const silver_record *r, void *vctx)
{
	struct brute *b = vctx;
	assert_false(r->deleted);
	assert_int_equal(silver_buf_append(&b->ids, r->id.p, r->id.n), 0);
	assert_int_equal(silver_buf_append(&b->ids, "", 1), 0);
	b->n++;
	return 0;
}

/* ---- data ------------------------------------------------------------------------------------ */

static const char *const pieces[] = {"王", "李", "张", "建", "国", "秀", "英", "新郑", "A", "b", "C", "ab",
				     "Zh", "zh", "1", "2", "3", "4", "é", "-", "X", "y"};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

static void random_text(tu_rng *r, char *out, size_t n, int minp, int maxp)
{
	int k = minp + (int)tu_below(r, (uint32_t)(maxp - minp + 1));
	out[0] = 0;
	for (int i = 0; i < k; i++)
		strncat(out, pieces[tu_below(r, NPIECES)], n - strlen(out) - 1);
}

struct world {
	tu_rng rng;
	char ids[300][SILVER_MAX_ID];
	int nids;
	char visits[300][SILVER_MAX_ID];
	int nvisits;
};

static void add_retiree(silver_store *s, struct world *w)
{
	char name[64], idn[64], unit[64], addr[64], notes[64];
	silver_kv kv[] = {{"name", name},   {"category", tu_below(&w->rng, 4) ? "retired" : "honorary"},
			  {"birth_date", "1950-03-04"}, {"id_number", idn}, {"unit", unit},
			  {"address", addr}, {"notes", notes}, {"gender", tu_below(&w->rng, 2) ? "m" : "f"}};
	random_text(&w->rng, name, sizeof(name), 1, 4);
	snprintf(idn, sizeof(idn), "4101%06u", tu_below(&w->rng, 1000000));
	random_text(&w->rng, unit, sizeof(unit), 0, 3);
	random_text(&w->rng, addr, sizeof(addr), 1, 5); /* not searched */
	random_text(&w->rng, notes, sizeof(notes), 1, 5); /* not searched */
	OK(tu_add(s, "retiree", kv, 8, w->ids[w->nids], NULL));
	w->nids++;
}

static void add_visit(silver_store *s, struct world *w)
{
	char staff[64];
	static const char *const types[] = {"birthday", "illness", "festival"};
	silver_kv kv[] = {{"retiree", w->ids[tu_below(&w->rng, (uint32_t)w->nids)]},
			  {"date", "2025-01-02"},
			  {"type", types[tu_below(&w->rng, 3)]},
			  {"staff", staff}};
	random_text(&w->rng, staff, sizeof(staff), 1, 3);
	OK(tu_add(s, "visit", kv, 4, w->visits[w->nvisits], NULL));
	w->nvisits++;
}

/* A query: often a piece of an existing value (1, 2 or more characters, its
 * ASCII case changed at random), else random pieces. */
static void random_query(struct world *w, silver_store *s, struct brute *b, int visit)
{
	silver_arena *a = silver_arena_new();
	silver_record r;
	char text[256];
	uint32_t kind = tu_below(&w->rng, 10);
	assert_non_null(a);
	b->q[0] = 0;
	b->nf = 0;
	if (kind < 6) {
		const char *id = visit ? w->visits[tu_below(&w->rng, (uint32_t)w->nvisits)] :
					 w->ids[tu_below(&w->rng, (uint32_t)w->nids)];
		const char *const *fs = visit ? searched_visit : searched_retiree;
		const char *field = fs[tu_below(&w->rng, visit ? 1 : 4)];
		const silver_value *v;
		OK(silver_store_get(s, id, a, &r));
		v = silver_record_value(&r, field);
		if (v && v->type == SILVER_V_STR && v->s.n) {
			/* a substring on character boundaries */
			size_t starts[200], ns = 0, from, to;
			for (size_t i = 0; i < v->s.n && ns < 200; i++)
				if ((v->s.p[i] & 0xc0) != 0x80)
					starts[ns++] = i;
			from = tu_below(&w->rng, (uint32_t)ns);
			to = from + 1 + tu_below(&w->rng, kind < 2 ? 1 : kind < 4 ? 2 : 6);
			if (to > ns)
				to = ns;
			snprintf(text, sizeof(text), "%.*s", (int)((to < ns ? starts[to] : v->s.n) - starts[from]),
				 (const char *)v->s.p + starts[from]);
			for (char *p = text; *p; p++)
				if (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && tu_below(&w->rng, 2))
					*p = (char)(*p ^ 0x20);
			snprintf(b->q, sizeof(b->q), "%s", text);
		}
	} else if (kind < 8) {
		random_text(&w->rng, b->q, sizeof(b->q), 1, 3);
	}
	/* filters, some of the time */
	if (tu_below(&w->rng, 3) == 0) {
		if (visit) {
			if (tu_below(&w->rng, 2)) {
				b->fkey[b->nf] = "retiree";
				snprintf(b->fval[b->nf++], SILVER_MAX_ID, "%s", w->ids[tu_below(&w->rng, (uint32_t)w->nids)]);
			} else {
				b->fkey[b->nf] = "type";
				snprintf(b->fval[b->nf++], SILVER_MAX_ID, "%s", tu_below(&w->rng, 2) ? "illness" : "festival");
			}
		} else {
			b->fkey[b->nf] = "category";
			snprintf(b->fval[b->nf++], SILVER_MAX_ID, "%s", tu_below(&w->rng, 2) ? "honorary" : "retired");
			if (tu_below(&w->rng, 2)) {
				b->fkey[b->nf] = "gender";
				snprintf(b->fval[b->nf++], SILVER_MAX_ID, "%s", tu_below(&w->rng, 2) ? "m" : "f");
			}
		}
	}
	silver_arena_destroy(&a);
}

/* Many random queries: find equals the brute force, record for record. */
static void check_queries(silver_store *s, struct world *w, int nq, uint64_t *hits)
{
	for (int i = 0; i < nq; i++) {
		int visit = w->nvisits && tu_below(&w->rng, 3) == 0;
		struct brute want, got;
		silver_value fv[2];
		silver_find q;
		int rv;
		memset(&want, 0, sizeof(want));
		silver_buf_init(&want.ids);
		random_query(w, s, &want, visit);
		if (!want.q[0] && !want.nf)
			snprintf(want.q, sizeof(want.q), "%s", pieces[tu_below(&w->rng, NPIECES)]);
		want.fields = visit ? searched_visit : searched_retiree;
		got = want;
		silver_buf_init(&got.ids);
		for (int k = 0; k < want.nf; k++) {
			memset(&fv[k], 0, sizeof(fv[k]));
			fv[k].type = SILVER_V_STR;
			fv[k].s.p = (const uint8_t *)want.fval[k];
			fv[k].s.n = (uint32_t)strlen(want.fval[k]);
		}
		q.text = want.q;
		q.fkey = want.fkey;
		q.fval = fv;
		q.nf = (uint32_t)want.nf;
		q.after = NULL;
		rv = silver_store_find(s, visit ? "visit" : "retiree", &q, found_row, &got);
		if (rv != 0)
			fail_msg("find '%s' (%d filters): %s", want.q, want.nf, silver_strerror(rv));
		lower(want.q);
		OK(silver_store_list(s, visit ? "visit" : "retiree", brute_row, &want));
		if (want.n != got.n || want.ids.len != got.ids.len ||
		    memcmp(want.ids.data, got.ids.data, want.ids.len) != 0)
			fail_msg("query '%s' (%s, %d filters): the scan gives %u records, the index %u", q.text,
				 visit ? "visit" : "retiree", want.nf, want.n, got.n);
		*hits += want.n;
		if (want.n) {
			/* the next page: from after one of them, the rest in order */
			uint32_t k = tu_below(&w->rng, want.n);
			const char *at = (const char *)want.ids.data;
			struct brute rest = want;
			for (uint32_t j = 0; j < k; j++)
				at += strlen(at) + 1;
			silver_buf_init(&rest.ids);
			rest.n = 0;
			q.after = at;
			OK(silver_store_find(s, visit ? "visit" : "retiree", &q, found_row, &rest));
			at += strlen(at) + 1;
			if (rest.n != want.n - k - 1 ||
			    rest.ids.len != want.ids.len - (size_t)(at - (const char *)want.ids.data) ||
			    memcmp(rest.ids.data, at, rest.ids.len) != 0)
				fail_msg("query '%s' after record %u of %u: %u records, not the %u after it",
					 q.text, k, want.n, rest.n, want.n - k - 1);
			silver_buf_release(&rest.ids);
		}
		silver_buf_release(&want.ids);
		silver_buf_release(&got.ids);
	}
}

/* silver_store_list_from: forward after a record and backward before it
 * give the rest of the collection's list, in order and in reverse. */
static void check_list_from(silver_store *s, tu_rng *rng)
{
	struct brute all, fwd, bwd;
	const char *at, *p;
	uint32_t k;
	memset(&all, 0, sizeof(all));
	silver_buf_init(&all.ids);
	OK(silver_store_list(s, "retiree", found_any, &all));
	assert_true(all.n > 2);
	for (int round = 0; round < 20; round++) {
		k = tu_below(rng, all.n);
		at = (const char *)all.ids.data;
		for (uint32_t j = 0; j < k; j++)
			at += strlen(at) + 1;
		fwd = all;
		bwd = all;
		silver_buf_init(&fwd.ids);
		silver_buf_init(&bwd.ids);
		fwd.n = bwd.n = 0;
		OK(silver_store_list_from(s, "retiree", at, 0, found_any, &fwd));
		OK(silver_store_list_from(s, "retiree", at, 1, found_any, &bwd));
		assert_int_equal(fwd.n, all.n - k - 1);
		assert_int_equal(bwd.n, k);
		p = at + strlen(at) + 1;
		assert_memory_equal(fwd.ids.data, p, fwd.ids.len);
		/* backward: the ones before, last first */
		p = (const char *)all.ids.data;
		for (uint32_t j = 0; j < k; j++) {
			const char *b = (const char *)bwd.ids.data;
			for (uint32_t i = 0; i < k - 1 - j; i++)
				b += strlen(b) + 1;
			assert_string_equal(b, p);
			p += strlen(p) + 1;
		}
		silver_buf_release(&fwd.ids);
		silver_buf_release(&bwd.ids);
	}
	/* from the ends */
	fwd = all;
	silver_buf_init(&fwd.ids);
	fwd.n = 0;
	OK(silver_store_list_from(s, "retiree", NULL, 1, found_any, &fwd));
	assert_int_equal(fwd.n, all.n);
	fwd.n = 0;
	silver_buf_reset(&fwd.ids);
	OK(silver_store_list_from(s, "retiree", "\xff", 0, found_any, &fwd));
	assert_int_equal(fwd.n, 0);
	silver_buf_release(&fwd.ids);
	silver_buf_release(&all.ids);
}

static void catch_up(silver_store *s)
{
	assert_int_equal(silver_store_search_update(s, 0, NULL, NULL), 1);
}

/* The search database's pairs, hashed in order: the index as it is. */
static void index_hash(silver_store *s, uint8_t out[32], uint64_t *pairs)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	crypto_generichash_state h;
	int rc;
	*pairs = 0;
	crypto_generichash_init(&h, NULL, 0, 32);
	OK(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
	OK(mdb_cursor_open(txn, s->search, &c));
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint32_t n[2] = {(uint32_t)k.mv_size, (uint32_t)v.mv_size};
		crypto_generichash_update(&h, (const uint8_t *)n, sizeof(n));
		crypto_generichash_update(&h, k.mv_data, k.mv_size);
		crypto_generichash_update(&h, v.mv_data, v.mv_size);
		(*pairs)++;
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	crypto_generichash_final(&h, out, 32);
}

static int force_rebuild(silver_wtxn *t, void *ctx)
{
	(void)ctx;
	t->rebuild = 1; /* what a revocation that cuts applied entries asks for */
	return 0;
}

/* The index kept up to date step by step equals one built from nothing. */
static void check_fresh_equal(silver_store *s)
{
	uint8_t before[32], after[32];
	uint64_t n1, n2;
	silver_search_stat st;
	index_hash(s, before, &n1);
	OK(silver_store_write(s, force_rebuild, NULL));
	OK(silver_store_search_stat(s, &st));
	assert_true(st.behind > 0);
	assert_int_equal(st.postings, 0);
	catch_up(s);
	index_hash(s, after, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, 32);
}

static void test_find_equals_scan(void **state)
{
	static struct world w;
	silver_store *a, *b;
	struct brute none;
	silver_find q = { "王", NULL, NULL, 0, NULL };
	uint64_t hits = 0;
	(void)state;

	memset(&w, 0, sizeof(w));
	w.rng.s = 20261203;
	OK(tu_node("longhu", "office", &a));
	OK(tu_node("longhu", "laptop", &b));
	for (int i = 0; i < 120; i++)
		add_retiree(a, &w);
	for (int i = 0; i < 60; i++)
		add_retiree(b, &w);
	OK(tu_sync(b, a, NULL, NULL)); /* another node's entries */
	for (int i = 0; i < 150; i++)
		add_visit(a, &w);

	/* not caught up: the caller is told, and reads everything itself */
	memset(&none, 0, sizeof(none));
	silver_buf_init(&none.ids);
	assert_int_equal(silver_store_find(a, "retiree", &q, found_row, &none), SILVER_EINDEX);
	assert_int_equal(none.n, 0);
	catch_up(a);
	check_queries(a, &w, NQUERIES, &hits);
	check_list_from(a, &w.rng);

	/* edits: names, ID numbers, a searched field cleared, filter values */
	for (int i = 0; i < 80; i++) {
		const char *id = w.ids[tu_below(&w.rng, (uint32_t)w.nids)];
		char text[64];
		switch (tu_below(&w.rng, 5)) {
		case 0:
			random_text(&w.rng, text, sizeof(text), 1, 4);
			OK(tu_set1(a, id, "name", text));
			break;
		case 1:
			snprintf(text, sizeof(text), "4101%06u", tu_below(&w.rng, 1000000));
			OK(tu_set1(a, id, "id_number", text));
			break;
		case 2:
			OK(tu_set1(a, id, "unit", ""));
			break;
		case 3:
			OK(tu_set1(a, id, "category", tu_below(&w.rng, 2) ? "honorary" : "retired"));
			break;
		default:
			OK(tu_set1(a, w.visits[tu_below(&w.rng, (uint32_t)w.nvisits)], "retiree",
				   w.ids[tu_below(&w.rng, (uint32_t)w.nids)]));
		}
	}
	/* deletes (and deleting one twice is refused, not indexed twice) */
	for (int i = 0; i < 15; i++) {
		int k = (int)tu_below(&w.rng, (uint32_t)w.nids);
		silver_why why;
		if (tu_delete(a, w.ids[k], &why) != 0)
			continue;
	}
	for (int i = 0; i < 10; i++)
		OK(tu_delete(a, w.visits[i], NULL));
	assert_int_equal(silver_store_find(a, "retiree", &q, found_row, &none), SILVER_EINDEX);
	catch_up(a);
	check_queries(a, &w, NQUERIES, &hits);

	/* conflicting edits on both nodes: the winner (and so the text found)
	 * changes when the other side's entries arrive */
	OK(tu_sync(a, b, NULL, NULL));
	for (int i = 0; i < 30; i++) {
		const char *id = w.ids[60 + i];
		char t1[64], t2[64];
		random_text(&w.rng, t1, sizeof(t1), 1, 3);
		random_text(&w.rng, t2, sizeof(t2), 1, 3);
		if (!tu_exists(a, id))
			continue;
		int r1 = tu_set1(a, id, "name", t1), r2 = tu_set1(b, id, "name", t2);
		assert_int_equal(r1, r2); /* both refuse a record deleted on both, or both write */
	}
	OK(tu_sync(b, a, NULL, NULL));
	OK(tu_sync(a, b, NULL, NULL));
	catch_up(a);
	catch_up(b);
	check_queries(a, &w, NQUERIES, &hits);
	check_queries(b, &w, NQUERIES / 4, &hits);

	/* the index kept edit by edit is the one built from nothing; the
	 * rebuild (a revocation's) emptied it first */
	check_fresh_equal(a);
	check_queries(a, &w, NQUERIES / 2, &hits);
	assert_true(hits > 1000); /* the queries find things, not only nothing */

	silver_buf_release(&none.ids);
	silver_store_close(&a);
	silver_store_close(&b);
}

/* The rule's edges: ASCII case on both sides, NFC of the query, fields that
 * are not searched, bad UTF-8. */
static void test_rule(void **state)
{
	silver_store *s;
	char id[SILVER_MAX_ID];
	silver_kv kv[] = {{"name", "José 王Ab"},   {"category", "retired"}, {"birth_date", "1950-03-04"},
			  {"address", "仅地址"}, {"notes", "Notes only"}, {"phone", "13903710000"}};
	struct {
		const char *q;
		uint32_t n;
	} cases[] = {{"jos", 1}, {"JOS", 1}, {"JOSÉ", 0 /* only ASCII letters fold */}, {"Jose\xcc\x81", 1}, {"é", 1}, {"王aB", 1}, {"ab", 1}, {"王", 1},
		     {"仅地址", 0}, {"地", 0}, {"notes", 0}, {"1950", 0}, {"0371", 1}, {"X", 0}, {"é 王a", 1}};
	silver_find q = { NULL, NULL, NULL, 0, NULL };
	(void)state;

	OK(tu_node("longhu", "rule", &s));
	OK(tu_add(s, "retiree", kv, 6, id, NULL));
	catch_up(s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct brute got;
		memset(&got, 0, sizeof(got));
		silver_buf_init(&got.ids);
		q.text = cases[i].q;
		OK(silver_store_find(s, "retiree", &q, found_row, &got));
		if (got.n != cases[i].n)
			fail_msg("'%s': %u records, not %u", cases[i].q, got.n, cases[i].n);
		silver_buf_release(&got.ids);
	}
	q.text = "\xe5"; /* a piece of 王's bytes: not text */
	assert_int_equal(silver_store_find(s, "retiree", &q, found_row, NULL), SILVER_EINVAL);
	q.text = "";
	assert_int_equal(silver_store_find(s, "retiree", &q, found_row, NULL), SILVER_EINVAL);
	q.text = "王";
	assert_int_equal(silver_store_find(s, "no_such", &q, found_row, NULL), SILVER_EINVAL);
	{
		const char *fk[] = {"name"};
		silver_value fv = {SILVER_V_STR, 0, {(const uint8_t *)"x", 1}, NULL, 0};
		q.fkey = fk;
		q.fval = &fv;
		q.nf = 1; /* a TEXT field is no filter */
		assert_int_equal(silver_store_find(s, "retiree", &q, found_row, NULL), SILVER_EINVAL);
	}
	silver_store_close(&s);
}

/* A catch-up with a budget of 1 ms moves on every call and ends complete;
 * a read-only store uses a complete index but cannot catch up. */
static void test_budget_and_readonly(void **state)
{
	static struct world w;
	silver_store *s, *ro;
	silver_search_stat st;
	char dir[4200];
	int calls = 0, rv = 0;
	uint64_t last_behind, hits = 0;
	(void)state;

	memset(&w, 0, sizeof(w));
	w.rng.s = 7;
	snprintf(dir, sizeof(dir), "%s", tu_path("budget"));
	OK(silver_store_create(dir, "longhu", "budget"));
	OK(silver_store_open(dir, 0, &s));
	for (int i = 0; i < 300; i++)
		add_retiree(s, &w);
	for (int i = 0; i < 300; i++)
		add_visit(s, &w);
	OK(silver_store_search_stat(s, &st));
	assert_int_equal(st.behind, 600);
	last_behind = st.behind;
	silver_store_close(&s);

	/* read-only: cannot catch up, says so (one open of an LMDB environment
	 * per process at a time) */
	OK(silver_store_open(dir, SILVER_OPEN_RDONLY, &ro));
	assert_int_equal(silver_store_search_update(ro, 0, NULL, NULL), 0);
	{
		silver_find q = { "王", NULL, NULL, 0, NULL };
		assert_int_equal(silver_store_find(ro, "retiree", &q, found_row, NULL), SILVER_EINDEX);
	}
	silver_store_close(&ro);
	OK(silver_store_open(dir, 0, &s));

	while (rv == 0 && calls < 10000) {
		rv = silver_store_search_update(s, 1, NULL, NULL);
		assert_true(rv == 0 || rv == 1);
		calls++;
		OK(silver_store_search_stat(s, &st));
		assert_true(st.behind < last_behind); /* each call moves on */
		last_behind = st.behind;
	}
	assert_int_equal(rv, 1);
	assert_int_equal(st.behind, 0);
	assert_true(st.postings > 0 && st.records > 0 && st.bytes > 0);

	assert_true(calls > 2); /* 600 entries do not fit in 1 ms here: the budget was kept */
	silver_store_close(&s);

	/* now complete, the read-only store answers from it */
	OK(silver_store_open(dir, SILVER_OPEN_RDONLY, &ro));
	assert_int_equal(silver_store_search_update(ro, 0, NULL, NULL), 1);
	check_queries(ro, &w, 100, &hits);
	silver_store_close(&ro);
}

/* A format-3 store (no search databases) is upgraded to 4 without
 * rebuilding its records: a stray key in the derived "touch" database,
 * which a rebuild would drop, is still there after. */
static void test_upgrade_from_3(void **state)
{
	static struct world w;
	char dir[4200];
	uint32_t fmt = 3;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {6, "format"}, v = {sizeof(fmt), &fmt}, mk = {11, "zz-no-entry"}, mv = {8, "12345678"};
	silver_store *s;
	silver_digest before, after;
	uint64_t hits = 0;
	(void)state;

	memset(&w, 0, sizeof(w));
	w.rng.s = 3;
	snprintf(dir, sizeof(dir), "%s", tu_path("format3"));
	OK(silver_store_create(dir, "longhu", "format 3"));
	OK(silver_store_open(dir, 0, &s));
	for (int i = 0; i < 40; i++)
		add_retiree(s, &w);
	OK(tu_digest(s, &before));
	silver_store_close(&s);

	/* what format 3 wrote: no search databases */
	OK(mdb_env_create(&env));
	OK(mdb_env_set_maxdbs(env, 16));
	OK(mdb_env_open(env, dir, 0, 0600));
	OK(mdb_txn_begin(env, NULL, 0, &txn));
	OK(mdb_dbi_open(txn, "meta", 0, &dbi));
	OK(mdb_put(txn, dbi, &k, &v, 0));
	OK(mdb_dbi_open(txn, "touch", 0, &dbi));
	OK(mdb_put(txn, dbi, &mk, &mv, 0));
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {"search", "search_docs", "search_feeds"};
		OK(mdb_dbi_open(txn, names[i], 0, &dbi));
		OK(mdb_drop(txn, dbi, 1));
	}
	OK(mdb_txn_commit(txn));
	mdb_env_close(env);

	assert_int_equal(silver_store_open(dir, SILVER_OPEN_RDONLY, &s), SILVER_EOLDSTORE);
	OK(silver_store_open(dir, 0, &s)); /* the upgrade */
	OK(tu_digest(s, &after));
	assert_true(tu_digest_equal(&before, &after));
	{
		MDB_val got;
		OK(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
		OK(mdb_get(txn, s->touch, &mk, &got)); /* not rebuilt */
		OK(mdb_get(txn, s->meta, &k, &got));
		assert_int_equal(got.mv_size, 4);
		memcpy(&fmt, got.mv_data, 4);
		assert_int_equal(fmt, 4);
		mdb_txn_abort(txn);
	}
	catch_up(s);
	check_queries(s, &w, 100, &hits);
	silver_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_find_equals_scan),
		cmocka_unit_test(test_budget_and_readonly),
		cmocka_unit_test(test_upgrade_from_3),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rv;
}

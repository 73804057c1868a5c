/*
 * test_merge.c - the merge semantics of docs/MERGE.md, one scenario at a
 * time, deterministic (identities from a fixed seed, clocks set by the test):
 * same-field collisions become conflicts with a provisional winner, other
 * edits merge silently, a delete collides with an edit on "_del", a
 * resolution supersedes every head it saw, and the state does not depend on
 * the order in which entries arrive, even when an entry arrives before the
 * entry it superseded (an orphan base).
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
#define T0 1735689600000ull /* 2025-01-01, in ms */

static uint64_t now_ms = T0;

/* Every write happens one second after the one before, unless said. */
static void tick(void)
{
	now_ms += 1000;
	tu_set_time(now_ms);
}

static void node(const char *township, const char *name, silver_store **s)
{
	OK(tu_node(township, name, s));
}

static void sync2(silver_store *a, silver_store *b)
{
	silver_why why;
	int rv = tu_sync(a, b, NULL, &why);
	if (rv == 0)
		rv = tu_sync(b, a, NULL, &why);
	if (rv != 0)
		fail_msg("sync: %s: %s (%s)", silver_strerror(rv), why.reason, why.detail);
}

static void same_digest(silver_store *a, silver_store *b)
{
	silver_digest da, db;
	OK(tu_digest(a, &da));
	OK(tu_digest(b, &db));
	if (!tu_digest_equal(&da, &db))
		fail_msg("digests differ: entries %llu/%llu records %llu/%llu conflicts %llu/%llu",
			 (unsigned long long)da.entries, (unsigned long long)db.entries, (unsigned long long)da.records,
			 (unsigned long long)db.records, (unsigned long long)da.conflicts,
			 (unsigned long long)db.conflicts);
}

static void record_same(silver_store *a, silver_store *b, const char *id)
{
	silver_arena *x = silver_arena_new(), *y = silver_arena_new();
	silver_record ra, rb;
	silver_buf ia, ib;
	silver_buf_init(&ia);
	silver_buf_init(&ib);
	OK(silver_store_get(a, id, x, &ra));
	OK(silver_store_get(b, id, y, &rb));
	OK(tu_record_image(&ra, &ia));
	OK(tu_record_image(&rb, &ib));
	assert_int_equal(ia.len, ib.len);
	assert_memory_equal(ia.data, ib.data, ia.len);
	silver_buf_release(&ia);
	silver_buf_release(&ib);
	silver_arena_destroy(&x);
	silver_arena_destroy(&y);
}

static void field_is(silver_store *s, const char *id, const char *field, const char *want, uint32_t nheads,
		     int conflict)
{
	char buf[256];
	uint32_t nh;
	int c;
	OK(tu_field(s, id, field, buf, sizeof(buf)));
	OK(tu_fieldstate(s, id, field, &nh, &c));
	if (strcmp(buf, want) != 0 || nh != nheads || c != conflict)
		fail_msg("%s: '%s' (%u heads, conflict %d), want '%s' (%u heads, conflict %d)", field, buf, nh, c, want,
			 nheads, conflict);
}

static uint64_t nconflicts(silver_store *s)
{
	uint64_t n;
	silver_digest d;
	OK(tu_conflict_count(s, &n));
	OK(tu_digest(s, &d));
	assert_int_equal(n, d.conflicts);
	return n;
}

struct onec {
	char id[SILVER_MAX_ID];
	char field[SILVER_MAX_NAME + 1];
	int n;
};

static int one_conflict(const char *id, const char *field, void *ctx)
{
	struct onec *c = ctx;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->field, sizeof(c->field), "%s", field);
	c->n++;
	return 0;
}

static void only_conflict(silver_store *s, const char *id, const char *field)
{
	struct onec c = {"", "", 0};
	OK(silver_store_conflicts(s, one_conflict, &c));
	assert_int_equal(c.n, 1);
	assert_string_equal(c.id, id);
	assert_string_equal(c.field, field);
}

static void feedtag(silver_store *s, uint8_t tag[SILVER_FEEDTAG_BYTES])
{
	const char *tw = silver_store_township(s);
	silver_feedtag(silver_store_self(s), (const uint8_t *)tw, strlen(tw), tag);
}

/* Two laptops of one township with a shared record. */
static void pair(silver_store **a, silver_store **b, char id[SILVER_MAX_ID])
{
	node("longhu", "laptop-a", a);
	node("longhu", "laptop-b", b);
	tick();
	OK(tu_retiree(*a, "王建国", id));
	sync2(*a, *b);
}

/* ---- collisions ---------------------------------------------------------------- */

static void test_same_field_later_wins(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	(void)state;

	pair(&a, &b, id);
	tick();
	OK(tu_set1(a, id, "name", "王建国A"));
	tick();
	OK(tu_set1(b, id, "name", "王建国B")); /* later clock */
	sync2(a, b);
	for (int i = 0; i < 2; i++) {
		silver_store *s = i ? b : a;
		field_is(s, id, "name", "王建国B", 2, 1);
		field_is(s, id, "_del", "false", 2, 0); /* both wrote false: equal, no conflict */
		only_conflict(s, id, "name");
	}
	same_digest(a, b);
	record_same(a, b, id);
	silver_store_close(&a);
	silver_store_close(&b);
}

static void test_same_clock_feed_tag_wins(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	uint8_t ta[SILVER_FEEDTAG_BYTES], tb[SILVER_FEEDTAG_BYTES];
	(void)state;

	pair(&a, &b, id);
	tick();
	/* Both clocks have seen the same entries, so at the same wall time
	 * both stamp the same hlc; the greater feed tag wins. */
	OK(tu_set1(a, id, "name", "甲"));
	OK(tu_set1(b, id, "name", "乙"));
	{
		silver_arena *x = silver_arena_new();
		silver_entry ea, eb;
		silver_ref ra = {{0}, 2}, rb = {{0}, 1};
		feedtag(a, ra.feed);
		feedtag(b, rb.feed);
		OK(silver_store_entry(a, &ra, x, &ea));
		OK(silver_store_entry(b, &rb, x, &eb));
		assert_true(ea.hlc == eb.hlc);
		silver_arena_destroy(&x);
	}
	sync2(a, b);
	feedtag(a, ta);
	feedtag(b, tb);
	field_is(a, id, "name", memcmp(ta, tb, sizeof(ta)) > 0 ? "甲" : "乙", 2, 1);
	same_digest(a, b);
	record_same(a, b, id);
	silver_store_close(&a);
	silver_store_close(&b);
}

static void test_different_fields_merge(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	(void)state;

	pair(&a, &b, id);
	tick();
	OK(tu_set1(a, id, "phone", "13800000001"));
	OK(tu_set1(b, id, "address", "龙湖镇西街"));
	tick();
	OK(tu_set1(b, id, "hardship", "low_income"));
	sync2(a, b);
	for (int i = 0; i < 2; i++) {
		silver_store *s = i ? b : a;
		field_is(s, id, "phone", "13800000001", 1, 0);
		field_is(s, id, "address", "龙湖镇西街", 1, 0);
		field_is(s, id, "hardship", "low_income", 1, 0);
		field_is(s, id, "name", "王建国", 1, 0);
		assert_int_equal(nconflicts(s), 0);
	}
	same_digest(a, b);
	silver_store_close(&a);
	silver_store_close(&b);
}

static void test_equal_values_no_conflict(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	(void)state;

	pair(&a, &b, id);
	tick();
	OK(tu_set1(a, id, "hardship", "other,illness"));
	tick();
	OK(tu_set1(b, id, "hardship", "illness, other")); /* same set, typed differently */
	sync2(a, b);
	field_is(a, id, "hardship", "illness,other", 2, 0);
	field_is(b, id, "hardship", "illness,other", 2, 0);
	assert_int_equal(nconflicts(a), 0);
	same_digest(a, b);
	/* A later edit on either side supersedes both heads. */
	tick();
	OK(tu_set1(b, id, "hardship", "other"));
	sync2(a, b);
	field_is(a, id, "hardship", "other", 1, 0);
	same_digest(a, b);
	silver_store_close(&a);
	silver_store_close(&b);
}

static void test_edit_vs_delete(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	silver_arena *x;
	silver_record r;
	(void)state;

	pair(&a, &b, id);
	tick();
	OK(tu_set1(a, id, "phone", "13800000009"));
	tick();
	OK(tu_delete(b, id, NULL));
	sync2(a, b);
	for (int i = 0; i < 2; i++) {
		silver_store *s = i ? b : a;
		field_is(s, id, "_del", "true", 2, 1);
		field_is(s, id, "phone", "13800000009", 1, 0);
		only_conflict(s, id, "_del");
	}
	x = silver_arena_new();
	OK(silver_store_get(a, id, x, &r));
	assert_true(r.deleted);
	silver_arena_destroy(&x);
	same_digest(a, b);

	/* A deleted record cannot be edited, but the conflict can be settled:
	 * keep it (the "false" head). */
	assert_int_equal(tu_set1(a, id, "phone", "1"), SILVER_ENOTFOUND);
	{
		silver_arena *y = silver_arena_new();
		uint32_t take = 0;
		OK(silver_store_get(a, id, y, &r));
		for (uint32_t i = 0; i < r.nfields; i++)
			if (r.fields[i].field.n == 4 && memcmp(r.fields[i].field.p, "_del", 4) == 0)
				for (uint32_t j = 0; j < r.fields[i].nheads; j++)
					if (!r.fields[i].heads[j].value.i)
						take = j + 1;
		silver_arena_destroy(&y);
		assert_int_not_equal(take, 0);
		tick();
		OK(tu_resolve(a, id, "_del", NULL, take, NULL));
	}
	sync2(a, b);
	for (int i = 0; i < 2; i++) {
		silver_store *s = i ? b : a;
		field_is(s, id, "_del", "false", 1, 0);
		assert_int_equal(nconflicts(s), 0);
	}
	tick();
	OK(tu_set1(b, id, "phone", "2")); /* alive again */
	sync2(a, b);
	same_digest(a, b);
	silver_store_close(&a);
	silver_store_close(&b);
}

static void test_three_contenders_and_resolution(void **state)
{
	silver_store *a, *b, *c;
	char id[SILVER_MAX_ID];
	(void)state;

	node("longhu", "a", &a);
	node("longhu", "b", &b);
	node("longhu", "c", &c);
	tick();
	OK(tu_retiree(a, "原名", id));
	sync2(a, b);
	sync2(a, c);
	tick();
	OK(tu_set1(a, id, "name", "甲"));
	tick();
	OK(tu_set1(b, id, "name", "乙"));
	tick();
	OK(tu_set1(c, id, "name", "丙"));
	sync2(a, b);
	sync2(b, c);
	sync2(a, b);
	for (int i = 0; i < 3; i++) {
		silver_store *s = i == 0 ? a : i == 1 ? b : c;
		field_is(s, id, "name", "丙", 3, 1);
		only_conflict(s, id, "name");
	}
	same_digest(a, b);
	same_digest(b, c);

	/* b settles it with a value of its own; everyone follows. */
	tick();
	OK(tu_resolve(b, id, "name", "丁", 0, NULL));
	field_is(b, id, "name", "丁", 1, 0);
	sync2(a, b);
	sync2(b, c);
	for (int i = 0; i < 3; i++) {
		silver_store *s = i == 0 ? a : i == 1 ? b : c;
		field_is(s, id, "name", "丁", 1, 0);
		assert_int_equal(nconflicts(s), 0);
	}
	same_digest(a, c);
	record_same(a, c, id);

	/* A resolution supersedes only the heads its author had seen: c's
	 * concurrent edit stays in conflict with it. */
	tick();
	OK(tu_set1(a, id, "name", "戊"));
	OK(tu_set1(c, id, "name", "己"));
	sync2(a, b);
	tick();
	OK(tu_resolve(b, id, "name", NULL, 1, NULL)); /* b has not seen c's edit */
	sync2(a, b);
	sync2(b, c);
	sync2(a, b);
	for (int i = 0; i < 3; i++) {
		silver_store *s = i == 0 ? a : i == 1 ? b : c;
		uint32_t nh;
		int conf;
		OK(tu_fieldstate(s, id, "name", &nh, &conf));
		assert_int_equal(nh, 2);
		assert_int_equal(conf, 1);
	}
	same_digest(a, c);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
}

/* ---- order independence ------------------------------------------------------------ */

static void deliver(silver_store *to, const tu_batch *b)
{
	silver_why why;
	silver_ingest_report rep;
	int rv = tu_ingest(to, b, &rep, &why);
	if (rv != 0)
		fail_msg("ingest: %s: %s (%s)", silver_strerror(rv), why.reason, why.detail);
}

static void test_order_independent(void **state)
{
	silver_store *a, *b, *c, *d;
	char id[SILVER_MAX_ID], id2[SILVER_MAX_ID];
	tu_batch fa, fb;
	(void)state;

	pair(&a, &b, id);
	tick();
	OK(tu_retiree(b, "第二人", id2));
	OK(tu_set1(a, id, "name", "甲"));
	OK(tu_set1(a, id, "phone", "1"));
	tick();
	OK(tu_set1(b, id, "name", "乙"));
	OK(tu_delete(b, id2, NULL));
	OK(tu_set1(a, id, "address", "x"));
	tu_batch_init(&fa);
	tu_batch_init(&fb);
	OK(tu_export_author(a, silver_store_self(a), &fa));
	OK(tu_export_author(b, silver_store_self(b), &fb));
	node("xinyan", "c", &c);
	node("longhu", "d", &d);
	deliver(c, &fa);
	deliver(c, &fb);
	deliver(d, &fb);
	deliver(d, &fa);
	same_digest(c, d);
	record_same(c, d, id);
	record_same(c, d, id2);
	sync2(a, b);
	same_digest(a, c);
	same_digest(b, d);
	field_is(c, id, "name", "乙", 2, 1);
	tu_batch_free(&fa);
	tu_batch_free(&fb);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
	silver_store_close(&d);
}

/* C receives B's edit, which superseded A's, before A's entry: B's base is
 * an orphan until A's entry arrives, which is then born superseded. */
static void test_orphan_base(void **state)
{
	silver_store *a, *b, *c, *d;
	char id[SILVER_MAX_ID];
	tu_batch fa, fb;
	(void)state;

	node("longhu", "a", &a);
	node("longhu", "b", &b);
	tick();
	OK(tu_retiree(a, "原名", id));
	tick();
	OK(tu_set1(a, id, "name", "甲"));
	OK(tu_sync(a, b, NULL, NULL));
	tick();
	OK(tu_set1(b, id, "name", "乙")); /* base: a's edit */
	tu_batch_init(&fa);
	tu_batch_init(&fb);
	OK(tu_export_author(a, silver_store_self(a), &fa));
	OK(tu_export_author(b, silver_store_self(b), &fb));
	node("longhu", "c", &c);
	node("longhu", "d", &d);
	deliver(c, &fb); /* b's edit first: its record has only b's fields */
	field_is(c, id, "name", "乙", 1, 0);
	deliver(c, &fa);
	deliver(d, &fa);
	deliver(d, &fb);
	field_is(c, id, "name", "乙", 1, 0);
	field_is(d, id, "name", "乙", 1, 0);
	field_is(c, id, "category", "retired", 1, 0);
	assert_int_equal(nconflicts(c), 0);
	same_digest(c, d);
	record_same(c, d, id);
	same_digest(b, d);
	tu_batch_free(&fa);
	tu_batch_free(&fb);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
	silver_store_close(&d);
}

/* The same, with A's superseded entry held unsealed (stored, not applied)
 * when B's edit arrives. */
struct two_sets {
	const char *id;
};

static int two_sets(silver_wtxn *t, void *vctx)
{
	struct two_sets *c = vctx;
	silver_kv n = {"name", "甲"}, p = {"phone", "123"};
	int rv = silver_wtxn_set(t, c->id, &n, 1, NULL);
	return rv ? rv : silver_wtxn_set(t, c->id, &p, 1, NULL);
}

static void test_orphan_base_unsealed(void **state)
{
	silver_store *a, *b, *c, *d;
	char id[SILVER_MAX_ID];
	struct two_sets ts = {id};
	tu_batch fa, fb, part;
	silver_ingest_report rep;
	(void)state;

	node("longhu", "a", &a);
	node("longhu", "b", &b);
	tick();
	OK(tu_retiree(a, "原名", id));
	tick();
	OK(silver_store_write(a, two_sets, &ts)); /* seq 2 unsealed, seq 3 sealed */
	OK(tu_sync(a, b, NULL, NULL));
	tick();
	OK(tu_set1(b, id, "name", "乙"));
	tu_batch_init(&fa);
	tu_batch_init(&fb);
	tu_batch_init(&part);
	OK(tu_export_author(a, silver_store_self(a), &fa));
	OK(tu_export_author(b, silver_store_self(b), &fb));
	assert_int_equal(fa.n, 3);
	node("longhu", "c", &c);
	node("longhu", "d", &d);
	OK(tu_batch_append(&part, &fa, 0, 2));
	OK(tu_ingest(c, &part, &rep, NULL));
	assert_int_equal(rep.waiting, 1);
	deliver(c, &fb);
	deliver(c, &fa);
	deliver(d, &fa);
	deliver(d, &fb);
	field_is(c, id, "name", "乙", 1, 0);
	field_is(c, id, "phone", "123", 1, 0);
	assert_int_equal(nconflicts(c), 0);
	same_digest(c, d);
	record_same(c, d, id);
	same_digest(b, c);
	tu_batch_free(&fa);
	tu_batch_free(&fb);
	tu_batch_free(&part);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
	silver_store_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_field_later_wins),
		cmocka_unit_test(test_same_clock_feed_tag_wins),
		cmocka_unit_test(test_different_fields_merge),
		cmocka_unit_test(test_equal_values_no_conflict),
		cmocka_unit_test(test_edit_vs_delete),
		cmocka_unit_test(test_three_contenders_and_resolution),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_orphan_base),
		cmocka_unit_test(test_orphan_base_unsealed),
	};
	int rv;
	tu_deterministic_random(20250101);
	tu_set_time(now_ms);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rv;
}

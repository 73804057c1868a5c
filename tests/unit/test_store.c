/*
 * test_store.c - the store through its public API (silver_store.h):
 * creating and opening, writing through silver_store_write, what a refusal
 * says (silver_why) and that it leaves the store as it was, history and log
 * order, drafts (checked outside a transaction, written later), growing
 * the LMDB map, and seals: a seal covers exactly the chain
 * before it, and entries without a seal after them wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <lmdb.h>

#include "testutil.h"

#define OK(x) assert_int_equal((x), 0)

static void digest_same(silver_store *s, const silver_digest *before)
{
	silver_digest now;
	OK(tu_digest(s, &now));
	assert_true(tu_digest_equal(before, &now));
}

/* ---- creating and opening ------------------------------------------------- */

static void test_create_open(void **state)
{
	char dir[4200], empty[4200], missing[4200];
	silver_store *s = NULL;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", tu_path("node"));
	snprintf(empty, sizeof(empty), "%s", tu_mkdir("empty"));
	snprintf(missing, sizeof(missing), "%s", tu_path("missing"));

	assert_int_equal(silver_store_create(dir, "Longhu", "bad township"), SILVER_EINVAL);
	OK(silver_store_create(dir, "longhu", "laptop 1"));
	assert_int_equal(silver_store_create(dir, "longhu", "laptop 1"), SILVER_EEXIST);
	assert_int_equal(silver_store_create(dir, "xinyan", "other"), SILVER_EEXIST);

	assert_int_equal(silver_store_open(empty, 0, &s), SILVER_ENOTFOUND);
	assert_null(s);
	assert_int_equal(silver_store_open(missing, 0, &s), SILVER_ENOTFOUND);
	assert_null(s);

	OK(silver_store_open(dir, 0, &s));
	assert_non_null(s);
	assert_string_equal(silver_store_township(s), "longhu");
	assert_string_equal(silver_store_name(s), "laptop 1");
	{
		struct stat st;
		char key[4300];
		snprintf(key, sizeof(key), "%s/identity.key", dir);
		OK(stat(key, &st));
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	{
		silver_digest d;
		OK(tu_digest(s, &d));
		assert_true(d.entries == 0 && d.feeds == 0 && d.records == 0 && d.conflicts == 0);
	}
	silver_store_close(&s);
	assert_null(s);

	/* Read-only: readable, not writable. */
	OK(silver_store_open(dir, SILVER_OPEN_RDONLY, &s));
	{
		char id[SILVER_MAX_ID];
		assert_int_not_equal(tu_retiree(s, "王建国", id), 0);
	}
	silver_store_close(&s);
}

/* Write meta "format" = 2 with raw LMDB calls, as a newer silversync would. */
static void test_newer_format_refused(void **state)
{
	char dir[4200];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint32_t fmt = SILVER_STORE_FORMAT + 1;
	MDB_val k = {6, "format"}, v = {sizeof(fmt), &fmt};
	silver_store *s = NULL;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", tu_path("newer"));
	OK(silver_store_create(dir, "longhu", "from the future"));
	OK(mdb_env_create(&env));
	OK(mdb_env_set_maxdbs(env, 8));
	OK(mdb_env_open(env, dir, 0, 0600));
	OK(mdb_txn_begin(env, NULL, 0, &txn));
	OK(mdb_dbi_open(txn, "meta", 0, &dbi));
	OK(mdb_put(txn, dbi, &k, &v, 0));
	OK(mdb_txn_commit(txn));
	mdb_env_close(env);

	assert_int_equal(silver_store_open(dir, 0, &s), SILVER_EVERSION);
	assert_null(s);
	assert_int_equal(silver_store_open(dir, SILVER_OPEN_RDONLY, &s), SILVER_EVERSION);
	assert_null(s);
}

/* A store of format 1 (before the aid_* statistics cells) is refused
 * read-only and upgraded when opened to write: the cells it lacked are
 * rebuilt from its entries, the records and digests stay the same. */
static void test_older_format_upgraded(void **state)
{
	char dir[4200], rid[SILVER_MAX_ID], aid_id[SILVER_MAX_ID];
	silver_kv kv[] = {{"name", "王桂兰"}, {"category", "retired"}, {"birth_date", "1950-03-04"}};
	silver_kv aid[] = {{"retiree", rid}, {"date", "2025-01-20"}, {"amount", "300"}, {"reason", "illness"}};
	silver_digest before, after;
	int64_t cv[2];
	uint32_t fmt = 1;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	silver_store *s = NULL;
	int rc, dropped = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", tu_path("older"));
	OK(silver_store_create(dir, "longhu", "from the past"));
	OK(silver_store_open(dir, 0, &s));
	OK(tu_add(s, "retiree", kv, 3, rid, NULL));
	OK(tu_add(s, "aid", aid, 4, aid_id, NULL));
	aid[1].text = "2025-02-20";
	OK(tu_add(s, "aid", aid, 4, aid_id, NULL));
	OK(silver_store_cell(s, "aid_people", "longhu", "", "", cv));
	assert_int_equal(cv[0], 1); /* one person, twice */
	OK(tu_digest(s, &before));
	silver_store_close(&s);

	/* make it what format 1 wrote: no aid_paid, aid_person, aid_people */
	OK(mdb_env_create(&env));
	OK(mdb_env_set_maxdbs(env, 16));
	OK(mdb_env_open(env, dir, 0, 0600));
	OK(mdb_txn_begin(env, NULL, 0, &txn));
	OK(mdb_dbi_open(txn, "meta", 0, &dbi));
	k.mv_size = 6;
	k.mv_data = "format";
	v.mv_size = sizeof(fmt);
	v.mv_data = &fmt;
	OK(mdb_put(txn, dbi, &k, &v, 0));
	OK(mdb_dbi_open(txn, "aggs", 0, &dbi));
	OK(mdb_cursor_open(txn, dbi, &cur));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (k.mv_size > 5 && memcmp(k.mv_data, "aid_p", 5) == 0) {
			OK(mdb_cursor_del(cur, 0));
			dropped++;
		}
	assert_int_equal(rc, MDB_NOTFOUND);
	assert_int_equal(dropped, 2 + 2 + 2 + 1 + 1); /* aid_paid day, month; aid_person x2; aid_people x2 */
	mdb_cursor_close(cur);
	OK(mdb_txn_commit(txn));
	mdb_env_close(env);

	assert_int_equal(silver_store_open(dir, SILVER_OPEN_RDONLY, &s), SILVER_EOLDSTORE);
	assert_null(s);
	OK(silver_store_open(dir, 0, &s)); /* the upgrade */
	silver_store_close(&s);
	OK(silver_store_open(dir, SILVER_OPEN_RDONLY, &s));
	OK(tu_digest(s, &after));
	assert_true(tu_digest_equal(&before, &after));
	OK(silver_store_cell(s, "aid_people", "longhu", "", "", cv));
	assert_int_equal(cv[0], 1);
	OK(silver_store_cell(s, "aid_people", "", "", "", cv));
	assert_int_equal(cv[0], 1);
	OK(silver_store_cell(s, "aid_paid", "longhu", "2025-02", "", cv));
	assert_int_equal(cv[0], 1);
	assert_int_equal(cv[1], 30000);
	silver_store_close(&s);
}

/* ---- writing ------------------------------------------------------------------ */

static void test_add_set_delete_resolve(void **state)
{
	silver_store *s;
	char id[SILVER_MAX_ID], buf[256];
	silver_digest d;
	silver_kv kv[] = {{"name", "李秀英"},        {"category", "honorary"},    {"birth_date", "1928-11-02"},
			  {"gender", "f"},           {"hardship", "old_age,illness"}, {"phone", "13800000000"}};
	(void)state;

	OK(tu_node("longhu", "n", &s));
	OK(tu_add(s, "retiree", kv, 6, id, NULL));
	assert_memory_equal(id, "longhu/retiree/", 15);
	assert_int_equal(strlen(id), 15 + 17);
	OK(tu_field(s, id, "name", buf, sizeof(buf)));
	assert_string_equal(buf, "李秀英");
	OK(tu_field(s, id, "hardship", buf, sizeof(buf)));
	assert_string_equal(buf, "illness,old_age"); /* sets are stored sorted */
	OK(tu_field(s, id, "_del", buf, sizeof(buf)));
	assert_string_equal(buf, "false");

	OK(tu_set1(s, id, "phone", "13900000000"));
	OK(tu_field(s, id, "phone", buf, sizeof(buf)));
	assert_string_equal(buf, "13900000000");
	OK(tu_set1(s, id, "phone", "")); /* an empty text clears a field */
	OK(tu_field(s, id, "phone", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	{
		uint32_t nh;
		int c;
		OK(tu_fieldstate(s, id, "phone", &nh, &c));
		assert_int_equal(nh, 1); /* the edit superseded the old value */
		assert_int_equal(c, 0);
	}

	/* A money field: yuan in, fen stored. */
	{
		silver_kv aid[] = {{"retiree", id}, {"date", "2025-01-20"}, {"amount", "1500.50"}, {"reason", "illness"}};
		char aid_id[SILVER_MAX_ID];
		OK(tu_add(s, "aid", aid, 4, aid_id, NULL));
		OK(tu_field(s, aid_id, "amount", buf, sizeof(buf)));
		assert_string_equal(buf, "150050");
	}

	/* Resolve with typed text and with a contender's number. */
	OK(tu_resolve(s, id, "name", "李秀英(改)", 0, NULL));
	OK(tu_field(s, id, "name", buf, sizeof(buf)));
	assert_string_equal(buf, "李秀英(改)");
	OK(tu_resolve(s, id, "category", NULL, 1, NULL));
	OK(tu_field(s, id, "category", buf, sizeof(buf)));
	assert_string_equal(buf, "honorary");

	OK(tu_delete(s, id, NULL));
	{
		silver_arena *a = silver_arena_new();
		silver_record r;
		OK(silver_store_get(s, id, a, &r));
		assert_true(r.deleted);
		silver_arena_destroy(&a);
	}
	OK(tu_field(s, id, "_del", buf, sizeof(buf)));
	assert_string_equal(buf, "true");
	/* A deleted record can still be resolved (here: keep it deleted). */
	OK(tu_resolve(s, id, "_del", NULL, 1, NULL));

	OK(tu_digest(s, &d));
	assert_int_equal(d.records, 2);
	assert_int_equal(d.conflicts, 0);
	assert_int_equal(d.feeds, 1);
	assert_int_equal(d.entries, 8);
	silver_store_close(&s);
}

/* ---- drafts: checked apart, written later ------------------------------------------- */

struct drafts {
	silver_draft d[2];
	char id[2][SILVER_MAX_ID];
	silver_why why;
};

static int write_drafts(silver_wtxn *t, void *vctx)
{
	struct drafts *c = vctx;
	int rv;
	for (int i = 0; i < 2; i++)
		if ((rv = silver_wtxn_add_draft(t, &c->d[i], c->id[i], &c->why)) != 0)
			return rv;
	return 0;
}

/* silver_draft_add checks a row with no store at all; silver_wtxn_add_draft
 * gives the same record as silver_wtxn_add, and checks references against the
 * store only then. */
static void test_drafts(void **state)
{
	silver_store *s;
	silver_arena *a = silver_arena_new();
	struct drafts c;
	silver_digest before;
	silver_why why;
	char buf[256];
	silver_kv kv[] = {{"name", "王秀兰"}, {"category", "retired"}, {"birth_date", "1950-03-04"}, {"gender", "f"}};
	silver_kv bad_date[] = {
		{"name", "王秀兰"}, {"category", "retired"}, {"birth_date", "1950-02-30"}, {"gender", "f"}};
	silver_kv no_name[] = {{"category", "retired"}, {"birth_date", "1950-03-04"}, {"gender", "f"}};
	silver_kv ghost_visit[] = {{"retiree", "longhu/retiree/0000000000000abcd"},
				   {"date", "2025-03-01"},
				   {"type", "birthday"},
				   {"staff", "张"}};
	(void)state;

	assert_non_null(a);
	memset(&c, 0, sizeof(c));
	/* refusals need no store */
	assert_int_equal(silver_draft_add(a, "retiree", bad_date, 4, &c.d[0], &why), SILVER_ESCHEMA);
	assert_string_equal(why.field, "birth_date");
	assert_int_equal(silver_draft_add(a, "retiree", no_name, 3, &c.d[0], &why), SILVER_ESCHEMA);
	assert_string_equal(why.field, "name");
	assert_int_equal(silver_draft_add(a, "spaceship", kv, 4, &c.d[0], &why), SILVER_ESCHEMA);

	OK(tu_node("longhu", "n", &s));
	OK(silver_draft_add(a, "retiree", kv, 4, &c.d[0], &why));
	OK(silver_draft_add(a, "retiree", kv, 4, &c.d[1], &why));
	OK(silver_store_write(s, write_drafts, &c));
	assert_string_not_equal(c.id[0], c.id[1]);
	OK(tu_field(s, c.id[1], "name", buf, sizeof(buf)));
	assert_string_equal(buf, "王秀兰");
	OK(tu_field(s, c.id[0], "birth_date", buf, sizeof(buf)));
	assert_string_equal(buf, "1950-03-04");

	/* a reference is checked by the writer: a draft naming a record the
	 * store lacks is refused there, and nothing is written */
	OK(tu_digest(s, &before));
	OK(silver_draft_add(a, "visit", ghost_visit, 4, &c.d[0], &why));
	OK(silver_draft_add(a, "retiree", kv, 4, &c.d[1], &why));
	assert_int_equal(silver_store_write(s, write_drafts, &c), SILVER_ESCHEMA);
	assert_string_equal(c.why.field, "retiree");
	digest_same(s, &before);
	silver_store_close(&s);
	silver_arena_destroy(&a);
}

/* ---- refusals -------------------------------------------------------------------- */

struct two_adds {
	const silver_kv *good, *bad;
	uint32_t ngood, nbad;
	silver_why why;
};

static int add_two(silver_wtxn *t, void *vctx)
{
	struct two_adds *c = vctx;
	char id[SILVER_MAX_ID];
	int rv = silver_wtxn_add(t, "retiree", c->good, c->ngood, id, &c->why);
	return rv ? rv : silver_wtxn_add(t, "retiree", c->bad, c->nbad, id, &c->why);
}

/* Every refusal: the code, the field and reason named, the store unchanged. */
static void check_refusal(silver_store *s, int rv, int want, const char *field, const char *reason_part,
			  const char *detail, const silver_why *why, const silver_digest *before)
{
	uint64_t n, n0 = before->entries;
	if (rv != want)
		fail_msg("rv %d (%s), want %d; why: field '%s' reason '%s' detail '%s'", rv, silver_strerror(rv), want,
			 why->field, why->reason, why->detail);
	assert_string_equal(why->field, field);
	assert_true(why->reason[0] != 0);
	if (reason_part && !strstr(why->reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", why->reason, reason_part);
	if (detail)
		assert_string_equal(why->detail, detail);
	digest_same(s, before);
	OK(tu_log_count(s, &n));
	assert_int_equal(n, n0);
}

static void test_refusals(void **state)
{
	silver_store *s, *x;
	silver_why why;
	silver_digest d;
	char id[SILVER_MAX_ID], del_id[SILVER_MAX_ID], other[SILVER_MAX_ID], vid[SILVER_MAX_ID];
	char ghost[SILVER_MAX_ID], ghost_branch[SILVER_MAX_ID];
	int rv;
	(void)state;

	OK(tu_node("longhu", "n", &s));
	OK(tu_retiree(s, "张三", id));
	OK(tu_retiree(s, "李四", del_id));
	OK(tu_delete(s, del_id, NULL));
	{
		silver_kv b[] = {{"name", "第一支部"}};
		OK(tu_add(s, "branch", b, 1, other, NULL));
	}
	/* An id of the right shape that names nothing. */
	snprintf(ghost, sizeof(ghost), "longhu/retiree/%.13s0000", "0123456789abc");
	snprintf(ghost_branch, sizeof(ghost_branch), "longhu/branch/%.13s0000", "0123456789abc");
	OK(tu_digest(s, &d));

	{ /* unknown field */
		silver_kv kv[] = {{"name", "x"}, {"category", "retired"}, {"birth_date", "1950-01-01"}, {"nickname", "x"}};
		rv = tu_add(s, "retiree", kv, 4, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "nickname", "no such field", "retiree", &why, &d);
		rv = tu_set(s, id, &kv[3], 1, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "nickname", "no such field", "retiree", &why, &d);
	}
	{ /* bad values, one per type */
		struct {
			const char *coll, *key, *text;
		} bad[] = {
			{"retiree", "birth_date", "1950-02-30"}, {"retiree", "birth_date", "1950/01/01"},
			{"retiree", "category", "general"},      {"retiree", "gender", "x"},
			{"retiree", "hardship", "illness,,other"}, {"retiree", "name", "a\rb"},
			{"aid", "amount", "12.345"},             {"aid", "amount", "-5"},
			{"lecture", "attendance", "12a"},         {"visit", "retiree", "not-an-id"},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			silver_kv kv = {bad[i].key, bad[i].text};
			if (strcmp(bad[i].coll, "retiree") == 0)
				rv = tu_set(s, id, &kv, 1, &why);
			else
				rv = tu_add(s, bad[i].coll, &kv, 1, vid, &why);
			check_refusal(s, rv, SILVER_ESCHEMA, bad[i].key, NULL, bad[i].text, &why, &d);
		}
	}
	{ /* missing required: absent, and cleared */
		silver_kv kv[] = {{"name", "x"}, {"category", "retired"}};
		rv = tu_add(s, "retiree", kv, 2, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "birth_date", "required", NULL, &why, &d);
		rv = tu_set1(s, id, "name", "");
		assert_int_equal(rv, SILVER_ESCHEMA);
		rv = tu_set(s, id, (silver_kv[]){{"name", "  "}}, 1, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "name", "required", NULL, &why, &d);
		rv = tu_resolve(s, id, "name", "", 0, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "name", "required", NULL, &why, &d);
	}
	{ /* bad references: missing record, deleted record, wrong collection */
		silver_kv kv[] = {{"retiree", ghost}, {"date", "2025-02-01"}, {"type", "birthday"}};
		rv = tu_add(s, "visit", kv, 3, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "retiree", "does not exist", ghost, &why, &d);
		kv[0].text = del_id;
		rv = tu_add(s, "visit", kv, 3, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "retiree", "deleted", del_id, &why, &d);
		kv[0].text = other;
		rv = tu_add(s, "visit", kv, 3, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "retiree", NULL, other, &why, &d);
		rv = tu_set(s, id, (silver_kv[]){{"branch", ghost_branch}}, 1, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "branch", "does not exist", ghost_branch, &why, &d);
	}
	{ /* unknown collection */
		silver_kv kv[] = {{"name", "x"}};
		rv = tu_add(s, "pets", kv, 1, vid, &why);
		check_refusal(s, rv, SILVER_ESCHEMA, "", "no such collection", "pets", &why, &d);
	}
	{ /* a record that is not there, or deleted */
		rv = tu_set1(s, ghost, "name", "x");
		assert_int_equal(rv, SILVER_ENOTFOUND);
		rv = tu_set(s, ghost, (silver_kv[]){{"name", "x"}}, 1, &why);
		check_refusal(s, rv, SILVER_ENOTFOUND, "", "no such record", ghost, &why, &d);
		rv = tu_set(s, del_id, (silver_kv[]){{"name", "x"}}, 1, &why);
		check_refusal(s, rv, SILVER_ENOTFOUND, "", "deleted", del_id, &why, &d);
		rv = tu_delete(s, del_id, &why);
		check_refusal(s, rv, SILVER_ENOTFOUND, "", "deleted", del_id, &why, &d);
		rv = tu_resolve(s, id, "health_notes", "x", 0, &why);
		check_refusal(s, rv, SILVER_ENOTFOUND, "health_notes", "never been written", id, &why, &d);
		rv = tu_resolve(s, id, "name", NULL, 7, &why);
		check_refusal(s, rv, SILVER_EINVAL, "name", "contender", "1..1", &why, &d);
		rv = tu_set(s, "nonsense", (silver_kv[]){{"name", "x"}}, 1, &why);
		check_refusal(s, rv, SILVER_EINVAL, "", "record id", "nonsense", &why, &d);
	}
	{ /* one bad change aborts the whole transaction, good ones before it too */
		silver_kv good[] = {{"name", "好"}, {"category", "retired"}, {"birth_date", "1950-01-01"}};
		silver_kv bad[] = {{"name", "坏"}, {"category", "retired"}, {"birth_date", "1950-01-32"}};
		struct two_adds c;
		memset(&c, 0, sizeof(c));
		c.good = good;
		c.bad = bad;
		c.ngood = c.nbad = 3;
		rv = silver_store_write(s, add_two, &c);
		check_refusal(s, rv, SILVER_ESCHEMA, "birth_date", NULL, "1950-01-32", &c.why, &d);
	}
	{ /* another township's record: received, readable, not ours to write */
		silver_digest dx;
		OK(tu_node("xinyan", "x", &x));
		OK(tu_sync(s, x, NULL, NULL));
		assert_true(tu_exists(x, id));
		OK(tu_digest(x, &dx));
		rv = tu_set(x, id, (silver_kv[]){{"name", "x"}}, 1, &why);
		check_refusal(x, rv, SILVER_EDENIED, "", "township", "longhu", &why, &dx);
		rv = tu_delete(x, id, &why);
		check_refusal(x, rv, SILVER_EDENIED, "", "township", "longhu", &why, &dx);
		rv = tu_resolve(x, id, "name", NULL, 1, &why);
		check_refusal(x, rv, SILVER_EDENIED, "", "township", "longhu", &why, &dx);
		/* and a visit of our own township may not refer to it? it may: a ref is a read */
		silver_store_close(&x);
	}
	silver_store_close(&s);
}

/* ---- history and log ---------------------------------------------------------------- */

struct hist {
	uint64_t hlc[16];
	uint64_t seq[16];
	uint8_t author[16][SILVER_KEY_BYTES];
	size_t n;
};

static int hist_fn(const silver_entry *e, void *ctx)
{
	struct hist *h = ctx;
	if (h->n == 16)
		return SILVER_ELIMIT;
	h->hlc[h->n] = e->hlc;
	h->seq[h->n] = e->seq;
	memcpy(h->author[h->n], e->author, SILVER_KEY_BYTES);
	h->n++;
	return 0;
}

static void test_history_order(void **state)
{
	silver_store *a, *b;
	char id[SILVER_MAX_ID];
	struct hist h = {{0}, {0}, {{0}}, 0};
	(void)state;

	OK(tu_node("longhu", "a", &a));
	OK(tu_node("longhu", "b", &b));
	tu_set_time(1700000000000ull);
	OK(tu_retiree(a, "王", id));
	tu_set_time(1700000001000ull);
	OK(tu_set1(a, id, "phone", "1"));
	OK(tu_sync(a, b, NULL, NULL));
	/* b edits at t+3 s, a at t+2 s (a's write is received later) */
	tu_set_time(1700000003000ull);
	OK(tu_set1(b, id, "address", "龙湖镇"));
	tu_set_time(1700000002000ull);
	OK(tu_set1(a, id, "notes", "n"));
	tu_set_time(1700000004000ull);
	OK(tu_sync(b, a, NULL, NULL));
	OK(tu_set1(a, id, "phone", "2"));
	tu_set_time(0);

	OK(silver_store_history(a, id, hist_fn, &h));
	assert_int_equal(h.n, 5);
	for (size_t i = 1; i < h.n; i++)
		assert_true(h.hlc[i - 1] < h.hlc[i]);
	/* clock order: a1 a2 a3(notes, t+2) b1(address, t+3) a4 */
	assert_memory_equal(h.author[0], silver_store_self(a), SILVER_KEY_BYTES);
	assert_memory_equal(h.author[3], silver_store_self(b), SILVER_KEY_BYTES);
	assert_int_equal(h.seq[2], 3);
	assert_int_equal(h.seq[4], 4);
	assert_int_equal(silver_store_history(a, "longhu/retiree/0000000000000aaaa", hist_fn, &h), SILVER_ENOTFOUND);
	silver_store_close(&a);
	silver_store_close(&b);
}

struct logwalk {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t seq, n;
	int bad;
};

static int log_fn(const silver_entry *e, void *ctx)
{
	struct logwalk *w = ctx;
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	silver_feedtag(e->author, e->township.p, e->township.n, tag);
	if (w->n && memcmp(tag, w->tag, sizeof(tag)) == 0) {
		if (e->seq != w->seq + 1)
			w->bad = 1;
	} else {
		if (w->n && memcmp(tag, w->tag, sizeof(tag)) < 0)
			w->bad = 2; /* feeds in tag order */
		if (e->seq != 1)
			w->bad = 3;
	}
	memcpy(w->tag, tag, sizeof(tag));
	w->seq = e->seq;
	w->n++;
	return 0;
}

static void test_log(void **state)
{
	silver_store *a, *b, *c;
	char id[SILVER_MAX_ID];
	struct logwalk w;
	silver_digest d;
	(void)state;

	OK(tu_node("longhu", "a", &a));
	OK(tu_node("xinyan", "b", &b));
	OK(tu_node("longhu", "c", &c));
	for (int i = 0; i < 5; i++) {
		OK(tu_retiree(a, "a", id));
		OK(tu_retiree(b, "b", id));
		OK(tu_retiree(c, "c", id));
	}
	OK(tu_sync(a, c, NULL, NULL));
	OK(tu_sync(b, c, NULL, NULL));
	memset(&w, 0, sizeof(w));
	OK(silver_store_log(c, log_fn, &w));
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.n, 15);
	OK(tu_digest(c, &d));
	assert_int_equal(d.entries, 15);
	assert_int_equal(d.feeds, 3);
	assert_int_equal(d.records, 15);
	silver_store_close(&a);
	silver_store_close(&b);
	silver_store_close(&c);
}

/* ---- map growth ------------------------------------------------------------------ */

struct bulk {
	uint32_t n, from;
	char (*ids)[SILVER_MAX_ID];
};

static int add_bulk(silver_wtxn *t, void *vctx)
{
	struct bulk *b = vctx;
	char name[32];
	for (uint32_t i = 0; i < b->n; i++) {
		silver_kv kv[] = {{"name", name}, {"category", (i & 1) ? "retired" : "honorary"},
				  {"birth_date", "1941-07-01"}, {"address", "新郑市龙湖镇某某村某某组 这是一段较长的地址文字"}};
		int rv;
		snprintf(name, sizeof(name), "退休干部%u", b->from + i);
		if ((rv = silver_wtxn_add(t, "retiree", kv, 4, b->ids[b->from + i], NULL)) != 0)
			return rv;
	}
	return 0;
}

static uint32_t env_u32(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

struct counter {
	uint64_t n;
};

static int count_rec(const silver_record *r, void *ctx)
{
	(void)r;
	((struct counter *)ctx)->n++;
	return 0;
}

/* 200k records (SILVER_GROWTH_RECORDS) in 4 transactions grow the 64 MiB map
 * several times; everything stays readable, also after reopening. */
static void test_map_growth(void **state)
{
	uint32_t total = env_u32("SILVER_GROWTH_RECORDS", 200000), per = total / 4;
	struct bulk b = {per, 0, NULL};
	silver_store *s;
	char dir[4200];
	struct stat st;
	silver_digest d;
	struct counter c = {0};
	(void)state;

	b.ids = calloc(total, sizeof(*b.ids));
	assert_non_null(b.ids);
	snprintf(dir, sizeof(dir), "%s", tu_path("big"));
	OK(silver_store_create(dir, "longhu", "big"));
	OK(silver_store_open(dir, 0, &s));
	for (b.from = 0; b.from + per <= total; b.from += per)
		OK(silver_store_write(s, add_bulk, &b));
	total = b.from;
	OK(tu_digest(s, &d));
	assert_int_equal(d.records, total);
	assert_int_equal(d.entries, total);
	silver_store_close(&s);
	{
		char p[4300];
		snprintf(p, sizeof(p), "%s/data.mdb", dir);
		OK(stat(p, &st));
		if ((uint64_t)st.st_size <= 2 * (64ull << 20))
			fail_msg("data.mdb is %lld bytes: the test did not grow the map", (long long)st.st_size);
		print_message("%u records: data.mdb is %lld MiB\n", total, (long long)(st.st_size >> 20));
	}
	OK(silver_store_open(dir, SILVER_OPEN_RDONLY, &s));
	OK(silver_store_list(s, "retiree", count_rec, &c));
	assert_int_equal(c.n, total);
	for (uint32_t i = 0; i < total; i += total / 97) {
		char buf[64], want[32];
		OK(tu_field(s, b.ids[i], "name", buf, sizeof(buf)));
		snprintf(want, sizeof(want), "退休干部%u", i);
		assert_string_equal(buf, want);
	}
	silver_store_close(&s);
	OK(silver_store_open(dir, 0, &s));
	OK(tu_set1(s, b.ids[total - 1], "phone", "123"));
	silver_store_close(&s);
	free(b.ids);
}

/* ---- seals ------------------------------------------------------------------------ */

#define SMALL 5
#define LONG 3000

/* Entry i of the export holds seq i + 1 of the only feed. */
static int is_sealed(const silver_slice *s)
{
	silver_arena *a = silver_arena_new();
	silver_entry e;
	int sealed = -1;
	if (a && silver_entry_decode(s->p, s->n, a, &e) == 0)
		sealed = e.sealed;
	silver_arena_destroy(&a);
	return sealed;
}

/* The entry with its seal taken off: same body, nil seal. */
static void strip_seal(const silver_slice *s, tu_batch *out)
{
	silver_arena *a = silver_arena_new();
	silver_entry e;
	silver_buf b;
	silver_buf_init(&b);
	OK(silver_entry_decode(s->p, s->n, a, &e));
	assert_true(e.sealed);
	OK(silver_entry_wrap(e.body.p, e.body.n, NULL, &b));
	OK(tu_batch_push(out, b.data, b.len));
	silver_buf_release(&b);
	silver_arena_destroy(&a);
}

static void present(silver_store *s, char (*ids)[SILVER_MAX_ID], size_t from, size_t to, int want)
{
	for (size_t i = from; i < to; i++)
		if (tu_exists(s, ids[i]) != want)
			fail_msg("record %zu (%s) is %s", i, ids[i], want ? "missing" : "present, but unsealed");
}

static void test_seals(void **state)
{
	silver_store *a, *r1, *r2;
	char(*ids)[SILVER_MAX_ID] = calloc(SMALL + LONG, SILVER_MAX_ID);
	struct bulk small = {SMALL, 0, ids}, big = {LONG, SMALL, ids};
	silver_ingest_report rep;
	silver_why why;
	tu_batch all, part;
	uint64_t n;
	const size_t seal1 = SMALL + 1024 - 1, seal2 = SMALL + 2048 - 1, last = SMALL + LONG - 1;
	(void)state;

	assert_non_null(ids);
	OK(tu_node("longhu", "a", &a));
	OK(tu_node("longhu", "r1", &r1));
	OK(tu_node("longhu", "r2", &r2));
	OK(silver_store_write(a, add_bulk, &small));
	OK(silver_store_write(a, add_bulk, &big));
	tu_batch_init(&all);
	OK(tu_export(a, NULL, 0, NULL, NULL, &all));
	assert_int_equal(all.n, SMALL + LONG);
	/* Seals fall at the end of each transaction and every 1024 entries. */
	for (size_t i = 0; i < all.n; i++) {
		int want = i == SMALL - 1 || i == seal1 || i == seal2 || i == last;
		if (is_sealed(&all.v[i]) != want)
			fail_msg("entry seq %zu: sealed %d, want %d", i + 1, is_sealed(&all.v[i]), want);
	}

	/* The first transaction and an unsealed prefix of the second. */
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, 0, SMALL + 500));
	OK(tu_ingest(r1, &part, &rep, &why));
	assert_int_equal(rep.received, SMALL + 500);
	assert_int_equal(rep.stored, SMALL + 500);
	assert_int_equal(rep.applied, SMALL);
	assert_int_equal(rep.waiting, 500);
	present(r1, ids, 0, SMALL, 1);
	present(r1, ids, SMALL, SMALL + 500, 0);
	{
		silver_digest d;
		OK(tu_digest(r1, &d));
		assert_int_equal(d.entries, SMALL); /* the log digest counts sealed entries */
		assert_int_equal(d.records, SMALL);
		OK(tu_log_count(r1, &n));
		assert_int_equal(n, SMALL + 500); /* the tail is stored */
	}
	/* What r1 passes on stops at its last seal. */
	{
		tu_batch fw;
		tu_batch_init(&fw);
		OK(tu_export(r1, NULL, 0, NULL, NULL, &fw));
		assert_int_equal(fw.n, SMALL);
		tu_batch_free(&fw);
	}
	/* Up to just past the first seal: the seal applies the held tail. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, SMALL + 500, seal1 + 101));
	OK(tu_ingest(r1, &part, &rep, &why));
	assert_int_equal(rep.applied, 1024);
	assert_int_equal(rep.waiting, 100);
	present(r1, ids, 0, seal1 + 1, 1);
	present(r1, ids, seal1 + 1, seal1 + 101, 0);
	/* The rest. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, seal1 + 101, all.n));
	OK(tu_ingest(r1, &part, &rep, &why));
	assert_int_equal(rep.applied, LONG - 1024);
	assert_int_equal(rep.waiting, 0);
	present(r1, ids, 0, SMALL + LONG, 1);
	{
		silver_digest da, dr;
		OK(tu_digest(a, &da));
		OK(tu_digest(r1, &dr));
		assert_true(tu_digest_equal(&da, &dr));
	}
	/* Everything again: duplicates, nothing changes. */
	OK(tu_ingest(r1, &all, &rep, &why));
	assert_int_equal(rep.duplicates, all.n);
	assert_int_equal(rep.stored + rep.applied + rep.waiting, 0);

	/* A seal covers exactly the chain before it: without its seal, the
	 * first seal's entry waits with everything before it. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, 0, seal1));
	strip_seal(&all.v[seal1], &part);
	OK(tu_ingest(r2, &part, &rep, &why));
	assert_int_equal(rep.applied, SMALL);
	assert_int_equal(rep.waiting, 1024);
	present(r2, ids, SMALL, seal1 + 1, 0);
	/* The sealed copy of the same entry: now it applies, only up to it. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, seal1, seal1 + 1));
	OK(tu_ingest(r2, &part, &rep, &why));
	assert_int_equal(rep.applied, 1024);
	assert_int_equal(rep.waiting, 0);
	present(r2, ids, 0, seal1 + 1, 1);
	/* The rest with the last seal stripped: all of it waits. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, seal1 + 1, last));
	strip_seal(&all.v[last], &part);
	OK(tu_ingest(r2, &part, &rep, &why));
	assert_int_equal(rep.applied, 1024); /* through seal2 */
	assert_int_equal(rep.waiting, last - seal2);
	present(r2, ids, seal2 + 1, last + 1, 0);
	/* The last entry sealed. */
	tu_batch_free(&part);
	tu_batch_init(&part);
	OK(tu_batch_append(&part, &all, last, last + 1));
	OK(tu_ingest(r2, &part, &rep, &why));
	assert_int_equal(rep.applied, last - seal2);
	assert_int_equal(rep.waiting, 0);
	present(r2, ids, 0, last + 1, 1);
	{
		silver_digest da, dr;
		OK(tu_digest(a, &da));
		OK(tu_digest(r2, &dr));
		assert_true(tu_digest_equal(&da, &dr));
	}

	tu_batch_free(&part);
	tu_batch_free(&all);
	silver_store_close(&a);
	silver_store_close(&r1);
	silver_store_close(&r2);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_open),
		cmocka_unit_test(test_newer_format_refused),
		cmocka_unit_test(test_older_format_upgraded),
		cmocka_unit_test(test_add_set_delete_resolve),
		cmocka_unit_test(test_drafts),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_history_order),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_seals),
		cmocka_unit_test(test_map_growth),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rv;
}

/*
 * test_operator.c - the operator a CHANGE carries (docs/FORMAT.md section
 * 6): silver_store_write_as puts the account into every change it writes
 * and silver_store_write puts none; the name arrives at the hub with the
 * entry, by sync (export and ingest) and by a bundle file; and the
 * workbench signs its changes with the session's account, shows the
 * entry's operator, and falls back to the old local journal only for
 * entries that carry none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <lmdb.h>

#include "testutil.h"
#include "web.h"

#define OK(x) assert_int_equal((x), 0)
#define MAXH 16

/* What a record's history says, entry by entry. */
struct hist {
	size_t n;
	uint64_t seq[MAXH];
	char op[MAXH][SILVER_MAX_OPERATOR + 1]; /* "" when the entry names none */
	uint32_t nwrites[MAXH];
};

static int hist_fn(const silver_entry *e, void *vctx)
{
	struct hist *h = vctx;
	if (h->n >= MAXH)
		return SILVER_ELIMIT;
	assert_true(e->op.operator_name.n <= SILVER_MAX_OPERATOR);
	memcpy(h->op[h->n], e->op.operator_name.p ? (const char *)e->op.operator_name.p : "",
	       e->op.operator_name.n);
	h->op[h->n][e->op.operator_name.n] = 0;
	h->seq[h->n] = e->seq;
	h->nwrites[h->n] = e->op.nwrites;
	h->n++;
	return 0;
}

static void history(silver_store *s, const char *id, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	OK(silver_store_history(s, id, hist_fn, h));
}

struct op_write {
	int kind; /* 0 add, 1 set, 2 delete */
	const char *id;
	char newid[SILVER_MAX_ID];
};

static int do_write(silver_wtxn *t, void *vctx)
{
	struct op_write *w = vctx;
	silver_kv add[] = { { "name", "刘operator" },
			    { "category", "retired" },
			    { "birth_date", "1944-02-03" } };
	silver_kv set[] = { { "phone", "13900000001" } };
	switch (w->kind) {
	case 0:
		return silver_wtxn_add(t, "retiree", add, 3, w->newid, NULL);
	case 1:
		return silver_wtxn_set(t, w->id, set, 1, NULL);
	default:
		return silver_wtxn_delete(t, w->id, NULL);
	}
}

/* An office writes: by account wang.li, then on the command line (none),
 * then by li-na.2; a bad account writes nothing. */
static void office_writes(silver_store *s, char rid[SILVER_MAX_ID])
{
	struct op_write w = { 0, NULL, "" };
	struct hist h;
	uint64_t before, after;

	OK(silver_store_write_as(s, "wang.li", do_write, &w));
	snprintf(rid, SILVER_MAX_ID, "%s", w.newid);
	w.kind = 1;
	w.id = rid;
	OK(silver_store_write(s, do_write, &w));
	OK(silver_store_write_as(s, NULL, do_write, &w)); /* NULL: none, as silver_store_write */

	OK(tu_log_count(s, &before));
	assert_int_equal(silver_store_write_as(s, "Wang Li", do_write, &w), SILVER_EINVAL);
	assert_int_equal(silver_store_write_as(s, "", do_write, &w), SILVER_EINVAL);
	assert_int_equal(silver_store_write_as(s, "abcdefghijklmnopqrstuvwxyz0123456", do_write, &w),
			 SILVER_EINVAL);
	OK(tu_log_count(s, &after));
	assert_int_equal(after, before);

	w.kind = 2;
	OK(silver_store_write_as(s, "li-na.2", do_write, &w));

	history(s, rid, &h);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.op[0], "wang.li");
	assert_string_equal(h.op[1], "");
	assert_string_equal(h.op[2], "");
	assert_string_equal(h.op[3], "li-na.2");
}

static void test_write_as_sync_bundle(void **state)
{
	silver_store *office, *hub, *other;
	char rid[SILVER_MAX_ID], path[4200];
	silver_bundle *b = NULL;
	silver_ingest_report rep;
	silver_why why;
	uint64_t count = 0;
	struct hist h;
	(void)state;

	OK(tu_node("longhu", "longhu office", &office));
	OK(tu_node("county", "hub", &hub));
	OK(tu_node("guodian", "guodian office", &other));
	office_writes(office, rid);

	/* sync: what the office sends, verified and stored by the hub */
	OK(tu_sync(office, hub, &rep, &why));
	assert_int_equal(rep.applied, 4);
	history(hub, rid, &h);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.op[0], "wang.li");
	assert_string_equal(h.op[1], "");
	assert_string_equal(h.op[3], "li-na.2");

	/* a bundle file from the hub, imported by another node */
	snprintf(path, sizeof(path), "%s", tu_path("hub.bundle"));
	OK(silver_bundle_write(hub, path, NULL, 0, NULL, NULL, &count));
	assert_int_equal(count, 4);
	OK(silver_bundle_open(path, &b, &why));
	OK(silver_store_ingest(other, b->entries, b->n, &rep, &why));
	silver_bundle_close(&b);
	history(other, rid, &h);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.op[0], "wang.li");
	assert_string_equal(h.op[2], "");
	assert_string_equal(h.op[3], "li-na.2");

	silver_store_close(&office);
	silver_store_close(&hub);
	silver_store_close(&other);
}

/* Write name under (tag, seq) into DIR/accounts "operators", as the
 * workbench did before entries carried the operator. */
static void plant_journal(const char *dir, const uint8_t tag[SILVER_FEEDTAG_BYTES], uint64_t seq,
			  const char *name)
{
	char path[4300];
	uint8_t key[SILVER_FEEDTAG_BYTES + 8];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { sizeof(key), key }, v = { strlen(name), (void *)name };

	snprintf(path, sizeof(path), "%s/accounts", dir);
	(void)mkdir(path, 0700);
	memcpy(key, tag, SILVER_FEEDTAG_BYTES);
	for (int i = 0; i < 8; i++)
		key[SILVER_FEEDTAG_BYTES + i] = (uint8_t)(seq >> (56 - 8 * i));
	OK(mdb_env_create(&env));
	OK(mdb_env_set_maxdbs(env, 4));
	OK(mdb_env_open(env, path, 0, 0600));
	OK(mdb_txn_begin(env, NULL, 0, &txn));
	OK(mdb_dbi_open(txn, "users", MDB_CREATE, &dbi));
	OK(mdb_dbi_open(txn, "operators", MDB_CREATE, &dbi));
	OK(mdb_put(txn, dbi, &k, &v, 0));
	OK(mdb_txn_commit(txn));
	mdb_env_close(env);
}

static int page(silver_web *w, const char *method, const char *path, const silver_web_kv *form, size_t nform,
		const char *token, silver_buf *body)
{
	silver_web_req req;
	silver_web_resp resp;
	int status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.form = form;
	req.nform = nform;
	req.session = token;
	req.client = "127.0.0.1";
	req.now_ms = 2000;
	memset(&resp, 0, sizeof(resp));
	silver_buf_init(&resp.body);
	OK(silver_web_handle(w, &req, &resp));
	status = resp.status;
	body->len = 0;
	OK(silver_buf_append(body, resp.body.data, resp.body.len));
	silver_buf_release(&resp.body);
	return status;
}

/* The record page names each entry's operator: the entry's own (which
 * wins over anything a journal says), the old journal's for an entry that
 * carries none, else the key.  A change made in the workbench is signed
 * with the session's account. */
static void test_web(void **state)
{
	char dir[4200], rid[SILVER_MAX_ID], pathbuf[SILVER_MAX_ID + 16], token[65], csrf[65];
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	silver_store *s;
	silver_users *u;
	silver_web *w;
	struct op_write wr = { 0, NULL, "" };
	struct hist h;
	silver_buf body;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", tu_path("web"));
	OK(silver_store_create(dir, "longhu", "longhu office"));
	OK(silver_store_open(dir, 0, &s));
	OK(silver_store_write(s, do_write, &wr)); /* 1: before the upgrade, journalled */
	snprintf(rid, sizeof(rid), "%s", wr.newid);
	wr.kind = 1;
	wr.id = rid;
	OK(silver_store_write_as(s, "new.clerk", do_write, &wr)); /* 2: carries its operator */
	OK(silver_store_write(s, do_write, &wr));		  /* 3: the command line: none */
	silver_feedtag(silver_store_self(s), (const uint8_t *)"longhu", 6, tag);
	plant_journal(dir, tag, 1, "old.clerk");
	plant_journal(dir, tag, 2, "stale.name");

	OK(silver_users_open(dir, &u));
	OK(silver_web_new(s, u, &w));
	OK(silver_users_add(u, "officer9", SILVER_USER_OFFICER, "officer9-pass", 0));
	OK(silver_web_session_for(w, "officer9", SILVER_USER_OFFICER, 1000, token, csrf));
	silver_buf_init(&body);
	snprintf(pathbuf, sizeof(pathbuf), "/record/%s", rid);
	assert_int_equal(page(w, "GET", pathbuf, NULL, 0, token, &body), 200);
	assert_non_null(strstr((char *)body.data, "old.clerk"));
	assert_non_null(strstr((char *)body.data, "new.clerk"));
	assert_null(strstr((char *)body.data, "stale.name"));
	assert_non_null(strstr((char *)body.data, "muted\">key ")); /* entry 3: the key */

	/* a delete in the workbench: the entry names officer9 */
	{
		silver_web_kv form[] = { { "csrf", csrf }, { "id", rid } };
		assert_int_equal(page(w, "POST", "/delete", form, 2, token, &body), 303);
	}
	history(s, rid, &h);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.op[0], "");
	assert_string_equal(h.op[1], "new.clerk");
	assert_string_equal(h.op[2], "");
	assert_string_equal(h.op[3], "officer9");
	assert_int_equal(page(w, "GET", pathbuf, NULL, 0, token, &body), 200);
	assert_non_null(strstr((char *)body.data, "officer9"));

	silver_buf_release(&body);
	silver_web_destroy(&w);
	silver_users_close(&u);
	silver_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_as_sync_bundle),
		cmocka_unit_test(test_web),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rv;
}

/*
 * bench_web.c - the workbench's pages on a large store (docs/WEB.md,
 * "Performance").
 *
 * The store of bench_show (1,000,000 retirees; 10,000 at the small scale;
 * the same cache, show-N) is opened as `silvernode web` opens it, and the
 * pages are rendered by silver_web_handle in this process, as the server
 * does for each request (the HTTP layer, libmicrohttpd, adds a copy of the
 * body).  For each page: median and p90 over the runs.  Target: a page in
 * <= 50 ms on the 1,000,000-record store, searches included.
 *
 * The search index (node/search.c) is brought up to date first, as
 * silvernode web does when it starts, and that catch-up is a figure of its
 * own (entries/s), with the index's size.  The first run on a new cache
 * builds the whole index; later runs reuse it.  The store gets one visit per
 * 5 retirees once (the cache's "visits" marker), for the filter on a
 * retiree's visits.
 *
 * Sizes: 20 runs per page on 10,000 records; SILVER_BENCH_SCALE=full: 200
 * runs on 1,000,000 records.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "web.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static size_t rnd(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (size_t)(rng % n);
}

struct pageb {
	const char *name;
	const char *path;
	const char *qk, *qv; /* one query field, or NULL */
	int per_id;	     /* path is a prefix for a random record id */
	int gen;	     /* qv made from a random retiree's row: GEN_* */
};

enum { GEN_NONE, GEN_NAME, GEN_IDNUM, GEN_RETIREE };

/* A query made from row i of the generated retirees: part of the name
 * ("建国12345"-like: the given name and the first digits), 8 digits from
 * the middle of the ID number, or the retiree's id (a REF filter). */
static void gen_query(int gen, size_t i, const char *ids, char *out, size_t n)
{
	char buf[1024];
	const char *cells[BENCH_RETIREE_FIELDS];
	bench_retiree_row(i, buf, sizeof(buf), cells);
	if (gen == GEN_NAME) {
		const char *p = cells[0] + 3; /* after the surname (3 bytes of UTF-8) */
		snprintf(out, n, "%.*s", (int)(strlen(p) > 10 ? 10 : strlen(p)), p);
	} else if (gen == GEN_IDNUM) {
		snprintf(out, n, "%.8s", cells[4] + 9);
	} else {
		snprintf(out, n, "%s", ids + i * SILVER_MAX_ID);
	}
}

/* One visit per 5 retirees, once per cache (the marker file "visits"). */
struct visits {
	const char *ids;
	size_t n, from, to;
	silver_why why;
};

static int add_visits(silver_wtxn *t, void *vctx)
{
	struct visits *v = vctx;
	static const char *const types[] = { "birthday", "illness", "festival" };
	for (size_t i = v->from; i < v->to; i++) {
		char id[SILVER_MAX_ID];
		silver_kv kv[] = { { "retiree", v->ids + (i * 5) * SILVER_MAX_ID },
				   { "date", "2025-06-01" },
				   { "type", types[i % 3] },
				   { "staff", "赵敏" } };
		int rv = silver_wtxn_add(t, "visit", kv, 4, id, &v->why);
		if (rv != 0)
			return rv;
	}
	return 0;
}

static void ensure_visits(const char *dir, const char *node, const char *ids, size_t n)
{
	char mark[4096];
	silver_store *s;
	struct visits v;
	FILE *f;
	double t0 = bench_now();
	snprintf(mark, sizeof(mark), "%s/visits", dir);
	if (access(mark, F_OK) == 0)
		return;
	memset(&v, 0, sizeof(v));
	v.ids = ids;
	v.n = n / 5;
	bench_check(silver_store_open(node, 0, &s), "silver_store_open", NULL);
	for (v.from = 0; v.from < v.n; v.from = v.to) {
		v.to = v.from + 100000 < v.n ? v.from + 100000 : v.n;
		bench_check(silver_store_write(s, add_visits, &v), "silver_store_write (visits)", &v.why);
	}
	silver_store_close(&s);
	if (!(f = fopen(mark, "w")) || fclose(f) != 0)
		bench_die("cannot write %s", mark);
	printf("added %zu visits in %.1f s (once)\n", v.n, bench_now() - t0);
}

int main(void)
{
	size_t n = bench_size(10000, 1000000), runs = bench_size(20, 200);
	const char *base = getenv("SILVER_BENCH_DIR"), *tmp = getenv("TMPDIR");
	char dir[2048], node[4096], token[65], csrf[65];
	char *ids;
	silver_search_stat st;
	double *lat = malloc(runs * sizeof(double));
	silver_store *s;
	silver_users *u;
	silver_web *w;
	const struct pageb pages[] = {
		{ "list_first", "/records/retiree", NULL, NULL, 0, 0 },
		{ "list_page_20", "/records/retiree", "page", "20", 0, 0 },
		{ "list_filtered", "/records/retiree", "category", "honorary", 0, 0 },
		{ "record", "/record/", NULL, NULL, 1, 0 },
		{ "edit_form", "/edit/", NULL, NULL, 1, 0 },
		{ "new_visit_form", "/new/visit", NULL, NULL, 0, 0 },
		{ "new_visit_for_retiree", "/new/visit", "retiree", NULL, 0, 0 },
		{ "conflicts", "/conflicts", NULL, NULL, 0, 0 },
		{ "dashboard", "/county", NULL, NULL, 0, 0 },
		{ "statistics", "/stats", NULL, NULL, 0, 0 },
		{ "search_all", "/records/retiree", "q", "no-such-name", 0, 0 },
		{ "search_name", "/records/retiree", "q", NULL, 0, GEN_NAME },
		{ "search_idnum", "/records/retiree", "q", NULL, 0, GEN_IDNUM },
		{ "search_1char", "/records/retiree", "q", "张", 0, 0 },
		{ "search_1char_p20", "/records/retiree", "q", "张", 0, 0 },
		{ "visits_of_retiree", "/records/visit", "retiree", NULL, 0, GEN_RETIREE },
		{ "picker_search", "/new/visit", "retiree_q", NULL, 0, GEN_NAME },
	};

	if (!lat)
		bench_die("out of memory");
	bench_banner("bench_web");
	if (base && *base)
		snprintf(dir, sizeof(dir), "%s/show-%zu", base, n);
	else
		snprintf(dir, sizeof(dir), "%s/silver-bench-cache/show-%zu", tmp && *tmp ? tmp : "/tmp", n);
	ids = bench_cached_retirees(dir, n);
	snprintf(node, sizeof(node), "%s/node", dir);
	ensure_visits(dir, node, ids, n);
	bench_check(silver_store_open(node, 0, &s), "silver_store_open", NULL);
	{
		/* the search index, as silvernode web brings it up to date at its start */
		double t0 = bench_now(), secs;
		bench_check(silver_store_search_stat(s, &st), "silver_store_search_stat", NULL);
		if (st.behind) {
			uint64_t behind = st.behind;
			int rv = silver_store_search_update(s, 0, NULL, NULL);
			if (rv != 1)
				bench_die("silver_store_search_update: %s", rv < 0 ? silver_strerror(rv) : "not complete");
			secs = bench_now() - t0;
			printf("search index caught up: %llu entries in %.1f s (%.0f entries/s)\n",
			       (unsigned long long)behind, secs, (double)behind / secs);
			bench_result("web.search_index.catch_up_s", secs, "s", 0, 0);
			bench_result("web.search_index.catch_up_rate", (double)behind / secs, "entries/s", 0, 0);
		} else {
			printf("search index: up to date (built by an earlier run; delete the cache to measure the "
			       "catch-up)\n");
		}
		bench_check(silver_store_search_stat(s, &st), "silver_store_search_stat", NULL);
		printf("search index: %llu bytes, %llu postings, %llu records\n", (unsigned long long)st.bytes,
		       (unsigned long long)st.postings, (unsigned long long)st.records);
		bench_result("web.search_index.bytes", (double)st.bytes, "bytes", 0, 0);
	}
	bench_check(silver_users_open(node, &u), "silver_users_open", NULL);
	bench_check(silver_web_new(s, u, &w), "silver_web_new", NULL);
	bench_check(silver_users_add(u, "bench", SILVER_USER_OFFICER, "bench-password", 1),
		    "silver_users_add", NULL);
	bench_check(silver_web_session_for(w, "bench", SILVER_USER_OFFICER, 1000, token, csrf), "session",
		    NULL);

	for (size_t k = 0; k < sizeof(pages) / sizeof(pages[0]); k++) {
		const struct pageb *pg = &pages[k];
		size_t bytes = 0, nruns = runs;
		double med, p90;
		char name[128];
		for (size_t i = 0; i < nruns; i++) {
			char path[SILVER_MAX_ID + 64];
			silver_web_kv q[2];
			silver_web_req req;
			silver_web_resp resp;
			size_t row = rnd(n);
			const char *id = ids + row * SILVER_MAX_ID;
			char gq[SILVER_MAX_ID + 16];
			double t0;
			memset(&req, 0, sizeof(req));
			snprintf(path, sizeof(path), "%s%s", pg->path, pg->per_id ? id : "");
			if (pg->gen)
				gen_query(pg->gen, pg->gen == GEN_RETIREE ? row / 5 * 5 : row, ids, gq, sizeof(gq));
			q[0].key = (char *)pg->qk;
			q[0].val = (char *)(pg->gen ? gq : pg->qv ? pg->qv : id);
			q[1].key = "page";
			q[1].val = "20";
			req.method = "GET";
			req.path = path;
			req.query = pg->qk ? q : NULL;
			req.nquery = pg->qk ? (strstr(pg->name, "_p20") ? 2 : 1) : 0;
			req.session = token;
			req.client = "127.0.0.1";
			req.now_ms = 2000;
			memset(&resp, 0, sizeof(resp));
			silver_buf_init(&resp.body);
			t0 = bench_now();
			if (silver_web_handle(w, &req, &resp) != 0 || resp.status != 200)
				bench_die("%s: status %d", path, resp.status);
			lat[i] = (bench_now() - t0) * 1e3;
			bytes = resp.body.len;
			if (strstr((const char *)resp.body.data, "index-note"))
				bench_die("%s: the page read every record (the index was not used)", pg->name);
			if (pg->gen && pg->gen != GEN_RETIREE && !strstr((const char *)resp.body.data, "/record/") &&
			    !strstr((const char *)resp.body.data, "<option value=\"longhu/"))
				bench_die("%s: '%s' found nothing", pg->name, gq);
			silver_buf_release(&resp.body);
		}
		med = bench_quantile(lat, nruns, 0.5);
		p90 = bench_quantile(lat, nruns, 0.9);
		printf("%-22s on %zu records, %zu runs: median %8.3f ms, p90 %8.3f ms (%zu bytes)\n",
		       pg->name, n, nruns, med, p90, bytes);
		snprintf(name, sizeof(name), "web.%s.median_ms", pg->name);
		/* every page has the 50 ms target, the searches too */
		bench_result(name, med, "ms", -1, 50);
		snprintf(name, sizeof(name), "web.%s.p90_ms", pg->name);
		bench_result(name, p90, "ms", 0, 0);
	}
	silver_web_destroy(&w);
	silver_users_close(&u);
	silver_store_close(&s);
	free(ids);
	free(lat);
	return 0;
}

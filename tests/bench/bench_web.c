/*
 * bench_web.c - the workbench's pages on a large store (docs/WEB.md,
 * "Performance").
 *
 * The store of bench_show (1,000,000 retirees; 10,000 at the small scale;
 * the same cache, show-N) is opened as `silvernode web` opens it, and the
 * pages are rendered by silver_web_handle in this process, as the server
 * does for each request (the HTTP layer, libmicrohttpd, adds a copy of the
 * body).  For each page: median and p90 over the runs.  Target: a page in
 * <= 50 ms on the 1,000,000-record store.  The full-text search of a list
 * (?q=) reads every record of the collection and is reported without a
 * target.
 *
 * Sizes: 20 runs per page on 10,000 records; SILVER_BENCH_SCALE=full: 200
 * runs on 1,000,000 records.
 */
#include <stdlib.h>
#include <string.h>

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
	int slow;	     /* reads every record today: 5 runs, not 200 */
};

int main(void)
{
	size_t n = bench_size(10000, 1000000), runs = bench_size(20, 200);
	const char *base = getenv("SILVER_BENCH_DIR"), *tmp = getenv("TMPDIR");
	char dir[2048], node[4096], token[65], csrf[65];
	char *ids;
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
		{ "search_all", "/records/retiree", "q", "no-such-name", 0, 1 },
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
	bench_check(silver_store_open(node, 0, &s), "silver_store_open", NULL);
	bench_check(silver_users_open(node, &u), "silver_users_open", NULL);
	bench_check(silver_web_new(s, u, &w), "silver_web_new", NULL);
	bench_check(silver_users_add(u, "bench", SILVER_USER_OFFICER, "bench-password", 1),
		    "silver_users_add", NULL);
	bench_check(silver_web_session_for(w, "bench", SILVER_USER_OFFICER, 1000, token, csrf), "session",
		    NULL);

	for (size_t k = 0; k < sizeof(pages) / sizeof(pages[0]); k++) {
		const struct pageb *pg = &pages[k];
		size_t bytes = 0, nruns = pg->slow ? (runs < 5 ? runs : 5) : runs;
		double med, p90;
		char name[128];
		for (size_t i = 0; i < nruns; i++) {
			char path[SILVER_MAX_ID + 64];
			silver_web_kv q;
			silver_web_req req;
			silver_web_resp resp;
			const char *id = ids + rnd(n) * SILVER_MAX_ID;
			double t0;
			memset(&req, 0, sizeof(req));
			snprintf(path, sizeof(path), "%s%s", pg->path, pg->per_id ? id : "");
			q.key = (char *)pg->qk;
			q.val = (char *)(pg->qv ? pg->qv : id);
			req.method = "GET";
			req.path = path;
			req.query = pg->qk ? &q : NULL;
			req.nquery = pg->qk ? 1 : 0;
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
			silver_buf_release(&resp.body);
		}
		med = bench_quantile(lat, nruns, 0.5);
		p90 = bench_quantile(lat, nruns, 0.9);
		printf("%-22s on %zu records, %zu runs: median %8.3f ms, p90 %8.3f ms (%zu bytes)\n",
		       pg->name, n, nruns, med, p90, bytes);
		snprintf(name, sizeof(name), "web.%s.median_ms", pg->name);
		/* every page has the 50 ms target, the free-text search too: it
		 * reads every record (no index yet) and misses it at full size */
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

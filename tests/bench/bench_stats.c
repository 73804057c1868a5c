/*
 * bench_stats.c - `silver-stats` end to end at a county hub holding
 * 1,000,000 records (20,000 at the small scale).  Target: <= 50 ms.
 *
 * The hub's store is built once with the library and cached (in
 * $SILVER_BENCH_DIR/stats-N when that is set, else in
 * $TMPDIR/silver-bench-cache/stats-N; reused when its "complete" marker is
 * there): 15 township nodes each write their share (retirees 10%, visits
 * 30%, deliveries 15%, community services 20%, aid 10%, activities 6%,
 * lectures 4%, mediation cases 3%, ceremonies 2%, and a few branches, teams
 * and clubs), dated over three years, in transactions of 20,000; the hub
 * ingests every node's entries.  Then the program runs as a child process:
 * the whole county for all dates, one year, and one township, in the table
 * and JSON formats: median and p90 of each.  It also prints the number of
 * statistics cells, which is what the program's time depends on.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"

#define NTOWNSHIPS 15
#define BATCH 20000

static const char *const townships[NTOWNSHIPS] = {"xinjianlu", "xinhualu", "xinyan",  "longhu",    "mengzhuang",
						  "guodian",   "xuedian",  "hezhuang", "xincun",   "xindian",
						  "guanyinsi", "lihe",     "chengguan", "baqian",  "longwang"};

static uint64_t rng = 0x2545f4914f6cdd1dull;
static size_t rnd(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (size_t)(rng % n);
}

/* ---- one township node's share ------------------------------------------------------ */

struct gen {
	size_t from, to;   /* record numbers of this transaction */
	char (*ret)[SILVER_MAX_ID]; /* the node's retirees so far */
	size_t nret, capret;
	char groups[8][SILVER_MAX_ID];
	size_t ngroups;
	silver_why why;
};

static void date_of(size_t k, char out[11])
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2023 + (int)(k / 365), d = (int)(k % 365), m = 0;
	while (d >= mdays[m]) {
		d -= mdays[m];
		m++;
	}
	char buf[40];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m + 1, d + 1);
	memcpy(out, buf, 10);
	out[10] = 0;
}

static int gen_write(silver_wtxn *t, void *vctx)
{
	struct gen *g = vctx;
	static const char *const vt[] = {"birthday", "illness", "letter_call", "festival", "emergency"};
	static const char *const dt[] = {"materials", "warmth", "care", "aid", "skills"};
	static const char *const ak[] = {"performance", "youth_event", "science_trip", "leaflets", "opera", "new_piece", "other"};
	static const char *const lk[] = {"lecture", "report", "six_into"};
	size_t nret0 = g->nret, ngroups0 = g->ngroups;
	int rv = 0;

	for (size_t i = g->from; i < g->to && rv == 0; i++) {
		silver_kv kv[6];
		uint32_t n = 0;
		char id[SILVER_MAX_ID], date[11], num[24], amount[24], name[32];
		const char *coll;
		size_t r = rnd(100);
		date_of(rnd(3 * 365), date);
		if (g->nret == 0 || r < 10) {
			coll = "retiree";
			snprintf(name, sizeof(name), "老干部%zu", i);
			kv[n++] = (silver_kv){"name", name};
			kv[n++] = (silver_kv){"category", rnd(40) == 0 ? "honorary" : "retired"};
			kv[n++] = (silver_kv){"birth_date", "1940-05-01"};
			if (rnd(3) == 0)
				kv[n++] = (silver_kv){"checkup_date", date};
		} else if (g->ngroups < 2 || (r < 11 && g->ngroups < 8)) {
			coll = g->ngroups % 3 ? "club" : "team";
			snprintf(name, sizeof(name), "队伍%zu", g->ngroups);
			kv[n++] = (silver_kv){"name", name};
		} else if (r < 12) {
			coll = "branch";
			kv[n++] = (silver_kv){"name", "支部"};
			kv[n++] = (silver_kv){"model_level", rnd(3) ? "none" : "county"};
		} else if (r < 42 || r < 57) {
			coll = r < 42 ? "visit" : "delivery";
			kv[n++] = (silver_kv){"retiree", g->ret[rnd(g->nret)]};
			kv[n++] = (silver_kv){"date", date};
			kv[n++] = (silver_kv){"type", r < 42 ? vt[rnd(5)] : dt[rnd(5)]};
		} else if (r < 77) {
			coll = "service";
			kv[n++] = (silver_kv){"retiree", g->ret[rnd(g->nret)]};
			kv[n++] = (silver_kv){"date", date};
		} else if (r < 87) {
			coll = "aid";
			snprintf(amount, sizeof(amount), "%zu.%02zu", 100 + rnd(3000), rnd(100));
			kv[n++] = (silver_kv){"retiree", g->ret[rnd(g->nret)]};
			kv[n++] = (silver_kv){"date", date};
			kv[n++] = (silver_kv){"amount", amount};
			kv[n++] = (silver_kv){"reason", "low_income"};
		} else if (r < 93) {
			coll = "activity";
			snprintf(num, sizeof(num), "%zu", rnd(500));
			kv[n++] = (silver_kv){"date", date};
			kv[n++] = (silver_kv){"kind", ak[rnd(7)]};
			kv[n++] = (silver_kv){"group", g->groups[rnd(g->ngroups)]};
			kv[n++] = (silver_kv){"audience", num};
		} else if (r < 97) {
			coll = "lecture";
			snprintf(num, sizeof(num), "%zu", rnd(300));
			kv[n++] = (silver_kv){"date", date};
			kv[n++] = (silver_kv){"kind", lk[rnd(3)]};
			kv[n++] = (silver_kv){"attendance", num};
		} else if (r < 100 && rnd(3)) {
			coll = "case";
			kv[n++] = (silver_kv){"received_date", date};
			kv[n++] = (silver_kv){"stage", "pre_litigation"};
			kv[n++] = (silver_kv){"status", rnd(7) ? "settled" : "open"};
		} else {
			coll = "ceremony";
			kv[n++] = (silver_kv){"person", "荣退干部"};
			kv[n++] = (silver_kv){"date", date};
		}
		if ((rv = silver_wtxn_add(t, coll, kv, n, id, &g->why)) != 0)
			break;
		if (strcmp(coll, "retiree") == 0) {
			if (g->nret == g->capret) {
				size_t cap = g->capret ? 2 * g->capret : 1024;
				void *p = realloc(g->ret, cap * SILVER_MAX_ID);
				if (!p)
					return SILVER_ENOMEM;
				g->ret = p;
				g->capret = cap;
			}
			memcpy(g->ret[g->nret++], id, SILVER_MAX_ID);
		} else if (strcmp(coll, "team") == 0 || strcmp(coll, "club") == 0) {
			memcpy(g->groups[g->ngroups++], id, SILVER_MAX_ID);
		}
	}
	if (rv != 0) { /* a rerun (the map grew) starts from the same state */
		g->nret = nret0;
		g->ngroups = ngroups0;
	}
	return rv;
}

/* ---- shipping a node's entries to the hub ------------------------------------------------- */

struct batch {
	silver_slice *v;
	size_t n, cap;
};

static int collect(const uint8_t *p, size_t n, void *ctx)
{
	struct batch *b = ctx;
	uint8_t *copy;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		silver_slice *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return SILVER_ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	if (!(copy = malloc(n)))
		return SILVER_ENOMEM;
	memcpy(copy, p, n);
	b->v[b->n].p = copy;
	b->v[b->n].n = (uint32_t)n;
	b->n++;
	return 0;
}

static void build(const char *dir, size_t n)
{
	char hubdir[4096], nodedir[4096], mark[4096];
	silver_store *hub, *s;
	double t0 = bench_now();
	FILE *f;

	snprintf(hubdir, sizeof(hubdir), "%s/hub", dir);
	snprintf(mark, sizeof(mark), "%s/complete", dir);
	bench_rmrf(dir);
	bench_mkdir_p(dir);
	printf("building a hub of %zu records from %d townships in %s (once) ...\n", n, NTOWNSHIPS, dir);
	fflush(stdout);
	hub = bench_node(hubdir, "county");
	for (int t = 0; t < NTOWNSHIPS; t++) {
		size_t from = n * (size_t)t / NTOWNSHIPS, to = n * (size_t)(t + 1) / NTOWNSHIPS;
		struct gen g;
		struct batch b;
		silver_ingest_report rep;
		silver_why why;
		memset(&g, 0, sizeof(g));
		memset(&b, 0, sizeof(b));
		snprintf(nodedir, sizeof(nodedir), "%s/%s", dir, townships[t]);
		s = bench_node(nodedir, townships[t]);
		for (size_t i = from; i < to; i += BATCH) {
			g.from = i;
			g.to = i + BATCH < to ? i + BATCH : to;
			bench_check(silver_store_write(s, gen_write, &g), "write", &g.why);
		}
		bench_check(silver_store_export(s, NULL, 0, NULL, NULL, collect, &b), "export", NULL);
		memset(&why, 0, sizeof(why));
		bench_check(silver_store_ingest(hub, b.v, b.n, &rep, &why), "ingest at the hub", &why);
		if (rep.applied != b.n)
			bench_die("%s: %llu of %zu entries applied at the hub", townships[t],
				  (unsigned long long)rep.applied, b.n);
		for (size_t i = 0; i < b.n; i++)
			free((void *)b.v[i].p);
		free(b.v);
		free(g.ret);
		silver_store_close(&s);
		bench_rmrf(nodedir);
		printf("  %s: %zu records (%.0f s so far)\n", townships[t], to - from, bench_now() - t0);
		fflush(stdout);
	}
	silver_store_close(&hub);
	if (!(f = fopen(mark, "w")) || fclose(f) != 0)
		bench_die("cannot write %s", mark);
	printf("built in %.1f s\n", bench_now() - t0);
}

static int count_cell(const char *m, const char *t, const char *d, const char *x, int64_t c, int64_t s, void *ctx)
{
	(void)m, (void)t, (void)d, (void)x, (void)c, (void)s;
	(*(size_t *)ctx)++;
	return 0;
}

static void measure(const char *what, char *const argv[], size_t runs, int target)
{
	double *lat = malloc(runs * sizeof(double)), med, p90;
	char name[128];
	if (!lat)
		bench_die("out of memory");
	for (size_t i = 0; i < runs; i++)
		lat[i] = bench_run_must(argv) * 1e3;
	med = bench_quantile(lat, runs, 0.5);
	p90 = bench_quantile(lat, runs, 0.9);
	printf("silver-stats %s, %zu runs: median %.2f ms, p90 %.2f ms\n", what, runs, med, p90);
	snprintf(name, sizeof(name), "stats.%s.median_ms", what);
	bench_result(name, med, "ms", target ? -1 : 0, target ? 50 : 0);
	free(lat);
}

int main(void)
{
	size_t n = bench_size(20000, 1000000), runs = bench_size(10, 30), ncells = 0;
	const char *base = getenv("SILVER_BENCH_DIR"), *tmp = getenv("TMPDIR");
	char dir[2048], hub[4096], mark[4096], prog[4096], sn[4096];
	silver_store *s;
	double t0;

	bench_banner("bench_stats");
	snprintf(sn, sizeof(sn), "%s", bench_silvernode());
	snprintf(prog, sizeof(prog), "%s/silver-stats", dirname(sn));
	if (access(prog, X_OK) != 0)
		bench_die("no %s", prog);
	if (base && *base)
		snprintf(dir, sizeof(dir), "%s/stats-%zu", base, n);
	else
		snprintf(dir, sizeof(dir), "%s/silver-bench-cache/stats-%zu", tmp && *tmp ? tmp : "/tmp", n);
	snprintf(hub, sizeof(hub), "%s/hub", dir);
	snprintf(mark, sizeof(mark), "%s/complete", dir);
	if (access(mark, F_OK) != 0 || silver_store_open(hub, SILVER_OPEN_RDONLY, &s) != 0)
		build(dir, n);
	else
		silver_store_close(&s);

	bench_check(silver_store_open(hub, SILVER_OPEN_RDONLY, &s), "open the hub", NULL);
	t0 = bench_now();
	bench_check(silver_store_aggregates(s, NULL, NULL, NULL, count_cell, &ncells), "aggregates", NULL);
	printf("hub: %zu records, %zu statistics cells (one pass over them in the library: %.2f ms)\n", n, ncells,
	       (bench_now() - t0) * 1e3);
	silver_store_close(&s);
	bench_result("stats.cells", (double)ncells, "cells", 0, 0);

	{
		char *argv[] = {prog, "--dir", hub, "--format", "json", NULL};
		measure("county_json", argv, runs, 1);
	}
	{
		char *argv[] = {prog, "--dir", hub, NULL};
		measure("county_table", argv, runs, 1);
	}
	{
		char *argv[] = {prog, "--dir", hub, "--from", "2024-01-01", "--to", "2024-12-31", NULL};
		measure("county_one_year", argv, runs, 1);
	}
	{
		char *argv[] = {prog, "--dir", hub, "--township", "longhu", NULL};
		measure("one_township", argv, runs, 0);
	}
	{
		char *argv[] = {prog, "--version", NULL};
		measure("version_floor", argv, runs, 0);
	}
	return 0;
}

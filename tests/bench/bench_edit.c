/*
 * bench_edit.c - one durable edit.
 *
 * 1. Inside the library: silver_store_write with one silver_wtxn_set (load
 *    the record, encode one entry, hash, sign its seal, update the record
 *    state, one LMDB commit with fsync), on an open store: median and p90
 *    (target: median <= 1 ms).
 * 2. `silvernode set ID notes=...` as a child process, end to end (fork,
 *    exec, open the store, the edit, close, exit, wait): median and p90
 *    (target: median <= 10 ms).
 * The store holds a few thousand retirees so that the tree is not trivial.
 *
 * Sizes: 100 library edits and 20 runs; SILVER_BENCH_SCALE=full: 1,000 and 200.
 */
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

struct set_ctx {
	const char *id;
	char text[64];
	silver_why why;
};

static int do_set(silver_wtxn *t, void *vctx)
{
	struct set_ctx *c = vctx;
	silver_kv kv = { "notes", c->text };
	return silver_wtxn_set(t, c->id, &kv, 1, &c->why);
}

int main(void)
{
	size_t nlib = bench_size(100, 1000), nproc = bench_size(20, 200), nrec = 5000;
	char *root = bench_tmpdir("edit");
	char dir[4096];
	char *ids = malloc(nrec * SILVER_MAX_ID);
	double *lat = malloc((nlib > nproc ? nlib : nproc) * sizeof(double));
	const char *prog = bench_silvernode();
	silver_store *s;
	struct set_ctx c;
	double t0, med, p90;

	if (!ids || !lat)
		bench_die("out of memory");
	bench_banner("bench_edit");
	snprintf(dir, sizeof(dir), "%s/node", root);
	s = bench_node(dir, "longhu");
	bench_add_retirees(s, 0, nrec, ids);

	/* 1. the library */
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < nlib; i++) {
		c.id = ids + (i * 7919 % nrec) * SILVER_MAX_ID;
		snprintf(c.text, sizeof(c.text), "走访记录 %zu", i);
		t0 = bench_now();
		bench_check(silver_store_write(s, do_set, &c), "silver_store_write (set)", &c.why);
		lat[i] = (bench_now() - t0) * 1e3;
	}
	silver_store_close(&s);
	med = bench_quantile(lat, nlib, 0.5);
	p90 = bench_quantile(lat, nlib, 0.9);
	printf("library edit (silver_store_write + one silver_wtxn_set, fsync), %zu edits: median %.3f ms, p90 %.3f ms, "
	       "max %.3f ms\n",
	       nlib, med, p90, bench_quantile(lat, nlib, 1.0));
	bench_result("edit.library.median_ms", med, "ms", -1, 1);
	bench_result("edit.library.p90_ms", p90, "ms", 0, 0);

	/* 2. the program */
	for (size_t i = 0; i < nproc; i++) {
		char kv[64];
		char *argv[] = { (char *)prog, "--dir", dir, "set", ids + (i * 131 % nrec) * SILVER_MAX_ID,
				 kv,	       NULL };
		snprintf(kv, sizeof(kv), "phone=1380000%04zu", i);
		lat[i] = bench_run_must(argv) * 1e3;
	}
	med = bench_quantile(lat, nproc, 0.5);
	p90 = bench_quantile(lat, nproc, 0.9);
	printf("silvernode set, end to end, %zu runs: median %.3f ms, p90 %.3f ms\n", nproc, med, p90);
	bench_result("edit.process.median_ms", med, "ms", -1, 10);
	bench_result("edit.process.p90_ms", p90, "ms", 0, 0);

	bench_cleanup(root);
	free(root);
	free(ids);
	free(lat);
	return 0;
}

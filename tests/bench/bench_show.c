/*
 * bench_show.c - `silvernode show ID` on a large store, end to end.
 *
 * The store (1,000,000 retirees; 10,000 at the small scale) is built once
 * with the library in transactions of 100,000 records and cached: in
 * $SILVER_BENCH_DIR/show-N when that is set, else in
 * $TMPDIR/silver-bench-cache/show-N; a cache is reused only when its
 * "complete" marker is there and the store opens (delete the directory to
 * rebuild, e.g. after a change of the store's layout).  Then
 * `silvernode show ID` runs as a child process for random ids: median and
 * p90 (target: median <= 5 ms).  For comparison it also prints the floor
 * of a process start (`silvernode --version`) and silver_store_get on an
 * open store.
 *
 * Sizes: 20 runs on 10,000 records; SILVER_BENCH_SCALE=full: 200 runs on
 * 1,000,000 records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static size_t rnd(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (size_t)(rng % n);
}

int main(void)
{
	size_t n = bench_size(10000, 1000000), runs = bench_size(20, 200), nget = bench_size(1000, 10000);
	const char *prog = bench_silvernode();
	const char *base = getenv("SILVER_BENCH_DIR"), *tmp = getenv("TMPDIR");
	char dir[2048], node[4096];
	char *ids;
	double *lat = malloc((nget > runs ? nget : runs) * sizeof(double));
	double med, p90;
	silver_store *s;
	silver_arena *a;

	if (!lat)
		bench_die("out of memory");
	bench_banner("bench_show");
	if (base && *base)
		snprintf(dir, sizeof(dir), "%s/show-%zu", base, n);
	else
		snprintf(dir, sizeof(dir), "%s/silver-bench-cache/show-%zu", tmp && *tmp ? tmp : "/tmp", n);
	ids = bench_cached_retirees(dir, n);
	snprintf(node, sizeof(node), "%s/node", dir);
	{
		char data[4200];
		struct stat st;
		snprintf(data, sizeof(data), "%s/data.mdb", node);
		if (stat(data, &st) != 0)
			bench_die("no %s", data);
		printf("store: %zu records, data.mdb %.0f MiB on disk, %.0f bytes per record\n", n,
		       (double)st.st_blocks * 512 / 1048576, (double)st.st_blocks * 512 / (double)n);
		bench_result("show.store.bytes_per_record", (double)st.st_blocks * 512 / (double)n, "B", 0,
			     0);
	}

	/* the floor: a process that starts and exits */
	for (size_t i = 0; i < runs; i++) {
		char *argv[] = { (char *)prog, "--version", NULL };
		lat[i] = bench_run_must(argv) * 1e3;
	}
	med = bench_quantile(lat, runs, 0.5);
	printf("silvernode --version (process start floor), %zu runs: median %.3f ms\n", runs, med);
	bench_result("show.floor_version.median_ms", med, "ms", 0, 0);

	/* silvernode show ID */
	for (size_t i = 0; i < runs; i++) {
		char *argv[] = { (char *)prog, "--dir", node, "show", ids + rnd(n) * SILVER_MAX_ID, NULL };
		lat[i] = bench_run_must(argv) * 1e3;
	}
	med = bench_quantile(lat, runs, 0.5);
	p90 = bench_quantile(lat, runs, 0.9);
	printf("silvernode show ID on %zu records, end to end, %zu runs: median %.3f ms, p90 %.3f ms\n", n,
	       runs, med, p90);
	bench_result("show.process.median_ms", med, "ms", -1, 5);
	bench_result("show.process.p90_ms", p90, "ms", 0, 0);

	/* silver_store_get on an open store */
	bench_check(silver_store_open(node, SILVER_OPEN_RDONLY, &s), "silver_store_open", NULL);
	if (!(a = silver_arena_new()))
		bench_die("out of memory");
	for (size_t i = 0; i < nget; i++) {
		silver_record r;
		const char *id = ids + rnd(n) * SILVER_MAX_ID;
		double t0 = bench_now();
		bench_check(silver_store_get(s, id, a, &r), id, NULL);
		lat[i] = (bench_now() - t0) * 1e6;
		if (r.nfields < 5)
			bench_die("%s: only %u fields", id, r.nfields);
		silver_arena_reset(a);
	}
	silver_arena_destroy(&a);
	silver_store_close(&s);
	med = bench_quantile(lat, nget, 0.5);
	printf("silver_store_get on an open store, %zu random ids: median %.1f us, p90 %.1f us\n", nget, med,
	       bench_quantile(lat, nget, 0.9));
	bench_result("show.library_get.median_us", med, "us", 0, 0);

	free(ids);
	free(lat);
	return 0;
}

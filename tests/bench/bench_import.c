/*
 * bench_import.c - CSV import of retirees through the real path.
 *
 * 1. `silvernode import retiree FILE.csv` as a child process on a fresh node
 *    (parse, validate, sign, one durable LMDB commit): records/s, end to end.
 * 2. The library path alone: one silver_store_write calling silver_wtxn_add
 *    per row (no CSV parsing, no process start).
 * Both are compared with the one-core Ed25519 sign rate measured in this
 * run: an import seals every SILVER_SEAL_EVERY entries, so it should run
 * well above the rate at which one core can sign (target: >= 100,000
 * records/s and >= 2x the sign rate).
 *
 * 3. The library path again on a store whose LMDB map was made large first
 *    (through store_int.h): the cost of the import itself, without the
 *    restarts silver_store_write makes when the map fills.
 * Sizes: 2,000 rows; SILVER_BENCH_SCALE=full: 100,000 rows.
 */
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "store_int.h"

int main(void)
{
	size_t n = bench_size(2000, 100000);
	char *root = bench_tmpdir("import");
	char csv[4096], d1[4096], d2[4096], d3[4096];
	const char *prog = bench_silvernode();
	bench_crypto cr, cr_end;
	silver_store *s;
	silver_digest dg;
	double t0, tproc, tlib, tpre;

	bench_banner("bench_import");
	bench_crypto_measure(&cr, bench_full() ? 1.0 : 0.2);
	bench_crypto_print(&cr, "at the start");

	snprintf(csv, sizeof(csv), "%s/retirees.csv", root);
	snprintf(d1, sizeof(d1), "%s/proc-node", root);
	snprintf(d2, sizeof(d2), "%s/lib-node", root);
	bench_retiree_csv(csv, n);

	/* 1. the program */
	{
		char *init[] = { (char *)prog, "--dir", d1, "init", "--township", "longhu", NULL };
		char *imp[] = { (char *)prog, "--dir", d1, "import", "retiree", csv, NULL };
		bench_run_must(init);
		tproc = bench_run_must(imp);
	}
	bench_check(silver_store_open(d1, SILVER_OPEN_RDONLY, &s), "silver_store_open", NULL);
	bench_check(silver_store_digest(s, &dg), "silver_store_digest", NULL);
	silver_store_close(&s);
	if (dg.records != n || dg.entries != n)
		bench_die("silvernode import: %llu records, %llu entries after importing %zu rows",
			  (unsigned long long)dg.records, (unsigned long long)dg.entries, n);
	printf("silvernode import of %zu rows: %.3f s (process start, CSV parse, validate, sign, commit)\n",
	       n, tproc);

	/* 2. the library */
	s = bench_node(d2, "longhu");
	t0 = bench_now();
	bench_add_retirees(s, 0, n, NULL);
	tlib = bench_now() - t0;
	bench_check(silver_store_digest(s, &dg), "silver_store_digest", NULL);
	silver_store_close(&s);
	if (dg.records != n)
		bench_die("library import: %llu records after adding %zu", (unsigned long long)dg.records, n);
	printf("library import of %zu rows (silver_store_write + silver_wtxn_add per row): %.3f s, "
	       "write function run %u time(s)\n",
	       n, tlib, bench_add_attempts);

	/* 3. the library with the map made large enough first (through the
	 * store's internals): what the import costs when the map never fills
	 * mid-transaction, i.e. without silver_store_write starting over. */
	snprintf(d3, sizeof(d3), "%s/lib-node-presized", root);
	s = bench_node(d3, "longhu");
	if (mdb_env_set_mapsize(s->env, (size_t)4 << 30) != 0)
		bench_die("mdb_env_set_mapsize failed");
	s->mapsize = (size_t)4 << 30;
	t0 = bench_now();
	bench_add_retirees(s, 0, n, NULL);
	tpre = bench_now() - t0;
	silver_store_close(&s);
	printf("library import of %zu rows, map pre-sized to 4 GiB: %.3f s, write function run %u time(s)\n",
	       n, tpre, bench_add_attempts);

	bench_crypto_measure(&cr_end, bench_full() ? 1.0 : 0.2);
	bench_crypto_combine(&cr, &cr_end);
	bench_result("import.process.records_per_s", (double)n / tproc, "rec/s", 1, 100000);
	bench_result("import.process.x_sign1", (double)n / tproc / cr.sign1, "x", 1, 2);
	bench_result("import.library.records_per_s", (double)n / tlib, "rec/s", 1, 100000);
	bench_result("import.library.x_sign1", (double)n / tlib / cr.sign1, "x", 1, 2);
	bench_result("import.library_presized.records_per_s", (double)n / tpre, "rec/s", 1, 100000);
	bench_result("import.library_presized.x_sign1", (double)n / tpre / cr.sign1, "x", 1, 2);

	bench_cleanup(root);
	free(root);
	return 0;
}

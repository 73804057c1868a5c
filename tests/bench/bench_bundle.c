/*
 * bench_bundle.c - importing a bundle with full verification.
 *
 * (a) the entries of one CSV-sized import (one transaction: a seal every
 *     SILVER_SEAL_EVERY entries), and
 * (b) the entries of as many separate edits (one seal each: the worst case
 *     for verification),
 * each written by a source node into a bundle with silver_bundle_write, then
 * imported into a fresh node: silver_bundle_open + silver_store_ingest in
 * this process (timed), and `silvernode import-bundle FILE` as a child
 * process into another fresh node; and once more in this process into a
 * node whose LMDB map was made large first (store_int.h), which shows the
 * cost of silver_store_write starting over when the map fills.  Entries/s is compared with the Ed25519
 * verify rate on two threads measured in this run (targets: (a) >= 2x,
 * (b) >= 0.7x).
 *
 * Sizes: (a) 2,000 and (b) 500 entries; SILVER_BENCH_SCALE=full: 100,000
 * and 20,000.
 */
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "store_int.h"

static size_t count_seals(const silver_bundle *b)
{
	silver_arena *a = silver_arena_new();
	size_t seals = 0;
	if (!a)
		bench_die("out of memory");
	for (size_t i = 0; i < b->n; i++) {
		silver_entry e;
		bench_check(silver_entry_decode(b->entries[i].p, b->entries[i].n, a, &e),
			    "silver_entry_decode", NULL);
		seals += e.sealed != 0;
		silver_arena_reset(a);
	}
	silver_arena_destroy(&a);
	return seals;
}

/* silver_bundle_open + silver_store_ingest into a fresh node in dir; with
 * presize, the node's LMDB map is made large first (store internals), so
 * that the ingest never restarts because the map filled.  Returns seconds. */
static double ingest_once(const char *label, const char *dir, const char *file, size_t n, int presize,
			  size_t *seals)
{
	silver_bundle *b;
	silver_store *s;
	silver_ingest_report rep;
	silver_why why;
	double t0, topen, tingest;

	s = bench_node(dir, "xinyan");
	if (presize) {
		if (mdb_env_set_mapsize(s->env, (size_t)4 << 30) != 0)
			bench_die("mdb_env_set_mapsize failed");
		s->mapsize = (size_t)4 << 30;
	}
	memset(&why, 0, sizeof(why));
	t0 = bench_now();
	bench_check(silver_bundle_open(file, &b, &why), "silver_bundle_open", &why);
	topen = bench_now() - t0;
	t0 = bench_now();
	bench_check(silver_store_ingest(s, b->entries, b->n, &rep, &why), "silver_store_ingest", &why);
	tingest = bench_now() - t0;
	silver_store_close(&s);
	if (b->n != n || rep.stored != n || rep.applied != n)
		bench_die("%s: bundle of %zu entries, %llu stored, %llu applied (expected %zu)", label, b->n,
			  (unsigned long long)rep.stored, (unsigned long long)rep.applied, n);
	if (seals)
		*seals = count_seals(b);
	silver_bundle_close(&b);
	printf("(%s) %s: silver_bundle_open %.3f s, silver_store_ingest %.3f s\n", label,
	       presize ? "library, map pre-sized to 4 GiB" : "library", topen, tingest);
	return topen + tingest;
}

struct times {
	double lib, pre, proc; /* seconds: library, library with a pre-sized map, the program */
};

static void run_case(const char *label, const char *root, const char *file, size_t n, struct times *tm)
{
	char d1[4096], d2[4096], d3[4096];
	const char *prog = bench_silvernode();
	size_t seals;

	snprintf(d1, sizeof(d1), "%s/%s-lib", root, label);
	snprintf(d2, sizeof(d2), "%s/%s-proc", root, label);
	snprintf(d3, sizeof(d3), "%s/%s-presized", root, label);
	tm->lib = ingest_once(label, d1, file, n, 0, &seals);
	printf("(%s) %zu entries, %zu seals\n", label, n, seals);
	tm->pre = ingest_once(label, d3, file, n, 1, NULL);
	{
		char *init[] = { (char *)prog, "--dir", d2, "init", "--township", "xinyan", NULL };
		char *imp[] = { (char *)prog, "--dir", d2, "import-bundle", (char *)file, NULL };
		bench_run_must(init);
		tm->proc = bench_run_must(imp);
	}
	printf("(%s) silvernode import-bundle, end to end: %.3f s\n", label, tm->proc);
}

static void report(const char *label, size_t n, const struct times *tm, double target, const bench_crypto *cr)
{
	char key[128];
	snprintf(key, sizeof(key), "bundle.%s.library.entries_per_s", label);
	bench_result(key, (double)n / tm->lib, "ent/s", 0, 0);
	snprintf(key, sizeof(key), "bundle.%s.library.x_verify2", label);
	bench_result(key, (double)n / tm->lib / cr->verify2, "x", 1, target);
	snprintf(key, sizeof(key), "bundle.%s.library_presized.x_verify2", label);
	bench_result(key, (double)n / tm->pre / cr->verify2, "x", 1, target);
	snprintf(key, sizeof(key), "bundle.%s.process.entries_per_s", label);
	bench_result(key, (double)n / tm->proc, "ent/s", 0, 0);
	snprintf(key, sizeof(key), "bundle.%s.process.x_verify2", label);
	bench_result(key, (double)n / tm->proc / cr->verify2, "x", 1, target);
}

int main(void)
{
	size_t na = bench_size(2000, 100000), nb = bench_size(500, 20000);
	char *root = bench_tmpdir("bundle");
	char src[4096], fa[4096], fb[4096];
	silver_store *s;
	uint64_t count;
	bench_crypto cr, cr_end;
	struct bench_edit ec;
	struct times ta, tb;
	double t0;

	bench_banner("bench_bundle");
	bench_crypto_measure(&cr, bench_full() ? 1.0 : 0.2);
	bench_crypto_print(&cr, "at the start");

	/* (a) one import */
	snprintf(src, sizeof(src), "%s/src-a", root);
	snprintf(fa, sizeof(fa), "%s/import.bundle", root);
	s = bench_node(src, "longhu");
	bench_add_retirees(s, 0, na, NULL);
	bench_check(silver_bundle_write(s, fa, NULL, 0, NULL, NULL, &count), "silver_bundle_write", NULL);
	silver_store_close(&s);
	if (count != na)
		bench_die("(a) bundle holds %llu entries, expected %zu", (unsigned long long)count, na);

	/* (b) separate edits.  Building the source is not what is measured, so
	 * its commits skip fsync (MDB_NOSYNC through the store's internals). */
	snprintf(src, sizeof(src), "%s/src-b", root);
	snprintf(fb, sizeof(fb), "%s/edits.bundle", root);
	s = bench_node(src, "longhu");
	if (mdb_env_set_flags(s->env, MDB_NOSYNC, 1) != 0)
		bench_die("mdb_env_set_flags failed");
	memset(&ec, 0, sizeof(ec));
	ec.nadd = nb / 10;
	if (!(ec.ids = malloc(ec.nadd * SILVER_MAX_ID)))
		bench_die("out of memory");
	t0 = bench_now();
	for (ec.i = 0; ec.i < nb; ec.i++)
		bench_check(silver_store_write(s, bench_edit_one, &ec), "silver_store_write (edit)", &ec.why);
	printf("(b) source: %zu separate write transactions (no fsync) in %.2f s\n", nb, bench_now() - t0);
	bench_check(silver_bundle_write(s, fb, NULL, 0, NULL, NULL, &count), "silver_bundle_write", NULL);
	silver_store_close(&s);
	free(ec.ids);
	if (count != nb)
		bench_die("(b) bundle holds %llu entries, expected %zu", (unsigned long long)count, nb);

	run_case("a", root, fa, na, &ta);
	run_case("b", root, fb, nb, &tb);

	bench_crypto_measure(&cr_end, bench_full() ? 1.0 : 0.2);
	bench_crypto_combine(&cr, &cr_end);
	report("a", na, &ta, 2.0, &cr);
	report("b", nb, &tb, 0.7, &cr);

	bench_cleanup(root);
	free(root);
	return 0;
}

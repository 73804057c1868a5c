/*
 * bench_common.h - what the benchmarks in tests/bench/ share: clocks,
 * sample statistics, the crypto limits measured in the same run, child
 * processes, scratch directories and generated retiree rows.
 *
 * The benchmarks print figures; they never pass or fail on time.  They exit
 * non-zero only when something actually breaks (a refused write, a child
 * that fails), through bench_die().
 */
#ifndef SILVER_BENCH_COMMON_H
#define SILVER_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "silver_store.h"

/* SILVER_BENCH_SCALE=full selects the real sizes; anything else (or unset)
 * the small ones a CTest run can afford. */
int bench_full(void);
/* small or full, as bench_full() says */
size_t bench_size(size_t small, size_t full);

double bench_now(void); /* seconds, CLOCK_MONOTONIC */

void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* bench_die() unless rv == 0, naming what and the store's reason */
void bench_check(int rv, const char *what, const silver_why *why);

/* Print one figure as a line tests/bench/run.sh collects into its table:
 * "RESULT<TAB>name<TAB>value<TAB>unit<TAB>target<TAB>verdict", where verdict
 * is "met", "missed" or "-" (no target; cmp 0).  cmp > 0: value must be >=
 * target; cmp < 0: value must be <= target.  Information only. */
void bench_result(const char *name, double value, const char *unit, int cmp, double target);

/* Sort a copy of v[0..n) and return the p-quantile (0 <= p <= 1, nearest rank). */
double bench_quantile(const double *v, size_t n, double p);

/* The crypto limits of this machine, measured with libsodium in this run:
 * Ed25519 sign and verify of a seal-sized message ("silvseal" || hash),
 * one core, and verify on 2 threads and on every online core. */
typedef struct bench_crypto {
	double sign1;	/* signatures/s on one core */
	double verify1; /* verifications/s on one core */
	double verify2; /* on two threads */
	double verifyn; /* on ncores threads */
	long ncores;
} bench_crypto;
void bench_crypto_measure(bench_crypto *c, double seconds);
void bench_crypto_print(const bench_crypto *c, const char *when);
/* The two-thread verify rate alone, measured now for seconds: for a ratio
 * taken against the rate of the minute it was measured in. */
double bench_verify2_now(double seconds);
/* A benchmark measures the limits at its start and again at its end; this
 * prints the end figures, warns when the two differ by more than 15% (other
 * load on the machine: the ratios are then unreliable), and leaves the mean
 * in start, for the ratios. */
void bench_crypto_combine(bench_crypto *start, const bench_crypto *end);

/* One line: the benchmark, scale, cores and load average, to read figures by. */
void bench_banner(const char *name);

/* A fresh scratch directory under $TMPDIR (or /tmp); bench_rmrf removes a
 * tree; bench_cleanup too, unless SILVER_BENCH_KEEP is set (not "0"): then
 * it says where the tree is, for a profiler. */
char *bench_tmpdir(const char *what); /* malloc'd */
void bench_rmrf(const char *path);
void bench_cleanup(const char *path);

/* The silvernode program: $SILVER_BIN/silvernode, else ../bin/silvernode
 * beside this executable's directory (the build tree's layout). */
const char *bench_silvernode(void);

/* Run argv (NULL-terminated) as a child with stdout and stderr sent to
 * /dev/null (or to errfile when not NULL) and wait for it; returns its exit
 * status (or -1).  bench_run_must() dies (showing the child's messages)
 * when the status is not 0, and returns the seconds from fork to wait. */
int bench_run(char *const argv[], const char *errfile);
double bench_run_must(char *const argv[]);

/* Make a node in dir (township) and open it read-write. */
silver_store *bench_node(const char *dir, const char *township);

/* Retiree row i, deterministic: the fields the CSV header names. */
#define BENCH_RETIREE_FIELDS 10
extern const char *const bench_retiree_header[BENCH_RETIREE_FIELDS];
/* Fills cells[BENCH_RETIREE_FIELDS] with pointers into buf (at least 512 bytes). */
void bench_retiree_row(size_t i, char *buf, size_t nbuf, const char *cells[BENCH_RETIREE_FIELDS]);
/* Write a CSV file of n retirees (header line first). */
void bench_retiree_csv(const char *path, size_t n);

/* Add rows [from, to) as retirees in one silver_store_write; ids (may be
 * NULL) gets each new id, SILVER_MAX_ID bytes apart, indexed from 0 = from. */
void bench_add_retirees(silver_store *s, size_t from, size_t to, char *ids);
/* How many times the last bench_add_retirees ran its write function: more
 * than 1 when the LMDB map filled and silver_store_write started over. */
extern unsigned bench_add_attempts;

/* Separate edits, one silver_store_write each (bench_edit_one as its
 * write function): edit i < nadd adds retiree row i (its id into
 * ids + i * SILVER_MAX_ID), a later one changes a field of one of them. */
struct bench_edit {
	size_t i, nadd;
	char *ids;
	silver_why why;
};
int bench_edit_one(silver_wtxn *t, void *ctx);

/* mkdir -p, or die. */
void bench_mkdir_p(const char *path);

/* A store of n generated retirees in dir/node, built once (transactions of
 * 100,000) and reused while dir/complete is there and it opens; their ids
 * in dir/ids.  Returns the ids (SILVER_MAX_ID bytes each; caller frees).
 * bench_show and bench_web share the cache (show-N). */
char *bench_cached_retirees(const char *dir, size_t n);

#endif

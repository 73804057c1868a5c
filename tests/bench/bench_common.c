/*
 * bench_common.c - see bench_common.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include <sodium.h>

#include "bench_common.h"

int bench_full(void)
{
	const char *v = getenv("SILVER_BENCH_SCALE");
	return v && strcmp(v, "full") == 0;
}

size_t bench_size(size_t small, size_t full)
{
	return bench_full() ? full : small;
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_check(int rv, const char *what, const silver_why *why)
{
	if (rv == 0)
		return;
	if (why)
		bench_die("%s: %s (field '%s', row %ld: %s; %s)", what, silver_strerror(rv), why->field,
			  why->row, why->reason, why->detail);
	bench_die("%s: %s", what, silver_strerror(rv));
}

void bench_result(const char *name, double value, const char *unit, int cmp, double target)
{
	/* The verdict carries the margin: how many times the target the figure
	 * is on the good side (above 1: met with room; below 1: missed). */
	char verdict[64] = "-";
	char t[64] = "-";
	if (cmp > 0) {
		snprintf(verdict, sizeof(verdict), "%s, margin %.2fx", value >= target ? "met" : "missed",
			 target > 0 ? value / target : 0.0);
		snprintf(t, sizeof(t), ">= %g", target);
	} else if (cmp < 0) {
		snprintf(verdict, sizeof(verdict), "%s, margin %.2fx", value <= target ? "met" : "missed",
			 value > 0 ? target / value : 0.0);
		snprintf(t, sizeof(t), "<= %g", target);
	}
	if (value >= 100 || value <= -100)
		printf("RESULT\t%s\t%.0f\t%s\t%s\t%s\n", name, value, unit, t, verdict);
	else
		printf("RESULT\t%s\t%.3g\t%s\t%s\t%s\n", name, value, unit, t, verdict);
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_quantile(const double *v, size_t n, double p)
{
	double *c, r;
	size_t k;
	if (n == 0)
		return 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		bench_die("out of memory");
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	k = (size_t)(p * (double)n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	if (k >= n)
		k = n - 1;
	r = c[k];
	free(c);
	return r;
}

/* ---- crypto limits ---------------------------------------------------------- */

struct vjob {
	const uint8_t *msg;
	const uint8_t *pk;
	const uint8_t *sig;
	double seconds;
	uint64_t done;
};

static void *verify_loop(void *vp)
{
	struct vjob *j = vp;
	double t0 = bench_now(), stop = t0 + j->seconds;
	uint64_t n = 0;
	do {
		for (int i = 0; i < 64; i++)
			if (crypto_sign_verify_detached(j->sig, j->msg, 40, j->pk) != 0)
				bench_die("Ed25519 verify failed");
		n += 64;
	} while (bench_now() < stop);
	j->done = n;
	j->seconds = bench_now() - t0;
	return NULL;
}

static double verify_threads(const uint8_t *msg, const uint8_t *pk, const uint8_t *sig, long threads,
			     double seconds)
{
	pthread_t th[64];
	struct vjob jobs[64];
	double rate = 0;
	if (threads > 64)
		threads = 64;
	for (long t = 0; t < threads; t++) {
		jobs[t] = (struct vjob){ msg, pk, sig, seconds, 0 };
		if (pthread_create(&th[t], NULL, verify_loop, &jobs[t]) != 0)
			bench_die("pthread_create failed");
	}
	for (long t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		rate += (double)jobs[t].done / jobs[t].seconds;
	}
	return rate;
}

void bench_crypto_measure(bench_crypto *c, double seconds)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	uint8_t msg[40] = "silvseal";
	uint64_t n = 0;
	double t0, t;

	if (sodium_init() < 0)
		bench_die("sodium_init failed");
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg + 8, 32);
	t0 = bench_now();
	do {
		for (int i = 0; i < 64; i++) {
			msg[8 + (i & 31)]++;
			crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
		}
		n += 64;
	} while ((t = bench_now()) < t0 + seconds);
	c->sign1 = (double)n / (t - t0);
	c->ncores = sysconf(_SC_NPROCESSORS_ONLN);
	if (c->ncores < 1)
		c->ncores = 1;
	c->verify1 = verify_threads(msg, pk, sig, 1, seconds);
	c->verify2 = verify_threads(msg, pk, sig, 2, seconds);
	c->verifyn = c->ncores == 2 ? c->verify2 : verify_threads(msg, pk, sig, c->ncores, seconds);
}

double bench_verify2_now(double seconds)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	uint8_t msg[40] = "silvseal";

	if (sodium_init() < 0)
		bench_die("sodium_init failed");
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg + 8, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	return verify_threads(msg, pk, sig, 2, seconds);
}

void bench_crypto_print(const bench_crypto *c, const char *when)
{
	printf("crypto limit %s (libsodium %s): Ed25519 sign %.0f/s (1 core), verify %.0f/s (1 core), "
	       "%.0f/s (2 threads), %.0f/s (%ld cores)\n",
	       when, sodium_version_string(), c->sign1, c->verify1, c->verify2, c->verifyn, c->ncores);
}

void bench_crypto_combine(bench_crypto *start, const bench_crypto *end)
{
	double ds = end->sign1 / start->sign1, dv = end->verify2 / start->verify2;
	bench_crypto_print(end, "at the end");
	if (ds < 0.85 || ds > 1.0 / 0.85 || dv < 0.85 || dv > 1.0 / 0.85)
		printf("WARNING: the crypto limits changed by more than 15%% during the run (other load on the "
		       "machine?): figures and ratios are unreliable; rerun on a quiet machine\n");
	start->sign1 = (start->sign1 + end->sign1) / 2;
	start->verify1 = (start->verify1 + end->verify1) / 2;
	start->verify2 = (start->verify2 + end->verify2) / 2;
	start->verifyn = (start->verifyn + end->verifyn) / 2;
	printf("ratios below use the mean: sign %.0f/s (1 core), verify %.0f/s (2 threads)\n", start->sign1,
	       start->verify2);
}

void bench_banner(const char *name)
{
	double load[3] = { 0, 0, 0 };
	time_t now = time(NULL);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime(&now));
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("%s: %s, scale %s, %ld cores, load average %.2f %.2f %.2f\n", name, date,
	       bench_full() ? "full" : "small (SILVER_BENCH_SCALE=full for the real sizes)",
	       sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	fflush(stdout);
}

/* ---- files and processes ------------------------------------------------------ */

char *bench_tmpdir(const char *what)
{
	const char *base = getenv("TMPDIR");
	char *p;
	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&p, "%s/silver-bench-%s.XXXXXX", base, what) < 0)
		bench_die("out of memory");
	if (!mkdtemp(p))
		bench_die("mkdtemp %s: %s", p, strerror(errno));
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

void bench_cleanup(const char *path)
{
	const char *keep = getenv("SILVER_BENCH_KEEP");
	if (keep && *keep && strcmp(keep, "0") != 0) {
		printf("kept %s (SILVER_BENCH_KEEP)\n", path);
		return;
	}
	bench_rmrf(path);
}

void bench_rmrf(const char *path)
{
	if (path && nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		fprintf(stderr, "bench: could not remove %s: %s\n", path, strerror(errno));
}

const char *bench_silvernode(void)
{
	static char path[PATH_MAX];
	const char *bin = getenv("SILVER_BIN");
	if (path[0])
		return path;
	if (bin && *bin) {
		snprintf(path, sizeof(path), "%s/silvernode", bin);
	} else {
		char self[PATH_MAX - 32];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;
		if (n <= 0)
			bench_die("cannot find silvernode: set SILVER_BIN");
		self[n] = 0;
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = 0;
		snprintf(path, sizeof(path), "%s/../bin/silvernode", self);
	}
	if (access(path, X_OK) != 0)
		bench_die("no silvernode program at %s (build it, or set SILVER_BIN)", path);
	return path;
}

/* posix_spawn (clone with CLONE_VFORK in glibc) rather than fork: the cost
 * of starting the child does not grow with this process's memory (bench_show
 * holds a million ids), so the figure is the program's own. */
int bench_run(char *const argv[], const char *errfile)
{
	posix_spawn_file_actions_t fa;
	int status, rv;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, errfile ? errfile : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rv = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rv != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double bench_run_must(char *const argv[])
{
	const char *base = getenv("TMPDIR");
	char errfile[PATH_MAX];
	int fd, rv;
	double t0, t;
	snprintf(errfile, sizeof(errfile), "%s/silver-bench-child.XXXXXX", base && *base ? base : "/tmp");
	if ((fd = mkstemp(errfile)) < 0)
		bench_die("mkstemp: %s", strerror(errno));
	close(fd);
	t0 = bench_now();
	rv = bench_run(argv, errfile);
	t = bench_now() - t0;
	if (rv != 0) {
		char line[512];
		FILE *f = fopen(errfile, "r");
		fprintf(stderr, "bench: '%s %s' exited %d:\n", argv[0], argv[1] ? argv[1] : "", rv);
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stderr);
		if (f)
			fclose(f);
		unlink(errfile);
		exit(1);
	}
	unlink(errfile);
	return t;
}

silver_store *bench_node(const char *dir, const char *township)
{
	silver_store *s;
	bench_check(silver_store_create(dir, township, "bench"), "silver_store_create", NULL);
	bench_check(silver_store_open(dir, 0, &s), "silver_store_open", NULL);
	return s;
}

/* ---- retirees ------------------------------------------------------------------ */

const char *const bench_retiree_header[BENCH_RETIREE_FIELDS] = {
	"name", "category", "gender", "birth_date", "id_number",
	"unit", "address",  "phone",  "hardship",   "notes",
};

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
					"徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗" };
static const char *const given[] = { "建国", "秀英", "志强", "桂兰", "国华", "玉珍", "德明", "淑芬",
				     "文华", "凤英", "长林", "美兰", "振华", "素珍", "永福", "丽华" };
static const char *const units[] = { "新郑市教育局", "新郑市人民医院",	 "龙湖镇政府",	 "孟庄镇政府",
				     "新郑市财政局", "新建路街道办事处", "新郑市供销社", "郭店镇政府" };
static const char *const hardship[] = { "",	      "",     "", "illness", "old_age", "illness,old_age",
					"low_income", "other" };

void bench_retiree_row(size_t i, char *buf, size_t nbuf, const char *cells[BENCH_RETIREE_FIELDS])
{
	size_t k = i * 2654435761u;
	int n;
	char *p = buf, *end = buf + nbuf;

#define CELL(idx, ...)                                                    \
	do {                                                              \
		cells[idx] = p;                                           \
		n = snprintf(p, (size_t)(end - p), __VA_ARGS__);          \
		if (n < 0 || n >= end - p)                                \
			bench_die("bench_retiree_row: buffer too small"); \
		p += n + 1;                                               \
	} while (0)

	CELL(0, "%s%s%zu", surnames[i % 20], given[(i / 20) % 16], i);
	CELL(1, "%s", i % 37 == 0 ? "honorary" : "retired");
	CELL(2, "%s", (k >> 3) & 1 ? "m" : "f");
	CELL(3, "19%02zu-%02zu-%02zu", 25 + (k >> 5) % 40, 1 + (k >> 11) % 12, 1 + (k >> 15) % 28);
	CELL(4, "4101841%011zu", i);
	CELL(5, "%s", units[(k >> 7) % 8]);
	CELL(6, "河南省新郑市%s%zu号", units[(k >> 9) % 8], 1 + i % 300);
	CELL(7, "1390371%04zu", i % 10000);
	CELL(8, "%s", hardship[(k >> 13) % 8]);
	CELL(9, "%s", i % 5 == 0 ? "一人一档，一人一策" : "");
#undef CELL
}

void bench_retiree_csv(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	char buf[1024];
	const char *cells[BENCH_RETIREE_FIELDS];
	if (!f)
		bench_die("cannot write %s: %s", path, strerror(errno));
	for (int j = 0; j < BENCH_RETIREE_FIELDS; j++)
		fprintf(f, "%s%s", j ? "," : "", bench_retiree_header[j]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		bench_retiree_row(i, buf, sizeof(buf), cells);
		for (int j = 0; j < BENCH_RETIREE_FIELDS; j++)
			fprintf(f, strchr(cells[j], ',') ? "%s\"%s\"" : "%s%s", j ? "," : "", cells[j]);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		bench_die("cannot write %s: %s", path, strerror(errno));
}

struct add_ctx {
	size_t from, to;
	char *ids;
	silver_why why;
};

unsigned bench_add_attempts;

static int add_rows(silver_wtxn *t, void *vctx)
{
	struct add_ctx *c = vctx;
	char buf[1024], id[SILVER_MAX_ID];
	const char *cells[BENCH_RETIREE_FIELDS];
	silver_kv kv[BENCH_RETIREE_FIELDS];
	int rv;
	bench_add_attempts++;
	for (size_t i = c->from; i < c->to; i++) {
		uint32_t n = 0;
		bench_retiree_row(i, buf, sizeof(buf), cells);
		for (int j = 0; j < BENCH_RETIREE_FIELDS; j++) {
			if (!cells[j][0])
				continue;
			kv[n].key = bench_retiree_header[j];
			kv[n].text = cells[j];
			n++;
		}
		if ((rv = silver_wtxn_add(t, "retiree", kv, n, id, &c->why)) != 0) {
			c->why.row = (long)i;
			return rv;
		}
		if (c->ids)
			memcpy(c->ids + (i - c->from) * SILVER_MAX_ID, id, SILVER_MAX_ID);
	}
	return 0;
}

void bench_add_retirees(silver_store *s, size_t from, size_t to, char *ids)
{
	struct add_ctx c;
	memset(&c, 0, sizeof(c));
	c.from = from;
	c.to = to;
	c.ids = ids;
	bench_add_attempts = 0;
	bench_check(silver_store_write(s, add_rows, &c), "silver_store_write (add retirees)", &c.why);
}

int bench_edit_one(silver_wtxn *t, void *vctx)
{
	struct bench_edit *c = vctx;
	char text[64];
	silver_kv kv;
	if (c->i < c->nadd) {
		char buf[1024];
		const char *cells[BENCH_RETIREE_FIELDS];
		silver_kv all[BENCH_RETIREE_FIELDS];
		uint32_t n = 0;
		bench_retiree_row(c->i, buf, sizeof(buf), cells);
		for (int j = 0; j < BENCH_RETIREE_FIELDS; j++)
			if (cells[j][0])
				all[n++] = (silver_kv){bench_retiree_header[j], cells[j]};
		return silver_wtxn_add(t, "retiree", all, n, c->ids + c->i * SILVER_MAX_ID, &c->why);
	}
	snprintf(text, sizeof(text), "回访 %zu", c->i);
	kv = (silver_kv){"notes", text};
	return silver_wtxn_set(t, c->ids + (c->i * 7919 % c->nadd) * SILVER_MAX_ID, &kv, 1, &c->why);
}

void bench_mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			bench_die("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		bench_die("mkdir %s: %s", tmp, strerror(errno));
}

#define BENCH_CACHE_BATCH 100000

/* The cached store in dir/node with its ids in dir/ids (SILVER_MAX_ID bytes each). */
char *bench_cached_retirees(const char *dir, size_t n)
{
	char node[4096], idpath[4096], mark[4096];
	char *ids = malloc(n * SILVER_MAX_ID);
	silver_store *s;
	FILE *f;
	double t0;

	if (!ids)
		bench_die("out of memory");
	snprintf(node, sizeof(node), "%s/node", dir);
	snprintf(idpath, sizeof(idpath), "%s/ids", dir);
	snprintf(mark, sizeof(mark), "%s/complete", dir);
	if (access(mark, F_OK) == 0 && (f = fopen(idpath, "rb")) != NULL) {
		size_t got = fread(ids, SILVER_MAX_ID, n, f);
		fclose(f);
		/* A store the library cannot open (written by an older
		 * silversync during development) is rebuilt. */
		if (got == n && silver_store_open(node, SILVER_OPEN_RDONLY, &s) == 0) {
			silver_store_close(&s);
			printf("reusing the store of %zu records in %s\n", n, dir);
			return ids;
		}
		printf("the cached store in %s does not open: rebuilding it\n", dir);
	}
	bench_rmrf(dir);
	bench_mkdir_p(dir);
	printf("building a store of %zu records in %s (once) ...\n", n, dir);
	fflush(stdout);
	t0 = bench_now();
	s = bench_node(node, "longhu");
	for (size_t i = 0; i < n; i += BENCH_CACHE_BATCH)
		bench_add_retirees(s, i, i + BENCH_CACHE_BATCH < n ? i + BENCH_CACHE_BATCH : n, ids + i * SILVER_MAX_ID);
	silver_store_close(&s);
	printf("built in %.1f s (%.0f records/s, transactions of %d)\n", bench_now() - t0,
	       (double)n / (bench_now() - t0), BENCH_CACHE_BATCH);
	if (!(f = fopen(idpath, "wb")) || fwrite(ids, SILVER_MAX_ID, n, f) != n || fclose(f) != 0)
		bench_die("cannot write %s", idpath);
	if (!(f = fopen(mark, "w")) || fclose(f) != 0)
		bench_die("cannot write %s", mark);
	return ids;
}

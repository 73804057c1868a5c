/*
 * bench_audit.c - how fast silver-audit verifies a bundle, against the
 * two-core Ed25519 verify rate of this machine measured in the same run,
 * and how much memory it holds (docs/AUDIT.md, "Speed and memory").
 *
 * Three bundles are written straight with the proto library (a county
 * admin's certificate for one office, then the office's entries):
 *   bulk      entries from bulk imports: one seal per SILVER_SEAL_EVERY
 *   bulk/2    the same at half the size: the peak memory of the two must be
 *             about the same (the audit streams the file)
 *   edits     entries from separate edits: one seal each
 * Each audit runs in a child process (audit_run, as silver-audit does),
 * so that its peak resident set (wait4's rusage) is its own.
 *
 * Sizes: small by default (CTest); SILVER_BENCH_SCALE=full gives the
 * issue's 1,000,000 bulk entries and 100,000 edits.  Targets are printed,
 * never enforced: bulk >= 2x the verify rate, edits >= 0.8x.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"

#define T0_MS 1717200000000ull

static uint8_t admin_pk[32], admin_sk[64], office_pk[32], office_sk[64];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the two-core verify rate ------------------------------------------------------ */

struct vjob {
	uint8_t hash[32], sig[64];
	long n;
};

static void *verify_loop(void *arg)
{
	struct vjob *j = arg;
	for (long i = 0; i < j->n; i++)
		if (silver_seal_verify(j->hash, office_pk, j->sig) != 0)
			abort();
	return NULL;
}

static double verify_rate(long per_thread)
{
	struct vjob j[2];
	pthread_t th;
	double t;
	for (int k = 0; k < 2; k++) {
		randombytes_buf(j[k].hash, 32);
		silver_seal_sign(j[k].hash, office_sk, j[k].sig);
		j[k].n = per_thread;
	}
	t = now_s();
	if (pthread_create(&th, NULL, verify_loop, &j[1]) != 0)
		abort();
	verify_loop(&j[0]);
	pthread_join(th, NULL);
	return 2.0 * (double)per_thread / (now_s() - t);
}

/* ---- writing a bundle ------------------------------------------------------------------ */

struct writer {
	FILE *f;
	silver_buf body, out;
	uint64_t seq;
	uint8_t prev[32];
};

static void put(struct writer *w, silver_entry *e, const uint8_t *sk, int seal)
{
	uint8_t sig[64];
	w->body.len = 0;
	w->out.len = 0;
	e->seq = ++w->seq;
	memcpy(e->prev, w->prev, 32);
	if (silver_entry_encode_body(e, &w->body) != 0)
		abort();
	if (seal)
		silver_seal_sign(e->hash, sk, sig);
	if (silver_entry_wrap(w->body.data, w->body.len, seal ? sig : NULL, &w->out) != 0)
		abort();
	memcpy(w->prev, e->hash, 32);
	if (fwrite(w->out.data, 1, w->out.len, w->f) != w->out.len)
		abort();
}

static void write_bundle(const char *path, uint64_t n, uint64_t seal_every)
{
	struct writer w;
	silver_bundle_header h = {SILVER_FORMAT_VERSION, SILVER_SUITE_ED25519_BLAKE2B, (T0_MS + 86400000) << 16, n + 1};
	silver_entry e;
	silver_cert c;
	silver_slice tw = {(const uint8_t *)"xinan", 5};
	silver_buf op;
	silver_write wr[4];
	char id[SILVER_MAX_ID], name[32];

	memset(&w, 0, sizeof(w));
	silver_buf_init(&w.body);
	silver_buf_init(&w.out);
	silver_buf_init(&op);
	if (!(w.f = fopen(path, "wb")) || silver_bundle_header_encode(&h, &op) != 0)
		abort();
	fwrite(op.data, 1, op.len, w.f);
	op.len = 0;
	/* the admin's certificate */
	memset(&c, 0, sizeof(c));
	memcpy(c.key, office_pk, 32);
	c.name.p = (const uint8_t *)"Xinan office";
	c.name.n = 12;
	c.role = SILVER_ROLE_BRANCH;
	c.write = c.read = &tw;
	c.nwrite = c.nread = 1;
	if (silver_cert_encode(&c, &op) != 0)
		abort();
	memset(&e, 0, sizeof(e));
	e.version = SILVER_FORMAT_VERSION;
	e.suite = SILVER_SUITE_ED25519_BLAKE2B;
	memcpy(e.author, admin_pk, 32);
	e.township.p = (const uint8_t *)"county";
	e.township.n = 6;
	e.hlc = T0_MS << 16;
	e.op.type = SILVER_OP_CERT;
	e.op.raw.p = op.data;
	e.op.raw.n = (uint32_t)op.len;
	put(&w, &e, admin_sk, 1);
	/* the office's feed */
	w.seq = 0;
	memset(w.prev, 0, 32);
	memset(&e, 0, sizeof(e));
	e.version = SILVER_FORMAT_VERSION;
	e.suite = SILVER_SUITE_ED25519_BLAKE2B;
	memcpy(e.author, office_pk, 32);
	e.township = tw;
	e.op.type = SILVER_OP_CHANGE;
	e.op.collection.p = (const uint8_t *)"retiree";
	e.op.collection.n = 7;
	e.op.writes = wr;
	e.op.nwrites = 4;
	memset(wr, 0, sizeof(wr));
	wr[0].field = (silver_slice){(const uint8_t *)"_del", 4};
	wr[0].value.type = SILVER_V_BOOL;
	wr[1].field = (silver_slice){(const uint8_t *)"birth_date", 10};
	wr[1].value.type = SILVER_V_STR;
	wr[1].value.s = (silver_slice){(const uint8_t *)"1950-01-02", 10};
	wr[2].field = (silver_slice){(const uint8_t *)"category", 8};
	wr[2].value.type = SILVER_V_STR;
	wr[2].value.s = (silver_slice){(const uint8_t *)"retired", 7};
	wr[3].field = (silver_slice){(const uint8_t *)"name", 4};
	wr[3].value.type = SILVER_V_STR;
	for (uint64_t i = 0; i < n; i++) {
		e.hlc = (T0_MS + 1000 + i) << 16;
		if (silver_schema_make_id("xinan", "retiree", e.hlc, office_pk, id) != 0)
			abort();
		e.op.record = (silver_slice){(const uint8_t *)id, (uint32_t)strlen(id)};
		snprintf(name, sizeof(name), "Retiree %llu", (unsigned long long)i);
		wr[3].value.s = (silver_slice){(const uint8_t *)name, (uint32_t)strlen(name)};
		put(&w, &e, office_sk, (i + 1) % seal_every == 0 || i + 1 == n);
	}
	fclose(w.f);
	silver_buf_release(&w.body);
	silver_buf_release(&w.out);
	silver_buf_release(&op);
}

/* ---- one audit in a child ----------------------------------------------------------------- */

struct result {
	double secs;
	uint64_t entries, seals, findings;
	long maxrss_kb;
};

static int audit_child(const char *path, struct result *r)
{
	int fd[2];
	pid_t pid;
	struct rusage ru;
	int status;

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		audit_opts o;
		audit_report rep;
		silver_why why;
		struct result cr;
		double t;
		memset(&o, 0, sizeof(o));
		memcpy(o.admin, admin_pk, 32);
		o.bundle = path;
		o.threads = 2;
		t = now_s();
		if (audit_run(&o, &rep, &why) != 0)
			_exit(2);
		cr.secs = now_s() - t;
		cr.entries = rep.entries;
		cr.seals = rep.seals;
		cr.findings = rep.nfindings;
		for (size_t i = 0; i < rep.nfindings && i < 5; i++)
			fprintf(stderr, "  finding: %s %s\n", rep.findings[i].kind, rep.findings[i].message);
		audit_report_release(&rep);
		if (write(fd[1], &cr, sizeof(cr)) != (ssize_t)sizeof(cr))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], r, sizeof(*r)) != (ssize_t)sizeof(*r))
		memset(r, 0, sizeof(*r));
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	r->maxrss_kb = ru.ru_maxrss;
	return 0;
}

struct run {
	const char *name;
	const char *path;
	uint64_t n, every;
	double target;
	struct result r;
};

int main(void)
{
	const char *scale = getenv("SILVER_BENCH_SCALE");
	int full = scale && strcmp(scale, "full") == 0;
	uint64_t nbulk = full ? 1000000 : 50000, nedit = full ? 100000 : 5000;
	const char *tmp = getenv("TMPDIR");
	char dir[512], pbulk[600], phalf[600], pedit[600];
	struct run runs[3];
	double rate;
	int bad = 0;

	if (silver_crypto_init() != 0)
		return 1;
	crypto_sign_keypair(admin_pk, admin_sk);
	crypto_sign_keypair(office_pk, office_sk);
	snprintf(dir, sizeof(dir), "%s/silver-bench-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(pbulk, sizeof(pbulk), "%s/bulk.bundle", dir);
	snprintf(phalf, sizeof(phalf), "%s/half.bundle", dir);
	snprintf(pedit, sizeof(pedit), "%s/edits.bundle", dir);
	runs[0] = (struct run){"bulk/2", phalf, nbulk / 2, SILVER_SEAL_EVERY, 2.0, {0, 0, 0, 0, 0}};
	runs[1] = (struct run){"bulk", pbulk, nbulk, SILVER_SEAL_EVERY, 2.0, {0, 0, 0, 0, 0}};
	runs[2] = (struct run){"edits", pedit, nedit, 1, 0.8, {0, 0, 0, 0, 0}};

	rate = verify_rate(full ? 100000 : 10000);
	printf("bench_audit (%s): two-core Ed25519 verify rate %.0f/s\n", full ? "full" : "small", rate);
	for (int i = 0; i < 3; i++) {
		double t = now_s();
		write_bundle(runs[i].path, runs[i].n, runs[i].every);
		printf("  wrote %-6s %8llu entries in %.1f s\n", runs[i].name, (unsigned long long)runs[i].n,
		       now_s() - t);
	}
	printf("  %-7s %9s %7s %8s %11s %7s %7s %9s\n", "bundle", "entries", "seals", "seconds", "entries/s", "ratio",
	       "target", "peak RSS");
	for (int i = 0; i < 3; i++) {
		struct result *r = &runs[i].r;
		double eps;
		if (audit_child(runs[i].path, r) != 0 || r->findings != 0) {
			printf("  %-7s audit failed (%llu findings)\n", runs[i].name, (unsigned long long)r->findings);
			bad = 1;
			continue;
		}
		eps = (double)r->entries / r->secs;
		printf("  %-7s %9llu %7llu %8.2f %11.0f %6.2fx %6.1fx %6.1f MB\n", runs[i].name,
		       (unsigned long long)r->entries, (unsigned long long)r->seals, r->secs, eps, eps / rate,
		       runs[i].target, (double)r->maxrss_kb / 1024);
	}
	printf("  memory: bulk/2 %ld kB, bulk %ld kB peak resident (%+ld kB for twice the entries).  The bundle\n"
	       "  is read through one 1 MiB buffer and the audit keeps per feed a fixed summary, so the peak\n"
	       "  does not follow the file's size\n",
	       runs[0].r.maxrss_kb, runs[1].r.maxrss_kb, runs[1].r.maxrss_kb - runs[0].r.maxrss_kb);
	for (int i = 0; i < 3; i++)
		unlink(runs[i].path);
	rmdir(dir);
	return bad;
}

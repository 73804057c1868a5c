/*
 * testutil.c - see testutil.h.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"

/* ---- determinism --------------------------------------------------------- */

static uint64_t det_state;

uint64_t tu_rand(tu_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t tu_below(tu_rng *r, uint32_t n)
{
	return (uint32_t)(tu_rand(r) % n);
}

static const char *det_name(void)
{
	return "silver-test-splitmix64";
}

static uint32_t det_random(void)
{
	tu_rng r = {det_state};
	uint32_t v = (uint32_t)tu_rand(&r);
	det_state = r.s;
	return v;
}

static void det_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	tu_rng r = {det_state};
	for (size_t i = 0; i < size; i += 8) {
		uint64_t v = tu_rand(&r);
		size_t k = size - i < 8 ? size - i : 8;
		memcpy(p + i, &v, k);
	}
	det_state = r.s;
}

static randombytes_implementation det_impl = {
	.implementation_name = det_name,
	.random = det_random,
	.buf = det_buf,
};

void tu_deterministic_random(uint64_t seed)
{
	det_state = seed;
	randombytes_set_implementation(&det_impl);
}

void tu_reseed(uint64_t seed)
{
	det_state = seed;
}

void tu_set_time(uint64_t ms)
{
	char buf[32];
	if (ms == 0) {
		unsetenv("SILVER_FAKE_TIME_MS");
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ms);
	setenv("SILVER_FAKE_TIME_MS", buf, 1);
}

/* ---- directories ------------------------------------------------------------- */

static char root[4096];
static unsigned serial;
static int registered;

static int root_make(void)
{
	const char *t = getenv("TMPDIR");
	if (root[0])
		return 0;
	snprintf(root, sizeof(root), "%s/silver-test-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(root)) {
		root[0] = 0;
		return SILVER_EIO;
	}
	if (!registered) {
		atexit(tu_cleanup);
		registered = 1;
	}
	return 0;
}

const char *tu_path(const char *name)
{
	static char path[4096 + 128];
	if (root_make() != 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%u-%s", root, serial++, name ? name : "x");
	return path;
}

const char *tu_mkdir(const char *name)
{
	const char *p = tu_path(name);
	if (p && mkdir(p, 0700) != 0)
		return NULL;
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_cleanup(void)
{
	if (!root[0])
		return;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = 0;
}

int tu_node(const char *township, const char *name, silver_store **out)
{
	char dir[4096 + 128];
	const char *p = tu_path(name);
	int rv;
	*out = NULL;
	if (!p)
		return SILVER_EIO;
	snprintf(dir, sizeof(dir), "%s", p);
	if ((rv = silver_store_create(dir, township, name)) != 0)
		return rv;
	return silver_store_open(dir, 0, out);
}

/* ---- writing ----------------------------------------------------------------- */

struct wctx {
	int op; /* 0 add, 1 set, 2 delete, 3 resolve */
	const char *collection, *id, *field, *text;
	const silver_kv *kv;
	uint32_t n, take;
	char *id_out;
	silver_why *why;
};

static int wfn(silver_wtxn *t, void *vctx)
{
	struct wctx *c = vctx;
	switch (c->op) {
	case 0:
		return silver_wtxn_add(t, c->collection, c->kv, c->n, c->id_out, c->why);
	case 1:
		return silver_wtxn_set(t, c->id, c->kv, c->n, c->why);
	case 2:
		return silver_wtxn_delete(t, c->id, c->why);
	default:
		return silver_wtxn_resolve(t, c->id, c->field, c->text, c->take, c->why);
	}
}

int tu_add(silver_store *s, const char *collection, const silver_kv *kv, uint32_t n, char id[SILVER_MAX_ID],
	   silver_why *why)
{
	struct wctx c = {.op = 0, .collection = collection, .kv = kv, .n = n, .id_out = id, .why = why};
	return silver_store_write(s, wfn, &c);
}

int tu_set(silver_store *s, const char *id, const silver_kv *kv, uint32_t n, silver_why *why)
{
	struct wctx c = {.op = 1, .id = id, .kv = kv, .n = n, .why = why};
	return silver_store_write(s, wfn, &c);
}

int tu_set1(silver_store *s, const char *id, const char *key, const char *text)
{
	silver_kv kv = {key, text};
	return tu_set(s, id, &kv, 1, NULL);
}

int tu_delete(silver_store *s, const char *id, silver_why *why)
{
	struct wctx c = {.op = 2, .id = id, .why = why};
	return silver_store_write(s, wfn, &c);
}

int tu_resolve(silver_store *s, const char *id, const char *field, const char *text, uint32_t take,
	       silver_why *why)
{
	struct wctx c = {.op = 3, .id = id, .field = field, .text = text, .take = take, .why = why};
	return silver_store_write(s, wfn, &c);
}

int tu_retiree(silver_store *s, const char *name, char id[SILVER_MAX_ID])
{
	silver_kv kv[] = {{"name", name}, {"category", "retired"}, {"birth_date", "1950-03-04"}};
	return tu_add(s, "retiree", kv, 3, id, NULL);
}

/* ---- batches ------------------------------------------------------------------- */

void tu_batch_init(tu_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void tu_batch_free(tu_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free((void *)b->v[i].p);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

int tu_batch_push(tu_batch *b, const uint8_t *p, size_t n)
{
	uint8_t *copy;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		silver_slice *nv = realloc(b->v, cap * sizeof(*nv));
		if (!nv)
			return SILVER_ENOMEM;
		b->v = nv;
		b->cap = cap;
	}
	copy = malloc(n ? n : 1);
	if (!copy)
		return SILVER_ENOMEM;
	memcpy(copy, p, n);
	b->v[b->n].p = copy;
	b->v[b->n].n = (uint32_t)n;
	b->n++;
	return 0;
}

int tu_batch_append(tu_batch *b, const tu_batch *from, size_t i, size_t j)
{
	int rv;
	for (; i < j && i < from->n; i++)
		if ((rv = tu_batch_push(b, from->v[i].p, from->v[i].n)) != 0)
			return rv;
	return 0;
}

static int push_fn(const uint8_t *p, size_t n, void *ctx)
{
	return tu_batch_push(ctx, p, n);
}

int tu_export(silver_store *s, const silver_have *have, size_t nhave, silver_feedfilter_fn filter, void *fctx,
	      tu_batch *b)
{
	return silver_store_export(s, have, nhave, filter, fctx, push_fn, b);
}

static int author_filter(const silver_feedinfo *f, void *ctx)
{
	return memcmp(f->author, ctx, SILVER_KEY_BYTES) == 0;
}

int tu_export_author(silver_store *s, const uint8_t author[SILVER_KEY_BYTES], tu_batch *b)
{
	return tu_export(s, NULL, 0, author_filter, (void *)author, b);
}

struct havectx {
	silver_have *v;
	size_t n, cap;
};

static int have_fn(const silver_feedinfo *f, void *vctx)
{
	struct havectx *h = vctx;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		silver_have *nv = realloc(h->v, cap * sizeof(*nv));
		if (!nv)
			return SILVER_ENOMEM;
		h->v = nv;
		h->cap = cap;
	}
	memcpy(h->v[h->n].tag, f->tag, SILVER_FEEDTAG_BYTES);
	h->v[h->n].seq = f->seq;
	h->n++;
	return 0;
}

int tu_have(silver_store *s, silver_have **out, size_t *n)
{
	struct havectx h = {NULL, 0, 0};
	int rv = silver_store_feeds(s, have_fn, &h);
	if (rv != 0) {
		free(h.v);
		return rv;
	}
	*out = h.v;
	*n = h.n;
	return 0;
}

int tu_ingest(silver_store *s, const tu_batch *b, silver_ingest_report *rep, silver_why *why)
{
	return silver_store_ingest(s, b->v, b->n, rep, why);
}

int tu_sync(silver_store *from, silver_store *to, silver_ingest_report *rep, silver_why *why)
{
	silver_have *have = NULL;
	size_t nhave = 0;
	tu_batch b;
	int rv;

	tu_batch_init(&b);
	if ((rv = tu_have(to, &have, &nhave)) == 0 && (rv = tu_export(from, have, nhave, NULL, NULL, &b)) == 0)
		rv = tu_ingest(to, &b, rep, why);
	free(have);
	tu_batch_free(&b);
	return rv;
}

/* ---- reading --------------------------------------------------------------------- */

int tu_digest(silver_store *s, silver_digest *d)
{
	return silver_store_digest(s, d);
}

int tu_digest_equal(const silver_digest *a, const silver_digest *b)
{
	return memcmp(a->log, b->log, SILVER_HASH_BYTES) == 0 && memcmp(a->state, b->state, SILVER_HASH_BYTES) == 0 &&
	       a->entries == b->entries && a->feeds == b->feeds && a->records == b->records &&
	       a->conflicts == b->conflicts;
}

static int count_entry(const silver_entry *e, void *ctx)
{
	(void)e;
	(*(uint64_t *)ctx)++;
	return 0;
}

int tu_log_count(silver_store *s, uint64_t *n)
{
	*n = 0;
	return silver_store_log(s, count_entry, n);
}

static int count_conflict(const char *id, const char *field, void *ctx)
{
	(void)id;
	(void)field;
	(*(uint64_t *)ctx)++;
	return 0;
}

int tu_conflict_count(silver_store *s, uint64_t *n)
{
	*n = 0;
	return silver_store_conflicts(s, count_conflict, n);
}

static const silver_fieldstate *find_field(const silver_record *r, const char *field)
{
	size_t n = strlen(field);
	for (uint32_t i = 0; i < r->nfields; i++)
		if (r->fields[i].field.n == n && memcmp(r->fields[i].field.p, field, n) == 0)
			return &r->fields[i];
	return NULL;
}

int tu_field(silver_store *s, const char *id, const char *field, char *out, size_t outlen)
{
	silver_arena *a = silver_arena_new();
	silver_record r;
	const silver_fieldstate *f;
	int rv;

	out[0] = 0;
	if (!a)
		return SILVER_ENOMEM;
	if ((rv = silver_store_get(s, id, a, &r)) == 0 && (f = find_field(&r, field)) && f->nheads) {
		const silver_value *v = &f->heads[f->winner].value;
		switch (v->type) {
		case SILVER_V_STR:
			snprintf(out, outlen, "%.*s", (int)v->s.n, (const char *)v->s.p);
			break;
		case SILVER_V_INT:
			snprintf(out, outlen, "%lld", (long long)v->i);
			break;
		case SILVER_V_BOOL:
			snprintf(out, outlen, "%s", v->i ? "true" : "false");
			break;
		case SILVER_V_LIST: {
			size_t off = 0;
			for (uint32_t i = 0; i < v->n && off < outlen; i++)
				off += (size_t)snprintf(out + off, outlen - off, "%s%.*s", i ? "," : "", (int)v->items[i].n,
							(const char *)v->items[i].p);
			break;
		}
		default:
			break;
		}
	}
	silver_arena_destroy(&a);
	return rv;
}

int tu_fieldstate(silver_store *s, const char *id, const char *field, uint32_t *nheads, int *conflict)
{
	silver_arena *a = silver_arena_new();
	silver_record r;
	const silver_fieldstate *f;
	int rv;

	*nheads = 0;
	*conflict = 0;
	if (!a)
		return SILVER_ENOMEM;
	if ((rv = silver_store_get(s, id, a, &r)) == 0 && (f = find_field(&r, field))) {
		*nheads = f->nheads;
		*conflict = f->conflict;
	}
	silver_arena_destroy(&a);
	return rv;
}

int tu_exists(silver_store *s, const char *id)
{
	silver_arena *a = silver_arena_new();
	silver_record r;
	int rv = a ? silver_store_get(s, id, a, &r) : SILVER_ENOMEM;
	silver_arena_destroy(&a);
	return rv == 0;
}

static int img(silver_buf *out, const void *p, size_t n)
{
	uint32_t len = (uint32_t)n;
	int rv = silver_buf_append(out, &len, sizeof(len));
	return rv ? rv : silver_buf_append(out, p, n);
}

int tu_value_image(const silver_value *v, silver_buf *out)
{
	uint8_t t = (uint8_t)v->type;
	int rv = silver_buf_append(out, &t, 1);
	if (rv)
		return rv;
	switch (v->type) {
	case SILVER_V_STR:
		return img(out, v->s.p, v->s.n);
	case SILVER_V_INT:
	case SILVER_V_BOOL:
		return silver_buf_append(out, &v->i, sizeof(v->i));
	case SILVER_V_LIST:
		for (uint32_t i = 0; i < v->n && rv == 0; i++)
			rv = img(out, v->items[i].p, v->items[i].n);
		return rv;
	default:
		return 0;
	}
}

int tu_record_image(const silver_record *r, silver_buf *out)
{
	int rv = img(out, r->collection.p, r->collection.n);
	if (rv == 0)
		rv = img(out, r->id.p, r->id.n);
	if (rv == 0)
		rv = silver_buf_append(out, &r->deleted, sizeof(r->deleted));
	for (uint32_t i = 0; i < r->nfields && rv == 0; i++) {
		const silver_fieldstate *f = &r->fields[i];
		rv = img(out, f->field.p, f->field.n);
		if (rv == 0)
			rv = silver_buf_append(out, &f->winner, sizeof(f->winner));
		if (rv == 0)
			rv = silver_buf_append(out, &f->conflict, sizeof(f->conflict));
		for (uint32_t j = 0; j < f->nheads && rv == 0; j++) {
			rv = silver_buf_append(out, &f->heads[j].ref, sizeof(f->heads[j].ref));
			if (rv == 0)
				rv = silver_buf_append(out, &f->heads[j].hlc, sizeof(f->heads[j].hlc));
			if (rv == 0)
				rv = tu_value_image(&f->heads[j].value, out);
		}
	}
	return rv;
}

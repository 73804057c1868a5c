/*
 * review.c - silver-review: what the county hub (or any node) settles by
 * hand.  Open conflicts listed, one shown with every contender side by side
 * and the last value they all agreed on, resolved one at a time or in a
 * batch (one signed write, all or nothing); probable duplicate retirees
 * across townships; aid payments that look paid twice by different offices.
 * Nothing here merges records or aid away: it shows, and writes only the
 * resolutions a person chose.  docs/STATS.md ("silver-review").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>
#include <jansson.h>

#include "cli.h"

#define MAX_WALK 20000 /* entries visited when looking for a common base */
#define MAX_ROWS 10000 /* resolutions in one --from file */

/* ---- helpers --------------------------------------------------------------------------- */

static int open_store(const char *dir, unsigned flags, silver_store **s)
{
	return silver_cli_open(dir, flags, s);
}

static void json_out(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
}

static char *slice_dup(const silver_slice *s)
{
	char *p = malloc(s->n + 1);
	if (p) {
		memcpy(p, s->p, s->n);
		p[s->n] = 0;
	}
	return p;
}

/* A new element at the end of the array *v of n elements of size sz (cap
 * allocated; doubled when full, from first): zeroed, or NULL without memory
 * (then *v and *cap are as they were). */
static void *push(void **v, size_t n, size_t *cap, size_t first, size_t sz)
{
	if (n == *cap) {
		size_t c = *cap ? 2 * *cap : first;
		void *nv = realloc(*v, c * sz);
		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	return memset((char *)*v + n * sz, 0, sz);
}


/* The winner's text of a field ("" when unset), into buf. */
static const char *text_of(const silver_record *r, const char *key, silver_buf *buf)
{
	const silver_fieldstate *fs = silver_record_field(r, key);
	static const char nul = 0;
	buf->len = 0;
	if (fs && fs->heads[fs->winner].value.type == SILVER_V_STR)
		silver_buf_append(buf, fs->heads[fs->winner].value.s.p, fs->heads[fs->winner].value.s.n);
	silver_buf_append(buf, &nul, 1);
	return (const char *)buf->data;
}

static const silver_collection *coll_of_id(const char *id, char tw[SILVER_MAX_NAME + 1])
{
	silver_slice t, c;
	char name[SILVER_MAX_NAME + 1];
	if (silver_schema_split_id(id, strlen(id), &t, &c) != 0 || t.n > SILVER_MAX_NAME || c.n > SILVER_MAX_NAME)
		return NULL;
	if (tw) {
		memcpy(tw, t.p, t.n);
		tw[t.n] = 0;
	}
	memcpy(name, c.p, c.n);
	name[c.n] = 0;
	return silver_schema_find(name);
}

static const char *field_label(const silver_collection *c, const char *field)
{
	const silver_field *f;
	if (strcmp(field, "_del") == 0)
		return _("deleted or kept");
	f = c ? silver_schema_field(c, field, strlen(field)) : NULL;
	return f ? _(f->label) : field;
}

/* ---- office names: certificates, else this node, else the key ------------------------------ */

struct office {
	uint8_t key[SILVER_KEY_BYTES];
	char *name;
};
struct offices {
	struct office *v;
	size_t n;
	silver_store *s;
	char hex[2 * SILVER_KEY_BYTES + 1];
};

static int office_add(const silver_cert *c, const silver_revoke *rev, void *ctx)
{
	struct offices *o = ctx;
	struct office *p = realloc(o->v, (o->n + 1) * sizeof(*p));
	(void)rev;
	if (!p)
		return SILVER_ENOMEM;
	o->v = p;
	memcpy(p[o->n].key, c->key, SILVER_KEY_BYTES);
	if (!(p[o->n].name = slice_dup(&c->name)))
		return SILVER_ENOMEM;
	o->n++;
	return 0;
}

static int offices_load(struct offices *o, silver_store *s)
{
	memset(o, 0, sizeof(*o));
	o->s = s;
	return silver_store_certs(s, office_add, o);
}

static void offices_free(struct offices *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].name);
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

/* Valid until the next call. */
static const char *office_name(struct offices *o, const uint8_t key[SILVER_KEY_BYTES])
{
	for (size_t i = o->n; i-- > 0;) /* the newest certificate of a key names it */
		if (memcmp(o->v[i].key, key, SILVER_KEY_BYTES) == 0 && *o->v[i].name)
			return o->v[i].name;
	if (memcmp(key, silver_store_self(o->s), SILVER_KEY_BYTES) == 0 && *silver_store_name(o->s))
		return silver_store_name(o->s);
	silver_hex(key, 8, o->hex);
	return o->hex;
}

/* ---- list ------------------------------------------------------------------------------------ */

struct list_ctx {
	silver_store *s;
	silver_arena *a;
	const char *township, *collection;
	uint64_t before_ms; /* conflicts open since before this (0: any) */
	uint64_t now_ms;
	json_t *arr;
	struct item {
		char *id, *field;
		char tw[SILVER_MAX_NAME + 1];
		const silver_collection *c;
		uint32_t n;
		uint64_t since;
	} *items;
	size_t nitems;
};

/* A conflict is open since the second contender was written: the second
 * smallest clock among the heads. */
static uint64_t open_since(const silver_fieldstate *fs)
{
	uint64_t a = UINT64_MAX, b = UINT64_MAX;
	for (uint32_t i = 0; i < fs->nheads; i++) {
		uint64_t h = fs->heads[i].hlc;
		if (h < a) {
			b = a;
			a = h;
		} else if (h < b) {
			b = h;
		}
	}
	return b == UINT64_MAX ? a : b;
}

static int list_one(const char *id, const char *field, void *vctx)
{
	struct list_ctx *l = vctx;
	char tw[SILVER_MAX_NAME + 1];
	const silver_collection *c = coll_of_id(id, tw);
	const silver_fieldstate *fs;
	silver_record r;
	struct item *it;
	uint64_t since;
	int rv;

	if (l->township && strcmp(l->township, tw) != 0)
		return 0;
	if (l->collection && (!c || strcmp(l->collection, c->name) != 0))
		return 0;
	silver_arena_reset(l->a);
	if ((rv = silver_store_get(l->s, id, l->a, &r)) != 0)
		return rv;
	if (!(fs = silver_record_field(&r, field)))
		return 0;
	since = open_since(fs);
	if (l->before_ms && SILVER_HLC_MS(since) >= l->before_ms)
		return 0;
	it = realloc(l->items, (l->nitems + 1) * sizeof(*it));
	if (!it)
		return SILVER_ENOMEM;
	l->items = it;
	it = &l->items[l->nitems];
	memset(it, 0, sizeof(*it));
	it->id = strdup(id);
	it->field = strdup(field);
	if (!it->id || !it->field) {
		free(it->id);
		free(it->field);
		return SILVER_ENOMEM;
	}
	memcpy(it->tw, tw, sizeof(tw));
	it->c = c;
	it->n = fs->nheads;
	it->since = since;
	l->nitems++;
	return 0;
}

static int cmd_list(silver_cli_opts *o)
{
	struct list_ctx l;
	int rv;

	memset(&l, 0, sizeof(l));
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		l.now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	for (int i = 0; i < o->argc; i++) {
		const char *a = o->argv[i];
		if (i + 1 >= o->argc && (!strcmp(a, "--township") || !strcmp(a, "--collection") || !strcmp(a, "--older-than"))) {
			silver_cli_error(_("list: %s needs a value"), a);
			return SILVER_EXIT_USAGE;
		}
		if (strcmp(a, "--township") == 0) {
			l.township = o->argv[++i];
		} else if (strcmp(a, "--collection") == 0) {
			l.collection = o->argv[++i];
			if (!silver_schema_find(l.collection)) {
				silver_cli_error(_("list: no collection '%s'"), l.collection);
				return SILVER_EXIT_INPUT;
			}
		} else if (strcmp(a, "--older-than") == 0) {
			char *end;
			unsigned long d = strtoul(o->argv[++i], &end, 10);
			if (*end || end == o->argv[i] || d > 100000) {
				silver_cli_error(_("list: --older-than needs a number of days"));
				return SILVER_EXIT_USAGE;
			}
			l.before_ms = l.now_ms - (uint64_t)d * 86400000ull;
		} else {
			silver_cli_error(_("list: unexpected argument '%s'"), a);
			return SILVER_EXIT_USAGE;
		}
	}
	if ((rv = open_store(o->dir, SILVER_OPEN_RDONLY, &l.s)) != 0)
		return rv;
	l.a = silver_arena_new();
	rv = l.a ? silver_store_conflicts(l.s, list_one, &l) : SILVER_ENOMEM;
	silver_arena_destroy(&l.a);
	silver_store_close(&l.s);
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("list: "));
	} else if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.nitems; i++) {
			char when[40];
			silver_cli_time_utc(l.items[i].since, when);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:I}", "record", l.items[i].id,
							     "field", l.items[i].field, "collection",
							     l.items[i].c ? l.items[i].c->name : "", "township",
							     l.items[i].tw, "contenders", (json_int_t)l.items[i].n,
							     "open_since", when, "age_days",
							     (json_int_t)((l.now_ms - SILVER_HLC_MS(l.items[i].since)) /
									  86400000ull)));
		}
		json_out(arr);
	} else if (l.nitems == 0) {
		printf(_("No open conflicts.\n"));
	} else {
		int wid = 0, wf = 0;
		for (size_t i = 0; i < l.nitems; i++) {
			int w1 = silver_cli_width(l.items[i].id), w2 = silver_cli_width(field_label(l.items[i].c, l.items[i].field));
			wid = w1 > wid ? w1 : wid;
			wf = w2 > wf ? w2 : wf;
		}
		for (size_t i = 0; i < l.nitems; i++) {
			char when[32];
			silver_cli_time(l.items[i].since, when);
			silver_cli_pad(stdout, l.items[i].id, wid + 2);
			silver_cli_pad(stdout, field_label(l.items[i].c, l.items[i].field), wf + 2);
			printf(P_("%u contender, open since %s", "%u contenders, open since %s", l.items[i].n), l.items[i].n, when);
			printf("  [%s]\n", l.items[i].field);
		}
		printf(P_("%zu open conflict. See it with: silver-review show ID FIELD\n",
			  "%zu open conflicts. See one with: silver-review show ID FIELD\n", l.nitems),
		       l.nitems);
	}
	for (size_t i = 0; i < l.nitems; i++) {
		free(l.items[i].id);
		free(l.items[i].field);
	}
	free(l.items);
	return rv;
}

/* ---- show: contenders and their common base ------------------------------------------------- */

struct anc {
	silver_ref ref;
	uint64_t hlc;
	uint32_t mask; /* which contenders reach it */
	int has_value;
	char *value;   /* formatted */
	int nil;
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	char operator_name[SILVER_MAX_OPERATOR + 1]; /* the entry's operator, or "" */
	silver_ref *bases;
	uint32_t nbases;
	int loaded;
};

struct walk {
	silver_store *s;
	silver_arena *a;
	const silver_field *f;
	const char *field;
	struct anc *v;
	size_t n, cap;
	silver_buf tmp;
};

static struct anc *anc_get(struct walk *w, const silver_ref *ref)
{
	for (size_t i = 0; i < w->n; i++)
		if (silver_ref_cmp(&w->v[i].ref, ref) == 0)
			return &w->v[i];
	{
		void *v = w->v;
		struct anc *a = push(&v, w->n, &w->cap, 32, sizeof(*a));
		w->v = v;
		if (!a)
			return NULL;
		a->ref = *ref;
		w->n++;
		return a;
	}
}

/* Read the entry behind a (its clock, author, value and bases for the field). */
static int anc_load(struct walk *w, struct anc *a)
{
	silver_entry e;
	int rv;
	a->loaded = 1;
	silver_arena_reset(w->a);
	if ((rv = silver_store_entry(w->s, &a->ref, w->a, &e)) != 0)
		return rv == SILVER_ENOTFOUND ? 0 : rv; /* a base this node never received */
	a->hlc = e.hlc;
	memcpy(a->author, e.author, SILVER_KEY_BYTES);
	if (e.township.n <= SILVER_MAX_NAME) {
		memcpy(a->township, e.township.p, e.township.n);
		a->township[e.township.n] = 0;
	}
	a->operator_name[0] = 0;
	if (e.op.operator_name.n && e.op.operator_name.n <= SILVER_MAX_OPERATOR) {
		memcpy(a->operator_name, e.op.operator_name.p, e.op.operator_name.n);
		a->operator_name[e.op.operator_name.n] = 0;
	}
	for (uint32_t i = 0; i < e.op.nwrites; i++) {
		const silver_write *wr = &e.op.writes[i];
		if (wr->field.n != strlen(w->field) || memcmp(wr->field.p, w->field, wr->field.n) != 0)
			continue;
		silver_cli_value(w->f, &wr->value, &w->tmp);
		a->value = strdup((const char *)w->tmp.data);
		a->nil = wr->value.type == SILVER_V_NIL;
		a->has_value = 1;
		if (wr->nbases) {
			a->bases = malloc(wr->nbases * sizeof(*a->bases));
			if (!a->bases)
				return SILVER_ENOMEM;
			memcpy(a->bases, wr->bases, wr->nbases * sizeof(*a->bases));
			a->nbases = wr->nbases;
		}
		if (!a->value)
			return SILVER_ENOMEM;
	}
	return 0;
}

/* Mark everything contender bit reaches through the field's bases. */
static int walk_from(struct walk *w, const silver_ref *start, uint32_t bit)
{
	silver_ref *stack = malloc(MAX_WALK * sizeof(*stack));
	size_t top = 0, visited = 0;
	int rv = 0;
	if (!stack)
		return SILVER_ENOMEM;
	stack[top++] = *start;
	while (top && rv == 0 && visited < MAX_WALK) {
		silver_ref ref = stack[--top];
		struct anc *a = anc_get(w, &ref);
		size_t idx;
		if (!a) {
			rv = SILVER_ENOMEM;
			break;
		}
		if (a->mask & bit)
			continue;
		a->mask |= bit;
		visited++;
		idx = (size_t)(a - w->v);
		if (!a->loaded && (rv = anc_load(w, a)) != 0)
			break;
		for (uint32_t j = 0; j < w->v[idx].nbases && top < MAX_WALK; j++)
			stack[top++] = w->v[idx].bases[j];
	}
	free(stack);
	return rv;
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].value);
		free(w->v[i].bases);
	}
	free(w->v);
	silver_buf_release(&w->tmp);
	silver_arena_destroy(&w->a);
}

static json_t *operator_json(const struct anc *a)
{
	return a->operator_name[0] ? json_string(a->operator_name) : json_null();
}

static int cmd_show(silver_cli_opts *o)
{
	silver_store *s;
	silver_arena *a;
	silver_record r;
	const silver_fieldstate *fs;
	const silver_collection *c;
	struct offices off;
	struct walk w;
	struct anc *base = NULL;
	const char *id, *field;
	uint32_t all, nh;
	int rv;

	if (o->argc != 2) {
		silver_cli_error(_("show: usage: silver-review show ID FIELD"));
		return SILVER_EXIT_USAGE;
	}
	id = o->argv[0];
	field = o->argv[1];
	if (!(c = coll_of_id(id, NULL))) {
		silver_cli_error(_("show: '%s' is not a record id"), id);
		return SILVER_EXIT_INPUT;
	}
	if ((rv = open_store(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	memset(&w, 0, sizeof(w));
	silver_buf_init(&w.tmp);
	a = silver_arena_new();
	w.a = silver_arena_new();
	if (!a || !w.a || offices_load(&off, s) != 0) {
		rv = silver_cli_fail(SILVER_ENOMEM, NULL, _("show: "));
		goto out0;
	}
	rv = silver_store_get(s, id, a, &r);
	if (rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL) {
		silver_cli_error(_("show: no record %s in this node"), id);
		rv = SILVER_EXIT_NOTFOUND;
		goto out;
	} else if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("show: "));
		goto out;
	}
	fs = silver_record_field(&r, field);
	if (!fs || !fs->conflict) {
		silver_cli_error(_("show: %s %s is not in conflict (see 'silver-review list')"), id, field);
		rv = SILVER_EXIT_NOTFOUND;
		goto out;
	}
	w.s = s;
	w.field = field;
	w.f = strcmp(field, "_del") ? silver_schema_field(c, field, strlen(field)) : NULL;
	nh = fs->nheads > 32 ? 32 : fs->nheads;
	all = nh == 32 ? 0xffffffffu : (1u << nh) - 1;
	for (uint32_t i = 0; i < nh && rv == 0; i++)
		rv = walk_from(&w, &fs->heads[i].ref, 1u << i);
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("show: "));
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		if (w.v[i].mask == all && w.v[i].has_value && (!base || w.v[i].hlc > base->hlc))
			base = &w.v[i];

	if (o->json) {
		json_t *j = json_object(), *arr = json_array();
		for (uint32_t i = 0; i < fs->nheads; i++) {
			const silver_head *h = &fs->heads[i];
			struct anc *an = anc_get(&w, &h->ref);
			char when[40];
			char key[2 * SILVER_KEY_BYTES + 1];
			if (!an) {
				json_decref(arr);
				json_decref(j);
				rv = silver_cli_fail(SILVER_ENOMEM, NULL, _("show: "));
				goto out;
			}
			if (!an->loaded && (rv = anc_load(&w, an)) != 0) {
				json_decref(arr);
				json_decref(j);
				rv = silver_cli_fail(rv, NULL, _("show: "));
				goto out;
			}
			silver_cli_value(w.f, &h->value, &w.tmp);
			silver_cli_time_utc(h->hlc, when);
			silver_hex(an->author, SILVER_KEY_BYTES, key);
			json_array_append_new(
				arr, json_pack("{s:I,s:s,s:b,s:s,s:o,s:s,s:s,s:s,s:b}", "n",
					       (json_int_t)i + 1, "value", (const char *)w.tmp.data, "empty",
					       h->value.type == SILVER_V_NIL, "office",
					       office_name(&off, an->author), "operator", operator_json(an),
					       "author", key, "township", an->township, "time", when,
					       "provisional_winner", i == fs->winner));
		}
		json_object_set_new(j, "record", json_string(id));
		json_object_set_new(j, "field", json_string(field));
		json_object_set_new(j, "collection", json_string(c->name));
		json_object_set_new(j, "contenders", arr);
		if (base) {
			char when[40];
			silver_cli_time_utc(base->hlc, when);
			json_object_set_new(j, "base",
					    json_pack("{s:s,s:b,s:s,s:o,s:s}", "value", base->value, "empty",
						      base->nil, "office", office_name(&off, base->author),
						      "operator", operator_json(base), "time", when));
		} else {
			json_object_set_new(j, "base", json_null());
		}
		json_out(j);
		rv = 0;
		goto out;
	}

	{
		/* rows: value, office, operator, township, time; one column per contender */
		const char *rowname[5] = { _("Value"), _("Office"), _("Operator"), _("Township"), _("Time") };
		char *cell[5][33];
		int width[33];
		uint32_t ncol = nh;
		memset(cell, 0, sizeof(cell));
		width[0] = 0;
		for (int k = 0; k < 5; k++)
			if (silver_cli_width(rowname[k]) > width[0])
				width[0] = silver_cli_width(rowname[k]);
		for (uint32_t i = 0; i < ncol; i++) {
			const silver_head *h = &fs->heads[i];
			struct anc *an = anc_get(&w, &h->ref);
			char when[32], head[32];
			if (!an || (!an->loaded && anc_load(&w, an) != 0))
				continue;
			silver_cli_value(w.f, &h->value, &w.tmp);
			cell[0][i + 1] = strdup(h->value.type == SILVER_V_NIL ? _("(empty)") : (const char *)w.tmp.data);
			cell[1][i + 1] = strdup(office_name(&off, an->author));
			/* a change made on the command line, or before entries named one */
			cell[2][i + 1] = strdup(an->operator_name[0] ? an->operator_name : "-");
			cell[3][i + 1] = strdup(an->township);
			silver_cli_time(h->hlc, when);
			cell[4][i + 1] = strdup(when);
			snprintf(head, sizeof(head), "#%u%s", i + 1, i == fs->winner ? "*" : "");
			width[i + 1] = silver_cli_width(head);
			for (int k = 0; k < 5; k++)
				if (cell[k][i + 1] && silver_cli_width(cell[k][i + 1]) > width[i + 1])
					width[i + 1] = silver_cli_width(cell[k][i + 1]);
		}
		printf("%s  %s  %s\n", id, _(c->label), field_label(c, field));
		printf("  ");
		silver_cli_pad(stdout, "", width[0]);
		for (uint32_t i = 0; i < ncol; i++) {
			char head[32];
			snprintf(head, sizeof(head), "#%u%s", i + 1, i == fs->winner ? "*" : "");
			printf("  ");
			silver_cli_pad(stdout, head, width[i + 1]);
		}
		putchar('\n');
		for (int k = 0; k < 5; k++) {
			printf("  ");
			silver_cli_pad(stdout, rowname[k], width[0]);
			for (uint32_t i = 0; i < ncol; i++) {
				printf("  ");
				silver_cli_pad(stdout, cell[k][i + 1] ? cell[k][i + 1] : "?", width[i + 1]);
			}
			putchar('\n');
		}
		for (int k = 0; k < 5; k++)
			for (uint32_t i = 0; i <= ncol; i++)
				free(cell[k][i]);
		if (base) {
			char when[32];
			silver_cli_time(base->hlc, when);
			printf(_("  Last agreed value: %s (by %s, %s)\n"), base->nil ? _("(empty)") : base->value,
			       office_name(&off, base->author), when);
		} else {
			printf(_("  Last agreed value: none (the contenders share no earlier value)\n"));
		}
		printf(_("  * is shown for now.  Settle with: silver-review resolve %s %s --take N%s\n"), id, field,
		       w.f ? _(" (or --value V)") : "");
	}
	rv = 0;
out:
	offices_free(&off);
out0:
	walk_free(&w);
	silver_arena_destroy(&a);
	silver_store_close(&s);
	return rv;
}

/* ---- resolve ------------------------------------------------------------------------------------ */

struct res {
	char *id, *field, *text; /* text NULL: take */
	uint32_t take;
	long row;
};

struct res_ctx {
	struct res *v;
	size_t n;
	silver_why why;
	long bad_row;
};

static int do_resolve(silver_wtxn *t, void *vctx)
{
	struct res_ctx *c = vctx;
	int rv;
	for (size_t i = 0; i < c->n; i++) {
		memset(&c->why, 0, sizeof(c->why));
		if ((rv = silver_wtxn_resolve(t, c->v[i].id, c->v[i].field, c->v[i].text, c->v[i].take, &c->why)) != 0) {
			c->bad_row = c->v[i].row;
			return rv;
		}
	}
	return 0;
}

/* The checks a person can act on before anything is written: the record is
 * here, the field is in conflict, a contender number exists. */
static int res_check(silver_store *s, silver_arena *a, const struct res *r, int batch)
{
	silver_record rec;
	const silver_fieldstate *fs;
	char where[64] = "";
	int rv;
	if (batch)
		snprintf(where, sizeof(where), _("row %ld: "), r->row);
	silver_arena_reset(a);
	rv = silver_store_get(s, r->id, a, &rec);
	if (rv == SILVER_EINVAL) {
		silver_cli_error(_("resolve: %s'%s' is not a record id"), where, r->id);
		return SILVER_EXIT_INPUT;
	}
	if (rv == SILVER_ENOTFOUND) {
		silver_cli_error(_("resolve: %sno record %s in this node"), where, r->id);
		return SILVER_EXIT_NOTFOUND;
	}
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("resolve: "));
	fs = silver_record_field(&rec, r->field);
	if (!fs || !fs->conflict) {
		silver_cli_error(_("resolve: %s%s %s is not in conflict; nothing was written"), where, r->id, r->field);
		return SILVER_EXIT_INPUT;
	}
	if (!r->text && (r->take < 1 || r->take > fs->nheads)) {
		silver_cli_error(_("resolve: %s%s %s has contenders 1 to %u, not %u"), where, r->id, r->field, fs->nheads,
				 r->take);
		return SILVER_EXIT_INPUT;
	}
	return 0;
}

static int parse_take(const char *s, uint32_t *out)
{
	char *end;
	unsigned long n;
	if (!*s)
		return -1;
	n = strtoul(s, &end, 10);
	if (*end || n < 1 || n > 1000)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

struct csvload {
	struct res *v;
	size_t n, cap;
	char *cells[3];
	size_t ncells;
	long line;
	int bad; /* 1 wrong cell count, 2 bad resolution, 3 oom, 4 too many */
	long bad_line;
};

static void cl_cell(void *p, size_t n, void *vctx)
{
	struct csvload *c = vctx;
	if (c->ncells < 3) {
		c->cells[c->ncells] = malloc(n + 1);
		if (!c->cells[c->ncells]) {
			c->bad = c->bad ? c->bad : 3;
			return;
		}
		memcpy(c->cells[c->ncells], p, n);
		c->cells[c->ncells][n] = 0;
	}
	c->ncells++;
}

static void cl_row(int ch, void *vctx)
{
	struct csvload *c = vctx;
	struct res *r;
	(void)ch;
	c->line++;
	if (c->bad)
		goto done;
	if (c->line == 1 && c->ncells >= 1 && c->cells[0] && strcmp(c->cells[0], "id") == 0)
		goto done; /* a header line */
	if (c->ncells != 3) {
		c->bad = 1;
		c->bad_line = c->line;
		goto done;
	}
	if (c->n == MAX_ROWS) {
		c->bad = 4;
		goto done;
	}
	{
		void *v = c->v;
		r = push(&v, c->n, &c->cap, 16, sizeof(*r));
		c->v = v;
		if (!r) {
			c->bad = 3;
			goto done;
		}
	}
	r->row = c->line;
	if (strncmp(c->cells[2], "take:", 5) == 0) {
		if (parse_take(c->cells[2] + 5, &r->take) != 0) {
			c->bad = 2;
			c->bad_line = c->line;
			goto done;
		}
	} else if (strncmp(c->cells[2], "value:", 6) == 0) {
		r->text = strdup(c->cells[2] + 6);
	} else {
		c->bad = 2;
		c->bad_line = c->line;
		goto done;
	}
	r->id = c->cells[0];
	r->field = c->cells[1];
	c->cells[0] = c->cells[1] = NULL;
	c->n++;
done:
	for (size_t i = 0; i < 3; i++) {
		free(c->cells[i]);
		c->cells[i] = NULL;
	}
	c->ncells = 0;
}

static int load_csv(const char *path, struct csvload *c)
{
	struct csv_parser p;
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rv = 0;
	memset(c, 0, sizeof(*c));
	if (!f) {
		silver_cli_error(_("resolve: cannot read %s: %s"), path, strerror(errno));
		return errno == ENOENT ? SILVER_EXIT_NOTFOUND : SILVER_EXIT_INPUT;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0) {
		fclose(f);
		return SILVER_EXIT_INTERNAL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (csv_parse(&p, buf, n, cl_cell, cl_row, c) != n) {
			rv = -1;
			break;
		}
	if (rv == 0 && csv_fini(&p, cl_cell, cl_row, c) != 0)
		rv = -1;
	if (rv != 0)
		silver_cli_error(_("resolve: %s is not valid CSV near line %ld"), path, c->line + 1);
	csv_free(&p);
	fclose(f);
	if (rv != 0)
		return SILVER_EXIT_INPUT;
	switch (c->bad) {
	case 1:
		silver_cli_error(_("resolve: %s line %ld: expected 3 cells: id,field,take:N or value:TEXT"), path,
				 c->bad_line);
		return SILVER_EXIT_INPUT;
	case 2:
		silver_cli_error(_("resolve: %s line %ld: the third cell must be take:N or value:TEXT"), path,
				 c->bad_line);
		return SILVER_EXIT_INPUT;
	case 3:
		return silver_cli_fail(SILVER_ENOMEM, NULL, _("resolve: "));
	case 4:
		silver_cli_error(_("resolve: %s has more than %d lines; split it"), path, MAX_ROWS);
		return SILVER_EXIT_INPUT;
	}
	if (c->n == 0) {
		silver_cli_error(_("resolve: %s holds no resolutions"), path);
		return SILVER_EXIT_INPUT;
	}
	return 0;
}

static int cmd_resolve(silver_cli_opts *o)
{
	struct res one;
	struct csvload cl;
	struct res_ctx c;
	silver_store *s = NULL;
	silver_arena *a = NULL;
	int rv, batch = 0;

	memset(&cl, 0, sizeof(cl));
	memset(&c, 0, sizeof(c));
	memset(&one, 0, sizeof(one));
	if (o->argc == 2 && strcmp(o->argv[0], "--from") == 0) {
		batch = 1;
		if ((rv = load_csv(o->argv[1], &cl)) != 0)
			goto out;
		c.v = cl.v;
		c.n = cl.n;
	} else if (o->argc == 4 && (strcmp(o->argv[2], "--take") == 0 || strcmp(o->argv[2], "--value") == 0)) {
		one.id = o->argv[0];
		one.field = o->argv[1];
		if (strcmp(o->argv[2], "--take") == 0) {
			if (parse_take(o->argv[3], &one.take) != 0) {
				silver_cli_error(_("resolve: --take needs a contender number from 'silver-review show'"));
				return SILVER_EXIT_USAGE;
			}
		} else {
			one.text = o->argv[3];
		}
		c.v = &one;
		c.n = 1;
	} else {
		silver_cli_error(_("resolve: usage: silver-review resolve ID FIELD (--take N | --value V), or "
				   "resolve --from FILE.csv"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o->dir, 0, &s)) != 0)
		goto out;
	if (!(a = silver_arena_new())) {
		rv = silver_cli_fail(SILVER_ENOMEM, NULL, _("resolve: "));
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		for (size_t k = 0; k < i; k++)
			if (strcmp(c.v[k].id, c.v[i].id) == 0 && strcmp(c.v[k].field, c.v[i].field) == 0) {
				silver_cli_error(_("resolve: row %ld: %s %s is settled twice in this file (row %ld)"),
						 c.v[i].row, c.v[i].id, c.v[i].field, c.v[k].row);
				rv = SILVER_EXIT_INPUT;
				goto out;
			}
		if ((rv = res_check(s, a, &c.v[i], batch)) != 0)
			goto out;
	}
	rv = silver_store_write(s, do_resolve, &c);
	if (rv != 0) {
		if (batch)
			c.why.row = c.bad_row;
		rv = silver_cli_fail(rv, &c.why, batch ? _("resolve: nothing was written: ") : _("resolve: "));
		goto out;
	}
	if (batch)
		printf(_("Resolved %zu conflicts in one signed change; other nodes follow when they receive it.\n"), c.n);
	else
		printf(_("Resolved: %s %s is settled on this node; other nodes follow when they receive it.\n"), one.id,
		       one.field);
out:
	for (size_t i = 0; batch && i < cl.n; i++) {
		free(cl.v[i].id);
		free(cl.v[i].field);
		free(cl.v[i].text);
	}
	free(cl.v);
	silver_arena_destroy(&a);
	silver_store_close(&s);
	return rv;
}

/* ---- duplicates ------------------------------------------------------------------------------ */

struct person {
	char *id, *name, *birth, *idno;
	char tw[SILVER_MAX_NAME + 1];
};
struct people {
	struct person *v;
	size_t n, cap;
	silver_buf tmp;
	int oom;
};

/* An ID card number compared without spaces and with an upper-case X. */
static char *idno_norm(const char *s)
{
	char *p = malloc(strlen(s) + 1), *q = p;
	if (!p)
		return NULL;
	for (; *s; s++)
		if (*s != ' ' && *s != '-')
			*q++ = (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
	*q = 0;
	return p;
}

static int person_one(const silver_record *r, void *vctx)
{
	struct people *p = vctx;
	struct person *x;
	char id[SILVER_MAX_ID + 1];
	if (r->deleted || r->id.n > SILVER_MAX_ID)
		return 0;
	if (*text_of(r, "transferred_to", &p->tmp))
		return 0; /* moved: the new record stands for the person */
	{
		void *v = p->v;
		x = push(&v, p->n, &p->cap, 64, sizeof(*x));
		p->v = v;
		if (!x)
			return SILVER_ENOMEM;
	}
	memcpy(id, r->id.p, r->id.n);
	id[r->id.n] = 0;
	coll_of_id(id, x->tw);
	x->id = strdup(id);
	x->name = strdup(text_of(r, "name", &p->tmp));
	x->birth = strdup(text_of(r, "birth_date", &p->tmp));
	x->idno = idno_norm(text_of(r, "id_number", &p->tmp));
	p->n++;
	if (!x->id || !x->name || !x->birth || !x->idno)
		return SILVER_ENOMEM;
	return 0;
}

static void people_free(struct people *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].id);
		free(p->v[i].name);
		free(p->v[i].birth);
		free(p->v[i].idno);
	}
	free(p->v);
	silver_buf_release(&p->tmp);
}

static int by_idno(const void *a, const void *b)
{
	const struct person *x = a, *y = b;
	int c = strcmp(x->idno, y->idno);
	return c ? c : strcmp(x->id, y->id);
}

static int by_name_birth(const void *a, const void *b)
{
	const struct person *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->birth, y->birth);
	return c ? c : strcmp(x->id, y->id);
}

struct pair {
	const char *a, *b; /* ids */
	const struct person *pa, *pb;
	int by_idno;
};

static int cmd_duplicates(silver_cli_opts *o)
{
	struct people p;
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0;
	silver_store *s;
	const char *only = NULL;
	int rv, within = 0;

	for (int i = 0; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--within") == 0) {
			within = 1;
		} else if (strcmp(o->argv[i], "--township") == 0 && i + 1 < o->argc &&
			   silver_schema_township_ok(o->argv[i + 1])) {
			only = o->argv[++i];
			within = 1;
		} else {
			silver_cli_error(_("duplicates: unexpected argument '%s'"), o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	if ((rv = open_store(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	memset(&p, 0, sizeof(p));
	silver_buf_init(&p.tmp);
	rv = silver_store_list(s, "retiree", person_one, &p);
	silver_store_close(&s);
	if (rv != 0) {
		people_free(&p);
		return silver_cli_fail(rv, NULL, _("duplicates: "));
	}
	/* Two passes: the same ID number, then the same name and birth date;
	 * a pair found by the first is not repeated by the second.  Pairs are
	 * of different townships (the county's question), or with --within of
	 * one township (an office's own; --township T: of T only). */
	for (int pass = 0; pass < 2; pass++) {
		if (p.n > 1) /* p.v is NULL when the node holds no retiree */
			qsort(p.v, p.n, sizeof(p.v[0]), pass == 0 ? by_idno : by_name_birth);
		for (size_t i = 0; i < p.n; i++) {
			for (size_t j = i + 1; j < p.n; j++) {
				const struct person *x = &p.v[i], *y = &p.v[j];
				int same = pass == 0 ? (*x->idno && strcmp(x->idno, y->idno) == 0)
						     : (*x->name && strcmp(x->name, y->name) == 0 &&
							strcmp(x->birth, y->birth) == 0);
				int dup = 0;
				if (!same)
					break;
				if ((strcmp(x->tw, y->tw) == 0) != within)
					continue;
				if (only && strcmp(x->tw, only) != 0)
					continue;
				for (size_t k = 0; k < np && !dup; k++)
					dup = (strcmp(pairs[k].a, x->id) == 0 && strcmp(pairs[k].b, y->id) == 0) ||
					      (strcmp(pairs[k].a, y->id) == 0 && strcmp(pairs[k].b, x->id) == 0);
				if (dup)
					continue;
				{
					void *v = pairs;
					struct pair *q = push(&v, np, &cap, 16, sizeof(*q));
					pairs = v;
					if (!q) {
						free(pairs);
						people_free(&p);
						return silver_cli_fail(SILVER_ENOMEM, NULL, _("duplicates: "));
					}
					q->a = x->id;
					q->b = y->id;
					q->by_idno = pass == 0;
					np++;
				}
			}
		}
	}
	/* pointers to people are stable now (no more sorting): look them up */
	for (size_t k = 0; k < np; k++)
		for (size_t i = 0; i < p.n; i++) {
			if (p.v[i].id == pairs[k].a)
				pairs[k].pa = &p.v[i];
			if (p.v[i].id == pairs[k].b)
				pairs[k].pb = &p.v[i];
		}
	if (o->json) {
		json_t *arr = json_array();
		for (size_t k = 0; k < np; k++) {
			json_t *both = json_array();
			const struct person *q[2] = {pairs[k].pa, pairs[k].pb};
			for (int m = 0; m < 2; m++)
				json_array_append_new(both, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", q[m]->id, "township",
								      q[m]->tw, "name", q[m]->name, "birth_date",
								      q[m]->birth, "id_number", q[m]->idno));
			json_array_append_new(arr, json_pack("{s:s,s:o}", "reason",
							     pairs[k].by_idno ? "id_number" : "name_birth_date",
							     "retirees", both));
		}
		json_out(arr);
	} else if (np == 0) {
		if (only)
			printf(_("No probable duplicate retirees within %s.\n"), only);
		else if (within)
			printf(_("No probable duplicate retirees within a township.\n"));
		else
			printf(_("No probable duplicate retirees across townships.\n"));
	} else {
		for (size_t k = 0; k < np; k++) {
			const struct person *q[2] = {pairs[k].pa, pairs[k].pb};
			printf("%s\n", pairs[k].by_idno ? _("Same ID card number:") : _("Same name and date of birth:"));
			for (int m = 0; m < 2; m++)
				printf("  %s  %s  %s  %s  %s\n", q[m]->id, q[m]->tw, q[m]->name, q[m]->birth, q[m]->idno);
		}
		printf(P_("%zu probable duplicate. Check it with the offices; nothing was changed.\n",
			  "%zu probable duplicates. Check them with the offices; nothing was changed.\n", np),
		       np);
	}
	free(pairs);
	people_free(&p);
	return 0;
}

/* ---- aid anomalies --------------------------------------------------------------------------- */

struct pay {
	char *id, *retiree, *date;
	int64_t amount;
	uint8_t author[SILVER_KEY_BYTES];
	char tw[SILVER_MAX_NAME + 1];
	int have_author;
};
struct pays {
	struct pay *v;
	size_t n, cap;
	silver_buf tmp;
};

static int pay_one(const silver_record *r, void *vctx)
{
	struct pays *p = vctx;
	const silver_fieldstate *fs;
	struct pay *x;
	char id[SILVER_MAX_ID + 1];
	if (r->deleted || r->id.n > SILVER_MAX_ID)
		return 0;
	if (*text_of(r, "transferred_to", &p->tmp))
		return 0; /* moved: the new record stands for the person */
	{
		void *v = p->v;
		x = push(&v, p->n, &p->cap, 64, sizeof(*x));
		p->v = v;
		if (!x)
			return SILVER_ENOMEM;
	}
	memcpy(id, r->id.p, r->id.n);
	id[r->id.n] = 0;
	coll_of_id(id, x->tw);
	fs = silver_record_field(r, "amount");
	x->amount = fs && fs->heads[fs->winner].value.type == SILVER_V_INT ? fs->heads[fs->winner].value.i : -1;
	x->id = strdup(id);
	x->retiree = strdup(text_of(r, "retiree", &p->tmp));
	x->date = strdup(text_of(r, "date", &p->tmp));
	p->n++;
	if (!x->id || !x->retiree || !x->date)
		return SILVER_ENOMEM;
	return 0;
}

static int by_payment(const void *a, const void *b)
{
	const struct pay *x = a, *y = b;
	int c = strcmp(x->retiree, y->retiree);
	if (!c)
		c = strcmp(x->date, y->date);
	if (!c)
		c = (x->amount > y->amount) - (x->amount < y->amount);
	return c ? c : strcmp(x->id, y->id);
}

/* The author of the record's creating entry: the first in clock order. */
static int first_author(const silver_entry *e, void *vctx)
{
	struct pay *x = vctx;
	memcpy(x->author, e->author, SILVER_KEY_BYTES);
	x->have_author = 1;
	return 1; /* stop */
}

static int same_payment(const struct pay *x, const struct pay *y)
{
	return strcmp(x->retiree, y->retiree) == 0 && strcmp(x->date, y->date) == 0 && x->amount == y->amount;
}

static int cmd_aid_anomalies(silver_cli_opts *o)
{
	struct pays p;
	struct offices off;
	silver_store *s;
	silver_arena *a = NULL;
	json_t *arr = NULL;
	size_t groups = 0;
	int rv;

	if (o->argc != 0) {
		silver_cli_error(_("aid-anomalies: unexpected argument '%s'"), o->argv[0]);
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	memset(&p, 0, sizeof(p));
	silver_buf_init(&p.tmp);
	if ((rv = offices_load(&off, s)) == 0)
		rv = silver_store_list(s, "aid", pay_one, &p);
	if (rv == 0 && !(a = silver_arena_new()))
		rv = SILVER_ENOMEM;
	if (rv == 0 && p.n > 1) /* p.v is NULL when the node holds no payment */
		qsort(p.v, p.n, sizeof(p.v[0]), by_payment);
	if (o->json)
		arr = json_array();
	for (size_t i = 0; rv == 0 && i < p.n;) {
		size_t j = i + 1, authors = 1;
		while (j < p.n && same_payment(&p.v[i], &p.v[j]))
			j++;
		if (j - i < 2) {
			i = j;
			continue;
		}
		for (size_t k = i; k < j && rv == 0; k++) {
			rv = silver_store_history(s, p.v[k].id, first_author, &p.v[k]);
			if (rv == 1)
				rv = 0;
		}
		for (size_t k = i + 1; k < j; k++) {
			int seen = 0;
			for (size_t m = i; m < k; m++)
				seen |= memcmp(p.v[k].author, p.v[m].author, SILVER_KEY_BYTES) == 0;
			authors += !seen;
		}
		if (rv == 0 && authors >= 2) {
			silver_record rec;
			const char *who = p.v[i].retiree;
			char yuan[32], *name = NULL;
			silver_arena_reset(a);
			if (silver_store_get(s, p.v[i].retiree, a, &rec) == 0)
				name = strdup(text_of(&rec, "name", &p.tmp));
			snprintf(yuan, sizeof(yuan), "%lld.%02lld", (long long)(p.v[i].amount / 100),
				 (long long)(p.v[i].amount % 100));
			groups++;
			if (arr) {
				json_t *ps = json_array();
				for (size_t k = i; k < j; k++) {
					char key[2 * SILVER_KEY_BYTES + 1];
					silver_hex(p.v[k].author, SILVER_KEY_BYTES, key);
					json_array_append_new(ps, json_pack("{s:s,s:s,s:s,s:s}", "id", p.v[k].id, "township",
									    p.v[k].tw, "office",
									    office_name(&off, p.v[k].author), "author", key));
				}
				json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:o}", "retiree", who, "name",
								     name ? name : "", "date", p.v[i].date, "amount", yuan,
								     "payments", ps));
			} else {
				printf(_("Possible double payment: %s (%s), %s, %s yuan, by %zu offices:\n"),
				       name && *name ? name : who, who, p.v[i].date, yuan, authors);
				for (size_t k = i; k < j; k++)
					printf("  %s  %s  %s\n", p.v[k].id, p.v[k].tw, office_name(&off, p.v[k].author));
			}
			free(name);
		}
		i = j;
	}
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("aid-anomalies: "));
	} else if (arr) {
		json_out(arr);
		arr = NULL;
	} else if (groups == 0) {
		printf(_("No aid anomalies: no two offices paid the same retiree the same amount on the same date.\n"));
	} else {
		printf(P_("%zu possible double payment. Both payments are kept; check them with the offices.\n",
			  "%zu possible double payments. Both payments are kept; check them with the offices.\n", groups),
		       groups);
	}
	json_decref(arr);
	for (size_t i = 0; i < p.n; i++) {
		free(p.v[i].id);
		free(p.v[i].retiree);
		free(p.v[i].date);
	}
	free(p.v);
	silver_buf_release(&p.tmp);
	silver_arena_destroy(&a);
	offices_free(&off);
	silver_store_close(&s);
	return rv;
}

/* ---- the table ---------------------------------------------------------------------------------- */

static const silver_cli_command commands[] = {
	{"list", cmd_list, "[--township T] [--collection C] [--older-than DAYS]", N_("list open conflicts")},
	{"show", cmd_show, "ID FIELD", N_("every contender side by side, and the last value they agreed on")},
	{"resolve", cmd_resolve, "ID FIELD (--take N | --value V) | --from FILE.csv",
	 N_("settle conflicts with a signed resolution (a file: all or nothing)")},
	{"duplicates", cmd_duplicates, "[--within | --township T]",
	 N_("probable duplicate retirees across townships, or within one (--within, --township T)")},
	{"aid-anomalies", cmd_aid_anomalies, "",
	 N_("aid paid to the same retiree, date and amount by different offices")},
	{NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, _("Usage: silver-review [--dir DIR] [--json] COMMAND [ARGS]\n\n"));
	fprintf(f, _("Settle what the offices' nodes could not: conflicting edits, probable duplicates, aid paid "
		     "twice.\n\n"));
	fprintf(f, _("Commands:\n"));
	for (const silver_cli_command *c = commands; c->name; c++) {
		char head[128];
		snprintf(head, sizeof(head), "%s %s", c->name, c->args);
		fprintf(f, "  %s\n      %s\n", head, _(c->help));
	}
	fprintf(f, _("\nA --from file has lines id,field,take:N or id,field,value:TEXT (an optional header\n"
		     "line id,field,resolution).  Options: --dir DIR (default: $SILVER_DIR, else ./silver-data),\n"
		     "--json (list, show, duplicates, aid-anomalies), --help, --version.\n"
		     "Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not found, 7 store error.  See docs/EXIT.md.\n"));
}

int main(int argc, char **argv)
{
	return silver_cli_main("silver-review", commands, usage, argc, argv);
}

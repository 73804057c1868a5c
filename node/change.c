/*
 * change.c - turning what a user typed into signed change entries: create,
 * edit, delete and resolve.  Values are checked against the schema, refs
 * against the store, and each change names, per field, the heads it saw as
 * its bases (docs/MERGE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static void why_set(silver_why *why, const char *field, const char *reason, const char *detail)
{
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	if (field)
		snprintf(why->field, sizeof(why->field), "%s", field);
	if (reason)
		snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (detail)
		snprintf(why->detail, sizeof(why->detail), "%s", detail);
}

static silver_slice zslice(const char *z)
{
	silver_slice s = {(const uint8_t *)z, (uint32_t)strlen(z)};
	return s;
}

static char *arena_strndup(silver_arena *a, const void *p, size_t n)
{
	char *s = silver_arena_alloc(a, n + 1);
	if (s)
		memcpy(s, p, n);
	return s;
}

/* A reference must name a live record of an allowed collection. */
static int ref_check(silver_wtxn *t, const silver_field *f, const silver_value *v, silver_why *why)
{
	silver_slice tw, coll, id;
	silver_record r;
	int found, rv;

	if (f->type != SILVER_F_REF || v->type != SILVER_V_STR)
		return 0;
	id = v->s;
	if (silver_schema_split_id((const char *)id.p, id.n, &tw, &coll) != 0)
		return SILVER_ESCHEMA;
	rv = silver__record_load(t, &coll, &id, t->arena, &r, &found);
	if (rv != 0)
		return rv;
	if (!found || r.deleted) {
		why_set(why, f->key, found ? "refers to a deleted record" : "refers to a record that does not exist",
			arena_strndup(t->arena, id.p, id.n));
		return SILVER_ESCHEMA;
	}
	return 0;
}

/* The bases of a write: every current head of the field. */
static void bases_of(const silver_record *r, const char *field, silver_write *w, silver_arena *a)
{
	silver_slice name = zslice(field);
	w->bases = NULL;
	w->nbases = 0;
	for (uint32_t i = 0; i < r->nfields; i++) {
		const silver_fieldstate *f = &r->fields[i];
		if (f->field.n != name.n || memcmp(f->field.p, name.p, name.n) != 0)
			continue;
		w->bases = silver_arena_alloc(a, sizeof(silver_ref) * (f->nheads + 1));
		if (!w->bases)
			return;
		for (uint32_t j = 0; j < f->nheads && j < SILVER_MAX_BASES; j++)
			w->bases[w->nbases++] = f->heads[j].ref;
	}
}

static int write_cmp(const void *a, const void *b)
{
	const silver_write *x = a, *y = b;
	size_t n = x->field.n < y->field.n ? x->field.n : y->field.n;
	int c = memcmp(x->field.p, y->field.p, n);
	return c ? c : (x->field.n > y->field.n) - (x->field.n < y->field.n);
}

/* Parse kv into writes (sorted, one per field) plus "_del" = false. */
static int parse_writes(silver_arena *a, const silver_collection *c, const silver_record *r, const silver_kv *kv,
			uint32_t n, silver_write **out, uint32_t *nout, silver_why *why)
{
	silver_write *w = silver_arena_alloc(a, sizeof(*w) * (n + 1));
	char reason[200];
	int rv;

	if (!w)
		return SILVER_ENOMEM;
	if (n + 1 > SILVER_MAX_WRITES) {
		why_set(why, NULL, N_("too many fields in one change"), NULL);
		return SILVER_ESCHEMA;
	}
	for (uint32_t i = 0; i < n; i++) {
		const silver_field *f = silver_schema_field(c, kv[i].key, strlen(kv[i].key));
		if (!f) {
			why_set(why, kv[i].key, N_("no such field"), c->name);
			return SILVER_ESCHEMA;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (strcmp(kv[j].key, kv[i].key) == 0) {
				why_set(why, kv[i].key, N_("field given twice"), NULL);
				return SILVER_ESCHEMA;
			}
		}
		reason[0] = 0;
		rv = silver_schema_parse(f, kv[i].text, a, &w[i].value, reason, sizeof(reason));
		if (rv != 0) {
			why_set(why, kv[i].key, reason, kv[i].text);
			return rv;
		}
		if (f->required && w[i].value.type == SILVER_V_NIL) {
			why_set(why, kv[i].key, N_("is required and cannot be empty"), NULL);
			return SILVER_ESCHEMA;
		}
		w[i].field = zslice(f->key);
		if (r)
			bases_of(r, f->key, &w[i], a);
	}
	w[n].field = zslice("_del");
	w[n].value.type = SILVER_V_BOOL;
	w[n].value.i = 0;
	if (r)
		bases_of(r, "_del", &w[n], a);
	/* Insertion sort: a dozen writes, and qsort's set-up costs more. */
	for (uint32_t i = 1; i < n + 1; i++) {
		silver_write x = w[i];
		uint32_t j = i;
		for (; j > 0 && write_cmp(&w[j - 1], &x) > 0; j--)
			w[j] = w[j - 1];
		w[j] = x;
	}
	*out = w;
	*nout = n + 1;
	return 0;
}

static int emit(silver_wtxn *t, const char *township, const char *collection, const char *id, silver_write *w,
		uint32_t n, uint64_t hlc)
{
	silver_entry e;
	int rv;
	memset(&e, 0, sizeof(e));
	e.hlc = hlc;
	e.op.type = SILVER_OP_CHANGE;
	e.op.collection = zslice(collection);
	e.op.record = zslice(id);
	e.op.writes = w;
	e.op.nwrites = n;
	if (t->operator_name)
		e.op.operator_name = zslice(t->operator_name);
	rv = silver__append(t, township, &e);
	silver_arena_reset(t->arena);
	return rv;
}

/* Every reference among the writes must name a live record of the store. */
static int refs_check(silver_wtxn *t, const silver_collection *c, const silver_write *w, uint32_t nw,
		      silver_why *why)
{
	int rv;
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		size_t n;
		if (f->type != SILVER_F_REF)
			continue;
		n = strlen(f->key);
		for (uint32_t j = 0; j < nw; j++) {
			if (w[j].field.n != n || memcmp(w[j].field.p, f->key, n) != 0)
				continue;
			if ((rv = ref_check(t, f, &w[j].value, why)) == 0)
				break;
			if (why && !why->reason[0]) {
				char text[256];
				snprintf(text, sizeof(text), "%.*s", (int)w[j].value.s.n, (const char *)w[j].value.s.p);
				why_set(why, f->key, N_("not a record id"), text);
			}
			return rv;
		}
	}
	return 0;
}

int silver_draft_add(silver_arena *a, const char *collection, const silver_kv *kv, uint32_t n, silver_draft *out,
		     silver_why *why)
{
	const silver_collection *c = silver_schema_find(collection);
	int rv;

	if (why)
		memset(why, 0, sizeof(*why));
	memset(out, 0, sizeof(*out));
	if (!c) {
		why_set(why, NULL, N_("no such collection"), collection);
		return SILVER_ESCHEMA;
	}
	if ((rv = parse_writes(a, c, NULL, kv, n, &out->writes, &out->nwrites, why)) != 0)
		return rv;
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		int have = 0;
		if (!f->required)
			continue;
		for (uint32_t j = 0; j < out->nwrites; j++)
			if (out->writes[j].field.n == strlen(f->key) &&
			    memcmp(out->writes[j].field.p, f->key, out->writes[j].field.n) == 0 &&
			    out->writes[j].value.type != SILVER_V_NIL)
				have = 1;
		if (!have) {
			why_set(why, f->key, N_("is required"), NULL);
			return SILVER_ESCHEMA;
		}
	}
	out->collection = c;
	return 0;
}

static int add_draft_in(silver_wtxn *t, const char *township, const silver_draft *d, char id_out[SILVER_MAX_ID],
			silver_why *why)
{
	uint64_t hlc;
	int rv;

	if (why)
		memset(why, 0, sizeof(*why));
	if (!d->collection)
		return SILVER_EINVAL;
	if (!silver__may_write(t, township)) {
		if (strcmp(township, t->s->township) == 0)
			why_set(why, NULL, N_("this node's key has been revoked; it may not write"), township);
		else
			why_set(why, NULL, N_("this node may not write this township's records"), township);
		return SILVER_EDENIED;
	}
	if ((rv = refs_check(t, d->collection, d->writes, d->nwrites, why)) != 0) {
		silver_arena_reset(t->arena);
		return rv;
	}
	if ((hlc = silver_hlc_next(t->hlc, silver__now_ms())) == 0)
		return SILVER_ECLOCK; /* refused, never reused: equal stamps make equal ids */
	t->hlc = hlc;
	if ((rv = silver_schema_make_id(township, d->collection->name, hlc, t->s->self, id_out)) != 0)
		return rv;
	return emit(t, township, d->collection->name, id_out, d->writes, d->nwrites, hlc);
}

int silver_wtxn_add_draft(silver_wtxn *t, const silver_draft *d, char id_out[SILVER_MAX_ID], silver_why *why)
{
	return add_draft_in(t, t->s->township, d, id_out, why);
}

int silver_wtxn_add_in(silver_wtxn *t, const char *township, const char *collection, const silver_kv *kv, uint32_t n,
		       char id_out[SILVER_MAX_ID], silver_why *why)
{
	silver_draft d;
	int rv;

	if (!township || !silver_schema_township_ok(township))
		return SILVER_EINVAL;
	if ((rv = silver_draft_add(t->arena, collection, kv, n, &d, why)) != 0) {
		silver_arena_reset(t->arena);
		return rv;
	}
	return add_draft_in(t, township, &d, id_out, why);
}

int silver_wtxn_add(silver_wtxn *t, const char *collection, const silver_kv *kv, uint32_t n,
		    char id_out[SILVER_MAX_ID], silver_why *why)
{
	silver_draft d;
	int rv;

	if ((rv = silver_draft_add(t->arena, collection, kv, n, &d, why)) != 0) {
		silver_arena_reset(t->arena);
		return rv;
	}
	return silver_wtxn_add_draft(t, &d, id_out, why);
}

/* Load the record named by id, which must be live and ours to write. */
static int load_for_edit(silver_wtxn *t, const char *id, silver_record *r, const silver_collection **c,
			 char township[SILVER_MAX_NAME + 1], char collection[SILVER_MAX_NAME + 1], int allow_deleted,
			 silver_why *why)
{
	silver_slice tw, coll, ids = zslice(id);
	int found, rv;

	if (why)
		memset(why, 0, sizeof(*why));
	if (silver_schema_split_id(id, strlen(id), &tw, &coll) != 0) {
		why_set(why, NULL, N_("not a record id"), id);
		return SILVER_EINVAL;
	}
	memcpy(township, tw.p, tw.n);
	township[tw.n] = 0;
	memcpy(collection, coll.p, coll.n);
	collection[coll.n] = 0;
	*c = silver_schema_find(collection);
	if (!*c) {
		why_set(why, NULL, N_("no such collection"), collection);
		return SILVER_ENOTFOUND;
	}
	if (!silver__may_write(t, township)) {
		why_set(why, NULL, N_("this node may not write this township's records"), township);
		return SILVER_EDENIED;
	}
	if ((rv = silver__record_load(t, &coll, &ids, t->arena, r, &found)) != 0)
		return rv;
	if (!found) {
		why_set(why, NULL, N_("no such record"), id);
		return SILVER_ENOTFOUND;
	}
	if (r->deleted && !allow_deleted) {
		why_set(why, NULL, N_("the record has been deleted"), id);
		return SILVER_ENOTFOUND;
	}
	return 0;
}

int silver_wtxn_set(silver_wtxn *t, const char *id, const silver_kv *kv, uint32_t n, silver_why *why)
{
	const silver_collection *c;
	char tw[SILVER_MAX_NAME + 1], coll[SILVER_MAX_NAME + 1];
	silver_record r;
	silver_write *w;
	uint32_t nw;
	int rv;

	if ((rv = load_for_edit(t, id, &r, &c, tw, coll, 0, why)) != 0)
		goto out;
	if (n == 0) {
		why_set(why, NULL, N_("nothing to change: give field=value"), NULL);
		rv = SILVER_EINVAL;
		goto out;
	}
	if ((rv = parse_writes(t->arena, c, &r, kv, n, &w, &nw, why)) != 0 ||
	    (rv = refs_check(t, c, w, nw, why)) != 0)
		goto out;
	return emit(t, tw, coll, id, w, nw, 0);
out:
	silver_arena_reset(t->arena);
	return rv;
}

int silver_wtxn_delete(silver_wtxn *t, const char *id, silver_why *why)
{
	const silver_collection *c;
	char tw[SILVER_MAX_NAME + 1], coll[SILVER_MAX_NAME + 1];
	silver_record r;
	silver_write w;
	int rv;

	if ((rv = load_for_edit(t, id, &r, &c, tw, coll, 0, why)) != 0) {
		silver_arena_reset(t->arena);
		return rv;
	}
	memset(&w, 0, sizeof(w));
	w.field = zslice("_del");
	w.value.type = SILVER_V_BOOL;
	w.value.i = 1;
	bases_of(&r, "_del", &w, t->arena);
	return emit(t, tw, coll, id, &w, 1, 0);
}

int silver_wtxn_resolve(silver_wtxn *t, const char *id, const char *field, const char *text, uint32_t take,
			silver_why *why)
{
	const silver_collection *c;
	const silver_field *f = NULL;
	char tw[SILVER_MAX_NAME + 1], coll[SILVER_MAX_NAME + 1], reason[200];
	silver_record r;
	silver_write w;
	const silver_fieldstate *fs = NULL;
	int rv;

	if ((rv = load_for_edit(t, id, &r, &c, tw, coll, 1, why)) != 0)
		goto out;
	for (uint32_t i = 0; i < r.nfields; i++)
		if (r.fields[i].field.n == strlen(field) && memcmp(r.fields[i].field.p, field, r.fields[i].field.n) == 0)
			fs = &r.fields[i];
	if (strcmp(field, "_del") != 0 && !(f = silver_schema_field(c, field, strlen(field)))) {
		why_set(why, field, N_("no such field"), c->name);
		rv = SILVER_ESCHEMA;
		goto out;
	}
	if (!fs || fs->nheads == 0) {
		why_set(why, field, N_("the field has never been written"), id);
		rv = SILVER_ENOTFOUND;
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.field = zslice(f ? f->key : "_del");
	if (text) {
		if (!f) {
			why_set(why, field, N_("choose a contender with --take"), NULL);
			rv = SILVER_EINVAL;
			goto out;
		}
		reason[0] = 0;
		if ((rv = silver_schema_parse(f, text, t->arena, &w.value, reason, sizeof(reason))) != 0) {
			why_set(why, field, reason, text);
			goto out;
		}
		if (f->required && w.value.type == SILVER_V_NIL) {
			why_set(why, field, N_("is required and cannot be empty"), NULL);
			rv = SILVER_ESCHEMA;
			goto out;
		}
		if ((rv = ref_check(t, f, &w.value, why)) != 0)
			goto out;
	} else {
		if (take < 1 || take > fs->nheads) {
			char d[32];
			snprintf(d, sizeof(d), "1..%u", fs->nheads);
			why_set(why, field, N_("no contender with that number"), d);
			rv = SILVER_EINVAL;
			goto out;
		}
		w.value = fs->heads[take - 1].value;
	}
	bases_of(&r, f ? f->key : "_del", &w, t->arena);
	return emit(t, tw, coll, id, &w, 1, 0);
out:
	silver_arena_reset(t->arena);
	return rv;
}

/*
 * county.c - the county file (county.h), read with jansson.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "county.h"
#include "silver_i18n.h"
#include "silver_schema.h"

static void county_init(silver_county *c)
{
	memset(c, 0, sizeof(*c));
	c->stale_days = SILVER_COUNTY_STALE_DAYS;
}

void silver_county_free(silver_county *c)
{
	if (!c)
		return;
	if (c->county && *c->county)
		free(c->county);
	if (c->unit && *c->unit)
		free(c->unit);
	for (size_t i = 0; i < c->ntw; i++)
		if (c->tw[i].name && *c->tw[i].name)
			free(c->tw[i].name);
	free(c->tw);
	county_init(c);
	c->county = c->unit = "";
}

static int dup_text(json_t *v, char **out)
{
	const char *s = json_string_value(v);
	if (!s || !*s) {
		*out = "";
		return 0;
	}
	return (*out = strdup(s)) ? 0 : SILVER_ENOMEM;
}

int silver_county_load(const char *path, silver_county *c, char *err, size_t errn)
{
	json_error_t je;
	json_t *j, *v, *tws;
	size_t i;
	int rv = 0;

	county_init(c);
	c->county = c->unit = "";
	if (err && errn)
		*err = 0;
	if (!(j = json_load_file(path, JSON_REJECT_DUPLICATES, &je))) {
		FILE *f = fopen(path, "r");
		if (!f)
			return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
		fclose(f);
		if (err)
			snprintf(err, errn, "line %d: %s", je.line, je.text);
		return SILVER_EINVAL;
	}
#define BAD(...)                                          \
	do {                                              \
		if (err)                                  \
			snprintf(err, errn, __VA_ARGS__); \
		rv = SILVER_EINVAL;                       \
		goto out;                                 \
	} while (0)
	if (!json_is_object(j))
		BAD("not a JSON object");
	{
		const char *k;
		json_object_foreach(j, k, v)
		{
			if (strcmp(k, "county") && strcmp(k, "unit") && strcmp(k, "stale_days") &&
			    strcmp(k, "townships"))
				BAD("unknown key '%s'", k);
		}
	}
	if ((v = json_object_get(j, "county")) && !json_is_string(v))
		BAD("'county' must be a string");
	if ((v = json_object_get(j, "unit")) && !json_is_string(v))
		BAD("'unit' must be a string");
	if ((rv = dup_text(json_object_get(j, "county"), &c->county)) != 0 ||
	    (rv = dup_text(json_object_get(j, "unit"), &c->unit)) != 0)
		goto out;
	if ((v = json_object_get(j, "stale_days"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3650)
			BAD("'stale_days' must be a whole number of days from 1 to 3650");
		c->stale_days = (int)json_integer_value(v);
	}
	tws = json_object_get(j, "townships");
	if (tws && !json_is_array(tws))
		BAD("'townships' must be a list of {\"code\": ..., \"name\": ...}");
	if (tws && json_array_size(tws) > 0) {
		if (!(c->tw = calloc(json_array_size(tws), sizeof(*c->tw)))) {
			rv = SILVER_ENOMEM;
			goto out;
		}
		json_array_foreach(tws, i, v)
		{
			const char *code = json_string_value(json_object_get(v, "code"));
			json_t *name = json_object_get(v, "name");
			if (!json_is_object(v) || !code || !silver_schema_township_ok(code))
				BAD("townships[%zu]: 'code' must be a township code (1-32 of a-z, 0-9, _)",
				    i);
			if (name && !json_is_string(name))
				BAD("townships[%zu]: 'name' must be a string", i);
			if (json_object_size(v) > (name ? 2u : 1u))
				BAD("townships[%zu]: only 'code' and 'name' are known", i);
			if (silver_county_index(c, code) >= 0)
				BAD("townships[%zu]: '%s' is listed twice", i, code);
			snprintf(c->tw[c->ntw].code, sizeof(c->tw[c->ntw].code), "%s", code);
			if ((rv = dup_text(name, &c->tw[c->ntw].name)) != 0)
				goto out;
			c->ntw++;
		}
	}
#undef BAD
out:
	json_decref(j);
	if (rv != 0) {
		silver_county_free(c);
	}
	return rv;
}

int silver_county_index(const silver_county *c, const char *code)
{
	for (size_t i = 0; c && i < c->ntw; i++)
		if (strcmp(c->tw[i].code, code) == 0)
			return (int)i;
	return -1;
}

const char *silver_county_name(const silver_county *c, const char *code)
{
	int i = silver_county_index(c, code);
	const char *l;
	if (i >= 0 && *c->tw[i].name)
		return c->tw[i].name;
	l = silver_schema_township_label(code);
	return l ? dgettext(SILVER_TEXTDOMAIN, l) : code;
}

struct ages_ctx {
	silver_store *s;
	silver_arena *a;
	silver_feed_age *v;
	size_t n, cap;
	int rv;
};

static int one_age(const silver_feedinfo *f, void *ctx)
{
	struct ages_ctx *x = ctx;
	silver_feed_age *g;
	silver_ref ref;
	silver_entry e;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		silver_feed_age *p = realloc(x->v, cap * sizeof(*p));
		if (!p)
			return x->rv = SILVER_ENOMEM;
		x->v = p;
		x->cap = cap;
	}
	g = &x->v[x->n++];
	memset(g, 0, sizeof(*g));
	memcpy(g->author, f->author, SILVER_KEY_BYTES);
	snprintf(g->township, sizeof(g->township), "%s", f->township);
	g->seq = f->seq;
	if (f->seq == 0)
		return 0;
	memcpy(ref.feed, f->tag, SILVER_FEEDTAG_BYTES);
	ref.seq = f->seq;
	silver_arena_reset(x->a);
	if (silver_store_entry(x->s, &ref, x->a, &e) == 0)
		g->hlc = e.hlc;
	return 0;
}

int silver_feed_ages(silver_store *s, silver_feed_age **out, size_t *n)
{
	struct ages_ctx x;
	int rv;
	memset(&x, 0, sizeof(x));
	*out = NULL;
	*n = 0;
	x.s = s;
	if (!(x.a = silver_arena_new()))
		return SILVER_ENOMEM;
	rv = silver_store_feeds(s, one_age, &x);
	silver_arena_destroy(&x.a);
	if (rv == 0)
		rv = x.rv;
	if (rv != 0) {
		free(x.v);
		return rv;
	}
	*out = x.v;
	*n = x.n;
	return 0;
}

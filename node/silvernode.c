/*
 * silvernode.c - the node program: a command table in the manner of git.c.
 * Each command opens the node directory, does one thing, and turns any
 * refusal into one message and an exit code from docs/EXIT.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "county.h"
#include "import.h"
#include "silver_users.h"
#include "silver_store.h"

static const silver_cli_command commands[];

/* ---- helpers ------------------------------------------------------------------- */

static int open_store(silver_cli_opts *o, unsigned flags, silver_store **s)
{
	return silver_cli_open(o->dir, flags, s);
}

/* Split "key=value" arguments; the strings stay in argv. */
static int parse_kv(int argc, char **argv, silver_kv *kv)
{
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			silver_cli_error(_("expected field=value, got '%s'"), argv[i]);
			return -1;
		}
		*eq = 0;
		kv[i].key = argv[i];
		kv[i].text = eq + 1;
	}
	return 0;
}

static const silver_field *field_of(const silver_record *r, const silver_fieldstate *fs)
{
	char coll[SILVER_MAX_NAME + 1];
	const silver_collection *c;
	size_t n = r->collection.n < SILVER_MAX_NAME ? r->collection.n : SILVER_MAX_NAME;
	memcpy(coll, r->collection.p, n);
	coll[n] = 0;
	c = silver_schema_find(coll);
	return c ? silver_schema_field(c, (const char *)fs->field.p, fs->field.n) : NULL;
}

static void author_short(const uint8_t *key, char out[17])
{
	silver_hex(key, 8, out);
}

/* ---- init, id ------------------------------------------------------------------- */

/* Does dir hold a node's files? */
static int has_node(const char *dir)
{
	static const char *const files[] = {"data.mdb", "identity.key"};
	for (size_t i = 0; i < 2; i++) {
		char *p;
		int found;
		if (asprintf(&p, "%s/%s", dir, files[i]) < 0)
			return 0;
		found = access(p, F_OK) == 0;
		free(p);
		if (found)
			return 1;
	}
	return 0;
}

/* Make the node (silver_store_create_pinned: whole or not at all) and say
 * why not in words that tell the office what to do. */
static int create_node(silver_cli_opts *o, const char *cmd, const char *township, const char *name,
		       const uint8_t *admin)
{
	struct stat st;
	char *partial;
	int rv;

	if (*name && silver_label_check((const uint8_t *)name, strlen(name)) != 0) {
		silver_cli_error(_("%s: --name must be text of at most 128 bytes (UTF-8) without control characters, "
				   "line breaks or direction marks"),
				 cmd);
		return SILVER_EXIT_INPUT;
	}
	silver_cli_guard_store(o->dir);
	rv = silver_store_create_pinned(o->dir, township, name, admin);
	if (rv == 0)
		return 0;
	if (rv != SILVER_EEXIST) {
		char context[64];
		snprintf(context, sizeof(context), "%s: ", cmd);
		return silver_cli_fail(rv, NULL, context);
	}
	if (asprintf(&partial, "%s%s", o->dir, SILVER_PARTIAL_SUFFIX) < 0)
		return SILVER_EXIT_INTERNAL;
	if (stat(partial, &st) == 0)
		silver_cli_error(_("%s: %s was left by an init that did not finish (the computer stopped or the disk "
				   "was full); nothing in it was ever used: remove it and run init again"),
				 cmd, partial);
	else if (has_node(o->dir))
		silver_cli_error(_("%s: %s already holds a node; nothing was changed"), cmd, o->dir);
	else
		silver_cli_error(_("%s: %s exists and is not an empty directory; give a new or empty directory"), cmd,
				 o->dir);
	free(partial);
	return SILVER_EXIT_INPUT;
}

static int cmd_init(silver_cli_opts *o)
{
	const char *township = NULL, *name = "", *admin = NULL;
	uint8_t admin_key[SILVER_KEY_BYTES];
	silver_store *s;
	char hex[2 * SILVER_KEY_BYTES + 1];
	int rv;

	for (int i = 0; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--township") == 0 && i + 1 < o->argc)
			township = o->argv[++i];
		else if (strcmp(o->argv[i], "--admin") == 0 && i + 1 < o->argc)
			admin = o->argv[++i];
		else if (strcmp(o->argv[i], "--name") == 0 && i + 1 < o->argc)
			name = o->argv[++i];
		else {
			silver_cli_error(_("init: unexpected argument '%s'"), o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	if (!township) {
		silver_cli_error(_("init: --township CODE is required (e.g. longhu)"));
		return SILVER_EXIT_USAGE;
	}
	if (!silver_township_ok(township)) {
		silver_cli_error(_("init: '%s' is not a township code (1-32 of a-z, 0-9 and _, not starting with _)"), township);
		return SILVER_EXIT_INPUT;
	}
	if (admin && silver_unhex(admin, admin_key, SILVER_KEY_BYTES) != 0) {
		silver_cli_error(_("init: --admin needs the county admin's public key, 64 hex digits"));
		return SILVER_EXIT_INPUT;
	}
	if ((rv = create_node(o, "init", township, name, admin ? admin_key : NULL)) != 0)
		return rv;
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	silver_hex(silver_store_self(s), SILVER_KEY_BYTES, hex);
	printf(_("Node created in %s for township %s.\n"), o->dir, township);
	if (!admin)
		printf(_("No county admin key pinned (--admin): this node accepts entries from any key. Use that "
			 "only for trials.\n"));
	printf(_("Public key: %s\n"), hex);
	printf(_("Join request (give this line to the county admin): silversync-join %s %s %s\n"), hex, township,
	       *name ? name : township);
	silver_store_close(&s);
	return 0;
}

static int cmd_id(silver_cli_opts *o)
{
	silver_store *s;
	char hex[2 * SILVER_KEY_BYTES + 1], ahex[2 * SILVER_KEY_BYTES + 1] = "";
	uint8_t admin[SILVER_KEY_BYTES];
	int rv;
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	silver_hex(silver_store_self(s), SILVER_KEY_BYTES, hex);
	if (silver_store_admin(s, admin) == 0)
		silver_hex(admin, SILVER_KEY_BYTES, ahex);
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:o}", "key", hex, "township", silver_store_township(s), "name",
				      silver_store_name(s), "admin", *ahex ? json_string(ahex) : json_null());
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		printf(_("Public key: %s\n"), hex);
		printf(_("Township:   %s\n"), silver_store_township(s));
		printf(_("Name:       %s\n"), silver_store_name(s));
		if (*ahex)
			printf(_("County admin key: %s\n"), ahex);
		else
			printf(_("County admin key: none pinned (this node accepts entries from any key)\n"));
	}
	silver_store_close(&s);
	return 0;
}

/* ---- add, set, delete, resolve ------------------------------------------------------ */

struct change_ctx {
	const char *collection;
	const char *id;
	const char *field;
	const char *text;
	uint32_t take;
	silver_kv *kv;
	uint32_t n;
	char newid[SILVER_MAX_ID];
	silver_why why;
	int kind; /* 0 add, 1 set, 2 delete, 3 resolve */
};

static int do_change(silver_wtxn *t, void *vctx)
{
	struct change_ctx *c = vctx;
	switch (c->kind) {
	case 0:
		return silver_wtxn_add(t, c->collection, c->kv, c->n, c->newid, &c->why);
	case 1:
		return silver_wtxn_set(t, c->id, c->kv, c->n, &c->why);
	case 2:
		return silver_wtxn_delete(t, c->id, &c->why);
	default:
		return silver_wtxn_resolve(t, c->id, c->field, c->text, c->take, &c->why);
	}
}

static int run_change(silver_cli_opts *o, struct change_ctx *c, const char *what)
{
	silver_store *s;
	int rv = open_store(o, 0, &s);
	if (rv != 0)
		return rv;
	memset(&c->why, 0, sizeof(c->why));
	rv = silver_store_write(s, do_change, c);
	silver_store_close(&s);
	if (rv != 0)
		return silver_cli_fail(rv, &c->why, what);
	return 0;
}

static int cmd_add(silver_cli_opts *o)
{
	struct change_ctx c;
	silver_kv kv[SILVER_MAX_WRITES];
	int rv;

	memset(&c, 0, sizeof(c));
	if (o->argc < 1) {
		silver_cli_error(_("add: which collection? e.g. silvernode add retiree name=... (see --help)"));
		return SILVER_EXIT_USAGE;
	}
	if (o->argc - 1 >= SILVER_MAX_WRITES) {
		silver_cli_error(_("add: too many fields"));
		return SILVER_EXIT_USAGE;
	}
	if (parse_kv(o->argc - 1, o->argv + 1, kv) != 0)
		return SILVER_EXIT_USAGE;
	c.kind = 0;
	c.collection = o->argv[0];
	c.kv = kv;
	c.n = (uint32_t)(o->argc - 1);
	if ((rv = run_change(o, &c, _("add: "))) != 0)
		return rv;
	printf("%s\n", c.newid);
	return 0;
}

static int cmd_set(silver_cli_opts *o)
{
	struct change_ctx c;
	silver_kv kv[SILVER_MAX_WRITES];

	memset(&c, 0, sizeof(c));
	if (o->argc < 2) {
		silver_cli_error(_("set: give a record id and at least one field=value"));
		return SILVER_EXIT_USAGE;
	}
	if (o->argc - 1 >= SILVER_MAX_WRITES) {
		silver_cli_error(_("set: too many fields"));
		return SILVER_EXIT_USAGE;
	}
	if (parse_kv(o->argc - 1, o->argv + 1, kv) != 0)
		return SILVER_EXIT_USAGE;
	c.kind = 1;
	c.id = o->argv[0];
	c.kv = kv;
	c.n = (uint32_t)(o->argc - 1);
	return run_change(o, &c, _("set: "));
}

/* ---- transfer: a retiree moves to another township ------------------------------------------
 * One signed write by a node whose key may write both townships (the hub):
 * a new record in the new township's feed with the person's current fields
 * and transferred_from = the old id, and on the old record transferred_to =
 * the new id.  The old record keeps its history; the statistics count only
 * the new one (node/stats.c); docs/OPERATIONS.md, section 13. */


struct transfer_ctx {
	const char *old_id, *to;
	silver_kv kv[SILVER_MAX_WRITES];
	char *text[SILVER_MAX_WRITES];
	uint32_t n;
	char new_id[SILVER_MAX_ID];
	silver_why why;
};

static int do_transfer(silver_wtxn *t, void *vctx)
{
	struct transfer_ctx *x = vctx;
	silver_kv mark = {"transferred_to", x->new_id};
	int rv = silver_wtxn_add_in(t, x->to, "retiree", x->kv, x->n, x->new_id, &x->why);
	if (rv != 0)
		return rv;
	return silver_wtxn_set(t, x->old_id, &mark, 1, &x->why);
}

static int cmd_transfer(silver_cli_opts *o)
{
	struct transfer_ctx x;
	const silver_collection *c = silver_schema_find("retiree");
	silver_store *s;
	silver_arena *a;
	silver_record r;
	silver_buf tmp;
	int rv;

	memset(&x, 0, sizeof(x));
	if (o->argc != 3 || strcmp(o->argv[1], "--to") != 0) {
		silver_cli_error(_("transfer: usage: silvernode transfer RETIREE-ID --to TOWNSHIP"));
		return SILVER_EXIT_USAGE;
	}
	x.old_id = o->argv[0];
	x.to = o->argv[2];
	if (!silver_schema_township_ok(x.to)) {
		silver_cli_error(_("'%s' is not a township code (1-32 of a-z, 0-9, _)"), x.to);
		return SILVER_EXIT_INPUT;
	}
	if ((rv = open_store(o, 0, &s)) != 0)
		return rv;
	if (!(a = silver_arena_new())) {
		silver_store_close(&s);
		return SILVER_EXIT_INTERNAL;
	}
	silver_buf_init(&tmp);
	rv = silver_store_get(s, x.old_id, a, &r);
	if (rv == SILVER_ENOTFOUND || (rv == 0 && r.deleted)) {
		silver_cli_error(_("transfer: no record %s on this node"), x.old_id);
		rv = SILVER_EXIT_NOTFOUND;
		goto out;
	} else if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("transfer: "));
		goto out;
	}
	if (r.collection.n != 7 || memcmp(r.collection.p, "retiree", 7) != 0) {
		silver_cli_error(_("transfer: %s is not a retiree"), x.old_id);
		rv = SILVER_EXIT_INPUT;
		goto out;
	}
	{
		size_t n = strlen(x.to);
		if (strncmp(x.old_id, x.to, n) == 0 && x.old_id[n] == '/') {
			silver_cli_error(_("transfer: %s already belongs to %s"), x.old_id, x.to);
			rv = SILVER_EXIT_INPUT;
			goto out;
		}
	}
	for (uint32_t i = 0; i < c->nfields && rv == 0; i++) {
		const silver_field *f = &c->fields[i];
		const silver_fieldstate *fs = silver_record_field(&r, f->key);
		const silver_value *v = fs ? &fs->heads[fs->winner].value : NULL;
		if (fs && fs->conflict) {
			silver_cli_error(_("transfer: field %s of %s is in conflict; settle it first (silvernode conflicts)"),
					 f->key, x.old_id);
			rv = SILVER_EXIT_INPUT;
			break;
		}
		if (!v || v->type == SILVER_V_NIL)
			continue;
		if (strcmp(f->key, "transferred_to") == 0) {
			silver_cli_error(_("transfer: %s has already moved (to %s)"), x.old_id,
					 v->type == SILVER_V_STR ? (silver_cli_value(f, v, &tmp), (const char *)tmp.data) : "?");
			rv = SILVER_EXIT_INPUT;
			break;
		}
		/* the party branch is one of the old township's; the new office sets its own */
		if (strcmp(f->key, "branch") == 0 || strcmp(f->key, "transferred_from") == 0)
			continue;
		silver_cli_value(f, v, &tmp);
		if (!(x.text[x.n] = strdup((const char *)tmp.data))) {
			rv = SILVER_EXIT_INTERNAL;
			break;
		}
		x.kv[x.n].key = f->key;
		x.kv[x.n].text = x.text[x.n];
		x.n++;
	}
	if (rv != 0)
		goto out;
	x.kv[x.n].key = "transferred_from";
	x.kv[x.n++].text = x.old_id;
	rv = silver_store_write(s, do_transfer, &x);
	if (rv != 0) {
		rv = silver_cli_fail(rv, &x.why, _("transfer: "));
		goto out;
	}
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s}", "old", x.old_id, "new", x.new_id, "township", x.to);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		printf(_("Moved %s to %s as %s. The old record keeps its history and counts no more; the offices of "
			 "both townships receive the change with their next sync or bundle.\n"),
		       x.old_id, silver_county_name(NULL, x.to), x.new_id);
		printf("%s\n", x.new_id);
	}
out:
	for (uint32_t i = 0; i < x.n; i++)
		if (x.kv[i].text == x.text[i])
			free(x.text[i]);
	silver_buf_release(&tmp);
	silver_arena_destroy(&a);
	silver_store_close(&s);
	return rv;
}

static int cmd_delete(silver_cli_opts *o)
{
	struct change_ctx c;
	memset(&c, 0, sizeof(c));
	if (o->argc != 1) {
		silver_cli_error(_("delete: give exactly one record id"));
		return SILVER_EXIT_USAGE;
	}
	c.kind = 2;
	c.id = o->argv[0];
	return run_change(o, &c, _("delete: "));
}

static int cmd_resolve(silver_cli_opts *o)
{
	struct change_ctx c;
	int rv;
	memset(&c, 0, sizeof(c));
	if (o->argc != 4 || (strcmp(o->argv[2], "--take") != 0 && strcmp(o->argv[2], "--value") != 0)) {
		silver_cli_error(_("resolve: usage: silvernode resolve ID FIELD (--take N | --value V)"));
		return SILVER_EXIT_USAGE;
	}
	c.kind = 3;
	c.id = o->argv[0];
	c.field = o->argv[1];
	if (strcmp(o->argv[2], "--take") == 0) {
		char *end;
		unsigned long n = strtoul(o->argv[3], &end, 10);
		if (*end || n < 1 || n > 1000) {
			silver_cli_error(_("resolve: --take needs a contender number from 'silvernode conflicts'"));
			return SILVER_EXIT_USAGE;
		}
		c.take = (uint32_t)n;
	} else {
		c.text = o->argv[3];
	}
	if ((rv = run_change(o, &c, _("resolve: "))) == 0)
		printf(_("Resolved: %s %s is settled on this node; other nodes follow when they receive it.\n"), c.id,
		       c.field);
	return rv;
}

/* ---- show, list ------------------------------------------------------------------------ */

static json_t *value_json(const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	switch (v->type) {
	case SILVER_V_NIL:
		return json_null();
	case SILVER_V_BOOL:
		return json_boolean(v->i);
	case SILVER_V_INT:
		if (f && f->type == SILVER_F_MONEY) {
			silver_cli_value(f, v, tmp);
			return json_string((const char *)tmp->data);
		}
		return json_integer(v->i);
	case SILVER_V_LIST: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < v->n; i++)
			json_array_append_new(a, json_stringn((const char *)v->items[i].p, v->items[i].n));
		return a;
	}
	default:
		return json_stringn((const char *)v->s.p, v->s.n);
	}
}

static json_t *record_json(const silver_record *r, silver_buf *tmp)
{
	json_t *j = json_object(), *fields = json_object(), *conf = json_array();
	json_object_set_new(j, "id", json_stringn((const char *)r->id.p, r->id.n));
	json_object_set_new(j, "collection", json_stringn((const char *)r->collection.p, r->collection.n));
	json_object_set_new(j, "deleted", json_boolean(r->deleted));
	for (uint32_t i = 0; i < r->nfields; i++) {
		const silver_fieldstate *fs = &r->fields[i];
		const silver_field *f = field_of(r, fs);
		char name[SILVER_MAX_NAME + 1];
		if (!fs->nheads)
			continue;
		memcpy(name, fs->field.p, fs->field.n);
		name[fs->field.n] = 0;
		if (fs->conflict)
			json_array_append_new(conf, json_string(name));
		if (name[0] == '_' || fs->heads[fs->winner].value.type == SILVER_V_NIL)
			continue;
		json_object_set_new(fields, name, value_json(f, &fs->heads[fs->winner].value, tmp));
	}
	json_object_set_new(j, "fields", fields);
	json_object_set_new(j, "conflicts", conf);
	return j;
}

static void print_value_text(const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	silver_cli_value(f, v, tmp);
	fputs((const char *)tmp->data, stdout);
	if (f && f->type == SILVER_F_ENUM && v->type == SILVER_V_STR) {
		const char *l = silver_schema_enum_label(f, v->s.p, v->s.n);
		if (l)
			printf(" (%s)", _(l));
	}
	if (f && f->type == SILVER_F_SET && v->type == SILVER_V_LIST && v->n) {
		/* the keys as typed, then what they mean in the user's language */
		fputs(" (", stdout);
		for (uint32_t i = 0; i < v->n; i++) {
			const char *l = silver_schema_enum_label(f, v->items[i].p, v->items[i].n);
			printf("%s%s", i ? _(", ") : "", l ? _(l) : "?");
		}
		fputs(")", stdout);
	}
}

/* A value in words, for list and history: a choice or a set by what it
 * means in the user's language (not its key), anything else as typed. */
static void print_value_words(const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	if (v->type == SILVER_V_NIL) {
		fputs(_("(empty)"), stdout);
		return;
	}
	if (f && f->type == SILVER_F_ENUM && v->type == SILVER_V_STR) {
		const char *l = silver_schema_enum_label(f, v->s.p, v->s.n);
		if (l) {
			fputs(_(l), stdout);
			return;
		}
	}
	if (f && f->type == SILVER_F_SET && v->type == SILVER_V_LIST && v->n) {
		for (uint32_t i = 0; i < v->n; i++) {
			const char *l = silver_schema_enum_label(f, v->items[i].p, v->items[i].n);
			if (i)
				fputs(_(", "), stdout);
			if (l)
				fputs(_(l), stdout);
			else
				printf("%.*s", (int)v->items[i].n, (const char *)v->items[i].p);
		}
		return;
	}
	silver_cli_value(f, v, tmp);
	fputs((const char *)tmp->data, stdout);
}

static int cmd_show(silver_cli_opts *o)
{
	silver_store *s;
	silver_arena *a;
	silver_record r;
	silver_buf tmp;
	int rv;

	if (o->argc != 1) {
		silver_cli_error(_("show: give exactly one record id"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	a = silver_arena_new();
	silver_buf_init(&tmp);
	rv = a ? silver_store_get(s, o->argv[0], a, &r) : SILVER_ENOMEM;
	if (rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL) {
		silver_cli_error(rv == SILVER_EINVAL ? _("show: '%s' is not a record id")
						     : _("show: no record %s in this node"),
				 o->argv[0]);
		rv = rv == SILVER_EINVAL ? SILVER_EXIT_INPUT : SILVER_EXIT_NOTFOUND;
	} else if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("show: "));
	} else if (o->json) {
		json_t *j = record_json(&r, &tmp);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		const silver_collection *c;
		char coll[SILVER_MAX_NAME + 1];
		memcpy(coll, r.collection.p, r.collection.n);
		coll[r.collection.n] = 0;
		c = silver_schema_find(coll);
		printf("%s  %s%s\n", o->argv[0], c ? _(c->label) : coll, r.deleted ? _("  [deleted]") : "");
		for (uint32_t i = 0; c && i < c->nfields; i++) {
			const silver_field *f = &c->fields[i];
			const silver_fieldstate *fs = NULL;
			for (uint32_t k = 0; k < r.nfields; k++)
				if (r.fields[k].field.n == strlen(f->key) &&
				    memcmp(r.fields[k].field.p, f->key, r.fields[k].field.n) == 0)
					fs = &r.fields[k];
			if (!fs || !fs->nheads || fs->heads[fs->winner].value.type == SILVER_V_NIL)
				continue;
			printf("  ");
			silver_cli_pad(stdout, _(f->label), 22);
			print_value_text(f, &fs->heads[fs->winner].value, &tmp);
			if (fs->conflict)
				printf(_("   ! conflict: %u values, see 'silvernode conflicts'"), fs->nheads);
			putchar('\n');
		}
		for (uint32_t k = 0; k < r.nfields; k++)
			if (r.fields[k].conflict && r.fields[k].field.n == 4 && memcmp(r.fields[k].field.p, "_del", 4) == 0)
				printf(_("  ! conflict: deleted on one node, edited on another; see 'silvernode conflicts'\n"));
	}
	silver_buf_release(&tmp);
	silver_arena_destroy(&a);
	silver_store_close(&s);
	return rv;
}

struct list_ctx {
	const silver_collection *c;
	silver_kv *filter;
	silver_value *want;
	uint32_t nfilter;
	json_t *arr;
	silver_buf tmp;
	unsigned long count;
	int all;
	const char *township; /* --township: only records created in it (id "T/...") */
};


static int list_one(const silver_record *r, void *vctx)
{
	struct list_ctx *l = vctx;
	int shown = 0;
	if (r->deleted && !l->all)
		return 0;
	if (l->township) {
		size_t n = strlen(l->township);
		if (r->id.n <= n || memcmp(r->id.p, l->township, n) != 0 || r->id.p[n] != '/')
			return 0;
	}
	for (uint32_t i = 0; i < l->nfilter; i++) {
		const silver_fieldstate *fs = silver_record_field(r, l->filter[i].key);
		const silver_value *v = fs ? &fs->heads[fs->winner].value : NULL;
		if (l->want[i].type == SILVER_V_NIL ? (v && v->type != SILVER_V_NIL)
						    : (!v || !silver_value_equal(v, &l->want[i])))
			return 0;
	}
	l->count++;
	if (l->arr) {
		json_array_append_new(l->arr, record_json(r, &l->tmp));
		return 0;
	}
	fwrite(r->id.p, 1, r->id.n, stdout);
	for (uint32_t i = 0; i < l->c->nfields && shown < 5; i++) {
		const silver_field *f = &l->c->fields[i];
		const silver_fieldstate *fs = silver_record_field(r, f->key);
		if (!fs || fs->heads[fs->winner].value.type == SILVER_V_NIL)
			continue;
		if (f->type == SILVER_F_TEXT && strcmp(f->key, "name") && strcmp(f->key, "person") &&
		    strcmp(f->key, "topic"))
			continue;
		printf("  %s ", _(f->label));
		print_value_words(f, &fs->heads[fs->winner].value, &l->tmp);
		if (fs->conflict)
			putchar('!');
		shown++;
	}
	{
		const silver_fieldstate *moved = silver_record_field(r, "transferred_to");
		if (moved && moved->heads[moved->winner].value.type == SILVER_V_STR) {
			const silver_value *mv = &moved->heads[moved->winner].value;
			char tw[SILVER_MAX_NAME + 1];
			size_t k = 0;
			while (k < mv->s.n && k < SILVER_MAX_NAME && mv->s.p[k] != '/') {
				tw[k] = (char)mv->s.p[k];
				k++;
			}
			tw[k] = 0;
			printf(_("  [moved to %s]"), silver_county_name(NULL, tw));
		}
	}
	if (r->deleted)
		printf(_("  [deleted]"));
	putchar('\n');
	return 0;
}

static int cmd_list(silver_cli_opts *o)
{
	struct list_ctx l;
	silver_store *s;
	silver_kv kv[SILVER_MAX_WRITES];
	silver_value want[SILVER_MAX_WRITES];
	silver_arena *a;
	int rv, nargs = 0;
	char *args[SILVER_MAX_WRITES];

	memset(&l, 0, sizeof(l));
	if (o->argc < 1) {
		silver_cli_error(_("list: which collection? e.g. silvernode list retiree"));
		return SILVER_EXIT_USAGE;
	}
	l.c = silver_schema_find(o->argv[0]);
	if (!l.c) {
		silver_cli_error(_("list: no collection '%s'"), o->argv[0]);
		return SILVER_EXIT_INPUT;
	}
	for (int i = 1; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--all") == 0) {
			l.all = 1;
		} else if (strcmp(o->argv[i], "--township") == 0) {
			if (i + 1 >= o->argc || !silver_schema_township_ok(o->argv[i + 1])) {
				silver_cli_error(_("list: --township needs a township code (1-32 of a-z, 0-9, _)"));
				return SILVER_EXIT_USAGE;
			}
			l.township = o->argv[++i];
		} else if (nargs < SILVER_MAX_WRITES - 1)
			args[nargs++] = o->argv[i];
	}
	if (parse_kv(nargs, args, kv) != 0)
		return SILVER_EXIT_USAGE;
	a = silver_arena_new();
	if (!a)
		return SILVER_EXIT_INTERNAL;
	for (int i = 0; i < nargs; i++) {
		const silver_field *f = silver_schema_field(l.c, kv[i].key, strlen(kv[i].key));
		char why[200] = "";
		if (!f) {
			silver_cli_error(_("list: %s has no field '%s'"), l.c->name, kv[i].key);
			silver_arena_destroy(&a);
			return SILVER_EXIT_INPUT;
		}
		if (silver_schema_parse(f, kv[i].text, a, &want[i], why, sizeof(why)) != 0) {
			char rbuf[512];
			silver_cli_error(_("list: field %s: %s (%s)"), kv[i].key, silver_cli_reason(why, rbuf, sizeof(rbuf)),
					 kv[i].text);
			silver_arena_destroy(&a);
			return SILVER_EXIT_INPUT;
		}
	}
	l.filter = kv;
	l.want = want;
	l.nfilter = (uint32_t)nargs;
	silver_buf_init(&l.tmp);
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0) {
		silver_arena_destroy(&a);
		return rv;
	}
	if (o->json)
		l.arr = json_array();
	rv = silver_store_list(s, l.c->name, list_one, &l);
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("list: "));
	} else if (l.arr) {
		json_dumpf(l.arr, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else if (isatty(1)) {
		fprintf(stderr, P_("%lu record\n", "%lu records\n", l.count), l.count);
	}
	json_decref(l.arr);
	silver_buf_release(&l.tmp);
	silver_arena_destroy(&a);
	silver_store_close(&s);
	return rv;
}

/* ---- history, log ------------------------------------------------------------------------ */

struct hist_ctx {
	silver_store *s;
	json_t *arr;
	silver_arena *a;
	silver_buf tmp;
	const silver_collection *c;
};

/* The value a base entry wrote to field. */
static int base_value(struct hist_ctx *h, const silver_ref *ref, const silver_slice *field, silver_value *out)
{
	silver_entry e;
	if (silver_store_entry(h->s, ref, h->a, &e) != 0)
		return -1;
	for (uint32_t i = 0; i < e.op.nwrites; i++) {
		if (e.op.writes[i].field.n == field->n && memcmp(e.op.writes[i].field.p, field->p, field->n) == 0) {
			*out = e.op.writes[i].value;
			return 0;
		}
	}
	return -1;
}

/* The account the entry names as its operator (docs/FORMAT.md section 6),
 * or null: a change made on the command line, or before entries carried one. */
static json_t *operator_json(const silver_entry *e)
{
	if (!e->op.operator_name.n)
		return json_null();
	return json_stringn((const char *)e->op.operator_name.p, e->op.operator_name.n);
}

static int hist_one(const silver_entry *e, void *vctx)
{
	struct hist_ctx *h = vctx;
	char when[40], who[17], tw[SILVER_MAX_NAME + 1];
	json_t *je = NULL, *jw = NULL;

	silver_arena_reset(h->a);
	author_short(e->author, who);
	memcpy(tw, e->township.p, e->township.n);
	tw[e->township.n] = 0;
	if (h->arr) {
		char full[2 * SILVER_KEY_BYTES + 1];
		silver_hex(e->author, SILVER_KEY_BYTES, full);
		silver_cli_time_utc(e->hlc, when);
		je = json_pack("{s:s,s:s,s:I,s:s,s:I}", "author", full, "township", tw, "seq", (json_int_t)e->seq,
			       "time", when, "hlc", (json_int_t)e->hlc);
		json_object_set_new(je, "operator", operator_json(e));
		jw = json_array();
	} else {
		silver_cli_time(e->hlc, when);
		if (e->op.operator_name.n)
			printf(_("%s  by %s (%s), operator %.*s, entry %llu\n"), when, who,
			       silver_county_name(NULL, tw), (int)e->op.operator_name.n,
			       (const char *)e->op.operator_name.p, (unsigned long long)e->seq);
		else
			printf(_("%s  by %s (%s) entry %llu\n"), when, who, silver_county_name(NULL, tw),
			       (unsigned long long)e->seq);
	}
	for (uint32_t i = 0; i < e->op.nwrites; i++) {
		const silver_write *w = &e->op.writes[i];
		const silver_field *f = h->c ? silver_schema_field(h->c, (const char *)w->field.p, w->field.n) : NULL;
		int is_del = w->field.n == 4 && memcmp(w->field.p, "_del", 4) == 0;
		json_t *old = json_array();
		if (is_del && !w->value.i && w->nbases == 0) {
			if (!h->arr)
				printf(_("    created\n"));
			json_decref(old);
			continue;
		}
		if (is_del && !w->value.i) {
			json_decref(old);
			continue;
		}
		if (!h->arr)
			printf("    %s: ", is_del ? _("record") : (f ? _(f->label) : "?"));
		for (uint32_t j = 0; j < w->nbases; j++) {
			silver_value ov;
			if (base_value(h, &w->bases[j], &w->field, &ov) != 0)
				continue;
			if (h->arr) {
				json_array_append_new(old, value_json(f, &ov, &h->tmp));
			} else {
				if (j)
					fputs(" | ", stdout);
				print_value_words(f, &ov, &h->tmp);
			}
		}
		if (h->arr) {
			char name[SILVER_MAX_NAME + 1];
			memcpy(name, w->field.p, w->field.n);
			name[w->field.n] = 0;
			json_array_append_new(jw, json_pack("{s:s,s:o,s:o}", "field", name, "old", old, "new",
							    value_json(f, &w->value, &h->tmp)));
		} else {
			json_decref(old);
			if (w->nbases)
				fputs(" -> ", stdout);
			print_value_words(f, &w->value, &h->tmp);
			putchar('\n');
		}
	}
	if (h->arr) {
		json_object_set_new(je, "writes", jw);
		json_array_append_new(h->arr, je);
	}
	return 0;
}

static int cmd_history(silver_cli_opts *o)
{
	struct hist_ctx h;
	silver_slice tw, coll;
	char cname[SILVER_MAX_NAME + 1];
	int rv;

	memset(&h, 0, sizeof(h));
	if (o->argc != 1) {
		silver_cli_error(_("history: give exactly one record id"));
		return SILVER_EXIT_USAGE;
	}
	if (silver_schema_split_id(o->argv[0], strlen(o->argv[0]), &tw, &coll) != 0) {
		silver_cli_error(_("history: '%s' is not a record id"), o->argv[0]);
		return SILVER_EXIT_INPUT;
	}
	memcpy(cname, coll.p, coll.n);
	cname[coll.n] = 0;
	h.c = silver_schema_find(cname);
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &h.s)) != 0)
		return rv;
	h.a = silver_arena_new();
	silver_buf_init(&h.tmp);
	if (o->json)
		h.arr = json_array();
	rv = h.a ? silver_store_history(h.s, o->argv[0], hist_one, &h) : SILVER_ENOMEM;
	if (rv == SILVER_ENOTFOUND) {
		silver_cli_error(_("history: no record %s in this node"), o->argv[0]);
		rv = SILVER_EXIT_NOTFOUND;
	} else if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("history: "));
	} else if (h.arr) {
		json_dumpf(h.arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(h.arr);
	silver_buf_release(&h.tmp);
	silver_arena_destroy(&h.a);
	silver_store_close(&h.s);
	return rv;
}

struct log_ctx {
	json_t *arr;
	char want[SILVER_MAX_NAME + 1];
};

static int log_one(const silver_entry *e, void *vctx)
{
	struct log_ctx *l = vctx;
	char when[40], who[17], tw[SILVER_MAX_NAME + 1], hash[2 * SILVER_HASH_BYTES + 1];
	const char *kind = e->op.type == SILVER_OP_CHANGE ? "change" : e->op.type == SILVER_OP_CERT ? "cert" : "revoke";

	memcpy(tw, e->township.p, e->township.n);
	tw[e->township.n] = 0;
	silver_hex(e->hash, SILVER_HASH_BYTES, hash);
	if (l->arr) {
		char full[2 * SILVER_KEY_BYTES + 1], rec[SILVER_MAX_ID + 1];
		json_t *fields = json_array();
		silver_hex(e->author, SILVER_KEY_BYTES, full);
		silver_cli_time_utc(e->hlc, when);
		if (e->op.record.n)
			memcpy(rec, e->op.record.p, e->op.record.n);
		rec[e->op.record.n] = 0;
		for (uint32_t i = 0; i < e->op.nwrites; i++)
			json_array_append_new(fields, json_stringn((const char *)e->op.writes[i].field.p,
								    e->op.writes[i].field.n));
		json_array_append_new(
			l->arr, json_pack("{s:s,s:s,s:I,s:s,s:I,s:s,s:b,s:s,s:s,s:o,s:o}", "author", full,
					  "township", tw, "seq", (json_int_t)e->seq, "time", when, "hlc",
					  (json_int_t)e->hlc, "hash", hash, "sealed", e->sealed, "op", kind,
					  "record", rec, "fields", fields, "operator", operator_json(e)));
		return 0;
	}
	author_short(e->author, who);
	silver_cli_time(e->hlc, when);
	printf("%s/%s #%-6llu %s  %.16s %s ", who, tw, (unsigned long long)e->seq, when, hash,
	       e->sealed ? _("sealed") : "      ");
	printf("%s %.*s", e->op.type == SILVER_OP_CHANGE ? _("change") : e->op.type == SILVER_OP_CERT ? _("certificate")
												     : _("revocation"),
	       (int)e->op.record.n, (const char *)e->op.record.p);
	{
		/* the fields by their names in the user's language */
		const silver_collection *c = NULL;
		const char *p = e->op.record.n ? memchr(e->op.record.p, '/', e->op.record.n) : NULL, *q;
		if (p && (q = memchr(p + 1, '/', e->op.record.n - (size_t)(p + 1 - (const char *)e->op.record.p)))) {
			char coll[SILVER_MAX_NAME + 1];
			size_t n = (size_t)(q - p - 1);
			if (n < sizeof(coll)) {
				memcpy(coll, p + 1, n);
				coll[n] = 0;
				c = silver_schema_find(coll);
			}
		}
		for (uint32_t i = 0; i < e->op.nwrites; i++) {
			const silver_write *w = &e->op.writes[i];
			const silver_field *f = c ? silver_schema_field(c, (const char *)w->field.p, w->field.n) : NULL;
			if (w->field.p[0] == '_') {
				if (w->value.i)
					printf(_(" (delete)"));
			} else if (f) {
				printf(" %s", _(f->label));
			} else {
				printf(" %.*s", (int)w->field.n, (const char *)w->field.p);
			}
		}
	}
	if (e->op.operator_name.n)
		printf(_(" (operator %.*s)"), (int)e->op.operator_name.n,
		       (const char *)e->op.operator_name.p);
	putchar('\n');
	return 0;
}

static int cmd_log(silver_cli_opts *o)
{
	struct log_ctx l;
	silver_store *s;
	int rv;
	memset(&l, 0, sizeof(l));
	if (o->argc != 0) {
		silver_cli_error(_("log: takes no arguments"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	if (o->json)
		l.arr = json_array();
	rv = silver_store_log(s, log_one, &l);
	if (rv != 0)
		rv = silver_cli_fail(rv, NULL, _("log: "));
	else if (l.arr) {
		json_dumpf(l.arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(l.arr);
	silver_store_close(&s);
	return rv;
}

/* Opening a store to write upgrades it (node/store.c): rebuilding what it
 * derives from its entries takes one transaction. */
static int cmd_upgrade(silver_cli_opts *o)
{
	silver_store *s;
	int rv;
	if (o->argc != 0) {
		silver_cli_error(_("upgrade: usage: silvernode upgrade"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, 0, &s)) != 0)
		return rv;
	silver_store_close(&s);
	printf(_("The data store is in format %d, this version's.\n"), SILVER_STORE_FORMAT);
	return 0;
}

static int cmd_digest(silver_cli_opts *o)
{
	silver_store *s;
	silver_digest d;
	char log[65], state[65];
	int rv;
	const char *township = NULL;
	if (o->argc == 2 && strcmp(o->argv[0], "--township") == 0) {
		township = o->argv[1];
	} else if (o->argc != 0) {
		silver_cli_error(_("digest: usage: silvernode digest [--township CODE]"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	rv = township ? silver_store_digest_township(s, township, &d) : silver_store_digest(s, &d);
	silver_store_close(&s);
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("digest: "));
	silver_hex(d.log, 32, log);
	silver_hex(d.state, 32, state);
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "log", log, "state", state, "entries",
				      (json_int_t)d.entries, "feeds", (json_int_t)d.feeds, "records",
				      (json_int_t)d.records, "conflicts", (json_int_t)d.conflicts);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	printf(_("log digest:   %s\n"), log);
	printf(_("state digest: %s\n"), state);
	if (township)
		printf(_("%llu entries in %llu feeds of township %s\n"), (unsigned long long)d.entries,
		       (unsigned long long)d.feeds, township);
	else
		printf(_("%llu entries in %llu feeds, %llu records, %llu open conflicts\n"),
		       (unsigned long long)d.entries, (unsigned long long)d.feeds, (unsigned long long)d.records,
		       (unsigned long long)d.conflicts);
	return 0;
}

/* ---- conflicts -------------------------------------------------------------------------- */

struct conf_ctx {
	silver_store *s;
	silver_arena *a;
	silver_buf tmp;
	json_t *arr;
	unsigned long n;
};

static int conf_one(const char *id, const char *field, void *vctx)
{
	struct conf_ctx *c = vctx;
	silver_record r;
	const silver_fieldstate *fs;
	const silver_field *f;
	json_t *contenders = NULL;
	int rv;

	silver_arena_reset(c->a);
	if ((rv = silver_store_get(c->s, id, c->a, &r)) != 0)
		return rv;
	fs = silver_record_field(&r, field);
	if (!fs)
		return SILVER_ECORRUPT;
	f = field_of(&r, fs);
	c->n++;
	if (c->arr)
		contenders = json_array();
	else
		printf("%s  %s\n", id, strcmp(field, "_del") == 0 ? _("deleted or kept") : (f ? _(f->label) : field));
	for (uint32_t i = 0; i < fs->nheads; i++) {
		const silver_head *h = &fs->heads[i];
		silver_entry e;
		char when[40], who[17] = "?", tw[SILVER_MAX_NAME + 1] = "?";
		if (silver_store_entry(c->s, &h->ref, c->a, &e) == 0) {
			author_short(e.author, who);
			memcpy(tw, e.township.p, e.township.n);
			tw[e.township.n] = 0;
		}
		if (c->arr) {
			silver_cli_time_utc(h->hlc, when);
			json_array_append_new(contenders,
					      json_pack("{s:I,s:o,s:s,s:s,s:s,s:b}", "n", (json_int_t)i + 1, "value",
							value_json(f, &h->value, &c->tmp), "author", who, "township", tw,
							"time", when, "provisional_winner", i == fs->winner));
			continue;
		}
		silver_cli_time(h->hlc, when);
		silver_cli_value(f, &h->value, &c->tmp);
		printf("  %u) %s   %s %s (%s), %s%s\n", i + 1,
		       h->value.type == SILVER_V_NIL ? _("(empty)") : (const char *)c->tmp.data, _("by"), who, tw, when,
		       i == fs->winner ? _("  <- shown for now") : "");
	}
	if (c->arr)
		json_array_append_new(c->arr,
				      json_pack("{s:s,s:s,s:o}", "record", id, "field", field, "contenders", contenders));
	return 0;
}

static int cmd_conflicts(silver_cli_opts *o)
{
	struct conf_ctx c;
	int rv;
	memset(&c, 0, sizeof(c));
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &c.s)) != 0)
		return rv;
	c.a = silver_arena_new();
	silver_buf_init(&c.tmp);
	if (o->json)
		c.arr = json_array();
	rv = c.a ? silver_store_conflicts(c.s, conf_one, &c) : SILVER_ENOMEM;
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("conflicts: "));
	} else if (c.arr) {
		json_dumpf(c.arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (c.n == 0) {
		printf(_("No open conflicts.\n"));
	} else {
		printf(P_("%lu open conflict. Settle it with: silvernode resolve ID FIELD --take N (or --value V)\n",
			  "%lu open conflicts. Settle one with: silvernode resolve ID FIELD --take N (or --value V)\n", c.n),
		       c.n);
	}
	json_decref(c.arr);
	silver_buf_release(&c.tmp);
	silver_arena_destroy(&c.a);
	silver_store_close(&c.s);
	return rv;
}

/* ---- the county admin --------------------------------------------------------------------- */

static const char *role_name(uint32_t role)
{
	return role == SILVER_ROLE_HUB ? "hub" : role == SILVER_ROLE_ADMIN ? "admin" : "branch";
}

static int admin_init(silver_cli_opts *o)
{
	static const char default_name[] = N_("County admin");
	const char *name = default_name;
	silver_store *s;
	char hex[2 * SILVER_KEY_BYTES + 1];
	int rv;
	for (int i = 1; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--name") == 0 && i + 1 < o->argc) {
			name = o->argv[++i];
		} else {
			silver_cli_error(_("admin init: unexpected argument '%s'"), o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	if ((rv = create_node(o, "admin init", "county", name, SILVER_PIN_SELF)) != 0)
		return rv;
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	silver_hex(silver_store_self(s), SILVER_KEY_BYTES, hex);
	silver_store_close(&s);
	printf(_("County admin created in %s.\n"), o->dir);
	printf(_("Admin public key (every node pins it: silvernode init --admin KEY): %s\n"), hex);
	printf(_("Keep %s/identity.key offline and backed up: whoever holds it can certify offices.\n"), o->dir);
	return 0;
}

/* Split "a,b,c" into sorted unique slices (pointers into s, which is
 * modified).  An empty list or an empty item ("a,,b", ",") is refused: a
 * certificate that names no township is never what an admin meant. */
static int split_list(char *s, silver_slice *out, uint32_t max, uint32_t *n)
{
	char *tok;
	*n = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		uint32_t at;
		silver_slice x = {(const uint8_t *)tok, (uint32_t)strlen(tok)};
		if (strcmp(tok, "*") != 0 && !silver_township_ok(tok))
			return -1;
		for (at = 0; at < *n; at++) {
			int c = strcmp((const char *)out[at].p, tok);
			if (c == 0)
				goto next;
			if (c > 0)
				break;
		}
		if (*n == max)
			return -1;
		memmove(&out[at + 1], &out[at], sizeof(*out) * (*n - at));
		out[at] = x;
		(*n)++;
	next:;
	}
	return *n > 0 ? 0 : -1;
}

struct certify_ctx {
	silver_cert c;
	silver_why why;
};

static int do_certify(silver_wtxn *t, void *vctx)
{
	struct certify_ctx *c = vctx;
	return silver_wtxn_certify(t, &c->c, &c->why);
}

static int admin_certify(silver_cli_opts *o)
{
	struct certify_ctx c;
	silver_slice wl[SILVER_MAX_TOWNSHIPS], rl[SILVER_MAX_TOWNSHIPS];
	char *write = NULL, *read = NULL, *key = NULL, *role = "branch", *name = NULL;
	silver_store *s;
	int rv;

	memset(&c, 0, sizeof(c));
	for (int i = 1; i < o->argc; i++) {
		const char *a = o->argv[i];
		if (strcmp(a, "--join") == 0 && i + 3 < o->argc && strcmp(o->argv[i + 1], "silversync-join") == 0) {
			/* the whole join line, as 'silvernode init' printed it */
			key = o->argv[i + 2];
			write = o->argv[i + 3];
			i += 3;
			if (i + 1 < o->argc && o->argv[i + 1][0] != '-')
				name = o->argv[++i];
		} else if (strcmp(a, "--role") == 0 && i + 1 < o->argc) {
			role = o->argv[++i];
		} else if (strcmp(a, "--write") == 0 && i + 1 < o->argc) {
			write = o->argv[++i];
		} else if (strcmp(a, "--read") == 0 && i + 1 < o->argc) {
			read = o->argv[++i];
		} else if (strcmp(a, "--name") == 0 && i + 1 < o->argc) {
			name = o->argv[++i];
		} else if (!key && a[0] != '-') {
			key = o->argv[i];
		} else {
			silver_cli_error(_("admin certify: unexpected argument '%s'"), a);
			return SILVER_EXIT_USAGE;
		}
	}
	if (!key || silver_unhex(key, c.c.key, SILVER_KEY_BYTES) != 0) {
		silver_cli_error(_("admin certify: give the office's public key (64 hex digits) or --join LINE"));
		return SILVER_EXIT_USAGE;
	}
	if (strcmp(role, "branch") == 0)
		c.c.role = SILVER_ROLE_BRANCH;
	else if (strcmp(role, "hub") == 0)
		c.c.role = SILVER_ROLE_HUB;
	else if (strcmp(role, "admin") == 0)
		c.c.role = SILVER_ROLE_ADMIN;
	else {
		silver_cli_error(_("admin certify: --role is one of branch, hub, admin"));
		return SILVER_EXIT_USAGE;
	}
	if (!write && c.c.role == SILVER_ROLE_HUB)
		write = "*";
	if (!write) {
		silver_cli_error(_("admin certify: --write TOWNSHIP[,TOWNSHIP...] is required for a branch"));
		return SILVER_EXIT_USAGE;
	}
	if (name && silver_label_check((const uint8_t *)name, strlen(name)) != 0) {
		silver_cli_error(_("%s: --name must be text of at most 128 bytes (UTF-8) without control characters, "
				   "line breaks or direction marks"),
				 "admin certify");
		return SILVER_EXIT_INPUT;
	}
	write = strdup(write);
	read = strdup(read ? read : write);
	if (!write || !read || split_list(write, wl, SILVER_MAX_TOWNSHIPS, &c.c.nwrite) != 0 ||
	    split_list(read, rl, SILVER_MAX_TOWNSHIPS, &c.c.nread) != 0) {
		silver_cli_error(_("admin certify: townships are codes of a-z, 0-9 and _ separated by commas, or *"));
		free(write);
		free(read);
		return SILVER_EXIT_INPUT;
	}
	c.c.write = wl;
	c.c.read = rl;
	c.c.name.p = (const uint8_t *)(name ? name : "");
	c.c.name.n = (uint32_t)strlen(name ? name : "");
	if ((rv = open_store(o, 0, &s)) == 0) {
		rv = silver_store_write(s, do_certify, &c);
		silver_store_close(&s);
		if (rv != 0)
			rv = silver_cli_fail(rv, &c.why, _("admin certify: "));
		else
		{
			char list[SILVER_MAX_TOWNSHIPS * (SILVER_MAX_NAME + 1) + 1] = "";
			for (uint32_t i = 0; i < c.c.nwrite; i++) {
				if (i)
					strcat(list, ",");
				strncat(list, (const char *)wl[i].p, wl[i].n);
			}
			printf(_("Certified %.16s... as %s for %s. Carry it to the office and the hub in a bundle "
				 "(export-bundle) or by sync.\n"),
			       key, role_name(c.c.role), list);
		}
	}
	free(write);
	free(read);
	return rv;
}

struct revoke_ctx {
	uint8_t key[SILVER_KEY_BYTES];
	const char *reason;
	silver_why why;
};

static int do_revoke(silver_wtxn *t, void *vctx)
{
	struct revoke_ctx *r = vctx;
	return silver_wtxn_revoke(t, r->key, r->reason, &r->why);
}

static int admin_revoke(silver_cli_opts *o)
{
	struct revoke_ctx r;
	silver_store *s;
	int rv;
	memset(&r, 0, sizeof(r));
	r.reason = "";
	if (o->argc < 2 || silver_unhex(o->argv[1], r.key, SILVER_KEY_BYTES) != 0) {
		silver_cli_error(_("admin revoke: usage: silvernode admin revoke KEY --reason TEXT"));
		return SILVER_EXIT_USAGE;
	}
	for (int i = 2; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--reason") == 0 && i + 1 < o->argc) {
			r.reason = o->argv[++i];
		} else {
			silver_cli_error(_("admin revoke: unexpected argument '%s'"), o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	if ((rv = open_store(o, 0, &s)) != 0)
		return rv;
	rv = silver_store_write(s, do_revoke, &r);
	silver_store_close(&s);
	if (rv != 0)
		return silver_cli_fail(rv, &r.why, _("admin revoke: "));
	printf(_("Revoked. What this node held of the key's feeds stays valid; anything the key writes after "
		 "it is refused everywhere the revocation reaches.\n"));
	return 0;
}

struct certlist_ctx {
	json_t *arr;
};

static int list_cert(const silver_cert *c, const silver_revoke *r, void *vctx)
{
	struct certlist_ctx *l = vctx;
	char key[2 * SILVER_KEY_BYTES + 1];
	silver_hex(c->key, SILVER_KEY_BYTES, key);
	if (l->arr) {
		json_t *w = json_array(), *rd = json_array();
		for (uint32_t i = 0; i < c->nwrite; i++)
			json_array_append_new(w, json_stringn((const char *)c->write[i].p, c->write[i].n));
		for (uint32_t i = 0; i < c->nread; i++)
			json_array_append_new(rd, json_stringn((const char *)c->read[i].p, c->read[i].n));
		json_array_append_new(l->arr, json_pack("{s:s,s:s%,s:s,s:o,s:o,s:b,s:s%}", "key", key, "name",
							(const char *)c->name.p, (size_t)c->name.n, "role",
							role_name(c->role), "write", w, "read", rd, "revoked", r != NULL,
							"reason", r ? (const char *)r->reason.p : "",
							(size_t)(r ? r->reason.n : 0)));
		return 0;
	}
	printf("%.16s  ", key);
	silver_cli_pad(stdout, c->role == SILVER_ROLE_HUB ? _("hub") : c->role == SILVER_ROLE_ADMIN ? _("admin") : _("office"), 6);
	printf("  %.*s  ", (int)c->name.n, (const char *)c->name.p);
	printf(_("writes:"));
	for (uint32_t i = 0; i < c->nwrite; i++)
		printf("%s%.*s", i ? "," : " ", (int)c->write[i].n, (const char *)c->write[i].p);
	printf(_("  reads:"));
	for (uint32_t i = 0; i < c->nread; i++)
		printf("%s%.*s", i ? "," : " ", (int)c->read[i].n, (const char *)c->read[i].p);
	if (r)
		printf(_("  REVOKED (%.*s)"), (int)r->reason.n, (const char *)r->reason.p);
	putchar('\n');
	return 0;
}

static int admin_list(silver_cli_opts *o)
{
	struct certlist_ctx l = {NULL};
	silver_store *s;
	int rv;
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	if (o->json)
		l.arr = json_array();
	rv = silver_store_certs(s, list_cert, &l);
	silver_store_close(&s);
	if (rv != 0)
		rv = silver_cli_fail(rv, NULL, _("admin list: "));
	else if (l.arr) {
		json_dumpf(l.arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(l.arr);
	return rv;
}

static int cmd_admin(silver_cli_opts *o)
{
	const char *sub = o->argc ? o->argv[0] : "";
	if (strcmp(sub, "init") == 0)
		return admin_init(o);
	if (strcmp(sub, "certify") == 0)
		return admin_certify(o);
	if (strcmp(sub, "revoke") == 0)
		return admin_revoke(o);
	if (strcmp(sub, "list") == 0)
		return admin_list(o);
	silver_cli_error(_("admin: usage: silvernode admin (init | certify KEY --role R --write T,... [--read T,...] "
			   "[--name N] | certify --join LINE | revoke KEY --reason TEXT | list)"));
	return SILVER_EXIT_USAGE;
}

/* ---- bundles and vectors ----------------------------------------------------------------- */

struct vec_ctx {
	json_t *feeds;
};

static int vec_one(const silver_feedinfo *f, void *vctx)
{
	struct vec_ctx *v = vctx;
	char tag[2 * SILVER_FEEDTAG_BYTES + 1], author[2 * SILVER_KEY_BYTES + 1], hash[2 * SILVER_HASH_BYTES + 1];
	silver_hex(f->tag, SILVER_FEEDTAG_BYTES, tag);
	silver_hex(f->author, SILVER_KEY_BYTES, author);
	silver_hex(f->hash, SILVER_HASH_BYTES, hash);
	json_array_append_new(v->feeds, json_pack("{s:s,s:s,s:s,s:I,s:s}", "feed", tag, "author", author, "township",
						  f->township, "seq", (json_int_t)f->seq, "hash", hash));
	return 0;
}

/* What a node holds, per feed: the vector another node exports against. */
static int cmd_vector(silver_cli_opts *o)
{
	struct vec_ctx v;
	silver_store *s;
	char key[2 * SILVER_KEY_BYTES + 1];
	json_t *j;
	int rv;
	if (o->argc > 1) {
		silver_cli_error(_("vector: usage: silvernode vector [FILE]"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	v.feeds = json_array();
	rv = silver_store_feeds(s, vec_one, &v);
	silver_hex(silver_store_self(s), SILVER_KEY_BYTES, key);
	j = json_pack("{s:s,s:i,s:s,s:s,s:o}", "format", "silversync-vector", "version", 1, "node", key, "township",
		      silver_store_township(s), "feeds", v.feeds);
	silver_store_close(&s);
	if (rv != 0) {
		json_decref(j);
		return silver_cli_fail(rv, NULL, _("vector: "));
	}
	if (o->argc == 1) {
		FILE *vf = fopen(o->argv[0], "w");
		int bad = !vf;
		if (vf) {
			bad = json_dumpf(j, vf, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || fputc('\n', vf) == EOF;
			bad |= fclose(vf) != 0;
		}
		if (bad) {
			silver_cli_error(_("vector: cannot write %s"), o->argv[0]);
			rv = SILVER_EXIT_STORE;
		}
	} else {
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(j);
	return rv;
}

struct have_set {
	silver_have *h;
	size_t n, cap;
};

static int have_add(struct have_set *hs, const uint8_t *tag, uint64_t seq)
{
	if (hs->n == hs->cap) {
		silver_have *nh = realloc(hs->h, (hs->cap = hs->cap ? hs->cap * 2 : 16) * sizeof(*nh));
		if (!nh)
			return -1;
		hs->h = nh;
	}
	memcpy(hs->h[hs->n].tag, tag, SILVER_FEEDTAG_BYTES);
	hs->h[hs->n].seq = seq;
	hs->n++;
	return 0;
}

static int have_from_store(const silver_feedinfo *f, void *ctx)
{
	return have_add(ctx, f->tag, f->seq) ? SILVER_ENOMEM : 0;
}

/* --since-of: another node's directory, or a vector file it wrote. */
static int load_have(const char *what, struct have_set *hs)
{
	struct stat st;
	json_error_t jerr;
	json_t *j, *feeds, *f;
	size_t i;

	if (stat(what, &st) == 0 && S_ISDIR(st.st_mode)) {
		silver_store *other;
		int rv = silver_store_open(what, SILVER_OPEN_RDONLY, &other);
		if (rv != 0) {
			silver_cli_error(_("--since-of: cannot open the node in %s: %s"), what, _(silver_strerror(rv)));
			return silver_cli_exit_code(rv);
		}
		rv = silver_store_feeds(other, have_from_store, hs);
		silver_store_close(&other);
		return rv ? silver_cli_fail(rv, NULL, "--since-of: ") : 0;
	}
	j = json_load_file(what, 0, &jerr);
	if (!j) {
		silver_cli_error(_("--since-of: %s is neither a node directory nor a vector file: %s (line %d)"), what,
				 jerr.text, jerr.line);
		return SILVER_EXIT_INPUT;
	}
	feeds = json_object_get(j, "feeds");
	if (!json_is_array(feeds) || strcmp(json_string_value(json_object_get(j, "format")) ? json_string_value(json_object_get(j, "format")) : "", "silversync-vector") != 0) {
		silver_cli_error(_("--since-of: %s is not a silversync vector (see 'silvernode vector')"), what);
		json_decref(j);
		return SILVER_EXIT_INPUT;
	}
	json_array_foreach(feeds, i, f)
	{
		const char *tag = json_string_value(json_object_get(f, "feed"));
		json_t *seq = json_object_get(f, "seq");
		uint8_t t[SILVER_FEEDTAG_BYTES];
		if (!tag || silver_unhex(tag, t, SILVER_FEEDTAG_BYTES) != 0 || !json_is_integer(seq) ||
		    json_integer_value(seq) < 0) {
			silver_cli_error(_("--since-of: feed %zu in %s is not valid"), i + 1, what);
			json_decref(j);
			return SILVER_EXIT_INPUT;
		}
		if (have_add(hs, t, (uint64_t)json_integer_value(seq)) != 0) {
			json_decref(j);
			return SILVER_EXIT_INTERNAL;
		}
	}
	json_decref(j);
	return 0;
}

struct feed_filter {
	char **townships;
	int n;
	silver_store *s;
	int for_key;
	uint8_t reader[SILVER_KEY_BYTES];
};

static int filter_feed(const struct silver_feedinfo *f, void *ctx)
{
	const struct feed_filter *ff = ctx;
	if (ff->for_key && !silver_store_may_read(ff->s, ff->reader, f->township))
		return 0; /* personal data stays within the reader's certificate */
	if (ff->n == 0)
		return 1;
	for (int i = 0; i < ff->n; i++)
		if (strcmp(ff->townships[i], f->township) == 0)
			return 1;
	return 0;
}

static int cmd_export_bundle(silver_cli_opts *o)
{
	struct have_set hs = {NULL, 0, 0};
	struct feed_filter ff;
	const char *file = NULL;
	silver_store *s;
	uint64_t count;
	int rv = 0;

	memset(&ff, 0, sizeof(ff));
	ff.townships = calloc((size_t)o->argc + 1, sizeof(char *));
	if (!ff.townships)
		return SILVER_EXIT_INTERNAL;
	for (int i = 0; i < o->argc && rv == 0; i++) {
		if (strcmp(o->argv[i], "--since-of") == 0 && i + 1 < o->argc)
			rv = load_have(o->argv[++i], &hs);
		else if (strcmp(o->argv[i], "--feed") == 0 && i + 1 < o->argc)
			ff.townships[ff.n++] = o->argv[++i];
		else if (strcmp(o->argv[i], "--for") == 0 && i + 1 < o->argc) {
			if (silver_unhex(o->argv[++i], ff.reader, SILVER_KEY_BYTES) != 0) {
				silver_cli_error(_("export-bundle: --for needs the receiving node's public key (64 hex digits)"));
				rv = SILVER_EXIT_USAGE;
			}
			ff.for_key = 1;
		}
		else if (!file && o->argv[i][0] != '-')
			file = o->argv[i];
		else {
			silver_cli_error(_("export-bundle: unexpected argument '%s'"), o->argv[i]);
			rv = SILVER_EXIT_USAGE;
		}
	}
	if (rv == 0 && !file) {
		silver_cli_error(_("export-bundle: usage: silvernode export-bundle FILE [--since-of DIR|VECTOR] [--feed TOWNSHIP]..."));
		rv = SILVER_EXIT_USAGE;
	}
	if (rv == 0 && (rv = open_store(o, SILVER_OPEN_RDONLY, &s)) == 0) {
		ff.s = s;
		rv = silver_bundle_write(s, file, hs.h, hs.n, ff.n || ff.for_key ? filter_feed : NULL, &ff, &count);
		silver_store_close(&s);
		if (rv == SILVER_EINVAL) {
			silver_cli_error(_("export-bundle: %s exists and is not a regular file (a device, pipe or "
					   "directory); it was left alone and nothing was written"),
					 file);
			rv = SILVER_EXIT_INPUT;
		} else if (rv != 0) {
			char ctx[300];
			snprintf(ctx, sizeof(ctx), _("export-bundle: cannot write %s: "), file);
			rv = silver_cli_fail(rv, NULL, ctx);
		} else {
			printf(_("Wrote %llu entries to %s.\n"), (unsigned long long)count, file);
		}
	}
	free(hs.h);
	free(ff.townships);
	return rv;
}

static int cmd_import_bundle(silver_cli_opts *o)
{
	silver_bundle *b;
	silver_store *s;
	silver_ingest_report rep;
	silver_why why;
	char ctx[300];
	int rv;

	if (o->argc != 1) {
		silver_cli_error(_("import-bundle: usage: silvernode import-bundle FILE"));
		return SILVER_EXIT_USAGE;
	}
	snprintf(ctx, sizeof(ctx), _("import-bundle: %s refused, nothing imported: "), o->argv[0]);
	rv = silver_bundle_open(o->argv[0], &b, &why);
	if (rv == SILVER_ENOTFOUND) {
		silver_cli_error(_("import-bundle: no file %s"), o->argv[0]);
		return SILVER_EXIT_NOTFOUND;
	}
	if (rv == SILVER_EVERSION) {
		silver_cli_error(_("import-bundle: %s was written by a newer silversync (format or suite not known here); "
				   "upgrade this program"),
				 o->argv[0]);
		return SILVER_EXIT_REFUSED;
	}
	if (rv != 0)
		return silver_cli_fail(rv, &why, ctx);
	if ((rv = open_store(o, 0, &s)) != 0) {
		silver_bundle_close(&b);
		return rv;
	}
	rv = silver_store_ingest(s, b->entries, b->n, &rep, &why);
	silver_store_close(&s);
	silver_bundle_close(&b);
	if (rv != 0)
		return silver_cli_fail(rv, &why, ctx);
	if (o->json) {
		json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "received", (json_int_t)rep.received, "new",
				      (json_int_t)rep.stored, "duplicates", (json_int_t)rep.duplicates, "applied",
				      (json_int_t)rep.applied, "waiting", (json_int_t)rep.waiting, "skewed",
				      (json_int_t)rep.skewed, "conflicts", (json_int_t)rep.conflicts_after);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	printf(_("Received %llu entries: %llu new, %llu already held, %llu applied.\n"),
	       (unsigned long long)rep.received, (unsigned long long)rep.stored, (unsigned long long)rep.duplicates,
	       (unsigned long long)rep.applied);
	if (rep.waiting)
		printf(P_("%llu entry waits for the rest of its transaction (a later bundle).\n",
			  "%llu entries wait for the rest of their transaction (a later bundle).\n", rep.waiting),
		       (unsigned long long)rep.waiting);
	if (rep.skewed)
		printf(P_("%llu entry carries a clock far ahead of this machine's; it is kept and flagged.\n",
			  "%llu entries carry a clock far ahead of this machine's; they are kept and flagged.\n", rep.skewed),
		       (unsigned long long)rep.skewed);
	if (rep.conflicts_after != rep.conflicts_before || rep.conflicts_after)
		printf(_("Open conflicts: %llu (was %llu). See 'silvernode conflicts'.\n"),
		       (unsigned long long)rep.conflicts_after, (unsigned long long)rep.conflicts_before);
	return 0;
}

/* ---- backups ----------------------------------------------------------------------------- */

static int cmd_backup(silver_cli_opts *o)
{
	silver_store *s;
	int rv;
	if (o->argc != 1) {
		silver_cli_error(_("backup: usage: silvernode backup NEW-DIR"));
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	rv = silver_store_backup(s, o->argv[0], silver_users_copy);
	silver_store_close(&s);
	if (rv == SILVER_EEXIST) {
		silver_cli_error(_("backup: %s already exists; give a new directory"), o->argv[0]);
		return SILVER_EXIT_INPUT;
	}
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("backup: "));
	printf(_("Backed up to %s (the store, the key file and the workbench's accounts: keep it as safe as the "
		 "laptop).\n"),
	       o->argv[0]);
	return 0;
}

static int cmd_restore(silver_cli_opts *o)
{
	int rv;
	if (o->argc != 2 || strcmp(o->argv[0], "--from") != 0) {
		silver_cli_error(_("restore: usage: silvernode --dir NEW-DIR restore --from BACKUP-DIR"));
		return SILVER_EXIT_USAGE;
	}
	rv = silver_store_restore(o->argv[1], o->dir, silver_users_copy);
	if (rv == SILVER_EEXIST) {
		silver_cli_error(_("restore: %s already holds a node; restore into a new directory"), o->dir);
		return SILVER_EXIT_INPUT;
	}
	if (rv == SILVER_ENOTFOUND) {
		silver_cli_error(_("restore: %s is not a backup (no data.mdb and identity.key)"), o->argv[1]);
		return SILVER_EXIT_NOTFOUND;
	}
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("restore: "));
	printf(_("Restored into %s.  This node will not write until it has received its own newer entries: "
		 "sync with the hub or import a bundle from it first.  If you are sure nothing newer exists, run "
		 "'silvernode caught-up'.\n"),
	       o->dir);
	return 0;
}

static int cmd_caught_up(silver_cli_opts *o)
{
	silver_store *s;
	uint64_t tip = 0;
	int rv;
	if ((rv = open_store(o, 0, &s)) != 0)
		return rv;
	if (silver_store_restored(s, &tip) != 1) {
		silver_store_close(&s);
		printf(_("This node is not waiting to catch up; nothing to do.\n"));
		return 0;
	}
	rv = silver_store_caught_up(s);
	silver_store_close(&s);
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("caught-up: "));
	printf(_("This node writes again.  If it had written entries after the backup on the lost copy, its next "
		 "ones will be refused everywhere as a fork.\n"));
	return 0;
}

/* ---- forks ------------------------------------------------------------------------------- */

struct forks_ctx {
	json_t *arr;
	const char *want_tag;
	uint64_t want_seq;
	const char *file;
	unsigned long n;
	int written;
};

static int fork_one(const struct silver_feedinfo *f, uint64_t seq, const uint8_t *proof, size_t n, void *vctx)
{
	struct forks_ctx *c = vctx;
	char tag[2 * SILVER_FEEDTAG_BYTES + 1], key[2 * SILVER_KEY_BYTES + 1];
	silver_hex(f->tag, SILVER_FEEDTAG_BYTES, tag);
	silver_hex(f->author, SILVER_KEY_BYTES, key);
	c->n++;
	if (c->file) {
		FILE *out;
		if (strncmp(tag, c->want_tag, strlen(c->want_tag)) != 0 || seq != c->want_seq || c->written)
			return 0;
		out = fopen(c->file, "wb");
		if (!out || fwrite(proof, 1, n, out) != n || fclose(out) != 0)
			return SILVER_EIO;
		c->written = 1;
		return 0;
	}
	if (c->arr) {
		json_array_append_new(c->arr, json_pack("{s:s,s:s,s:s,s:I}", "feed", tag, "author", key, "township",
							f->township, "seq", (json_int_t)seq));
		return 0;
	}
	printf(_("FORK  feed %s (key %.16s, township %s) at seq %llu: two different signed entries are held as "
		 "evidence\n"),
	       tag, key, f->township, (unsigned long long)seq);
	return 0;
}

static int cmd_forks(silver_cli_opts *o)
{
	struct forks_ctx c;
	silver_store *s;
	int rv;
	memset(&c, 0, sizeof(c));
	if (o->argc != 0 && o->argc != 3) {
		silver_cli_error(_("forks: usage: silvernode forks [FEED SEQ PROOF-FILE]"));
		return SILVER_EXIT_USAGE;
	}
	if (o->argc == 3) {
		c.want_tag = o->argv[0];
		c.want_seq = strtoull(o->argv[1], NULL, 10);
		c.file = o->argv[2];
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	if (o->json && !c.file)
		c.arr = json_array();
	rv = silver_store_forks(s, fork_one, &c);
	silver_store_close(&s);
	if (rv != 0) {
		rv = silver_cli_fail(rv, NULL, _("forks: "));
	} else if (c.file && !c.written) {
		silver_cli_error(_("forks: no fork held for feed %s at seq %llu"), c.want_tag,
				 (unsigned long long)c.want_seq);
		rv = SILVER_EXIT_NOTFOUND;
	} else if (c.file) {
		printf(_("Wrote the fork proof to %s; anyone can check it with: silver-audit proof %s\n"), c.file,
		       c.file);
	} else if (c.arr) {
		json_dumpf(c.arr, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (c.n == 0) {
		printf(_("No forks.\n"));
	}
	json_decref(c.arr);
	return rv;
}

/* ---- network commands (silvernode-net) and the workbench (silvernode-web) ----------
 * The network commands live in silvernode-net (node/silvernode_net.c), the
 * only program that links libzmq, and the workbench in silvernode-web, the
 * only one that links libmicrohttpd, so that every other command starts
 * without loading them.  We exec the program, global options first: the one
 * named by its variable ($SILVER_NET, $SILVER_WEB) when set; else, when we
 * run from the build tree's bin/ (SILVER_BUILD_BIN), the one built there;
 * else the installed one (SILVER_NET_PATH, SILVER_WEB_PATH: libexec paths
 * fixed when configuring).  A silvernode installed from a build tree never
 * runs that tree's programs. */

static int exec_prog(silver_cli_opts *o, const char *prog, const char *var, const char *installed, const char *cmd)
{
	char buf[4200];
	const char *path = silver_cli_program(prog, var, installed, buf, sizeof(buf));
	char **argv;
	int k = 0;

	if (!(argv = calloc((size_t)o->argc + 6, sizeof(char *))))
		return SILVER_EXIT_INTERNAL;
	argv[k++] = (char *)path;
	argv[k++] = "--dir";
	argv[k++] = (char *)o->dir;
	if (o->json)
		argv[k++] = "--json";
	argv[k++] = (char *)cmd;
	for (int i = 0; i < o->argc; i++)
		argv[k++] = o->argv[i];
	argv[k] = NULL;
	fflush(NULL);
	execv(path, argv);
	silver_cli_error(_("cannot run %s (%s names another): %s"), path, var, strerror(errno));
	free(argv);
	return SILVER_EXIT_INTERNAL;
}

static int exec_net(silver_cli_opts *o, const char *cmd)
{
	return exec_prog(o, "silvernode-net", "SILVER_NET", SILVER_NET_PATH, cmd);
}

/* The workbench and its accounts live in silvernode-web, the only program
 * that links libmicrohttpd (docs/WEB.md). */
static int cmd_web(silver_cli_opts *o)
{
	return exec_prog(o, "silvernode-web", "SILVER_WEB", SILVER_WEB_PATH, "web");
}

static int cmd_user(silver_cli_opts *o)
{
	return exec_prog(o, "silvernode-web", "SILVER_WEB", SILVER_WEB_PATH, "user");
}

static int cmd_hub(silver_cli_opts *o)
{
	return exec_net(o, "hub");
}

static int cmd_serve(silver_cli_opts *o)
{
	return exec_net(o, "serve");
}

static int cmd_sync(silver_cli_opts *o)
{
	return exec_net(o, "sync");
}

static int cmd_daemon(silver_cli_opts *o)
{
	return exec_net(o, "daemon");
}

static int cmd_status(silver_cli_opts *o)
{
	return exec_net(o, "status");
}

/* ---- the table (node/commands.h, shared with silvernode-net) ---------------------------- */

static int cmd_help(silver_cli_opts *o);

static const silver_cli_command commands[] = {
#define SILVER_LOCAL(name, fn, args, help) {name, fn, args, help},
#define SILVER_NET(name, fn, args, help) {name, fn, args, help},
#include "commands.h"
	{NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, _("Usage: silvernode [--dir DIR] [--json] COMMAND [ARGS]\n\n"));
	fprintf(f, _("A silversync node: records of retired cadres, kept offline in a signed log.\n\n"));
	fprintf(f, _("Commands:\n"));
	for (const silver_cli_command *c = commands; c->name; c++) {
		char head[96];
		snprintf(head, sizeof(head), "%s %s", c->name, c->args);
		fprintf(f, "  ");
		silver_cli_pad(f, head, 46);
		fprintf(f, " %s\n", _(c->help));
	}
	fprintf(f, _("\nOptions:\n"
		     "  --dir DIR   the node directory (default: $SILVER_DIR, else ./silver-data)\n"
		     "  --json      machine-readable output (show, list, history, log, conflicts, digest, id)\n"
		     "  --help      this help; 'silvernode COMMAND --help' for one command\n"
		     "  --version   print the version\n\n"
		     "Collections: retiree visit delivery aid ceremony branch team club activity lecture case service\n"
		     "Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not found, 5 verification refused,\n"
		     "6 not authorised, 7 store error, 1 other.  See docs/EXIT.md.\n"));
}

static int cmd_help(silver_cli_opts *o)
{
	(void)o;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	return silver_cli_main("silvernode", commands, usage, argc, argv);
}

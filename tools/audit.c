/*
 * audit.c - silver-audit, the auditor's verifier (docs/AUDIT.md): the
 * command line, the report in words or JSON, a record's trace, and the
 * check of a fork proof file.  The checks themselves are in audit_scan.c
 * and audit_state.c.
 *
 *   silver-audit [--json] --admin KEY (BUNDLE | --store DIR)
 *   silver-audit [--json] --admin KEY trace ID (BUNDLE | --store DIR)
 *   silver-audit [--json] proof FILE
 *
 * Exit codes (docs/EXIT.md, "silver-audit"): 0 clean, 1 findings (or an
 * invalid proof), 2 no verdict: bad arguments, unreadable input, not a
 * bundle, a newer format.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_UNUSABLE = 2 };

struct args {
	int json;
	int have_admin;
	const char *cmd; /* NULL: audit; "trace"; "proof" */
	const char *id;
	const char *file;
	audit_opts o;
};

static const char *role_name(uint32_t role)
{
	switch (role) {
	case SILVER_ROLE_BRANCH:
		return "branch";
	case SILVER_ROLE_HUB:
		return "hub";
	case SILVER_ROLE_ADMIN:
		return "admin";
	default:
		return "?";
	}
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: silver-audit [--json] --admin KEY (BUNDLE | --store DIR)\n"
		     "       silver-audit [--json] --admin KEY trace ID (BUNDLE | --store DIR)\n"
		     "       silver-audit [--json] proof FILE\n\n"
		     "Verify a bundle file or a node's store with nothing but the county admin's public key:\n"
		     "signatures, chains, sequences, certificates and revocations, authorisation, forks,\n"
		     "clocks, and for a store that its records equal a replay of its entries.\n\n"
		     "  --admin KEY    the county admin's public key (64 hex digits)\n"
		     "  --store DIR    audit a node directory instead of a bundle file\n"
		     "  --json         machine-readable report\n"
		     "  --threads N    seal verifiers (default 2)\n"
		     "  --no-replay    for a store: skip the state replay\n"
		     "  trace ID       one record's full signed history\n"
		     "  proof FILE     check a fork proof file (silvernode forks FEED SEQ FILE)\n\n"
		     "Exit codes: 0 clean, 1 findings (or an invalid proof), 2 no verdict (bad arguments,\n"
		     "unreadable input, not a bundle, newer format).  See docs/AUDIT.md.\n"));
}

static int parse(int argc, char **argv, struct args *a)
{
	const char *pos[3];
	int npos = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(s, "--admin") == 0 && i + 1 < argc) {
			if (silver_unhex(argv[++i], a->o.admin, SILVER_KEY_BYTES) != 0) {
				silver_cli_error(_("--admin needs the county admin's public key: 64 hex digits"));
				return -1;
			}
			a->have_admin = 1;
		} else if (strcmp(s, "--store") == 0 && i + 1 < argc) {
			a->o.store = argv[++i];
		} else if (strcmp(s, "--threads") == 0 && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > 8) {
				silver_cli_error(_("--threads takes a number from 1 to 8"));
				return -1;
			}
			a->o.threads = (int)n;
		} else if (strcmp(s, "--no-replay") == 0) {
			a->o.no_replay = 1;
		} else if (s[0] == '-' && s[1]) {
			silver_cli_error(_("unknown option '%s'; see 'silver-audit --help'"), s);
			return -1;
		} else if (npos < 3) {
			pos[npos++] = s;
		} else {
			silver_cli_error(_("too many arguments; see 'silver-audit --help'"));
			return -1;
		}
	}
	if (npos > 0 && strcmp(pos[0], "proof") == 0) {
		if (npos != 2 || a->o.store) {
			silver_cli_error(_("proof: give exactly one proof file"));
			return -1;
		}
		a->cmd = "proof";
		a->file = pos[1];
		return 0;
	}
	if (npos > 0 && strcmp(pos[0], "trace") == 0) {
		if (npos < 2) {
			silver_cli_error(_("trace: give a record id"));
			return -1;
		}
		a->cmd = "trace";
		a->id = pos[1];
		a->o.trace = pos[1];
		npos -= 2;
		if (npos)
			pos[0] = pos[2];
	}
	if (!a->have_admin) {
		silver_cli_error(_("give the county admin's public key with --admin KEY"));
		return -1;
	}
	if ((npos == 1) == (a->o.store != NULL)) {
		silver_cli_error(_("give one bundle file or --store DIR"));
		return -1;
	}
	if (npos == 1)
		a->o.bundle = pos[0];
	return 0;
}

/* ---- the report ------------------------------------------------------------------------ */

static const char *office_of(const audit_report *rep, const uint8_t *key)
{
	const audit_cert *c = audit_cert_find(rep, key);
	return c && c->name[0] ? c->name : NULL;
}

static json_t *cert_json(const audit_cert *c)
{
	char key[2 * SILVER_KEY_BYTES + 1];
	json_t *j;
	silver_hex(c->key, SILVER_KEY_BYTES, key);
	j = json_pack("{s:s,s:b}", "key", key, "certified", c->has_cert);
	if (c->has_cert) {
		silver_slice raw = {c->raw, c->nraw};
		silver_arena *a = silver_arena_new();
		silver_cert cert;
		json_object_set_new(j, "name", json_string(c->name));
		json_object_set_new(j, "role", json_string(role_name(c->role)));
		json_object_set_new(j, "admin_feed", json_string(c->township));
		json_object_set_new(j, "admin_seq", json_integer((json_int_t)c->seq));
		if (a && silver_cert_decode(&raw, a, &cert) == 0) {
			json_t *w = json_array(), *r = json_array();
			for (uint32_t i = 0; i < cert.nwrite; i++)
				json_array_append_new(w, json_stringn((const char *)cert.write[i].p, cert.write[i].n));
			for (uint32_t i = 0; i < cert.nread; i++)
				json_array_append_new(r, json_stringn((const char *)cert.read[i].p, cert.read[i].n));
			json_object_set_new(j, "write", w);
			json_object_set_new(j, "read", r);
		}
		silver_arena_destroy(&a);
	}
	if (c->rev)
		json_object_set_new(j, "revoked_at_admin_seq", json_integer((json_int_t)c->rev_seq));
	return j;
}

static void report_json(const struct args *a, const audit_report *rep)
{
	json_t *j = json_object(), *fl = json_array(), *cl = json_array();
	char admin[2 * SILVER_KEY_BYTES + 1];

	silver_hex(a->o.admin, SILVER_KEY_BYTES, admin);
	json_object_set_new(j, "source", json_string(a->o.store ? "store" : "bundle"));
	json_object_set_new(j, "path", json_string(a->o.store ? a->o.store : a->o.bundle));
	json_object_set_new(j, "admin", json_string(admin));
	json_object_set_new(j, "entries", json_integer((json_int_t)rep->entries));
	json_object_set_new(j, "feeds", json_integer((json_int_t)rep->feeds));
	json_object_set_new(j, "seals", json_integer((json_int_t)rep->seals));
	json_object_set_new(j, "bad_seals", json_integer((json_int_t)rep->bad_seals));
	for (size_t i = 0; i < rep->ncerts; i++)
		json_array_append_new(cl, cert_json(&rep->certs[i]));
	json_object_set_new(j, "certificates", cl);
	for (size_t i = 0; i < rep->nfindings; i++) {
		const audit_finding *f = &rep->findings[i];
		json_t *jf = json_pack("{s:s,s:s}", "kind", f->kind, "message", f->message);
		if (f->has_feed) {
			char key[2 * SILVER_KEY_BYTES + 1];
			const char *office = office_of(rep, f->author);
			silver_hex(f->author, SILVER_KEY_BYTES, key);
			json_object_set_new(jf, "author", json_string(key));
			json_object_set_new(jf, "township", json_string(f->township));
			json_object_set_new(jf, "office", office ? json_string(office) : json_null());
		} else {
			json_object_set_new(jf, "author", json_null());
			json_object_set_new(jf, "township", json_null());
		}
		json_object_set_new(jf, "seq", f->seq ? json_integer((json_int_t)f->seq) : json_null());
		json_array_append_new(fl, jf);
	}
	json_object_set_new(j, "findings", fl);
	json_object_set_new(j, "findings_not_listed", json_integer((json_int_t)rep->dropped));
	if (a->o.store) {
		json_t *st = json_object();
		json_object_set_new(st, "checked", json_boolean(rep->state_checked));
		if (rep->state_checked) {
			char h[2 * SILVER_HASH_BYTES + 1];
			silver_hex(rep->state, SILVER_HASH_BYTES, h);
			json_object_set_new(st, "stored", json_string(h));
			silver_hex(rep->replay_state, SILVER_HASH_BYTES, h);
			json_object_set_new(st, "replay", json_string(h));
			json_object_set_new(st, "records", json_integer((json_int_t)rep->records));
			json_object_set_new(st, "cells", json_integer((json_int_t)rep->cells));
		}
		json_object_set_new(j, "state", st);
	}
	json_object_set_new(j, "clean", json_boolean(rep->nfindings == 0 && rep->dropped == 0));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
}

static void report_text(const struct args *a, const audit_report *rep)
{
	char admin[17];

	silver_hex(a->o.admin, 8, admin);
	if (a->o.store)
		printf(_("Audit of the store %s with county admin key %s...\n"), a->o.store, admin);
	else
		printf(_("Audit of the bundle %s with county admin key %s...\n"), a->o.bundle, admin);
	printf(_("Entries: %llu in %llu feeds; seals verified: %llu (%llu failed)\n"), (unsigned long long)rep->entries,
	       (unsigned long long)rep->feeds, (unsigned long long)rep->seals, (unsigned long long)rep->bad_seals);
	if (rep->ncerts) {
		printf(_("Certificates in force:\n"));
		for (size_t i = 0; i < rep->ncerts; i++) {
			const audit_cert *c = &rep->certs[i];
			char key[17];
			silver_hex(c->key, 8, key);
			if (c->has_cert)
			{
				printf("  %s...  ", key);
				silver_cli_pad(stdout, c->name, 24); /* CJK names take two columns a character */
				printf(_(" %-6s admin entry %s#%llu"), role_name(c->role), c->township,
				       (unsigned long long)c->seq);
			}
			else
				printf(_("  %s...  (no certificate)"), key);
			if (c->rev)
				printf(_(", revoked by admin entry %llu"), (unsigned long long)c->rev_seq);
			putchar('\n');
		}
	}
	if (a->o.store && rep->state_checked) {
		char h[17];
		silver_hex(rep->state, 8, h);
		printf(_("State: %llu records, %llu statistics cells; stored digest %s..., replay of the valid entries "
			 "compared record by record and cell by cell\n"),
		       (unsigned long long)rep->records, (unsigned long long)rep->cells, h);
	}
	if (rep->nfindings == 0) {
		printf(_("No findings: every entry verifies, chains, is authorised and in order.\n"));
		return;
	}
	printf(_("Findings: %zu\n"), rep->nfindings + rep->dropped);
	for (size_t i = 0; i < rep->nfindings; i++) {
		const audit_finding *f = &rep->findings[i];
		printf("  %-11s ", f->kind);
		if (f->has_feed) {
			char key[17];
			const char *office = office_of(rep, f->author);
			silver_hex(f->author, 8, key);
			printf(_("key %s... (%s) township %s"), key, office ? office : _("no certificate"), f->township);
			if (f->seq)
				printf(_(" seq %llu"), (unsigned long long)f->seq);
			printf(": ");
		}
		printf("%s\n", f->message);
	}
	if (rep->dropped)
		printf(_("  ... and %zu more findings not listed\n"), rep->dropped);
}

/* ---- trace ------------------------------------------------------------------------------- */

struct tentry {
	silver_entry e;
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	int valid;
};

static int tentry_cmp(const void *x, const void *y)
{
	const struct tentry *a = x, *b = y;
	int c;
	if (a->e.hlc != b->e.hlc)
		return a->e.hlc < b->e.hlc ? -1 : 1;
	if ((c = memcmp(a->tag, b->tag, SILVER_FEEDTAG_BYTES)) != 0)
		return c;
	return a->e.seq < b->e.seq ? -1 : a->e.seq > b->e.seq;
}

/* The value the base entry wrote to field, or NULL. */
static const silver_value *base_value(const struct tentry *t, size_t n, const silver_ref *ref, const silver_slice *field)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].e.seq != ref->seq || memcmp(t[i].tag, ref->feed, SILVER_FEEDTAG_BYTES) != 0)
			continue;
		for (uint32_t w = 0; w < t[i].e.op.nwrites; w++)
			if (t[i].e.op.writes[w].field.n == field->n &&
			    memcmp(t[i].e.op.writes[w].field.p, field->p, field->n) == 0)
				return &t[i].e.op.writes[w].value;
	}
	return NULL;
}

static json_t *value_json(const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	if (!v)
		return json_null();
	switch (v->type) {
	case SILVER_V_NIL:
		return json_null();
	case SILVER_V_BOOL:
		return json_boolean(v->i);
	case SILVER_V_INT:
		if (f) {
			silver_cli_value(f, v, tmp);
			return json_string((const char *)tmp->data);
		}
		return json_integer(v->i);
	default:
		silver_cli_value(f, v, tmp);
		return json_string((const char *)tmp->data);
	}
}

static const char *value_text(const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	if (!v)
		return _("(unknown)");
	if (v->type == SILVER_V_NIL)
		return _("(empty)");
	if (v->type == SILVER_V_BOOL)
		return v->i ? "true" : "false";
	silver_cli_value(f, v, tmp);
	return (const char *)tmp->data;
}

static int do_trace(const struct args *a, const audit_report *rep)
{
	silver_arena *ar = silver_arena_new();
	struct tentry *t = calloc(rep->ntrace ? rep->ntrace : 1, sizeof(*t));
	silver_buf tmp, tmp2;
	silver_slice tw, coll;
	const silver_collection *col = NULL;
	json_t *arr = a->json ? json_array() : NULL;
	size_t n = 0, invalid = 0;

	silver_buf_init(&tmp);
	silver_buf_init(&tmp2);
	if (!ar || !t) {
		silver_arena_destroy(&ar);
		free(t);
		silver_cli_error("%s", _(silver_strerror(SILVER_ENOMEM)));
		return EXIT_UNUSABLE;
	}
	if (silver_schema_split_id(a->id, strlen(a->id), &tw, &coll) == 0) {
		char cname[SILVER_MAX_NAME + 1];
		snprintf(cname, sizeof(cname), "%.*s", (int)coll.n, (const char *)coll.p);
		col = silver_schema_find(cname);
	}
	for (size_t i = 0; i < rep->ntrace; i++) {
		if (silver_entry_decode(rep->trace[i].raw, rep->trace[i].nraw, ar, &t[n].e) != 0)
			continue;
		silver_feedtag(t[n].e.author, t[n].e.township.p, t[n].e.township.n, t[n].tag);
		t[n].valid = rep->trace[i].valid;
		n++;
	}
	qsort(t, n, sizeof(*t), tentry_cmp);
	if (!a->json)
		printf(_("History of %s: %zu signed entries\n"), a->id, n);
	for (size_t i = 0; i < n; i++) {
		const silver_entry *e = &t[i].e;
		const audit_cert *c = audit_cert_find(rep, e->author);
		char when[40], key[2 * SILVER_KEY_BYTES + 1], tws[SILVER_MAX_NAME + 1];
		json_t *je = NULL, *jw = NULL;

		silver_hex(e->author, SILVER_KEY_BYTES, key);
		snprintf(tws, sizeof(tws), "%.*s", (int)e->township.n, (const char *)e->township.p);
		if (!t[i].valid)
			invalid++;
		if (arr) {
			silver_cli_time_utc(e->hlc, when);
			je = json_pack("{s:s,s:I,s:s,s:s,s:I,s:b}", "time", when, "hlc", (json_int_t)e->hlc, "author", key,
				       "township", tws, "seq", (json_int_t)e->seq, "valid", t[i].valid);
			json_object_set_new(je, "office", c && c->name[0] ? json_string(c->name) : json_null());
			/* the office's account that made the change, as the entry says */
			json_object_set_new(je, "operator",
					    e->op.operator_name.n ?
						    json_stringn((const char *)e->op.operator_name.p,
								 e->op.operator_name.n) :
						    json_null());
			if (c)
				json_object_set_new(je, "certificate",
						    json_pack("{s:s,s:I,s:s}", "admin_feed", c->township, "admin_seq",
							      (json_int_t)c->seq, "role", role_name(c->role)));
			else if (memcmp(e->author, a->o.admin, SILVER_KEY_BYTES) == 0)
				json_object_set_new(je, "certificate", json_string("county admin"));
			else
				json_object_set_new(je, "certificate", json_null());
			jw = json_array();
		} else {
			silver_cli_time(e->hlc, when);
			key[16] = 0;
			printf(_("%s  key %s... (%s), township %s, entry %llu%s\n"), when, key,
			       c && c->name[0] ? c->name
					       : (memcmp(e->author, a->o.admin, SILVER_KEY_BYTES) == 0 ? _("county admin")
												   : _("no certificate")),
			       tws, (unsigned long long)e->seq, t[i].valid ? "" : _("  [NOT VALID: see the findings]"));
			if (c)
				printf(_("    authorised by certificate %s#%llu (%s)\n"), c->township, (unsigned long long)c->seq,
				       role_name(c->role));
			if (e->op.operator_name.n)
				printf(_("    operator %.*s (an account of the office, signed with its key)\n"),
				       (int)e->op.operator_name.n, (const char *)e->op.operator_name.p);
		}
		for (uint32_t w = 0; w < e->op.nwrites; w++) {
			const silver_write *wr = &e->op.writes[w];
			char fname[SILVER_MAX_NAME + 1];
			const silver_field *f = col ? silver_schema_field(col, (const char *)wr->field.p, wr->field.n) : NULL;
			json_t *old = arr ? json_array() : NULL;
			snprintf(fname, sizeof(fname), "%.*s", (int)wr->field.n, (const char *)wr->field.p);
			if (!arr && strcmp(fname, "_del") == 0 && wr->value.type == SILVER_V_BOOL) {
				/* "_del": a create, a delete, or the mark every edit carries */
				if (wr->value.i)
					printf(_("    deleted\n"));
				else if (wr->nbases == 0)
					printf(_("    created\n"));
				continue;
			}
			if (!arr)
				printf("    %s: ", fname);
			for (uint32_t b = 0; b < wr->nbases; b++) {
				const silver_value *ov = base_value(t, n, &wr->bases[b], &wr->field);
				if (arr)
					json_array_append_new(old, value_json(f, ov, &tmp));
				else
					printf("%s%s", b ? " | " : "", value_text(f, ov, &tmp));
			}
			if (arr)
				json_array_append_new(jw, json_pack("{s:s,s:o,s:o}", "field", fname, "old", old, "new",
								    value_json(f, &wr->value, &tmp2)));
			else
				printf("%s%s\n", wr->nbases ? " -> " : "", value_text(f, &wr->value, &tmp2));
		}
		if (arr) {
			json_object_set_new(je, "writes", jw);
			json_array_append_new(arr, je);
		}
	}
	if (arr) {
		json_t *j = json_pack("{s:s,s:o,s:b}", "id", a->id, "entries", arr, "clean", invalid == 0);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	}
	silver_buf_release(&tmp);
	silver_buf_release(&tmp2);
	silver_arena_destroy(&ar);
	free(t);
	if (n == 0) {
		silver_cli_error(_("trace: no entry writes the record %s"), a->id);
		return EXIT_UNUSABLE;
	}
	return invalid ? EXIT_FINDINGS : EXIT_CLEAN;
}

/* ---- proof ------------------------------------------------------------------------------- */

static int do_proof(const struct args *a)
{
	FILE *f = fopen(a->file, "rb");
	silver_buf b;
	silver_fork_info info;
	uint8_t chunk[65536];
	size_t n;
	int rv;

	if (!f) {
		silver_cli_error(_("proof: cannot open %s: %s"), a->file, strerror(errno));
		return EXIT_UNUSABLE;
	}
	silver_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > (size_t)2 * SILVER_MAX_PROOF_SIDE * (SILVER_MAX_ENTRY + 8) + 64 ||
		    silver_buf_append(&b, chunk, n) != 0) {
			fclose(f);
			silver_buf_release(&b);
			silver_cli_error(_("proof: %s is too large to be a fork proof"), a->file);
			return EXIT_FINDINGS;
		}
	}
	fclose(f);
	if ((rv = silver_crypto_init()) != 0) {
		silver_buf_release(&b);
		return EXIT_UNUSABLE;
	}
	rv = silver_fork_proof_verify(b.data, b.len, &info);
	silver_buf_release(&b);
	if (a->json) {
		json_t *j = json_pack("{s:b}", "valid", rv == 0);
		if (rv == 0) {
			char key[2 * SILVER_KEY_BYTES + 1], h0[2 * SILVER_HASH_BYTES + 1], h1[2 * SILVER_HASH_BYTES + 1];
			silver_hex(info.author, SILVER_KEY_BYTES, key);
			silver_hex(info.hash[0], SILVER_HASH_BYTES, h0);
			silver_hex(info.hash[1], SILVER_HASH_BYTES, h1);
			json_object_set_new(j, "author", json_string(key));
			json_object_set_new(j, "township", json_string(info.township));
			json_object_set_new(j, "seq", json_integer((json_int_t)info.seq));
			json_object_set_new(j, "hashes", json_pack("[s,s]", h0, h1));
		} else {
			json_object_set_new(j, "error", json_string(_(silver_strerror(rv))));
		}
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else if (rv == 0) {
		char key[2 * SILVER_KEY_BYTES + 1], h0[2 * SILVER_HASH_BYTES + 1], h1[2 * SILVER_HASH_BYTES + 1];
		silver_hex(info.author, SILVER_KEY_BYTES, key);
		silver_hex(info.hash[0], SILVER_HASH_BYTES, h0);
		silver_hex(info.hash[1], SILVER_HASH_BYTES, h1);
		printf(_("Valid fork proof: key %s signed two different entries.\n"), key);
		printf(_("  township: %s\n  seq:      %llu\n  hash 1:   %s\n  hash 2:   %s\n"), info.township,
		       (unsigned long long)info.seq, h0, h1);
	} else {
		printf(_("Not a valid fork proof: %s\n"), _(silver_strerror(rv)));
	}
	return rv == 0 ? EXIT_CLEAN : EXIT_FINDINGS;
}

/* ---- a damaged store ---------------------------------------------------------------
 *
 * The auditor must give a verdict on a damaged store, never crash: a page LMDB
 * cannot follow (SIGSEGV on the map or in liblmdb, an LMDB assertion) or a
 * file cut short (SIGBUS) ends the walk, and the report is the one finding
 * `damaged`.  The walk is left where it broke (its state is not trusted):
 * the report is printed and the program ends with _exit.  A fault in a
 * verification thread is handed to the main thread, which jumps. */
static sigjmp_buf damage_jmp;
static volatile sig_atomic_t damage_armed;
static pthread_t main_thread;

static void damage_jump(void)
{
	if (!damage_armed)
		return; /* LMDB aborts; a signal takes its default action */
	if (pthread_equal(pthread_self(), main_thread))
		siglongjmp(damage_jmp, 1);
	pthread_kill(main_thread, SIGUSR2);
	for (;;)
		pause();
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	if (sig == SIGUSR2 || silver_store_fault(sig, si, uc))
		damage_jump();
	signal(sig, SIG_DFL); /* the fault repeats and takes its default action */
}

/* A walk that reads no entry for this long is stuck in liblmdb on a garbage
 * page (no single read takes more than milliseconds, even on a loaded
 * machine): the store is damaged.  SILVER_AUDIT_STALL_SECONDS (tests) sets it. */
#define AUDIT_STALL_SECONDS 60

static void *watchdog(void *arg)
{
	unsigned long last = audit_progress;
	unsigned stall = 0, limit = (unsigned)(uintptr_t)arg;
	for (;;) {
		sleep(1);
		if (!damage_armed)
			continue;
		if (!audit_walking || audit_progress != last) {
			last = audit_progress;
			stall = 0;
			continue;
		}
		if (++stall >= limit) {
			pthread_kill(main_thread, SIGUSR2);
			return NULL;
		}
	}
}

static void guard_store(void)
{
	const char *e = getenv("SILVER_AUDIT_STALL_SECONDS");
	unsigned long limit = e && *e ? strtoul(e, NULL, 10) : AUDIT_STALL_SECONDS;
	pthread_t th;
	pthread_attr_t at;
	struct sigaction sa;
	main_thread = pthread_self();
	silver_store_on_damage(damage_jump);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	if (limit == 0 || limit > 86400)
		limit = AUDIT_STALL_SECONDS;
	if (pthread_attr_init(&at) == 0) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &at, watchdog, (void *)(uintptr_t)limit) != 0)
			silver_cli_error(_("cannot start the watchdog thread; a damaged store could stop the audit"));
		pthread_attr_destroy(&at);
	}
}

static int has_data_file(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return access(path, F_OK) == 0;
}

/* The report of a store that cannot be read through: one finding. */
static int report_damaged(const struct args *a)
{
	audit_report rep;
	memset(&rep, 0, sizeof(rep));
	audit__add(&rep, AUDIT_K_DAMAGED, NULL, NULL, 0,
		   _("the store is damaged: its file is shorter than the pages it uses, or a page cannot be read "
		     "(garbage); nothing in it can be trusted until it is restored from a backup"));
	if (a->json)
		report_json(a, &rep);
	else
		report_text(a, &rep);
	fflush(stdout);
	audit_report_release(&rep);
	return EXIT_FINDINGS;
}

int main(int argc, char **argv)
{
	struct args a;
	audit_report rep;
	silver_why why;
	int rv;

	silver_i18n_init();
	silver_cli_prog = "silver-audit";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("silver-audit (silversync) %s\n", SILVER_VERSION);
			return 0;
		}
	}
	if (parse(argc, argv, &a) != 0)
		return EXIT_UNUSABLE;
	if (a.cmd && strcmp(a.cmd, "proof") == 0)
		return do_proof(&a);
	if (a.o.store) {
		guard_store();
		if (sigsetjmp(damage_jmp, 1) != 0) {
			damage_armed = 0;
			_exit(report_damaged(&a));
		}
		damage_armed = 1;
	}
	rv = audit_run(&a.o, &rep, &why);
	damage_armed = 0;
	if (a.o.store && (rv == SILVER_ECORRUPT || rv == SILVER_ESTORE ||
			  (rv == SILVER_ENOTFOUND && has_data_file(a.o.store)))) {
		/* ENOTFOUND with a data.mdb: one of its databases is gone;
		 * ESTORE: LMDB failed in a way only a damaged file explains
		 * (a read-only audit asks nothing else of it). */
		audit_report_release(&rep);
		return report_damaged(&a);
	}
	if (rv != 0) {
		const char *what = a.o.store ? a.o.store : a.o.bundle;
		if (rv == SILVER_EMALFORMED && !a.o.store)
			silver_cli_error(_("%s is not a silversync bundle"), what);
		else if (rv == SILVER_EVERSION)
			silver_cli_error(_("%s was written by a newer silversync: use a newer silver-audit"), what);
		else if (rv == SILVER_ENOTFOUND)
			silver_cli_error(a.o.store ? _("%s holds no silversync store") : _("%s: no such file"), what);
		else if (why.reason[0])
			silver_cli_error("%s: %s (%s)", what, _(why.reason), why.detail);
		else
			silver_cli_error("%s: %s", what, _(silver_strerror(rv)));
		audit_report_release(&rep);
		return EXIT_UNUSABLE;
	}
	if (a.cmd) {
		rv = do_trace(&a, &rep);
	} else {
		if (a.json)
			report_json(&a, &rep);
		else
			report_text(&a, &rep);
		rv = rep.nfindings || rep.dropped ? EXIT_FINDINGS : EXIT_CLEAN;
	}
	audit_report_release(&rep);
	return rv;
}

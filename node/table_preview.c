/*
 * table_preview.c - what an import would do, row by row, without writing:
 * `silvernode import --dry-run`, and a library call for any other front
 * end.  It reads the file as the import does (silver_table_open, libcsv,
 * the same header map, value forms and natural keys) and checks each row
 * with silver_draft_add and each reference against the store, reporting
 * every refused row instead of stopping at the first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "silver_i18n.h"
#include "silver_table.h"

struct pv {
	silver_store *s;
	const silver_collection *c;
	silver_preview_fn fn;
	void *ctx;
	silver_preview *out;
	silver_why *why; /* the error that stops the preview */
	silver_header h;
	int have_hdr;
	silver_retiree_index *ix;
	silver_arena *a;
	silver_buf text; /* the row's cells, NUL-terminated */
	size_t offs[SILVER_MAX_WRITES + 1];
	uint32_t ncells;
	int nul_col, toowide;
	long line, nl;
	int last_cr;
	int rv; /* stops the parse */
	int oom;
};

static void *capped_realloc(void *p, size_t n)
{
	return n > 2 * (size_t)SILVER_TABLE_MAX_LINE ? NULL : realloc(p, n);
}

static void pv_cell(void *s, size_t n, void *vctx)
{
	struct pv *p = vctx;
	static const char nul;
	if (p->rv)
		return;
	if (n && memchr(s, 0, n) && !p->nul_col)
		p->nul_col = (int)p->ncells + 1;
	if (p->ncells >= SILVER_MAX_WRITES) {
		p->toowide = 1;
	} else {
		p->offs[p->ncells++] = p->text.len;
		if ((n && silver_buf_append(&p->text, s, n) != 0) ||
		    silver_buf_append(&p->text, &nul, 1) != 0)
			p->oom = 1;
	}
	if (n && memchr(s, '\n', n))
		for (size_t i = 0; i < n; i++)
			p->nl += ((const char *)s)[i] == '\n';
}

static int report(struct pv *p, silver_why *w)
{
	p->out->errors++;
	return p->fn ? p->fn(w, p->ctx) : 0;
}

static int row_why(struct pv *p, long line, const char *field, const char *reason, const char *detail)
{
	silver_why w;
	memset(&w, 0, sizeof(w));
	w.row = line;
	if (field)
		snprintf(w.field, sizeof(w.field), "%s", field);
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
	if (detail)
		snprintf(w.detail, sizeof(w.detail), "%s", detail);
	return report(p, &w);
}

static void check_row(struct pv *p, long line)
{
	char *cells[SILVER_MAX_WRITES];
	char *outb = NULL;
	silver_kv kv[SILVER_MAX_WRITES];
	silver_draft d;
	silver_why w;
	uint32_t nkv;
	int rv;

	for (uint32_t j = 0; j < p->ncells; j++)
		cells[j] = (char *)p->text.data + p->offs[j];
	if (p->nul_col) {
		char col[16];
		snprintf(col, sizeof(col), "%d", p->nul_col);
		p->rv = row_why(p, line, NULL, N_("a NUL byte in the cell of column"), col);
		return;
	}
	if (!p->have_hdr) {
		/* a UTF-8 byte order mark from spreadsheet programs is not part of the first name */
		if (p->ncells && strncmp(cells[0], "\xEF\xBB\xBF", 3) == 0)
			cells[0] += 3;
		if (p->ncells == 1 && cells[0][0] == 0)
			return; /* a blank line, or only a byte order mark: no header yet */
		if (p->toowide) {
			memset(p->why, 0, sizeof(*p->why));
			snprintf(p->why->reason, sizeof(p->why->reason), "%s", N_("too many columns"));
			p->why->row = line;
			p->rv = SILVER_ESCHEMA;
			return;
		}
		if ((rv = silver_header_map(p->c, cells, p->ncells, &p->h, p->why)) != 0) {
			p->rv = rv;
			return;
		}
		p->have_hdr = 1;
		if (p->h.natural || (p->c && silver_schema_field(p->c, "retiree", 7)))
			if ((rv = silver_retiree_index_build(p->s, &p->ix)) != 0)
				p->rv = rv;
		return;
	}
	if (p->ncells == 1 && cells[0][0] == 0)
		return; /* a blank row */
	p->out->rows++;
	if (p->toowide || p->ncells != p->h.ncols) {
		char d2[32];
		snprintf(d2, sizeof(d2), "%u/%u", p->toowide ? SILVER_MAX_WRITES : p->ncells, p->h.ncols);
		p->rv = row_why(p, line, NULL, N_("the row does not have as many cells as the header"), d2);
		return;
	}
	if (!(outb = malloc((size_t)SILVER_MAX_ID * SILVER_MAX_WRITES))) {
		p->oom = 1;
		return;
	}
	silver_arena_reset(p->a);
	rv = silver_row_kv(&p->h, p->ix, cells, p->ncells, kv, &nkv, outb, &w);
	if (rv == 0)
		rv = silver_draft_add(p->a, p->c->name, kv, nkv, &d, &w);
	/* references: the record must be there and not deleted */
	for (uint32_t i = 0; rv == 0 && i < d.nwrites; i++) {
		const silver_field *f =
			silver_schema_field(p->c, (const char *)d.writes[i].field.p, d.writes[i].field.n);
		silver_record r;
		char id[SILVER_MAX_ID + 1];
		const silver_value *v = &d.writes[i].value;
		if (!f || f->type != SILVER_F_REF || v->type != SILVER_V_STR || v->s.n > SILVER_MAX_ID)
			continue;
		memcpy(id, v->s.p, v->s.n);
		id[v->s.n] = 0;
		rv = silver_store_get(p->s, id, p->a, &r);
		if (rv == SILVER_ENOTFOUND || (rv == 0 && r.deleted)) {
			memset(&w, 0, sizeof(w));
			snprintf(w.field, sizeof(w.field), "%s", f->key);
			snprintf(w.reason, sizeof(w.reason), "%s",
				 rv == 0 ? N_("refers to a deleted record") :
					   N_("refers to a record that does not exist"));
			snprintf(w.detail, sizeof(w.detail), "%s", id);
			rv = SILVER_ESCHEMA;
		} else if (rv != 0) {
			free(outb);
			p->rv = rv;
			return;
		}
	}
	free(outb);
	if (rv == SILVER_ENOMEM) {
		p->oom = 1;
	} else if (rv != 0) {
		w.row = line;
		p->rv = report(p, &w);
	} else {
		p->out->ok++;
	}
}

static void pv_row(int ch, void *vctx)
{
	struct pv *p = vctx;
	if (p->rv)
		return;
	if (p->ncells == 0) {
		if (!(ch == '\n' && p->last_cr))
			p->line++;
		p->last_cr = ch == '\r';
		return;
	}
	check_row(p, p->line);
	p->line += 1 + p->nl;
	p->nl = 0;
	p->last_cr = ch == '\r';
	p->ncells = 0;
	p->nul_col = 0;
	p->toowide = 0;
	p->text.len = 0;
}

static int stop(silver_why *why, int rv, const char *reason, long line, const char *detail)
{
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (detail)
		snprintf(why->detail, sizeof(why->detail), "%s", detail);
	why->row = line;
	return rv;
}

int silver_import_preview(silver_store *s, const char *collection, const char *path, silver_preview_fn fn,
			  void *ctx, silver_preview *out, silver_why *why)
{
	struct pv p;
	silver_table *t = NULL;
	struct csv_parser cp;
	char buf[65536];
	size_t n;
	int rv, e = 0;

	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	memset(&p, 0, sizeof(p));
	if (!(p.c = silver_schema_find(collection)))
		return stop(why, SILVER_EINVAL, N_("no such collection"), 0, collection);
	if ((rv = silver_table_open(path, &t, &e, why)) != 0) {
		out->err_errno = e;
		return rv;
	}
	out->kind = silver_table_kind(t);
	p.s = s;
	p.fn = fn;
	p.ctx = ctx;
	p.out = out;
	p.why = why;
	p.line = 1;
	silver_buf_init(&p.text);
	if (!(p.a = silver_arena_new()) ||
	    csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL)) {
		silver_arena_destroy(&p.a);
		silver_table_close(&t);
		return SILVER_ENOMEM;
	}
	csv_set_realloc_func(&cp, capped_realloc);
	csv_set_blk_size(&cp, 256 * 1024); /* a long cell grows in few steps, not 128 bytes at a time */
	while (!p.rv && !p.oom && (n = fread(buf, 1, sizeof(buf), silver_table_stream(t))) > 0) {
		if (csv_parse(&cp, buf, n, pv_cell, pv_row, &p) != n) {
			rv = csv_error(&cp) == CSV_ENOMEM ?
				     stop(why, SILVER_ELIMIT, N_("a row longer than 1 MiB"), p.line, NULL) :
				     stop(why, SILVER_EMALFORMED, N_("not valid CSV"), p.line,
					  csv_strerror(csv_error(&cp)));
			goto out;
		}
	}
	if (!p.rv && !p.oom && ferror(silver_table_stream(t))) {
		out->err_errno = errno;
		rv = SILVER_EIO;
		goto out;
	}
	if (!p.rv && !p.oom && csv_fini(&cp, pv_cell, pv_row, &p) != 0) {
		rv = stop(why, SILVER_EMALFORMED, N_("the file ends inside a quoted cell"), p.line, NULL);
		goto out;
	}
	if (p.oom)
		rv = SILVER_ENOMEM;
	else if (p.rv)
		rv = p.rv; /* why is set by the header, or fn stopped */
	else if (!p.have_hdr)
		rv = stop(why, SILVER_EINVAL, N_("the file is empty; the first row must name the fields"), 1,
			  NULL);
	else if (out->rows == 0)
		rv = stop(why, SILVER_EINVAL, N_("the file has a header but no rows to import"), p.line,
			  NULL);
	else
		rv = 0;
out:
	csv_free(&cp);
	silver_retiree_index_free(&p.ix);
	silver_arena_destroy(&p.a);
	silver_buf_release(&p.text);
	silver_table_close(&t);
	return rv;
}

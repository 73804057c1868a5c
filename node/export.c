/*
 * export.c - `silvernode export COLLECTION FILE.csv|FILE.xlsx`: every live
 * record of a collection as a table for spreadsheet programs, one row per
 * record, with the headers and value labels the programs print (Chinese in
 * the Chinese interface), so that the file reads as the screen does and can
 * be imported again (the import accepts these labels; docs/FORMAT.md).
 *
 * Columns: every field of the collection in schema order (record ids are
 * not a column: a file imported again makes new records).  Values: enum and set values as their labels
 * (sets joined by "、"), money as yuan, dates as YYYY-MM-DD, references as
 * record ids.  CSV files start with a UTF-8 byte order mark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "import.h"
#include "silver_table.h"

struct ex {
	const silver_collection *c;
	silver_sheet *w;
	silver_buf vals; /* the row's cells, NUL-terminated */
	size_t offs[SILVER_MAX_WRITES + 1];
	unsigned long rows;
	int rv;
	silver_cli_progress pg; /* on a terminal: the records written */
};

static int put(silver_buf *b, const void *p, size_t n)
{
	return n ? silver_buf_append(b, p, n) : 0;
}

static int ex_one(const silver_record *r, void *vctx)
{
	struct ex *x = vctx;
	const char *cells[SILVER_MAX_WRITES + 1];
	silver_buf tmp;
	static const char nul;
	uint32_t n = x->c->nfields;

	if (r->deleted)
		return 0;
	x->vals.len = 0;
	silver_buf_init(&tmp);
	for (uint32_t i = 0; i < n; i++) {
		const silver_field *f = &x->c->fields[i];
		const silver_value *v = silver_record_value(r, f->key);
		x->offs[i] = x->vals.len;
		if (v && v->type != SILVER_V_NIL) {
			if (f->type == SILVER_F_ENUM && v->type == SILVER_V_STR) {
				const char *l = silver_schema_enum_label(f, v->s.p, v->s.n);
				const char *t = l ? _(l) : NULL;
				if (put(&x->vals, t ? t : (const char *)v->s.p, t ? strlen(t) : v->s.n))
					goto nomem;
			} else if (f->type == SILVER_F_SET && v->type == SILVER_V_LIST) {
				for (uint32_t k = 0; k < v->n; k++) {
					const char *l =
						silver_schema_enum_label(f, v->items[k].p, v->items[k].n);
					if ((k && put(&x->vals, "、", strlen("、"))) ||
					    put(&x->vals, l ? _(l) : (const char *)v->items[k].p,
						l ? strlen(_(l)) : v->items[k].n))
						goto nomem;
				}
			} else {
				silver_cli_value(f, v, &tmp);
				if (put(&x->vals, tmp.data, strlen((const char *)tmp.data)))
					goto nomem;
			}
		}
		if (silver_buf_append(&x->vals, &nul, 1))
			goto nomem;
	}
	for (uint32_t i = 0; i < n; i++)
		cells[i] = (const char *)x->vals.data + x->offs[i];
	silver_buf_release(&tmp);
	x->rows++;
	{
		uint64_t ms = silver_cli_progress_due(&x->pg);
		if (ms)
			silver_cli_progress_print(_("exporting: %lu records, %.0f records/s"), x->rows,
				(double)x->rows * 1000.0 / (double)ms);
	}
	return silver_sheet_row(x->w, cells, n);
nomem:
	silver_buf_release(&tmp);
	return SILVER_ENOMEM;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

int silver_cmd_export(silver_cli_opts *o)
{
	struct ex x;
	silver_store *s;
	const char *hdr[SILVER_MAX_WRITES + 1];
	int rv, xlsx;

	if (o->argc != 2) {
		silver_cli_error(_("export: usage: silvernode export COLLECTION FILE.csv|FILE.xlsx"));
		return SILVER_EXIT_USAGE;
	}
	memset(&x, 0, sizeof(x));
	if (!(x.c = silver_schema_find(o->argv[0]))) {
		silver_cli_error(_("export: no collection '%s'"), o->argv[0]);
		return SILVER_EXIT_INPUT;
	}
	if (ends_with(o->argv[1], ".xlsx")) {
		xlsx = 1;
	} else if (ends_with(o->argv[1], ".csv")) {
		xlsx = 0;
	} else {
		silver_cli_error(_("export: the file name must end in .csv or .xlsx: %s"), o->argv[1]);
		return SILVER_EXIT_USAGE;
	}
	if ((rv = silver_cli_open(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	if ((rv = silver_sheet_create(o->argv[1], xlsx, o->argv[0], &x.w)) != 0) {
		silver_cli_error(_("export: cannot write %s (check that its folder exists and may be written)"),
				 o->argv[1]);
		silver_store_close(&s);
		return SILVER_EXIT_NOTFOUND;
	}
	for (uint32_t i = 0; i < x.c->nfields; i++)
		hdr[i] = _(x.c->fields[i].label);
	silver_buf_init(&x.vals);
	silver_cli_progress_begin(&x.pg);
	rv = silver_sheet_row(x.w, hdr, x.c->nfields);
	if (rv == 0)
		rv = silver_store_list(s, x.c->name, ex_one, &x);
	silver_buf_release(&x.vals);
	silver_store_close(&s);
	/* a workbook is written out at the close: as long again as the rows */
	if (rv == 0 && xlsx && x.pg.shown)
		silver_cli_progress_print(_("writing the workbook %s (%lu records) ..."), o->argv[1], x.rows);
	if (rv == 0)
		rv = silver_sheet_close(&x.w);
	else
		silver_sheet_abort(&x.w);
	silver_cli_progress_end(&x.pg);
	if (rv == SILVER_EIO) {
		silver_cli_error(_("export: cannot write %s (check that its folder exists and may be written)"),
				 o->argv[1]);
		return SILVER_EXIT_NOTFOUND;
	}
	if (rv != 0)
		return silver_cli_fail(rv, NULL, _("export: "));
	printf(_("Exported %lu records of %s to %s.\n"), x.rows, _(x.c->label), o->argv[1]);
	return SILVER_EXIT_OK;
}

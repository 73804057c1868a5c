/*
 * stats.c - silver-stats: the county's figures per township and county-wide
 * for a date range, read from the statistics cells the store keeps up to
 * date as entries are applied (stats_report.c), printed as an aligned
 * table, CSV, JSON or a self-contained HTML report.  docs/STATS.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>
#include <xlsxwriter.h>

#include "cli.h"
#include "stats_view.h"

enum format { F_TABLE, F_CSV, F_JSON, F_HTML, F_XLSX };

/* ---- CSV: one figure a line (RFC 4180, every field quoted by libcsv) -------------------- */

static void csv_field(FILE *f, const char *s, int last)
{
	csv_fwrite(f, s, strlen(s));
	fputs(last ? "\r\n" : ",", f);
}

static void csv_line(FILE *f, const char *sec, const char *tw, const char *row, const char *rowlabel,
		     const struct stats_col *col, int64_t v)
{
	char val[32];
	if (col->flags & STATS_MONEY)
		stats_yuan(v, val);
	else
		snprintf(val, sizeof(val), "%lld", (long long)v);
	csv_field(f, sec, 0);
	csv_field(f, tw, 0);
	csv_field(f, strcmp(tw, "*") == 0 ? "" : view_township_label(tw), 0);
	csv_field(f, row, 0);
	csv_field(f, rowlabel, 0);
	csv_field(f, col->key, 0);
	csv_field(f, _(col->label), 0);
	csv_field(f, val, 1);
}

static void csv_tw(FILE *f, const char *code, const struct stats_tw *t)
{
	for (int sec = 0; sec < ST_NSEC; sec++) {
		const struct stats_section *s = &stats_sections[sec];
		if (sec == ST_GROUPS) {
			for (uint32_t g = 0; g < t->ngroups; g++)
				for (uint32_t c = 0; c < s->ncols; c++)
					csv_line(f, s->key, code, t->groups[g].id, view_group_label(&t->groups[g]),
						 &s->cols[c], t->groups[g].v[c]);
			continue;
		}
		for (uint32_t c = 0; c < s->ncols; c++)
			csv_line(f, s->key, code, "", "", &s->cols[c], t->v[sec][c]);
	}
}

static int write_csv(const struct stats_report *r, FILE *f)
{
	fputs("section,township,township_name,row,row_label,column,column_label,value\r\n", f);
	for (uint32_t i = 0; i < r->ntw; i++)
		csv_tw(f, r->tw[i].code, &r->tw[i]);
	csv_tw(f, "*", &r->total);
	return ferror(f) ? SILVER_EIO : 0;
}

/* ---- JSON: stable keys ------------------------------------------------------------------ */

static json_t *json_tw(const struct stats_tw *t)
{
	json_t *o = json_object();
	for (int sec = 0; sec < ST_NSEC; sec++) {
		const struct stats_section *s = &stats_sections[sec];
		json_t *so = json_object();
		for (uint32_t c = 0; c < s->ncols; c++) {
			if (s->cols[c].flags & STATS_MONEY) {
				char y[32], k[64];
				stats_yuan(t->v[sec][c], y);
				json_object_set_new(so, s->cols[c].key, json_string(y));
				snprintf(k, sizeof(k), "%s_fen", s->cols[c].key);
				json_object_set_new(so, k, json_integer(t->v[sec][c]));
			} else {
				json_object_set_new(so, s->cols[c].key, json_integer(t->v[sec][c]));
			}
		}
		if (sec == ST_GROUPS) {
			json_t *by = json_object();
			for (uint32_t g = 0; g < t->ngroups; g++)
				json_object_set_new(by, *t->groups[g].id ? t->groups[g].id : "-",
						    json_pack("{s:s,s:s,s:I,s:I}", "name", t->groups[g].name, "kind",
							      !*t->groups[g].id ? "" : t->groups[g].club ? "club" : "team",
							      "activities", (json_int_t)t->groups[g].v[SG_ACTIVITIES],
							      "audience", (json_int_t)t->groups[g].v[SG_AUDIENCE]));
			json_object_set_new(so, "by_group", by);
		}
		json_object_set_new(o, s->key, so);
	}
	return o;
}

static int write_json(const struct stats_report *r, FILE *f)
{
	json_t *j = json_object(), *tws = json_object();
	int rv;
	json_object_set_new(j, "format", json_string("silversync-stats"));
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "township", *r->township ? json_string(r->township) : json_null());
	json_object_set_new(j, "from", *r->from ? json_string(r->from) : json_null());
	json_object_set_new(j, "to", *r->to ? json_string(r->to) : json_null());
	json_object_set_new(j, "checkup_from", json_string(r->checkup_from));
	json_object_set_new(j, "checkup_to", json_string(r->checkup_to));
	for (uint32_t i = 0; i < r->ntw; i++)
		json_object_set_new(tws, r->tw[i].code, json_tw(&r->tw[i]));
	json_object_set_new(j, "townships", tws);
	if (r->meta) {
		const struct stats_meta *m = r->meta;
		json_t *order = json_array(), *names = json_object(), *fresh = json_object();
		char title[512];
		for (uint32_t i = 0; i < r->ntw; i++) {
			json_array_append_new(order, json_string(r->tw[i].code));
			json_object_set_new(names, r->tw[i].code, json_string(view_township_label(r->tw[i].code)));
		}
		for (size_t i = 0; i < m->nfresh; i++) {
			char date[40], age[64];
			int stale = view_fresh(r, &m->fresh[i], date, sizeof(date), age, sizeof(age));
			json_t *fo = json_pack("{s:I,s:b}", "entries", (json_int_t)m->fresh[i].entries, "behind", stale);
			json_object_set_new(fo, "newest", m->fresh[i].hlc ? json_string(date) : json_null());
			json_object_set_new(fo, "age_days",
					    m->fresh[i].hlc ? json_integer((m->now - (json_int_t)(SILVER_HLC_MS(m->fresh[i].hlc) / 1000)) / 86400)
							    : json_null());
			json_object_set_new(fresh, m->fresh[i].code, fo);
			if (!json_object_get(names, m->fresh[i].code))
				json_object_set_new(names, m->fresh[i].code, json_string(view_township_label(m->fresh[i].code)));
		}
		view_title(r, title, sizeof(title));
		json_object_set_new(j, "title", json_string(title));
		json_object_set_new(j, "county", json_string(m->county->county));
		json_object_set_new(j, "unit", json_string(m->county->unit));
		json_object_set_new(j, "township_order", order);
		json_object_set_new(j, "township_names", names);
		json_object_set_new(j, "freshness", fresh);
		json_object_set_new(j, "stale_days", json_integer(m->county->stale_days));
		json_object_set_new(j, "state_digest", json_string(m->state_digest));
		json_object_set_new(j, "log_digest", json_string(m->log_digest));
		json_object_set_new(j, "entries", json_integer((json_int_t)m->entries));
		json_object_set_new(j, "made", json_string(m->made));
	}
	json_object_set_new(j, "total", json_tw(&r->total));
	rv = json_dumpf(j, f, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', f);
	json_decref(j);
	return rv != 0 || ferror(f) ? SILVER_EIO : 0;
}

/* ---- XLSX: one worksheet per section, as the table shows it ---------------------------------- */

/* A worksheet name: the section's title without the characters Excel
 * refuses in one ([]:*?/\), at most 31 characters (UTF-8 aware). */
static void sheet_name(const char *title, char out[128])
{
	size_t o = 0, chars = 0;
	for (const unsigned char *p = (const unsigned char *)title; *p && o < 120; p++) {
		if ((*p & 0xC0) != 0x80 && chars++ == 31)
			break; /* a character's first byte: stop before the 32nd */
		out[o++] = strchr("[]:*?/\\", *p) ? '-' : (char)*p;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

/* Written by libxlsxwriter to tmp (it names its own file), renamed to path by the caller. */
static int write_xlsx(const struct stats_report *r, const char *tmp)
{
	lxw_workbook *wb = workbook_new(tmp);
	lxw_format *bold, *money;
	int rv = 0;

	if (!wb)
		return SILVER_EIO;
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	money = workbook_add_format(wb);
	format_set_num_format(money, "0.00");
	for (int sec = 0; sec < ST_NSEC && rv == 0; sec++) {
		struct view_grid g;
		lxw_worksheet *ws;
		char name[128];
		sheet_name(_(stats_sections[sec].title), name);
		if ((rv = view_grid_build(r, (enum stats_sec)sec, &g)) != 0)
			break;
		if (!(ws = workbook_add_worksheet(wb, name))) {
			view_grid_free(&g);
			rv = SILVER_EIO;
			break;
		}
		for (uint32_t c = 0; c < g.ncols; c++)
			worksheet_write_string(ws, 0, (lxw_col_t)c, g.head[c], bold);
		for (uint32_t i = 0; i < g.nrows; i++)
			for (uint32_t c = 0; c < g.ncols; c++) {
				const char *v = g.rows[i].cell[c];
				if (c < g.nlead)
					worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)c, v,
							       g.rows[i].total ? bold : NULL);
				else
					worksheet_write_number(ws, (lxw_row_t)(i + 1), (lxw_col_t)c, strtod(v, NULL),
							       g.flags[c] & STATS_MONEY ? money : NULL);
			}
		view_grid_free(&g);
	}
	if (workbook_close(wb) != LXW_NO_ERROR && rv == 0)
		rv = SILVER_EIO;
	return rv;
}

/* ---- the program -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, _("Usage: silver-stats [--dir DIR] [--township T] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
		     "                    [--format table|csv|json|html|xlsx] [--out FILE]\n"
		     "                    [--county FILE]\n\n"));
	fprintf(f, _("The county's figures per township and county-wide, read from the statistics the node\n"
		     "keeps up to date: retirees, aid, visits, deliveries, ceremonies, activities, lectures,\n"
		     "mediation cases, model branches and community services.\n\n"));
	fprintf(f, _("Options:\n"
		     "  --dir DIR        the node directory (default: $SILVER_DIR, else ./silver-data)\n"
		     "  --township T     one township only (default: every township and the county total)\n"
		     "  --from DATE      count events dated on or after DATE\n"
		     "  --to DATE        count events dated on or before DATE; honorary retirees' files are up\n"
		     "                   to date with a check-up in the 365 days before it (default: today)\n"
		     "  --format F       table (default), csv, json, html (one file, charts included) or\n"
		     "                   xlsx (a workbook, one sheet per section; needs --out)\n"
		     "  --out FILE       write to FILE instead of standard output\n"
		     "  --county FILE    the county file: its name, reporting unit, townships in order\n"
		     "                   (default: DIR/county.json when it exists; docs/OPERATIONS.md)\n"
		     "  --help, --version\n\n"
		     "Exit codes: 0 ok, 2 usage, 3 invalid input (a bad date, a bad county file),\n"
		     "4 no node or no such township, 7 store error.\n"
		     "See docs/STATS.md and docs/EXIT.md.\n"));
}

static int open_store(const char *dir, silver_store **s)
{
	return silver_cli_open(dir, SILVER_OPEN_RDONLY, s);
}

static int write_report(const struct stats_report *r, enum format fmt, FILE *f)
{
	switch (fmt) {
	case F_CSV:
		return write_csv(r, f);
	case F_JSON:
		return write_json(r, f);
	case F_HTML:
		return stats_write_html(r, f);
	default:
		return stats_write_table(r, f);
	}
}

/* Write to path.tmp, then rename: a report file is never half written. */
static int write_out(const struct stats_report *r, enum format fmt, const char *path)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f;
	int rv, err;
	if (!tmp)
		return SILVER_EXIT_INTERNAL;
	snprintf(tmp, n, "%s.tmp", path);
	if (fmt == F_XLSX) {
		rv = write_xlsx(r, tmp);
		err = errno;
		if (rv == 0 && rename(tmp, path) != 0)
			rv = SILVER_EIO, err = errno;
		if (rv != 0) {
			unlink(tmp);
			free(tmp);
			if (rv == SILVER_ENOMEM)
				return silver_cli_fail(rv, NULL, NULL);
			silver_cli_error(_("cannot write %s: %s"), path, strerror(err ? err : EIO));
			return err == ENOENT ? SILVER_EXIT_NOTFOUND : SILVER_EXIT_INTERNAL;
		}
		free(tmp);
		return 0;
	}
	if (!(f = fopen(tmp, "w"))) {
		err = errno;
		silver_cli_error(_("cannot write %s: %s"), path, strerror(err));
		free(tmp);
		return err == ENOENT ? SILVER_EXIT_NOTFOUND : SILVER_EXIT_INPUT;
	}
	rv = write_report(r, fmt, f);
	err = errno;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rv = rv ? rv : SILVER_EIO, err = errno;
	if (fclose(f) != 0)
		rv = rv ? rv : SILVER_EIO, err = errno;
	if (rv == 0 && rename(tmp, path) != 0)
		rv = SILVER_EIO, err = errno;
	if (rv != 0) {
		unlink(tmp);
		free(tmp);
		if (rv == SILVER_ENOMEM)
			return silver_cli_fail(rv, NULL, NULL);
		silver_cli_error(_("cannot write %s: %s"), path, strerror(err));
		return err == ENOSPC ? SILVER_EXIT_STORE : SILVER_EXIT_INTERNAL;
	}
	free(tmp);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("SILVER_DIR"), *township = NULL, *from = NULL, *to = NULL, *out = NULL;
	const char *county_path = NULL;
	char county_default[4096], cerr[256];
	enum format fmt = F_TABLE;
	struct stats_report r;
	struct stats_meta meta;
	silver_county county;
	silver_store *s;
	char today[11];
	int rv;

	silver_i18n_init();
	silver_cli_prog = "silver-stats";
	if (!dir || !*dir)
		dir = "./silver-data";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("silver-stats (silversync) %s\n", SILVER_VERSION);
			return 0;
		} else if (strcmp(a, "--dir") == 0) {
			slot = &dir;
		} else if (strcmp(a, "--township") == 0) {
			slot = &township;
		} else if (strcmp(a, "--from") == 0) {
			slot = &from;
		} else if (strcmp(a, "--to") == 0) {
			slot = &to;
		} else if (strcmp(a, "--out") == 0) {
			slot = &out;
		} else if (strcmp(a, "--county") == 0) {
			slot = &county_path;
		} else if (strcmp(a, "--format") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : "";
			if (strcmp(v, "table") == 0)
				fmt = F_TABLE;
			else if (strcmp(v, "csv") == 0)
				fmt = F_CSV;
			else if (strcmp(v, "json") == 0)
				fmt = F_JSON;
			else if (strcmp(v, "html") == 0)
				fmt = F_HTML;
			else if (strcmp(v, "xlsx") == 0)
				fmt = F_XLSX;
			else {
				silver_cli_error(_("--format must be table, csv, json, html or xlsx, not '%s'"), v);
				return SILVER_EXIT_USAGE;
			}
			continue;
		} else {
			silver_cli_error(_("unexpected argument '%s'; see 'silver-stats --help'"), a);
			return SILVER_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			silver_cli_error(_("%s needs a value; see 'silver-stats --help'"), a);
			return SILVER_EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (from && !stats_date_ok(from)) {
		silver_cli_error(_("--from: '%s' is not a date (YYYY-MM-DD)"), from);
		return SILVER_EXIT_INPUT;
	}
	if (to && !stats_date_ok(to)) {
		silver_cli_error(_("--to: '%s' is not a date (YYYY-MM-DD)"), to);
		return SILVER_EXIT_INPUT;
	}
	if (from && to && strcmp(from, to) > 0) {
		silver_cli_error(_("--from %s is after --to %s"), from, to);
		return SILVER_EXIT_INPUT;
	}
	if (fmt == F_XLSX && !out) {
		silver_cli_error(_("--format xlsx writes a file: give it with --out FILE.xlsx"));
		return SILVER_EXIT_USAGE;
	}
	if (township && !silver_schema_township_ok(township)) {
		silver_cli_error(_("'%s' is not a township code (1-32 of a-z, 0-9 and _, not starting with _)"), township);
		return SILVER_EXIT_INPUT;
	}
	if (!county_path)
		snprintf(county_default, sizeof(county_default), "%s/%s", dir, SILVER_COUNTY_FILE);
	rv = silver_county_load(county_path ? county_path : county_default, &county, cerr, sizeof(cerr));
	if (rv == SILVER_ENOTFOUND && county_path) {
		silver_cli_error(_("no county file %s"), county_path);
		return SILVER_EXIT_NOTFOUND;
	} else if (rv == SILVER_EINVAL) {
		silver_cli_error(_("%s is not a county file: %s"), county_path ? county_path : county_default, cerr);
		return SILVER_EXIT_INPUT;
	} else if (rv != 0 && rv != SILVER_ENOTFOUND) {
		silver_cli_error(_("cannot read %s: %s"), county_path ? county_path : county_default, strerror(errno));
		return SILVER_EXIT_INPUT;
	}
	if ((rv = open_store(dir, &s)) != 0) {
		silver_county_free(&county);
		return rv;
	}
	stats_today(today);
	rv = stats_report_build(s, township, from, to, today, &r);
	if (rv == 0 && (rv = stats_meta_build(s, &county, &r, &meta)) != 0)
		stats_report_free(&r);
	silver_store_close(&s);
	if (rv != 0) {
		silver_county_free(&county);
		return silver_cli_fail(rv, NULL, _("cannot read the statistics: "));
	}
	stats_order(&r, &meta);
	/* A township nobody knows: neither in the county file nor in the data
	 * held.  A report of zeros would look like a township that did nothing. */
	if (township && r.ntw == 0 && silver_county_index(&county, township) < 0 && meta.nfresh == 1 &&
	    meta.fresh[0].hlc == 0) {
		silver_cli_error(_("no township '%s' here: it is not in the county file and no data of it is held"),
				 township);
		stats_report_free(&r);
		stats_meta_free(&meta);
		silver_county_free(&county);
		return SILVER_EXIT_NOTFOUND;
	}
	if (out) {
		rv = write_out(&r, fmt, out);
	} else {
		rv = write_report(&r, fmt, stdout);
		if (fflush(stdout) != 0)
			rv = rv ? rv : SILVER_EIO;
		if (rv != 0) {
			silver_cli_error(_("cannot write the report: %s"), _(silver_strerror(rv)));
			rv = silver_cli_exit_code(rv);
		}
	}
	stats_report_free(&r);
	stats_meta_free(&meta);
	silver_county_free(&county);
	return rv;
}

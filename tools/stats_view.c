/*
 * stats_view.c - sections as grids and bars, and the aligned table (see
 * stats_view.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stats_view.h"

const char *view_group_label(const struct stats_group *gr)
{
	if (!*gr->id)
		return _("(no team or club)");
	return *gr->name ? gr->name : gr->id;
}

const char *view_township_label(const char *code)
{
	const char *l = silver_schema_township_label(code);
	return l ? _(l) : code;
}

const char *view_total_label(const struct stats_report *r)
{
	return *r->township ? _("Total") : _("County total");
}

void view_period(const struct stats_report *r, char *out, size_t n)
{
	if (*r->from && *r->to)
		snprintf(out, n, _("from %s to %s"), r->from, r->to);
	else if (*r->from)
		snprintf(out, n, _("from %s on"), r->from);
	else if (*r->to)
		snprintf(out, n, _("up to %s"), r->to);
	else
		snprintf(out, n, "%s", _("all dates"));
}

static char *fmt_value(int64_t v, unsigned flags)
{
	char buf[32];
	if (flags & STATS_MONEY)
		stats_yuan(v, buf);
	else
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return strdup(buf);
}

static int add_row(struct view_grid *g, const char *lead0, const char *lead1, const int64_t *v, int total)
{
	struct view_row *row;
	struct view_row *p = realloc(g->rows, (g->nrows + 1) * sizeof(*p));
	uint32_t k = 0;
	if (!p)
		return SILVER_ENOMEM;
	g->rows = p;
	row = &g->rows[g->nrows++];
	memset(row, 0, sizeof(*row));
	row->total = total;
	row->cell[k++] = strdup(lead0);
	if (g->nlead == 2)
		row->cell[k++] = strdup(lead1);
	for (uint32_t c = g->nlead; c < g->ncols; c++)
		row->cell[c] = fmt_value(v[c - g->nlead], g->flags[c]);
	for (uint32_t c = 0; c < g->ncols; c++)
		if (!row->cell[c])
			return SILVER_ENOMEM;
	return 0;
}

int view_grid_build(const struct stats_report *r, enum stats_sec sec, struct view_grid *g)
{
	const struct stats_section *s = &stats_sections[sec];
	int rv = 0;

	memset(g, 0, sizeof(*g));
	g->nlead = sec == ST_GROUPS ? 2 : 1;
	g->ncols = g->nlead + s->ncols;
	g->head[0] = _("Township");
	if (sec == ST_GROUPS)
		g->head[1] = _("Team or club");
	for (uint32_t c = 0; c < s->ncols; c++) {
		g->head[g->nlead + c] = _(s->cols[c].label);
		g->flags[g->nlead + c] = s->cols[c].flags;
	}
	if (sec != ST_GROUPS) {
		for (uint32_t i = 0; i < r->ntw && rv == 0; i++)
			rv = add_row(g, view_township_label(r->tw[i].code), NULL, r->tw[i].v[sec], 0);
		if (rv == 0)
			rv = add_row(g, view_total_label(r), NULL, r->total.v[sec], 1);
		return rv;
	}
	for (uint32_t i = 0; i < r->ntw && rv == 0; i++)
		for (uint32_t j = 0; j < r->tw[i].ngroups && rv == 0; j++)
			rv = add_row(g, view_township_label(r->tw[i].code), view_group_label(&r->tw[i].groups[j]), r->tw[i].groups[j].v, 0);
	for (uint32_t j = 0; j < r->total.ngroups && rv == 0; j++)
		rv = add_row(g, view_total_label(r), view_group_label(&r->total.groups[j]), r->total.groups[j].v, 1);
	return rv;
}

void view_grid_free(struct view_grid *g)
{
	for (uint32_t i = 0; i < g->nrows; i++)
		for (uint32_t c = 0; c < VIEW_MAXCOLS; c++)
			free(g->rows[i].cell[c]);
	free(g->rows);
	memset(g, 0, sizeof(*g));
}

uint32_t view_bars(const struct stats_report *r, enum stats_sec sec, struct view_bar *bars, uint32_t max, int *money)
{
	const struct stats_section *s = &stats_sections[sec];
	uint32_t n = 0;

	*money = 0;
	if (sec == ST_GROUPS) {
		for (uint32_t j = 0; j < r->total.ngroups && n < max; j++, n++) {
			snprintf(bars[n].label, sizeof(bars[n].label), "%s", view_group_label(&r->total.groups[j]));
			bars[n].value = r->total.groups[j].v[SG_ACTIVITIES];
		}
		return n;
	}
	if (s->chart_by_township >= 0) {
		uint32_t c = (uint32_t)s->chart_by_township;
		*money = !!(s->cols[c].flags & STATS_MONEY);
		for (uint32_t i = 0; i < r->ntw && n < max; i++, n++) {
			snprintf(bars[n].label, sizeof(bars[n].label), "%s", view_township_label(r->tw[i].code));
			bars[n].value = r->tw[i].v[sec][c];
		}
		return n;
	}
	for (uint32_t c = 0; c < s->ncols && n < max; c++) {
		if (!(s->cols[c].flags & STATS_BAR))
			continue;
		snprintf(bars[n].label, sizeof(bars[n].label), "%s", _(s->cols[c].label));
		bars[n++].value = r->total.v[sec][c];
	}
	return n;
}

/* ---- the aligned table ------------------------------------------------------------ */

int stats_write_table(const struct stats_report *r, FILE *f)
{
	char period[128];

	view_period(r, period, sizeof(period));
	fprintf(f, _("County statistics: %s, %s\n"), *r->township ? view_township_label(r->township) : _("all townships"), period);
	fprintf(f, _("Honorary retirees' files count as up to date with a check-up from %s to %s.\n"), r->checkup_from,
		r->checkup_to);
	for (int sec = 0; sec < ST_NSEC; sec++) {
		struct view_grid g;
		int w[VIEW_MAXCOLS];
		if (view_grid_build(r, sec, &g) != 0) {
			view_grid_free(&g);
			return SILVER_ENOMEM;
		}
		for (uint32_t c = 0; c < g.ncols; c++) {
			w[c] = silver_cli_width(g.head[c]);
			for (uint32_t i = 0; i < g.nrows; i++) {
				int cw = silver_cli_width(g.rows[i].cell[c]);
				if (cw > w[c])
					w[c] = cw;
			}
		}
		fprintf(f, "\n%s\n", _(stats_sections[sec].title));
		if (r->ntw == 0) {
			fprintf(f, "  %s\n", _("(no records)"));
			view_grid_free(&g);
			continue;
		}
		for (uint32_t c = 0; c < g.ncols; c++) {
			fputs("  ", f);
			if (c < g.nlead) {
				silver_cli_pad(f, g.head[c], w[c]);
			} else {
				for (int k = silver_cli_width(g.head[c]); k < w[c]; k++)
					fputc(' ', f);
				fputs(g.head[c], f);
			}
		}
		fputc('\n', f);
		for (uint32_t i = 0; i < g.nrows; i++) {
			for (uint32_t c = 0; c < g.ncols; c++) {
				const char *cell = g.rows[i].cell[c];
				fputs("  ", f);
				if (c < g.nlead) {
					silver_cli_pad(f, cell, w[c]);
				} else {
					for (int k = silver_cli_width(cell); k < w[c]; k++)
						fputc(' ', f);
					fputs(cell, f);
				}
			}
			fputc('\n', f);
		}
		view_grid_free(&g);
	}
	return ferror(f) ? SILVER_EIO : 0;
}

/*
 * stats_view.c - sections as grids and bars, and the aligned table (see
 * stats_view.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stats_view.h"

const char *view_group_label(const struct stats_group *gr)
{
	if (!*gr->id)
		return _("(no team or club)");
	return *gr->name ? gr->name : gr->id;
}

static const silver_county *view_county;

const char *view_township_label(const char *code)
{
	return silver_county_name(view_county, code);
}

void view_number(int64_t v, int money, char out[40])
{
	char raw[32], *p = raw;
	size_t o = 0, digits;
	if (money)
		stats_yuan(v, raw);
	else
		snprintf(raw, sizeof(raw), "%lld", (long long)v);
	if (*p == '-')
		out[o++] = *p++;
	digits = strspn(p, "0123456789");
	for (size_t i = 0; i < digits; i++) {
		if (i > 0 && (digits - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = p[i];
	}
	snprintf(out + o, 40 - o, "%s", p + digits);
}

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct stats_tw *x = a, *y = b;
	int ix = silver_county_index(ctx, x->code), iy = silver_county_index(ctx, y->code);
	if (ix >= 0 && iy >= 0)
		return ix - iy;
	if (ix >= 0 || iy >= 0)
		return ix >= 0 ? -1 : 1;
	return strcmp(x->code, y->code);
}

void stats_order(struct stats_report *r, const struct stats_meta *m)
{
	view_county = m->county;
	r->meta = m;
	if (r->ntw > 1)
		qsort_r(r->tw, r->ntw, sizeof(r->tw[0]), order_cmp, (void *)m->county);
}

static struct stats_fresh *fresh_get(struct stats_meta *m, const char *code, size_t *cap)
{
	for (size_t i = 0; i < m->nfresh; i++)
		if (strcmp(m->fresh[i].code, code) == 0)
			return &m->fresh[i];
	if (m->nfresh == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct stats_fresh *p = realloc(m->fresh, c * sizeof(*p));
		if (!p)
			return NULL;
		m->fresh = p;
		*cap = c;
	}
	memset(&m->fresh[m->nfresh], 0, sizeof(m->fresh[0]));
	snprintf(m->fresh[m->nfresh].code, sizeof(m->fresh[0].code), "%s", code);
	return &m->fresh[m->nfresh++];
}

static int fresh_cmp(const void *a, const void *b, void *ctx)
{
	return order_cmp(a, b, ctx); /* both start with the code */
}

int stats_meta_build(silver_store *s, const silver_county *c, const struct stats_report *r, struct stats_meta *m)
{
	silver_digest d;
	silver_feed_age *ages = NULL;
	size_t nages = 0, cap = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rv;

	memset(m, 0, sizeof(*m));
	m->county = c;
	m->now = (int64_t)now;
	localtime_r(&now, &tm);
	strftime(m->made, sizeof(m->made), "%Y-%m-%d %H:%M", &tm);
	strftime(m->today, sizeof(m->today), "%Y-%m-%d", &tm);
	if ((rv = silver_store_digest(s, &d)) != 0)
		return rv;
	silver_hex(d.state, SILVER_HASH_BYTES, m->state_digest);
	silver_hex(d.log, SILVER_HASH_BYTES, m->log_digest);
	m->entries = d.entries;
	if ((rv = silver_feed_ages(s, &ages, &nages)) != 0)
		return rv;
	/* the townships the report is about: the county file's (all of them
	 * for a county report), those with figures, and the one asked for */
	for (size_t i = 0; i < c->ntw && rv == 0; i++)
		if ((!*r->township || strcmp(r->township, c->tw[i].code) == 0) && !fresh_get(m, c->tw[i].code, &cap))
			rv = SILVER_ENOMEM;
	for (uint32_t i = 0; i < r->ntw && rv == 0; i++)
		if (!fresh_get(m, r->tw[i].code, &cap))
			rv = SILVER_ENOMEM;
	if (rv == 0 && *r->township && !fresh_get(m, r->township, &cap))
		rv = SILVER_ENOMEM;
	for (size_t i = 0; i < nages && rv == 0; i++)
		for (size_t k = 0; k < m->nfresh; k++)
			if (strcmp(m->fresh[k].code, ages[i].township) == 0) {
				if (ages[i].hlc > m->fresh[k].hlc)
					m->fresh[k].hlc = ages[i].hlc;
				m->fresh[k].entries += ages[i].seq;
			}
	free(ages);
	if (rv == 0 && m->nfresh > 1)
		qsort_r(m->fresh, m->nfresh, sizeof(m->fresh[0]), fresh_cmp, (void *)c);
	return rv;
}

void stats_meta_free(struct stats_meta *m)
{
	free(m->fresh);
	m->fresh = NULL;
	m->nfresh = 0;
}

void view_title(const struct stats_report *r, char *out, size_t n)
{
	const silver_county *c = r->meta ? r->meta->county : NULL;
	if (*r->township) {
		if (c && *c->county)
			snprintf(out, n, _("%s, %s: statistics of one township"), c->county,
				 view_township_label(r->township));
		else
			snprintf(out, n, _("%s: statistics of one township"), view_township_label(r->township));
	} else if (c && *c->county) {
		snprintf(out, n, _("%s: statistics of the work for retired cadres"), c->county);
	} else {
		snprintf(out, n, "%s", _("County statistics"));
	}
}

int view_fresh(const struct stats_report *r, const struct stats_fresh *fr, char *date, size_t dn, char *age,
	       size_t an)
{
	int64_t now = r->meta ? r->meta->now : (int64_t)time(NULL);
	int stale = r->meta ? r->meta->county->stale_days : SILVER_COUNTY_STALE_DAYS;
	int64_t t, days;
	if (!fr->hlc) {
		snprintf(date, dn, "%s", "\xe2\x80\x94");
		snprintf(age, an, "%s", _("no data received"));
		return 1;
	}
	silver_cli_time(fr->hlc, (char *)date);
	if (dn > 10)
		date[10] = 0;
	t = (int64_t)(SILVER_HLC_MS(fr->hlc) / 1000);
	days = now > t ? (now - t) / 86400 : 0;
	if (days == 0)
		snprintf(age, an, "%s", _("today"));
	else
		snprintf(age, an, P_("%lld day ago", "%lld days ago", days), (long long)days);
	return days > stale;
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
	char buf[40];
	view_number(v, !!(flags & STATS_MONEY), buf);
	return strdup(buf);
}

static int all_zero(const int64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] != 0)
			return 0;
	return 1;
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
		/* a township with nothing in this section has no row of zeros */
		for (uint32_t i = 0; i < r->ntw && rv == 0; i++)
			if (!all_zero(r->tw[i].v[sec], s->ncols))
				rv = add_row(g, view_township_label(r->tw[i].code), NULL, r->tw[i].v[sec], 0);
		if (rv == 0)
			rv = add_row(g, view_total_label(r), NULL, r->total.v[sec], 1);
		return rv;
	}
	for (uint32_t i = 0; i < r->ntw && rv == 0; i++)
		for (uint32_t j = 0; j < r->tw[i].ngroups && rv == 0; j++)
			if (!all_zero(r->tw[i].groups[j].v, 2))
				rv = add_row(g, view_township_label(r->tw[i].code), view_group_label(&r->tw[i].groups[j]), r->tw[i].groups[j].v, 0);
	for (uint32_t j = 0; j < r->total.ngroups && rv == 0; j++)
		if (!all_zero(r->total.groups[j].v, 2))
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
		for (uint32_t j = 0; j < r->total.ngroups && n < max; j++) {
			if (r->total.groups[j].v[SG_ACTIVITIES] == 0)
				continue;
			snprintf(bars[n].label, sizeof(bars[n].label), "%s", view_group_label(&r->total.groups[j]));
			bars[n++].value = r->total.groups[j].v[SG_ACTIVITIES];
		}
		return n;
	}
	if (s->chart_by_township >= 0) {
		uint32_t c = (uint32_t)s->chart_by_township;
		*money = !!(s->cols[c].flags & STATS_MONEY);
		for (uint32_t i = 0; i < r->ntw && n < max; i++) {
			if (r->tw[i].v[sec][c] == 0)
				continue;
			snprintf(bars[n].label, sizeof(bars[n].label), "%s", view_township_label(r->tw[i].code));
			bars[n++].value = r->tw[i].v[sec][c];
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
	char period[128], title[512];
	const struct stats_meta *m = r->meta;

	view_period(r, period, sizeof(period));
	view_title(r, title, sizeof(title));
	fprintf(f, "%s\n", title);
	if (m && *m->county->unit)
		fprintf(f, _("Reporting unit: %s\n"), m->county->unit);
	fprintf(f, _("Period: %s\n"), period);
	fprintf(f, _("Honorary retirees' files count as up to date with a check-up from %s to %s.\n"), r->checkup_from,
		r->checkup_to);
	if (m && m->nfresh) {
		int w = silver_cli_width(_("Township"));
		for (size_t i = 0; i < m->nfresh; i++)
			if (silver_cli_width(view_township_label(m->fresh[i].code)) > w)
				w = silver_cli_width(view_township_label(m->fresh[i].code));
		fprintf(f, "\n%s\n", _("How current the data is (the newest entry held from each township)"));
		for (size_t i = 0; i < m->nfresh; i++) {
			char date[40], age[64];
			int stale = view_fresh(r, &m->fresh[i], date, sizeof(date), age, sizeof(age));
			fputs("  ", f);
			silver_cli_pad(f, view_township_label(m->fresh[i].code), w);
			fprintf(f, "  %-10s  %s%s\n", date, age,
				stale ? _("  ! behind: nothing newer for more than the county's limit") : "");
		}
	}
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
	if (m) {
		fputc('\n', f);
		fprintf(f, _("Made on %s from the signed history: state digest %s, log digest %s, %llu entries.\n"), m->made,
			m->state_digest, m->log_digest, (unsigned long long)m->entries);
	}
	return ferror(f) ? SILVER_EIO : 0;
}

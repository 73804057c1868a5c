/*
 * report_html.c - the statistics as one self-contained HTML file: inline
 * CSS, SVG bar charts drawn here, no scripts, fonts or anything fetched, so
 * that it opens the same on a laptop without a network and prints well.
 * Everything the report reads (names of teams and clubs, township codes) is
 * escaped.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "cli.h"
#include "stats_view.h"

#define MAXBARS 64

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* s cut to at most max display columns, with an ellipsis when cut. */
static void clip(const char *s, int max, char *out, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t o = 0;
	int w = 0;
	if (silver_cli_width(s) <= max && strlen(s) < n) {
		memcpy(out, s, strlen(s) + 1);
		return;
	}
	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t len = utf8proc_iterate(p, -1, &c);
		int cw = len > 0 ? utf8proc_charwidth(c) : 1;
		if (len <= 0)
			len = 1;
		if (w + cw > max - 1 || o + (size_t)len + 4 > n)
			break;
		memcpy(out + o, p, (size_t)len);
		o += (size_t)len;
		w += cw;
		p += len;
	}
	snprintf(out + o, n - o, "\xe2\x80\xa6");
}

/* Colours that mean something: every bar of a chart counts the same kind
 * of thing, so it has one colour, the colour of that kind: people (blue),
 * money (amber), visits and deliveries to people (green), events and
 * activities (purple), organisations (teal).  The county's red is kept for
 * headings. */
static const char *bar_colour(enum stats_sec sec, int money)
{
	if (money)
		return "#b7791f";
	switch (sec) {
	case ST_RETIREES:
	case ST_AID:
		return "#2f6f9f";
	case ST_VISITS:
	case ST_DELIVERIES:
	case ST_SERVICES:
		return "#3f8f5a";
	case ST_BRANCHES:
	case ST_TEAMS:
		return "#2c8a94";
	default:
		return "#6f55a3";
	}
}

static void chart(FILE *f, const struct stats_report *r, enum stats_sec sec)
{
	struct view_bar bars[MAXBARS];
	int money, label_w = 150, bar_w = 330, row = 26, top = 8;
	uint32_t n = view_bars(r, sec, bars, MAXBARS, &money);
	int64_t max = 0;
	int height;

	for (uint32_t i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	if (n == 0 || max == 0) {
		fprintf(f, "<p class=\"empty\">%s</p>\n", _("Nothing recorded for this period."));
		return;
	}
	height = top * 2 + row * (int)n;
	fprintf(f,
		"<svg class=\"chart\" role=\"img\" width=\"560\" height=\"%d\" viewBox=\"0 0 560 %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n<title>",
		height, height);
	esc(f, _(stats_sections[sec].title));
	fputs("</title>\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#b8c2cc\"/>\n", label_w + 10, top - 2,
		label_w + 10, height - top + 2);
	for (uint32_t i = 0; i < n; i++) {
		char lab[300], val[40];
		int y = top + row * (int)i;
		int w = (int)((double)bars[i].value * bar_w / (double)max + 0.5);
		if (bars[i].value > 0 && w < 2)
			w = 2;
		clip(bars[i].label, 20, lab, sizeof(lab));
		view_number(bars[i].value, money, val);
		fprintf(f, "<g><title>");
		esc(f, bars[i].label);
		fprintf(f, ": %s</title>\n", val);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"bl\">", label_w, y + 17);
		esc(f, lab);
		fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"%s\"/>\n",
			label_w + 11, y + 4, w, bar_colour(sec, money));
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"bv\">%s</text></g>\n", label_w + 17 + w, y + 17, val);
	}
	fputs("</svg>\n", f);
}

static void table(FILE *f, const struct stats_report *r, enum stats_sec sec, const struct view_grid *g)
{
	fputs("<table>\n<thead><tr>", f);
	for (uint32_t c = 0; c < g->ncols; c++) {
		fputs(c < g->nlead ? "<th>" : "<th class=\"n\">", f);
		esc(f, g->head[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	if (r->ntw == 0)
		fprintf(f, "<tr><td colspan=\"%u\" class=\"empty\">%s</td></tr>\n", g->ncols, _("(no records)"));
	for (uint32_t i = 0; r->ntw && i < g->nrows; i++) {
		fputs(g->rows[i].total ? "<tr class=\"total\">" : "<tr>", f);
		for (uint32_t c = 0; c < g->ncols; c++) {
			if (c < g->nlead)
				fputs("<td>", f);
			else
				fputs(g->flags[c] & STATS_SUM ? "<td class=\"n s\">" : "<td class=\"n\">", f);
			esc(f, g->rows[i].cell[c]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void tile(FILE *f, const char *label, int64_t v, int money)
{
	char val[40];
	view_number(v, money, val);
	fprintf(f, "<div class=\"tile\"><div class=\"tv\">%s</div><div class=\"tl\">", val);
	esc(f, label);
	fputs("</div></div>\n", f);
}

static const char css[] =
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#f3f5f7;color:#1f2933;font:15px/1.5 \"Noto Sans CJK SC\",\"Source Han Sans SC\","
	"\"Microsoft YaHei\",\"PingFang SC\",\"WenQuanYi Micro Hei\",\"WenQuanYi Zen Hei\",system-ui,sans-serif}\n"
	"header{background:#8b1a1a;color:#fff;padding:22px 32px 18px}\n"
	"header h1{margin:0 0 4px;font-size:24px;font-weight:600}\n"
	"header p{margin:2px 0;opacity:.9;font-size:14px}\n"
	"main{max-width:1160px;margin:0 auto;padding:18px 24px 40px}\n"
	".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:4px 0 18px}\n"
	".tile{background:#fff;border-radius:8px;padding:12px 14px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08);border-top:3px solid #8b1a1a}\n"
	".tv{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}\n"
	".tl{font-size:13px;color:#52606d}\n"
	"section{background:#fff;border-radius:8px;margin:0 0 16px;padding:14px 18px 16px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08);break-inside:avoid}\n"
	"h2{font-size:17px;margin:0 0 10px;color:#8b1a1a;font-weight:600}\n"
	".body{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}\n"
	".chart{flex:0 0 auto}\n"
	".chart .bl{font-size:13px;fill:#323f4b}\n"
	".chart .bv{font-size:12px;fill:#52606d}\n"
	"table{border-collapse:collapse;font-size:13px;flex:1 1 420px}\n"
	"th,td{padding:4px 10px;border-bottom:1px solid #e4e7eb;text-align:left;white-space:nowrap}\n"
	"th{background:#f5f7fa;color:#3e4c59;font-weight:600}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.s{font-weight:600}\n"
	"tbody tr:nth-child(even){background:#fafbfc}\n"
	"tr.total td{font-weight:700;background:#fdf3f2;border-top:2px solid #d9b3b0}\n"
	".empty{color:#7b8794;font-style:italic}\n"
	"footer{color:#52606d;font-size:12px;margin-top:8px;word-break:break-all}\n"
	".unit{font-size:15px}\n"
	".fresh td.behind{color:#8b1a1a;font-weight:700}\n"
	".sign{display:flex;gap:24px;margin:18px 0 6px;font-size:14px}\n"
	".sign div{flex:1 1 0;border-bottom:1px solid #52606d;padding:18px 0 4px}\n"
	".legend{font-size:12px;color:#52606d;margin:2px 0 0}\n"
	/* A4 portrait for the province: the page's own margins, black on white,
	 * charts and tables scaled to the printable width (180 mm), no section
	 * split over two pages, the table header repeated on a new page. */
	"@page{size:A4 portrait;margin:14mm 15mm 16mm}\n"
	"@media print{body{background:#fff;font-size:10.5pt}\n"
	" header{background:#fff;color:#000;border-bottom:2px solid #8b1a1a;padding:0 0 6px}\n"
	" header h1{font-size:18pt;color:#8b1a1a} header p{opacity:1}\n"
	" main{max-width:none;padding:6px 0 0}\n"
	" .tiles{grid-template-columns:repeat(4,1fr);gap:6px}\n"
	" .tile{padding:6px 8px;box-shadow:none;border:1px solid #bbb;border-top:3px solid #8b1a1a}\n"
	" .tv{font-size:14pt}\n"
	" section{box-shadow:none;border:1px solid #ccc;padding:8px 10px;margin:0 0 8px;break-inside:avoid}\n"
	" .chart{max-width:100%;height:auto}\n"
	" table{font-size:9pt;flex:1 1 100%} th,td{padding:2px 6px}\n"
	" thead{display:table-header-group} tr{break-inside:avoid}\n"
	" *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static void fresh_section(FILE *f, const struct stats_report *r, const struct stats_meta *m)
{
	char head[160];
	fputs("<section id=\"freshness\" class=\"fresh\">\n<h2>", f);
	esc(f, _("How current the data is"));
	fputs("</h2>\n<table>\n<thead><tr><th>", f);
	esc(f, _("Township"));
	fputs("</th><th>", f);
	esc(f, _("Newest entry held"));
	fputs("</th><th>", f);
	esc(f, _("Age"));
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Entries"));
	fputs("</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < m->nfresh; i++) {
		char date[40], age[64], n[40];
		int stale = view_fresh(r, &m->fresh[i], date, sizeof(date), age, sizeof(age));
		view_number((int64_t)m->fresh[i].entries, 0, n);
		fputs("<tr><td>", f);
		esc(f, view_township_label(m->fresh[i].code));
		fputs("</td><td>", f);
		esc(f, date);
		fputs(stale ? "</td><td class=\"behind\">" : "</td><td>", f);
		esc(f, age);
		if (stale) {
			fputs(" \xe2\x80\x94 ", f);
			esc(f, _("behind"));
		}
		fprintf(f, "</td><td class=\"n\">%s</td></tr>\n", n);
	}
	fputs("</tbody>\n</table>\n<p class=\"legend\">", f);
	snprintf(head, sizeof(head),
		 P_("Behind: no entry newer than %d day from any office of the township.",
			  "Behind: no entry newer than %d days from any office of the township.",
			  (unsigned long)m->county->stale_days),
		 m->county->stale_days);
	esc(f, head);
	fputs("</p>\n</section>\n", f);
}

int stats_write_html(const struct stats_report *r, FILE *f)
{
	const char *lang = silver_i18n_chinese() ? "zh-CN" : "en";
	const struct stats_meta *m = r->meta;
	char period[128], made[32], title[512];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(made, sizeof(made), "%Y-%m-%d %H:%M", &tm);
	view_period(r, period, sizeof(period));
	view_title(r, title, sizeof(title));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", lang);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	esc(f, title);
	fputs(" \xe2\x80\x94 ", f);
	esc(f, period);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
	esc(f, title);
	fputs("</h1>\n", f);
	if (m && *m->county->unit) {
		char line[512];
		snprintf(line, sizeof(line), _("Reporting unit: %s"), m->county->unit);
		fputs("<p class=\"unit\">", f);
		esc(f, line);
		fputs("</p>\n", f);
	}
	fputs("<p>", f);
	esc(f, *r->township ? view_township_label(r->township) : _("all townships"));
	fputs(" \xc2\xb7 ", f);
	esc(f, period);
	fputs("</p>\n<p>", f);
	{
		char line[256];
		snprintf(line, sizeof(line), _("Honorary retirees' files count as up to date with a check-up from %s to %s."),
			 r->checkup_from, r->checkup_to);
		esc(f, line);
	}
	fputs("</p>\n</header>\n<main>\n<div class=\"tiles\">\n", f);
	tile(f, _("Retirees"), r->total.v[ST_RETIREES][2], 0);
	tile(f, _("Honorary"), r->total.v[ST_RETIREES][0], 0);
	tile(f, _("People helped"), r->total.v[ST_AID][0], 0);
	tile(f, _("Aid paid (yuan)"), r->total.v[ST_AID][2], 1);
	tile(f, _("Visits"), r->total.v[ST_VISITS][5], 0);
	tile(f, _("Ceremonies"), r->total.v[ST_CEREMONIES][0], 0);
	tile(f, _("Lectures and reports"), r->total.v[ST_LECTURES][0] + r->total.v[ST_LECTURES][2], 0);
	tile(f, _("Mediation cases settled"), r->total.v[ST_CASES][1], 0);
	fputs("</div>\n", f);
	if (m && m->nfresh)
		fresh_section(f, r, m);
	for (int sec = 0; sec < ST_NSEC; sec++) {
		struct view_grid g;
		if (view_grid_build(r, sec, &g) != 0) {
			view_grid_free(&g);
			return SILVER_ENOMEM;
		}
		fprintf(f, "<section id=\"%s\">\n<h2>", stats_sections[sec].key);
		esc(f, _(stats_sections[sec].title));
		fputs("</h2>\n<div class=\"body\">\n", f);
		chart(f, r, sec);
		table(f, r, sec, &g);
		fputs("</div>\n</section>\n", f);
		view_grid_free(&g);
	}
	/* the sign-off block of a report handed to the province */
	fputs("<div class=\"sign\">", f);
	fputs("<div>", f);
	esc(f, _("Reporting unit (seal):"));
	fputc(' ', f);
	if (m)
		esc(f, m->county->unit);
	fputs("</div><div>", f);
	esc(f, _("Reviewed by:"));
	fputs("</div><div>", f);
	esc(f, _("Date:"));
	fputc(' ', f);
	if (m)
		esc(f, m->today);
	fputs("</div></div>\n<footer>", f);
	{
		char line[512];
		if (m)
			snprintf(line, sizeof(line),
				 _("Made by silver-stats on %s from the statistics cells of the signed history. State digest %s, "
				   "log digest %s, %llu entries: 'silvernode digest' and silver-audit at the hub show the same "
				   "digests for the history this report was made from."),
				 m->made, m->state_digest, m->log_digest, (unsigned long long)m->entries);
		else
			snprintf(line, sizeof(line), _("Made by silver-stats on %s from the statistics cells of the signed history."),
				 made);
		esc(f, line);
	}
	fputs("</footer>\n</main>\n</body>\n</html>\n", f);
	return ferror(f) ? SILVER_EIO : 0;
}

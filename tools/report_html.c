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

static const char *const palette[] = {"#2f6f9f", "#c0504d", "#4f9a5a", "#d08c2c", "#7a5ca8", "#3a9aa8", "#a3557d",
				     "#6b7d2e"};

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
		char lab[300], val[32];
		int y = top + row * (int)i;
		int w = (int)((double)bars[i].value * bar_w / (double)max + 0.5);
		if (bars[i].value > 0 && w < 2)
			w = 2;
		clip(bars[i].label, 20, lab, sizeof(lab));
		if (money)
			stats_yuan(bars[i].value, val);
		else
			snprintf(val, sizeof(val), "%lld", (long long)bars[i].value);
		fprintf(f, "<g><title>");
		esc(f, bars[i].label);
		fprintf(f, ": %s</title>\n", val);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"bl\">", label_w, y + 17);
		esc(f, lab);
		fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"%s\"/>\n",
			label_w + 11, y + 4, w, palette[i % (sizeof(palette) / sizeof(palette[0]))]);
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
	char val[32];
	if (money)
		stats_yuan(v, val);
	else
		snprintf(val, sizeof(val), "%lld", (long long)v);
	fprintf(f, "<div class=\"tile\"><div class=\"tv\">%s</div><div class=\"tl\">", val);
	esc(f, label);
	fputs("</div></div>\n", f);
}

static const char css[] =
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#f3f5f7;color:#1f2933;font:15px/1.5 \"Noto Sans CJK SC\",\"Source Han Sans SC\","
	"\"Microsoft YaHei\",\"PingFang SC\",\"WenQuanYi Micro Hei\",system-ui,sans-serif}\n"
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
	"footer{color:#7b8794;font-size:12px;margin-top:8px}\n"
	"@media print{body{background:#fff}section,.tile{box-shadow:none;border:1px solid #ddd}}\n";

int stats_write_html(const struct stats_report *r, FILE *f)
{
	const char *lang = silver_i18n_chinese() ? "zh-CN" : "en";
	char period[128], made[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(made, sizeof(made), "%Y-%m-%d %H:%M", &tm);
	view_period(r, period, sizeof(period));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", lang);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	esc(f, _("County statistics"));
	fputs(" \xe2\x80\x94 ", f);
	esc(f, *r->township ? view_township_label(r->township) : _("all townships"));
	fputs(", ", f);
	esc(f, period);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
	esc(f, _("County statistics"));
	fputs("</h1>\n<p>", f);
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
	fputs("<footer>", f);
	{
		char line[256];
		snprintf(line, sizeof(line), _("Made by silver-stats on %s from the statistics cells of the signed history."),
			 made);
		esc(f, line);
	}
	fputs("</footer>\n</main>\n</body>\n</html>\n", f);
	return ferror(f) ? SILVER_EIO : 0;
}

/*
 * stats_report.c - the county's figures from the statistics cells (see
 * stats_report.h; the cells are described at the top of node/stats.c and
 * the figures in docs/STATS.md).
 *
 * One pass over the cells (silver_store_aggregates, unbounded dates: the
 * two date windows, events and check-ups, are applied here), then a handful
 * of silver_store_get calls for the names of the teams and clubs.  The cost
 * is the number of cells, not of records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "silver_i18n.h"
#include "stats_report.h"

#define NV(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---- the sections ------------------------------------------------------------ */

static const struct stats_col retiree_c[] = {
	{"honorary", N_("Honorary"), STATS_BAR},
	{"retired", N_("Retired"), STATS_BAR},
	{"total", N_("Total"), STATS_SUM},
	{"honorary_checked", N_("Honorary with an up-to-date file"), STATS_SUM},
};
static const struct stats_col aid_c[] = {
	{"people", N_("People helped"), 0},
	{"payments", N_("Payments"), 0},
	{"amount", N_("Aid paid (yuan)"), STATS_MONEY | STATS_SUM},
};
static const struct stats_col visit_c[] = {
	{"birthday", N_("Birthday"), STATS_BAR},
	{"illness", N_("Illness or hospital"), STATS_BAR},
	{"letter_call", N_("Letter or call"), STATS_BAR},
	{"festival", N_("Major festival"), STATS_BAR},
	{"emergency", N_("Emergency"), STATS_BAR},
	{"total", N_("Total"), STATS_SUM},
};
static const struct stats_col delivery_c[] = {
	{"materials", N_("Study materials"), STATS_BAR},
	{"warmth", N_("Festival warmth"), STATS_BAR},
	{"care", N_("Care in hospital"), STATS_BAR},
	{"aid", N_("Hardship help"), STATS_BAR},
	{"skills", N_("Digital skills"), STATS_BAR},
	{"total", N_("Total"), STATS_SUM},
};
static const struct stats_col ceremony_c[] = {
	{"ceremonies", N_("Ceremonies"), STATS_SUM},
};
static const struct stats_col activity_c[] = {
	{"performance", N_("Arts shows"), STATS_BAR},
	{"youth_event", N_("Youth events"), STATS_BAR},
	{"science_trip", N_("Science trips"), STATS_BAR},
	{"leaflets", N_("Leaflets"), STATS_BAR},
	{"opera", N_("Opera"), STATS_BAR},
	{"new_piece", N_("New pieces"), STATS_BAR},
	{"other", N_("Other"), STATS_BAR},
	{"total", N_("Total"), STATS_SUM},
	{"audience", N_("Audience reached"), STATS_SUM},
};
static const struct stats_col group_c[] = {
	{"activities", N_("Activities"), STATS_BAR},
	{"audience", N_("Audience reached"), STATS_SUM},
};
static const struct stats_col lecture_c[] = {
	{"lecture", N_("Lectures"), STATS_BAR},
	{"lecture_attendance", N_("Lecture attendance"), 0},
	{"report", N_("Reports"), STATS_BAR},
	{"report_attendance", N_("Report attendance"), 0},
	{"six_into", N_("Six-into talks"), STATS_BAR},
	{"six_into_attendance", N_("Six-into attendance"), 0},
	{"total", N_("Total"), STATS_SUM},
	{"attendance", N_("Attendance"), STATS_SUM},
};
static const struct stats_col case_c[] = {
	{"received", N_("Received"), STATS_BAR},
	{"settled", N_("Settled"), STATS_BAR},
};
static const struct stats_col branch_c[] = {
	{"provincial", N_("Provincial model"), STATS_BAR},
	{"city", N_("City model"), STATS_BAR},
	{"county", N_("County model"), STATS_BAR},
	{"none", N_("Not a model"), 0},
	{"total", N_("Total"), STATS_SUM},
};
static const struct stats_col team_c[] = {
	{"teams", N_("Volunteer teams"), STATS_BAR},
	{"clubs", N_("Clubs"), STATS_BAR},
};
static const struct stats_col service_c[] = {
	{"services", N_("Community services"), STATS_SUM},
};

#define SEC(k, t, c, by) {k, t, c, NV(c), by}
const struct stats_section stats_sections[ST_NSEC] = {
	[ST_RETIREES] = SEC("retirees", N_("Retirees by category"), retiree_c, 2),
	[ST_AID] = SEC("aid", N_("Hardship aid"), aid_c, 2),
	[ST_VISITS] = SEC("visits", N_("Visits by type (five must-visits)"), visit_c, -1),
	[ST_DELIVERIES] = SEC("deliveries", N_("Deliveries by type (five deliveries)"), delivery_c, -1),
	[ST_CEREMONIES] = SEC("ceremonies", N_("Retirement ceremonies"), ceremony_c, 0),
	[ST_ACTIVITIES] = SEC("activities", N_("Activities by kind"), activity_c, -1),
	[ST_GROUPS] = SEC("activity_groups", N_("Activities and audience by team or club"), group_c, -1),
	[ST_LECTURES] = SEC("lectures", N_("Lectures, reports and six-into talks"), lecture_c, -1),
	[ST_CASES] = SEC("cases", N_("Mediation cases"), case_c, -1),
	[ST_BRANCHES] = SEC("branches", N_("Party branches by model level"), branch_c, -1),
	[ST_TEAMS] = SEC("teams", N_("Volunteer teams and clubs"), team_c, -1),
	[ST_SERVICES] = SEC("services", N_("Community services"), service_c, 0),
};

/* ---- dates and money ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's
 * civil-from-days algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long era;
	unsigned doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

int stats_date_ok(const char *d)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, day, max;
	if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
			return 0;
	y = (unsigned)atoi(d);
	m = (unsigned)atoi(d + 5);
	day = (unsigned)atoi(d + 8);
	if (y < 1900 || y > 2100 || m < 1 || m > 12 || day < 1)
		return 0;
	max = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return day <= max;
}

void stats_date_minus(const char *d, int days, char out[11])
{
	long y;
	unsigned m, day;
	civil_from_days(days_from_civil(atol(d), (unsigned)atoi(d + 5), (unsigned)atoi(d + 8)) - days, &y, &m, &day);
	char buf[48];
	snprintf(buf, sizeof(buf), "%04ld-%02u-%02u", y % 10000, m % 100, day % 100);
	memcpy(out, buf, 10);
	out[10] = 0;
}

void stats_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void stats_yuan(int64_t fen, char out[32])
{
	const char *sign = fen < 0 ? "-" : "";
	unsigned long long a = fen < 0 ? 0ull - (unsigned long long)fen : (unsigned long long)fen;
	snprintf(out, 32, "%s%llu.%02llu", sign, a / 100, a % 100);
}

/* ---- the structure --------------------------------------------------------------- */

/* A set of strings (open addressing, FNV-1a), for counting distinct people
 * paid without sorting every payment: one insert per aid cell. */
struct stats_set {
	uint32_t *slot; /* 0 empty, else 1 + offset into pool */
	uint64_t *hash;
	uint32_t cap, n;
	char *pool;
	size_t len, poolcap;
};

static uint64_t fnv(const char *s, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

static void set_free(struct stats_set **sp)
{
	struct stats_set *s = *sp;
	if (!s)
		return;
	free(s->slot);
	free(s->hash);
	free(s->pool);
	free(s);
	*sp = NULL;
}

static int set_grow(struct stats_set *s)
{
	uint32_t cap = s->cap ? 2 * s->cap : 1024;
	uint32_t *slot = calloc(cap, sizeof(*slot));
	uint64_t *hash = calloc(cap, sizeof(*hash));
	if (!slot || !hash) {
		free(slot);
		free(hash);
		return SILVER_ENOMEM;
	}
	for (uint32_t i = 0; i < s->cap; i++) {
		uint32_t j;
		if (!s->slot[i])
			continue;
		for (j = (uint32_t)s->hash[i] & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
		hash[j] = s->hash[i];
	}
	free(s->slot);
	free(s->hash);
	s->slot = slot;
	s->hash = hash;
	s->cap = cap;
	return 0;
}

/* Insert key (n bytes, no NUL among them): 1 when new, 0 when already there, or an error. */
static int set_add(struct stats_set **sp, const char *key, size_t n)
{
	struct stats_set *s = *sp;
	uint64_t h = fnv(key, n, 0xcbf29ce484222325ull);
	uint32_t j;
	h ^= h >> 32; /* the low bits index the table: fold the high ones in */
	if (!s && !(s = *sp = calloc(1, sizeof(*s))))
		return SILVER_ENOMEM;
	if (2 * (s->n + 1) > s->cap && set_grow(s) != 0)
		return SILVER_ENOMEM;
	for (j = (uint32_t)h & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
		const char *k = s->pool + s->slot[j] - 1;
		if (s->hash[j] == h && strlen(k) == n && memcmp(k, key, n) == 0)
			return 0;
	}
	if (s->len + n + 1 > s->poolcap) {
		size_t cap = s->poolcap ? 2 * s->poolcap : 65536;
		char *p;
		while (cap < s->len + n + 1)
			cap *= 2;
		if (cap > UINT32_MAX - 1 || !(p = realloc(s->pool, cap)))
			return SILVER_ENOMEM;
		s->pool = p;
		s->poolcap = cap;
	}
	memcpy(s->pool + s->len, key, n);
	s->pool[s->len + n] = 0;
	s->slot[j] = (uint32_t)s->len + 1;
	s->hash[j] = h;
	s->len += n + 1;
	s->n++;
	return 1;
}

int stats_report_init(struct stats_report *r, const char *township, const char *from, const char *to,
		      const char *today)
{
	memset(r, 0, sizeof(*r));
	if ((township && strlen(township) > SILVER_MAX_NAME) || (from && !stats_date_ok(from)) ||
	    (to && !stats_date_ok(to)) || (!to && !stats_date_ok(today)))
		return SILVER_EINVAL;
	strcpy(r->township, township ? township : "");
	strcpy(r->from, from ? from : "");
	strcpy(r->to, to ? to : "");
	strcpy(r->checkup_to, to ? to : today);
	stats_date_minus(r->checkup_to, 365, r->checkup_from);
	return 0;
}

static void tw_release(struct stats_tw *t)
{
	for (uint32_t i = 0; i < t->ngroups; i++) {
		free(t->groups[i].id);
		free(t->groups[i].name);
	}
	free(t->groups);
	t->groups = NULL;
	t->ngroups = t->capgroups = 0;
}

void stats_report_free(struct stats_report *r)
{
	for (uint32_t i = 0; i < r->ntw; i++)
		tw_release(&r->tw[i]);
	tw_release(&r->total);
	free(r->tw);
	set_free(&r->people);
	set_free(&r->pairs);
	r->tw = NULL;
	r->ntw = r->captw = 0;
}

static int tw_index(struct stats_report *r, const char *code, size_t n, uint32_t *out)
{
	for (uint32_t i = 0; i < r->ntw; i++)
		if (strlen(r->tw[i].code) == n && memcmp(r->tw[i].code, code, n) == 0) {
			*out = i;
			return 0;
		}
	if (n > SILVER_MAX_NAME)
		return SILVER_EINVAL;
	if (r->ntw == r->captw) {
		uint32_t cap = r->captw ? 2 * r->captw : 16;
		struct stats_tw *p = realloc(r->tw, cap * sizeof(*p));
		if (!p)
			return SILVER_ENOMEM;
		r->tw = p;
		r->captw = cap;
	}
	memset(&r->tw[r->ntw], 0, sizeof(r->tw[0]));
	memcpy(r->tw[r->ntw].code, code, n);
	*out = r->ntw++;
	return 0;
}

struct stats_tw *stats_tw_get(struct stats_report *r, const char *code, size_t n)
{
	uint32_t i;
	return tw_index(r, code, n, &i) == 0 ? &r->tw[i] : NULL;
}

struct stats_group *stats_group_get(struct stats_tw *t, const char *id)
{
	struct stats_group *g;
	for (uint32_t i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i].id, id) == 0)
			return &t->groups[i];
	if (t->ngroups == t->capgroups) {
		uint32_t cap = t->capgroups ? 2 * t->capgroups : 8;
		g = realloc(t->groups, cap * sizeof(*g));
		if (!g)
			return NULL;
		t->groups = g;
		t->capgroups = cap;
	}
	g = &t->groups[t->ngroups];
	memset(g, 0, sizeof(*g));
	g->id = strdup(id);
	g->name = strdup("");
	if (!g->id || !g->name) {
		free(g->id);
		free(g->name);
		return NULL;
	}
	t->ngroups++;
	return g;
}

static int col_of(enum stats_sec sec, const char *key)
{
	const struct stats_section *s = &stats_sections[sec];
	for (uint32_t i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* ---- reading the cells ------------------------------------------------------------- */

struct build {
	struct stats_report *r;
	uint32_t last; /* index of the last township seen (cells come grouped by township) */
	int have_last;
	int oom;
	int all_time;       /* no dates: people helped come counted (aid_people) */
	int64_t county_people; /* aid_people of the county (township "") */
};

static int in_window(const char *date, const char *from, const char *to)
{
	if (!*date)
		return !*from && !*to;
	return (!*from || strcmp(date, from) >= 0) && (!*to || strcmp(date, to) <= 0);
}

/* Count into the column named dim (one of those before the total column,
 * when there is one) and into the total column. */
static void by_key(int64_t *v, enum stats_sec sec, const char *dim, int64_t count, int total_col)
{
	int c = col_of(sec, dim);
	if (c >= 0 && c < total_col)
		v[c] += count;
	v[total_col] += count;
}

/* A payment to retiree id by township tw: count the person once per
 * township and once county-wide. */
static int aid_person(struct stats_report *r, uint32_t tw, const char *id)
{
	char key[SILVER_MAX_ID + 16];
	size_t n = strlen(id);
	int rv;
	if ((rv = set_add(&r->people, id, n)) < 0)
		return rv;
	r->total.v[ST_AID][0] += rv;
	if (n > SILVER_MAX_ID)
		return SILVER_EINVAL;
	/* the township's index as 8 hex digits: keys are text, no NUL inside
	 * (written by hand: this runs once per aid cell) */
	for (int i = 0; i < 8; i++)
		key[i] = "0123456789abcdef"[(tw >> (28 - 4 * i)) & 15];
	memcpy(key + 8, id, n);
	if ((rv = set_add(&r->pairs, key, 8 + n)) < 0)
		return rv;
	r->tw[tw].v[ST_AID][0] += rv;
	return 0;
}

static int on_cell(const char *metric, const char *township, const char *date, const char *dim, int64_t count,
		   int64_t sum, void *ctx)
{
	struct build *b = ctx;
	struct stats_report *r = b->r;
	struct stats_tw *t;
	int rv;
	int64_t *v;

	/* Aid: payments and money from aid_paid.  People helped: over all time
	 * the store keeps them counted (aid_people; township "" is the county);
	 * for a date range they are counted here from the per-person aid cells
	 * in the range.  aid_person cells only keep aid_people up to date. */
	if (strcmp(metric, "aid_person") == 0 || (strcmp(metric, "aid_people") == 0 && !b->all_time) ||
	    (strcmp(metric, "aid") == 0 && b->all_time))
		return SILVER_AGG_SKIP;
	if (strcmp(metric, "aid_people") == 0 && !*township) {
		b->county_people += count;
		return 0;
	}

	if (!b->have_last || strcmp(r->tw[b->last].code, township) != 0) {
		if ((rv = tw_index(r, township, strlen(township), &b->last)) != 0)
			return rv;
		b->have_last = 1;
	}
	t = &r->tw[b->last];
	switch (metric[0]) {
	case 'r': /* retiree: snapshot by category */
		if (strcmp(metric, "retiree") == 0) {
			v = t->v[ST_RETIREES];
			by_key(v, ST_RETIREES, dim, count, 2);
		}
		return 0;
	case 'h':
		if (strcmp(metric, "honorary_checkup") == 0 && in_window(date, r->checkup_from, r->checkup_to))
			t->v[ST_RETIREES][3] += count;
		return 0;
	default:
		break;
	}
	if (strcmp(metric, "branch") == 0) {
		by_key(t->v[ST_BRANCHES], ST_BRANCHES, *dim ? dim : "none", count, 4);
		return 0;
	}
	if (strcmp(metric, "team") == 0 || strcmp(metric, "club") == 0) {
		t->v[ST_TEAMS][metric[0] == 'c'] += count;
		return 0;
	}
	/* the rest are events, which silver_store_aggregates gives once each
	 * within [from, to] (whole months as month cells) */
	if (strcmp(metric, "visit") == 0) {
		by_key(t->v[ST_VISITS], ST_VISITS, dim, count, 5);
	} else if (strcmp(metric, "delivery") == 0) {
		by_key(t->v[ST_DELIVERIES], ST_DELIVERIES, dim, count, 5);
	} else if (strcmp(metric, "aid_paid") == 0) {
		t->v[ST_AID][1] += count;
		t->v[ST_AID][2] += sum;
	} else if (strcmp(metric, "aid_people") == 0) {
		t->v[ST_AID][0] += count;
	} else if (strcmp(metric, "aid") == 0) {
		if (*dim && count > 0)
			return aid_person(r, b->last, dim);
	} else if (strcmp(metric, "ceremony") == 0) {
		t->v[ST_CEREMONIES][0] += count;
	} else if (strcmp(metric, "activity") == 0) {
		struct stats_group *g = stats_group_get(t, dim);
		if (!g)
			return SILVER_ENOMEM;
		g->v[SG_ACTIVITIES] += count;
		g->v[SG_AUDIENCE] += sum;
		t->v[ST_GROUPS][SG_ACTIVITIES] += count;
		t->v[ST_GROUPS][SG_AUDIENCE] += sum;
	} else if (strcmp(metric, "activity_kind") == 0) {
		by_key(t->v[ST_ACTIVITIES], ST_ACTIVITIES, dim, count, 7);
		t->v[ST_ACTIVITIES][8] += sum;
	} else if (strcmp(metric, "lecture") == 0) {
		int c = strcmp(dim, "lecture") == 0 ? 0 : strcmp(dim, "report") == 0 ? 2 : strcmp(dim, "six_into") == 0 ? 4 : -1;
		if (c >= 0) {
			t->v[ST_LECTURES][c] += count;
			t->v[ST_LECTURES][c + 1] += sum;
		}
		t->v[ST_LECTURES][6] += count;
		t->v[ST_LECTURES][7] += sum;
	} else if (strcmp(metric, "case_received") == 0) {
		t->v[ST_CASES][0] += count;
	} else if (strcmp(metric, "case_settled") == 0) {
		t->v[ST_CASES][1] += count;
	} else if (strcmp(metric, "service") == 0) {
		t->v[ST_SERVICES][0] += count;
	}
	return 0;
}

/* ---- finishing ------------------------------------------------------------------------ */

static int tw_cmp(const void *a, const void *b)
{
	return strcmp(((const struct stats_tw *)a)->code, ((const struct stats_tw *)b)->code);
}

static int group_cmp(const void *a, const void *b)
{
	const struct stats_group *x = a, *y = b;
	int c;
	if (x->club != y->club)
		return x->club - y->club;
	if (!*x->id != !*y->id) /* activities of no team or club last */
		return !*x->id - !*y->id;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* The team's or club's name and kind (a record id's collection part). */
static int group_name(silver_store *s, silver_arena *a, struct stats_group *g)
{
	silver_record rec;
	silver_slice tw, coll;
	int rv;

	if (!*g->id)
		return 0;
	if (silver_schema_split_id(g->id, strlen(g->id), &tw, &coll) == 0)
		g->club = coll.n == 4 && memcmp(coll.p, "club", 4) == 0;
	silver_arena_reset(a);
	rv = silver_store_get(s, g->id, a, &rec);
	if (rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL)
		return 0;
	if (rv != 0)
		return rv;
	for (uint32_t i = 0; i < rec.nfields; i++) {
		const silver_fieldstate *f = &rec.fields[i];
		if (f->field.n == 4 && memcmp(f->field.p, "name", 4) == 0 && f->nheads &&
		    f->heads[f->winner].value.type == SILVER_V_STR) {
			const silver_slice *n = &f->heads[f->winner].value.s;
			char *p = malloc(n->n + 1);
			if (!p)
				return SILVER_ENOMEM;
			memcpy(p, n->p, n->n);
			p[n->n] = 0;
			free(g->name);
			g->name = p;
		}
	}
	return 0;
}

/* Sort, add up the county row, count distinct people, name the groups. */
static int finish(struct stats_report *r, silver_store *s)
{
	silver_arena *a = NULL;
	int rv = 0;

	/* distinct people helped were counted as the cells came */
	set_free(&r->people);
	set_free(&r->pairs);

	for (uint32_t i = 0; i < r->ntw; i++) {
		struct stats_tw *t = &r->tw[i];
		for (int sec = 0; sec < ST_NSEC; sec++)
			for (uint32_t c = 0; c < stats_sections[sec].ncols; c++)
				if (!(sec == ST_AID && c == 0))
					r->total.v[sec][c] += t->v[sec][c];
		for (uint32_t g = 0; g < t->ngroups; g++) {
			struct stats_group *tg = stats_group_get(&r->total, t->groups[g].id);
			if (!tg)
				return SILVER_ENOMEM;
			tg->v[0] += t->groups[g].v[0];
			tg->v[1] += t->groups[g].v[1];
		}
	}
	if (s && r->total.ngroups && !(a = silver_arena_new()))
		return SILVER_ENOMEM;
	for (uint32_t g = 0; s && g < r->total.ngroups && rv == 0; g++)
		rv = group_name(s, a, &r->total.groups[g]);
	silver_arena_destroy(&a);
	if (rv != 0)
		return rv;
	/* copy names and kinds to the townships' rows */
	for (uint32_t i = 0; i < r->ntw; i++) {
		struct stats_tw *t = &r->tw[i];
		for (uint32_t g = 0; g < t->ngroups; g++) {
			struct stats_group *tg = stats_group_get(&r->total, t->groups[g].id);
			char *p = tg ? strdup(tg->name) : NULL;
			if (!p)
				return SILVER_ENOMEM;
			free(t->groups[g].name);
			t->groups[g].name = p;
			t->groups[g].club = tg->club;
		}
		if (t->ngroups)
			qsort(t->groups, t->ngroups, sizeof(t->groups[0]), group_cmp);
	}
	if (r->total.ngroups)
		qsort(r->total.groups, r->total.ngroups, sizeof(r->total.groups[0]), group_cmp);
	if (r->ntw)
		qsort(r->tw, r->ntw, sizeof(r->tw[0]), tw_cmp);
	return 0;
}

int stats_report_build(silver_store *s, const char *township, const char *from, const char *to, const char *today,
		       struct stats_report *r)
{
	struct build b;
	int rv;

	if ((rv = stats_report_init(r, township, from, to, today)) != 0)
		return rv;
	memset(&b, 0, sizeof(b));
	b.r = r;
	b.all_time = !*r->from && !*r->to;
	if ((rv = silver_store_aggregates(s, township, *r->from ? r->from : NULL, *r->to ? r->to : NULL, on_cell,
					  &b)) != 0) {
		stats_report_free(r);
		return rv;
	}
	if (b.all_time) {
		/* one township: its own count is the total; all: the county's */
		if (township && *township)
			for (uint32_t i = 0; i < r->ntw; i++)
				r->total.v[ST_AID][0] += r->tw[i].v[ST_AID][0];
		else
			r->total.v[ST_AID][0] = b.county_people;
	}
	if ((rv = finish(r, s)) != 0) {
		stats_report_free(r);
		return rv;
	}
	return 0;
}

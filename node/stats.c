/*
 * stats.c - statistics aggregates, kept up to date as entries are applied,
 * so that the county's figures are read from a few thousand cells instead
 * of a scan of every record (docs/STATS.md).
 *
 * Each live (not deleted) record contributes to a few cells, computed from
 * its current values (the provisional winners).  When an entry changes a
 * record, its contribution before is taken away and its contribution after
 * is added, in the same transaction.  A cell whose count and sum both reach
 * zero is deleted, so the cells, like the records, depend only on the set of
 * entries held.
 *
 * Cell key (database "aggs"):  metric 0 township 0 date 0 dim
 *   date  YYYY-MM-DD for events, and YYYY-MM for the same events rolled up
 *         per month; empty for snapshots (counts of what exists)
 *   dim   what the metric is broken down by (a type, a category, a record id)
 * Cell value: count (int64 LE) | sum (int64 LE)
 *
 *   metric            date            dim             sum
 *   retiree           -               category        -      (not one moved away: transferred_to set)
 *   honorary_checkup  checkup_date    -               -      (honorary retirees with a check-up date)
 *   visit             date            type            -
 *   delivery          date            type            -
 *   aid               date            retiree id      amount in fen  (distinct people in a date range)
 *   aid_paid          date            -               amount in fen  (payments and money in a date range)
 *   aid_person        -               retiree id      amount in fen  (all payments to the person; kept
 *                                                                    twice: township "" for the county)
 *   aid_people        -               -               -      (count: people with an aid_person cell,
 *                                                             per township, "" for the county; written
 *                                                             by silver__stats_flush, never by contrib)
 *   ceremony          date            -               -
 *   activity          date            team/club id    audience
 *   activity_kind     date            kind            audience
 *   lecture           date            kind            attendance
 *   case_received     received_date   -               -
 *   case_settled      closed_date     -               -      (status settled; received_date if no closed_date)
 *   branch            -               model_level     -
 *   service           date            -               -
 *   team, club        -               -               -
 *   records           -               collection      -      (every live record)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MAX_CELLS 5
#define cell silver_cell

static const silver_value *winner(const silver_record *r, const char *field)
{
	size_t n = strlen(field);
	for (uint32_t i = 0; i < r->nfields; i++) {
		const silver_fieldstate *f = &r->fields[i];
		if (f->field.n == n && memcmp(f->field.p, field, n) == 0 && f->nheads) {
			const silver_value *v = &f->heads[f->winner].value;
			return v->type == SILVER_V_NIL ? NULL : v;
		}
	}
	return NULL;
}

static silver_slice str_of(const silver_record *r, const char *field)
{
	const silver_value *v = winner(r, field);
	silver_slice s = {(const uint8_t *)"", 0};
	if (v && v->type == SILVER_V_STR)
		s = v->s;
	return s;
}

static int64_t int_of(const silver_record *r, const char *field)
{
	const silver_value *v = winner(r, field);
	return v && v->type == SILVER_V_INT ? v->i : 0;
}

static int is(const silver_slice *s, const char *z)
{
	size_t n = strlen(z);
	return s->n == n && memcmp(s->p, z, n) == 0;
}

/* The cells a record contributes to; 0 cells for a deleted one. */
static uint32_t contrib(const silver_record *r, struct cell *c);

void silver__stats_contrib(const silver_record *r, silver_contrib *out)
{
	out->n = contrib(r, out->c);
}

static uint32_t contrib(const silver_record *r, struct cell *c)
{
	uint32_t n = 0;
	silver_slice none = {(const uint8_t *)"", 0};
	if (!r || r->deleted || r->nfields == 0)
		return 0;
	memset(c, 0, sizeof(*c) * MAX_CELLS);
	for (uint32_t i = 0; i < MAX_CELLS; i++)
		c[i].date = c[i].dim = none;
	if (is(&r->collection, "retiree") && str_of(r, "transferred_to").n) {
		/* moved to another township: the new record counts the person */
	} else if (is(&r->collection, "retiree")) {
		c[n].metric = "retiree";
		c[n++].dim = str_of(r, "category");
		if (is(&c[0].dim, "honorary") && str_of(r, "checkup_date").n) {
			c[n].metric = "honorary_checkup";
			c[n++].date = str_of(r, "checkup_date");
		}
	} else if (is(&r->collection, "visit") || is(&r->collection, "delivery")) {
		c[n].metric = is(&r->collection, "visit") ? "visit" : "delivery";
		c[n].date = str_of(r, "date");
		c[n++].dim = str_of(r, "type");
	} else if (is(&r->collection, "aid")) {
		c[n].metric = "aid";
		c[n].date = str_of(r, "date");
		c[n].dim = str_of(r, "retiree");
		c[n++].sum = int_of(r, "amount");
		c[n].metric = "aid_paid";
		c[n].date = str_of(r, "date");
		c[n++].sum = int_of(r, "amount");
		c[n].metric = "aid_person"; /* kept for the township and for the county: cell_add_all */
		c[n].dim = str_of(r, "retiree");
		c[n++].sum = int_of(r, "amount");
	} else if (is(&r->collection, "ceremony")) {
		c[n].metric = "ceremony";
		c[n++].date = str_of(r, "date");
	} else if (is(&r->collection, "activity")) {
		c[n].metric = "activity";
		c[n].date = str_of(r, "date");
		c[n].dim = str_of(r, "group");
		c[n++].sum = int_of(r, "audience");
		c[n].metric = "activity_kind";
		c[n].date = str_of(r, "date");
		c[n].dim = str_of(r, "kind");
		c[n++].sum = int_of(r, "audience");
	} else if (is(&r->collection, "lecture")) {
		c[n].metric = "lecture";
		c[n].date = str_of(r, "date");
		c[n].dim = str_of(r, "kind");
		c[n++].sum = int_of(r, "attendance");
	} else if (is(&r->collection, "case")) {
		silver_slice status = str_of(r, "status");
		c[n].metric = "case_received";
		c[n++].date = str_of(r, "received_date");
		if (is(&status, "settled")) {
			c[n].metric = "case_settled";
			c[n].date = str_of(r, "closed_date");
			if (!c[n].date.n)
				c[n].date = str_of(r, "received_date");
			n++;
		}
	} else if (is(&r->collection, "branch")) {
		c[n].metric = "branch";
		c[n++].dim = str_of(r, "model_level");
	} else if (is(&r->collection, "service")) {
		c[n].metric = "service";
		c[n++].date = str_of(r, "date");
	} else if (is(&r->collection, "team") || is(&r->collection, "club")) {
		c[n++].metric = is(&r->collection, "team") ? "team" : "club";
	}
	c[n].metric = "records"; /* live records per collection: also says a township has data */
	c[n++].dim = r->collection;
	return n;
}

static int cell_key(const struct cell *c, const silver_slice *township, silver_buf *out)
{
	static const uint8_t zero = 0;
	silver_buf_reset(out);
	if (silver_buf_append(out, c->metric, strlen(c->metric)) || silver_buf_append(out, &zero, 1) ||
	    silver_buf_append(out, township->p, township->n) || silver_buf_append(out, &zero, 1) ||
	    silver_buf_append(out, c->date.p, c->date.n) || silver_buf_append(out, &zero, 1) ||
	    silver_buf_append(out, c->dim.p, c->dim.n))
		return SILVER_ENOMEM;
	return 0;
}

/* Cell changes are summed in memory for the whole transaction and written
 * once each when it ends (silver__stats_flush): a 100,000-row import touches
 * the same few cells 100,000 times, and one put each is enough. */
struct silver_aggacc {
	uint8_t *keys;    /* key bytes, back to back */
	size_t klen, kcap;
	struct slot {
		size_t off;      /* of the key in keys, +1 (0: empty slot) */
		uint32_t n;      /* key length */
		uint32_t hash;
		int64_t d[2];    /* count and sum deltas */
	} *slots;
	size_t nslots, used;
};

static uint32_t key_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int acc_grow(struct silver_aggacc *a)
{
	size_t n = a->nslots ? a->nslots * 2 : 256;
	struct slot *ns = calloc(n, sizeof(*ns));
	if (!ns)
		return SILVER_ENOMEM;
	for (size_t i = 0; i < a->nslots; i++) {
		size_t j;
		if (!a->slots[i].off)
			continue;
		for (j = a->slots[i].hash & (n - 1); ns[j].off; j = (j + 1) & (n - 1))
			;
		ns[j] = a->slots[i];
	}
	free(a->slots);
	a->slots = ns;
	a->nslots = n;
	return 0;
}

/* Sum count into the cell's slot of the accumulator *ap (made when NULL). */
static int cell_add(struct silver_aggacc **ap, const struct cell *c, const silver_slice *township, int64_t count,
		    silver_buf *k)
{
	struct silver_aggacc *a = *ap;
	uint32_t h;
	size_t j;
	int rv;
	if ((rv = cell_key(c, township, k)) != 0)
		return rv;
	if (!a) {
		if (!(a = *ap = calloc(1, sizeof(*a))))
			return SILVER_ENOMEM;
	}
	if ((a->used + 1) * 2 > a->nslots && (rv = acc_grow(a)) != 0)
		return rv;
	h = key_hash(k->data, k->len);
	for (j = h & (a->nslots - 1); a->slots[j].off; j = (j + 1) & (a->nslots - 1))
		if (a->slots[j].hash == h && a->slots[j].n == k->len &&
		    memcmp(a->keys + a->slots[j].off - 1, k->data, k->len) == 0)
			break;
	if (!a->slots[j].off) {
		if (a->klen + k->len > a->kcap) {
			size_t cap = a->kcap ? a->kcap * 2 : 4096;
			uint8_t *nk;
			while (cap < a->klen + k->len)
				cap *= 2;
			if (!(nk = realloc(a->keys, cap)))
				return SILVER_ENOMEM;
			a->keys = nk;
			a->kcap = cap;
		}
		memcpy(a->keys + a->klen, k->data, k->len);
		a->slots[j].off = a->klen + 1;
		a->slots[j].n = (uint32_t)k->len;
		a->slots[j].hash = h;
		a->klen += k->len;
		a->used++;
	}
	a->slots[j].d[0] += count;
	a->slots[j].d[1] += count * c->sum;
	return 0;
}

void silver__stats_discard(silver_wtxn *t)
{
	struct silver_aggacc *a = t->aggacc;
	if (!a)
		return;
	free(a->keys);
	free(a->slots);
	free(a);
	t->aggacc = NULL;
}

/* An aid_person cell key ("aid_person" 0 township 0 0 person) that appears
 * or disappears moves its township's aid_people count by one. */
static int people_delta(struct silver_aggacc **people, const MDB_val *key, int64_t before,
			int64_t after)
{
	static const char pfx[] = "aid_person";
	const uint8_t *p = key->mv_data, *z;
	struct cell c;
	silver_slice tw;
	silver_buf k;
	int rv;
	if ((before > 0) == (after > 0) || key->mv_size <= sizeof(pfx) || memcmp(p, pfx, sizeof(pfx)) != 0)
		return 0;
	if (!(z = memchr(p + sizeof(pfx), 0, key->mv_size - sizeof(pfx))))
		return SILVER_ECORRUPT;
	tw.p = p + sizeof(pfx);
	tw.n = (size_t)(z - tw.p);
	memset(&c, 0, sizeof(c));
	c.metric = "aid_people";
	c.date = c.dim = (silver_slice){(const uint8_t *)"", 0};
	silver_buf_init(&k);
	rv = cell_add(people, &c, &tw, after > 0 ? 1 : -1, &k);
	silver_buf_release(&k);
	return rv;
}

int silver__stats_flush(silver_wtxn *t)
{
	struct silver_aggacc *a = t->aggacc, *people = NULL;
	int rv = 0;
	for (size_t i = 0; a && i < a->nslots && rv == 0; i++) {
		struct slot *sl = &a->slots[i];
		MDB_val key = {sl->n, a->keys + (sl->off ? sl->off - 1 : 0)}, val;
		int64_t cur[2] = {0, 0};
		int rc;
		if (!sl->off || (sl->d[0] == 0 && sl->d[1] == 0))
			continue;
		rc = mdb_get(t->txn, t->s->aggs, &key, &val);
		if (rc == 0 && val.mv_size == sizeof(cur))
			memcpy(cur, val.mv_data, sizeof(cur));
		else if (rc != 0 && rc != MDB_NOTFOUND)
			rv = silver__mdb_err(rc);
		if (rv)
			break;
		if ((rv = people_delta(&people, &key, cur[0], cur[0] + sl->d[0])) != 0)
			break;
		cur[0] += sl->d[0];
		cur[1] += sl->d[1];
		if (cur[0] == 0 && cur[1] == 0) {
			/* an empty cell is no cell: cells depend only on the records */
			rc = mdb_del(t->txn, t->s->aggs, &key, NULL);
			rv = rc == MDB_NOTFOUND ? 0 : silver__mdb_err(rc);
		} else {
			val.mv_size = sizeof(cur);
			val.mv_data = cur;
			rv = silver__mdb_err(mdb_put(t->txn, t->s->aggs, &key, &val, 0));
		}
	}
	silver__stats_discard(t);
	if (people) { /* its own keys are aid_people: this goes one level deep */
		t->aggacc = people;
		if (rv == 0)
			return silver__stats_flush(t);
		silver__stats_discard(t);
	}
	return rv;
}

static int same_cell(const struct cell *a, const struct cell *b)
{
	return strcmp(a->metric, b->metric) == 0 && a->sum == b->sum && a->date.n == b->date.n &&
	       a->dim.n == b->dim.n && memcmp(a->date.p, b->date.p, a->date.n) == 0 &&
	       memcmp(a->dim.p, b->dim.p, a->dim.n) == 0;
}

/* Event metrics also keep a cell per month (date "YYYY-MM"), so that a
 * year's figures read twelve cells instead of 365. */
static int rolled_up(const struct cell *c)
{
	return c->date.n == 10 && strcmp(c->metric, "honorary_checkup") != 0;
}

static int cell_add_all(silver_wtxn *t, const struct cell *c, const silver_slice *township, int64_t count,
			silver_buf *k)
{
	static const silver_slice county = {(const uint8_t *)"", 0};
	int rv = cell_add(&t->aggacc, c, township, count, k);
	if (rv == 0 && rolled_up(c)) {
		struct cell m = *c;
		m.date.n = 7;
		rv = cell_add(&t->aggacc, &m, township, count, k);
	}
	/* the payments to a person by any office, to count people county-wide */
	if (rv == 0 && strcmp(c->metric, "aid_person") == 0)
		rv = cell_add(&t->aggacc, c, &county, count, k);
	return rv;
}

int silver__stats_update(silver_wtxn *t, const silver_slice *township, const silver_contrib *before,
			 const silver_contrib *after)
{
	const struct cell *old = before->c, *now = after->c;
	uint32_t no = before->n, nn = after->n;
	uint8_t keep_old[MAX_CELLS] = {0}, keep_new[MAX_CELLS] = {0};
	silver_buf k;
	int rv = 0;

	/* A cell that is the same before and after needs no write (most edits). */
	for (uint32_t i = 0; i < no; i++)
		for (uint32_t j = 0; j < nn; j++)
			if (!keep_new[j] && same_cell(&old[i], &now[j])) {
				keep_old[i] = keep_new[j] = 1;
				break;
			}
	silver_buf_init(&k);
	for (uint32_t i = 0; i < no && rv == 0; i++)
		if (!keep_old[i])
			rv = cell_add_all(t, &old[i], township, -1, &k);
	for (uint32_t j = 0; j < nn && rv == 0; j++)
		if (!keep_new[j])
			rv = cell_add_all(t, &now[j], township, 1, &k);
	silver_buf_release(&k);
	return rv;
}

/* ---- reading ------------------------------------------------------------------------ */

static int days_in_month(int y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return m >= 1 && m <= 12 ? d[m - 1] : 31;
}

/* Is the whole month ("YYYY-MM...") inside [from, to]?  Called for every
 * cell read, so it compares bytes instead of formatting dates. */
static int month_covered(const char *month, const char *from, const char *to)
{
	int c;
	if (from) {
		c = memcmp(month, from, 7);
		if (c < 0 || (c == 0 && memcmp(from + 8, "01", 2) != 0))
			return 0;
	}
	if (to) {
		c = memcmp(month, to, 7);
		if (c > 0)
			return 0;
		if (c == 0) {
			int y = atoi(to), m = atoi(to + 5), d = atoi(to + 8);
			if (d < days_in_month(y, m))
				return 0;
		}
	}
	return 1;
}

/* Each event once: a month cell when the whole month is in range, else the
 * day cells of that month that are in range. */
static int event_in(const char *date, size_t n, const char *from, const char *to)
{
	char month[8];
	if (n == 7)
		return month_covered(date, from, to);
	if (n != 10)
		return 0;
	memcpy(month, date, 7);
	month[7] = 0;
	if (month_covered(month, from, to))
		return 0;
	return (!from || memcmp(date, from, 10) >= 0) && (!to || memcmp(date, to, 10) <= 0);
}

static int is_event(const char *metric, size_t n)
{
	static const struct {
		const char *name;
		size_t n;
	} snap[] = {{"honorary_checkup", 16}, {"retiree", 7}, {"branch", 6}, {"team", 4}, {"club", 4}, {"records", 7}};
	for (size_t i = 0; i < sizeof(snap) / sizeof(snap[0]); i++)
		if (snap[i].n == n && memcmp(metric, snap[i].name, n) == 0)
			return 0;
	return 1;
}

/* Move the cursor to the first cell at or after key. */
static int seek(MDB_cursor *cur, const char *key, size_t n, MDB_val *k, MDB_val *v)
{
	k->mv_size = n;
	k->mv_data = (void *)key;
	return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

/* raw: every cell as it is stored (silver_store_cells), no filter. */
static int walk(silver_store *s, const char *township, const char *from, const char *to, int raw,
		silver_agg_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rv, rc;

	if ((rv = silver__rtxn(s, &txn)) != 0)
		return rv;
	if ((rc = mdb_cursor_open(txn, s->aggs, &cur)) != 0) {
		silver__rtxn_end(s, txn);
		return silver__mdb_err(rc);
	}
	/* Cells sort by metric, township, date: skip whole townships and date
	 * spans with seeks instead of reading past them. */
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && rv == 0) {
		const char *p = k.mv_data, *end = p + k.mv_size;
		const char *metric = p, *tw, *date, *dim;
		char mbuf[32], tbuf[SILVER_MAX_NAME + 1], dbuf[16], xbuf[SILVER_MAX_ID + 1];
		char skey[32 + SILVER_MAX_NAME + 16];
		const char *z1 = memchr(p, 0, k.mv_size), *z2, *z3;
		size_t ml, tl, dl;
		int64_t cv[2];
		if (!z1 || !(z2 = memchr(z1 + 1, 0, (size_t)(end - z1 - 1))) ||
		    !(z3 = memchr(z2 + 1, 0, (size_t)(end - z2 - 1))) || v.mv_size != sizeof(cv)) {
			rv = SILVER_ECORRUPT;
			break;
		}
		tw = z1 + 1;
		date = z2 + 1;
		dim = z3 + 1;
		ml = (size_t)(z1 - metric);
		tl = (size_t)(z2 - tw);
		dl = (size_t)(z3 - date);
		if (ml >= sizeof(mbuf) || tl >= sizeof(tbuf) || dl >= sizeof(dbuf) || (size_t)(end - dim) >= sizeof(xbuf)) {
			rv = SILVER_ECORRUPT;
			break;
		}
		if (township && (tl != strlen(township) || memcmp(tw, township, tl) != 0)) {
			size_t wl = strlen(township);
			int c = memcmp(tw, township, tl < wl ? tl : wl);
			memcpy(skey, metric, ml + 1);
			if (c < 0 || (c == 0 && tl < wl)) { /* before it: to metric 0 township 0 */
				memcpy(skey + ml + 1, township, wl + 1);
				rc = seek(cur, skey, ml + 1 + wl + 1, &k, &v);
			} else { /* past it: to the next metric */
				skey[ml + 1] = (char)0xff;
				rc = seek(cur, skey, ml + 2, &k, &v);
			}
			continue;
		}
		if (dl && !raw && is_event(metric, ml)) {
			if (from && memcmp(date, from, dl < 7 ? dl : 7) < 0) { /* before the first month */
				memcpy(skey, metric, ml + 1 + tl + 1);
				memcpy(skey + ml + 1 + tl + 1, from, 7);
				rc = seek(cur, skey, ml + 1 + tl + 1 + 7, &k, &v);
				continue;
			}
			if (to && memcmp(date, to, dl < 7 ? dl : 7) > 0) { /* past the last month: next township */
				memcpy(skey, metric, ml + 1 + tl);
				skey[ml + 1 + tl] = 1;
				rc = seek(cur, skey, ml + 1 + tl + 1, &k, &v);
				continue;
			}
			if (!event_in(date, dl, from, to)) {
				if (dl == 10 && month_covered(date, from, to)) {
					/* its month cell was given: past the month's days,
					 * to metric 0 township 0 YYYY-MM- 0xff */
					size_t at = ml + 1 + tl + 1;
					memcpy(skey, metric, at);
					memcpy(skey + at, date, 8);
					skey[at + 8] = (char)0xff;
					rc = seek(cur, skey, at + 9, &k, &v);
				} else {
					rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
				}
				continue;
			}
		}
		memcpy(mbuf, metric, ml);
		mbuf[ml] = 0;
		memcpy(tbuf, tw, tl);
		tbuf[tl] = 0;
		memcpy(dbuf, date, dl);
		dbuf[dl] = 0;
		memcpy(xbuf, dim, (size_t)(end - dim));
		xbuf[end - dim] = 0;
		memcpy(cv, v.mv_data, sizeof(cv));
		rv = fn(mbuf, tbuf, dbuf, xbuf, cv[0], cv[1], ctx);
		if (rv == SILVER_AGG_SKIP && raw) {
			rv = SILVER_EINVAL;
		} else if (rv == SILVER_AGG_SKIP) { /* nothing more of this metric and township */
			rv = 0;
			memcpy(skey, metric, ml + 1 + tl);
			skey[ml + 1 + tl] = 1;
			rc = seek(cur, skey, ml + 1 + tl + 1, &k, &v);
		} else if (rv == 0) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND && rv == 0)
		rv = silver__mdb_err(rc);
	mdb_cursor_close(cur);
	silver__rtxn_end(s, txn);
	return rv;
}

int silver_store_aggregates(silver_store *s, const char *township, const char *from, const char *to,
			    silver_agg_fn fn, void *ctx)
{
	return walk(s, township, from, to, 0, fn, ctx);
}

int silver_store_cells(silver_store *s, silver_agg_fn fn, void *ctx)
{
	return walk(s, NULL, NULL, NULL, 1, fn, ctx);
}

int silver_store_cell(silver_store *s, const char *metric, const char *township, const char *date, const char *dim,
		      int64_t out[2])
{
	struct cell c;
	silver_slice tw = {(const uint8_t *)township, strlen(township)};
	silver_buf k;
	MDB_txn *txn;
	MDB_val key, val;
	int rv, rc;

	memset(&c, 0, sizeof(c));
	c.metric = metric;
	c.date = (silver_slice){(const uint8_t *)date, strlen(date)};
	c.dim = (silver_slice){(const uint8_t *)dim, strlen(dim)};
	silver_buf_init(&k);
	if ((rv = cell_key(&c, &tw, &k)) != 0 || (rv = silver__rtxn(s, &txn)) != 0) {
		silver_buf_release(&k);
		return rv;
	}
	key.mv_size = k.len;
	key.mv_data = k.data;
	rc = mdb_get(txn, s->aggs, &key, &val);
	if (rc == 0 && val.mv_size != 2 * sizeof(int64_t))
		rv = SILVER_ECORRUPT;
	else if (rc == 0)
		memcpy(out, val.mv_data, 2 * sizeof(int64_t));
	else
		rv = rc == MDB_NOTFOUND ? SILVER_ENOTFOUND : silver__mdb_err(rc);
	silver__rtxn_end(s, txn);
	silver_buf_release(&k);
	return rv;
}

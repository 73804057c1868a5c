/*
 * table_map.c - what the cells of an office's table mean: header names
 * (field keys, English labels, Chinese names), value forms (labels for
 * enum keys, the many ways of writing a date), and references to retirees
 * by natural key (身份证号, or 姓名 with 出生日期) resolved in the township.
 *
 * The Chinese names below are the zh_CN catalogue's labels for the schema
 * (what `show` and `export` print in Chinese) and the synonyms offices
 * use.  They are fixed here rather than looked up in the running locale's
 * catalogue: what a file means must not depend on the language of the
 * person importing it.  docs/FORMAT.md ("Import files") lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "silver_i18n.h"
#include "silver_table.h"

/* English label (the catalogue's msgid) -> Chinese names, '|'-separated,
 * the catalogue's msgstr first. */
static const struct zh {
	const char *label;
	const char *names;
} zh_names[] = {
	/* fields */
	{ "Name", "姓名" },
	{ "Category", "人员类别|类别|干部类别" },
	{ "Gender", "性别" },
	{ "Date of birth", "出生日期|出生年月日|出生年月" },
	{ "ID card number", "身份证号|身份证号码|身份证" },
	{ "Work unit", "单位|工作单位|原工作单位" },
	{ "Party branch", "党支部|所在党支部" },
	{ "Address", "住址|地址|家庭住址" },
	{ "Phone", "联系电话|电话|手机|手机号" },
	{ "Hardship categories", "困难类别" },
	{ "Annual check-up date", "年度体检日期|体检日期" },
	{ "Health file", "健康档案" },
	{ "Care plan", "一人一策" },
	{ "Notes", "备注" },
	{ "Moved to (new record)", "已迁往（新记录）|迁往" },
	{ "Moved from (old record)", "迁自（原记录）|迁自" },
	{ "Retiree", "离退休干部" },
	{ "Date", "日期" },
	{ "Visit type", "走访类型" },
	{ "Staff", "工作人员|走访人" },
	{ "Delivery type", "五送类型" },
	{ "Amount (yuan)", "金额（元）|金额(元)|金额|帮扶金额" },
	{ "Aid reason", "帮扶原因" },
	{ "Approver", "审批人" },
	{ "Retiring cadre", "荣退人员" },
	{ "Branch name", "支部名称" },
	{ "Branch secretary", "支部书记" },
	{ "Liaison staff", "联络员" },
	{ "Model branch level", "示范党支部级别" },
	{ "Team name", "服务队名称" },
	{ "Club name", "社团名称" },
	{ "Activity kind", "活动类型" },
	{ "Team or club", "服务队或社团" },
	{ "Place", "地点" },
	{ "Participants", "参与人数" },
	{ "Audience reached", "受众人数" },
	{ "Lecture kind", "讲座类型" },
	{ "Topic", "主题" },
	{ "Attendance", "参加人次" },
	{ "Date received", "受理日期" },
	{ "Stage", "调解阶段" },
	{ "Mediator", "调解员" },
	{ "Case status", "案件状态" },
	{ "Date closed", "结案日期" },
	{ "Community", "社区" },
	{ "Service kind", "服务类型" },
	/* values */
	{ "Honorary retired cadre", "离休干部|离休" },
	{ "Retired cadre", "退休干部|退休" },
	{ "Male", "男" },
	{ "Female", "女" },
	{ "Serious illness", "身患重病|重病" },
	{ "Advanced age", "高龄" },
	{ "Low household income", "家庭收入低|低收入" },
	{ "Other special hardship", "其他特殊困难|其他" },
	{ "Birthday visit", "生日" },
	{ "Illness or hospital visit", "生病住院" },
	{ "Visit after a letter or call", "来信来电" },
	{ "Major festival visit", "重大节日" },
	{ "Emergency visit", "突发事件" },
	{ "Study materials delivery", "送资料" },
	{ "Festival warmth delivery", "送温暖" },
	{ "Hospital care delivery", "送关怀" },
	{ "Hardship help delivery", "送帮扶" },
	{ "Digital skills delivery", "送技能" },
	{ "Provincial model branch", "省级示范党支部|省级" },
	{ "City model branch", "市级示范党支部|市级" },
	{ "County model branch", "县级示范党支部|县级" },
	{ "Not a model branch", "非示范党支部|否" },
	{ "Arts performance", "文艺演出" },
	{ "Youth care event", "“五老”关爱青少年活动|五老关爱青少年活动" },
	{ "Science trip", "科普活动" },
	{ "Leaflet distribution", "发放宣传资料" },
	{ "Opera performance", "戏曲演出" },
	{ "New opera piece", "新创戏曲作品" },
	{ "Other activity", "其他活动|其他" },
	{ "Lecture", "讲座" },
	{ "Report talk", "宣讲" },
	{ "Six-into talk", "“六进”宣讲|六进宣讲" },
	{ "Pre-litigation", "诉前" },
	{ "In litigation", "诉中" },
	{ "In mediation", "调解中" },
	{ "Settled", "调解成功" },
	{ "Not settled", "调解不成" },
};

/* s (n bytes) is one of the '|'-separated names */
static int in_names(const char *names, const char *s, size_t n)
{
	for (const char *p = names; p;) {
		const char *e = strchr(p, '|');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n && memcmp(p, s, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* s (n bytes) names what label (an English msgid) names: the label itself
 * (ASCII case ignored), its translation in the running locale, or one of
 * its Chinese names. */
static int names_label(const char *label, const char *s, size_t n)
{
	const char *tr;
	if (strlen(label) == n && strncasecmp(label, s, n) == 0)
		return 1;
	tr = _(label);
	if (tr != label && strlen(tr) == n && memcmp(tr, s, n) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(zh_names) / sizeof(zh_names[0]); i++)
		if (strcmp(zh_names[i].label, label) == 0)
			return in_names(zh_names[i].names, s, n);
	return 0;
}

static const char *trim(const char *s, size_t *n)
{
	size_t k = strlen(s);
	while (k && (*s == ' ' || *s == '\t')) {
		s++;
		k--;
	}
	while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	/* the ideographic space U+3000 that Chinese input methods type */
	while (k >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) {
		s += 3;
		k -= 3;
	}
	while (k >= 3 && memcmp(s + k - 3, "\xe3\x80\x80", 3) == 0)
		k -= 3;
	*n = k;
	return s;
}

static const silver_field *field_named(const silver_collection *c, const char *s, size_t n)
{
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		if (strlen(f->key) == n && strncasecmp(f->key, s, n) == 0)
			return f;
	}
	for (uint32_t i = 0; i < c->nfields; i++)
		if (names_label(c->fields[i].label, s, n))
			return &c->fields[i];
	return NULL;
}

/* The field of c that refers to retirees (NULL when none). */
static const silver_field *retiree_ref(const silver_collection *c)
{
	for (uint32_t i = 0; i < c->nfields; i++)
		if (c->fields[i].type == SILVER_F_REF && c->fields[i].ref &&
		    strcmp(c->fields[i].ref, "retiree") == 0)
			return &c->fields[i];
	return NULL;
}

static int header_fail(silver_why *why, const char *reason, uint32_t col, const char *text)
{
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	snprintf(why->detail, sizeof(why->detail), "%u: %.200s", col + 1, text);
	why->row = 1;
	return SILVER_ESCHEMA;
}

int silver_header_map(const silver_collection *c, char *const *cells, uint32_t n, silver_header *out,
		      silver_why *why)
{
	const silver_field *ref = retiree_ref(c);
	const silver_collection *rc = silver_schema_find("retiree");

	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	out->c = c;
	if (n >= SILVER_MAX_WRITES)
		return header_fail(why, N_("too many columns"), n - 1, "");
	for (uint32_t j = 0; j < n; j++) {
		size_t k;
		const char *s = trim(cells[j], &k);
		const silver_field *f;
		silver_col col = { 0, NULL };

		if (k == 0)
			return header_fail(why, N_("a column has no name"), j, "");
		if ((f = field_named(c, s, k))) {
			col.kind = SILVER_COL_FIELD;
			col.field = f;
		} else if (ref) {
			const silver_field *rf;
			if (k > 8 && strncasecmp(s, "retiree.", 8) == 0) {
				s += 8;
				k -= 8;
			}
			rf = field_named(rc, s, k);
			if (rf && strcmp(rf->key, "id_number") == 0)
				col.kind = SILVER_COL_NAT_IDNUM;
			else if (rf && strcmp(rf->key, "name") == 0)
				col.kind = SILVER_COL_NAT_NAME;
			else if (rf && strcmp(rf->key, "birth_date") == 0)
				col.kind = SILVER_COL_NAT_BIRTH;
			col.field = col.kind ? ref : NULL;
		}
		if (!col.kind)
			return header_fail(why, N_("no such field in this collection"), j, cells[j]);
		for (uint32_t i = 0; i < j; i++)
			if (out->cols[i].kind == col.kind && out->cols[i].field == col.field)
				return header_fail(why, N_("the same field names two columns"), j, cells[j]);
		out->cols[j] = col;
		out->natural |= col.kind != SILVER_COL_FIELD;
	}
	out->ncols = n;
	return 0;
}

/* ---- values ----------------------------------------------------------------------- */

static const char *enum_form(const silver_field *f, const char *s, size_t n)
{
	for (uint32_t i = 0; i < f->nvalues; i++)
		if (strlen(f->values[i].key) == n && memcmp(f->values[i].key, s, n) == 0)
			return f->values[i].key;
	for (uint32_t i = 0; i < f->nvalues; i++)
		if (names_label(f->values[i].label, s, n))
			return f->values[i].key;
	return NULL;
}

/* days since 1970-01-01 -> civil date (H. Hinnant's algorithm) */
static void civil(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* up to max digits at *p as a number; -1 when none */
static long digits(const char **p, const char *end, int max)
{
	long v = 0;
	int k = 0;
	while (*p < end && **p >= '0' && **p <= '9' && k < max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		k++;
	}
	return k ? v : -1;
}

/* a date separator at *p: '-', '/' or '.' (returned as it is), or 年
 * after the year and 月 after the month (returned as 'Y'); 0 for none */
static int date_sep(const char **p, const char *end, int which)
{
	const char *zh = which == 0 ? "年" : "月";
	if (*p < end && (**p == '-' || **p == '/' || **p == '.'))
		return *(*p)++;
	if (end - *p >= 3 && memcmp(*p, zh, 3) == 0) {
		*p += 3;
		return 'Y';
	}
	return 0;
}

static const char *date_form(const char *s, size_t n, char *out, size_t outn)
{
	const char *p = s, *end = s + n;
	long y, m, d;
	int sep;
	int yy, mm, dd;

	if (n == 10 && s[4] == '-' && s[7] == '-')
		return NULL; /* the canonical form: as it is */
	y = digits(&p, end, 8);
	if (p == end && y >= 0 && n == 8) { /* 19500102 */
		m = (y / 100) % 100;
		d = y % 100;
		y /= 10000;
	} else if (p == end && y >= 1 && n <= 5) {
		/* an Excel day number: day 1 is 1900-01-01, and Excel counts a
		 * 29 February 1900 that never was, so from day 61 on the days
		 * are counted from 1899-12-30 */
		long z = y < 61 ? y - 1 - 25567 : y - 25569;
		civil(z, &yy, &mm, &dd);
		y = yy;
		m = mm;
		d = dd;
	} else {
		if (p - s != 4 || !(sep = date_sep(&p, end, 0)))
			return NULL;
		if ((m = digits(&p, end, 2)) < 0 || date_sep(&p, end, 1) != sep)
			return NULL;
		if ((d = digits(&p, end, 2)) < 0)
			return NULL;
		if (sep == 'Y' && end - p >= 3 && (memcmp(p, "日", 3) == 0 || memcmp(p, "号", 3) == 0))
			p += 3;
		if (p != end)
			return NULL;
	}
	if (snprintf(out, outn, "%04ld-%02ld-%02ld", y, m, d) >= (int)outn)
		return NULL;
	return out;
}

static int sep_at(const char *p, const char *end, size_t *len)
{
	static const char *const seps[] = { ",", ";", "，", "、", "；" };
	for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		size_t k = strlen(seps[i]);
		if ((size_t)(end - p) >= k && memcmp(p, seps[i], k) == 0) {
			*len = k;
			return 1;
		}
	}
	return 0;
}

static const char *set_form(const silver_field *f, const char *s, size_t n, char *out, size_t outn)
{
	const char *end = s + n, *p = s;
	size_t o = 0;
	while (p <= end) {
		const char *q = p, *item, *key;
		size_t k, sl = 0;
		while (q < end && !sep_at(q, end, &sl))
			q++;
		{
			char tmp[256];
			size_t tl = (size_t)(q - p) < sizeof(tmp) - 1 ? (size_t)(q - p) : sizeof(tmp) - 1;
			memcpy(tmp, p, tl);
			tmp[tl] = 0;
			item = trim(tmp, &k);
			key = k ? enum_form(f, item, k) : NULL;
			if (!key)
				return NULL; /* the parser says what is wrong */
		}
		if (o + strlen(key) + 2 > outn)
			return NULL;
		o += (size_t)snprintf(out + o, outn - o, "%s%s", o ? "," : "", key);
		if (q == end)
			break;
		p = q + sl;
	}
	return out;
}

const char *silver_value_form(const silver_field *f, const char *text, char *out, size_t n)
{
	size_t k;
	const char *s, *r = NULL;

	switch (f->type) {
	case SILVER_F_ENUM:
		s = trim(text, &k);
		r = enum_form(f, s, k);
		break;
	case SILVER_F_SET:
		s = trim(text, &k);
		if (k)
			r = set_form(f, s, k, out, n);
		break;
	case SILVER_F_DATE:
		s = trim(text, &k);
		r = date_form(s, k, out, n);
		break;
	default:
		break;
	}
	return r ? r : text;
}

/* ---- natural keys -------------------------------------------------------------------- */

struct nat {
	char *key; /* id number, or name "\x1f" birth date */
	char *id;
	int many;
};

struct silver_retiree_index {
	struct nat *byid, *byname;
	size_t nid, nname, capid, capname;
	char township[SILVER_MAX_NAME + 2]; /* "longhu/", or "" for every township */
	int oom;
};

/* A string field's winning value, or NULL. */
static const silver_value *winner(const silver_record *r, const char *key)
{
	const silver_value *v = silver_record_value(r, key);
	return v && v->type == SILVER_V_STR ? v : NULL;
}

static int nat_push(struct nat **a, size_t *n, size_t *cap, const char *k1, size_t n1, const char *k2,
		    size_t n2, const silver_slice *id)
{
	struct nat *e;
	if (*n == *cap) {
		struct nat *na = realloc(*a, (*cap = *cap ? *cap * 2 : 256) * sizeof(**a));
		if (!na)
			return -1;
		*a = na;
	}
	e = &(*a)[*n];
	e->many = 0;
	e->key = malloc(n1 + n2 + 2);
	e->id = malloc(id->n + 1);
	if (!e->key || !e->id) {
		free(e->key);
		free(e->id);
		return -1;
	}
	memcpy(e->key, k1, n1);
	if (k2) {
		e->key[n1] = 0x1f;
		memcpy(e->key + n1 + 1, k2, n2);
		e->key[n1 + 1 + n2] = 0;
	} else {
		e->key[n1] = 0;
	}
	memcpy(e->id, id->p, id->n);
	e->id[id->n] = 0;
	(*n)++;
	return 0;
}

static int index_one(const silver_record *r, void *vctx)
{
	silver_retiree_index *ix = vctx;
	const silver_value *idn, *name, *birth;
	size_t tl = strlen(ix->township);

	if (r->deleted || (tl && (r->id.n < tl || memcmp(r->id.p, ix->township, tl) != 0)))
		return 0;
	idn = winner(r, "id_number");
	name = winner(r, "name");
	birth = winner(r, "birth_date");
	if (idn && idn->s.n &&
	    nat_push(&ix->byid, &ix->nid, &ix->capid, (const char *)idn->s.p, idn->s.n, NULL, 0, &r->id) != 0)
		return SILVER_ENOMEM;
	if (name && birth &&
	    nat_push(&ix->byname, &ix->nname, &ix->capname, (const char *)name->s.p, name->s.n,
		     (const char *)birth->s.p, birth->s.n, &r->id) != 0)
		return SILVER_ENOMEM;
	return 0;
}

static int nat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nat *)a)->key, ((const struct nat *)b)->key);
}

/* sort, and fold equal keys into one entry marked many */
static void nat_sort(struct nat *a, size_t *n)
{
	size_t o = 0;
	if (*n == 0)
		return;
	qsort(a, *n, sizeof(*a), nat_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (o && strcmp(a[o - 1].key, a[i].key) == 0) {
			a[o - 1].many = 1;
			free(a[i].key);
			free(a[i].id);
			continue;
		}
		a[o++] = a[i];
	}
	*n = o;
}

int silver_retiree_index_build(silver_store *s, silver_retiree_index **out)
{
	silver_retiree_index *ix = calloc(1, sizeof(*ix));
	const char *t = silver_store_township(s);
	int rv;

	*out = NULL;
	if (!ix)
		return SILVER_ENOMEM;
	if (t && strcmp(t, "county") != 0)
		snprintf(ix->township, sizeof(ix->township), "%s/", t);
	if ((rv = silver_store_list(s, "retiree", index_one, ix)) != 0) {
		silver_retiree_index_free(&ix);
		return rv;
	}
	nat_sort(ix->byid, &ix->nid);
	nat_sort(ix->byname, &ix->nname);
	*out = ix;
	return 0;
}

void silver_retiree_index_free(silver_retiree_index **pix)
{
	silver_retiree_index *ix = *pix;
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nid; i++) {
		free(ix->byid[i].key);
		free(ix->byid[i].id);
	}
	for (size_t i = 0; i < ix->nname; i++) {
		free(ix->byname[i].key);
		free(ix->byname[i].id);
	}
	free(ix->byid);
	free(ix->byname);
	free(ix);
	*pix = NULL;
}

static const struct nat *nat_find(const struct nat *a, size_t n, const char *key)
{
	struct nat k = { (char *)key, NULL, 0 };
	return a && n ? bsearch(&k, a, n, sizeof(*a), nat_cmp) : NULL;
}

/* 15 or 18 characters: digits, the last of 18 may be X */
static int looks_like_idnum(const char *s, size_t n)
{
	if (n != 15 && n != 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i == 17 && (s[i] == 'X' || s[i] == 'x')))
			return 0;
	return 1;
}

static int nat_fail(silver_why *why, const silver_field *f, const char *reason, const char *detail)
{
	memset(why, 0, sizeof(*why));
	snprintf(why->field, sizeof(why->field), "%s", f->key);
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (detail)
		snprintf(why->detail, sizeof(why->detail), "%.250s", detail);
	return SILVER_ESCHEMA;
}

static int nat_take(const struct nat *e, const silver_field *f, const char *what, const char *shown,
		    const char **id, silver_why *why)
{
	(void)what;
	if (!e)
		return nat_fail(why, f,
				what[0] == 'i' ?
					N_("no retiree with this id number in the township") :
					N_("no retiree with this name and birth date in the township"),
				shown);
	if (e->many)
		return nat_fail(
			why, f,
			N_("more than one retiree in the township matches; name the record id instead"),
			shown);
	*id = e->id;
	return 0;
}

int silver_row_kv(const silver_header *h, const silver_retiree_index *ix, char *const *cells, uint32_t n,
		  silver_kv *kv, uint32_t *nkv, char *out, silver_why *why)
{
	const char *idnum = NULL, *name = NULL, *birth = NULL;
	const silver_field *natf = NULL;
	int refslot = -1;
	uint32_t m = 0;

	for (uint32_t j = 0; j < n && j < h->ncols; j++) {
		const char *v = cells[j];
		const silver_col *c = &h->cols[j];
		char *o = out + (size_t)j * SILVER_MAX_ID;
		if (v[0] == 0)
			continue;
		switch (c->kind) {
		case SILVER_COL_FIELD:
			kv[m].key = c->field->key;
			if (c->field->type == SILVER_F_REF && c->field->ref &&
			    strcmp(c->field->ref, "retiree") == 0) {
				size_t k;
				const char *s = trim(v, &k);
				if (ix && looks_like_idnum(s, k)) {
					const char *id = NULL;
					memcpy(o, s, k);
					o[k] = 0;
					if (nat_take(nat_find(ix->byid, ix->nid, o), c->field, "i", o, &id,
						     why) != 0)
						return SILVER_ESCHEMA;
					v = id;
				}
				refslot = (int)m;
			} else if (c->field->type == SILVER_F_ENUM || c->field->type == SILVER_F_SET ||
				   c->field->type == SILVER_F_DATE) {
				v = silver_value_form(c->field, v, o, SILVER_MAX_ID);
			}
			kv[m].text = v;
			m++;
			break;
		case SILVER_COL_NAT_IDNUM:
			idnum = v;
			natf = c->field;
			break;
		case SILVER_COL_NAT_NAME:
			name = v;
			natf = c->field;
			break;
		case SILVER_COL_NAT_BIRTH:
			birth = v;
			natf = c->field;
			break;
		}
	}
	if (natf && refslot < 0 && ix) {
		/* the row names its retiree by natural key */
		const char *id = NULL;
		char key[SILVER_MAX_STR + 16];
		size_t k;
		const char *s;
		if (idnum) {
			s = trim(idnum, &k);
			snprintf(key, sizeof(key), "%.*s", (int)k, s);
			if (nat_take(nat_find(ix->byid, ix->nid, key), natf, "i", key, &id, why) != 0)
				return SILVER_ESCHEMA;
		} else if (name && birth) {
			char date[32];
			const char *b = silver_value_form(&(silver_field){ "birth_date", "", SILVER_F_DATE, 0,
									   NULL, 0, NULL, NULL, 0 },
							  birth, date, sizeof(date));
			size_t bl;
			const char *bs = trim(b, &bl);
			s = trim(name, &k);
			snprintf(key, sizeof(key), "%.*s\x1f%.*s", (int)k, s, (int)bl, bs);
			if (nat_take(nat_find(ix->byname, ix->nname, key), natf, "n", key, &id, why) != 0) {
				/* show the key as people read it */
				char *sep = strchr(why->detail, 0x1f);
				if (sep)
					*sep = ' ';
				return SILVER_ESCHEMA;
			}
		} else {
			return nat_fail(why, natf, N_("the retiree's name and birth date are both needed"),
					name ? name : birth);
		}
		if (m >= SILVER_MAX_WRITES)
			return nat_fail(why, natf, N_("too many columns"), NULL);
		kv[m].key = natf->key;
		kv[m].text = id;
		m++;
	}
	*nkv = m;
	return 0;
}

/*
 * test_table.c - the forms of silver_table.h at their edges: header names
 * (keys, English labels, Chinese names, natural-key columns, refusals) and
 * value forms (enum and set labels, every date form, Excel day numbers).
 * The files themselves (GBK, XLSX, NUL, long rows) are driven through the
 * real program by tests/integration/test_import_forms.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "silver_table.h"

static const silver_field *field(const char *coll, const char *key)
{
	const silver_field *f = silver_schema_field(silver_schema_find(coll), key, strlen(key));
	assert_non_null(f);
	return f;
}

static const char *form(const char *coll, const char *key, const char *text)
{
	static char out[SILVER_MAX_ID];
	return silver_value_form(field(coll, key), text, out, sizeof(out));
}

static void test_dates(void **state)
{
	(void)state;
	assert_string_equal(form("retiree", "birth_date", "1950-01-02"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "1950/1/2"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "1950.12.31"), "1950-12-31");
	assert_string_equal(form("retiree", "birth_date", "1950-1-2"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "1950年1月2日"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "1950年10月2号"), "1950-10-02");
	assert_string_equal(form("retiree", "birth_date", "1950年1月2"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", " 1950/1/2 "), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "19500102"), "1950-01-02");
	/* Excel day numbers: 1 is 1900-01-01, 59 is 1900-02-28, 61 is 1900-03-01
	 * (Excel's day 60 is a 29 February 1900 that never was) */
	assert_string_equal(form("retiree", "birth_date", "1"), "1900-01-01");
	assert_string_equal(form("retiree", "birth_date", "59"), "1900-02-28");
	assert_string_equal(form("retiree", "birth_date", "61"), "1900-03-01");
	assert_string_equal(form("retiree", "birth_date", "18265"), "1950-01-02");
	assert_string_equal(form("retiree", "birth_date", "45658"), "2025-01-01");
	/* not a form: left as typed, for the parser to refuse */
	assert_string_equal(form("retiree", "birth_date", "1950/1-2"), "1950/1-2");
	assert_string_equal(form("retiree", "birth_date", "1950年1/2"), "1950年1/2");
	assert_string_equal(form("retiree", "birth_date", "50/1/2"), "50/1/2");
	assert_string_equal(form("retiree", "birth_date", "1950/1/2/3"), "1950/1/2/3");
	assert_string_equal(form("retiree", "birth_date", "1950/123/2"), "1950/123/2");
	assert_string_equal(form("retiree", "birth_date", "abc"), "abc");
	assert_string_equal(form("retiree", "birth_date", "123456"), "123456");
	/* a form of an impossible date gives the impossible date: the parser says "no such date" */
	assert_string_equal(form("retiree", "birth_date", "1950/2/30"), "1950-02-30");
}

static void test_enums(void **state)
{
	(void)state;
	assert_string_equal(form("retiree", "category", "honorary"), "honorary");
	assert_string_equal(form("retiree", "category", "离休干部"), "honorary");
	assert_string_equal(form("retiree", "category", "离休"), "honorary");
	assert_string_equal(form("retiree", "category", " 退休 "), "retired");
	assert_string_equal(form("retiree", "category", "retired cadre"), "retired");
	assert_string_equal(form("retiree", "gender", "女"), "f");
	assert_string_equal(form("visit", "type", "生病住院"), "illness");
	assert_string_equal(form("aid", "reason", "身患重病"), "illness");
	assert_string_equal(form("activity", "kind", "“五老”关爱青少年活动"), "youth_event");
	assert_string_equal(form("case", "status", "调解成功"), "settled");
	/* keys are exact; a label of another field is not this field's */
	assert_string_equal(form("retiree", "category", "Honorary"), "Honorary");
	assert_string_equal(form("retiree", "gender", "生日"), "生日");
	/* sets: any separator, labels or keys, spaces */
	assert_string_equal(form("retiree", "hardship", "高龄、身患重病"), "old_age,illness");
	assert_string_equal(form("retiree", "hardship", "old_age，低收入；other"),
			    "old_age,low_income,other");
	assert_string_equal(form("retiree", "hardship", "illness, 高龄"), "illness,old_age");
	assert_string_equal(form("retiree", "hardship", "高龄、、重病"), "高龄、、重病");
	assert_string_equal(form("retiree", "hardship", "高龄、富有"), "高龄、富有");
	/* other types untouched */
	assert_string_equal(form("aid", "amount", "1500.50"), "1500.50");
}

static int map(const char *coll, const char *const *cells, uint32_t n, silver_header *h, silver_why *why)
{
	return silver_header_map(silver_schema_find(coll), (char *const *)cells, n, h, why);
}

static void test_headers(void **state)
{
	silver_header h;
	silver_why why;
	(void)state;
	{
		const char *c[] = { "姓名", "类别", " 出生日期 ", "Gender", "id_number", "BIRTH_DATE" };
		assert_int_equal(map("retiree", c, 5, &h, &why), 0);
		assert_string_equal(h.cols[0].field->key, "name");
		assert_string_equal(h.cols[1].field->key, "category");
		assert_string_equal(h.cols[2].field->key, "birth_date");
		assert_string_equal(h.cols[3].field->key, "gender");
		assert_string_equal(h.cols[4].field->key, "id_number");
		assert_int_equal(h.natural, 0);
		/* the same field twice, by two names */
		assert_int_equal(map("retiree", c, 6, &h, &why), SILVER_ESCHEMA);
		assert_string_equal(why.reason, "the same field names two columns");
		assert_string_equal(why.detail, "6: BIRTH_DATE");
	}
	{
		const char *c[] = { "姓名", "出生日期", "身份证号", "日期", "走访类型", "retiree.name" };
		assert_int_equal(map("visit", c, 5, &h, &why), 0);
		assert_int_equal(h.cols[0].kind, SILVER_COL_NAT_NAME);
		assert_int_equal(h.cols[1].kind, SILVER_COL_NAT_BIRTH);
		assert_int_equal(h.cols[2].kind, SILVER_COL_NAT_IDNUM);
		assert_string_equal(h.cols[2].field->key, "retiree");
		assert_string_equal(h.cols[3].field->key, "date");
		assert_string_equal(h.cols[4].field->key, "type");
		assert_int_equal(h.natural, 1);
		assert_int_equal(map("visit", c, 6, &h, &why), SILVER_ESCHEMA);
	}
	{
		/* no natural keys where nothing refers to retirees */
		const char *c[] = { "日期", "身份证号" };
		assert_int_equal(map("lecture", c, 2, &h, &why), SILVER_ESCHEMA);
		assert_string_equal(why.reason, "no such field in this collection");
		assert_string_equal(why.detail, "2: 身份证号");
		assert_int_equal(why.row, 1);
	}
	{
		const char *c[] = { "name", "" };
		assert_int_equal(map("team", c, 2, &h, &why), SILVER_ESCHEMA);
		assert_string_equal(why.reason, "a column has no name");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

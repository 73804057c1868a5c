/*
 * names.c - the one definition of each name rule.
 *
 * Four kinds of names travel in signed data, and each has exactly one rule,
 * used by the encoder and decoder (proto), by the store and by every
 * program that takes a name from a user:
 *
 *   township    [a-z0-9_]{1,32}, not starting with '_'.  A township code is
 *               part of every record id (township/collection/tail), of feed
 *               tags and of certificates; the county's codes are pinyin.
 *   collection, [a-z0-9_]{1,64}; only a field may start with '_' (the
 *   field       reserved fields).
 *   operator    [a-z0-9_.-]{1,32}, any byte of the set first: an account
 *               name of an office's workbench, which a CHANGE may carry to
 *               say which person of the office made it (the same rule
 *               decides which account names `silvernode user add` takes).
 *   label       a display name (a node's or certificate's name): valid UTF-8,
 *               1..SILVER_MAX_CERT_NAME bytes, no control characters (C0,
 *               DEL, C1), no line or paragraph separators, no bidirectional
 *               overrides or isolates (which make a name display as another).
 */
#include <string.h>

#include <utf8proc.h>

#include "silver_proto.h"

/* The bytes of a name: a-z, 0-9 and '_'. */
static const uint8_t name_byte[256] = {
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1
};

/* An operator's bytes: those of a name, '.' and '-'. */
static int operator_byte(uint8_t b)
{
	return name_byte[b] || b == '.' || b == '-';
}

int silver_name_check(const uint8_t *p, size_t n, enum silver_name_kind kind)
{
	size_t max = kind == SILVER_NAME_TOWNSHIP ? SILVER_MAX_TOWNSHIP :
		     kind == SILVER_NAME_OPERATOR ? SILVER_MAX_OPERATOR :
						    SILVER_MAX_NAME;

	if (!p && n)
		return SILVER_EINVAL;
	if (n == 0)
		return SILVER_EMALFORMED;
	if (n > max)
		return SILVER_ELIMIT;
	if (kind == SILVER_NAME_OPERATOR) {
		for (size_t k = 0; k < n; k++)
			if (!operator_byte(p[k]))
				return SILVER_EMALFORMED;
		return 0;
	}
	if (p[0] == '_' && kind != SILVER_NAME_FIELD)
		return SILVER_EMALFORMED;
	for (size_t k = 0; k < n; k++)
		if (!name_byte[p[k]])
			return SILVER_EMALFORMED;
	return 0;
}

int silver_township_ok(const char *code)
{
	return code && silver_name_check((const uint8_t *)code, strlen(code), SILVER_NAME_TOWNSHIP) == 0;
}

int silver_operator_ok(const char *name)
{
	return name && silver_name_check((const uint8_t *)name, strlen(name), SILVER_NAME_OPERATOR) == 0;
}

int silver_char_plain(int32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return 0; /* C0, DEL, C1 */
	if (c == 0x2028 || c == 0x2029)
		return 0; /* line and paragraph separators */
	if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
	    c == 0x061c)
		return 0; /* bidirectional embeddings, overrides, isolates and marks */
	return 1;
}

int silver_label_check(const uint8_t *p, size_t n)
{
	size_t at = 0;

	if (!p && n)
		return SILVER_EINVAL;
	if (n == 0)
		return SILVER_EMALFORMED;
	if (n > SILVER_MAX_CERT_NAME)
		return SILVER_ELIMIT;
	while (at < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + at, (utf8proc_ssize_t)(n - at), &c);
		if (k <= 0 || !silver_char_plain(c))
			return SILVER_EMALFORMED;
		at += (size_t)k;
	}
	return 0;
}

/*
 * test_proto.c - unit tests of the proto layer: buffers, arena, hex, clock,
 * hashing and seals, msgcheck limits, and every encoding rule of an entry
 * (each refused with its own code, on encode and on decode).
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "silver_proto.h"
#include "test_proto_fixtures.h"

#define S(lit) ((silver_slice){ (const uint8_t *)(lit), sizeof(lit) - 1 })

static int setup(void **state)
{
	(void)state;
	return silver_crypto_init();
}

/* ---- buf, arena, hex, strerror ---------------------------------------------- */

static void test_buf(void **state)
{
	silver_buf b;
	size_t k;

	silver_buf_init(&b);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	for (k = 0; k < 1000; k++)
		assert_int_equal(silver_buf_append(&b, "abc", 3), 0);
	assert_int_equal(b.len, 3000);
	assert_true(b.len <= b.cap);
	assert_int_equal(b.data[b.len], 0);
	assert_memory_equal(b.data + 2997, "abc", 3);
	assert_int_equal(silver_buf_reserve(&b, SIZE_MAX), SILVER_ENOMEM);
	assert_int_equal(b.len, 3000);
	assert_int_equal(silver_buf_append(&b, NULL, 0), 0);
	silver_buf_release(&b);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(silver_buf_append(&b, "x", 1), 0);
	silver_buf_release(&b);
}

/* The failure flag is sticky: once the buffer could not grow, nothing more
 * is appended (a gap would make wrong bytes look right) until a reset, and
 * an encoder that packs without checking each call reports the failure. */
static void test_buf_sticky(void **state)
{
	silver_buf b;
	silver_slice side = {(const uint8_t *)"\x92\x01\x02", 3};
	silver_cert c;

	(void)state;
	silver_buf_init(&b);
	assert_int_equal(silver_buf_append(&b, "abc", 3), 0);
	assert_false(silver_buf_failed(&b));
	assert_int_equal(silver_buf_reserve(&b, SIZE_MAX), SILVER_ENOMEM);
	assert_true(silver_buf_failed(&b));
	assert_int_equal(silver_buf_append(&b, "d", 1), SILVER_ENOMEM);
	assert_int_equal(silver_buf_reserve(&b, 1), SILVER_ENOMEM);
	assert_int_equal(b.len, 3);
	/* fork proofs, certificates: their last pack calls "succeed" into the
	 * room already there, but the buffer lost a piece before */
	assert_int_equal(silver_fork_proof_encode(&side, 1, &side, 1, &b), SILVER_ENOMEM);
	memset(&c, 0, sizeof(c));
	c.role = SILVER_ROLE_MIN;
	assert_int_equal(silver_cert_encode(&c, &b), SILVER_ENOMEM);
	silver_buf_reset(&b);
	assert_false(silver_buf_failed(&b));
	assert_int_equal(b.len, 0);
	assert_int_equal(silver_fork_proof_encode(&side, 1, &side, 1, &b), 0);
	assert_true(b.len > 0);
	silver_buf_release(&b);
	assert_false(silver_buf_failed(&b));
}

static void test_arena(void **state)
{
	silver_arena *a = silver_arena_new();
	uint8_t *p, *q, *big, *first;
	size_t k;

	assert_non_null(a);
	first = silver_arena_alloc(a, 10);
	assert_non_null(first);
	memset(first, 0xaa, 10);
	for (k = 0; k < 2000; k++) {
		p = silver_arena_alloc(a, 1 + k % 50);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		assert_int_equal(p[0], 0);
		p[0] = 0x55;
	}
	big = silver_arena_alloc(a, 100000); /* larger than a block */
	assert_non_null(big);
	assert_int_equal(big[99999], 0);
	silver_arena_reset(a);
	q = silver_arena_alloc(a, 10);
	assert_ptr_equal(q, first); /* blocks are kept */
	for (k = 0; k < 10; k++)
		assert_int_equal(q[k], 0); /* and handed out zeroed */
	assert_null(silver_arena_alloc(a, SIZE_MAX));
	silver_arena_destroy(&a);
	assert_null(a);
	silver_arena_destroy(&a); /* harmless twice */
}

static void test_hex(void **state)
{
	uint8_t in[5] = { 0x00, 0x01, 0xab, 0xcd, 0xff }, out[5];
	char s[11];

	silver_hex(in, 5, s);
	assert_string_equal(s, "0001abcdff");
	assert_int_equal(silver_unhex(s, out, 5), 0);
	assert_memory_equal(in, out, 5);
	assert_int_equal(silver_unhex("0001ABCDFF", out, 5), 0);
	assert_memory_equal(in, out, 5);
	assert_int_equal(silver_unhex("0001abcdf", out, 5), SILVER_EINVAL);   /* short */
	assert_int_equal(silver_unhex("0001abcdff0", out, 5), SILVER_EINVAL); /* long */
	assert_int_equal(silver_unhex("0001abcdfg", out, 5), SILVER_EINVAL);  /* not hex */
	assert_int_equal(silver_unhex("00 1abcdff", out, 5), SILVER_EINVAL);
	assert_int_equal(silver_unhex("", out, 0), 0);
}

static void test_strerror(void **state)
{
	const char *seen[23];
	int k, j;

	for (k = 0; k >= SILVER_ECRYPTO; k--) {
		const char *m = silver_strerror(k);

		assert_non_null(m);
		assert_true(strlen(m) > 3);
		assert_string_not_equal(m, "unknown error");
		seen[-k] = m;
		for (j = 0; j < -k; j++)
			assert_string_not_equal(seen[j], m);
	}
	assert_string_equal(silver_strerror(-999), "unknown error");
	assert_string_equal(silver_strerror(5), "unknown error");
}

/* ---- names ------------------------------------------------------------------ */

#define NAME(s, k) silver_name_check((const uint8_t *)(s), strlen(s), (k))
#define LABEL(s) silver_label_check((const uint8_t *)(s), strlen(s))

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(NAME("longhu", SILVER_NAME_TOWNSHIP), 0);
	assert_int_equal(NAME("town_2", SILVER_NAME_TOWNSHIP), 0);
	assert_int_equal(NAME("abcdefghijklmnopqrstuvwxyz012345", SILVER_NAME_TOWNSHIP), 0); /* 32 */
	assert_int_equal(NAME("abcdefghijklmnopqrstuvwxyz0123456", SILVER_NAME_TOWNSHIP), SILVER_ELIMIT);
	assert_int_equal(NAME("_x", SILVER_NAME_TOWNSHIP), SILVER_EMALFORMED); /* init --township _x */
	assert_int_equal(NAME("_x", SILVER_NAME_COLLECTION), SILVER_EMALFORMED);
	assert_int_equal(NAME("_deleted", SILVER_NAME_FIELD), 0);
	assert_int_equal(NAME("", SILVER_NAME_TOWNSHIP), SILVER_EMALFORMED);
	assert_int_equal(NAME("Longhu", SILVER_NAME_TOWNSHIP), SILVER_EMALFORMED);
	assert_int_equal(NAME("xin-yan", SILVER_NAME_COLLECTION), SILVER_EMALFORMED);
	assert_int_equal(NAME("新烟", SILVER_NAME_TOWNSHIP), SILVER_EMALFORMED);
	assert_int_equal(silver_name_check(NULL, 1, SILVER_NAME_FIELD), SILVER_EINVAL);
	assert_int_equal(silver_name_check((const uint8_t *)"ab\0c", 4, SILVER_NAME_FIELD), SILVER_EMALFORMED);
	assert_true(silver_township_ok("xinyan"));
	assert_false(silver_township_ok("_x"));
	assert_false(silver_township_ok(NULL));

	/* operators: the workbench's account names */
	assert_int_equal(NAME("wang.li", SILVER_NAME_OPERATOR), 0);
	assert_int_equal(NAME("_admin-2", SILVER_NAME_OPERATOR), 0); /* any byte of the set first */
	assert_int_equal(NAME(".", SILVER_NAME_OPERATOR), 0);
	assert_int_equal(NAME("abcdefghijklmnopqrstuvwxyz0.-_99", SILVER_NAME_OPERATOR), 0); /* 32 */
	assert_int_equal(NAME("abcdefghijklmnopqrstuvwxyz0.-_999", SILVER_NAME_OPERATOR), SILVER_ELIMIT);
	assert_int_equal(NAME("", SILVER_NAME_OPERATOR), SILVER_EMALFORMED);
	assert_int_equal(NAME("Wang", SILVER_NAME_OPERATOR), SILVER_EMALFORMED);
	assert_int_equal(NAME("wang li", SILVER_NAME_OPERATOR), SILVER_EMALFORMED);
	assert_int_equal(NAME("wang/li", SILVER_NAME_OPERATOR), SILVER_EMALFORMED);
	assert_int_equal(NAME("王丽", SILVER_NAME_OPERATOR), SILVER_EMALFORMED);
	assert_int_equal(silver_name_check((const uint8_t *)"ab\0c", 4, SILVER_NAME_OPERATOR),
			 SILVER_EMALFORMED);
	assert_int_equal(NAME("wang.li", SILVER_NAME_FIELD),
			 SILVER_EMALFORMED); /* '.' is an operator's only */
	assert_true(silver_operator_ok("li-na_2"));
	assert_false(silver_operator_ok(""));
	assert_false(silver_operator_ok(NULL));

	assert_int_equal(LABEL("龙湖镇办公室"), 0);
	assert_int_equal(LABEL("Longhu laptop 1"), 0);
	assert_int_equal(LABEL(""), SILVER_EMALFORMED);
	assert_int_equal(LABEL("line\nbreak"), SILVER_EMALFORMED);
	assert_int_equal(LABEL("cr\r"), SILVER_EMALFORMED);
	assert_int_equal(LABEL("tab\there"), SILVER_EMALFORMED);
	assert_int_equal(LABEL("\x1b[31mred"), SILVER_EMALFORMED);     /* a terminal escape */
	assert_int_equal(LABEL("bad \xff byte"), SILVER_EMALFORMED);    /* not UTF-8 */
	assert_int_equal(LABEL("\xe9\xbe"), SILVER_EMALFORMED);        /* a cut character */
	assert_int_equal(LABEL("c1 \xc2\x85"), SILVER_EMALFORMED);     /* U+0085 NEL */
	assert_int_equal(LABEL("rtl \xe2\x80\xae"), SILVER_EMALFORMED); /* U+202E */
	assert_int_equal(LABEL("ls \xe2\x80\xa8"), SILVER_EMALFORMED);  /* U+2028 */
	{
		char big[SILVER_MAX_CERT_NAME + 2];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		assert_int_equal(LABEL(big), SILVER_ELIMIT);
		big[sizeof(big) - 2] = 0;
		assert_int_equal(LABEL(big), 0);
	}
}

/* ---- clock ------------------------------------------------------------------ */

static void test_hlc(void **state)
{
	uint64_t now = UINT64_C(1735689600000), c, r;

	assert_int_equal(silver_hlc_next(0, now), now << 16);
	assert_int_equal(silver_hlc_next(now << 16, now), (now << 16) + 1); /* same ms: counter */
	assert_int_equal(silver_hlc_next((now + 5) << 16, now), ((now + 5) << 16) + 1); /* wall behind */
	assert_int_equal(silver_hlc_next(((now - 1) << 16) | 7, now), now << 16);
	/* out of range: refused (0), never pinned to one value that repeats */
	assert_int_equal(silver_hlc_next(UINT64_MAX, now), 0);
	assert_int_equal(silver_hlc_next(UINT64_MAX - 1, now), UINT64_MAX); /* the last one */
	assert_int_equal(silver_hlc_next(0, UINT64_MAX), 0);                /* a clock before 1970 */
	assert_int_equal(silver_hlc_next(0, SILVER_HLC_MAX_MS + 1), 0);     /* past the year 10889 */
	assert_int_equal(silver_hlc_next(0, SILVER_HLC_MAX_MS), SILVER_HLC_MAX_MS << 16);
	{
		/* at the top of the range every stamp is new until they run out */
		uint64_t last = 0, k;
		for (k = 0; k < 0x10000; k++) {
			uint64_t n = silver_hlc_next(last, SILVER_HLC_MAX_MS);
			assert_true(n > last);
			last = n;
		}
		assert_int_equal(last, UINT64_MAX);
		assert_int_equal(silver_hlc_next(last, SILVER_HLC_MAX_MS), 0);
	}

	/* observe: a remote within the allowed skew is merged */
	c = now << 16;
	r = ((now + 1000) << 16) | 3;
	assert_int_equal(silver_hlc_observe(&c, r, now, 5000), 0);
	assert_int_equal(c, r);
	assert_true(silver_hlc_next(c, now) > r); /* the next local event is after it */
	/* exactly at the limit is accepted, one ms past it is refused */
	c = now << 16;
	assert_int_equal(silver_hlc_observe(&c, (now + 5000) << 16 | 0xffff, now, 5000), 0);
	c = now << 16;
	assert_int_equal(silver_hlc_observe(&c, (now + 5001) << 16, now, 5000), SILVER_ESKEW);
	assert_int_equal(c, now << 16); /* left alone */
	/* a laptop dated 2035 */
	assert_int_equal(silver_hlc_observe(&c, (now + UINT64_C(315360000000)) << 16, now, 60000),
			 SILVER_ESKEW);
	/* an older remote changes nothing */
	c = (now + 10) << 16;
	assert_int_equal(silver_hlc_observe(&c, now << 16, now, 0), 0);
	assert_int_equal(c, (now + 10) << 16);
	/* no overflow in now + skew */
	assert_int_equal(silver_hlc_observe(&c, UINT64_MAX, now, UINT64_MAX), 0);
	assert_int_equal(c, UINT64_MAX);
	assert_int_equal(silver_hlc_observe(NULL, 0, now, 0), SILVER_EINVAL);
}

/* ---- hashing and seals --------------------------------------------------- */

static void test_hash_feedtag(void **state)
{
	uint8_t pk[32], sk[64], h[32], t[16], cat[38], ref[16];

	fix_keypair(pk, sk);
	silver_hash((const uint8_t *)"abc", 3, h);
	/* BLAKE2b-256("abc"), RFC 7693 style test value */
	{
		uint8_t want[32];

		assert_int_equal(silver_unhex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
					      want, 32),
				 0);
		assert_memory_equal(h, want, 32);
	}
	silver_feedtag(pk, (const uint8_t *)"longhu", 6, t);
	memcpy(cat, pk, 32);
	memcpy(cat + 32, "longhu", 6);
	crypto_generichash(ref, 16, cat, sizeof(cat), NULL, 0);
	assert_memory_equal(t, ref, 16);
	silver_hash(cat, sizeof(cat), h);
	assert_memory_not_equal(t, h, 16); /* not a truncated 256-bit hash */
	silver_feedtag(pk, (const uint8_t *)"longh", 5, ref);
	assert_memory_not_equal(t, ref, 16);
}

static void test_seal(void **state)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], h[32], sig[64], plain[64];

	fix_keypair(pk, sk);
	fix_keypair2(pk2, sk2);
	silver_hash((const uint8_t *)"body", 4, h);
	silver_seal_sign(h, sk, sig);
	assert_int_equal(silver_seal_verify(h, pk, sig), 0);
	assert_int_equal(silver_seal_verify(h, pk2, sig), SILVER_EBADSIG);
	h[31] ^= 1;
	assert_int_equal(silver_seal_verify(h, pk, sig), SILVER_EBADSIG);
	h[31] ^= 1;
	sig[0] ^= 0x80;
	assert_int_equal(silver_seal_verify(h, pk, sig), SILVER_EBADSIG);
	/* a signature of the bare hash is not a seal (domain separation) */
	crypto_sign_detached(plain, NULL, h, 32, sk);
	assert_int_equal(silver_seal_verify(h, pk, plain), SILVER_EBADSIG);
}

/* ---- msgcheck ---------------------------------------------------------------- */

static int check(const void *p, size_t n, uint32_t items, uint32_t depth, size_t *used)
{
	return silver_msgpack_check(p, n, items, depth, used);
}

static void test_msgcheck(void **state)
{
	/* array32 claiming 2^32-1 elements in a 10-byte buffer */
	static const uint8_t huge[10] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5 };
	static const uint8_t hugemap[10] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5 };
	static const uint8_t hugestr[10] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5 };
	static const uint8_t hugebin[6] = { 0xc6, 0x00, 0x00, 0x00, 0x02, 1 };
	static const uint8_t ok[] = { 0x93, 0x01, 0xa1, 'x', 0x81, 0xc0, 0xc3, 0x07 };
	static const uint8_t f32[] = { 0xca, 0, 0, 0, 0 }, ext[] = { 0xd4, 1, 0 }, c1[] = { 0xc1 };
	static const uint8_t trunc16[] = { 0xcd, 0x01 }, trunc_arr[] = { 0x92, 0x01 };
	static const uint8_t map_odd[] = { 0x82, 0x01, 0x02, 0x03 }; /* 2 pairs, 3 objects */
	uint8_t deep[200];
	size_t used = 99, k;

	assert_int_equal(check(huge, sizeof(huge), SILVER_MAX_ITEMS, 6, &used), SILVER_ELIMIT);
	assert_int_equal(used, 0);
	assert_int_equal(check(huge, sizeof(huge), UINT32_MAX, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(hugemap, sizeof(hugemap), UINT32_MAX, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(hugestr, sizeof(hugestr), UINT32_MAX, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(hugebin, sizeof(hugebin), UINT32_MAX, 6, &used), SILVER_EMALFORMED);

	assert_int_equal(check(ok, sizeof(ok), 16, 6, &used), 0);
	assert_int_equal(used, 7); /* the trailing 0x07 is not part of it */
	assert_int_equal(check(ok, sizeof(ok), 2, 6, &used), SILVER_ELIMIT); /* 3 items > 2 */
	assert_int_equal(check(ok, sizeof(ok), 16, 0, &used), SILVER_ELIMIT); /* map at depth 1 */
	assert_int_equal(check(ok, 6, 16, 6, &used), SILVER_EMALFORMED);       /* truncated */
	assert_int_equal(check(ok, 0, 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(f32, sizeof(f32), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(ext, sizeof(ext), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(c1, sizeof(c1), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(trunc16, sizeof(trunc16), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(trunc_arr, sizeof(trunc_arr), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(map_odd, sizeof(map_odd), 16, 6, &used), SILVER_EMALFORMED);
	assert_int_equal(check(ok, sizeof(ok), 16, 64, &used), SILVER_EINVAL);
	assert_int_equal(check(NULL, 1, 16, 6, &used), SILVER_EINVAL);

	/* depth: 7 nested arrays (depths 0..6) pass with max 6, 8 do not */
	for (k = 0; k < 8; k++)
		deep[k] = 0x91;
	deep[8] = 0xc0;
	assert_int_equal(check(deep + 1, 8, 16, 6, &used), 0);
	assert_int_equal(used, 8);
	assert_int_equal(check(deep, 9, 16, 6, &used), SILVER_ELIMIT);
	assert_int_equal(check(deep, 9, 16, 7, &used), 0);
	/* hostile nesting does not recurse */
	memset(deep, 0x91, sizeof(deep));
	assert_int_equal(check(deep, sizeof(deep), 16, 63, &used), SILVER_ELIMIT);
	/* empty containers count for depth too */
	deep[7] = 0x90;
	assert_int_equal(check(deep + 1, 7, 16, 6, &used), 0);
	assert_int_equal(check(deep, 8, 16, 6, &used), SILVER_ELIMIT);
}

/* ---- entries: helpers ---------------------------------------------------- */

static silver_arena *arena;

static int decode_buf(const silver_buf *b, silver_entry *e)
{
	silver_arena_reset(arena);
	return silver_entry_decode(b->data, b->len, arena, e);
}

/* The rule must be enforced by both sides: the encoder refuses the struct,
 * and the decoder refuses the same layout written without checks. */
static void expect_both(silver_entry *e, int code)
{
	silver_buf body, raw;
	silver_entry d;

	silver_buf_init(&body);
	silver_buf_init(&raw);
	assert_int_equal(silver_entry_encode_body(e, &body), code);
	if (code != 0)
		assert_int_equal(body.len, 0); /* nothing appended on failure */
	fix_raw_encode(e, NULL, &raw);
	assert_int_equal(decode_buf(&raw, &d), code);
	silver_buf_release(&body);
	silver_buf_release(&raw);
}

/* Replace the one occurrence of old in b by new (lengths may differ). */
static void splice(silver_buf *b, const void *old, size_t nold, const void *new_, size_t nnew)
{
	uint8_t *at = memmem(b->data, b->len, old, nold);
	silver_buf t;
	size_t off;

	assert_non_null(at);
	assert_null(memmem(at + 1, b->len - (size_t)(at + 1 - b->data), old, nold));
	off = (size_t)(at - b->data);
	silver_buf_init(&t);
	assert_int_equal(silver_buf_append(&t, b->data, off), 0);
	assert_int_equal(silver_buf_append(&t, new_, nnew), 0);
	assert_int_equal(silver_buf_append(&t, b->data + off + nold, b->len - off - nold), 0);
	silver_buf_release(b);
	*b = t;
}

#define W(name, v) { S(name), v, NULL, 0 }
#define VSTR(s) ((silver_value){ SILVER_V_STR, 0, S(s), NULL, 0 })
#define VINT(x) ((silver_value){ SILVER_V_INT, (x), { 0 }, NULL, 0 })
#define VBOOL(x) ((silver_value){ SILVER_V_BOOL, (x), { 0 }, NULL, 0 })
#define VNIL ((silver_value){ SILVER_V_NIL, 0, { 0 }, NULL, 0 })

static int slice_equal_helper(const silver_slice *a, const silver_slice *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* ---- entries: round trip ----------------------------------------------------- */

static void test_roundtrip_values(void **state)
{
	static char big[SILVER_MAX_STR];
	static silver_slice items[SILVER_MAX_LIST];
	static char itembuf[SILVER_MAX_LIST][4];
	static const int64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, INT64_C(4294967295),
					INT64_C(4294967296), INT64_MAX, -1, -32, -33, -128, -129, -32768,
					-32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN };
	silver_write w[40];
	silver_entry e, d;
	silver_buf b;
	uint8_t pk[32], sk[64];
	uint32_t nw = 0, k;
	char names[40][8];

	memset(big, 'x', sizeof(big));
	for (k = 0; k < SILVER_MAX_LIST; k++) {
		itembuf[k][0] = 'a' + (char)(k / 10);
		itembuf[k][1] = '0' + (char)(k % 10);
		items[k] = (silver_slice){ (const uint8_t *)itembuf[k], 2 };
	}
	fix_keypair(pk, sk);
	memset(w, 0, sizeof(w));
	w[nw++] = (silver_write)W("_del", VBOOL(1));
	/* fields f00..f39 keep the writes in order */
	for (k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
		w[nw++].value = VINT(ints[k]);
	w[nw++].value = VNIL;
	w[nw++].value = VSTR("");
	w[nw++].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 31 }, NULL, 0 };
	w[nw++].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 32 }, NULL, 0 };
	w[nw++].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 255 }, NULL, 0 };
	w[nw++].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 256 }, NULL, 0 };
	w[nw++].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, SILVER_MAX_STR }, NULL, 0 };
	w[nw++].value = VBOOL(0);
	w[nw++].value = (silver_value){ SILVER_V_LIST, 0, { 0 }, NULL, 0 };
	w[nw++].value = (silver_value){ SILVER_V_LIST, 0, { 0 }, items, 1 };
	w[nw++].value = (silver_value){ SILVER_V_LIST, 0, { 0 }, items, SILVER_MAX_LIST };
	for (k = 1; k < nw; k++) {
		snprintf(names[k], sizeof(names[k]), "f%02u", k);
		w[k].field = (silver_slice){ (const uint8_t *)names[k], 3 };
	}
	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = nw;
	silver_buf_init(&b);
	fix_encode(&e, 1, sk, &b);
	assert_int_equal(decode_buf(&b, &d), 0);
	assert_int_equal(d.op.nwrites, nw);
	for (k = 0; k < nw; k++) {
		assert_true(silver_value_equal(&w[k].value, &d.op.writes[k].value));
		assert_int_equal(slice_equal_helper(&w[k].field, &d.op.writes[k].field), 1);
		/* slices point into the input buffer */
		assert_true(d.op.writes[k].field.p >= b.data && d.op.writes[k].field.p < b.data + b.len);
	}
	assert_true(d.township.p >= b.data && d.township.p < b.data + b.len);
	assert_memory_equal(d.hash, e.hash, 32);
	assert_int_equal(d.sealed, 1);
	assert_int_equal(silver_seal_verify(d.hash, d.author, d.sig), 0);
	assert_ptr_equal(d.body.p, b.data + 1);
	assert_int_equal(d.body.n, b.len - 1 - 66);
	{
		uint8_t h[32];

		silver_hash(d.body.p, d.body.n, h);
		assert_memory_equal(h, d.hash, 32);
	}
	assert_false(silver_value_equal(&w[1].value, &w[2].value));
	assert_false(silver_value_equal(&w[nw - 2].value, &w[nw - 1].value));
	silver_buf_release(&b);
}

/* The shortest forms, as documented in docs/FORMAT.md: encode one value in
 * field "vvvvvvvv" and look at the bytes that follow the name. */
static void expect_value_bytes(silver_value v, const char *hex)
{
	static const uint8_t name[9] = { 0xa8, 'v', 'v', 'v', 'v', 'v', 'v', 'v', 'v' };
	silver_write w[2] = { W("_del", VBOOL(0)), W("vvvvvvvv", VNIL) };
	uint8_t want[16];
	size_t n = strlen(hex) / 2;
	silver_entry e;
	silver_buf b;
	uint8_t *at;

	w[1].value = v;
	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = 2;
	silver_buf_init(&b);
	assert_int_equal(silver_entry_encode_body(&e, &b), 0);
	assert_int_equal(silver_unhex(hex, want, n), 0);
	at = memmem(b.data, b.len, name, sizeof(name));
	assert_non_null(at);
	assert_memory_equal(at + sizeof(name), want, n);
	silver_buf_release(&b);
}

static void test_canonical_forms(void **state)
{
	static char big[70000];
	silver_slice many[SILVER_MAX_LIST];
	int k;

	memset(big, 'y', sizeof(big));
	expect_value_bytes(VINT(0), "00");
	expect_value_bytes(VINT(127), "7f");
	expect_value_bytes(VINT(128), "cc80");
	expect_value_bytes(VINT(255), "ccff");
	expect_value_bytes(VINT(256), "cd0100");
	expect_value_bytes(VINT(65535), "cdffff");
	expect_value_bytes(VINT(65536), "ce00010000");
	expect_value_bytes(VINT(INT64_C(4294967295)), "ceffffffff");
	expect_value_bytes(VINT(INT64_C(4294967296)), "cf0000000100000000");
	expect_value_bytes(VINT(INT64_MAX), "cf7fffffffffffffff");
	expect_value_bytes(VINT(-1), "ff");
	expect_value_bytes(VINT(-32), "e0");
	expect_value_bytes(VINT(-33), "d0df");
	expect_value_bytes(VINT(-128), "d080");
	expect_value_bytes(VINT(-129), "d1ff7f");
	expect_value_bytes(VINT(-32768), "d18000");
	expect_value_bytes(VINT(-32769), "d2ffff7fff");
	expect_value_bytes(VINT(INT32_MIN), "d280000000");
	expect_value_bytes(VINT((int64_t)INT32_MIN - 1), "d3ffffffff7fffffff");
	expect_value_bytes(VINT(INT64_MIN), "d38000000000000000");
	expect_value_bytes(VNIL, "c0");
	expect_value_bytes(VBOOL(0), "c2");
	expect_value_bytes(VBOOL(1), "c3");
	expect_value_bytes(VSTR(""), "a0");
	expect_value_bytes((silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 31 }, NULL, 0 }, "bf79");
	expect_value_bytes((silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 32 }, NULL, 0 }, "d92079");
	expect_value_bytes((silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 255 }, NULL, 0 }, "d9ff79");
	expect_value_bytes((silver_value){ SILVER_V_STR, 0, { (const uint8_t *)big, 256 }, NULL, 0 },
			   "da010079");
	for (k = 0; k < SILVER_MAX_LIST; k++)
		many[k] = (silver_slice){ (const uint8_t *)big, (uint32_t)k };
	expect_value_bytes((silver_value){ SILVER_V_LIST, 0, { 0 }, many, 0 }, "90");
	expect_value_bytes((silver_value){ SILVER_V_LIST, 0, { 0 }, many, 15 }, "9fa0a179");
	expect_value_bytes((silver_value){ SILVER_V_LIST, 0, { 0 }, many, 16 }, "dc0010a0a179");
}

/* ---- entries: non-canonical bytes ------------------------------------------- */

static void encode_with(silver_write *w, uint32_t nw, silver_buf *b, int sealed)
{
	uint8_t pk[32], sk[64];
	silver_entry e;

	fix_keypair(pk, sk);
	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = nw;
	silver_buf_init(b);
	fix_encode(&e, sealed, sk, b);
}

static void test_noncanonical(void **state)
{
	silver_write w[3] = { W("_del", VBOOL(0)), W("count", VINT(5)), W("name", VSTR("abc")) };
	silver_entry d;
	silver_buf b;

	/* the untouched encoding decodes */
	encode_with(w, 3, &b, 1);
	assert_int_equal(decode_buf(&b, &d), 0);
	silver_buf_release(&b);

	/* int 5 as uint16 / uint8 / int8 where fixint fits */
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa5" "count\x05", 7, "\xa5" "count\xcd\x00\x05", 9);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa5" "count\x05", 7, "\xa5" "count\xcc\x05", 8);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa5" "count\x05", 7, "\xa5" "count\xd0\x05", 8);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	/* str8 where fixstr fits, in a value and in a field name */
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa3" "abc", 4, "\xd9\x03" "abc", 5);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa4" "name", 5, "\xda\x00\x04" "name", 7);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	/* array16 where fixarray fits: the writes array */
	encode_with(w, 3, &b, 0);
	splice(&b, "\x93\x93\xa4_del", 7, "\xdc\x00\x03\x93\xa4_del", 9);
	assert_int_equal(decode_buf(&b, &d), SILVER_ENONCANON);
	silver_buf_release(&b);
	/* the entry's own header as array32 */
	encode_with(w, 3, &b, 0);
	{
		silver_buf t;

		silver_buf_init(&t);
		assert_int_equal(b.data[0], 0x92);
		assert_int_equal(silver_buf_append(&t, "\xdd\x00\x00\x00\x02", 5), 0);
		assert_int_equal(silver_buf_append(&t, b.data + 1, b.len - 1), 0);
		assert_int_equal(decode_buf(&t, &d), SILVER_ENONCANON);
		silver_buf_release(&t);
	}
	silver_buf_release(&b);
	/* a seal as bin16 */
	encode_with(w, 3, &b, 1);
	{
		silver_buf t;

		silver_buf_init(&t);
		assert_int_equal(b.data[b.len - 66], 0xc4);
		assert_int_equal(silver_buf_append(&t, b.data, b.len - 66), 0);
		assert_int_equal(silver_buf_append(&t, "\xc5\x00\x40", 3), 0);
		assert_int_equal(silver_buf_append(&t, b.data + b.len - 64, 64), 0);
		assert_int_equal(decode_buf(&t, &d), SILVER_ENONCANON);
		silver_buf_release(&t);
	}
	silver_buf_release(&b);
	/* false written as a different type is malformed, not a bool */
	encode_with(w, 3, &b, 0);
	splice(&b, "\xa4_del\xc2", 6, "\xa4_del\x00", 6);
	assert_int_equal(decode_buf(&b, &d), SILVER_EMALFORMED);
	silver_buf_release(&b);
}

/* ---- entries: every rule -------------------------------------------------- */

static void test_rules_order(void **state)
{
	silver_write w[3] = { W("_del", VBOOL(0)), W("b", VINT(1)), W("a", VINT(2)) };
	silver_write pre[3] = { W("_del", VBOOL(0)), W("ab", VINT(1)), W("a", VINT(2)) };
	silver_write dup[3] = { W("_del", VBOOL(0)), W("a", VINT(1)), W("a", VINT(1)) };
	silver_slice unsorted[2] = { S("b"), S("a") }, same[2] = { S("a"), S("a") };
	silver_slice prefix[2] = { S("ab"), S("a") }, fine[2] = { S("a"), S("ab") };
	silver_ref bases[2];
	silver_entry e;

	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = 3;
	expect_both(&e, SILVER_ENONCANON); /* unsorted writes */
	e.op.writes = pre;
	expect_both(&e, SILVER_ENONCANON); /* a shorter prefix sorts first */
	e.op.writes = dup;
	expect_both(&e, SILVER_ENONCANON); /* duplicate field */

	w[2] = (silver_write)W("c", VNIL);
	e.op.writes = w;
	w[1].value = (silver_value){ SILVER_V_LIST, 0, { 0 }, unsorted, 2 };
	expect_both(&e, SILVER_ENONCANON);
	w[1].value.items = same;
	expect_both(&e, SILVER_ENONCANON);
	w[1].value.items = prefix;
	expect_both(&e, SILVER_ENONCANON);
	w[1].value.items = fine;
	expect_both(&e, 0);

	/* bases: by tag, then by seq */
	memset(bases, 0, sizeof(bases));
	bases[0].feed[0] = 2;
	bases[0].seq = 1;
	bases[1].feed[0] = 1;
	bases[1].seq = 9;
	w[1].value = VINT(1);
	w[1].bases = bases;
	w[1].nbases = 2;
	expect_both(&e, SILVER_ENONCANON);
	bases[1].feed[0] = 2;
	expect_both(&e, 0);
	bases[1].seq = 1;
	expect_both(&e, SILVER_ENONCANON); /* duplicate base */
	bases[1].seq = 0;
	bases[0].seq = 0;
	expect_both(&e, SILVER_EMALFORMED); /* seq 0 names no entry */
	{
		silver_ref a = { { 1 }, 5 }, b = { { 1 }, 6 }, c = { { 2 }, 1 };

		assert_true(silver_ref_cmp(&a, &b) < 0);
		assert_true(silver_ref_cmp(&b, &c) < 0);
		assert_true(silver_ref_cmp(&c, &a) > 0);
		assert_int_equal(silver_ref_cmp(&a, &a), 0);
	}
}

static void test_rules_names(void **state)
{
	static char longname[SILVER_MAX_NAME + 1], longid[SILVER_MAX_ID + 1];
	silver_write w[2] = { W("_del", VBOOL(0)), W("x", VNIL) };
	silver_entry e;

	memset(longname, 'a', sizeof(longname));
	memset(longid, 'a', sizeof(longid));
	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = 2;
	expect_both(&e, 0);

	e.township = S("");
	expect_both(&e, SILVER_EMALFORMED);
	e.township = S("Longhu");
	expect_both(&e, SILVER_EMALFORMED);
	e.township = S("_longhu");
	expect_both(&e, SILVER_EMALFORMED);
	e.township = S("long-hu");
	expect_both(&e, SILVER_EMALFORMED);
	e.township = S("\xe9\xbe\x99\xe6\xb9\x96");
	expect_both(&e, SILVER_EMALFORMED);
	e.township = (silver_slice){ (const uint8_t *)longname, SILVER_MAX_TOWNSHIP + 1 };
	expect_both(&e, SILVER_ELIMIT);
	e.township = (silver_slice){ (const uint8_t *)longname, SILVER_MAX_TOWNSHIP };
	expect_both(&e, 0);
	e.township = S("long_hu2");
	expect_both(&e, 0);

	e.op.collection = S("");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.collection = S("_retiree");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.collection = S("re tiree");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.collection = (silver_slice){ (const uint8_t *)longname, SILVER_MAX_NAME + 1 };
	expect_both(&e, SILVER_ELIMIT);
	e.op.collection = S("retiree");

	e.op.record = S("");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.record = (silver_slice){ (const uint8_t *)longid, SILVER_MAX_ID + 1 };
	expect_both(&e, SILVER_ELIMIT);
	e.op.record = (silver_slice){ (const uint8_t *)longid, SILVER_MAX_ID };
	expect_both(&e, 0);

	w[1].field = S("");
	expect_both(&e, SILVER_EMALFORMED);
	w[1].field = S("X");
	expect_both(&e, SILVER_EMALFORMED);
	w[1].field = S("x.y");
	expect_both(&e, SILVER_EMALFORMED);
	w[1].field = (silver_slice){ (const uint8_t *)longname, SILVER_MAX_NAME + 1 };
	expect_both(&e, SILVER_ELIMIT);
	w[1].field = S("_resolved"); /* fields may start with '_' */
	expect_both(&e, 0);
}

static void test_rules_entry(void **state)
{
	static char bigstr[SILVER_MAX_STR + 1];
	static silver_write many[SILVER_MAX_WRITES + 1];
	static char names[SILVER_MAX_WRITES + 1][4];
	static silver_ref bases[SILVER_MAX_BASES + 1];
	static silver_slice items[SILVER_MAX_LIST + 1];
	static char itembuf[SILVER_MAX_LIST + 1][3];
	silver_write w[2] = { W("_del", VBOOL(0)), W("x", VNIL) };
	silver_entry e;
	uint32_t k;

	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = 2;

	/* version and suite */
	e.version = 2;
	expect_both(&e, SILVER_EVERSION);
	e.version = 0;
	expect_both(&e, SILVER_EMALFORMED);
	e.version = 1;
	e.suite = 2;
	expect_both(&e, SILVER_EVERSION);
	e.suite = 1;

	/* seq and prev */
	e.seq = 0;
	expect_both(&e, SILVER_EMALFORMED);
	e.seq = 2;
	expect_both(&e, 0); /* prev bin(32), here all zero */
	e.seq = 1;
	e.prev[0] = 1;
	{
		silver_buf b;

		silver_buf_init(&b);
		assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EMALFORMED);
		e.prev[0] = 0;
		/* seq 1 with a prev, and seq 2 without one, on the wire */
		fix_raw_encode(&e, NULL, &b);
		splice(&b, "\x01\xc0", 2, "\x01\xc4\x20" "0123456789abcdef0123456789abcdef", 35);
		assert_int_equal(decode_buf(&b, &e), SILVER_EMALFORMED);
		silver_buf_release(&b);
		fix_minimal(&e);
		e.op.writes = w;
		e.op.nwrites = 2;
		e.seq = 2;
		fix_raw_encode(&e, NULL, &b);
		e.seq = 1;
		{
			uint8_t pat[36] = { 0x02, 0xc4, 0x20 };

			splice(&b, pat, 35, "\x02\xc0", 2);
		}
		assert_int_equal(decode_buf(&b, &e), SILVER_EMALFORMED);
		silver_buf_release(&b);
		fix_minimal(&e);
		e.op.writes = w;
		e.op.nwrites = 2;
	}

	/* "_del" is a bool; a change need not write it (a resolution of one field) */
	e.op.writes = &w[1];
	e.op.nwrites = 1;
	expect_both(&e, 0);
	e.op.writes = w;
	e.op.nwrites = 2;
	w[0].value = VINT(0);
	expect_both(&e, SILVER_EMALFORMED);
	w[0].value = VBOOL(1);
	expect_both(&e, 0);

	/* writes: 1..64 */
	e.op.nwrites = 0;
	expect_both(&e, SILVER_EMALFORMED);
	many[0] = (silver_write)W("_del", VBOOL(0));
	for (k = 1; k <= SILVER_MAX_WRITES; k++) {
		snprintf(names[k], sizeof(names[k]), "f%02u", k);
		many[k] = (silver_write){ { (const uint8_t *)names[k], 3 }, VINT(k), NULL, 0 };
	}
	e.op.writes = many;
	e.op.nwrites = SILVER_MAX_WRITES;
	expect_both(&e, 0);
	e.op.nwrites = SILVER_MAX_WRITES + 1;
	expect_both(&e, SILVER_ELIMIT);
	e.op.writes = w;
	e.op.nwrites = 2;

	/* bases: at most 32 */
	for (k = 0; k <= SILVER_MAX_BASES; k++) {
		memset(&bases[k], 0, sizeof(bases[k]));
		bases[k].seq = k + 1;
	}
	w[1].bases = bases;
	w[1].nbases = SILVER_MAX_BASES;
	expect_both(&e, 0);
	w[1].nbases = SILVER_MAX_BASES + 1;
	expect_both(&e, SILVER_ELIMIT);
	w[1].nbases = 0;

	/* strings and lists */
	memset(bigstr, 'z', sizeof(bigstr));
	w[1].value = (silver_value){ SILVER_V_STR, 0, { (const uint8_t *)bigstr, SILVER_MAX_STR }, NULL, 0 };
	expect_both(&e, 0);
	w[1].value.s.n = SILVER_MAX_STR + 1;
	expect_both(&e, SILVER_ELIMIT);
	for (k = 0; k <= SILVER_MAX_LIST; k++) {
		itembuf[k][0] = 'a' + (char)(k / 10);
		itembuf[k][1] = '0' + (char)(k % 10);
		items[k] = (silver_slice){ (const uint8_t *)itembuf[k], 2 };
	}
	w[1].value = (silver_value){ SILVER_V_LIST, 0, { 0 }, items, SILVER_MAX_LIST };
	expect_both(&e, 0);
	w[1].value.n = SILVER_MAX_LIST + 1;
	expect_both(&e, SILVER_ELIMIT);
	items[0] = (silver_slice){ (const uint8_t *)bigstr, SILVER_MAX_STR + 1 };
	w[1].value.n = 2;
	expect_both(&e, SILVER_ELIMIT);
	w[1].value = VNIL;

	/* a bool is 0 or 1; an unknown value type is the caller's bug */
	w[0].value.i = 2;
	{
		silver_buf b;

		silver_buf_init(&b);
		assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EINVAL);
		w[0].value.i = 0;
		w[1].value.type = (enum silver_vtype)9;
		assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EINVAL);
		w[1].value = VNIL;
		e.op.type = (enum silver_optype)4;
		assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EMALFORMED);
		assert_int_equal(silver_entry_encode_body(NULL, &b), SILVER_EINVAL);
		silver_buf_release(&b);
	}
}

/* The operator of a CHANGE (FORMAT 1.2): absent (a four-element op, the
 * bytes of before), or a fifth element of 1..32 bytes of [a-z0-9_.-].  Nil,
 * empty, a sixth element or another type are refused by the decoder, and
 * the encoder refuses what it would not write. */
static void test_rules_operator(void **state)
{
	static char longop[SILVER_MAX_OPERATOR + 1];
	silver_write w[2] = { W("_del", VBOOL(0)), W("x", VINT(3)) };
	silver_entry e, d;
	silver_buf plain, named, t;

	memset(longop, 'a', sizeof(longop));
	fix_minimal(&e);
	e.op.writes = w;
	e.op.nwrites = 2;
	silver_buf_init(&plain);
	silver_buf_init(&named);
	silver_buf_init(&t);

	/* absent: array(4), and it decodes as absent */
	expect_both(&e, 0);
	fix_raw_encode(&e, NULL, &plain);
	assert_non_null(memmem(plain.data, plain.len, "\x94\x01\xa5visit", 8));
	assert_int_equal(decode_buf(&plain, &d), 0);
	assert_null(d.op.operator_name.p);
	assert_int_equal(d.op.operator_name.n, 0);

	/* present: array(5), the name last; the same bytes otherwise */
	e.op.operator_name = S("wang.li");
	expect_both(&e, 0);
	assert_int_equal(silver_entry_encode_body(&e, &named), 0);
	silver_buf_release(&named);
	fix_raw_encode(&e, NULL, &named);
	assert_int_equal(named.len, plain.len + 8);
	assert_non_null(memmem(named.data, named.len, "\x95\x01\xa5visit", 8));
	/* exactly the plain bytes with the op header 95 for 94 and the name
	 * before the seal */
	assert_int_equal(silver_buf_append(&t, plain.data, plain.len - 1), 0);
	assert_int_equal(silver_buf_append(&t, "\xa7wang.li\xc0", 9), 0);
	splice(&t, "\x94\x01\xa5visit", 8, "\x95\x01\xa5visit", 8);
	assert_int_equal(t.len, named.len);
	assert_memory_equal(t.data, named.data, named.len);
	assert_int_equal(decode_buf(&named, &d), 0);
	assert_int_equal(d.op.operator_name.n, 7);
	assert_memory_equal(d.op.operator_name.p, "wang.li", 7);
	{
		/* the operator is signed: the hash covers it */
		silver_entry d2;
		uint8_t h[SILVER_HASH_BYTES];
		memcpy(h, d.hash, sizeof(h));
		assert_int_equal(decode_buf(&plain, &d2), 0);
		assert_memory_not_equal(h, d2.hash, sizeof(h));
	}

	e.op.operator_name = S("a");
	expect_both(&e, 0);
	e.op.operator_name = S("_.-09z");
	expect_both(&e, 0);
	e.op.operator_name = (silver_slice){ (const uint8_t *)longop, SILVER_MAX_OPERATOR };
	expect_both(&e, 0);

	/* refused on both sides */
	e.op.operator_name = (silver_slice){ (const uint8_t *)longop, SILVER_MAX_OPERATOR + 1 };
	expect_both(&e, SILVER_ELIMIT); /* 33 bytes */
	e.op.operator_name = (silver_slice){ (const uint8_t *)"", 0 };
	expect_both(&e, SILVER_EMALFORMED); /* empty: present means named */
	e.op.operator_name = S("Wang");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.operator_name = S("wang li");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.operator_name = S("wang\0li");
	expect_both(&e, SILVER_EMALFORMED);
	e.op.operator_name = S("\xe7\x8e\x8b"); /* 王 */
	expect_both(&e, SILVER_EMALFORMED);
	e.op.operator_name = (silver_slice){ NULL, 3 };
	t.len = 0;
	assert_int_equal(silver_entry_encode_body(&e, &t), SILVER_EINVAL); /* the caller's bug */
	assert_int_equal(t.len, 0);

	/* on the wire: nil, another type, a sixth element, a longer header */
	silver_buf_release(&named);
	e.op.operator_name = S("qq");
	fix_raw_encode(&e, NULL, &named);
	assert_memory_equal(named.data + named.len - 4, "\xa2qq\xc0", 4);
	assert_int_equal(decode_buf(&named, &d), 0);
#define REPLACE_TAIL(bytes, n)                                                         \
	do {                                                                           \
		t.len = 0;                                                             \
		assert_int_equal(silver_buf_append(&t, named.data, named.len - 4), 0); \
		assert_int_equal(silver_buf_append(&t, bytes, n), 0);                  \
	} while (0)
	REPLACE_TAIL("\xc0\xc0", 2); /* nil */
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	REPLACE_TAIL("\x05\xc0", 2); /* an integer */
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	REPLACE_TAIL("\xc4\x02qq\xc0", 5); /* bin */
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	REPLACE_TAIL("\x91\xa2qq\xc0", 5); /* an array of it */
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	REPLACE_TAIL("\xa0\xc0", 2); /* empty */
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	REPLACE_TAIL("\xd9\x02qq\xc0", 5); /* str8 where fixstr fits */
	assert_int_equal(decode_buf(&t, &d), SILVER_ENONCANON);
#undef REPLACE_TAIL
	/* six elements: a name and another, or a name and nil */
	t.len = 0;
	assert_int_equal(silver_buf_append(&t, named.data, named.len - 1), 0);
	assert_int_equal(silver_buf_append(&t, "\xa2qq\xc0", 4), 0);
	splice(&t, "\x95\x01\xa5visit", 8, "\x96\x01\xa5visit", 8);
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	t.len = 0;
	assert_int_equal(silver_buf_append(&t, named.data, named.len - 1), 0);
	assert_int_equal(silver_buf_append(&t, "\xc0\xc0", 2), 0);
	splice(&t, "\x95\x01\xa5visit", 8, "\x96\x01\xa5visit", 8);
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);
	/* a five-element header with the name missing: the op is four long */
	t.len = 0;
	assert_int_equal(silver_buf_append(&t, plain.data, plain.len), 0);
	splice(&t, "\x94\x01\xa5visit", 8, "\x95\x01\xa5visit", 8);
	assert_int_equal(decode_buf(&t, &d), SILVER_EMALFORMED);

	silver_buf_release(&plain);
	silver_buf_release(&named);
	silver_buf_release(&t);
}

static void test_entry_size(void **state)
{
	static char big[SILVER_MAX_STR];
	static silver_write w[SILVER_MAX_WRITES];
	static char names[SILVER_MAX_WRITES][4];
	silver_entry e, d;
	silver_buf b;
	uint32_t k, n;
	int rv = 0;

	memset(big, 'q', sizeof(big));
	w[0] = (silver_write)W("_del", VBOOL(0));
	for (k = 1; k < SILVER_MAX_WRITES; k++) {
		snprintf(names[k], sizeof(names[k]), "f%02u", k);
		w[k] = (silver_write){ { (const uint8_t *)names[k], 3 },
				       { SILVER_V_STR, 0, { (const uint8_t *)big, SILVER_MAX_STR }, NULL, 0 },
				       NULL, 0 };
	}
	fix_minimal(&e);
	e.op.writes = w;
	/* grow until the body no longer fits: the largest accepted entry is
	 * still under the limit when sealed, the next one is refused */
	silver_buf_init(&b);
	for (n = 2; n <= SILVER_MAX_WRITES; n++) {
		e.op.nwrites = n;
		b.len = 0;
		if ((rv = silver_entry_encode_body(&e, &b)) != 0)
			break;
	}
	assert_int_equal(rv, SILVER_ELIMIT);
	assert_true(n > 10 && n < 20);
	e.op.nwrites = n - 1;
	b.len = 0;
	{
		uint8_t pk[32], sk[64];

		fix_keypair(pk, sk);
		fix_encode(&e, 1, sk, &b);
	}
	assert_true(b.len <= SILVER_MAX_ENTRY);
	assert_int_equal(decode_buf(&b, &d), 0);
	silver_buf_release(&b);
	/* the decoder refuses the oversized one, before anything else */
	e.op.nwrites = n;
	silver_buf_init(&b);
	fix_raw_encode(&e, NULL, &b);
	assert_true(b.len > SILVER_MAX_ENTRY);
	assert_int_equal(decode_buf(&b, &d), SILVER_ELIMIT);
	silver_buf_release(&b);
	/* wrap refuses a body that cannot fit */
	silver_buf_init(&b);
	assert_int_equal(silver_entry_wrap((const uint8_t *)big, SILVER_MAX_ENTRY, NULL, &b), SILVER_ELIMIT);
	assert_int_equal(b.len, 0);
	assert_int_equal(silver_entry_wrap(NULL, 0, NULL, &b), SILVER_EINVAL);
	silver_buf_release(&b);
}

static void test_version_first(void **state)
{
	/* a version-2 entry whose body this version cannot even parse */
	static const uint8_t v2[] = { 0x92, 0x93, 0x02, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xc0 };
	static const uint8_t v2wide[] = { 0xdc, 0x00, 0x02, 0x91, 0xcd, 0x01, 0x00 };
	static const uint8_t suite9[] = { 0x92, 0x92, 0x01, 0x09, 0xc0 };
	static const uint8_t v0[] = { 0x92, 0x92, 0x00, 0x01, 0xc0 };
	silver_arena *a = silver_arena_new();
	silver_entry e;
	silver_buf big;

	assert_int_equal(silver_entry_decode(v2, sizeof(v2), a, &e), SILVER_EVERSION);
	assert_int_equal(silver_entry_decode(v2wide, sizeof(v2wide), a, &e), SILVER_EVERSION);
	assert_int_equal(silver_entry_decode(suite9, sizeof(suite9), a, &e), SILVER_EVERSION);
	assert_int_equal(silver_entry_decode(v0, sizeof(v0), a, &e), SILVER_EMALFORMED);
	/* even when it is larger than this version allows */
	silver_buf_init(&big);
	assert_int_equal(silver_buf_append(&big, "\x92\x92\x02\xc6\x00\x01\x86\xa0", 8), 0);
	assert_int_equal(silver_buf_reserve(&big, 100001), 0);
	memset(big.data + big.len, 0, 100001);
	big.len += 100001;
	assert_int_equal(silver_entry_decode(big.data, big.len, a, &e), SILVER_EVERSION);
	silver_buf_release(&big);
	assert_int_equal(silver_entry_decode(NULL, 0, a, &e), SILVER_EINVAL);
	silver_arena_destroy(&a);
}

static void test_trailing_truncated(void **state)
{
	struct fix_vector *v = fix_vectors();
	uint8_t pk[32], sk[64];
	silver_entry d;
	silver_buf b;
	size_t k;

	fix_keypair(pk, sk);
	silver_buf_init(&b);
	fix_encode(&v[0].e, 1, sk, &b);
	assert_int_equal(decode_buf(&b, &d), 0);
	assert_int_equal(silver_buf_append(&b, "\xc0", 1), 0);
	assert_int_equal(decode_buf(&b, &d), SILVER_EMALFORMED);
	b.len--;
	for (k = 0; k < b.len; k++) {
		silver_arena_reset(arena);
		assert_int_not_equal(silver_entry_decode(b.data, k, arena, &d), 0);
	}
	silver_buf_release(&b);
}

/* Flip each single byte of each sealed golden entry in three ways: the
 * result is refused, or it decodes but its seal no longer verifies. */
static void test_byte_flips(void **state)
{
	static const uint8_t masks[3] = { 0x01, 0x80, 0xff };
	struct fix_vector *v = fix_vectors();
	uint8_t pk[32], sk[64];
	unsigned refused = 0, badseal = 0;
	silver_entry d;
	silver_buf b;
	size_t i, m;
	int k;

	fix_keypair(pk, sk);
	for (k = 0; k < FIX_NVECTORS; k++) {
		silver_buf_init(&b);
		fix_encode(&v[k].e, 1, sk, &b);
		assert_int_equal(decode_buf(&b, &d), 0);
		assert_int_equal(silver_seal_verify(d.hash, d.author, d.sig), 0);
		for (i = 0; i < b.len; i++) {
			for (m = 0; m < 3; m++) {
				b.data[i] ^= masks[m];
				if (decode_buf(&b, &d) != 0) {
					refused++;
				} else {
					assert_int_equal(d.sealed, 1);
					assert_int_equal(silver_seal_verify(d.hash, d.author, d.sig), SILVER_EBADSIG);
					/* and it verifies under the real key neither */
					assert_int_equal(silver_seal_verify(d.hash, pk, d.sig), SILVER_EBADSIG);
					badseal++;
				}
				b.data[i] ^= masks[m];
			}
		}
		silver_buf_release(&b);
	}
	assert_true(refused > 0 && badseal > 0);
}

/* CERT and REVOKE ops travel as raw canonical arrays. */
static void test_raw_ops(void **state)
{
	static const uint8_t cert[] = { 0x93, 0x02, 0xa6, 'l', 'o', 'n', 'g', 'h', 'u', 0xcd, 0x01, 0x00 };
	static const uint8_t cert_wide[] = { 0x93, 0x02, 0xa6, 'l', 'o', 'n', 'g', 'h', 'u', 0xce, 0, 0, 0x01, 0x00 };
	static const uint8_t revoke[] = { 0x92, 0x03, 0x81, 0xa1, 'k', 0x07 };
	static const uint8_t wrongtype[] = { 0x92, 0x02, 0x07 };
	static const uint8_t notarray[] = { 0x02 };
	static const uint8_t deep[] = { 0x92, 0x02, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0 };
	silver_entry e, d;
	silver_buf b;

	fix_minimal(&e);
	e.op.type = SILVER_OP_CERT;
	e.op.raw = (silver_slice){ cert, sizeof(cert) };
	silver_buf_init(&b);
	assert_int_equal(silver_entry_encode_body(&e, &b), 0);
	b.len = 0;
	fix_raw_encode(&e, NULL, &b);
	assert_int_equal(decode_buf(&b, &d), 0);
	assert_int_equal(d.op.type, SILVER_OP_CERT);
	assert_int_equal(d.op.raw.n, sizeof(cert));
	assert_memory_equal(d.op.raw.p, cert, sizeof(cert));
	assert_true(d.op.raw.p > b.data && d.op.raw.p < b.data + b.len);
	silver_buf_release(&b);

	e.op.type = SILVER_OP_REVOKE;
	e.op.raw = (silver_slice){ revoke, sizeof(revoke) };
	expect_both(&e, 0);
	e.op.raw = (silver_slice){ cert, sizeof(cert) };
	silver_buf_init(&b);
	/* a REVOKE whose bytes say CERT (on the wire the first element is the type) */
	assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EMALFORMED);
	silver_buf_release(&b);
	e.op.type = SILVER_OP_CERT;
	e.op.raw = (silver_slice){ cert_wide, sizeof(cert_wide) };
	expect_both(&e, SILVER_ENONCANON);
	e.op.raw = (silver_slice){ wrongtype, sizeof(wrongtype) };
	expect_both(&e, 0);
	e.op.raw = (silver_slice){ notarray, sizeof(notarray) };
	silver_buf_init(&b);
	assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EMALFORMED);
	e.op.raw = (silver_slice){ deep, 4 }; /* truncated */
	assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_EMALFORMED);
	e.op.raw = (silver_slice){ deep, sizeof(deep) }; /* arrays at depths 3..7 > 6 */
	assert_int_equal(silver_entry_encode_body(&e, &b), SILVER_ELIMIT);
	silver_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_buf_sticky),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hlc),
		cmocka_unit_test(test_hash_feedtag),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_msgcheck),
		cmocka_unit_test(test_roundtrip_values),
		cmocka_unit_test(test_canonical_forms),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_rules_order),
		cmocka_unit_test(test_rules_names),
		cmocka_unit_test(test_rules_entry),
		cmocka_unit_test(test_rules_operator),
		cmocka_unit_test(test_entry_size),
		cmocka_unit_test(test_version_first),
		cmocka_unit_test(test_trailing_truncated),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_raw_ops),
	};
	int rv;

	arena = silver_arena_new();
	if (!arena)
		return 1;
	rv = cmocka_run_group_tests(tests, setup, NULL);
	silver_arena_destroy(&arena);
	return rv;
}

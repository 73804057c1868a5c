/*
 * test_proto_fixtures.c - see test_proto_fixtures.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>
#include <sodium.h>

#include "test_proto_fixtures.h"

#define S(lit) { (const uint8_t *)(lit), sizeof(lit) - 1 }

/* 2025-01-01T00:00:00Z in ms */
#define T0 UINT64_C(1735689600000)

static void seeded(uint8_t first, uint8_t pk[SILVER_KEY_BYTES], uint8_t sk[SILVER_SECRET_BYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t k;

	for (k = 0; k < sizeof(seed); k++)
		seed[k] = (uint8_t)(first + k);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

void fix_keypair(uint8_t pk[SILVER_KEY_BYTES], uint8_t sk[SILVER_SECRET_BYTES])
{
	seeded(0x01, pk, sk);
}

void fix_keypair2(uint8_t pk[SILVER_KEY_BYTES], uint8_t sk[SILVER_SECRET_BYTES])
{
	seeded(0x21, pk, sk);
}

/* ---- golden entries -------------------------------------------------------- */

static silver_slice hardship[] = { S("illness"), S("old_age") };

static silver_write w_create[] = {
	{ S("_del"), { SILVER_V_BOOL, 0, { 0 }, 0, 0 }, 0, 0 },
	{ S("birth_date"), { SILVER_V_STR, 0, S("1931-05-12"), 0, 0 }, 0, 0 },
	{ S("category"), { SILVER_V_STR, 0, S("honorary"), 0, 0 }, 0, 0 },
	{ S("hardship"), { SILVER_V_LIST, 0, { 0 }, hardship, 2 }, 0, 0 },
	{ S("name"), { SILVER_V_STR, 0, S("\xe5\xbc\xa0\xe4\xb8\x89"), 0, 0 }, 0, 0 }, /* 张三 */
	{ S("notes"),
	  { SILVER_V_STR, 0, S("\xe4\xb8\x80\xe4\xba\xba\xe4\xb8\x80\xe6\xa1\xa3 one file, one care plan"), 0,
	    0 },
	  0, 0 },
	{ S("phone"), { SILVER_V_NIL, 0, { 0 }, 0, 0 }, 0, 0 },
};

static silver_write w_aid[] = {
	{ S("_del"), { SILVER_V_BOOL, 0, { 0 }, 0, 0 }, 0, 0 },
	{ S("amount"), { SILVER_V_INT, 150050, { 0 }, 0, 0 }, 0, 0 },
	{ S("date"), { SILVER_V_STR, 0, S("2025-01-01"), 0, 0 }, 0, 0 },
	{ S("reason"), { SILVER_V_STR, 0, S("low_income"), 0, 0 }, 0, 0 },
	{ S("retiree"), { SILVER_V_STR, 0, S("longhu-r0001"), 0, 0 }, 0, 0 },
};

static silver_ref b_del1[1], b_phone[2], b_del3[1];

static silver_write w_change[] = {
	{ S("_del"), { SILVER_V_BOOL, 0, { 0 }, 0, 0 }, b_del1, 1 },
	{ S("phone"), { SILVER_V_STR, 0, S("0371-62690000"), 0, 0 }, b_phone, 2 },
};

static silver_write w_delete[] = {
	{ S("_del"), { SILVER_V_BOOL, 1, { 0 }, 0, 0 }, b_del3, 1 },
};

static silver_ref b_aid2[1];

static silver_write w_operator[] = {
	{ S("_del"), { SILVER_V_BOOL, 0, { 0 }, 0, 0 }, b_aid2, 1 },
	{ S("amount"), { SILVER_V_INT, 160000, { 0 }, 0, 0 }, b_aid2, 1 },
};

static struct fix_vector vectors[FIX_NVECTORS];

static void base_entry(silver_entry *e, const uint8_t pk[SILVER_KEY_BYTES], uint64_t seq, uint64_t hlc)
{
	static const silver_slice town = S("longhu");

	memset(e, 0, sizeof(*e));
	e->version = SILVER_FORMAT_VERSION;
	e->suite = SILVER_SUITE_ED25519_BLAKE2B;
	memcpy(e->author, pk, SILVER_KEY_BYTES);
	e->township = town;
	e->seq = seq;
	e->hlc = hlc;
	e->op.type = SILVER_OP_CHANGE;
}

struct fix_vector *fix_vectors(void)
{
	static const silver_slice retiree = S("retiree"), aid = S("aid");
	static const silver_slice r1 = S("longhu-r0001"), a1 = S("longhu-a0001");
	uint8_t pk[SILVER_KEY_BYTES], sk[SILVER_SECRET_BYTES], pk2[SILVER_KEY_BYTES];
	uint8_t sk2[SILVER_SECRET_BYTES], tag[SILVER_FEEDTAG_BYTES], tag2[SILVER_FEEDTAG_BYTES];
	silver_buf b;
	int k;

	fix_keypair(pk, sk);
	fix_keypair2(pk2, sk2);
	silver_feedtag(pk, (const uint8_t *)"longhu", 6, tag);
	silver_feedtag(pk2, (const uint8_t *)"county", 6, tag2);

	/* 1: a retiree created in its own transaction (sealed) */
	vectors[0].name = "entry-1-create";
	vectors[0].sealed = 1;
	base_entry(&vectors[0].e, pk, 1, T0 << 16);
	vectors[0].e.op.collection = retiree;
	vectors[0].e.op.record = r1;
	vectors[0].e.op.writes = w_create;
	vectors[0].e.op.nwrites = sizeof(w_create) / sizeof(w_create[0]);

	/* 2 and 3: one transaction of two entries; only the last is sealed */
	vectors[1].name = "entry-2-aid";
	vectors[1].sealed = 0;
	base_entry(&vectors[1].e, pk, 2, (T0 + 60000) << 16);
	vectors[1].e.op.collection = aid;
	vectors[1].e.op.record = a1;
	vectors[1].e.op.writes = w_aid;
	vectors[1].e.op.nwrites = sizeof(w_aid) / sizeof(w_aid[0]);

	memcpy(b_del1[0].feed, tag, sizeof(tag));
	b_del1[0].seq = 1;
	/* phone: seen as written by our entry 1 and by a county entry 7 */
	memcpy(b_phone[0].feed, tag, sizeof(tag));
	b_phone[0].seq = 1;
	memcpy(b_phone[1].feed, tag2, sizeof(tag2));
	b_phone[1].seq = 7;
	if (silver_ref_cmp(&b_phone[0], &b_phone[1]) > 0) {
		silver_ref t = b_phone[0];

		b_phone[0] = b_phone[1];
		b_phone[1] = t;
	}
	vectors[2].name = "entry-3-change";
	vectors[2].sealed = 1;
	base_entry(&vectors[2].e, pk, 3, ((T0 + 60000) << 16) + 1);
	vectors[2].e.op.collection = retiree;
	vectors[2].e.op.record = r1;
	vectors[2].e.op.writes = w_change;
	vectors[2].e.op.nwrites = 2;

	memcpy(b_del3[0].feed, tag, sizeof(tag));
	b_del3[0].seq = 3;
	vectors[3].name = "entry-4-delete";
	vectors[3].sealed = 1;
	base_entry(&vectors[3].e, pk, 4, (T0 + 3600000) << 16);
	vectors[3].e.op.collection = retiree;
	vectors[3].e.op.record = r1;
	vectors[3].e.op.writes = w_delete;
	vectors[3].e.op.nwrites = 1;

	/* 5: an edit made by account wang.li of the office, which the CHANGE
	 * carries as its operator (a five-element op) */
	memcpy(b_aid2[0].feed, tag, sizeof(tag));
	b_aid2[0].seq = 2;
	vectors[4].name = "entry-5-operator";
	vectors[4].sealed = 1;
	base_entry(&vectors[4].e, pk, 5, (T0 + 7200000) << 16);
	vectors[4].e.op.collection = aid;
	vectors[4].e.op.record = a1;
	vectors[4].e.op.writes = w_operator;
	vectors[4].e.op.nwrites = 2;
	vectors[4].e.op.operator_name = (silver_slice)S("wang.li");

	/* chain: prev = hash of the entry before */
	for (k = 0; k < FIX_NVECTORS; k++) {
		if (k > 0)
			memcpy(vectors[k].e.prev, vectors[k - 1].e.hash, SILVER_HASH_BYTES);
		silver_buf_init(&b);
		assert_int_equal(silver_entry_encode_body(&vectors[k].e, &b), 0);
		silver_buf_release(&b);
	}
	return vectors;
}

void fix_encode(silver_entry *e, int seal, const uint8_t sk[SILVER_SECRET_BYTES], silver_buf *out)
{
	silver_buf body;

	silver_buf_init(&body);
	assert_int_equal(silver_entry_encode_body(e, &body), 0);
	e->sealed = seal;
	if (seal)
		silver_seal_sign(e->hash, sk, e->sig);
	assert_int_equal(silver_entry_wrap(body.data, body.len, seal ? e->sig : NULL, out), 0);
	silver_buf_release(&body);
}

/* ---- unchecked writer ------------------------------------------------------- */

static int raw_write(void *data, const char *p, size_t n)
{
	return silver_buf_append(data, p, n) ? -1 : 0;
}

static void raw_str(msgpack_packer *pk, const silver_slice *s)
{
	msgpack_pack_str(pk, s->n);
	msgpack_pack_str_body(pk, s->p, s->n);
}

static void raw_value(msgpack_packer *pk, const silver_value *v)
{
	uint32_t k;

	switch (v->type) {
	case SILVER_V_NIL:
		msgpack_pack_nil(pk);
		break;
	case SILVER_V_STR:
		raw_str(pk, &v->s);
		break;
	case SILVER_V_INT:
		msgpack_pack_int64(pk, v->i);
		break;
	case SILVER_V_BOOL:
		if (v->i)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case SILVER_V_LIST:
		msgpack_pack_array(pk, v->n);
		for (k = 0; k < v->n; k++)
			raw_str(pk, &v->items[k]);
		break;
	}
}

void fix_raw_encode(const silver_entry *e, const uint8_t *sig, silver_buf *out)
{
	msgpack_packer pk;
	uint32_t k, j;

	msgpack_packer_init(&pk, out, raw_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_array(&pk, 8);
	msgpack_pack_uint64(&pk, e->version);
	msgpack_pack_uint64(&pk, e->suite);
	msgpack_pack_bin(&pk, SILVER_KEY_BYTES);
	msgpack_pack_bin_body(&pk, e->author, SILVER_KEY_BYTES);
	raw_str(&pk, &e->township);
	msgpack_pack_uint64(&pk, e->seq);
	if (e->seq == 1) {
		msgpack_pack_nil(&pk);
	} else {
		msgpack_pack_bin(&pk, SILVER_HASH_BYTES);
		msgpack_pack_bin_body(&pk, e->prev, SILVER_HASH_BYTES);
	}
	msgpack_pack_uint64(&pk, e->hlc);
	if (e->op.type != SILVER_OP_CHANGE) {
		silver_buf_append(out, e->op.raw.p, e->op.raw.n);
	} else {
		/* an operator that is there at all (even empty) is written */
		int has_operator = e->op.operator_name.p || e->op.operator_name.n;

		msgpack_pack_array(&pk, has_operator ? 5 : 4);
		msgpack_pack_uint64(&pk, 1);
		raw_str(&pk, &e->op.collection);
		raw_str(&pk, &e->op.record);
		msgpack_pack_array(&pk, e->op.nwrites);
		for (k = 0; k < e->op.nwrites; k++) {
			const silver_write *w = &e->op.writes[k];

			msgpack_pack_array(&pk, 3);
			raw_str(&pk, &w->field);
			raw_value(&pk, &w->value);
			msgpack_pack_array(&pk, w->nbases);
			for (j = 0; j < w->nbases; j++) {
				msgpack_pack_array(&pk, 2);
				msgpack_pack_bin(&pk, SILVER_FEEDTAG_BYTES);
				msgpack_pack_bin_body(&pk, w->bases[j].feed, SILVER_FEEDTAG_BYTES);
				msgpack_pack_uint64(&pk, w->bases[j].seq);
			}
		}
		if (has_operator)
			raw_str(&pk, &e->op.operator_name);
	}
	if (sig) {
		msgpack_pack_bin(&pk, SILVER_SIG_BYTES);
		msgpack_pack_bin_body(&pk, sig, SILVER_SIG_BYTES);
	} else {
		msgpack_pack_nil(&pk);
	}
}

void fix_minimal(silver_entry *e)
{
	static silver_write w[] = { { S("_del"), { SILVER_V_BOOL, 0, { 0 }, 0, 0 }, 0, 0 } };
	static const silver_slice coll = S("visit"), rec = S("longhu-v0001");
	uint8_t pk[SILVER_KEY_BYTES], sk[SILVER_SECRET_BYTES];

	fix_keypair(pk, sk);
	base_entry(e, pk, 1, T0 << 16);
	e->op.collection = coll;
	e->op.record = rec;
	e->op.writes = w;
	e->op.nwrites = 1;
}

/* ---- files -------------------------------------------------------------- */

int fix_read_file(const char *path, silver_buf *out)
{
	char chunk[4096];
	size_t got;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (silver_buf_append(out, chunk, got) != 0)
			break;
	fclose(f);
	return 0;
}

/* hex digits, whitespace ignored */
int fix_read_hex(const char *path, silver_buf *out)
{
	silver_buf txt;
	size_t k;
	int rv = 0;

	silver_buf_init(&txt);
	if (fix_read_file(path, &txt) != 0)
		return -1;
	for (k = 0; k < txt.len && rv == 0;) {
		char pair[3] = { 0 };
		uint8_t byte;
		int m = 0;

		while (k < txt.len && m < 2) {
			char c = (char)txt.data[k++];

			if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
				continue;
			pair[m++] = c;
		}
		if (m == 0)
			break;
		if (m != 2 || silver_unhex(pair, &byte, 1) != 0 || silver_buf_append(out, &byte, 1) != 0)
			rv = -1;
	}
	silver_buf_release(&txt);
	return rv;
}

/*
 * crypto.c - hashing and seals (libsodium).
 *
 *   hash     = BLAKE2b with a 32-byte output, no key (crypto_generichash)
 *   feed tag = BLAKE2b with a 16-byte output over author(32) || township;
 *              note that BLAKE2b's output length is a parameter of the hash,
 *              so this is NOT the first 16 bytes of a 32-byte BLAKE2b
 *   seal     = Ed25519 (crypto_sign_detached) over the 40 bytes
 *              "silvseal" || hash(body)
 *
 * The "silvseal" prefix keeps a seal from ever being a valid signature of
 * anything else signed with the same key (certificates, handshakes).
 */
#include <string.h>

#include <sodium.h>

#include "silver_proto.h"

static const char seal_prefix[8] = { 's', 'i', 'l', 'v', 's', 'e', 'a', 'l' };

int silver_crypto_init(void)
{
	return sodium_init() < 0 ? SILVER_ECRYPTO : 0;
}

void silver_hash(const uint8_t *p, size_t n, uint8_t out[SILVER_HASH_BYTES])
{
	crypto_generichash(out, SILVER_HASH_BYTES, p, n, NULL, 0);
}

/* The last feed tag each thread computed: a batch or an import is mostly
 * one feed, and its entries ask for the same tag again and again. */
static _Thread_local struct {
	uint8_t author[SILVER_KEY_BYTES];
	uint8_t township[SILVER_MAX_NAME];
	size_t n; /* 0: empty (a township is never empty) */
	uint8_t tag[SILVER_FEEDTAG_BYTES];
} last_tag;

void silver_feedtag(const uint8_t author[SILVER_KEY_BYTES], const uint8_t *township, size_t n,
		    uint8_t out[SILVER_FEEDTAG_BYTES])
{
	crypto_generichash_state st;

	if (n && n == last_tag.n && memcmp(township, last_tag.township, n) == 0 &&
	    memcmp(author, last_tag.author, SILVER_KEY_BYTES) == 0) {
		memcpy(out, last_tag.tag, SILVER_FEEDTAG_BYTES);
		return;
	}
	crypto_generichash_init(&st, NULL, 0, SILVER_FEEDTAG_BYTES);
	crypto_generichash_update(&st, author, SILVER_KEY_BYTES);
	crypto_generichash_update(&st, township, n);
	crypto_generichash_final(&st, out, SILVER_FEEDTAG_BYTES);
	if (n && n <= SILVER_MAX_NAME) {
		memcpy(last_tag.author, author, SILVER_KEY_BYTES);
		memcpy(last_tag.township, township, n);
		last_tag.n = n;
		memcpy(last_tag.tag, out, SILVER_FEEDTAG_BYTES);
	}
}

static void seal_message(const uint8_t hash[SILVER_HASH_BYTES], uint8_t msg[8 + SILVER_HASH_BYTES])
{
	memcpy(msg, seal_prefix, sizeof(seal_prefix));
	memcpy(msg + sizeof(seal_prefix), hash, SILVER_HASH_BYTES);
}

void silver_seal_sign(const uint8_t hash[SILVER_HASH_BYTES], const uint8_t sk[SILVER_SECRET_BYTES],
		      uint8_t sig[SILVER_SIG_BYTES])
{
	uint8_t msg[8 + SILVER_HASH_BYTES];

	seal_message(hash, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
}

int silver_seal_verify(const uint8_t hash[SILVER_HASH_BYTES], const uint8_t pk[SILVER_KEY_BYTES],
		       const uint8_t sig[SILVER_SIG_BYTES])
{
	uint8_t msg[8 + SILVER_HASH_BYTES];

	seal_message(hash, msg);
	return crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) == 0 ? 0 : SILVER_EBADSIG;
}

/*
 * hex.c - lower-case hex for keys, hashes and test vectors, by libsodium's
 * constant-time converters (keys pass through here).
 */
#include <string.h>

#include <sodium.h>

#include "silver_proto.h"

void silver_hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* Exactly 2n hex digits (either case) and nothing after them; else
 * SILVER_EINVAL and out is left in an unspecified state. */
int silver_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	if (!s || (!out && n))
		return SILVER_EINVAL;
	if (strnlen(s, 2 * n + 1) != 2 * n)
		return SILVER_EINVAL;
	if (n == 0)
		return 0;
	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &got, &end) != 0 || got != n || end != s + 2 * n)
		return SILVER_EINVAL;
	return 0;
}

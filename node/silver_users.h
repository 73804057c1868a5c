/*
 * silver_users.h - the office's local accounts (who may use the web
 * workbench, with which role), and the old operator journal (which account
 * made each change this node wrote, kept before a CHANGE carried its
 * operator: docs/FORMAT.md section 6; read, no longer written).
 *
 * Both live in DIR/accounts/, an LMDB environment of its own beside the
 * store (mode 0700).  Nothing here is replicated: accounts and passwords
 * belong to one office's machine.  docs/WEB.md describes the layout.
 *
 *   users      key: the account name (1..32 bytes, [a-z0-9_.-])
 *              value: role (1 byte) || crypto_pwhash_str string (argon2id), NUL-terminated
 *   operators  key: feed tag (16 bytes) || seq (8 bytes, big-endian)
 *              value: the account name that made that entry
 *
 * Every function returns 0 or a SILVER_E* code and never prints.
 */
#ifndef SILVER_USERS_H
#define SILVER_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "silver_proto.h"

#define SILVER_USER_MAX SILVER_MAX_OPERATOR /* an account name is what a CHANGE carries as its operator */
#define SILVER_PASSWORD_MIN 8
#define SILVER_PASSWORD_MAX 256

enum silver_user_role {
	SILVER_USER_CLERK = 1,
	SILVER_USER_OFFICER = 2,
	SILVER_USER_ADMIN = 3
};

typedef struct silver_users silver_users;

/* Open (create when missing) dir/accounts.  Caller owns *out. */
int silver_users_open(const char *dir, silver_users **out) SILVER_WUR;
void silver_users_close(silver_users **u); /* NULLs *u */

/* "clerk", "officer", "admin" <-> role; 0 / NULL when unknown. */
int silver_user_role_parse(const char *s);
const char *silver_user_role_name(int role);
/* 1 when name is a valid account name: silver_operator_ok (proto/names.c). */
int silver_user_name_ok(const char *name);

/* Add an account, or replace its password and role when replace is set
 * (SILVER_EEXIST otherwise).  The password is hashed with argon2id
 * (crypto_pwhash_str_alg, interactive limits); SILVER_EINVAL for a bad
 * name, role, or a password shorter than SILVER_PASSWORD_MIN bytes. */
int silver_users_add(silver_users *u, const char *name, int role, const char *password,
		     int replace) SILVER_WUR;
/* 0 and the role when the password is right; SILVER_EDENIED when the
 * account is unknown or the password wrong (the same work is done either
 * way, so timing does not tell which). */
int silver_users_check(silver_users *u, const char *name, const char *password, int *role) SILVER_WUR;
/* The account's role and a stamp of its record (BLAKE2b of role and
 * password hash): a session keeps the stamp of its login and ends when the
 * stamp changes, i.e. when the account is deleted, its password changed or
 * its role changed, by any process.  SILVER_ENOTFOUND for no such account. */
#define SILVER_USER_STAMP 16
int silver_users_stamp(silver_users *u, const char *name, int *role,
		       uint8_t stamp[SILVER_USER_STAMP]) SILVER_WUR;
/* Calls fn for every account in name order. */
typedef int (*silver_user_fn)(const char *name, int role, void *ctx);
int silver_users_list(silver_users *u, silver_user_fn fn, void *ctx) SILVER_WUR;
int silver_users_delete(silver_users *u, const char *name) SILVER_WUR;

/* Copy the accounts of node directory from into node directory to (a
 * backup, or a restore from one): from/accounts is copied to to/accounts,
 * compacted, mode 0600 in a 0700 directory, synced.  SILVER_ENOTFOUND when
 * from has no accounts (nothing is made), SILVER_EEXIST when to/accounts
 * exists; on any failure nothing is left at to/accounts. */
int silver_users_copy(const char *from, const char *to) SILVER_WUR;

/* The old operator journal, for an entry that carries no operator: 0 and
 * the name (NUL-terminated, SILVER_USER_MAX + 1 bytes), or SILVER_ENOTFOUND. */
int silver_users_operator(silver_users *u, const uint8_t tag[SILVER_FEEDTAG_BYTES], uint64_t seq,
			  char name[SILVER_USER_MAX + 1]) SILVER_WUR;

#endif

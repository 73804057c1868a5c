/*
 * users.c - local accounts, and reading the old operator journal
 * (silver_users.h).
 *
 * A small LMDB environment of its own (DIR/accounts) so that accounts are
 * never part of the replicated store, its bundles or its digests; backups
 * copy it beside the store (silver_users_copy).
 */
#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "silver_users.h"
#include "store_int.h"

struct silver_users {
	MDB_env *env;
	MDB_dbi users, ops;
};

static int mdb_err(int rc)
{
	if (rc == 0)
		return 0;
	if (rc == MDB_NOTFOUND)
		return SILVER_ENOTFOUND;
	if (rc == MDB_KEYEXIST)
		return SILVER_EEXIST;
	if (rc == MDB_MAP_FULL || rc == ENOSPC)
		return SILVER_EFULL;
	if (rc == ENOMEM)
		return SILVER_ENOMEM;
	return SILVER_ESTORE;
}

int silver_users_open(const char *dir, silver_users **out)
{
	char path[4096];
	silver_users *u;
	MDB_txn *txn = NULL;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return SILVER_ECRYPTO;
	if (snprintf(path, sizeof(path), "%s/accounts", dir) >= (int)sizeof(path))
		return SILVER_EINVAL;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return SILVER_EIO;
	if (!(u = calloc(1, sizeof(*u))))
		return SILVER_ENOMEM;
	if ((rc = mdb_env_create(&u->env)) != 0)
		goto fail;
	mdb_env_set_maxdbs(u->env, 4);
	mdb_env_set_mapsize(u->env, (size_t)1 << 30);
	if ((rc = mdb_env_open(u->env, path, 0, 0600)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(u->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "users", MDB_CREATE, &u->users)) != 0 ||
	    (rc = mdb_dbi_open(txn, "operators", MDB_CREATE, &u->ops)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	*out = u;
	return 0;
fail:
	if (u->env)
		mdb_env_close(u->env);
	free(u);
	return mdb_err(rc);
}

void silver_users_close(silver_users **u)
{
	if (!u || !*u)
		return;
	mdb_env_close((*u)->env);
	free(*u);
	*u = NULL;
}

int silver_user_role_parse(const char *s)
{
	if (!s)
		return 0;
	if (strcmp(s, "clerk") == 0)
		return SILVER_USER_CLERK;
	if (strcmp(s, "officer") == 0)
		return SILVER_USER_OFFICER;
	if (strcmp(s, "admin") == 0)
		return SILVER_USER_ADMIN;
	return 0;
}

const char *silver_user_role_name(int role)
{
	switch (role) {
	case SILVER_USER_CLERK:
		return "clerk";
	case SILVER_USER_OFFICER:
		return "officer";
	case SILVER_USER_ADMIN:
		return "admin";
	default:
		return NULL;
	}
}

int silver_user_name_ok(const char *name)
{
	return silver_operator_ok(name); /* the one rule, proto/names.c */
}

int silver_users_add(silver_users *u, const char *name, int role, const char *password, int replace)
{
	char rec[1 + crypto_pwhash_STRBYTES];
	size_t plen = password ? strlen(password) : 0;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if (!silver_user_name_ok(name) || !silver_user_role_name(role) || plen < SILVER_PASSWORD_MIN ||
	    plen > SILVER_PASSWORD_MAX)
		return SILVER_EINVAL;
	rec[0] = (char)role;
	if (crypto_pwhash_str_alg(rec + 1, password, plen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SILVER_ENOMEM;
	if ((rc = mdb_txn_begin(u->env, NULL, 0, &txn)) != 0)
		return mdb_err(rc);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	v.mv_data = rec;
	v.mv_size = 1 + strlen(rec + 1) + 1;
	rc = mdb_put(txn, u->users, &k, &v, replace ? 0 : MDB_NOOVERWRITE);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return mdb_err(rc);
	}
	return mdb_err(mdb_txn_commit(txn));
}

int silver_users_check(silver_users *u, const char *name, const char *password, int *role)
{
	/* A hash of a password nobody has, to spend the same time on unknown
	 * names as on known ones. */
	static char dummy[crypto_pwhash_STRBYTES];
	char rec[1 + crypto_pwhash_STRBYTES];
	size_t plen = password ? strlen(password) : 0;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, found = 0;

	*role = 0;
	if (!dummy[0] &&
	    crypto_pwhash_str_alg(dummy, "no such account", 15, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SILVER_ENOMEM;
	if (plen > SILVER_PASSWORD_MAX)
		return SILVER_EDENIED;
	if (silver_user_name_ok(name)) {
		if ((rc = mdb_txn_begin(u->env, NULL, MDB_RDONLY, &txn)) != 0)
			return mdb_err(rc);
		k.mv_data = (void *)name;
		k.mv_size = strlen(name);
		rc = mdb_get(txn, u->users, &k, &v);
		if (rc == 0 && v.mv_size >= 2 && v.mv_size <= sizeof(rec) &&
		    ((char *)v.mv_data)[v.mv_size - 1] == 0) {
			memcpy(rec, v.mv_data, v.mv_size);
			found = 1;
		}
		mdb_txn_abort(txn);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return mdb_err(rc);
	}
	if (!found) {
		if (crypto_pwhash_str_verify(dummy, password ? password : "", plen) == 0)
			return SILVER_EDENIED; /* cannot happen; same answer either way */
		return SILVER_EDENIED;
	}
	if (crypto_pwhash_str_verify(rec + 1, password, plen) != 0)
		return SILVER_EDENIED;
	*role = (unsigned char)rec[0];
	return silver_user_role_name(*role) ? 0 : SILVER_ECORRUPT;
}

int silver_users_stamp(silver_users *u, const char *name, int *role, uint8_t stamp[SILVER_USER_STAMP])
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*role = 0;
	if (!silver_user_name_ok(name))
		return SILVER_ENOTFOUND;
	if ((rc = mdb_txn_begin(u->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_get(txn, u->users, &k, &v)) == 0) {
		if (v.mv_size < 2) {
			rc = -1;
		} else {
			*role = *(unsigned char *)v.mv_data;
			crypto_generichash(stamp, SILVER_USER_STAMP, v.mv_data, v.mv_size, NULL, 0);
		}
	}
	mdb_txn_abort(txn);
	if (rc == -1)
		return SILVER_ECORRUPT;
	return mdb_err(rc);
}

int silver_users_list(silver_users *u, silver_user_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, rv = 0;
	char name[SILVER_USER_MAX + 1];

	if ((rc = mdb_txn_begin(u->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	if ((rc = mdb_cursor_open(txn, u->users, &cur)) != 0) {
		mdb_txn_abort(txn);
		return mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && rv == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > SILVER_USER_MAX || v.mv_size < 1)
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		rv = fn(name, *(unsigned char *)v.mv_data, ctx);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rv != 0)
		return rv;
	return rc == MDB_NOTFOUND ? 0 : mdb_err(rc);
}

int silver_users_delete(silver_users *u, const char *name)
{
	MDB_txn *txn;
	MDB_val k;
	int rc;
	if (!silver_user_name_ok(name))
		return SILVER_EINVAL;
	if ((rc = mdb_txn_begin(u->env, NULL, 0, &txn)) != 0)
		return mdb_err(rc);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_del(txn, u->users, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return mdb_err(rc);
	}
	return mdb_err(mdb_txn_commit(txn));
}

static void op_key(uint8_t key[SILVER_FEEDTAG_BYTES + 8], const uint8_t tag[SILVER_FEEDTAG_BYTES],
		   uint64_t seq)
{
	memcpy(key, tag, SILVER_FEEDTAG_BYTES);
	for (int i = 0; i < 8; i++)
		key[SILVER_FEEDTAG_BYTES + i] = (uint8_t)(seq >> (56 - 8 * i));
}

int silver_users_operator(silver_users *u, const uint8_t tag[SILVER_FEEDTAG_BYTES], uint64_t seq,
			  char name[SILVER_USER_MAX + 1])
{
	uint8_t key[SILVER_FEEDTAG_BYTES + 8];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	name[0] = 0;
	op_key(key, tag, seq);
	if ((rc = mdb_txn_begin(u->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	rc = mdb_get(txn, u->ops, &k, &v);
	if (rc == 0 && v.mv_size <= SILVER_USER_MAX) {
		memcpy(name, v.mv_data, v.mv_size);
		name[v.mv_size] = 0;
	}
	mdb_txn_abort(txn);
	return mdb_err(rc);
}

/* Copy from/accounts to to/accounts as a compacted LMDB copy taken in a
 * read transaction (the workbench may go on using it). */
int silver_users_copy(const char *from, const char *to)
{
	char src[4096], dst[4096], file[4200];
	MDB_env *env = NULL;
	int rc, rv;

	if (snprintf(src, sizeof(src), "%s/accounts", from) >= (int)sizeof(src) ||
	    snprintf(dst, sizeof(dst), "%s/accounts", to) >= (int)sizeof(dst))
		return SILVER_EINVAL;
	snprintf(file, sizeof(file), "%s/data.mdb", src);
	if (access(file, F_OK) != 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (mkdir(dst, 0700) != 0)
		return errno == EEXIST ? SILVER_EEXIST : silver__errno_err(errno);
	if ((rc = mdb_env_create(&env)) == 0) {
		mdb_env_set_maxdbs(env, 4);
		rc = mdb_env_open(env, src, MDB_RDONLY, 0600);
	}
	rv = rc == 0 ? silver__env_copy(env, dst) : mdb_err(rc);
	if (env)
		mdb_env_close(env);
	if (rv == 0)
		rv = silver__fsync_dir(to); /* the new name "accounts" */
	if (rv != 0) {
		snprintf(file, sizeof(file), "%s/data.mdb", dst);
		unlink(file);
		rmdir(dst);
	}
	return rv;
}

/*
 * store.c - the node directory: LMDB environment, identity key, metadata,
 * and write transactions that grow the map when it fills.
 *
 * A node directory holds:
 *   identity.key   the Ed25519 seed as 64 hex digits and a newline, mode 0600
 *   data.mdb       the LMDB environment (lock.mdb beside it)
 * The store's format number is kept in meta "format"; a store with a larger
 * number was written by a newer silversync and is refused, never touched.
 * A store with a smaller number is upgraded when it is opened for writing:
 * its derived state (records, history, conflicts, statistics) is rebuilt
 * from the entries in one transaction, which also writes the new number.
 * Opened read-only it is refused (SILVER_EOLDSTORE): reading it as it is
 * could give figures the old format did not keep.
 *
 * Formats: 1 first; 2 the aid statistics cells aid_paid, aid_person and
 * aid_people (node/stats.c); 3 record states that list each head's
 * reference once (node/record.c); 4 the search index (node/search.c), which
 * is built lazily: the upgrade from 3 only writes the number.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "store_int.h"

#define INITIAL_MAP (1ul << 30) /* address space, not disk: the file is sparse */
#define MAX_DBS 16
#define MIN_FREE_BYTES (1u << 20) /* a new store refuses to start on less free disk */

/* ---- damage: a file shorter than its map, pages LMDB cannot follow --------------------
 *
 * LMDB reads data.mdb through a read-only mapping.  A file cut short (a
 * truncated copy, a damaged disk) makes a read past its end raise SIGBUS; a
 * page of garbage can make LMDB follow a wild pointer (SIGSEGV) or fail one
 * of its assertions (abort).  The open checks the file against the pages the
 * store says it uses; for what can still happen later, the maps of the open
 * stores are kept in a fixed table that a program's signal handler may read
 * (silver_store_fault_addr), and LMDB's assertion callback calls the
 * program's damage handler (silver_store_on_damage). */
#define MAX_MAPS 16
static struct {
	volatile uintptr_t lo, hi; /* [lo, hi) of the env's map; lo == 0: no map known */
	volatile int used;
} maps[MAX_MAPS];
static void (*volatile damage_fn)(void);

int silver_store_fault_addr(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i].used && maps[i].lo && a >= maps[i].lo && a < maps[i].hi)
			return 1;
	return 0;
}

int silver_store_open_count(void)
{
	int n = 0;
	for (int i = 0; i < MAX_MAPS; i++)
		n += maps[i].used != 0;
	return n;
}

void silver_store_on_damage(void (*fn)(void))
{
	damage_fn = fn;
}

/* liblmdb's code: a SIGSEGV with the program counter in it is LMDB following
 * a garbage page (its pointers come from the file). */
static volatile uintptr_t lmdb_lo, lmdb_hi;

static int find_code(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t want = (uintptr_t)data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && want >= lo && want < hi) {
			lmdb_lo = lo;
			lmdb_hi = hi;
			return 1;
		}
	}
	return 0;
}

static void find_lmdb_code(void)
{
	void *(*fp)(void) = NULL;
	if (lmdb_hi)
		return;
	/* Through dlsym, not &mdb_get: in a program not built as PIE that is a
	 * stub in the program itself. */
	*(void **)&fp = dlsym(RTLD_DEFAULT, "mdb_get");
	if (fp)
		dl_iterate_phdr(find_code, (void *)(uintptr_t)fp);
}

int silver_store_fault(int sig, const siginfo_t *si, const void *ucontext)
{
	const ucontext_t *uc = ucontext;
	uintptr_t pc = 0;
	if (silver_store_open_count() == 0)
		return 0;
	if (sig == SIGBUS)
		return 1; /* nothing but the store's files are mapped from files */
	if (sig != SIGSEGV)
		return 0;
	if (silver_store_fault_addr(si->si_addr))
		return 1;
#if defined(__x86_64__)
	pc = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] : 0;
	if (pc && lmdb_hi && !(pc >= lmdb_lo && pc < lmdb_hi) && uc) {
		/* memcpy/memcmp (libc's, leaf functions that push nothing)
		 * called by liblmdb with a pointer out of a garbage page: the
		 * word at the stack pointer is the return address into it. */
		uintptr_t ret = *(const uintptr_t *)(uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
		if (ret >= lmdb_lo && ret < lmdb_hi)
			return 1;
	}
#elif defined(__aarch64__)
	pc = uc ? (uintptr_t)uc->uc_mcontext.pc : 0;
#elif defined(__i386__)
	pc = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_EIP] : 0;
#else
	(void)uc;
#endif
	return pc && lmdb_hi && pc >= lmdb_lo && pc < lmdb_hi;
}

static void lmdb_assert(MDB_env *env, const char *msg)
{
	(void)env;
	(void)msg;
	if (damage_fn)
		damage_fn(); /* does not return; when there is none LMDB aborts */
}

static void map_claim(silver_store *s)
{
	s->mapslot = -1;
	for (int i = 0; i < MAX_MAPS; i++)
		if (!__atomic_exchange_n(&maps[i].used, 1, __ATOMIC_SEQ_CST)) {
			maps[i].lo = maps[i].hi = 0;
			s->mapslot = i;
			return;
		}
}

void silver__map_note(silver_store *s)
{
	MDB_envinfo info;
	if (!s->env || s->mapslot < 0 || mdb_env_info(s->env, &info) != 0)
		return;
	maps[s->mapslot].lo = 0;
	maps[s->mapslot].hi = (uintptr_t)info.me_mapaddr + info.me_mapsize;
	maps[s->mapslot].lo = (uintptr_t)info.me_mapaddr;
}

static void map_release(silver_store *s)
{
	if (s->mapslot >= 0) {
		maps[s->mapslot].lo = 0;
		maps[s->mapslot].used = 0;
		s->mapslot = -1;
	}
}

/* A data.mdb shorter than the pages its meta page says are in use would
 * raise SIGBUS on the first read of a missing page: refuse it as damaged. */
static int check_file_size(silver_store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fst;
	mdb_filehandle_t fd;
	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0 || mdb_env_get_fd(s->env, &fd) != 0)
		return SILVER_ESTORE;
	if (fstat(fd, &fst) != 0)
		return SILVER_EIO;
	if ((uint64_t)fst.st_size < ((uint64_t)info.me_last_pgno + 1) * st.ms_psize)
		return SILVER_ECORRUPT;
	return 0;
}

uint64_t silver__now_ms(void)
{
	struct timespec ts;
	const char *fake = getenv("SILVER_FAKE_TIME_MS"); /* tests: a laptop with a wrong clock */
	if (fake && *fake)
		return strtoull(fake, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 0)
		return UINT64_MAX; /* before 1970: out of range, refused by silver_hlc_next */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int silver__mdb_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return SILVER_ENOTFOUND;
	case MDB_MAP_FULL:
		return SILVER_EFULL;
	case MDB_TXN_FULL:
		return SILVER_ELIMIT; /* growing the map would not help */
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_CURSOR_FULL: /* a tree deeper than LMDB can make: pages point in a loop */
		return SILVER_ECORRUPT;
	case MDB_VERSION_MISMATCH:
		return SILVER_EVERSION;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return SILVER_EDISKFULL;
	case ENOMEM:
		return SILVER_ENOMEM;
	case ENOENT:
		return SILVER_ENOTFOUND;
	case EACCES:
	case EIO:
	case EROFS:
		return SILVER_EIO;
	default:
		return SILVER_ESTORE;
	}
}

int silver__meta_get(silver_store *s, MDB_txn *txn, const char *key, MDB_val *v)
{
	MDB_val k = {strlen(key), (void *)key};
	return silver__mdb_err(mdb_get(txn, s->meta, &k, v));
}

int silver__meta_put(silver_store *s, MDB_txn *txn, const char *key, const void *p, size_t n)
{
	MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)p};
	return silver__mdb_err(mdb_put(txn, s->meta, &k, &v, 0));
}

/* Is the disk holding dir (almost) out of room? */
static int disk_nearly_full(const char *dir)
{
	struct statvfs vs;
	return statvfs(dir, &vs) == 0 && (uint64_t)vs.f_bavail * vs.f_frsize < MIN_FREE_BYTES;
}

int silver__errno_err(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG ? SILVER_EDISKFULL : SILVER_EIO;
}

static char *path_join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

/* Read the seed from identity.key into sodium-guarded memory. */
static int identity_load(silver_store *s)
{
	char *path = path_join(s->dir, "identity.key");
	char line[80];
	uint8_t *seed;
	FILE *f;
	int rv = SILVER_OK;

	if (!path)
		return SILVER_ENOMEM;
	f = fopen(path, "r");
	free(path);
	if (!f)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return SILVER_ECORRUPT;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	seed = sodium_malloc(32);
	s->secret = sodium_malloc(SILVER_SECRET_BYTES);
	if (!seed || !s->secret) {
		rv = SILVER_ENOMEM;
	} else if (silver_unhex(line, seed, 32) != 0) {
		rv = SILVER_ECORRUPT;
	} else {
		uint8_t pk[SILVER_KEY_BYTES];
		crypto_sign_seed_keypair(pk, s->secret, seed);
		if (memcmp(pk, s->self, SILVER_KEY_BYTES) != 0)
			rv = SILVER_ECORRUPT; /* the key file does not belong to this store */
	}
	sodium_memzero(line, sizeof(line));
	if (seed)
		sodium_free(seed);
	if (rv != SILVER_OK && s->secret) {
		sodium_free(s->secret);
		s->secret = NULL;
	}
	return rv;
}

/* The map a writer starts with.  SILVER_TEST_MAP_BYTES (a test hook) starts
 * smaller, so that a test's write fills it and must grow it and run again. */
static size_t initial_map(void)
{
	const char *t = getenv("SILVER_TEST_MAP_BYTES");
	size_t n = t && *t ? (size_t)strtoull(t, NULL, 10) : 0;
	return n >= ((size_t)1 << 20) ? n : INITIAL_MAP;
}

static int env_open(silver_store *s, int create)
{
	int rc;
	/* Not MDB_WRITEMAP: flushing a writable shared map interrupts every
	 * other core running this process (a TLB shootdown per page written),
	 * and a hub's ZeroMQ and seal verification threads run while it
	 * commits; LMDB also asks that all processes of an environment agree
	 * on the flag.  Pages are written with pwrite(2) instead. */
	unsigned envflags = MDB_NOTLS;
	MDB_txn *txn;
	MDB_envinfo info;

	if ((rc = mdb_env_create(&s->env)) != 0)
		return silver__mdb_err(rc);
	mdb_env_set_assert(s->env, lmdb_assert);
	find_lmdb_code();
	map_claim(s);
	mdb_env_set_maxdbs(s->env, MAX_DBS);
	mdb_env_set_maxreaders(s->env, 126);
	if (s->flags & SILVER_OPEN_RDONLY)
		envflags |= MDB_RDONLY;
	rc = mdb_env_open(s->env, s->dir, envflags, 0600);
	if (rc != 0)
		return rc == EINVAL ? SILVER_ECORRUPT : silver__mdb_err(rc);
	silver__map_note(s);
	if ((rc = check_file_size(s)) != 0)
		return rc;
	/* Stale readers left by killed processes would pin old pages forever. */
	mdb_reader_check(s->env, NULL);
	mdb_env_info(s->env, &info);
	s->mapsize = info.me_mapsize;
	if (s->mapsize < initial_map() && !(s->flags & SILVER_OPEN_RDONLY)) {
		s->mapsize = initial_map();
		if ((rc = mdb_env_set_mapsize(s->env, s->mapsize)) != 0)
			return silver__mdb_err(rc);
		silver__map_note(s);
	}
	rc = mdb_txn_begin(s->env, NULL, (s->flags & SILVER_OPEN_RDONLY) ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return silver__mdb_err(rc);
	{
		/* A writer creates databases an older version did not have yet. */
		unsigned f = (create || !(s->flags & SILVER_OPEN_RDONLY)) ? MDB_CREATE : 0;
		struct {
			const char *name;
			MDB_dbi *dbi;
			unsigned flags;
		} dbs[] = {{"meta", &s->meta, 0},       {"feeds", &s->feeds, 0}, {"entries", &s->entries, 0},
			   {"records", &s->records, 0}, {"touch", &s->touch, 0}, {"conflicts", &s->conflicts, 0},
			   {"certs", &s->certs, 0},     {"revoked", &s->revoked, 0}, {"forks", &s->forks, 0},
			   {"aggs", &s->aggs, 0},       {"search", &s->search, MDB_DUPSORT},
			   {"search_docs", &s->search_docs, 0}, {"search_feeds", &s->search_feeds, 0}};
		for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
			rc = mdb_dbi_open(txn, dbs[i].name, f | dbs[i].flags, dbs[i].dbi);
			if (rc == MDB_NOTFOUND && i >= 10 && !f)
				continue; /* format 3 had no search index: refused below as older */
			if (rc != 0) {
				mdb_txn_abort(txn);
				return rc == MDB_NOTFOUND ? SILVER_ENOTFOUND : silver__mdb_err(rc);
			}
		}
	}
	return silver__mdb_err(mdb_txn_commit(txn));
}

static int store_alloc(const char *dir, unsigned flags, silver_store **out)
{
	silver_store *s;
	int rv;

	if ((rv = silver_crypto_init()) != 0)
		return rv;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SILVER_ENOMEM;
	s->dir = strdup(dir);
	s->flags = flags;
	s->mapslot = -1;
	if (!s->dir) {
		free(s);
		return SILVER_ENOMEM;
	}
	*out = s;
	return 0;
}

int silver__fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rv = 0;
	if (fd < 0)
		return SILVER_EIO;
	/* some filesystems cannot sync a directory; they keep names anyway */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rv = silver__errno_err(errno);
	close(fd);
	return rv;
}

int silver__env_copy(MDB_env *env, const char *dir)
{
	char *file = path_join(dir, "data.mdb");
	int rc, fd, rv = 0;
	if (!file)
		return SILVER_ENOMEM;
	/* in a read transaction: writers go on */
	if ((rc = mdb_env_copy2(env, dir, MDB_CP_COMPACT)) != 0)
		rv = silver__mdb_err(rc);
	else if (chmod(file, 0600) != 0)
		rv = silver__errno_err(errno);
	/* LMDB closes the copy without syncing it */
	if (rv == 0) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) != 0)
			rv = silver__errno_err(errno);
		if (fd >= 0)
			close(fd);
	}
	if (rv == 0)
		rv = silver__fsync_dir(dir);
	if (rv != 0 && rc != MDB_KEYEXIST && rc != EEXIST)
		unlink(file);
	free(file);
	return rv;
}

char *silver__parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int silver__fsync_dir_of(const char *path)
{
	char *dir = silver__parent_dir(path);
	int rv;
	if (!dir)
		return SILVER_ENOMEM;
	rv = silver__fsync_dir(dir);
	free(dir);
	return rv;
}

/* 0 if dir does not exist or is an empty directory; SILVER_EEXIST if it
 * holds anything (a node or not) or is not a directory. */
static int target_free(const char *dir)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rv = 0;

	if (stat(dir, &st) != 0)
		return errno == ENOENT ? 0 : SILVER_EIO;
	if (!S_ISDIR(st.st_mode))
		return SILVER_EEXIST;
	if (!(d = opendir(dir)))
		return SILVER_EIO;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			rv = SILVER_EEXIST;
			break;
		}
	closedir(d);
	return rv;
}

/* Remove what create_in wrote to a half-made directory, then the directory. */
static void partial_remove(const char *partial)
{
	static const char *const files[] = {"identity.key", "data.mdb", "lock.mdb"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_join(partial, files[i]);
		if (p)
			unlink(p);
		free(p);
	}
	rmdir(partial);
}

static int write_key(const char *dir, const char hex[65])
{
	char *path = path_join(dir, "identity.key");
	int fd, rv;
	ssize_t w;

	fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	free(path);
	if (fd < 0)
		return silver__errno_err(errno);
	w = write(fd, hex, 65);
	if (w == 65)
		rv = fsync(fd) == 0 ? 0 : silver__errno_err(errno);
	else /* a short write means no room for the rest */
		rv = w >= 0 ? SILVER_EDISKFULL : silver__errno_err(errno);
	if (close(fd) != 0 && rv == 0)
		rv = silver__errno_err(errno);
	return rv;
}

/* Everything of a new node, in the directory partial. */
static int create_in(const char *partial, const char *township, const char *name, const uint8_t *admin)
{
	silver_store *s;
	uint8_t seed[32], sk[SILVER_SECRET_BYTES];
	char hex[65];
	MDB_txn *txn;
	uint32_t fmt = SILVER_STORE_FORMAT;
	int rv;

	if ((rv = store_alloc(partial, 0, &s)) != 0)
		return rv;
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(s->self, sk, seed);
	silver_hex(seed, sizeof(seed), hex);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	hex[64] = '\n';
	rv = write_key(partial, hex);
	sodium_memzero(hex, sizeof(hex));
	if (rv == 0)
		rv = env_open(s, 1);
	if (rv == 0)
		rv = silver__mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (rv == 0) {
		if ((rv = silver__meta_put(s, txn, "format", &fmt, sizeof(fmt))) == 0 &&
		    (rv = silver__meta_put(s, txn, "self", s->self, SILVER_KEY_BYTES)) == 0 &&
		    (rv = silver__meta_put(s, txn, "township", township, strlen(township))) == 0 &&
		    (rv = silver__meta_put(s, txn, "name", name, strlen(name))) == 0 &&
		    (!admin || (rv = silver__meta_put(s, txn, "admin", admin == SILVER_PIN_SELF ? s->self : admin,
						       SILVER_KEY_BYTES)) == 0))
			rv = silver__mdb_err(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	silver_store_close(&s);
	return rv;
}

int silver_store_create(const char *dir, const char *township, const char *name)
{
	return silver_store_create_pinned(dir, township, name, NULL);
}

const uint8_t silver__pin_self[1];

int silver_store_create_pinned(const char *dir, const char *township, const char *name, const uint8_t *admin)
{
	char *target = NULL, *partial = NULL, *parent = NULL;
	size_t n;
	int rv;

	if (!dir || !silver_township_ok(township) || !name ||
	    (*name && silver_label_check((const uint8_t *)name, strlen(name)) != 0))
		return SILVER_EINVAL;
	if ((rv = silver_crypto_init()) != 0)
		return rv;
	/* "a/b/" names the same directory as "a/b"; the partial one is "a/b.partial" */
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0)
		return SILVER_EINVAL;
	target = strndup(dir, n);
	partial = target ? malloc(n + sizeof(SILVER_PARTIAL_SUFFIX)) : NULL;
	if (!partial) {
		free(target);
		return SILVER_ENOMEM;
	}
	memcpy(partial, target, n);
	memcpy(partial + n, SILVER_PARTIAL_SUFFIX, sizeof(SILVER_PARTIAL_SUFFIX));

	/* A node is made in dir.partial and renamed to dir when it is whole:
	 * a kill or a full disk leaves either no node or a whole one, never
	 * one without its key or its pinned admin.  A dir.partial left by a
	 * kill is not touched here; the caller names it and what to do. */
	if ((rv = target_free(target)) != 0)
		goto out;
	/* A new store needs a few pages of data.mdb and lock.mdb; LMDB maps
	 * lock.mdb after only extending it, so on a disk without room the first
	 * touch of it is a SIGBUS, not an error: ask first. */
	if ((parent = silver__parent_dir(target)) == NULL) {
		rv = SILVER_ENOMEM;
		goto out;
	}
	if (disk_nearly_full(parent)) {
		rv = SILVER_EDISKFULL;
		goto out;
	}
	if (mkdir(partial, 0700) != 0) {
		rv = errno == EEXIST ? SILVER_EEXIST : silver__errno_err(errno);
		goto out;
	}
	if ((rv = create_in(partial, township, name, admin)) == 0 && (rv = silver__fsync_dir(partial)) == 0) {
		/* rename(2) replaces an empty directory, so "mkdir x; init x" works */
		if (rename(partial, target) != 0)
			rv = errno == ENOTEMPTY || errno == EEXIST ? SILVER_EEXIST : silver__errno_err(errno);
		else if ((rv = silver__fsync_dir(parent)) != 0 && rename(target, partial) != 0)
			rv = silver__errno_err(errno);
		/* the parent's sync makes the new name last; when it fails, the node (which
		 * nothing has used yet) is taken back and removed below, so that a
		 * failed init leaves nothing, as it says */
	}
	if (rv != 0 && access(target, F_OK) != 0)
		partial_remove(partial);
out:
	free(parent);
	free(partial);
	free(target);
	return rv;
}

/* Bring a store of an older format up to date and write the number.  Below
 * format 3 the records themselves are encoded otherwise: everything derived
 * from the entries is rebuilt (at the end of this transaction).  From 3 to 4
 * nothing is rebuilt: format 4 adds the search index, whose databases the
 * open has just created empty, and which is built lazily (search.c). */
static int upgrade(silver_wtxn *t, void *ctx)
{
	uint32_t fmt = SILVER_STORE_FORMAT, old = *(const uint32_t *)ctx;
	if (old < 3)
		t->rebuild = 1;
	return silver__meta_put(t->s, t->txn, "format", &fmt, sizeof(fmt));
}

int silver_store_open(const char *dir, unsigned flags, silver_store **out)
{
	return silver_store_open_ex(dir, flags, NULL, NULL, out);
}

int silver_store_open_ex(const char *dir, unsigned flags, silver_upgrade_fn fn, void *ctx, silver_store **out)
{
	silver_store *s;
	MDB_txn *txn;
	MDB_val v;
	int rv;
	uint32_t old = 0; /* the format of a store to upgrade */
	char *path;

	*out = NULL;
	path = path_join(dir, "data.mdb");
	if (!path)
		return SILVER_ENOMEM;
	rv = access(path, F_OK) == 0 ? 0 : SILVER_ENOTFOUND;
	free(path);
	if (rv != 0)
		return rv;
	if ((rv = store_alloc(dir, flags, &s)) != 0)
		return rv;
	if ((rv = env_open(s, 0)) != 0)
		goto fail;
	if ((rv = silver__mdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != 0)
		goto fail;
	rv = silver__meta_get(s, txn, "format", &v);
	if (rv == 0) {
		uint32_t fmt;
		if (v.mv_size != sizeof(fmt)) {
			rv = SILVER_ECORRUPT;
		} else {
			memcpy(&fmt, v.mv_data, sizeof(fmt));
			if (fmt > SILVER_STORE_FORMAT)
				rv = SILVER_EVERSION;
			else if (fmt < SILVER_STORE_FORMAT && (flags & SILVER_OPEN_RDONLY))
				rv = SILVER_EOLDSTORE;
			else if (fmt < SILVER_STORE_FORMAT)
				old = fmt;
		}
	}
	if (rv == 0 && (rv = silver__meta_get(s, txn, "self", &v)) == 0) {
		if (v.mv_size == SILVER_KEY_BYTES)
			memcpy(s->self, v.mv_data, SILVER_KEY_BYTES);
		else
			rv = SILVER_ECORRUPT;
	}
	if (rv == 0 && (rv = silver__meta_get(s, txn, "township", &v)) == 0) {
		if (v.mv_size > SILVER_MAX_NAME || v.mv_size == 0)
			rv = SILVER_ECORRUPT;
		else
			memcpy(s->township, v.mv_data, v.mv_size);
	}
	if (rv == 0 && silver__meta_get(s, txn, "name", &v) == 0 && v.mv_size < sizeof(s->name))
		memcpy(s->name, v.mv_data, v.mv_size);
	if (rv == 0 && silver__meta_get(s, txn, "admin", &v) == 0 && v.mv_size == SILVER_KEY_BYTES) {
		memcpy(s->admin, v.mv_data, SILVER_KEY_BYTES);
		s->pinned = 1;
	}
	mdb_txn_abort(txn);
	if (rv == SILVER_ENOTFOUND)
		rv = SILVER_ECORRUPT;
	if (rv != 0)
		goto fail;
	if (!(flags & SILVER_OPEN_RDONLY) && (rv = identity_load(s)) != 0)
		goto fail;
	if (old && fn)
		fn(old, SILVER_STORE_FORMAT, ctx);
	if (old && (rv = silver_store_write(s, upgrade, &old)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	silver_store_close(&s);
	return rv;
}

void silver_store_close(silver_store **sp)
{
	silver_store *s = *sp;
	if (!s)
		return;
	silver__vpool_destroy(s);
	if (s->snap)
		mdb_txn_abort(s->snap);
	map_release(s);
	if (s->env)
		mdb_env_close(s->env);
	if (s->secret)
		sodium_free(s->secret);
	free(s->dir);
	free(s);
	*sp = NULL;
}

const uint8_t *silver_store_self(const silver_store *s)
{
	return s->self;
}
const char *silver_store_township(const silver_store *s)
{
	return s->township;
}
const char *silver_store_name(const silver_store *s)
{
	return s->name;
}

/* Double the map: only possible while no transaction of ours is open. */
static int store_grow(silver_store *s)
{
	size_t want = s->mapsize * 2;
	int rc;
	if (want < s->mapsize)
		return SILVER_EFULL;
	rc = mdb_env_set_mapsize(s->env, want);
	if (rc != 0)
		return rc == ENOSPC ? SILVER_EDISKFULL : silver__mdb_err(rc);
	s->mapsize = want;
	silver__map_note(s);
	return 0;
}

/* Keep at least half of the map free before a write starts, so the usual
 * write never meets MDB_MAP_FULL at all. */
static int store_headroom(silver_store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	if (info.me_mapsize > s->mapsize)
		s->mapsize = info.me_mapsize; /* another process grew it */
	if ((size_t)(info.me_last_pgno + 1) * st.ms_psize > s->mapsize / 2)
		return store_grow(s);
	return 0;
}

static void wtxn_release(silver_wtxn *t)
{
	silver__stats_discard(t);
	for (uint32_t i = 0; i < t->nfeed; i++)
		free(t->feed[i].body);
	silver_buf_release(&t->buf);
	silver_buf_release(&t->rbuf);
	silver_arena_destroy(&t->arena);
}

int silver_store_write(silver_store *s, silver_write_fn fn, void *ctx)
{
	return silver_store_write_as(s, NULL, fn, ctx);
}

int silver_store_write_as(silver_store *s, const char *operator_name, silver_write_fn fn, void *ctx)
{
	int rv, rc;
	MDB_val v;

	if (!s->secret)
		return SILVER_EINVAL;
	if (operator_name && !silver_operator_ok(operator_name))
		return SILVER_EINVAL;
	for (int attempt = 0; attempt < 24; attempt++) {
		silver_wtxn t;
		memset(&t, 0, sizeof(t));
		t.s = s;
		t.operator_name = operator_name;
		if ((rv = store_headroom(s)) != 0)
			return rv;
		t.arena = silver_arena_new();
		if (!t.arena)
			return SILVER_ENOMEM;
		silver_buf_init(&t.buf);
		silver_buf_init(&t.rbuf);
		rc = mdb_txn_begin(s->env, NULL, 0, &t.txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(s->env, 0);
			silver__map_note(s);
			rc = mdb_txn_begin(s->env, NULL, 0, &t.txn);
		}
		if (rc != 0) {
			wtxn_release(&t);
			return silver__mdb_err(rc);
		}
		if (silver__meta_get(s, t.txn, "hlc", &v) == 0 && v.mv_size == 8)
			memcpy(&t.hlc, v.mv_data, 8);
		if (silver__meta_get(s, t.txn, "restored", &v) == 0 && v.mv_size == 8) {
			t.restored = 1;
			memcpy(&t.restored_tip, v.mv_data, 8);
		}
		rv = fn(&t, ctx);
		if (rv == 0)
			rv = silver__seal_all(&t);
		if (rv == 0 && t.rebuild)
			rv = silver__rebuild(&t);
		if (rv == 0)
			rv = silver__stats_flush(&t);
		if (rv == 0 && t.digest_loaded)
			rv = silver__state_digest_save(&t);
		if (rv == 0)
			rv = silver__meta_put(s, t.txn, "hlc", &t.hlc, 8);
		if (rv == 0) {
			rc = mdb_txn_commit(t.txn);
			rv = silver__mdb_err(rc);
			/* LMDB turns a short write into EIO: on a disk with no room
			 * left that is the disk filling up, and the user should be
			 * told so. */
			if (rv == SILVER_EIO && disk_nearly_full(s->dir))
				rv = SILVER_EDISKFULL;
		} else {
			mdb_txn_abort(t.txn);
		}
		wtxn_release(&t);
		if (rv != SILVER_EFULL)
			return rv;
		/* The map filled (or the disk: then growing fails and we stop). */
		if ((rv = store_grow(s)) != 0)
			return rv;
	}
	return SILVER_EFULL;
}

int silver__store_txn(silver_store *s, silver__txn_fn fn, void *ctx)
{
	int rv, rc;
	if (s->flags & SILVER_OPEN_RDONLY)
		return SILVER_EINVAL;
	for (int attempt = 0; attempt < 24; attempt++) {
		MDB_txn *txn;
		if ((rv = store_headroom(s)) != 0)
			return rv;
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(s->env, 0);
			silver__map_note(s);
			rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		}
		if (rc != 0)
			return silver__mdb_err(rc);
		rv = fn(s, txn, ctx);
		if (rv == 0) {
			rv = silver__mdb_err(mdb_txn_commit(txn));
			if (rv == SILVER_EIO && disk_nearly_full(s->dir))
				rv = SILVER_EDISKFULL;
		} else {
			mdb_txn_abort(txn);
		}
		if (rv != SILVER_EFULL)
			return rv;
		if ((rv = store_grow(s)) != 0)
			return rv;
	}
	return SILVER_EFULL;
}

/* ---- backups ------------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out, rv = 0;
	if (in < 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (out < 0) {
		close(in);
		return errno == EEXIST ? SILVER_EEXIST : SILVER_EIO;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t k = write(out, buf, (size_t)n);
		if (k != n) {
			/* A short write means the disk filled up under it. */
			rv = k >= 0 ? SILVER_EDISKFULL : silver__errno_err(errno);
			break;
		}
	}
	if (rv == 0 && n < 0)
		rv = SILVER_EIO;
	if (rv == 0 && fsync(out) != 0)
		rv = silver__errno_err(errno);
	close(in);
	if (close(out) != 0 && rv == 0)
		rv = silver__errno_err(errno);
	return rv;
}

/* Remove the files a backup or a restore made in dir (and dir itself when
 * made empty), so that a failed one leaves nothing to be taken for good.
 * The extra copy comes last and removes what it made when it fails. */
static void copy_undo(const char *dir, int rm_dir)
{
	static const char *const made[] = { "identity.key", "data.mdb" };
	char *to;
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if ((to = path_join(dir, made[i])) != NULL) {
			unlink(to);
			free(to);
		}
	if (rm_dir)
		rmdir(dir);
}

int silver_store_backup(silver_store *s, const char *dir, silver_copy_fn extra)
{
	char *from, *to;
	int rv, rc;
	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? SILVER_EEXIST : silver__errno_err(errno);
	/* a consistent, compacted copy of the store, then the key beside it */
	rv = silver__env_copy(s->env, dir);
	if (rv == 0) {
		from = path_join(s->dir, "identity.key");
		to = path_join(dir, "identity.key");
		rv = from && to ? copy_file(from, to, 0600) : SILVER_ENOMEM;
		free(from);
		free(to);
	}
	if (rv == 0)
		rv = silver__fsync_dir(dir);
	if (rv == 0 && extra && (rc = extra(s->dir, dir)) != 0 && rc != SILVER_ENOTFOUND)
		rv = rc;
	/* Half a backup would block the retry ("already exists") and could be
	 * mistaken for a good one: remove what this call made. */
	if (rv != 0)
		copy_undo(dir, 1);
	return rv;
}

int silver_store_restore(const char *from, const char *dir, silver_copy_fn extra)
{
	silver_store *s;
	silver_feedrec fr;
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t tip = 0;
	char *a, *b;
	MDB_txn *txn;
	int rv;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SILVER_EIO;
	a = path_join(dir, "data.mdb");
	if (!a)
		return SILVER_ENOMEM;
	rv = access(a, F_OK) == 0 ? SILVER_EEXIST : 0;
	free(a);
	if (rv != 0)
		return rv;
	for (int i = 0; i < 2 && rv == 0; i++) {
		const char *name = i ? "identity.key" : "data.mdb";
		a = path_join(from, name);
		b = path_join(dir, name);
		rv = a && b ? copy_file(a, b, 0600) : SILVER_ENOMEM;
		free(a);
		free(b);
	}
	if (rv == 0 && extra && (rv = extra(from, dir)) == SILVER_ENOTFOUND)
		rv = 0; /* a backup without accounts */
	if (rv != 0) {
		/* A later restore into dir must not find half of this one; the
		 * accounts (extra) leave nothing when they fail. */
		copy_undo(dir, 0);
		return rv;
	}
	if ((rv = silver_store_open(dir, 0, &s)) != 0)
		return rv;
	/* Mark it: no local write until this node has received its own feed
	 * beyond what the backup held, or an operator says it is up to date. */
	silver_feedtag(s->self, (const uint8_t *)s->township, strlen(s->township), tag);
	if ((rv = silver__mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn))) == 0) {
		if (silver__feed_get(s, txn, tag, &fr) == 0)
			tip = fr.seq;
		rv = silver__meta_put(s, txn, "restored", &tip, 8);
		if (rv == 0)
			rv = silver__mdb_err(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	silver_store_close(&s);
	return rv;
}

int silver_store_caught_up(silver_store *s)
{
	MDB_txn *txn;
	MDB_val k = {8, "restored"};
	int rc, rv = silver__mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (rv != 0)
		return rv;
	rc = mdb_del(txn, s->meta, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return silver__mdb_err(rc);
	}
	return silver__mdb_err(mdb_txn_commit(txn));
}

int silver_store_restored(silver_store *s, uint64_t *tip)
{
	MDB_txn *txn;
	MDB_val v;
	int rv = silver__rtxn(s, &txn);
	if (rv != 0)
		return rv;
	rv = silver__meta_get(s, txn, "restored", &v);
	if (rv == 0 && v.mv_size == 8)
		memcpy(tip, v.mv_data, 8);
	silver__rtxn_end(s, txn);
	return rv == 0 ? 1 : rv == SILVER_ENOTFOUND ? 0 : rv;
}

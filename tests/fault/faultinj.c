/*
 * faultinj.c - an LD_PRELOAD library for the fault-injection tests
 * (tests/fault/test_fault_inject.sh): it makes one chosen write-like call,
 * or one chosen allocation, fail, so that a test can run a command once per
 * call and check that every failure gives a clear error and leaves the
 * store as it was.
 *
 * Environment (all optional; nothing set: every call passes through):
 *   SILVER_FI_WRITE=N      the Nth write-like call on a file (fd > 2) fails:
 *                          write, pwrite, pwrite64, writev, pwritev, fwrite,
 *                          fsync, fdatasync, msync, ftruncate, posix_fallocate
 *   SILVER_FI_ERRNO=E      errno of that failure: ENOSPC (default), EIO, EDQUOT
 *   SILVER_FI_SHORT=1      a write call does not fail but writes half its bytes
 *                          (the disk filled up during it)
 *   SILVER_FI_MALLOC=N     the Nth malloc, calloc or realloc returns NULL
 *   SILVER_FI_FREE=BYTES   statvfs reports this much free space
 *   SILVER_FI_COUNT=PATH   at exit, write "WRITES MALLOCS" (calls seen) to PATH
 *
 * Two libraries are built from this file: libsilver_faultinj (the calls
 * above) and libsilver_faultinj_alloc (the same and SILVER_FI_MALLOC).  The
 * second replaces malloc with glibc's own __libc_malloc, so it must not be
 * loaded into a sanitizer build (the test does not).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef size_t (*fwrite_fn)(const void *, size_t, size_t, FILE *);
typedef int (*fd_fn)(int);
typedef int (*msync_fn)(void *, size_t, int);
typedef int (*trunc_fn)(int, off_t);
typedef int (*falloc_fn)(int, off_t, off_t);
typedef int (*statvfs_fn)(const char *, struct statvfs *);
typedef int (*statvfs64_fn)(const char *, struct statvfs64 *);

#define MSYNC_FD (-100) /* msync has no descriptor: counted as a file's */

static long fail_write, fail_malloc, free_bytes = -1;
static int fail_errno = ENOSPC, short_write;
static volatile long nwrite, nmalloc;
static char count_path[4096];
static int ready;

#ifdef SILVER_FI_ALLOC
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
#endif

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

__attribute__((constructor)) static void fi_init(void)
{
	const char *e = getenv("SILVER_FI_ERRNO"), *c = getenv("SILVER_FI_COUNT");
	fail_write = env_long("SILVER_FI_WRITE", 0);
	fail_malloc = env_long("SILVER_FI_MALLOC", 0);
	free_bytes = env_long("SILVER_FI_FREE", -1);
	short_write = env_long("SILVER_FI_SHORT", 0) != 0;
	if (e && strcmp(e, "EIO") == 0)
		fail_errno = EIO;
	else if (e && strcmp(e, "EDQUOT") == 0)
		fail_errno = EDQUOT;
	if (c)
		snprintf(count_path, sizeof(count_path), "%s", c);
	ready = 1;
}

__attribute__((destructor)) static void fi_fini(void)
{
	if (count_path[0]) {
		char line[64];
		int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = snprintf(line, sizeof(line), "%ld %ld\n", nwrite, nmalloc);
		if (fd >= 0) {
			write_fn real = (write_fn)dlsym(RTLD_NEXT, "write");
			if (real && real(fd, line, (size_t)n) < 0)
				n = 0;
			close(fd);
		}
	}
}

/* Is this write-like call the one to fail?  Counts calls on regular files
 * and directories (their fsync) only: not the terminal, not the pipes and
 * eventfds of ZeroMQ (which asserts on a failed write to its own signaller). */
static int hit(int fd)
{
	struct stat st;
	if (!ready || (fd <= 2 && fd != MSYNC_FD))
		return 0;
	if (fd != MSYNC_FD && (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))))
		return 0;
	return __atomic_add_fetch(&nwrite, 1, __ATOMIC_SEQ_CST) == fail_write;
}

/* REAL(name, type): real_name, the next definition of name (libc's). */
#define REAL(name, type)                                                                                         \
	static type real_##name;                                                                                 \
	if (!real_##name)                                                                                        \
	real_##name = (type)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *p, size_t n)
{
	REAL(write, write_fn);
	if (hit(fd)) {
		if (short_write && n > 1)
			return real_write(fd, p, n / 2);
		errno = fail_errno;
		return -1;
	}
	return real_write(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite, pwrite_fn);
	if (hit(fd)) {
		if (short_write && n > 1)
			return real_pwrite(fd, p, n / 2, off);
		errno = fail_errno;
		return -1;
	}
	return real_pwrite(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite64, pwrite_fn);
	if (hit(fd)) {
		if (short_write && n > 1)
			return real_pwrite64(fd, p, n / 2, off);
		errno = fail_errno;
		return -1;
	}
	return real_pwrite64(fd, p, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(writev, writev_fn);
	if (hit(fd)) {
		errno = fail_errno;
		return -1;
	}
	return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(pwritev, pwritev_fn);
	if (hit(fd)) {
		errno = fail_errno;
		return -1;
	}
	return real_pwritev(fd, iov, cnt, off);
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	REAL(fwrite, fwrite_fn);
	if (hit(fileno(f))) {
		errno = fail_errno;
		return short_write && n > 1 ? real_fwrite(p, size, n / 2, f) : 0;
	}
	return real_fwrite(p, size, n, f);
}

int fsync(int fd)
{
	REAL(fsync, fd_fn);
	if (hit(fd)) {
		errno = fail_errno == ENOSPC || fail_errno == EDQUOT ? fail_errno : EIO;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync, fd_fn);
	if (hit(fd)) {
		errno = fail_errno == ENOSPC || fail_errno == EDQUOT ? fail_errno : EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

int msync(void *p, size_t n, int flags)
{
	REAL(msync, msync_fn);
	if (hit(MSYNC_FD)) {
		errno = EIO;
		return -1;
	}
	return real_msync(p, n, flags);
}

int ftruncate(int fd, off_t len)
{
	REAL(ftruncate, trunc_fn);
	if (hit(fd)) {
		errno = fail_errno;
		return -1;
	}
	return real_ftruncate(fd, len);
}

int ftruncate64(int fd, off_t len)
{
	REAL(ftruncate64, trunc_fn);
	if (hit(fd)) {
		errno = fail_errno;
		return -1;
	}
	return real_ftruncate64(fd, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	REAL(posix_fallocate, falloc_fn);
	if (hit(fd))
		return fail_errno;
	return real_posix_fallocate(fd, off, len);
}

static void fill_statvfs(struct statvfs *st)
{
	if (free_bytes >= 0 && st->f_frsize)
		st->f_bavail = st->f_bfree = (fsblkcnt_t)free_bytes / st->f_frsize;
}

int statvfs(const char *path, struct statvfs *st)
{
	REAL(statvfs, statvfs_fn);
	int rv = real_statvfs(path, st);
	if (rv == 0)
		fill_statvfs(st);
	return rv;
}

int statvfs64(const char *path, struct statvfs64 *st)
{
	REAL(statvfs64, statvfs64_fn);
	int rv = real_statvfs64(path, st);
	if (rv == 0 && free_bytes >= 0 && st->f_frsize)
		st->f_bavail = st->f_bfree = (fsblkcnt64_t)free_bytes / st->f_frsize;
	return rv;
}

/* ---- allocations: only in the build with SILVER_FI_ALLOC (libsilver_faultinj_alloc) ---- */

#ifdef SILVER_FI_ALLOC
static int alloc_hit(void)
{
	long k;
	if (!ready)
		return 0;
	k = __atomic_add_fetch(&nmalloc, 1, __ATOMIC_SEQ_CST);
	return fail_malloc && k == fail_malloc;
}

void *malloc(size_t n)
{
	if (alloc_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	if (alloc_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	if (alloc_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}
#endif

/* file.read - read files of a deterministic corpus whole, in --block-size
 * reads, and hash them (XXH3); a task reads file (i mod --files).
 *
 * The corpus lives in a private directory (mkdtemp, 0700) named
 * concbench-file.XXXXXX under --data-dir (default $TMPDIR or /tmp), with a
 * MANIFEST of its parameters. A later run reuses a directory whose
 * parameters match and whose files hash to the expected values (a damaged
 * one is rewritten in place); other parameters get a new directory. The
 * directory is removed at exit unless --keep-data (then it holds a KEPT
 * file). A flock on its .lock file, held for the whole run, keeps two
 * concurrent runs from sharing one. A run killed with SIGKILL can't remove
 * its corpus, so every run first removes the corpora that no live run
 * holds and that were not kept (sweep_stale()). A new corpus is made and
 * locked under a hidden name (.concbench-file.XXXXXX) and only then renamed
 * to its visible one, so no sweep ever sees it unlocked.
 *
 * --cache=cold drops each file from the page cache (POSIX_FADV_DONTNEED)
 * before reading it and opens it with O_DIRECT where the filesystem takes
 * it and --block-size is a multiple of 4 KiB. Limits: DONTNEED drops only
 * clean, unmapped pages of this file; a disk's or a VM host's own cache
 * still answers; on tmpfs the page cache *is* the storage, so cold = warm.
 *
 * The async form reads through the loop (io_uring, or the loop's small
 * thread pool where the kernel refuses io_uring: metric io_uring 1 or 0);
 * open() and close() still run on the loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <xxhash.h>

#include "../runner/concbench.h"
#include "io.h"
#include "../runner/mix.h"

#define CORPUS_PREFIX "concbench-file."
#define KEPT_FILE "KEPT"
#define CORPUS_VERSION 1
#define GEN_CHUNK (1u << 20)

struct fr_state {
	char base[2048]; /* --data-dir */
	char dir[2400]; /* the corpus directory */
	int lockfd;
	bool keep;
	bool cold;
	long files;
	unsigned long long bytes; /* per file */
	unsigned long long block;
	uint64_t seed;
	uint64_t *expect; /* XXH3 of each file */
	_Atomic unsigned *direct; /* shm: reads done with O_DIRECT this rep */
	_Atomic int io_backend; /* async form, this rep: 0 none, 1 io_uring, 2 threads */
};

static const struct wl_option fr_options[] = {
    {"files", "N", "64", "file.read: files in the corpus", false},
    {"file-bytes", "BYTES", NULL, "file.read: bytes per file (K/M/G suffixes; default: --size)",
     false},
    {"block-size", "BYTES", "128K", "file.read: bytes per read() call", false},
    {"cache", "warm|cold", "warm", "file.read: cold drops each file from the page cache first",
     false},
    {"data-dir", "DIR", NULL,
     "file.read: where the corpus directory goes (default $TMPDIR or /tmp)", false},
    {"keep-data", NULL, NULL, "file.read: keep the corpus for the next run", false},
    {0},
};

/* The content of file f: splitmix64 words of a per-file stream, so any
 * chunk can be generated on its own. */
static void gen_chunk(uint8_t *buf, size_t n, uint64_t seed, long f, uint64_t off)
{
	uint64_t base = seed ^ ((uint64_t)(f + 1) * 0xd1b54a32d192ed03ULL);

	for (size_t i = 0; i < n; i += 8) {
		uint64_t z = cb_mix64(base + ((off + i) / 8 + 1) * CB_GOLDEN64);

		if (i + 8 <= n) {
			memcpy(buf + i, &z, 8);
		} else {
			for (size_t k = 0; i + k < n; k++)
				buf[i + k] = (uint8_t)(z >> (8 * k));
		}
	}
}

static void file_path(const struct fr_state *st, long f, char *out, size_t len)
{
	snprintf(out, len, "%s/f%06ld", st->dir, f);
}

/* Hash the content file f must have. 0, -ENOMEM, or -EINTR when a signal
 * came (checked every GEN_CHUNK bytes). */
static int expected_hashes(struct fr_state *st, uint8_t *buf)
{
	XXH3_state_t *h = XXH3_createState();

	if (!h)
		return -ENOMEM;
	for (long f = 0; f < st->files; f++) {
		XXH3_64bits_reset(h);
		for (uint64_t off = 0; off < st->bytes; off += GEN_CHUNK) {
			size_t n = st->bytes - off < GEN_CHUNK ? st->bytes - off : GEN_CHUNK;

			if (cb_interrupted) {
				XXH3_freeState(h);
				return -EINTR;
			}

			gen_chunk(buf, n, st->seed, f, off);
			XXH3_64bits_update(h, buf, n);
		}
		st->expect[f] = XXH3_64bits_digest(h);
	}
	XXH3_freeState(h);
	return 0;
}

/* True when file f exists with the right size and hash. */
static bool file_ok(const struct fr_state *st, long f, uint8_t *buf)
{
	char path[2600];
	XXH3_state_t *h;
	uint64_t total = 0;
	bool ok = false;
	ssize_t n = -1;
	int fd;

	file_path(st, f, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	h = XXH3_createState();
	if (!h)
		goto out;
	XXH3_64bits_reset(h);
	while (!cb_interrupted && (n = read(fd, buf, GEN_CHUNK)) > 0) {
		XXH3_64bits_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	ok = n == 0 && total == st->bytes && XXH3_64bits_digest(h) == st->expect[f];
	XXH3_freeState(h);
out:
	close(fd);
	return ok;
}

static void manifest_text(const struct fr_state *st, char *out, size_t len)
{
	snprintf(out, len, "concbench-corpus %d\nfiles %ld\nbytes %llu\nseed %llu\n",
	         CORPUS_VERSION, st->files, st->bytes, (unsigned long long)st->seed);
}

/* 1: dir's MANIFEST has our parameters; 0: it doesn't or can't be read. */
static int manifest_matches(const struct fr_state *st, const char *dir)
{
	char path[2600], want[256], got[256];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	manifest_text(st, want, sizeof(want));
	n = fread(got, 1, sizeof(got) - 1, fp);
	fclose(fp);
	got[n] = '\0';
	return strncmp(got, want, strlen(want)) == 0;
}

static int write_manifest(const struct fr_state *st)
{
	char path[2600], tmp[2600], text[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/MANIFEST", st->dir);
	snprintf(tmp, sizeof(tmp), "%s/MANIFEST.tmp", st->dir);
	manifest_text(st, text, sizeof(text));
	fp = fopen(tmp, "we");
	if (!fp)
		return -errno;
	fputs(text, fp);
	for (long f = 0; f < st->files; f++)
		fprintf(fp, "f%06ld %016llx\n", f, (unsigned long long)st->expect[f]);
	if (fclose(fp) || rename(tmp, path))
		return -errno;
	return 0;
}

/* Take the directory's lock without waiting. 0 or a negative errno. */
static int lock_dir(struct fr_state *st, const char *dir)
{
	char path[2600];
	int fd;

	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(fd);
		return -e;
	}
	st->lockfd = fd;
	return 0;
}

static void unlock_dir(struct fr_state *st)
{
	if (st->lockfd >= 0)
		close(st->lockfd);
	st->lockfd = -1;
}

/* Look for a kept corpus of ours whose MANIFEST has our parameters; lock it
 * and set st->dir. True when found (its files are checked later). */
static bool find_corpus(struct fr_state *st)
{
	DIR *d = opendir(st->base);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char dir[2400];
		struct stat sb;

		if (strncmp(e->d_name, CORPUS_PREFIX, strlen(CORPUS_PREFIX)) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", st->base, e->d_name);
		if (lstat(dir, &sb) || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
		    (sb.st_mode & 0777) != 0700 || !manifest_matches(st, dir))
			continue;
		if (lock_dir(st, dir))
			continue; /* in use by another run */
		snprintf(st->dir, sizeof(st->dir), "%s", dir);
		found = true;
	}
	closedir(d);
	return found;
}

/* True when every file of the corpus in st->dir is intact. */
static bool corpus_ok(const struct fr_state *st, uint8_t *buf)
{
	for (long f = 0; f < st->files; f++)
		if (!file_ok(st, f, buf))
			return false;
	return true;
}

static int write_corpus(struct wl_ctx *ctx, struct fr_state *st, uint8_t *buf)
{
	char path[2600];

	for (long f = 0; f < st->files; f++) {
		int fd;

		file_path(st, f, path, sizeof(path));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return cb_error(ctx, -errno, "create %s: %s", path, strerror(errno));
		for (uint64_t off = 0; off < st->bytes; off += GEN_CHUNK) {
			size_t n = st->bytes - off < GEN_CHUNK ? st->bytes - off : GEN_CHUNK;
			size_t done = 0;

			if (cb_interrupted) {
				close(fd);
				return cb_error(ctx, -EINTR, "interrupted while writing %s", path);
			}
			gen_chunk(buf, n, st->seed, f, off);
			while (done < n) {
				ssize_t w = write(fd, buf + done, n - done);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					int e = errno;

					close(fd);
					return cb_error(ctx, -e, "write %s: %s", path, strerror(e));
				}
				done += (size_t)w;
			}
		}
		if (close(fd))
			return cb_error(ctx, -errno, "write %s: %s", path, strerror(errno));
	}
	return 0;
}

/* Remove the corpus directory and what is in it (only plain files). */
static void remove_corpus(struct fr_state *st)
{
	DIR *d;
	struct dirent *e;

	if (!st->dir[0])
		return;
	d = opendir(st->dir);
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' || strcmp(e->d_name, ".lock") == 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(st->dir);
	st->dir[0] = '\0';
}

/* True when dir holds a complete corpus kept with --keep-data. */
static bool is_kept(const char *dir)
{
	char path[2600];

	snprintf(path, sizeof(path), "%s/" KEPT_FILE, dir);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	return access(path, F_OK) == 0;
}

/* Remove the corpora of ours under st->base whose lock no live run holds
 * and that were not kept: what a run killed with SIGKILL left behind. Each
 * is locked while it is removed, so a run can't start using it meanwhile.
 * Says so with -v. */
static void sweep_stale(struct fr_state *st)
{
	DIR *d = opendir(st->base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct fr_state old = {.lockfd = -1};
		struct stat sb;

		if (strncmp(e->d_name, CORPUS_PREFIX, strlen(CORPUS_PREFIX)) != 0)
			continue;
		snprintf(old.dir, sizeof(old.dir), "%s/%s", st->base, e->d_name);
		if (lstat(old.dir, &sb) || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
		    (sb.st_mode & 0777) != 0700 || is_kept(old.dir))
			continue;
		if (lock_dir(&old, old.dir))
			continue; /* a live run's */
		if (cb_verbosity > 0)
			cb_note("file.read: removing %s: left by a run that was killed (no live "
			        "run holds its lock)",
			        old.dir);
		remove_corpus(&old);
		unlock_dir(&old);
	}
	closedir(d);
}

static int read_options(struct wl_ctx *ctx, struct fr_state *st)
{
	const char *cache = cb_opt_str("cache"), *dir = cb_opt_str("data-dir");
	struct stat sb;
	int rc;

	rc = cb_opt_long(ctx, "files", 1, 1000000, &st->files);
	if (rc)
		return rc;
	if (cb_opt_str("file-bytes")) {
		rc = io_opt_bytes(ctx, "file-bytes", 1, 1ULL << 40, &st->bytes);
		if (rc)
			return rc;
	} else {
		st->bytes = (unsigned long long)ctx->size;
	}
	rc = io_opt_bytes(ctx, "block-size", 512, 1ULL << 30, &st->block);
	if (rc)
		return rc;
	if (strcmp(cache, "warm") && strcmp(cache, "cold"))
		return cb_error(ctx, -EINVAL, "--cache: '%s': want warm or cold", cache);
	st->cold = strcmp(cache, "cold") == 0;
	st->keep = cb_opt_flag("keep-data");
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (strlen(dir) >= sizeof(st->base) - 64)
		return cb_error(ctx, -EINVAL, "--data-dir: '%s': path too long", dir);
	snprintf(st->base, sizeof(st->base), "%s", dir);
	if (stat(dir, &sb))
		return cb_error(ctx, -EINVAL, "--data-dir: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cb_error(ctx, -EINVAL, "--data-dir: %s: not a directory", dir);
	return 0;
}

/* Rename the locked, hidden .concbench-file.X of st->dir to its visible
 * name concbench-file.X. 0 or a negative errno. */
static int publish_dir(struct fr_state *st)
{
	char *slash = strrchr(st->dir, '/'), to[sizeof(st->dir)];

	snprintf(to, sizeof(to), "%.*s/%s", (int)(slash - st->dir), st->dir, slash + 2);
	if (renameat2(AT_FDCWD, st->dir, AT_FDCWD, to, RENAME_NOREPLACE))
		return -errno;
	memcpy(st->dir, to, sizeof(to));
	return 0;
}

/* Make a new corpus directory, then check the free space before anything
 * is written (pseudo filesystems that report no blocks are not checked). */
static int new_corpus_dir(struct wl_ctx *ctx, struct fr_state *st)
{
	double need = (double)st->files * (double)st->bytes, avail;
	struct statvfs vfs;
	int e;

	snprintf(st->dir, sizeof(st->dir), "%s/." CORPUS_PREFIX "XXXXXX", st->base);
	if (!mkdtemp(st->dir)) {
		e = errno;
		st->dir[0] = '\0';
		/* the directory the user named can't take the corpus: bad input */
		return cb_error(
		    ctx,
		    e == EACCES || e == EROFS || e == EPERM || e == ENOENT || e == ENOTDIR ? -EINVAL
		                                                                           : -e,
		    "--data-dir: %s: cannot create the corpus directory: %s", st->base,
		    strerror(e));
	}
	if (statvfs(st->dir, &vfs) == 0 && vfs.f_blocks > 0) {
		avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
		/* the data plus a block per file for metadata */
		if (need + (double)st->files * 4096 > avail) {
			rmdir(st->dir);
			st->dir[0] = '\0';
			return cb_error(ctx, -ENOSPC,
			                "--data-dir: %s: the corpus needs %.1f MiB, only %.1f MiB "
			                "free",
			                st->base, need / 1048576, avail / 1048576);
		}
	}
	e = lock_dir(st, st->dir);
	if (!e)
		e = publish_dir(st);
	if (e)
		return cb_error(ctx, e, "lock %s: %s", st->dir, strerror(-e));
	return 0;
}

/* Mark the corpus as kept: no later run's sweep removes it. 0 or a
 * negative errno. */
static int mark_kept(const struct fr_state *st)
{
	char path[2600];
	int fd;

	snprintf(path, sizeof(path), "%s/" KEPT_FILE, st->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int fr_prepare(struct wl_ctx *ctx)
{
	struct fr_state *st = calloc(1, sizeof(*st));
	uint8_t *buf = NULL;
	bool found;
	int rc;

	if (!st)
		return cb_error(ctx, -ENOMEM, "out of memory");
	st->lockfd = -1;
	st->seed = ctx->seed * 0x2545f4914f6cdd1dULL + 0x636f6e6362656e63ULL;
	rc = read_options(ctx, st);
	if (rc)
		goto err;
	st->expect = calloc((size_t)st->files, sizeof(*st->expect));
	buf = malloc(GEN_CHUNK);
	st->direct = cb_shm_alloc(sizeof(*st->direct));
	if (!st->expect || !buf || !st->direct) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto err;
	}
	sweep_stale(st);
	found = find_corpus(st);
	if (!found) {
		rc = new_corpus_dir(ctx, st);
		if (rc)
			goto err_remove;
	}
	rc = expected_hashes(st, buf);
	if (rc) {
		cb_error(ctx, rc,
		         rc == -EINTR ? "interrupted while generating the corpus"
		                      : "out of memory");
		goto err_remove_new;
	}
	if (found && corpus_ok(st, buf)) {
		cb_note("file.read: reusing the corpus in %s", st->dir);
	} else if (cb_interrupted) { /* a kept corpus stays as it was */
		rc = cb_error(ctx, -EINTR, "interrupted while checking the corpus");
		goto err_remove_new;
	} else {
		cb_note("file.read: %s in %s (%ld files x %llu bytes)",
		        found ? "rewriting the damaged corpus" : "writing the corpus", st->dir,
		        st->files, st->bytes);
		rc = write_corpus(ctx, st, buf);
		if (!rc && (rc = write_manifest(st)))
			cb_error(ctx, rc, "write %s/MANIFEST: %s", st->dir, strerror(-rc));
		if (rc)
			goto err_remove;
	}
	if (st->keep && (rc = mark_kept(st))) {
		cb_error(ctx, rc, "write %s/" KEPT_FILE ": %s", st->dir, strerror(-rc));
		goto err_remove;
	}
	free(buf);
	ctx->state = st;
	return 0;

err_remove_new:
	if (found) /* a kept corpus stays as it was */
		st->dir[0] = '\0';
err_remove:
	remove_corpus(st);
err:
	unlock_dir(st);
	if (st->direct)
		cb_shm_free(st->direct, sizeof(*st->direct));
	free(st->expect);
	free(st);
	free(buf);
	return rc;
}

/* Open f for a read that bypasses the cache as far as this filesystem lets
 * us: O_DIRECT when allowed, and the cached pages dropped in any case. */
static int open_cold(const struct fr_state *st, const char *path, bool *direct)
{
	int fd = -1;

	*direct = false;
	if (st->block % 4096 == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
		*direct = fd >= 0;
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return fd;
}

static int fr_run(struct wl_ctx *ctx, unsigned i, struct task_result *res)
{
	struct fr_state *st = ctx->state;
	long f = (long)(i % (unsigned long)st->files);
	XXH3_state_t *h = NULL;
	uint64_t total = 0, sum;
	bool direct = false;
	char path[2600];
	void *buf = NULL;
	int fd, rc = 0;

	file_path(st, f, path, sizeof(path));
	fd = st->cold ? open_cold(st, path, &direct) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cb_error(ctx, -errno, "open %s: %s", path, strerror(errno));
	h = XXH3_createState();
	if (!h || posix_memalign(&buf, 4096, st->block)) {
		rc = cb_error(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	XXH3_64bits_reset(h);
	for (;;) {
		ssize_t n = GIL_BLOCKING(read(fd, buf, st->block));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cb_error(ctx, -errno, "read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		XXH3_64bits_update(h, buf, (size_t)n);
		total += (uint64_t)n;
		if (cb_should_stop(ctx) || cb_interrupted) {
			rc = cb_error(ctx, -ECANCELED, "stopped");
			goto out;
		}
	}
	sum = XXH3_64bits_digest(h);
	if (total != st->bytes || sum != st->expect[f]) {
		rc = cb_error(ctx, -EIO,
		              "%s: read %llu bytes hashing to %016llx, the corpus has %llu "
		              "bytes hashing to %016llx (file changed during the run?)",
		              path, (unsigned long long)total, (unsigned long long)sum, st->bytes,
		              (unsigned long long)st->expect[f]);
		goto out;
	}
	if (direct)
		atomic_fetch_add_explicit(st->direct, 1, memory_order_relaxed);
	res->checksum = sum;
	res->ops = (double)total;
out:
	free(buf);
	XXH3_freeState(h);
	close(fd);
	return rc;
}

/* One task of the async form: block after block through the loop. */
struct fr_task {
	struct wl_ctx *ctx;
	struct cb_loop *loop;
	struct task_result *res;
	struct cb_async *done;
	XXH3_state_t *h;
	void *buf;
	uint64_t total;
	long f;
	int fd;
	bool direct;
	char path[2600];
};

static void fr_task_end(struct fr_task *t, int rc)
{
	struct cb_async *done = t->done;

	free(t->buf);
	XXH3_freeState(t->h);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	cb_async_done(done, rc);
}

static void fr_read_next(struct fr_task *t);

static void fr_on_read(struct cb_loop *loop, void *arg, long n)
{
	struct fr_task *t = arg;
	struct fr_state *st = t->ctx->state;
	struct wl_ctx *ctx = t->ctx;
	uint64_t sum;

	(void)loop;
	if (n == -EINTR || n == -EAGAIN) {
		fr_read_next(t);
		return;
	}
	if (n < 0) {
		fr_task_end(t, cb_error(ctx, (int)n, "read %s: %s", t->path, strerror((int)-n)));
		return;
	}
	if (n > 0) {
		XXH3_64bits_update(t->h, t->buf, (size_t)n);
		t->total += (uint64_t)n;
		if (cb_should_stop(ctx)) {
			fr_task_end(t, cb_error(ctx, -ECANCELED, "stopped"));
			return;
		}
		fr_read_next(t);
		return;
	}
	sum = XXH3_64bits_digest(t->h);
	if (t->total != st->bytes || sum != st->expect[t->f]) {
		fr_task_end(t,
		            cb_error(ctx, -EIO,
		                     "%s: read %llu bytes hashing to %016llx, the corpus has "
		                     "%llu bytes hashing to %016llx (file changed during the run?)",
		                     t->path, (unsigned long long)t->total, (unsigned long long)sum,
		                     st->bytes, (unsigned long long)st->expect[t->f]));
		return;
	}
	if (t->direct)
		atomic_fetch_add_explicit(st->direct, 1, memory_order_relaxed);
	t->res->checksum = sum;
	t->res->ops = (double)t->total;
	fr_task_end(t, 0);
}

static void fr_read_next(struct fr_task *t)
{
	struct fr_state *st = t->ctx->state;
	int rc =
	    cb_loop_read(t->loop, t->fd, t->buf, st->block, (long long)t->total, fr_on_read, t);

	if (rc)
		fr_task_end(t, cb_error(t->ctx, rc, "read %s: %s", t->path, strerror(-rc)));
}

static int fr_start(struct wl_ctx *ctx, struct cb_loop *loop, unsigned i, struct task_result *res,
                    struct cb_async *done)
{
	struct fr_state *st = ctx->state;
	struct fr_task *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return cb_error(ctx, -ENOMEM, "out of memory");
	*t = (struct fr_task){.ctx = ctx, .loop = loop, .res = res, .done = done, .fd = -1};
	t->f = (long)(i % (unsigned long)st->files);
	atomic_store_explicit(&st->io_backend,
	                      strcmp(cb_loop_io_name(loop), "io_uring") == 0 ? 1 : 2,
	                      memory_order_relaxed);
	file_path(st, t->f, t->path, sizeof(t->path));
	t->fd = st->cold ? open_cold(st, t->path, &t->direct) : open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0) {
		rc = cb_error(ctx, -errno, "open %s: %s", t->path, strerror(errno));
		free(t);
		return rc;
	}
	t->h = XXH3_createState();
	if (!t->h || posix_memalign(&t->buf, 4096, st->block)) {
		XXH3_freeState(t->h);
		close(t->fd);
		free(t);
		return cb_error(ctx, -ENOMEM, "out of memory");
	}
	XXH3_64bits_reset(t->h);
	fr_read_next(t);
	return 0;
}

static int fr_reset(struct wl_ctx *ctx)
{
	struct fr_state *st = ctx->state;

	atomic_store(st->direct, 0);
	atomic_store(&st->io_backend, 0);
	return 0;
}

static int fr_verify(struct wl_ctx *ctx, const struct task_result *res, struct cb_metrics *m)
{
	struct fr_state *st = ctx->state;
	double t0 = res[0].t_start, t1 = res[0].t_end, bytes = 0;

	for (unsigned i = 0; i < ctx->ntasks; i++) {
		if (res[i].t_start < t0)
			t0 = res[i].t_start;
		if (res[i].t_end > t1)
			t1 = res[i].t_end;
		bytes += res[i].ops;
	}
	cb_metric(m, "MB_per_s", t1 > t0 ? bytes / (t1 - t0) / 1e6 : 0);
	cb_metric(m, "cold", st->cold);
	cb_metric(m, "direct_io",
	          (double)atomic_load(st->direct) / (ctx->ntasks ? ctx->ntasks : 1));
	if (atomic_load(&st->io_backend)) /* the async form ran */
		cb_metric(m, "io_uring", atomic_load(&st->io_backend) == 1);
	return 0;
}

static void fr_cleanup(struct wl_ctx *ctx)
{
	struct fr_state *st = ctx->state;

	if (!st)
		return;
	if (!st->keep)
		remove_corpus(st);
	unlock_dir(st);
	cb_shm_free(st->direct, sizeof(*st->direct));
	free(st->expect);
	free(st);
	ctx->state = NULL;
}

const struct workload file_read = {
    .name = "file.read",
    .summary = "read corpus files whole and hash them (XXH3); --cache=warm|cold",
    .kind = KIND_WORKLOAD,
    .family_default = true,
    .default_tasks = 64,
    .sizes = {64 << 10, 1 << 20, 16 << 20},
    .size_unit = "bytes per file (--file-bytes overrides)",
    .ops_unit = "B",
    .options = fr_options,
    .prepare = fr_prepare,
    .reset = fr_reset,
    .run = fr_run,
    .start = fr_start,
    .verify = fr_verify,
    .cleanup = fr_cleanup,
};

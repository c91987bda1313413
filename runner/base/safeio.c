/* safeio.c - see safeio.h: atomic replacement of regular files, streaming
 * into devices and FIFOs, and bounded reads. */
#include "../safeio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as the kernel's ELOOP limit */

const char *safe_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == SAFE_ENOTFILE)
		return "not a regular file, FIFO or character device";
	if (err == SAFE_ENOTPIPE)
		return "not a regular file or a pipe";
	return strerror(err);
}

/* Follow path through symlinks to the name that finally gets the data (it
 * need not exist). 0, -ELOOP or -ENAMETOOLONG; *st is its lstat() result
 * and *exists whether it exists. */
static int resolve(const char *path, char *out, size_t len, struct stat *st, bool *exists)
{
	char link[PATH_MAX];

	if (snprintf(out, len, "%s", path) >= (int)len)
		return -ENAMETOOLONG;
	for (int hops = 0; hops <= MAX_LINKS; hops++) {
		ssize_t n;

		if (lstat(out, st)) {
			if (errno != ENOENT)
				return -errno;
			*exists = false;
			return 0;
		}
		*exists = true;
		if (!S_ISLNK(st->st_mode))
			return 0;
		n = readlink(out, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		if (link[0] == '/') {
			snprintf(out, len, "%s", link);
		} else {
			char *slash = strrchr(out, '/');
			size_t keep = slash ? (size_t)(slash - out) + 1 : 0;

			if (keep + (size_t)n >= len)
				return -ENAMETOOLONG;
			memcpy(out + keep, link, (size_t)n + 1);
		}
	}
	return -ELOOP;
}

/* The directory part of path ("." when none), in buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* What writing the resolved target means: 1 stream, 0 replace, or a
 * negative errno. */
static int classify(const char *target, const struct stat *st, bool exists, char *dir,
                    size_t dirlen)
{
	struct stat ds;

	if (exists) {
		if (S_ISCHR(st->st_mode) || S_ISFIFO(st->st_mode))
			return 1;
		if (S_ISDIR(st->st_mode))
			return -EISDIR;
		if (!S_ISREG(st->st_mode))
			return -SAFE_ENOTFILE;
	}
	dir_of(target, dir, dirlen);
	if (stat(dir, &ds))
		return -errno;
	if (!S_ISDIR(ds.st_mode))
		return -ENOTDIR;
	if (access(dir, W_OK))
		return -errno;
	return 0;
}

int safe_out_check(const char *path, char *dir, size_t dirlen)
{
	char target[PATH_MAX];
	struct stat st;
	bool exists = false;
	int rc;

	dir_of(path, dir, dirlen);
	if (strcmp(path, "-") == 0)
		return 0;
	rc = resolve(path, target, sizeof(target), &st, &exists);
	if (rc)
		return rc;
	rc = classify(target, &st, exists, dir, dirlen);
	return rc < 0 ? rc : 0;
}

/* A new file gets 0666 minus the umask, as fopen() would give it; a
 * replaced one keeps its mode. */
static mode_t new_mode(const struct stat *st, bool exists)
{
	mode_t mask;

	if (exists)
		return st->st_mode & 07777;
	mask = umask(022);
	umask(mask);
	return 0666 & ~mask;
}

static int open_stream(struct safe_out *o, int fd)
{
	o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!o->f) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	return 0;
}

int safe_out_open(struct safe_out *o, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	bool exists = false;
	int rc, fd;

	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		fflush(stdout);
		snprintf(o->target, sizeof(o->target), "-");
		return open_stream(o, fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
	}
	rc = resolve(path, o->target, sizeof(o->target), &st, &exists);
	if (rc)
		return rc;
	rc = classify(o->target, &st, exists, dir, sizeof(dir));
	if (rc < 0)
		return rc;
	if (rc == 1) /* O_APPEND: no truncation of what a FIFO or device holds */
		return open_stream(o, open(o->target, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_APPEND));
	o->replace = true;
	/* unnamed first: nothing to clean up if we are killed */
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.XXXXXX", o->target) >=
		    (int)sizeof(o->tmp))
			return -ENAMETOOLONG;
		fd = mkostemp(o->tmp, O_CLOEXEC);
	}
	if (fd < 0) {
		rc = -errno;
		o->tmp[0] = '\0';
		return rc;
	}
	if (fchmod(fd, new_mode(&st, exists)) == 0 && (rc = open_stream(o, fd)) == 0)
		return 0;
	if (!rc) {
		rc = -errno;
		close(fd);
	}
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
	return rc;
}

/* Give the unnamed temp file of o a name beside the target. 0 or a
 * negative errno. */
static int name_tmpfile(struct safe_out *o)
{
	char proc[64];
	int e = EEXIST;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(o->f));
	for (unsigned i = 0; i < 100 && e == EEXIST; i++) {
		if (snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d.%u", o->target, (int)getpid(), i) >=
		    (int)sizeof(o->tmp)) {
			e = ENAMETOOLONG;
			break;
		}
		if (linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		e = errno;
	}
	o->tmp[0] = '\0'; /* nothing of ours has that name */
	return -e;
}

int safe_out_commit(struct safe_out *o)
{
	int rc = 0;

	if (!o->f)
		return -EBADF;
	if (fflush(o->f) || ferror(o->f))
		rc = errno ? -errno : -EIO;
	if (!rc && o->replace && fsync(fileno(o->f)))
		rc = -errno;
	if (!rc && o->replace && !o->tmp[0])
		rc = name_tmpfile(o);
	if (fclose(o->f) && !rc)
		rc = -errno;
	o->f = NULL;
	if (!rc && o->replace && rename(o->tmp, o->target))
		rc = -errno;
	if (rc && o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
	o->replace = false;
	return rc;
}

void safe_out_abort(struct safe_out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
	o->replace = false;
}

int safe_write_file(const char *path, int (*write)(FILE *f, void *arg), void *arg)
{
	struct safe_out o;
	int rc = safe_out_open(&o, path);

	if (rc)
		return rc;
	errno = 0;
	rc = write(o.f, arg);
	if (rc) {
		/* a writer reports a stream error as -EIO; the failed write
		 * left the real cause (ENOSPC, ...) in errno */
		if (rc == -EIO && ferror(o.f) && errno > 0)
			rc = -errno;
		safe_out_abort(&o);
		return rc;
	}
	return safe_out_commit(&o);
}

int safe_open_input(const char *path, size_t max, const volatile sig_atomic_t *stop)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else /* O_NONBLOCK: a FIFO must not wait for a writer before its type is known */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = errno;

		if (fd != STDIN_FILENO)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -SAFE_ENOTPIPE;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		if (fd != STDIN_FILENO)
			close(fd);
		return -EFBIG;
	}
	if (fd == STDIN_FILENO)
		return fd;
	if (S_ISFIFO(st.st_mode)) {
		/* a named FIFO: wait for its writer like a plain open() would
		 * (a non-blocking reader would see EOF before it came) */
		close(fd);
		while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
			if (stop && *stop)
				return -EINTR;
		return fd < 0 ? -errno : fd;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int safe_read_all(const char *path, size_t max, const volatile sig_atomic_t *stop, char **buf,
                  size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	size_t cap = 0, n = 0;
	char *b = NULL;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	fd = safe_open_input(path, max, stop);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t got;

		if (stop && *stop) {
			rc = -EINTR;
			goto out;
		}
		if (n == cap) {
			size_t want = cap ? 2 * cap : 65536;
			char *p;

			if (want > max + 1)
				want = max + 1; /* one byte over the limit tells "too big" */
			if (want <= n) {
				rc = -EFBIG;
				goto out;
			}
			p = realloc(b, want + 1);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			b = p;
			cap = want;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue; /* the stop flag decides */
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	if (!b && !(b = malloc(1))) {
		rc = -ENOMEM;
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	if (!is_stdin)
		close(fd);
	return rc;
}

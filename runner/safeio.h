/* safeio.h - the one way concbench writes an output file and reads an
 * input file whole. Part of the workload API (image --save, --url-file);
 * implemented in base/safeio.c; the runner includes it as base/safeio.h.
 *
 * Writing (--csv, --json, --trace, report -o, image --save, ...): a regular
 * file (or a new one) is replaced atomically: the data goes to a temp file
 * in the same directory (unnamed, O_TMPFILE, where the filesystem has it),
 * is flushed and fsync()ed, and rename()d over the target, so a reader or a crash sees the old file
 * or the whole new one, never half of one. A symlink is followed to its final target, and that
 * target is replaced the same way (the temp file sits in the target's
 * directory), so the link stays a link. A character device, a FIFO and "-"
 * (stdout) are streamed into directly: there is nothing to rename, and a
 * device node is never replaced by a file. A directory, a block device or a
 * socket is refused.
 *
 * Reading: safe_read_all() reads a regular file, a FIFO or a pipe with a
 * byte limit checked while reading, and refuses everything else (a
 * character device such as /dev/zero would never end).
 */
#ifndef CONCBENCH_SAFEIO_H
#define CONCBENCH_SAFEIO_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Codes beside the errnos (returned negated): "not a regular file, FIFO
 * or character device" (writing), "not a regular file or a pipe" (reading). */
#define SAFE_ENOTFILE 4095
#define SAFE_ENOTPIPE 4094

/* One output being written. Fields are private to safeio.c except f. */
struct safe_out {
	FILE *f; /* write the data here */
	char target[PATH_MAX]; /* the file that gets the data (symlinks followed) */
	bool replace; /* a regular target, replaced by rename(); else streamed */
	/* The temp file's name beside target, "" while it has none: where the
	 * filesystem allows, the data goes to an unnamed O_TMPFILE file that
	 * is linked under this name only at commit, so even SIGKILL leaves no
	 * temp file behind. */
	char tmp[PATH_MAX + 32];
};

/* strerror() that also knows SAFE_ENOTFILE and SAFE_ENOTPIPE. `err` is positive or negative.
 * Can't fail. */
const char *safe_strerror(int err);

/* Check now, before any work, that path could be written by
 * safe_out_open(): "-", an existing character device or FIFO, or a regular
 * file (existing or not, through any symlinks) in an existing writable
 * directory. 0, -EISDIR, -SAFE_ENOTFILE (block device, socket), -ENOENT or
 * -ENOTDIR (no such directory), -EACCES (directory not writable), -ELOOP.
 * dir (dirlen bytes) gets the directory that was checked. */
int safe_out_check(const char *path, char *dir, size_t dirlen);

/* Start writing path (see the top of this file). A FIFO's open waits for a
 * reader (SIGINT/SIGTERM interrupt the wait: -EINTR). 0 with o->f open, or
 * a negative errno (as safe_out_check) with nothing created. */
int safe_out_open(struct safe_out *o, const char *path);

/* Finish: flush (and for a regular file fsync and rename over the target).
 * 0, or a negative errno (-ENOSPC, -EIO, ...) after which the temp file is
 * gone and a regular target is untouched. o->f is closed either way. */
int safe_out_commit(struct safe_out *o);

/* Give up: close o->f and remove the temp file; the target is untouched
 * (a stream keeps what was written). Safe on a closed or zeroed o. */
void safe_out_abort(struct safe_out *o);

/* Open path, write(f, arg) into it and commit. write returns 0 or a
 * negative errno. 0 or a negative errno; nothing half-written is left. */
int safe_write_file(const char *path, int (*write)(FILE *f, void *arg), void *arg);

/* Open path ("-": stdin, returned as is) for reading a bounded input: a
 * regular file of at most max bytes (by its size), a FIFO (waiting for its
 * writer; -EINTR when `stop` becomes set meanwhile) or a pipe; -EISDIR,
 * -SAFE_ENOTPIPE (a device: /dev/zero would never end) or -EFBIG
 * otherwise. The reader still counts what a pipe delivers. A blocking fd
 * (the caller closes it unless it is stdin) or a negative errno. */
int safe_open_input(const char *path, size_t max, const volatile sig_atomic_t *stop);

/* Read path ("-": stdin) whole into a malloc()ed, NUL-terminated *buf of
 * *len bytes (excluding the NUL; the caller frees it). Only a regular file,
 * a FIFO or a pipe is read (-EISDIR, -SAFE_ENOTPIPE otherwise); one over max bytes
 * is refused with -EFBIG as soon as it is seen, before reading on (a
 * regular file by its size, before reading at all). When `stop` is given
 * and becomes non-zero (a signal arrived), returns -EINTR promptly, also
 * from a read blocked on an empty pipe when the signal handler does not
 * restart system calls. 0 or a negative errno; *buf is NULL on failure. */
int safe_read_all(const char *path, size_t max, const volatile sig_atomic_t *stop, char **buf,
                  size_t *len);

#endif

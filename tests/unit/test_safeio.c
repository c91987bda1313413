/* safeio: bounded reads and the atomic writer's contract. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runner/base/safeio.h"

static char dir[] = "/tmp/safeio-test.XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

TestSuite(safeio, .init = make_dir, .fini = remove_dir);

Test(safeio, read_all_is_bounded_while_reading_a_pipe)
{
	char *buf;
	size_t len;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	cr_assert_eq(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	cr_assert_eq(safe_read_all("-", 9, NULL, &buf, &len), -EFBIG);
	cr_assert_null(buf);
}

Test(safeio, read_all_reads_a_file_up_to_the_limit_and_refuses_devices)
{
	char path[64], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/a", dir);
	put(path, "0123456789");
	cr_assert_eq(safe_read_all(path, 10, NULL, &buf, &len), 0);
	cr_assert_eq(len, 10);
	cr_assert_str_eq(buf, "0123456789");
	free(buf);
	cr_assert_eq(safe_read_all(path, 9, NULL, &buf, &len), -EFBIG);
	cr_assert_eq(safe_read_all("/dev/zero", 1 << 20, NULL, &buf, &len), -SAFE_ENOTPIPE);
	cr_assert_eq(safe_read_all(dir, 1 << 20, NULL, &buf, &len), -EISDIR);
}

Test(safeio, read_all_stops_when_the_flag_is_set)
{
	volatile sig_atomic_t stop = 15;
	char path[64], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/a", dir);
	put(path, "x");
	cr_assert_eq(safe_read_all(path, 10, &stop, &buf, &len), -EINTR);
	cr_assert_null(buf);
}

static int write_abc(FILE *f, void *arg)
{
	(void)arg;
	fputs("abc", f);
	return 0;
}

static int write_fails(FILE *f, void *arg)
{
	(void)arg;
	fputs("half", f);
	return -EIO;
}

Test(safeio, a_failed_write_leaves_the_old_file_and_no_temp_file)
{
	char path[64], *buf, cmd[128];
	size_t len;

	snprintf(path, sizeof(path), "%s/out", dir);
	put(path, "old");
	cr_assert_eq(safe_write_file(path, write_fails, NULL), -EIO);
	cr_assert_eq(safe_read_all(path, 100, NULL, &buf, &len), 0);
	cr_assert_str_eq(buf, "old");
	free(buf);
	snprintf(cmd, sizeof(cmd), "test \"$(ls %s)\" = out", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(safe_write_file(path, write_abc, NULL), 0);
	cr_assert_eq(safe_read_all(path, 100, NULL, &buf, &len), 0);
	cr_assert_str_eq(buf, "abc");
	free(buf);
}

Test(safeio, a_symlink_is_written_through_and_stays_a_link)
{
	char link[64], target[64], *buf;
	struct stat st;
	size_t len;

	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	cr_assert_eq(symlink("target", link), 0);
	cr_assert_eq(safe_write_file(link, write_abc, NULL), 0);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(safe_read_all(target, 100, NULL, &buf, &len), 0);
	cr_assert_str_eq(buf, "abc");
	free(buf);
	cr_assert_eq(safe_out_check(dir, target, sizeof(target)), -EISDIR);
}

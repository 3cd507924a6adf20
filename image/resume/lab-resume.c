/*
 * lab-resume: what a guest restored from a snapshot needs before anyone uses it.
 *
 *   lab-resume SECONDS NANOSECONDS SEED_HEX [AUTHORIZED_KEY_HEX]
 *
 * A restored guest wakes with the snapshot's wall clock and the snapshot's
 * random state: every restore of one snapshot would hand out the same
 * "random" bytes (ssh session keys, ASLR, mkstemp names). So it sets
 * CLOCK_REALTIME to the host's time, adds the host's SEED (credited: it comes
 * from the host's CSPRNG) to the input pool, and forces the kernel's CRNG to
 * reseed now (RNDRESEEDCRNG): without that the CRNG keeps the snapshot's key
 * until its next scheduled reseed, up to a minute later. What vmgenid does
 * for a kernel built with CONFIG_VMGENID, for any kernel lab builds.
 * On Debian it is also given the lab's ssh public key, which becomes root's
 * one authorized key: the snapshot's is the key of the lab that saved it.
 * Its arguments are digits and hex so that the agent passes them as they are.
 * Built statically on the host so the same binary runs on either rootfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/random.h>

#define SEED_MAX 256
#define KEY_MAX 4096

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex of at most max bytes into out; the byte count, or -1. */
static long from_hex(const char *hex, unsigned char *out, size_t max)
{
	size_t len = strlen(hex), i;

	if (len == 0 || len % 2 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

static int fail(const char *what)
{
	fprintf(stderr, "lab-resume: %s: %s\n", what, strerror(errno));
	return 1;
}

/* root's authorized_keys becomes key alone, written whole then renamed into place. */
static int install_key(const unsigned char *key, size_t len)
{
	const char *tmp = "/root/.ssh/.authorized_keys.lab-resume";
	int fd;

	umask(077);
	if (mkdir("/root/.ssh", 0700) && errno != EEXIST)
		return fail("/root/.ssh");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(tmp);
	if (write(fd, key, len) != (ssize_t)len || close(fd))
		return fail(tmp);
	if (rename(tmp, "/root/.ssh/authorized_keys"))
		return fail("/root/.ssh/authorized_keys");
	return 0;
}

int main(int argc, char **argv)
{
	struct {
		struct rand_pool_info info;
		unsigned char bytes[SEED_MAX];
	} seed;
	struct timespec now;
	unsigned char key[KEY_MAX];
	long seed_len, key_len = -1;
	char *end;
	int fd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: lab-resume SECONDS NANOSECONDS SEED_HEX [AUTHORIZED_KEY_HEX]\n");
		return 2;
	}
	now.tv_sec = strtoll(argv[1], &end, 10);
	if (*end || now.tv_sec <= 0) {
		fprintf(stderr, "lab-resume: %s is not a time in seconds\n", argv[1]);
		return 2;
	}
	now.tv_nsec = strtol(argv[2], &end, 10);
	if (*end || now.tv_nsec < 0 || now.tv_nsec > 999999999) {
		fprintf(stderr, "lab-resume: %s is not a count of nanoseconds\n", argv[2]);
		return 2;
	}
	seed_len = from_hex(argv[3], seed.bytes, SEED_MAX);
	if (seed_len < 0) {
		fprintf(stderr, "lab-resume: the seed is 1 to %d bytes of lowercase hex\n", SEED_MAX);
		return 2;
	}
	if (argc == 5) {
		key_len = from_hex(argv[4], key, KEY_MAX);
		if (key_len < 0) {
			fprintf(stderr, "lab-resume: the key is 1 to %d bytes of lowercase hex\n", KEY_MAX);
			return 2;
		}
	}

	if (clock_settime(CLOCK_REALTIME, &now))
		return fail("clock_settime");
	fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("/dev/urandom");
	seed.info.buf_size = (int)seed_len;
	seed.info.entropy_count = seed.info.buf_size * 8;
	if (ioctl(fd, RNDADDENTROPY, &seed.info))
		return fail("RNDADDENTROPY");
	if (ioctl(fd, RNDRESEEDCRNG))
		return fail("RNDRESEEDCRNG");
	close(fd);
	return key_len < 0 ? 0 : install_key(key, (size_t)key_len);
}

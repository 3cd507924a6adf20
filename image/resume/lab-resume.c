/*
 * lab-resume: what a guest restored from a snapshot needs before anyone uses it.
 *
 *   lab-resume SECONDS NANOSECONDS SEED_HEX
 *
 * A restored guest wakes with the snapshot's wall clock and the snapshot's
 * random state: every restore of one snapshot would hand out the same
 * "random" bytes (ssh session keys, ASLR, mkstemp names). So it sets
 * CLOCK_REALTIME to the host's time, adds the host's SEED (credited: it comes
 * from the host's CSPRNG) to the input pool, and forces the kernel's CRNG to
 * reseed now (RNDRESEEDCRNG): without that the CRNG keeps the snapshot's key
 * until its next scheduled reseed, up to a minute later. What vmgenid does
 * for a kernel built with CONFIG_VMGENID, for any kernel lab builds.
 * Built statically on the host so the same binary runs on either rootfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/random.h>

#define SEED_MAX 256

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int fail(const char *what)
{
	fprintf(stderr, "lab-resume: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct {
		struct rand_pool_info info;
		unsigned char bytes[SEED_MAX];
	} seed;
	struct timespec now;
	char *end;
	size_t hex_len, i;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: lab-resume SECONDS NANOSECONDS SEED_HEX\n");
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
	hex_len = strlen(argv[3]);
	if (hex_len == 0 || hex_len % 2 || hex_len / 2 > SEED_MAX) {
		fprintf(stderr, "lab-resume: the seed is 1 to %d bytes of hex\n", SEED_MAX);
		return 2;
	}
	for (i = 0; i < hex_len / 2; i++) {
		int hi = hex_value(argv[3][2 * i]), lo = hex_value(argv[3][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "lab-resume: the seed is not lowercase hex\n");
			return 2;
		}
		seed.bytes[i] = (unsigned char)(hi << 4 | lo);
	}

	if (clock_settime(CLOCK_REALTIME, &now))
		return fail("clock_settime");
	fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("/dev/urandom");
	seed.info.buf_size = (int)(hex_len / 2);
	seed.info.entropy_count = seed.info.buf_size * 8;
	if (ioctl(fd, RNDADDENTROPY, &seed.info))
		return fail("RNDADDENTROPY");
	if (ioctl(fd, RNDRESEEDCRNG))
		return fail("RNDRESEEDCRNG");
	close(fd);
	return 0;
}

/*
 * fragmenter: fragments physical memory on purpose, for compaction experiments.
 *
 * It maps and touches SIZE MiB of anonymous memory with transparent huge pages
 * disabled for the mapping (MADV_NOHUGEPAGE before the first touch: touched THPs
 * would come back as whole 2 MiB blocks), then unmaps part of every 2 MiB chunk
 * in a pattern, so the pages it frees cannot merge back into large buddies while
 * it holds the rest. It reports what it did as one JSON line, then holds the
 * memory until killed or --hold seconds pass.
 *
 *   fragmenter --mib 1200 --pattern alternate --hold 600
 *
 * Patterns: alternate (free every other page), quarter (keep one page in
 * four), sparse (keep one page in every 2 MiB chunk).
 * Built statically on the host so the same binary runs on either rootfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void usage(const char *why)
{
	fprintf(stderr, "fragmenter: %s\nusage: fragmenter --mib N [--pattern alternate|quarter|sparse] [--hold SECONDS]\n", why);
	exit(2);
}

int main(int argc, char **argv)
{
	long mib = 0, hold = -1;
	const char *pattern = "alternate";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pattern") && i + 1 < argc)
			pattern = argv[++i];
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = strtol(argv[++i], NULL, 10);
		else
			usage("unknown argument");
	}
	if (mib <= 0)
		usage("--mib must be a positive number of MiB");

	long keep_every;
	if (!strcmp(pattern, "alternate"))
		keep_every = 2;
	else if (!strcmp(pattern, "quarter"))
		keep_every = 4;
	else if (!strcmp(pattern, "sparse"))
		keep_every = 512;
	else
		usage("--pattern is alternate, quarter or sparse");

	const long page = sysconf(_SC_PAGESIZE);
	const size_t size = (size_t)mib << 20;
	char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "fragmenter: mmap %ld MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	if (madvise(base, size, MADV_NOHUGEPAGE))
		fprintf(stderr, "fragmenter: madvise(MADV_NOHUGEPAGE): %s (continuing)\n", strerror(errno));

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const long pages = size / page;
	for (long p = 0; p < pages; p++)
		base[p * page] = (char)p;

	long kept = 0, freed = 0;
	for (long p = 0; p < pages; p++) {
		if (p % keep_every == 0) {
			kept++;
			continue;
		}
		if (munmap(base + p * page, page)) {
			fprintf(stderr, "fragmenter: munmap: %s\n", strerror(errno));
			return 1;
		}
		freed++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("{\"pid\":%d,\"mapped_mib\":%ld,\"pattern\":\"%s\",\"page_size\":%ld,\"kept_pages\":%ld,\"freed_pages\":%ld,\"kept_mib\":%.1f,\"seconds\":%.3f}\n",
	       getpid(), mib, pattern, page, kept, freed, kept * (double)page / (1 << 20), secs);
	fflush(stdout);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (hold < 0) {
		while (!stop)
			pause();
	} else {
		for (long s = 0; s < hold && !stop; s++)
			sleep(1);
	}
	return 0;
}

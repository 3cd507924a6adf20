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
 *   fragmenter --free-percent 90 --pattern alternate
 *   fragmenter --thp-mib 256 --hold 30
 *   fragmenter --free-percent 96 --page-cache-mib 64
 *
 * Patterns: alternate (free every other page), quarter (keep one page in
 * four), sparse (keep one page in every 2 MiB chunk). --free-percent sizes the
 * mapping from MemAvailable. --thp-mib instead maps a region that asks for
 * transparent huge pages (MADV_HUGEPAGE) and touches it: the allocation that
 * wakes kcompactd when memory is fragmented and THP defrag is "defer".
 * --page-cache-mib, after fragmenting, writes an unlinked file of that size
 * and syncs it, then holds it open: clean page cache, as a real machine has,
 * which kswapd can reclaim. kswapd woken for a huge page wakes kcompactd only
 * once one pass has reclaimed compact_gap(9) = 4 MiB (or it has failed 16
 * times); a guest just after drop_caches may have barely that.
 * Built statically on the host so the same binary runs on either rootfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void usage(const char *why)
{
	fprintf(stderr, "fragmenter: %s\nusage: fragmenter (--mib N | --free-percent P | --thp-mib N) [--pattern alternate|quarter|sparse] [--page-cache-mib N] [--hold SECONDS]\n", why);
	exit(2);
}

static long meminfo_kib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char name[64];
	long value = -1, v;
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld kB\n", name, &v) == 2) {
		if (!strncmp(name, key, strlen(key)) && name[strlen(key)] == ':') {
			value = v;
			break;
		}
	}
	fclose(f);
	return value;
}

static void hold_until(long hold)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (hold < 0) {
		while (!stop)
			pause();
	} else {
		for (long s = 0; s < hold && !stop; s++)
			sleep(1);
	}
}

/*
 * Fills the page cache with MiB of clean pages of a file nobody else can see
 * (O_TMPFILE, or a name unlinked at once): the file goes when the process does.
 * Returns the MiB filled: 0 where files live in memory (an initramfs), since
 * without swap nothing could reclaim them; -1 on an error.
 */
static long page_cache_fill(long mib)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp" };
	static char chunk[1 << 20];
	int fd = -1;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs && fd < 0; i++) {
		fd = open(dirs[i], O_TMPFILE | O_RDWR, 0600);
		if (fd < 0) {
			char name[64];
			snprintf(name, sizeof name, "%s/fragmenter-cache-XXXXXX", dirs[i]);
			fd = mkstemp(name);
			if (fd >= 0)
				unlink(name);
		}
	}
	if (fd < 0) {
		fprintf(stderr, "fragmenter: no file for --page-cache-mib in /var/tmp or /tmp: %s\n", strerror(errno));
		return -1;
	}
	struct statfs fs;
	if (!fstatfs(fd, &fs) && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)) {
		fprintf(stderr, "fragmenter: /var/tmp and /tmp are in memory here: no reclaimable page cache to add\n");
		close(fd);
		return 0;
	}
	memset(chunk, 0x5a, sizeof chunk);
	for (long m = 0; m < mib; m++) {
		errno = 0;
		if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
			fprintf(stderr, "fragmenter: writing the page cache file: %s\n", errno ? strerror(errno) : "short write");
			close(fd);
			return -1;
		}
	}
	if (fdatasync(fd)) {
		fprintf(stderr, "fragmenter: fdatasync of the page cache file: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return mib; /* fd stays open: the file and its pages live as long as we do */
}

/* Touches a THP-eligible region and reports how much of it came as huge pages. */
static int thp_touch(long mib, long hold)
{
	const size_t huge = 2UL << 20, size = (size_t)mib << 20;
	char *raw = mmap(NULL, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		fprintf(stderr, "fragmenter: mmap %ld MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	char *base = (char *)(((unsigned long)raw + huge - 1) & ~(huge - 1));
	if (madvise(base, size, MADV_HUGEPAGE))
		fprintf(stderr, "fragmenter: madvise(MADV_HUGEPAGE): %s (continuing)\n", strerror(errno));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t off = 0; off < size; off += 4096)
		base[off] = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long anon_huge_kib = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "AnonHugePages: %ld kB", &anon_huge_kib) == 1)
				break;
		fclose(f);
	}
	printf("{\"pid\":%d,\"thp_mib\":%ld,\"anon_huge_mib\":%ld,\"seconds\":%.3f}\n", getpid(), mib, anon_huge_kib >> 10,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	hold_until(hold);
	return 0;
}

int main(int argc, char **argv)
{
	long mib = 0, hold = -1, free_percent = 0, thp_mib = 0, cache_mib = 0;
	const char *pattern = "alternate";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pattern") && i + 1 < argc)
			pattern = argv[++i];
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--free-percent") && i + 1 < argc)
			free_percent = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--thp-mib") && i + 1 < argc)
			thp_mib = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--page-cache-mib") && i + 1 < argc)
			cache_mib = strtol(argv[++i], NULL, 10);
		else
			usage("unknown argument");
	}
	if (cache_mib < 0 || cache_mib > 4096)
		usage("--page-cache-mib is 0 to 4096");
	if (thp_mib > 0)
		return thp_touch(thp_mib, hold);
	if (free_percent > 0) {
		if (free_percent > 98)
			usage("--free-percent is at most 98");
		long avail = meminfo_kib("MemAvailable");
		if (avail < 0)
			usage("cannot read MemAvailable from /proc/meminfo");
		mib = avail / 1024 * free_percent / 100;
	}
	if (mib <= 0)
		usage("--mib (or --free-percent) must be a positive number of MiB");

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
		if (madvise(base + p * page, page, MADV_DONTNEED)) {
			fprintf(stderr, "fragmenter: madvise(MADV_DONTNEED): %s\n", strerror(errno));
			return 1;
		}
		freed++;
	}
	if (cache_mib > 0 && (cache_mib = page_cache_fill(cache_mib)) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("{\"pid\":%d,\"mapped_mib\":%ld,\"pattern\":\"%s\",\"page_size\":%ld,\"kept_pages\":%ld,\"freed_pages\":%ld,\"kept_mib\":%.1f,\"page_cache_mib\":%ld,\"seconds\":%.3f}\n",
	       getpid(), mib, pattern, page, kept, freed, kept * (double)page / (1 << 20), cache_mib, secs);
	fflush(stdout);

	hold_until(hold);
	return 0;
}

/*
 * gapwatch: the guest's view of a live migration's downtime. Sleeps 1 ms again and again and
 * measures, on CLOCK_MONOTONIC, how long each sleep really took; once a second it prints the
 * longest one of that second, less the 1 ms asked for:
 *
 *   gapwatch max_us N
 *
 * With "write MIB", a child process also writes non-zero data into MIB MiB of memory: one word
 * per 4 KiB page, the whole buffer, then a 100 ms sleep, again and again (every page dirty at
 * each sweep: about 10 sweeps a second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void writer(size_t mib) {
    size_t size = mib << 20;
    volatile unsigned long *buf = malloc(size);
    if (!buf) { perror("gapwatch: malloc"); exit(1); }
    struct timespec pause = {0, 100 * 1000000L};
    for (unsigned long round = 1;; round++) {
        for (size_t off = 0; off < size / sizeof *buf; off += 4096 / sizeof *buf) buf[off] = round * 2654435761UL + off;
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "write") == 0 && fork() == 0) writer((size_t) atol(argv[2]));
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec ms = {0, 1000000L};
    long long second = now_us(), last = second, worst = 0;
    for (;;) {
        nanosleep(&ms, NULL);
        long long t = now_us(), gap = t - last - 1000;
        last = t;
        if (gap > worst) worst = gap;
        if (t - second >= 1000000) {
            printf("gapwatch max_us %lld\n", worst);
            worst = 0;
            second = t;
        }
    }
}

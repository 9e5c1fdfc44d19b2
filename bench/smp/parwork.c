/*
 * A CPU-bound parallel guest workload for the SMP speedup benchmark: a fixed amount of work
 * (integer arithmetic, branches and loads/stores on a small private buffer) split evenly over
 * THREADS threads that share nothing. Prints the elapsed time the guest measured.
 *
 *   parwork THREADS [MILLIONS_OF_ROUNDS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long rounds_per_thread;
static uint64_t results[64];

static void *work(void *arg) {
    long id = (long) arg;
    uint64_t buf[512] = {0}, x = 0x9e3779b97f4a7c15ull + (uint64_t) id, sum = 0;
    for (long i = 0; i < rounds_per_thread; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned) (x & 511);
        buf[k] += x;
        sum += buf[(k * 7) & 511] & 0xff ? x >> 3 : x * 5;
    }
    results[id] = sum;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    long millions = argc > 2 ? atol(argv[2]) : 20;
    if (threads < 1 || threads > 64) threads = 1;
    rounds_per_thread = millions * 1000000 / threads;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pthread_t t[64];
    for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, work, (void *) i);
    uint64_t all = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        all ^= results[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    printf("parwork: %d threads, %ld M rounds: %.0f ms (checksum %llx)\n", threads, millions, ms,
           (unsigned long long) all);
    return 0;
}

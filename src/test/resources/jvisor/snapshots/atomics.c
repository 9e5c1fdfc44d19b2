/* Four threads count with AMOs (fetch-add) and with LR/SC (compare-and-swap loops) into shared
 * counters; the totals are exact only if every atomic stayed atomic. Built static at test time
 * by riscv64-linux-gnu-gcc and run in the guest from a 9p share. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long amo, cas;
static long rounds;

static void *count(void *arg) {
    (void) arg;
    for (long i = 0; i < rounds; i++) {
        __atomic_fetch_add(&amo, 1, __ATOMIC_SEQ_CST);
        long old = __atomic_load_n(&cas, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas, &old, old + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) { }
    }
    return NULL;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atol(argv[1]) : 1000000;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, count, NULL);
    printf("counting\n");
    fflush(stdout);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("totals %ld %ld\n", amo, cas);
    return 0;
}

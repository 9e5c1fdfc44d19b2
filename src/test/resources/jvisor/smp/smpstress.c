/*
 * SMP stress test for jvisor guests (issue 5). Threads, pinned one per CPU in turn, hammer shared
 * counters with AMOs, with LR/SC loops and under a pthread mutex, then pass messages through
 * shared memory ordered only by fences. Every total must come out exact.
 *
 *   smpstress [THREADS [ITERATIONS]]      (defaults: one thread per online CPU, 100000)
 *
 * Prints one line per test and "smpstress: PASS" or "smpstress: FAIL"; exits 0 only on PASS.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int threads;
static long iterations;
static pthread_barrier_t start;

static volatile uint64_t amo64_counter;
static volatile uint32_t amo32_counter;
static volatile uint64_t amo_or_bits;
static volatile uint64_t lrsc_counter;
static volatile uint32_t lrsc32_counter;
static uint64_t mutex_counter;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t swap_lock, swap_locked_counter;

static void pin(int i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(i % sysconf(_SC_NPROCESSORS_ONLN), &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void lrsc_add64(volatile uint64_t *p, uint64_t v) {
    uint64_t old, fail;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   add %1, %0, %3\n"
                     "   sc.d %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(fail) : "r"(p), "r"(v) : "memory");
}

static void lrsc_add32(volatile uint32_t *p, uint32_t v) {
    uint32_t old, fail;
    __asm__ volatile("1: lr.w.aqrl %0, (%2)\n"
                     "   addw %1, %0, %3\n"
                     "   sc.w.aqrl %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(fail) : "r"(p), "r"(v) : "memory");
}

/* A test-and-set lock from amoswap.d.aq / a release store: a plain counter inside it. */
static void swap_lock_acquire(void) {
    uint64_t one = 1, old;
    do {
        __asm__ volatile("amoswap.d.aq %0, %2, (%1)" : "=r"(old) : "r"(&swap_lock), "r"(one) : "memory");
    } while (old != 0);
}

static void swap_lock_release(void) {
    __asm__ volatile("fence rw, w\n sd zero, (%0)" : : "r"(&swap_lock) : "memory");
}

static void *counting(void *arg) {
    int id = (int) (intptr_t) arg;
    pin(id);
    pthread_barrier_wait(&start);
    for (long i = 0; i < iterations; i++) {
        __atomic_fetch_add(&amo64_counter, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&amo32_counter, 3, __ATOMIC_SEQ_CST);
        if (i < 64) __atomic_fetch_or(&amo_or_bits, 1ull << ((id * 64 + i) % 64), __ATOMIC_RELAXED);
        lrsc_add64(&lrsc_counter, 1);
        lrsc_add32(&lrsc32_counter, 1);
        if ((i & 3) == 0) {
            pthread_mutex_lock(&mutex);
            mutex_counter++;
            pthread_mutex_unlock(&mutex);
            swap_lock_acquire();
            swap_locked_counter = swap_locked_counter + 1;
            swap_lock_release();
        }
    }
    return NULL;
}

/*
 * Two threads hand rounds 1..n over through shared memory ordered only by fences: the producer
 * writes a round's payload, "fence w,w", then the round number; the consumer waits for it,
 * "fence r,r", checks the payload, and acknowledges the same way. Without the fences, RVWMO would
 * let the consumer see the new round number with an old payload.
 */
struct handoff {
    void (*produce)(uint64_t round);
    int (*consume)(uint64_t round); /* returns 1 if the payload was right */
    long rounds;
    volatile uint64_t seq, ack;
    long errors;
};

static void *producer(void *arg) {
    struct handoff *h = arg;
    pin(0);
    pthread_barrier_wait(&start);
    for (uint64_t s = 1; s <= (uint64_t) h->rounds; s++) {
        while (h->ack != s - 1) { }
        __asm__ volatile("fence r, rw" ::: "memory");
        h->produce(s);
        __asm__ volatile("fence w, w" ::: "memory");
        h->seq = s;
    }
    return NULL;
}

static void *consumer(void *arg) {
    struct handoff *h = arg;
    pin(1);
    pthread_barrier_wait(&start);
    for (uint64_t s = 1; s <= (uint64_t) h->rounds; s++) {
        while (h->seq != s) { }
        __asm__ volatile("fence r, r" ::: "memory");
        if (!h->consume(s)) h->errors++;
        __asm__ volatile("fence rw, w" ::: "memory");
        h->ack = s;
    }
    return NULL;
}

static void run_handoff(struct handoff *h) {
    pthread_t p, c;
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&p, NULL, producer, h);
    pthread_create(&c, NULL, consumer, h);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    pthread_barrier_destroy(&start);
}

/* Message passing: a payload of several words derived from the round. */
#define WORDS 8
static volatile uint64_t msg[WORDS];

static void write_message(uint64_t s) {
    for (int w = 0; w < WORDS; w++) msg[w] = s * 0x9e3779b97f4a7c15ull + w;
}

static int read_message(uint64_t s) {
    int ok = 1;
    for (int w = 0; w < WORDS; w++) ok &= msg[w] == s * 0x9e3779b97f4a7c15ull + w;
    return ok;
}

/*
 * Cross-modifying code: the producer rewrites a tiny function ("li a0, N; ret") and makes every
 * hart's instruction fetch see it (__builtin___clear_cache: the riscv_flush_icache system call,
 * a remote fence.i); the consumer, on another CPU, calls it and must get N back.
 */
static uint32_t *code;

static void write_code(uint64_t s) {
    code[0] = 0x00000513u | (uint32_t) (s & 0x7ff) << 20; /* addi a0, zero, s & 0x7ff */
    code[1] = 0x00008067u;                                 /* ret */
    __builtin___clear_cache((char *) code, (char *) (code + 2));
}

static int run_code(uint64_t s) {
    return ((long (*)(void)) code)() == (long) (s & 0x7ff);
}

static int check(const char *what, uint64_t got, uint64_t want) {
    printf("%-14s %llu (expected %llu) %s\n", what, (unsigned long long) got, (unsigned long long) want,
           got == want ? "ok" : "WRONG");
    return got == want;
}

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : (int) sysconf(_SC_NPROCESSORS_ONLN);
    iterations = argc > 2 ? atol(argv[2]) : 100000;
    if (threads < 2) threads = 2;
    pthread_t t[64];
    if (threads > 64) threads = 64;

    pthread_barrier_init(&start, NULL, threads);
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, counting, (void *) (intptr_t) i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    struct handoff messages = {.produce = write_message, .consume = read_message, .rounds = iterations};
    run_handoff(&messages);

    code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    struct handoff rewrites = {.produce = write_code, .consume = run_code, .rounds = iterations / 50};
    run_handoff(&rewrites);

    uint64_t n = (uint64_t) threads * iterations, quarter = (uint64_t) threads * ((iterations + 3) / 4);
    int ok = 1;
    ok &= check("amoadd.d", amo64_counter, n);
    ok &= check("amoadd.w", amo32_counter, (uint32_t) (3 * n));
    ok &= check("amoor.d", amo_or_bits, ~0ull);
    ok &= check("lr/sc.d", lrsc_counter, n);
    ok &= check("lr/sc.w", lrsc32_counter, (uint32_t) n);
    ok &= check("mutex", mutex_counter, quarter);
    ok &= check("amoswap-lock", swap_locked_counter, quarter);
    ok &= check("msg-errors", (uint64_t) messages.errors, 0);
    ok &= check("msg-count", messages.ack, (uint64_t) messages.rounds);
    ok &= check("xmodify-errors", (uint64_t) rewrites.errors, 0);
    ok &= check("xmodify-count", rewrites.ack, (uint64_t) rewrites.rounds);
    printf("smpstress: %d threads x %ld: %s\n", threads, iterations, ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

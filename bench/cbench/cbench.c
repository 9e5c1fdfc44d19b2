/*
 * jvisor's CPU benchmark: four parts, each timed by the program's own clock, on fixed
 * pseudo-random inputs; every result is folded into one 64-bit checksum printed at the end, which
 * must be the same on every system that runs it (RISC-V guest, qemu-riscv64, the host).
 *
 *   int     64-bit multiply/rotate/xor mixing with divisions by a varying divisor, and a
 *           table-driven CRC-32 over a 64 KiB buffer
 *   memory  a pointer chase around one scrambled cycle through 32 MiB, then a streaming
 *           a[i] = b[i] + 3*c[i] over three 16 MiB arrays
 *   branch  a quicksort of pseudo-random keys, and a switch-dispatched bytecode interpreter
 *           running Collatz walks
 *   fp      a Mandelbrot grid and a five-body gravity simulation in double precision (only +, -,
 *           *, / and sqrt, all exactly rounded by IEEE 754; build with -ffp-contract=off so no
 *           compiler fuses them and every system rounds the same)
 *
 *   cbench [SCALE]   SCALE in percent of the default work (100), for quick checks
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t scale = 100;

static uint64_t work(uint64_t n) { return n * scale / 100 ? n * scale / 100 : 1; }

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

/* Folds a value into a running hash (the finalizer of splitmix64 after an xor). */
static uint64_t fold(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ h >> 31;
}

/* xorshift64: the inputs of every part. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- int ---------------------------------------------------------------------------------- */

static uint64_t part_int(void) {
    uint64_t h = 0x243f6a8885a308d3ull, x = 1;
    uint64_t n = work(60000000);
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = (x ^ x >> 29) * 0xbf58476d1ce4e5b9ull;
        v ^= v >> 32;
        uint64_t d = 1000003 + (i & 255); /* a divisor that changes: real divide instructions */
        h = rotl(h ^ v, 23) * 0x100000001b3ull + v % d + (uint32_t) v / (uint32_t) (d >> 4);
    }

    uint32_t table[256];
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ c >> 1 : c >> 1;
        table[b] = c;
    }
    static uint8_t buf[65536];
    rng_state = 0x5eed0001;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t) rnd();
    uint64_t rounds = work(1600);
    for (uint64_t r = 0; r < rounds; r++) {
        uint32_t crc = ~(uint32_t) r;
        for (size_t i = 0; i < sizeof buf; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ crc >> 8;
        h = fold(h, ~crc);
        buf[r & 0xffff] ^= (uint8_t) crc;
    }
    return h;
}

/* ---- memory ------------------------------------------------------------------------------- */

static uint64_t part_memory(void) {
    /* One cycle through all slots in a scrambled order: next[i] = (a * i + c) mod 2^23 with c odd
     * and a = 1 mod 4 has full period (Hull-Dobell), and successive slots lie far apart.
     * Every load depends on the previous one and lands on another cache line and page. */
    const size_t slots = 8u << 20; /* 8 Mi x 4 bytes = 32 MiB */
    uint32_t *next = malloc(slots * sizeof *next);
    if (!next) { perror("cbench"); exit(2); }
    for (size_t i = 0; i < slots; i++)
        next[i] = (uint32_t) ((i * 2862933555777941757ull + 3037000493ull) & (slots - 1));
    uint64_t h = 0, steps = work(3000000);
    uint32_t p = 0;
    for (uint64_t s = 0; s < steps; s++) {
        p = next[p];
        h += p;
    }
    h = fold(h, p);
    free(next);

    /* Streaming: a[i] = b[i] + 3 * c[i] over arrays far larger than any cache. */
    const size_t n = 2u << 20; /* 2 Mi x 8 bytes = 16 MiB each */
    uint64_t *a = malloc(n * 8), *b = malloc(n * 8), *c = malloc(n * 8);
    if (!a || !b || !c) { perror("cbench"); exit(2); }
    for (size_t i = 0; i < n; i++) {
        b[i] = i * 0x9e3779b97f4a7c15ull;
        c[i] = i ^ 0x5555;
    }
    uint64_t passes = work(3);
    for (uint64_t r = 0; r < passes; r++) {
        for (size_t i = 0; i < n; i++) a[i] = b[i] + 3 * c[i];
        uint64_t *t = b; /* rotate the roles so every pass reads what the last wrote */
        b = a;
        a = c;
        c = t;
    }
    for (size_t i = 0; i < n; i += 4099) h = fold(h, a[i] ^ b[i] ^ c[i]);
    free(a);
    free(b);
    free(c);
    return h;
}

/* ---- branch ------------------------------------------------------------------------------- */

static void quicksort(uint32_t *v, long lo, long hi) {
    while (hi - lo > 16) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; } else { quicksort(v, i, hi); hi = j; }
    }
    for (long i = lo + 1; i <= hi; i++) { /* insertion sort for the short runs */
        uint32_t t = v[i];
        long k = i - 1;
        while (k >= lo && v[k] > t) { v[k + 1] = v[k]; k--; }
        v[k + 1] = t;
    }
}

/* A register machine's bytecode: op, a, b, c (one byte each). */
enum { LI, ADD, ADDI, SHRI, ANDI, MUL3P1, JZ, JNE, JMP, HALT };

static uint64_t interpret(const uint8_t *code, uint64_t *r) {
    uint64_t executed = 0;
    for (const uint8_t *pc = code;; executed++) {
        switch (pc[0]) {
        case LI: r[pc[1]] = (uint64_t) pc[2] << 8 | pc[3]; pc += 4; break;
        case ADD: r[pc[1]] = r[pc[2]] + r[pc[3]]; pc += 4; break;
        case ADDI: r[pc[1]] = r[pc[2]] + (int8_t) pc[3]; pc += 4; break;
        case SHRI: r[pc[1]] = r[pc[2]] >> pc[3]; pc += 4; break;
        case ANDI: r[pc[1]] = r[pc[2]] & pc[3]; pc += 4; break;
        case MUL3P1: r[pc[1]] = 3 * r[pc[2]] + 1; pc += 4; break;
        case JZ: pc = r[pc[1]] == 0 ? code + 4 * pc[2] : pc + 4; break;
        case JNE: pc = r[pc[1]] != r[pc[2]] ? code + 4 * pc[3] : pc + 4; break;
        case JMP: pc = code + 4 * pc[1]; break;
        default: return executed;
        }
    }
}

static uint64_t part_branch(void) {
    size_t n = work(1500000);
    uint32_t *v = malloc(n * sizeof *v);
    if (!v) { perror("cbench"); exit(2); }
    rng_state = 0x5eed0003;
    for (size_t i = 0; i < n; i++) v[i] = (uint32_t) rnd();
    quicksort(v, 0, (long) n - 1);
    uint64_t h = 0;
    for (size_t i = 1; i < n; i++) {
        if (v[i - 1] > v[i]) { fprintf(stderr, "cbench: sort failed\n"); exit(2); }
        if (i % 1021 == 0) h = fold(h, v[i]);
    }
    free(v);

    /* r1 = n (counts down from the limit in r0), r2 = x, r3 = steps, r4 = 1, r5 = 0, r6 = x & 1 */
    static const uint8_t collatz[] = {
        ADDI, 1, 0, 0,      /*  0: n = limit */
        LI, 3, 0, 0,        /*  1: steps = 0 */
        LI, 4, 0, 1,        /*  2: one = 1 */
        ADDI, 2, 1, 0,      /*  3: loop: x = n */
        JNE, 2, 4, 6,       /*  4: if x != 1 goto walk */
        JMP, 13, 0, 0,      /*  5: goto next */
        ANDI, 6, 2, 1,      /*  6: walk: odd = x & 1 */
        ADDI, 3, 3, 1,      /*  7: steps++ */
        JZ, 6, 11, 0,       /*  8: if !odd goto even */
        MUL3P1, 2, 2, 0,    /*  9: x = 3x + 1 */
        JMP, 4, 0, 0,       /* 10: goto test */
        SHRI, 2, 2, 1,      /* 11: even: x >>= 1 */
        JMP, 4, 0, 0,       /* 12: goto test */
        ADDI, 1, 1, -1,     /* 13: next: n-- */
        JZ, 1, 16, 0,       /* 14: if n == 0 goto done */
        JMP, 3, 0, 0,       /* 15: goto loop */
        HALT, 0, 0, 0,      /* 16: done */
    };
    uint64_t r[8] = {0}, batches = work(4);
    for (uint64_t b = 0; b < batches; b++) {
        r[0] = 20000 + b; /* a different range per batch */
        h = fold(h, interpret(collatz, r));
        h = fold(h, r[3]);
    }
    return h;
}

/* ---- fp ----------------------------------------------------------------------------------- */

static uint64_t bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint64_t part_fp(void) {
    uint64_t h = 0, size = work(600);
    for (uint64_t py = 0; py < size; py++) {
        uint64_t row = 0;
        for (uint64_t px = 0; px < size; px++) {
            double cr = -2.2 + 3.0 * (double) px / (double) size, ci = -1.5 + 3.0 * (double) py / (double) size;
            double zr = 0, zi = 0;
            int k = 0;
            while (k < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k++;
            }
            row = row * 31 + (uint64_t) k;
        }
        h = fold(h, row);
    }

    enum { BODIES = 5 };
    double x[BODIES][3], v[BODIES][3], m[BODIES];
    rng_state = 0x5eed0004;
    for (int i = 0; i < BODIES; i++) {
        m[i] = 1.0 + (double) (rnd() % 1000) / 100.0;
        for (int k = 0; k < 3; k++) {
            x[i][k] = (double) (rnd() % 20000) / 1000.0 - 10.0;
            v[i][k] = (double) (rnd() % 2000) / 10000.0 - 0.1;
        }
    }
    const double dt = 0.001;
    uint64_t steps = work(400000);
    for (uint64_t s = 0; s < steps; s++) {
        for (int i = 0; i < BODIES; i++)
            for (int j = i + 1; j < BODIES; j++) {
                double d[3], r2 = 0.01; /* softened */
                for (int k = 0; k < 3; k++) {
                    d[k] = x[i][k] - x[j][k];
                    r2 += d[k] * d[k];
                }
                double mag = dt / (r2 * __builtin_sqrt(r2));
                for (int k = 0; k < 3; k++) {
                    v[i][k] -= d[k] * m[j] * mag;
                    v[j][k] += d[k] * m[i] * mag;
                }
            }
        for (int i = 0; i < BODIES; i++)
            for (int k = 0; k < 3; k++) x[i][k] += dt * v[i][k];
    }
    for (int i = 0; i < BODIES; i++)
        for (int k = 0; k < 3; k++) h = fold(fold(h, bits(x[i][k])), bits(v[i][k]));
    return h;
}

/* ---- main --------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc > 1) scale = strtoull(argv[1], NULL, 10);
    static const struct { const char *name; uint64_t (*run)(void); } parts[] = {
        {"int", part_int}, {"memory", part_memory}, {"branch", part_branch}, {"fp", part_fp},
    };
    uint64_t sum = 0;
    double total = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        double t0 = now_ms();
        uint64_t h = parts[i].run();
        double ms = now_ms() - t0;
        total += ms;
        sum = fold(sum, h);
        printf("cbench: %-6s %9.1f ms  %016llx\n", parts[i].name, ms, (unsigned long long) h);
        fflush(stdout);
    }
    printf("cbench: total  %9.1f ms\n", total);
    printf("cbench: checksum %016llx (scale %llu)\n", (unsigned long long) sum, (unsigned long long) scale);
    return 0;
}

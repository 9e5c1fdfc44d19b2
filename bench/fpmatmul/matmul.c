/*
 * FP-heavy benchmark: double-precision matrix multiply C = A*B (N x N, REPS times), the inner
 * loop compiling to fld/fmadd.d/fsd. Prints a checksum of C's bits, so a run on jvisor can be
 * checked against the same program under qemu-riscv64. -DBAREMETAL builds the HTIF version
 * (crt0.S and link.ld from tools/fpdiff); otherwise a static Linux program.
 */
#include <stdint.h>

#ifndef N
#define N 160
#endif
#ifndef REPS
#define REPS 4
#endif

#ifdef BAREMETAL
volatile uint64_t tohost __attribute__((section(".tohost"), aligned(8)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(8)));

static void put(char c) {
    fromhost = 0;
    tohost = (1ULL << 56) | (1ULL << 48) | (uint8_t)c; /* HTIF console write */
    while (fromhost == 0) { }
}
#else
static void put(char c) {
    register long a0 __asm__("a0") = 1, a1 __asm__("a1") = (long)&c, a2 __asm__("a2") = 1, a7 __asm__("a7") = 64;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
}
#endif

static double A[N][N], B[N][N], C[N][N];

static void put_hex(uint64_t v) {
    for (int i = 15; i >= 0; i--) put("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
            B[i][j] = (double)((i * 5 + j * 11) % 13) / 3.0 + 0.5;
        }
    uint64_t sum = 0;
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) C[i][j] = 0;
            for (int k = 0; k < N; k++) {
                double a = A[i][k] + r; /* vary the data per repetition */
                for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
            }
        }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                union { double d; uint64_t u; } v = { C[i][j] };
                sum = sum * 31 + v.u;
            }
    }
    put_hex(sum);
    put('\n');
    return 0;
}

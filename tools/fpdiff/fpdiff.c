/*
 * fpdiff: differential test of the RISC-V F and D extensions.
 *
 * Generates NCASES pseudo-random cases (deterministic for a given SEED) over every F/D
 * arithmetic, conversion, compare, sign-injection, classify, move, load and store instruction,
 * runs each on the hart it is running on, and prints one line per case:
 *
 *     <op> <rm><s|d> <a> <b> <c> <result> <fflags>
 *
 * rm is the rounding mode (0..4, '-' for ops without one), s/d tells whether it came from the
 * static rm field or from frm (dyn); a, b, c are the raw 64-bit operands (f registers hold
 * NaN-boxed singles, so single results show their boxing too). Built as a Linux program it runs
 * under qemu-riscv64 as the reference; built with -DBAREMETAL it runs on jvisor in HTIF mode.
 * Operands are made with integer arithmetic only, so both runs see identical inputs.
 */
#include <stdint.h>

#ifndef NCASES
#define NCASES 100000
#endif
#ifndef SEED
#define SEED 1
#endif

/* ------------------------------------------------------------------ output */

#ifdef BAREMETAL
volatile uint64_t tohost __attribute__((section(".tohost"), aligned(8)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(8)));

static void emit(const char *s, int n) {
    for (int i = 0; i < n; i++) {
        fromhost = 0;
        tohost = (1ULL << 56) | (1ULL << 48) | (uint8_t)s[i]; /* device 1 (console), command 1 (write) */
        while (fromhost == 0) { }
    }
}

static void finish(int code) {
    tohost = ((uint64_t)code << 1) | 1;
    for (;;) { }
}
#else
static long sys3(long n, long a, long b, long c) {
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c, a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static char obuf[1 << 16];
static int olen;

static void flush_out(void) {
    int off = 0;
    while (off < olen) {
        long w = sys3(64 /* write */, 1, (long)(obuf + off), olen - off);
        if (w <= 0) break;
        off += (int)w;
    }
    olen = 0;
}

static void emit(const char *s, int n) {
    if (olen + n > (int)sizeof obuf) flush_out();
    for (int i = 0; i < n; i++) obuf[olen++] = s[i];
}

static void finish(int code) {
    flush_out();
    sys3(93 /* exit */, code, 0, 0);
    for (;;) { }
}
#endif

static char line[128];
static int llen;

static void put_ch(char c) { line[llen++] = c; }

static void put_str(const char *s) { while (*s) put_ch(*s++); }

static void put_hex(uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; i--) put_ch("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

/* ------------------------------------------------------------------ random operands */

static uint64_t rng_state = SEED;

static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return rnd() % n; }

/* Double with the given sign, biased exponent and fraction fields. */
static uint64_t mkd(uint64_t s, uint64_t e, uint64_t f) {
    return (s << 63) | ((e & 0x7ff) << 52) | (f & 0xfffffffffffffULL);
}

static uint64_t mks(uint64_t s, uint64_t e, uint64_t f) {
    return (s << 31) | ((e & 0xff) << 23) | (f & 0x7fffff);
}

/* Index of the highest set bit of m != 0 (no libgcc in the bare-metal build). */
static int top_bit(uint64_t m) {
    int t = 0;
    while (m >>= 1) t++;
    return t;
}

/* Integer value m * 2^e (m < 2^62) as a double, truncating extra bits; only exact for small m. */
static uint64_t int_to_d(uint64_t s, uint64_t m, int e) {
    if (m == 0) return s << 63;
    int top = top_bit(m);
    if (top > 52) { m >>= top - 52; e += top - 52; }
    else { m <<= 52 - top; e -= 52 - top; }
    int be = e + 52 + 1023;
    if (be >= 2047) return mkd(s, 2047, 0);
    if (be <= 0) {
        int sh = 1 - be;
        return sh > 53 ? s << 63 : mkd(s, 0, m >> sh);
    }
    return mkd(s, (uint64_t)be, m);
}

static uint64_t int_to_s(uint64_t s, uint64_t m, int e) {
    if (m == 0) return s << 31;
    int top = top_bit(m);
    if (top > 23) { m >>= top - 23; e += top - 23; }
    else { m <<= 23 - top; e -= 23 - top; }
    int be = e + 23 + 127;
    if (be >= 255) return mks(s, 255, 0);
    if (be <= 0) {
        int sh = 1 - be;
        return sh > 24 ? s << 31 : mks(s, 0, m >> sh);
    }
    return mks(s, (uint64_t)be, m);
}

static const uint64_t special_d[] = {
    0x0000000000000000ULL, 0x0000000000000001ULL, 0x000fffffffffffffULL, 0x0010000000000000ULL,
    0x0010000000000001ULL, 0x7fefffffffffffffULL, 0x7fe0000000000000ULL, 0x3ff0000000000000ULL,
    0x3ff0000000000001ULL, 0x3fefffffffffffffULL, 0x3fe0000000000000ULL, 0x7ff0000000000000ULL,
    0x7ff8000000000000ULL, 0x7ff8000000000123ULL, 0x7ff0000000000001ULL, 0x7ff4000000000000ULL,
    0x41e0000000000000ULL, 0x41dfffffffc00000ULL, 0x41f0000000000000ULL, 0x41efffffffe00000ULL,
    0x43e0000000000000ULL, 0x43f0000000000000ULL, 0x43dfffffffffffffULL, 0x43efffffffffffffULL,
    0x4330000000000000ULL, 0x4340000000000000ULL, 0x3ca0000000000000ULL, 0x0008000000000000ULL,
    0x36a0000000000000ULL, 0x47efffffe0000000ULL, 0x47effffff0000000ULL, 0x3810000000000000ULL,
    0x380fffffe0000000ULL, 0x380ffffff0000000ULL, 0x36a8000000000000ULL, 0x41e0000000100000ULL,
};

static const uint32_t special_s[] = {
    0x00000000, 0x00000001, 0x007fffff, 0x00800000, 0x00800001, 0x7f7fffff, 0x7f000000, 0x3f800000,
    0x3f800001, 0x3f7fffff, 0x3f000000, 0x7f800000, 0x7fc00000, 0x7fc00123, 0x7f800001, 0x7fa00000,
    0x4f000000, 0x4effffff, 0x4f800000, 0x4f7fffff, 0x5f000000, 0x5f800000, 0x5effffff, 0x5f7fffff,
    0x4b000000, 0x4b800000, 0x33800000, 0x00400000, 0x34000000, 0x3effffff,
};

#define NSPECIAL_D (sizeof special_d / sizeof special_d[0])
#define NSPECIAL_S (sizeof special_s / sizeof special_s[0])

/* A biased random double: specials, tiny, huge, near one, integer-ish, halfway and raw bits. */
static uint64_t gen_d(void) {
    uint64_t s = rnd() & 1, f = rnd();
    switch (below(12)) {
    case 0: case 1: return special_d[below(NSPECIAL_D)] | (s << 63);
    case 2: return mkd(s, below(3), f);                          /* subnormal or smallest normals */
    case 3: return mkd(s, 2046 - below(3), f);                   /* near overflow */
    case 4: return mkd(s, 1023 - 4 + below(9), f);               /* around one */
    case 5: return int_to_d(s, below(1000), 0);                  /* small integers */
    case 6: return int_to_d(s, 2 * below(1ULL << (1 + below(62))) + 1, -1); /* n + 0.5 */
    case 7: return mkd(s, 1023 + 20 + below(50), f);             /* near the integer limits */
    case 8: return mkd(s, 1023 - 1022 + below(60), f & (~0ULL << below(53))); /* tiny, few bits */
    case 9: return mkd(s, 1023 - 30 + below(60), f & (~0ULL << (40 + below(13)))); /* short mantissas */
    default: return rnd();
    }
}

static uint64_t gen_s_raw(void) {
    uint64_t s = rnd() & 1, f = rnd();
    switch (below(12)) {
    case 0: case 1: return special_s[below(NSPECIAL_S)] | (s << 31);
    case 2: return mks(s, below(3), f);
    case 3: return mks(s, 254 - below(3), f);
    case 4: return mks(s, 127 - 4 + below(9), f);
    case 5: return int_to_s(s, below(1000), 0);
    case 6: return int_to_s(s, 2 * below(1ULL << (1 + below(30))) + 1, -1);
    case 7: return mks(s, 127 + 20 + below(45), f);
    case 8: return mks(s, 1 + below(30), f & (~0ULL << below(24)));
    case 9: return mks(s, 127 - 20 + below(40), f & (~0ULL << (12 + below(12))));
    default: return rnd() & 0xffffffffULL;
    }
}

/* A single in an f register: properly NaN-boxed, except now and then. */
static uint64_t box_s(uint64_t v) {
    switch (below(40)) {
    case 0: return v;                                /* upper half zero */
    case 1: return (rnd() << 32) | v;                /* random upper half */
    case 2: return 0x7fffffff00000000ULL | v;        /* almost boxed */
    default: return 0xffffffff00000000ULL | v;
    }
}

static uint64_t gen_s(void) { return box_s(gen_s_raw()); }

/* A double near b scaled or negated, so sums cancel or land on halfway points. */
static uint64_t related_d(uint64_t a) {
    uint64_t e = (a >> 52) & 0x7ff;
    switch (below(5)) {
    case 0: return a ^ (1ULL << 63);
    case 1: return (a ^ (1ULL << 63)) + below(5) - 2;
    case 2: return mkd(rnd() & 1, e > 60 ? e - 50 - below(8) : 0, below(2) ? 0 : rnd());
    case 3: return mkd(rnd() & 1, e > 60 ? e - 50 - below(8) : 0, below(2) ? 0 : 1ULL << 51);
    default: return a + below(5) - 2;
    }
}

static uint64_t related_s(uint64_t a) {
    uint64_t e = (a >> 23) & 0xff;
    switch (below(5)) {
    case 0: return a ^ (1ULL << 31);
    case 1: return ((a ^ (1ULL << 31)) + below(5) - 2) & 0xffffffffULL;
    case 2: return mks(rnd() & 1, e > 30 ? e - 21 - below(8) : 0, below(2) ? 0 : rnd());
    case 3: return mks(rnd() & 1, e > 30 ? e - 21 - below(8) : 0, below(2) ? 0 : 1ULL << 22);
    default: return (a + below(5) - 2) & 0xffffffffULL;
    }
}

static uint64_t gen_int(void) {
    int64_t v;
    switch (below(10)) {
    case 0: v = (int64_t)below(5) - 2; break;
    case 1: v = 0x7fffffffLL - (int64_t)below(3); break;
    case 2: v = -0x80000000LL + (int64_t)below(3); break;
    case 3: v = 0xffffffffLL - (int64_t)below(3); break;
    case 4: v = (int64_t)(0x7fffffffffffffffULL - below(3)); break;
    case 5: v = (int64_t)(0x8000000000000000ULL + below(3)); break;
    case 6: v = (int64_t)((1ULL << (24 + below(40))) + below(5) - 2); break;
    case 7: v = (int64_t)(rnd() >> below(64)); break;
    default: v = (int64_t)rnd(); break;
    }
    if (below(2)) v = -v;
    return (uint64_t)v;
}

/* ------------------------------------------------------------------ running instructions */

enum kind { F1, F2, F3, FI, LD, ST };  /* operands: 1-3 FP regs, an integer reg, load, store */

struct op { const char *name; int kind; int rm; int single; };

enum {
    FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S, FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S,
    FSGNJ_S, FSGNJN_S, FSGNJX_S, FMIN_S, FMAX_S, FEQ_S, FLT_S, FLE_S, FCLASS_S,
    FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S, FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU,
    FMV_X_W, FMV_W_X, FCVT_S_D, FLW, FSW,
    FADD_D, FSUB_D, FMUL_D, FDIV_D, FSQRT_D, FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D,
    FSGNJ_D, FSGNJN_D, FSGNJX_D, FMIN_D, FMAX_D, FEQ_D, FLT_D, FLE_D, FCLASS_D,
    FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D, FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU,
    FMV_X_D, FMV_D_X, FCVT_D_S, FLD, FSD, NOPS
};

static const struct op ops[NOPS] = {
    [FADD_S] = {"fadd.s", F2, 1, 1}, [FSUB_S] = {"fsub.s", F2, 1, 1}, [FMUL_S] = {"fmul.s", F2, 1, 1},
    [FDIV_S] = {"fdiv.s", F2, 1, 1}, [FSQRT_S] = {"fsqrt.s", F1, 1, 1},
    [FMADD_S] = {"fmadd.s", F3, 1, 1}, [FMSUB_S] = {"fmsub.s", F3, 1, 1},
    [FNMSUB_S] = {"fnmsub.s", F3, 1, 1}, [FNMADD_S] = {"fnmadd.s", F3, 1, 1},
    [FSGNJ_S] = {"fsgnj.s", F2, 0, 1}, [FSGNJN_S] = {"fsgnjn.s", F2, 0, 1}, [FSGNJX_S] = {"fsgnjx.s", F2, 0, 1},
    [FMIN_S] = {"fmin.s", F2, 0, 1}, [FMAX_S] = {"fmax.s", F2, 0, 1},
    [FEQ_S] = {"feq.s", F2, 0, 1}, [FLT_S] = {"flt.s", F2, 0, 1}, [FLE_S] = {"fle.s", F2, 0, 1},
    [FCLASS_S] = {"fclass.s", F1, 0, 1},
    [FCVT_W_S] = {"fcvt.w.s", F1, 1, 1}, [FCVT_WU_S] = {"fcvt.wu.s", F1, 1, 1},
    [FCVT_L_S] = {"fcvt.l.s", F1, 1, 1}, [FCVT_LU_S] = {"fcvt.lu.s", F1, 1, 1},
    [FCVT_S_W] = {"fcvt.s.w", FI, 1, 1}, [FCVT_S_WU] = {"fcvt.s.wu", FI, 1, 1},
    [FCVT_S_L] = {"fcvt.s.l", FI, 1, 1}, [FCVT_S_LU] = {"fcvt.s.lu", FI, 1, 1},
    [FMV_X_W] = {"fmv.x.w", F1, 0, 1}, [FMV_W_X] = {"fmv.w.x", FI, 0, 1},
    [FCVT_S_D] = {"fcvt.s.d", F1, 1, 0}, [FLW] = {"flw", LD, 0, 1}, [FSW] = {"fsw", ST, 0, 1},
    [FADD_D] = {"fadd.d", F2, 1, 0}, [FSUB_D] = {"fsub.d", F2, 1, 0}, [FMUL_D] = {"fmul.d", F2, 1, 0},
    [FDIV_D] = {"fdiv.d", F2, 1, 0}, [FSQRT_D] = {"fsqrt.d", F1, 1, 0},
    [FMADD_D] = {"fmadd.d", F3, 1, 0}, [FMSUB_D] = {"fmsub.d", F3, 1, 0},
    [FNMSUB_D] = {"fnmsub.d", F3, 1, 0}, [FNMADD_D] = {"fnmadd.d", F3, 1, 0},
    [FSGNJ_D] = {"fsgnj.d", F2, 0, 0}, [FSGNJN_D] = {"fsgnjn.d", F2, 0, 0}, [FSGNJX_D] = {"fsgnjx.d", F2, 0, 0},
    [FMIN_D] = {"fmin.d", F2, 0, 0}, [FMAX_D] = {"fmax.d", F2, 0, 0},
    [FEQ_D] = {"feq.d", F2, 0, 0}, [FLT_D] = {"flt.d", F2, 0, 0}, [FLE_D] = {"fle.d", F2, 0, 0},
    [FCLASS_D] = {"fclass.d", F1, 0, 0},
    [FCVT_W_D] = {"fcvt.w.d", F1, 1, 0}, [FCVT_WU_D] = {"fcvt.wu.d", F1, 1, 0},
    [FCVT_L_D] = {"fcvt.l.d", F1, 1, 0}, [FCVT_LU_D] = {"fcvt.lu.d", F1, 1, 0},
    [FCVT_D_W] = {"fcvt.d.w", FI, 1, 0}, [FCVT_D_WU] = {"fcvt.d.wu", FI, 1, 0},
    [FCVT_D_L] = {"fcvt.d.l", FI, 1, 0}, [FCVT_D_LU] = {"fcvt.d.lu", FI, 1, 0},
    [FMV_X_D] = {"fmv.x.d", F1, 0, 0}, [FMV_D_X] = {"fmv.d.x", FI, 0, 0},
    [FCVT_D_S] = {"fcvt.d.s", F1, 1, 1}, [FLD] = {"fld", LD, 0, 0}, [FSD] = {"fsd", ST, 0, 0},
};

static uint64_t a, b, c, r, fl;
static uint64_t mem[2];

/* Result in ft3 (FP destination) or directly in %[r] (integer destination). */
#define FPIN "fsflags zero\n\tfmv.d.x ft0,%[a]\n\tfmv.d.x ft1,%[b]\n\tfmv.d.x ft2,%[c]\n\t"
#define FF(I) __asm__ volatile(FPIN I "\n\tfmv.x.d %[r],ft3\n\tfrflags %[fl]" \
    : [r] "=&r"(r), [fl] "=&r"(fl) : [a] "r"(a), [b] "r"(b), [c] "r"(c) : "ft0", "ft1", "ft2", "ft3")
#define XF(I) __asm__ volatile(FPIN I "\n\tfrflags %[fl]" \
    : [r] "=&r"(r), [fl] "=&r"(fl) : [a] "r"(a), [b] "r"(b), [c] "r"(c) : "ft0", "ft1", "ft2", "ft3")
#define FX(I) __asm__ volatile("fsflags zero\n\t" I "\n\tfmv.x.d %[r],ft3\n\tfrflags %[fl]" \
    : [r] "=&r"(r), [fl] "=&r"(fl) : [a] "r"(a) : "ft3")

/* Expands an instruction once per rounding-mode suffix; sel 0..4 static, 7 dynamic. */
#define RM(T, I) switch (sel) { \
    case 0: T(I ",rne"); break; case 1: T(I ",rtz"); break; case 2: T(I ",rdn"); break; \
    case 3: T(I ",rup"); break; case 4: T(I ",rmm"); break; default: T(I ",dyn"); break; }

/* The same for conversions the assembler takes no rm for (they are exact): encode the rm field. */
#define RMI(T, F7, OPS) switch (sel) { \
    case 0: T(".insn r 0x53,0," F7 "," OPS); break; case 1: T(".insn r 0x53,1," F7 "," OPS); break; \
    case 2: T(".insn r 0x53,2," F7 "," OPS); break; case 3: T(".insn r 0x53,3," F7 "," OPS); break; \
    case 4: T(".insn r 0x53,4," F7 "," OPS); break; default: T(".insn r 0x53,7," F7 "," OPS); break; }

static void run(int op, int sel) {
    switch (op) {
    case FADD_S: RM(FF, "fadd.s ft3,ft0,ft1"); break;
    case FSUB_S: RM(FF, "fsub.s ft3,ft0,ft1"); break;
    case FMUL_S: RM(FF, "fmul.s ft3,ft0,ft1"); break;
    case FDIV_S: RM(FF, "fdiv.s ft3,ft0,ft1"); break;
    case FSQRT_S: RM(FF, "fsqrt.s ft3,ft0"); break;
    case FMADD_S: RM(FF, "fmadd.s ft3,ft0,ft1,ft2"); break;
    case FMSUB_S: RM(FF, "fmsub.s ft3,ft0,ft1,ft2"); break;
    case FNMSUB_S: RM(FF, "fnmsub.s ft3,ft0,ft1,ft2"); break;
    case FNMADD_S: RM(FF, "fnmadd.s ft3,ft0,ft1,ft2"); break;
    case FSGNJ_S: FF("fsgnj.s ft3,ft0,ft1"); break;
    case FSGNJN_S: FF("fsgnjn.s ft3,ft0,ft1"); break;
    case FSGNJX_S: FF("fsgnjx.s ft3,ft0,ft1"); break;
    case FMIN_S: FF("fmin.s ft3,ft0,ft1"); break;
    case FMAX_S: FF("fmax.s ft3,ft0,ft1"); break;
    case FEQ_S: XF("feq.s %[r],ft0,ft1"); break;
    case FLT_S: XF("flt.s %[r],ft0,ft1"); break;
    case FLE_S: XF("fle.s %[r],ft0,ft1"); break;
    case FCLASS_S: XF("fclass.s %[r],ft0"); break;
    case FCVT_W_S: RM(XF, "fcvt.w.s %[r],ft0"); break;
    case FCVT_WU_S: RM(XF, "fcvt.wu.s %[r],ft0"); break;
    case FCVT_L_S: RM(XF, "fcvt.l.s %[r],ft0"); break;
    case FCVT_LU_S: RM(XF, "fcvt.lu.s %[r],ft0"); break;
    case FCVT_S_W: RM(FX, "fcvt.s.w ft3,%[a]"); break;
    case FCVT_S_WU: RM(FX, "fcvt.s.wu ft3,%[a]"); break;
    case FCVT_S_L: RM(FX, "fcvt.s.l ft3,%[a]"); break;
    case FCVT_S_LU: RM(FX, "fcvt.s.lu ft3,%[a]"); break;
    case FMV_X_W: XF("fmv.x.w %[r],ft0"); break;
    case FMV_W_X: FX("fmv.w.x ft3,%[a]"); break;
    case FCVT_S_D: RM(FF, "fcvt.s.d ft3,ft0"); break;
    case FADD_D: RM(FF, "fadd.d ft3,ft0,ft1"); break;
    case FSUB_D: RM(FF, "fsub.d ft3,ft0,ft1"); break;
    case FMUL_D: RM(FF, "fmul.d ft3,ft0,ft1"); break;
    case FDIV_D: RM(FF, "fdiv.d ft3,ft0,ft1"); break;
    case FSQRT_D: RM(FF, "fsqrt.d ft3,ft0"); break;
    case FMADD_D: RM(FF, "fmadd.d ft3,ft0,ft1,ft2"); break;
    case FMSUB_D: RM(FF, "fmsub.d ft3,ft0,ft1,ft2"); break;
    case FNMSUB_D: RM(FF, "fnmsub.d ft3,ft0,ft1,ft2"); break;
    case FNMADD_D: RM(FF, "fnmadd.d ft3,ft0,ft1,ft2"); break;
    case FSGNJ_D: FF("fsgnj.d ft3,ft0,ft1"); break;
    case FSGNJN_D: FF("fsgnjn.d ft3,ft0,ft1"); break;
    case FSGNJX_D: FF("fsgnjx.d ft3,ft0,ft1"); break;
    case FMIN_D: FF("fmin.d ft3,ft0,ft1"); break;
    case FMAX_D: FF("fmax.d ft3,ft0,ft1"); break;
    case FEQ_D: XF("feq.d %[r],ft0,ft1"); break;
    case FLT_D: XF("flt.d %[r],ft0,ft1"); break;
    case FLE_D: XF("fle.d %[r],ft0,ft1"); break;
    case FCLASS_D: XF("fclass.d %[r],ft0"); break;
    case FCVT_W_D: RM(XF, "fcvt.w.d %[r],ft0"); break;
    case FCVT_WU_D: RM(XF, "fcvt.wu.d %[r],ft0"); break;
    case FCVT_L_D: RM(XF, "fcvt.l.d %[r],ft0"); break;
    case FCVT_LU_D: RM(XF, "fcvt.lu.d %[r],ft0"); break;
    case FCVT_D_W: RMI(FX, "0x69", "ft3,%[a],x0"); break;
    case FCVT_D_WU: RMI(FX, "0x69", "ft3,%[a],x1"); break;
    case FCVT_D_L: RM(FX, "fcvt.d.l ft3,%[a]"); break;
    case FCVT_D_LU: RM(FX, "fcvt.d.lu ft3,%[a]"); break;
    case FMV_X_D: XF("fmv.x.d %[r],ft0"); break;
    case FMV_D_X: FX("fmv.d.x ft3,%[a]"); break;
    case FCVT_D_S: RMI(FF, "0x21", "ft3,ft0,f0"); break;
    case FLW:
        mem[0] = a;
        __asm__ volatile("flw ft3,%[m]\n\tfmv.x.d %[r],ft3" : [r] "=r"(r) : [m] "m"(mem[0]) : "ft3");
        fl = 0;
        break;
    case FLD:
        mem[0] = a;
        __asm__ volatile("fld ft3,%[m]\n\tfmv.x.d %[r],ft3" : [r] "=r"(r) : [m] "m"(mem[0]) : "ft3");
        fl = 0;
        break;
    case FSW:
        mem[0] = ~0ULL;
        __asm__ volatile("fmv.d.x ft3,%[a]\n\tfsw ft3,%[m]" : [m] "+m"(mem[0]) : [a] "r"(a) : "ft3");
        r = mem[0];
        fl = 0;
        break;
    case FSD:
        mem[0] = 0;
        __asm__ volatile("fmv.d.x ft3,%[a]\n\tfsd ft3,%[m]" : [m] "+m"(mem[0]) : [a] "r"(a) : "ft3");
        r = mem[0];
        fl = 0;
        break;
    }
}

/* Operands for one case: biased values, often related to each other. */
static void make_operands(int op) {
    const struct op *o = &ops[op];
    if (o->kind == FI) {
        a = gen_int();
        if (below(4) == 0) a ^= rnd() << 32; /* 32-bit sources must ignore the upper half */
        b = c = 0;
        return;
    }
    if (o->kind == LD || o->kind == ST) {
        a = below(2) ? rnd() : (o->single ? gen_s() : gen_d());
        b = c = 0;
        return;
    }
    int single = o->single && op != FCVT_S_D;
    if (op == FCVT_D_S) single = 1;
    if (single) {
        uint64_t x = gen_s_raw(), y = below(3) ? gen_s_raw() : related_s(x), z;
        if (o->kind == F3 && below(3) == 0) {
            /* an addend that nearly cancels x*y: exact product of short mantissas, nudged */
            uint64_t mx = rnd() & 0xfff, my = rnd() & 0xfff;
            int ex = (int)below(40) - 20, ey = (int)below(40) - 20;
            x = int_to_s(rnd() & 1, mx, ex);
            y = int_to_s(rnd() & 1, my, ey);
            uint64_t p = mx * my;
            z = int_to_s(((x ^ y) >> 31 & 1) ^ 1, p + below(3) - 1 + (below(2) ? 0 : rnd() % 3), ex + ey);
        } else {
            z = below(3) ? gen_s_raw() : related_s(x);
        }
        a = box_s(x); b = box_s(y); c = box_s(z);
    } else {
        uint64_t x = gen_d(), y = below(3) ? gen_d() : related_d(x), z;
        if (o->kind == F3 && below(3) == 0) {
            uint64_t mx = rnd() & 0x3ffffff, my = rnd() & 0x3ffffff;
            int ex = (int)below(200) - 100, ey = (int)below(200) - 100;
            if (below(4) == 0) { ex -= 1000; ey += 40; }  /* near the subnormal range */
            x = int_to_d(rnd() & 1, mx, ex);
            y = int_to_d(rnd() & 1, my, ey);
            z = int_to_d(((x ^ y) >> 63) ^ 1, mx * my + below(3) - 1, ex + ey);
            if (below(2)) z = int_to_d(((x ^ y) >> 63) ^ 1, (mx * my) >> below(30), ex + ey + (int)below(30));
        } else {
            z = below(3) ? gen_d() : related_d(x);
        }
        a = x; b = y; c = z;
    }
    if (o->kind == F1) b = c = 0;
    if (o->kind == F2) c = 0;
}

int main(void) {
    for (long n = 0; n < NCASES; n++) {
        int op = (int)below(NOPS);
        const struct op *o = &ops[op];
        int mode = (int)below(5);
        int dynamic = o->rm && below(2);
        /* frm holds the mode for dyn, and some other valid mode when the static field rules */
        uint64_t frm = dynamic ? (uint64_t)mode : below(5);
        __asm__ volatile("fsrm %0" : : "r"(frm));
        make_operands(op);
        run(op, dynamic ? 7 : mode);
        llen = 0;
        put_str(o->name);
        put_ch(' ');
        if (o->rm) { put_ch((char)('0' + mode)); put_ch(dynamic ? 'd' : 's'); }
        else put_str("--");
        put_ch(' '); put_hex(a, 16);
        put_ch(' '); put_hex(b, 16);
        put_ch(' '); put_hex(c, 16);
        put_ch(' '); put_hex(r, 16);
        put_ch(' '); put_hex(fl, 2);
        put_ch('\n');
        emit(line, llen);
    }
    llen = 0;
    put_str("done\n");
    emit(line, llen);
    finish(0);
    return 0;
}

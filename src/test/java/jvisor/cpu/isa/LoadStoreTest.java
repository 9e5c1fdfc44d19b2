package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.runOk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RV64I loads and stores of every width: sign and zero extension, little-endian byte order,
 * immediates at both ends of their range, and misaligned accesses (which jvisor performs in
 * hardware, as the spec allows for main memory) within a page and across a 4 KiB boundary.
 */
class LoadStoreTest {
    /** 24 distinct bytes; the sign bits vary at every width and alignment. */
    static final int[] BYTES = {
        0x87, 0x86, 0x05, 0x84, 0x03, 0xf2, 0x71, 0x80, 0x09, 0xaa, 0x7b, 0xcc, 0x0d, 0xee, 0x7f, 0x90,
        0x11, 0x92, 0x13, 0x94, 0x15, 0x96, 0x17, 0x98,
    };

    enum Load {
        LB(1, true), LH(2, true), LW(4, true), LD(8, true), LBU(1, false), LHU(2, false), LWU(4, false);

        final int size;
        final boolean signed;

        Load(int size, boolean signed) { this.size = size; this.signed = signed; }

        /** The architectural result of loading {@code bytes} at {@code off}. */
        long expect(int[] bytes, int off) {
            long v = 0;
            for (int k = size - 1; k >= 0; k--) v = v << 8 | bytes[off + k];
            int unused = 64 - 8 * size;
            return unused == 0 ? v : signed ? v << unused >> unused : v;
        }
    }

    static String dataBlock(String label, int[] bytes) {
        StringBuilder s = new StringBuilder(".pushsection .data\n.balign 8\n").append(label).append(":\n");
        for (int b : bytes) s.append(".byte ").append(b).append('\n');
        return s.append(".popsection\n").toString();
    }

    @ParameterizedTest
    @EnumSource(Load.class)
    void loadsAtEveryAlignment(Load op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\nla a1, data\nli a4, 2048\nadd a5, a1, a4\n");
        for (int off = 0; off + op.size <= 16; off++) p.append(mn).append(" a2, ").append(off).append("(a1)\nSAVE a2\n");
        // the same bytes again through negative immediates from -2048 (a5 = data + 2048)
        for (int off = 0; off + op.size <= 16; off++) p.append(mn).append(" a2, ").append(off - 2048).append("(a5)\nSAVE a2\n");
        p.append(dataBlock("data", BYTES));
        var r = runOk(p.toString());
        int k = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int off = 0; off + op.size <= 16; off++) {
                assertHex(op.expect(BYTES, off), r.saved(k++), mn + " at data+" + off + (pass == 1 ? " via negative offset" : ""));
            }
        }
    }

    @Test
    void largestPositiveOffset() {
        var r = runOk("""
                .option norvc
                la a1, data
                addi a1, a1, -2040
                ld a2, 2040(a1)
                SAVE a2
                lw a2, 2044(a1)
                SAVE a2
                lb a2, 2047(a1)
                SAVE a2
                la a1, data
                ld a1, 0(a1)            # rd == rs1
                SAVE a1
                """ + dataBlock("data", BYTES));
        assertHex(Load.LD.expect(BYTES, 0), r.saved(0), "ld 2040");
        assertHex(Load.LW.expect(BYTES, 4), r.saved(1), "lw 2044");
        assertHex(Load.LB.expect(BYTES, 7), r.saved(2), "lb 2047");
        assertHex(Load.LD.expect(BYTES, 0), r.saved(3), "ld a1, 0(a1)");
    }

    enum Store {
        SB(1), SH(2), SW(4), SD(8);

        final int size;

        Store(int size) { this.size = size; }
    }

    static final long STORED = 0x0102_0304_0506_0708L;

    /** A 24-byte buffer of 0xff with {@code size} little-endian bytes of {@link #STORED} at {@code off}. */
    static long[] afterStore(int size, int off) {
        int[] b = new int[24];
        java.util.Arrays.fill(b, 0xff);
        for (int k = 0; k < size; k++) b[off + k] = (int) (STORED >>> (8 * k)) & 0xff;
        long[] words = new long[3];
        for (int w = 0; w < 3; w++) words[w] = Load.LD.expect(b, 8 * w);
        return words;
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void storesAtEveryAlignment(Store op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\nla a1, buf\nli a3, -1\nli a2, 0x0102030405060708\n");
        for (int off = 0; off + op.size <= 16; off++) {
            p.append("sd a3, 0(a1)\nsd a3, 8(a1)\nsd a3, 16(a1)\n")
                    .append(mn).append(" a2, ").append(off).append("(a1)\n")
                    .append("ld a4, 0(a1)\nSAVE a4\nld a4, 8(a1)\nSAVE a4\nld a4, 16(a1)\nSAVE a4\n");
        }
        p.append(".pushsection .data\n.balign 8\nbuf: .space 24\n.popsection\n");
        var r = runOk(p.toString());
        int k = 0;
        for (int off = 0; off + op.size <= 16; off++) {
            long[] want = afterStore(op.size, off);
            for (int w = 0; w < 3; w++) assertHex(want[w], r.saved(k++), mn + " at buf+" + off + ": dword " + w);
        }
    }

    @Test
    void storeOfTheBaseRegisterAndNegativeOffset() {
        var r = runOk("""
                .option norvc
                la a1, buf + 2048
                sd a1, -2048(a1)        # rs1 == rs2
                la a2, buf
                ld a3, 0(a2)
                SAVE a3
                SAVE a1
                sw a1, -2044(a1)
                lwu a3, 4(a2)
                SAVE a3
                .pushsection .data
                .balign 8
            buf: .space 16
                .popsection
                """);
        assertHex(r.saved(1), r.saved(0), "sd a1, -2048(a1)");
        assertHex(r.saved(1) & 0xffff_ffffL, r.saved(2), "sw a1, -2044(a1)");
    }

    /**
     * Every width at every offset that straddles a page boundary, in bare M-mode: loads see the
     * little-endian value, stores change exactly their bytes on both pages. Each access runs twice
     * so the second one starts with both pages in the TLB.
     */
    @Test
    void misalignedAcrossPageBoundary() {
        // The pattern starts 16 bytes before a page boundary; a1 points 8 bytes into it.
        StringBuilder p = new StringBuilder(".option norvc\nla a1, pattern + 8\nli a3, -1\nli a2, 0x0102030405060708\n");
        int[] widths = {2, 4, 8};
        for (Load op : Load.values()) {
            if (op.size == 1) continue;
            for (int j = 1; j < op.size; j++) {
                int off = 16 - j; // pattern index: the access starts j bytes before the boundary
                for (int twice = 0; twice < 2; twice++) {
                    p.append(op.name().toLowerCase()).append(" a4, ").append(off - 8).append("(a1)\nSAVE a4\n");
                }
            }
        }
        for (int size : widths) {
            String mn = size == 2 ? "sh" : size == 4 ? "sw" : "sd";
            for (int j = 1; j < size; j++) {
                int off = 16 - j;
                for (int twice = 0; twice < 2; twice++) {
                    p.append("sd a3, -8(a1)\nsd a3, 0(a1)\nsd a3, 8(a1)\n")
                            .append(mn).append(" a2, ").append(off - 8).append("(a1)\n")
                            .append("ld a4, -8(a1)\nSAVE a4\nld a4, 0(a1)\nSAVE a4\nld a4, 8(a1)\nSAVE a4\n");
                }
            }
        }
        p.append(".pushsection .data\n.balign 4096\n.space 4096 - 16\npattern:\n");
        for (int b : BYTES) p.append(".byte ").append(b).append('\n');
        p.append(".popsection\n");
        var r = runOk(p.toString());
        int k = 0;
        for (Load op : Load.values()) {
            if (op.size == 1) continue;
            for (int j = 1; j < op.size; j++) {
                for (int twice = 0; twice < 2; twice++) {
                    assertHex(op.expect(BYTES, 16 - j), r.saved(k++),
                            op.name().toLowerCase() + " starting " + j + " bytes before a page boundary");
                }
            }
        }
        for (int size : widths) {
            for (int j = 1; j < size; j++) {
                long[] want = afterStore(size, 16 - j);
                for (int twice = 0; twice < 2; twice++) {
                    for (int w = 0; w < 3; w++) {
                        assertHex(want[w], r.saved(k++), size + "-byte store starting " + j
                                + " bytes before a page boundary: dword " + w);
                    }
                }
            }
        }
    }
}

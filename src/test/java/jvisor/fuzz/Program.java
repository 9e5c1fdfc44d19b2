package jvisor.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A generated program and where it lives. Both environments load the same image at the same
 * addresses (a static ELF for qemu-riscv64, physical RAM for jvisor), so code and data addresses
 * that end up in registers agree:
 *
 * <pre>
 *   0x8000_0000  STUB   jvisor only: M-mode setup and the trap handler that ends the run
 *   0x8000_1000  CODE   prologue (registers from INIT), the random body, epilogue (dump, exit)
 *   0x8001_0000  INIT   initial x1..x31, f0..f31 and fcsr
 *   0x8001_1000  DATA   4 pages the body loads from and stores to; sp = DATA + 0x2000 throughout
 *   0x8001_5000  DUMP   the epilogue's x0..x31, f0..f31, fcsr; at +0x400 jvisor's trap log
 *   0x8020_0000  jvisor's Sv39 page tables when the body runs in U-mode (not in the image)
 * </pre>
 *
 * The epilogue writes DATA and DUMP to stdout (write syscall) and exits; on jvisor its first
 * ecall traps to the stub's handler, which powers the machine off, and the same bytes are read
 * from RAM.
 */
final class Program {
    static final long STUB = 0x8000_0000L, CODE = 0x8000_1000L, INIT = 0x8001_0000L;
    static final long DATA = 0x8001_1000L, DUMP = 0x8001_5000L, END = 0x8001_6000L;
    static final int DATA_SIZE = (int) (DUMP - DATA);
    /** The bytes a run reports: DATA, then the DUMP page (x0..x31, f0..f31, fcsr; the trap log). */
    static final int STATE_SIZE = DATA_SIZE + 0x1000;
    /** jvisor's trap log (programs that trap on purpose): saved t1, t2, count, then entries of 32 bytes. */
    static final long TRAP_LOG = DUMP + 0x400;
    static final int TRAP_LOG_ENTRIES = 64;
    static final long SP = DATA + 0x2000;
    static final long PAGE_TABLES = 0x8020_0000L;

    final long seed;
    /** Whether jvisor runs the body in U-mode under Sv39 (else in M-mode, bare). */
    final boolean user;
    /**
     * Whether the body reads cycle and instret: exact on jvisor (one cycle per instruction) and
     * the same in every JIT mode, but not under QEMU.
     */
    final boolean counters;
    /** Whether the body traps on purpose, logged and resumed by jvisor's handler (not QEMU's signals). */
    final boolean traps;

    /** Programs whose results only jvisor's modes can agree on: QEMU sits them out. */
    boolean jvisorOnly() { return counters || traps; }
    final Code stub, code;
    final byte[] init, data;
    /** The random body, between prologue and epilogue. */
    final long bodyStart, bodyEnd;

    Program(long seed, boolean user, boolean counters, boolean traps, Code stub, Code code, byte[] init, byte[] data,
            long bodyStart, long bodyEnd, java.util.Set<Long> nops) {
        this.seed = seed;
        this.counters = counters;
        this.traps = traps;
        this.nops = nops;
        this.bodyStart = bodyStart;
        this.bodyEnd = bodyEnd;
        this.user = user;
        this.stub = stub;
        this.code = code;
        this.init = init;
        this.data = data;
    }

    /** Instructions the minimizer replaced with nops. */
    final java.util.Set<Long> nops;

    /** This program with the body instructions at {@code addrs} replaced by nops. */
    Program nopped(java.util.Set<Long> addrs) {
        return new Program(seed, user, counters, traps, stub, code, init, data, bodyStart, bodyEnd, addrs);
    }

    /** The bytes from STUB to END. */
    byte[] image() {
        byte[] img = new byte[(int) (END - STUB)];
        byte[] s = stub.toBytes(), c = code.toBytes();
        for (long a : nops) {
            int off = (int) (a - CODE);
            Code.Line l = code.lineAt(a);
            if (l.size() == 2) { c[off] = 0x01; c[off + 1] = 0; } // c.nop
            else { c[off] = 0x13; c[off + 1] = 0; c[off + 2] = 0; c[off + 3] = 0; } // addi x0, x0, 0
        }
        if (s.length > CODE - STUB || c.length > INIT - CODE) throw new IllegalStateException("program too large");
        System.arraycopy(s, 0, img, 0, s.length);
        System.arraycopy(c, 0, img, (int) (CODE - STUB), c.length);
        System.arraycopy(init, 0, img, (int) (INIT - STUB), init.length);
        System.arraycopy(data, 0, img, (int) (DATA - STUB), data.length);
        return img;
    }

    /** A static RV64 ELF executable with one read-write-execute segment holding {@link #image}. */
    byte[] elf(long entry) {
        byte[] img = image();
        ByteBuffer b = ByteBuffer.allocate(0x1000 + img.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});   // 64-bit, little-endian, version 1
        b.position(16);
        b.putShort((short) 2).putShort((short) 243).putInt(1); // ET_EXEC, EM_RISCV
        b.putLong(entry).putLong(64).putLong(0);              // entry, phoff, shoff
        b.putInt(0x5);                                        // EF_RISCV_RVC | FLOAT_ABI_DOUBLE
        b.putShort((short) 64).putShort((short) 56).putShort((short) 1);
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
        b.putInt(1).putInt(7);                                // PT_LOAD, RWX (the body rewrites its code)
        b.putLong(0x1000).putLong(STUB).putLong(STUB);
        b.putLong(img.length).putLong(img.length).putLong(0x1000);
        b.position(0x1000);
        b.put(img);
        return b.array();
    }

    /** The listing line of the instruction at {@code pc}, if the generator wrote one. */
    String describe(long pc) {
        Code.Line l = (pc >= CODE ? code : stub).lineAt(pc);
        return String.format("0x%x: %s", pc, l == null ? "?" : nops.contains(pc) ? "nop" : l.text());
    }

    /** The listing of CODE, or only the body's instructions that are neither nops nor data when {@code bodyOnly}. */
    java.util.List<String> listing(boolean bodyOnly) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Code.Line l : code.lines()) {
            boolean skip = l.addr() < bodyStart || l.addr() >= bodyEnd || nops.contains(l.addr()) || l.text().startsWith(".word");
            if (bodyOnly && skip) continue;
            out.add(String.format("%x: %s", l.addr(), nops.contains(l.addr()) ? "nop" : l.text()));
        }
        return out;
    }
}

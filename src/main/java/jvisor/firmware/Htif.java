package jvisor.firmware;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.IntConsumer;
import jvisor.memory.GuestRam;
import jvisor.memory.PageWatcher;

/**
 * The Host-Target Interface of Spike and riscv-tests: the guest writes a command to the
 * {@code tohost} word; the host answers in {@code fromhost}. A command is
 * {@code device << 56 | command << 48 | payload}:
 * <ul>
 * <li>device 0, payload with bit 0 set: exit with status {@code payload >> 1} (0 = pass);</li>
 * <li>device 0, other payloads: address of a "magic memory" syscall block (write, exit), as
 *     riscv-tests' benchmarks use;</li>
 * <li>device 1, command 1: write the low byte to the console.</li>
 * </ul>
 * The tohost page is watched, so jvisor reacts to the store itself instead of polling. A 64-bit
 * store acts at once; a pair of 32-bit stores (low word, then high word) acts on the high word.
 */
public final class Htif implements PageWatcher {
    private static final int SYS_WRITE = 64, SYS_EXIT = 93;

    private final GuestRam ram;
    private final long tohost, fromhost;
    private final OutputStream console;
    private final IntConsumer exit;

    /** {@code exit} receives the guest's exit status. */
    public Htif(GuestRam ram, long tohost, long fromhost, OutputStream console, IntConsumer exit) {
        if (!ram.contains(tohost, 8) || (tohost & 7) != 0) {
            throw new IllegalArgumentException(String.format("tohost at 0x%x is not an aligned RAM address", tohost));
        }
        this.ram = ram;
        this.tohost = tohost;
        this.fromhost = fromhost >= 0 && ram.contains(fromhost, 8) ? fromhost : -1;
        this.console = console;
        this.exit = exit;
        ram.watch(tohost - ram.base(), this);
    }

    @Override
    public void written(long pa, int size) {
        long hi = tohost + 4;
        if (pa > hi || pa + size <= hi) return; // the command is complete once its high word is written
        long cmd = ram.getLong(tohost - ram.base());
        if (cmd == 0) return;
        poke(tohost - ram.base(), 0);
        int device = (int) (cmd >>> 56), command = (int) (cmd >>> 48 & 0xff);
        long payload = cmd & 0xffff_ffff_ffffL;
        if (device == 0 && command == 0) {
            if ((payload & 1) != 0) finish((int) (payload >>> 1));
            else syscall(payload);
        } else if (device == 1 && command == 1) {
            put((int) payload & 0xff);
            respond(cmd & ~0xffff_ffff_ffffL | 0x100 | payload & 0xff);
        }
    }

    private void syscall(long block) {
        if (!ram.contains(block, 64)) { finish(0x7fff); return; } // a wild pointer ends the run as a failure
        long off = block - ram.base();
        long number = ram.getLong(off), a0 = ram.getLong(off + 8), a1 = ram.getLong(off + 16), a2 = ram.getLong(off + 24);
        long result = -1;
        if (number == SYS_WRITE && (a0 == 1 || a0 == 2) && a2 >= 0 && a2 < 1 << 20 && ram.contains(a1, a2)) {
            byte[] buf = new byte[(int) a2];
            ram.copyOut(a1, buf, 0, buf.length);
            for (byte c : buf) put(c & 0xff);
            result = a2;
        } else if (number == SYS_EXIT) {
            finish((int) a0);
            return;
        }
        poke(off, result);
        respond(1);
    }

    private void respond(long value) {
        if (fromhost >= 0) poke(fromhost - ram.base(), value);
    }

    /** A write of ours to guest RAM, which a migration's dirty log must see. */
    private void poke(long off, long value) {
        ram.putLong(off, value);
        ram.markDirty(off, 8);
    }

    private void put(int c) {
        try {
            console.write(c);
            if (c == '\n') console.flush();
        } catch (IOException e) {
            // The console went away (closed pipe); the guest keeps running without it.
        }
    }

    private void finish(int status) {
        try {
            console.flush();
        } catch (IOException ignored) {
            // nothing more to say
        }
        exit.accept(status);
    }
}

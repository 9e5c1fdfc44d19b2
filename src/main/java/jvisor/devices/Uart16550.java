package jvisor.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import jvisor.firmware.Fdt;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;
import jvisor.state.Snapshottable;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * National Semiconductor 16550A UART, as Linux's 8250 driver and OpenSBI use it. Transmission is
 * instant (THR is always empty again at once); received bytes wait on the host side until the
 * driver enables receive interrupts, then flow through a 16-byte FIFO.
 *
 * <pre>
 *   0 RBR (R) / THR (W) / DLL (DLAB)   4 MCR
 *   1 IER / DLM (DLAB)                 5 LSR (R)
 *   2 IIR (R) / FCR (W)                6 MSR (R)
 *   3 LCR (bit 7: DLAB)                7 SCR
 * </pre>
 */
public final class Uart16550 implements MmioDevice, Snapshottable {
    public static final int CLOCK_HZ = 3_686_400;
    private static final int IER_RX = 1, IER_THRE = 2;
    private static final int LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    private static final int IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RX = 0x04, IIR_FIFO = 0xc0;
    private static final int FIFO = 16, MAX_BACKLOG = 1 << 16;

    private final OutputStream out;
    private IrqLine irq = IrqLine.NONE;
    /** The receive FIFO the guest sees. */
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();
    /**
     * Typed-ahead bytes held on the host side until the guest's driver enables receive
     * interrupts: Linux resets the FIFO when it opens the port, which would lose them.
     */
    private final ArrayDeque<Byte> backlog = new ArrayDeque<>();
    private int ier, lcr, mcr, scr, dll = 1, dlm, fcr;
    /** THR-empty interrupt pending: set when THR empties or is enabled, cleared by IIR read or THR write. */
    private boolean threPending;

    public Uart16550(OutputStream out) { this.out = out; }

    @Override
    public synchronized void saveState(StateWriter out) {
        out.u8(ier).u8(lcr).u8(mcr).u8(scr).u8(dll).u8(dlm).u8(fcr).bool(threPending);
        out.bytes(bytes(rx)).bytes(bytes(backlog));
    }

    @Override
    public synchronized void loadState(StateReader in) throws StateException {
        ier = in.u8(0x0f, "IER");
        lcr = in.u8();
        mcr = in.u8(0x1f, "MCR");
        scr = in.u8();
        dll = in.u8();
        dlm = in.u8();
        fcr = in.u8(0xc9, "FCR");
        threPending = in.bool();
        rx.clear();
        for (byte b : in.bytes(FIFO, "receive FIFO")) rx.add(b);
        backlog.clear();
        for (byte b : in.bytes(MAX_BACKLOG, "typed-ahead bytes")) backlog.add(b);
        update();
    }

    private static byte[] bytes(ArrayDeque<Byte> q) {
        byte[] b = new byte[q.size()];
        int i = 0;
        for (Byte x : q) b[i++] = x;
        return b;
    }

    public synchronized void connect(IrqLine line) {
        this.irq = line;
        update();
    }

    @Override public int minAccess() { return 1; }
    @Override public int maxAccess() { return 4; }

    /** Queues a byte typed on the host console; callable from any thread. */
    public synchronized void receive(byte b) {
        if (backlog.size() < MAX_BACKLOG) backlog.add(b);
        update();
    }

    /** Takes the oldest received byte without going through the registers (SBI console), or -1. */
    public synchronized int takeReceived() {
        Byte b = rx.poll();
        if (b == null) b = backlog.poll();
        update();
        return b == null ? -1 : b & 0xff;
    }

    @Override
    public synchronized long read(long off, int size) {
        boolean dlab = (lcr & 0x80) != 0;
        int v = switch ((int) off) {
            case 0 -> dlab ? dll : rx.isEmpty() ? 0 : rx.poll() & 0xff;
            case 1 -> dlab ? dlm : ier;
            case 2 -> {
                int iir = interruptId();
                if (iir == IIR_THRE) threPending = false; // reading IIR acknowledges THRE
                yield iir | ((fcr & 1) != 0 ? IIR_FIFO : 0);
            }
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> (rx.isEmpty() ? 0 : LSR_DR) | LSR_THRE | LSR_TEMT;
            case 6 -> 0xb0; // DCD, DSR, CTS: a cable is connected
            case 7 -> scr;
            default -> 0;
        };
        update();
        return v;
    }

    @Override
    public synchronized void write(long off, int size, long value) {
        int v = (int) value & 0xff;
        boolean dlab = (lcr & 0x80) != 0;
        switch ((int) off) {
            case 0 -> {
                if (dlab) dll = v;
                else {
                    emit(v);
                    threPending = true; // sent at once, so THR is empty again
                }
            }
            case 1 -> {
                if (dlab) dlm = v;
                else {
                    if ((v & IER_THRE) != 0 && (ier & IER_THRE) == 0) threPending = true;
                    ier = v & 0x0f;
                }
            }
            case 2 -> {
                fcr = v & 0xc9;
                if ((v & 2) != 0) rx.clear(); // reset receive FIFO
            }
            case 3 -> lcr = v;
            case 4 -> mcr = v & 0x1f;
            case 7 -> scr = v;
            default -> { }
        }
        update();
    }

    private int interruptId() {
        if ((ier & IER_RX) != 0 && !rx.isEmpty()) return IIR_RX;
        if ((ier & IER_THRE) != 0 && threPending) return IIR_THRE;
        return IIR_NONE;
    }

    private void update() {
        if ((ier & IER_RX) != 0) {
            while (rx.size() < FIFO && !backlog.isEmpty()) rx.add(backlog.poll());
        }
        irq.set(interruptId() != IIR_NONE);
    }

    private void emit(int c) {
        try {
            out.write(c);
            out.flush();
        } catch (IOException e) {
            // The host console is gone (closed pipe): the guest's output is dropped, the VM runs on.
        }
    }

    public void describe(Fdt fdt, Region r, int plicPhandle) {
        Fdt.Node n = fdt.root().child("soc").child("serial@" + Long.toHexString(r.base()));
        n.cells("interrupts", r.irq());
        n.cells("interrupt-parent", plicPhandle);
        n.cells("clock-frequency", CLOCK_HZ);
        n.u64s("reg", r.base(), r.size());
        n.strings("compatible", "ns16550a");
    }
}

package jvisor.devices;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import jvisor.firmware.Fdt;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;
import jvisor.state.Snapshottable;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * Goldfish real-time clock (Android emulator; QEMU virt): nanoseconds since the Unix epoch from
 * the host's wall clock, settable by the guest, with one alarm.
 *
 * <pre>
 *   0x00 TIME_LOW     R: low 32 bits, latches the high half · W: sets time (with TIME_HIGH)
 *   0x04 TIME_HIGH    R: latched high half · W: high half for the next TIME_LOW write
 *   0x08 ALARM_LOW    W: arms the alarm (with ALARM_HIGH)
 *   0x0c ALARM_HIGH   W
 *   0x10 IRQ_ENABLED  W
 *   0x14 CLEAR_ALARM  W
 *   0x18 ALARM_STATUS R: 1 while armed
 *   0x1c CLEAR_INTERRUPT W
 * </pre>
 */
public final class GoldfishRtc implements MmioDevice, Snapshottable {
    private static final ScheduledExecutorService ALARMS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jvisor-rtc-alarm");
        t.setDaemon(true);
        return t;
    });

    private IrqLine irq = IrqLine.NONE;
    private long offsetNanos;
    private long latchedHigh, timeHigh, alarmHigh;
    private boolean irqEnabled, interrupt;
    private ScheduledFuture<?> alarm;
    /** When the armed alarm fires, in guest RTC nanoseconds. */
    private long alarmAt;

    /**
     * The guest's offset from the host's wall clock travels, so a restored guest's RTC shows the
     * real time in its own time zone setting; an armed alarm is armed again for the same moment.
     */
    @Override
    public synchronized void saveState(StateWriter out) {
        boolean armed = alarm != null && !alarm.isDone();
        out.i64(offsetNanos).i64(latchedHigh).i64(timeHigh).i64(alarmHigh).bool(irqEnabled).bool(interrupt)
                .bool(armed).i64(alarmAt);
    }

    @Override
    public synchronized void loadState(StateReader in) throws StateException {
        offsetNanos = in.i64();
        latchedHigh = in.i64(0, 0xffff_ffffL, "latched time");
        timeHigh = in.i64(0, 0xffff_ffffL, "time high word");
        alarmHigh = in.i64(0, 0xffff_ffffL, "alarm high word");
        irqEnabled = in.bool();
        interrupt = in.bool();
        boolean armed = in.bool();
        long at = in.i64();
        if (armed) arm(at); else cancel();
        update();
    }

    public synchronized void connect(IrqLine line) { this.irq = line; }

    private static long hostNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private long now() { return hostNanos() + offsetNanos; }

    @Override
    public synchronized long read(long off, int size) {
        return switch ((int) off) {
            case 0x00 -> {
                long t = now();
                latchedHigh = t >>> 32;
                yield t & 0xffff_ffffL;
            }
            case 0x04 -> latchedHigh;
            case 0x18 -> alarm != null && !alarm.isDone() ? 1 : 0;
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long off, int size, long value) {
        long v = value & 0xffff_ffffL;
        switch ((int) off) {
            case 0x00 -> offsetNanos = (timeHigh << 32 | v) - hostNanos();
            case 0x04 -> timeHigh = v;
            case 0x08 -> arm(alarmHigh << 32 | v);
            case 0x0c -> alarmHigh = v;
            case 0x10 -> { irqEnabled = v != 0; update(); }
            case 0x14 -> cancel();
            case 0x1c -> { interrupt = false; update(); }
            default -> { }
        }
    }

    private void arm(long at) {
        cancel();
        alarmAt = at;
        long delay = Math.max(0, at - now());
        alarm = ALARMS.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (alarm != null) alarm.cancel(false);
        alarm = null;
    }

    private synchronized void fire() {
        interrupt = true;
        update();
    }

    private void update() { irq.set(interrupt && irqEnabled); }

    public void describe(Fdt fdt, Region r, int plicPhandle) {
        Fdt.Node n = fdt.root().child("soc").child("rtc@" + Long.toHexString(r.base()));
        n.cells("interrupts", r.irq());
        n.cells("interrupt-parent", plicPhandle);
        n.u64s("reg", r.base(), r.size());
        n.strings("compatible", "google,goldfish-rtc");
    }
}

package jvisor.devices.virtio;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import jvisor.memory.GuestRam;

/**
 * The common shape of a virtio device: one worker thread does all its work, off the hart
 * threads. A driver notification schedules the queue's {@link #service} on the worker (once, however
 * many notifications arrive meanwhile); backends put their own events on the same thread with
 * {@link #submit}, so a device's state needs no locks. A {@link VirtqueueException} or an
 * unexpected failure stops the device with DEVICE_NEEDS_RESET instead of reaching the host.
 */
public abstract class QueueDevice implements VirtioDevice {
    /** A request handler: consumes one chain; the caller pushes it to the used ring. */
    @FunctionalInterface
    protected interface Handler {
        void handle(Chain chain) throws VirtqueueException;
    }

    /** A unit of work for the worker thread. */
    @FunctionalInterface
    protected interface Task {
        void run() throws VirtqueueException;
    }

    private final String name;
    private final ExecutorService worker;
    private final AtomicBoolean[] scheduled;
    private volatile boolean active;

    // Set by activate; read only on the worker thread.
    protected Virtqueue[] queues;
    protected GuestRam ram;
    protected VirtioInterrupt interrupt;
    protected long features;

    protected QueueDevice(String name, int queues) {
        this.name = name;
        this.scheduled = new AtomicBoolean[queues];
        for (int i = 0; i < queues; i++) scheduled[i] = new AtomicBoolean();
        this.worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("jvisor-" + name).daemon().unstarted(r));
    }

    @Override public String name() { return name; }

    @Override public int queueCount() { return scheduled.length; }

    /** Whether feature bit {@code bit} was negotiated. */
    protected final boolean negotiated(int bit) { return (features >>> bit & 1) != 0; }

    @Override
    public final void activate(long features, Virtqueue[] queues, GuestRam ram, VirtioInterrupt interrupt) {
        submitAlways(() -> {
            this.features = features;
            this.queues = queues;
            this.ram = ram;
            this.interrupt = interrupt;
            active = true;
            activated();
        });
        for (int q = 0; q < queues.length; q++) notify(q);
    }

    @Override
    public final void notify(int q) {
        if (q < 0 || q >= scheduled.length) return;
        if (!scheduled[q].getAndSet(true)) {
            submit(() -> {
                scheduled[q].set(false);
                if (queues[q].started()) service(q);
            });
        }
    }

    /** Released by {@link #resume}; the worker waits on it while the device is paused. */
    private CountDownLatch pauseGate;

    /** Parks the worker between tasks: whatever it was doing completes first. */
    @Override
    public final synchronized void pause() {
        if (pauseGate != null) return;
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch parked = new CountDownLatch(1);
        pauseGate = gate;
        try {
            worker.execute(() -> {
                parked.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // closing
                }
            });
            parked.await();
        } catch (RejectedExecutionException e) {
            // closed: nothing runs
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public final synchronized void resume() {
        if (pauseGate != null) pauseGate.countDown();
        pauseGate = null;
    }

    /** Runs {@code task} on the worker thread if the device is (still) active then. */
    protected final void submit(Task task) {
        submitAlways(() -> {
            if (active) task.run();
        });
    }

    private void submitAlways(Task task) {
        try {
            worker.execute(() -> guarded(task));
        } catch (RejectedExecutionException e) {
            // closed: nothing more to do
        }
    }

    private void guarded(Task task) {
        try {
            task.run();
        } catch (VirtqueueException e) {
            fail(e.getMessage());
        } catch (RuntimeException | Error e) {
            // A host-side bug: show it, and stop this device only.
            e.printStackTrace();
            fail("internal error: " + e);
        }
    }

    /** Stops the device and asks the driver for a reset; on the worker thread. */
    protected final void fail(String why) {
        if (!active) return;
        active = false;
        interrupt.needsReset(why);
    }

    /**
     * The standard service loop (§2.7.13, §2.7.14): handles every available chain, re-arms
     * notifications, and interrupts the driver if it wants to hear about the used buffers.
     */
    protected final void drain(int q, Handler h) throws VirtqueueException {
        Virtqueue vq = queues[q];
        do {
            Chain c;
            while (active && (c = vq.pop()) != null) {
                h.handle(c);
                vq.push(c);
            }
        } while (active && vq.rearm());
        if (vq.needsInterrupt()) interrupt.usedBuffers();
    }

    /** Interrupts the driver if queue {@code q} got used buffers it wants to hear about. */
    protected final void signal(int q) {
        if (queues[q].needsInterrupt()) interrupt.usedBuffers();
    }

    /** True between activation and reset (or failure); for backend threads deciding whether to submit. */
    protected final boolean active() { return active; }

    @Override
    public final void reset() {
        resume(); // a paused worker would never reach the reset
        active = false;
        Future<?> idle;
        try {
            idle = worker.submit(() -> {
                resetState();
                queues = null;
                ram = null;
            });
        } catch (RejectedExecutionException e) {
            return;
        }
        try {
            idle.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            System.err.println("jvisor: " + name + ": reset did not complete: " + e);
        }
    }

    @Override
    public void close() {
        reset();
        worker.shutdownNow();
        closeBackend();
    }

    /** Called on the worker when the driver set DRIVER_OK; queues, ram, interrupt and features are set. */
    protected void activated() throws VirtqueueException { }

    /** Serves queue {@code q} after a notification (usually with {@link #drain}); on the worker. */
    protected abstract void service(int q) throws VirtqueueException;

    /** Forgets per-driver state on reset; on the worker. */
    protected void resetState() { }

    /** Releases the backend's host resources when the device is closed. */
    protected void closeBackend() { }
}

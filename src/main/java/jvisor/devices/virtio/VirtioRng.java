package jvisor.devices.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;

/**
 * Entropy device (virtio 1.2 §5.4): one queue, {@code requestq}; the driver offers writable
 * buffers and the device fills them with random bytes from the host's {@link SecureRandom}. No
 * feature bits, no configuration space. Linux's virtio-rng driver makes it {@code /dev/hwrng}.
 */
public final class VirtioRng extends QueueDevice {
    /** Most bytes given per request: the driver asks again for more. */
    private static final int MAX_REQUEST = 64 * 1024;

    private final SecureRandom random;
    private final byte[] buffer = new byte[4096];

    public VirtioRng() { this(new SecureRandom()); }

    public VirtioRng(SecureRandom random) {
        super("virtio-rng", 1);
        this.random = random;
    }

    @Override public int deviceId() { return ENTROPY; }

    @Override public long features() { return 0; }

    @Override
    protected void service(int q) throws VirtqueueException {
        drain(q, chain -> {
            long left = Math.min(chain.writable(), MAX_REQUEST);
            MemorySegment s;
            while (left > 0 && (s = chain.nextWritable(Math.min(left, buffer.length))) != null) {
                byte[] bytes = s.byteSize() == buffer.length ? buffer : new byte[(int) s.byteSize()];
                random.nextBytes(bytes);
                MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
                left -= bytes.length;
            }
        });
    }
}

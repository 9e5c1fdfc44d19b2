package jvisor.devices.virtio;

/** A test device with one queue: copies each chain's readable bytes into its writable buffers. */
final class EchoDevice extends QueueDevice {
    EchoDevice() { super("virtio-echo", 1); }

    @Override public int deviceId() { return 0x7e; }

    @Override public long features() { return 1L << 5; }

    @Override public byte[] config() { return new byte[] {1, 2, 3, 4, 5, 6, 7, 8}; }

    @Override
    protected void service(int q) throws VirtqueueException {
        drain(q, chain -> {
            byte[] data = chain.readAll(1 << 20);
            if (data != null) chain.write(data);
        });
    }
}

package jvisor.devices.virtio;

import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

import java.nio.charset.StandardCharsets;
import jvisor.share.P9Server;

/**
 * 9P transport device (virtio device ID 9, as Linux's 9pnet_virtio drives it): one queue of
 * requests, each chain a T-message in its readable buffers and room for the R-message in its
 * writable ones. The guest mounts it with {@code mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR}.
 *
 * <pre>
 *   feature  VIRTIO_9P_MOUNT_TAG (bit 0)
 *   config   le16 tag_len; u8 tag[tag_len]
 * </pre>
 */
public final class Virtio9p extends QueueDevice {
    static final int F_MOUNT_TAG = 0;
    private static final int MAX_REQUEST = 1 << 20;

    private final P9Server server;
    private final byte[] tag;

    public Virtio9p(P9Server server, String tag) {
        super("virtio-9p " + tag, 1);
        this.server = server;
        this.tag = tag.getBytes(StandardCharsets.UTF_8);
        if (this.tag.length == 0 || this.tag.length > 0xffff) throw new IllegalArgumentException("bad 9p tag: " + tag);
    }

    @Override public void saveState(StateWriter out) { server.saveState(out); }

    @Override public void loadState(StateReader in) throws StateException { server.loadState(in); }

    @Override public int deviceId() { return NINEP; }

    @Override public long features() { return 1L << F_MOUNT_TAG; }

    @Override public int queueMaxSize(int q) { return 128; }

    @Override
    public byte[] config() {
        byte[] c = new byte[2 + tag.length];
        c[0] = (byte) tag.length;
        c[1] = (byte) (tag.length >>> 8);
        System.arraycopy(tag, 0, c, 2, tag.length);
        return c;
    }

    @Override
    protected void service(int q) throws VirtqueueException {
        drain(q, chain -> {
            byte[] request = chain.readAll(MAX_REQUEST);
            if (request == null) throw new VirtqueueException("9P request of " + chain.readable() + " bytes");
            chain.write(server.handle(request, (int) Math.min(chain.writable(), Integer.MAX_VALUE)));
        });
    }
}

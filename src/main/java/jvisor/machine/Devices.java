package jvisor.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jvisor.devices.virtio.Virtio9p;
import jvisor.devices.virtio.VirtioBlock;
import jvisor.devices.virtio.VirtioConsole;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.devices.virtio.VirtioNet;
import jvisor.devices.virtio.VirtioRng;
import jvisor.net.NetSpec;
import jvisor.net.Packets.Mac;
import jvisor.net.UserNetwork;
import jvisor.share.P9Server;
import jvisor.storage.Disk;
import jvisor.storage.DiskSpec;

/**
 * Opens the virtio devices a list of {@link DeviceSpec}s describes, in order (their slots on
 * the board). A malformed spec is an {@link IllegalArgumentException} whose message tells the
 * user what to fix; a file or socket that cannot be opened is an {@link IOException}.
 */
public final class Devices {
    private Devices() {}

    /** QEMU's first guest MAC address, 52:54:00:12:34:56; further cards count up. */
    private static final long GUEST_MAC = 0x5254_0012_3456L;

    /** Opens every device (without a console device); on failure closes those already open. */
    public static List<VirtioDevice> open(List<DeviceSpec> specs) throws IOException {
        return open(specs, null, java.util.Map.of());
    }

    /**
     * Opens every device; a virtio console writes to {@code console}; {@code overlays} gives, by
     * device index, the temporary overlay a {@code snapshot=on} disk continues with (a restored VM's).
     */
    public static List<VirtioDevice> open(List<DeviceSpec> specs, java.io.OutputStream console,
                                          java.util.Map<Integer, Path> overlays) throws IOException {
        if (specs.size() > VirtMap.VIRTIO_SLOTS) {
            throw new IllegalArgumentException("at most " + VirtMap.VIRTIO_SLOTS + " virtio devices fit on the board");
        }
        List<VirtioDevice> list = new ArrayList<>();
        int nets = 0;
        try {
            for (DeviceSpec spec : specs) {
                Path overlay = overlays.get(list.size());
                list.add(switch (spec.kind()) {
                    case DISK -> disk(spec.value(), overlay);
                    case NET -> net(spec.value(), new Mac(GUEST_MAC + nets++));
                    case SHARE -> share(spec.value());
                    case RNG -> new VirtioRng();
                    case CONSOLE -> new VirtioConsole(null, console == null ? java.io.OutputStream.nullOutputStream() : console);
                });
            }
        } catch (IOException | RuntimeException e) {
            for (VirtioDevice dev : list) dev.close();
            throw e;
        }
        return list;
    }

    /**
     * Checks the specs' syntax, and that the disk files and shared directories exist, without
     * opening anything (for definitions that are stored now and booted later).
     */
    public static void check(List<DeviceSpec> specs) {
        if (specs.size() > VirtMap.VIRTIO_SLOTS) {
            throw new IllegalArgumentException("at most " + VirtMap.VIRTIO_SLOTS + " virtio devices fit on the board");
        }
        for (DeviceSpec spec : specs) {
            switch (spec.kind()) {
                case DISK -> {
                    Path p = DiskSpec.parse(spec.value()).path();
                    if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--disk " + p + ": no such image file");
                }
                case NET -> NetSpec.parse(spec.value());
                case SHARE -> {
                    Path p = ShareSpec.parse(spec.value()).dir();
                    if (!Files.isDirectory(p)) throw new IllegalArgumentException("--share " + p + ": no such directory");
                }
                case RNG, CONSOLE -> { }
            }
        }
    }

    private static VirtioDevice disk(String value, Path overlay) throws IOException {
        DiskSpec spec = DiskSpec.parse(value);
        Disk disk = spec.open(overlay);
        return new VirtioBlock(disk, spec.path().getFileName().toString());
    }

    private static VirtioDevice net(String value, Mac mac) throws IOException {
        NetSpec spec = NetSpec.parse(value);
        return new VirtioNet(new UserNetwork(spec.forwards(), null, mac), mac);
    }

    /** {@code HOSTDIR,tag=TAG[,readonly=on]}. */
    private static VirtioDevice share(String value) throws IOException {
        ShareSpec spec = ShareSpec.parse(value);
        if (!Files.isDirectory(spec.dir())) throw new IllegalArgumentException("--share " + spec.dir() + ": no such directory");
        return new Virtio9p(new P9Server(spec.dir(), spec.readOnly()), spec.tag());
    }

    /** What {@code --share} asks for. */
    public record ShareSpec(Path dir, String tag, boolean readOnly) {
        public static ShareSpec parse(String value) {
            String[] parts = value.split(",");
            String tag = null;
            boolean ro = false;
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                switch (kv[0]) {
                    case "tag" -> tag = kv.length == 2 ? kv[1] : "";
                    case "readonly" -> ro = kv.length == 1 || kv[1].equals("on") || kv[1].equals("true");
                    default -> throw new IllegalArgumentException("unknown --share option '" + kv[0] + "' (tag, readonly)");
                }
            }
            if (parts[0].isEmpty() || tag == null || tag.isEmpty()) {
                throw new IllegalArgumentException("--share needs HOSTDIR,tag=TAG: " + value);
            }
            return new ShareSpec(Path.of(parts[0]), tag, ro);
        }
    }
}

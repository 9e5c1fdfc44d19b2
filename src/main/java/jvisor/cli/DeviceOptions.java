package jvisor.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import jvisor.devices.virtio.Virtio9p;
import jvisor.devices.virtio.VirtioBlock;
import jvisor.devices.virtio.VirtioConsole;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.devices.virtio.VirtioNet;
import jvisor.devices.virtio.VirtioRng;
import jvisor.machine.Machine;
import jvisor.net.NetSpec;
import jvisor.net.Packets.Mac;
import jvisor.net.UserNetwork;
import jvisor.share.P9Server;
import jvisor.storage.Disk;
import jvisor.storage.DiskSpec;
import picocli.CommandLine.Option;

/**
 * The paravirtual devices of {@code jvisor run} (virtio-mmio, issue 6). The devices are opened
 * once and attached to every machine the run creates, so disks and forwarded ports survive a
 * guest reboot; {@link #close} releases them at the end of the run.
 */
final class DeviceOptions implements AutoCloseable {
    @Option(names = "--disk", paramLabel = "FILE[,format=raw|qcow2][,readonly=on][,snapshot=on]",
            description = {"A virtio disk (vda, vdb, ... in order); repeatable. The format is probed unless given;",
                    "snapshot=on keeps the guest's writes in a temporary overlay, dropped at exit."})
    List<String> disks = new ArrayList<>();

    @Option(names = "--net", paramLabel = "user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT]...",
            description = {"A virtio network card on user-mode networking: DHCP gives the guest 10.0.2.15,",
                    "10.0.2.2 is the host's loopback, 10.0.2.3 relays DNS to the host's resolver.",
                    "hostfwd forwards a host port (on 127.0.0.1 unless HOSTADDR is given) to the guest."})
    List<String> nets = new ArrayList<>();

    @Option(names = "--share", paramLabel = "HOSTDIR,tag=TAG[,readonly=on]",
            description = {"Share a host directory over virtio-9p (9P2000.L); repeatable. In the guest:",
                    "mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt. The guest stays inside HOSTDIR."})
    List<String> shares = new ArrayList<>();

    @Option(names = "--rng", description = "Give the guest a virtio entropy device fed by the host's SecureRandom (/dev/hwrng).")
    boolean rng;

    @Option(names = "--console", paramLabel = "serial|virtio", defaultValue = "serial",
            description = {"Where the terminal's keyboard goes and the default console= of the kernel:",
                    "serial: the 16550 UART, ttyS0 (default); virtio: a virtio console, hvc0 in the guest",
                    "(QEMU's -device virtconsole). Output of both shows on the terminal."})
    String console;

    /** QEMU's first guest MAC address, 52:54:00:12:34:56; further cards count up. */
    private static final long GUEST_MAC = 0x5254_0012_3456L;

    private List<VirtioDevice> devices;

    private VirtioConsole virtioConsole;

    /** The kernel's console= when the user gives no --append. */
    String defaultConsole() {
        return switch (console) {
            case "serial" -> "console=ttyS0";
            case "virtio" -> "console=hvc0";
            default -> throw new Main.UsageError("--console " + console + ": expected serial or virtio");
        };
    }

    /**
     * Opens the devices (first call) and attaches them to {@code machine} in command-line order;
     * with --console virtio, a virtio console writing to {@code terminal} comes last.
     */
    void attachTo(Machine machine, java.io.OutputStream terminal) throws IOException {
        if (devices == null) {
            devices = open();
            if (defaultConsole().equals("console=hvc0")) {
                if (devices.size() == jvisor.machine.VirtMap.VIRTIO_SLOTS) {
                    close();
                    throw new Main.UsageError("--console virtio needs a free virtio slot; give one device less");
                }
                virtioConsole = new VirtioConsole(null, terminal);
                devices.add(virtioConsole);
            }
        }
        for (VirtioDevice d : devices) machine.attach(d);
        VirtioConsole vc = virtioConsole;
        if (vc != null) machine.routeConsoleInput(b -> vc.type(new byte[] {(byte) b}));
    }

    private List<VirtioDevice> open() throws IOException {
        List<VirtioDevice> list = new ArrayList<>();
        try {
            for (String d : disks) {
                DiskSpec spec = parse(DiskSpec::parse, d);
                Disk disk = spec.open();
                list.add(new VirtioBlock(disk, spec.path().getFileName().toString()));
            }
            for (String n : nets) {
                NetSpec spec = parse(NetSpec::parse, n);
                Mac mac = new Mac(GUEST_MAC + list.stream().filter(VirtioNet.class::isInstance).count());
                list.add(new VirtioNet(new UserNetwork(spec.forwards(), null, mac), mac));
            }
            for (String sh : shares) list.add(share(sh));
        } catch (IOException | RuntimeException e) {
            for (VirtioDevice dev : list) dev.close();
            throw e;
        }
        if (rng) list.add(new VirtioRng());
        if (list.size() > jvisor.machine.VirtMap.VIRTIO_SLOTS) {
            for (VirtioDevice d : list) d.close();
            throw new Main.UsageError("at most " + jvisor.machine.VirtMap.VIRTIO_SLOTS + " virtio devices fit on the board");
        }
        return list;
    }

    /** Runs an option parser; its IllegalArgumentException is the user's mistake. */
    private static <T> T parse(java.util.function.Function<String, T> parser, String value) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    private static Virtio9p share(String value) throws IOException {
        String[] parts = value.split(",");
        String tag = null;
        boolean ro = false;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            switch (kv[0]) {
                case "tag" -> tag = kv.length == 2 ? kv[1] : "";
                case "readonly" -> ro = kv.length == 1 || kv[1].equals("on") || kv[1].equals("true");
                default -> throw new Main.UsageError("unknown --share option '" + kv[0] + "' (tag, readonly)");
            }
        }
        if (parts[0].isEmpty() || tag == null || tag.isEmpty()) throw new Main.UsageError("--share needs HOSTDIR,tag=TAG: " + value);
        Path dir = Path.of(parts[0]);
        if (!Files.isDirectory(dir)) throw new Main.UsageError("--share " + dir + ": no such directory");
        return new Virtio9p(new P9Server(dir, ro), tag);
    }

    @Override
    public void close() {
        if (devices != null) for (VirtioDevice d : devices) d.close();
        devices = null;
    }
}

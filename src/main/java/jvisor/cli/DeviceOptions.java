package jvisor.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.machine.DeviceSpec;
import jvisor.machine.Devices;
import jvisor.machine.Machine;
import picocli.CommandLine.Option;

/**
 * The paravirtual devices of {@code jvisor run} (virtio-mmio, issue 6). The devices are opened
 * once and attached to every machine the run creates, so disks and forwarded ports survive a
 * guest reboot; {@link #close} releases them at the end of the run.
 */
final class DeviceOptions implements AutoCloseable {
    @Option(names = "--disk", paramLabel = "FILE[,format=raw|qcow2][,readonly=on][,snapshot=on][,cache=unsafe]",
            description = {"A virtio disk (vda, vdb, ... in order); repeatable. The format is probed unless given;",
                    "snapshot=on keeps the guest's writes in a temporary overlay, dropped at exit;",
                    "cache=unsafe ignores the guest's flushes (faster; a host crash may lose or corrupt the disk)."})
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

    private List<DeviceSpec> specs;
    private List<VirtioDevice> devices;

    /** The kernel's console= when the user gives no --append. */
    String defaultConsole() {
        return switch (console) {
            case "serial" -> "console=ttyS0";
            case "virtio" -> "console=hvc0";
            default -> throw new Main.UsageError("--console " + console + ": expected serial or virtio");
        };
    }

    /** The devices in slot order: disks, then nets, shares, the rng and a virtio console. */
    List<DeviceSpec> specs() {
        List<DeviceSpec> list = new ArrayList<>(DeviceSpec.of(disks, nets, shares, rng));
        if (defaultConsole().equals("console=hvc0")) {
            if (list.size() == jvisor.machine.VirtMap.VIRTIO_SLOTS) {
                throw new Main.UsageError("--console virtio needs a free virtio slot; give one device less");
            }
            list.add(DeviceSpec.console());
        }
        return list;
    }

    /**
     * Opens the devices (first call) and attaches them to {@code machine} in command-line order;
     * a virtio console writes to {@code terminal} and takes the keyboard.
     */
    void attachTo(Machine machine, java.io.OutputStream terminal) throws IOException {
        if (devices == null) {
            specs = specs();
            try {
                devices = Devices.open(specs, terminal, java.util.Map.of());
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError(e.getMessage());
            }
        }
        for (int i = 0; i < devices.size(); i++) machine.attach(specs.get(i), devices.get(i));
    }

    @Override
    public void close() {
        if (devices != null) for (VirtioDevice d : devices) d.close();
        devices = null;
    }
}

package jvisor.machine;

import java.util.ArrayList;
import java.util.List;
import jvisor.cpu.Clock;
import jvisor.firmware.Fdt;

/**
 * The device tree common to every board configuration: root, memory, cpus with their interrupt
 * controllers, /soc and /chosen. Devices add their own nodes ({@code describe} methods).
 */
final class DeviceTree {
    private DeviceTree() {}

    /**
     * ISA string and extension list advertised to the guest; keep in step with the CPU. The H
     * extension is listed unless the harts were built without it ({@code jvisor run --cpu h=off}).
     */
    static final String ISA = "rv64imafdch_zicntr_zicsr_zifencei_zihintpause_sstc";
    static final String[] EXTENSIONS = {"i", "m", "a", "f", "d", "c", "h", "zicntr", "zicsr", "zifencei",
            "zihintpause", "sstc"};

    static String isa(boolean hypervisor) { return hypervisor ? ISA : ISA.replace("dch_", "dc_"); }

    static String[] extensions(boolean hypervisor) {
        return hypervisor ? EXTENSIONS : java.util.Arrays.stream(EXTENSIONS).filter(e -> !e.equals("h")).toArray(String[]::new);
    }

    /** Creates the tree and returns the phandles of each hart's interrupt controller. */
    static int[] base(Fdt fdt, int cpus, long ramBase, long ramSize, boolean hypervisor) {
        Fdt.Node root = fdt.root();
        root.cells("#address-cells", 2).cells("#size-cells", 2);
        root.strings("compatible", "riscv-virtio").strings("model", "riscv-virtio,qemu");
        fdt.root().child("chosen");
        root.child("memory@" + Long.toHexString(ramBase)).strings("device_type", "memory").u64s("reg", ramBase, ramSize);

        Fdt.Node cpusNode = root.child("cpus");
        cpusNode.cells("#address-cells", 1).cells("#size-cells", 0)
                .cells("timebase-frequency", (int) Clock.TICKS_PER_SECOND);
        int[] intc = new int[cpus];
        List<Integer> cpuPhandles = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            Fdt.Node cpu = cpusNode.child("cpu@" + i);
            int phandle = fdt.allocatePhandle();
            cpuPhandles.add(phandle);
            cpu.cells("phandle", phandle).strings("device_type", "cpu").cells("reg", i).strings("status", "okay")
                    .strings("compatible", "riscv").strings("riscv,isa", isa(hypervisor)).strings("riscv,isa-base", "rv64i")
                    .strings("riscv,isa-extensions", extensions(hypervisor)).strings("mmu-type", "riscv,sv57");
            intc[i] = fdt.allocatePhandle();
            cpu.child("interrupt-controller").cells("#interrupt-cells", 1).flag("interrupt-controller")
                    .strings("compatible", "riscv,cpu-intc").cells("phandle", intc[i]);
        }
        Fdt.Node cluster = cpusNode.child("cpu-map").child("cluster0");
        for (int i = 0; i < cpus; i++) cluster.child("core" + i).cells("cpu", cpuPhandles.get(i));

        root.child("soc").cells("#address-cells", 2).cells("#size-cells", 2)
                .strings("compatible", "simple-bus").flag("ranges");
        return intc;
    }

    static void chosen(Fdt fdt, String bootargs, long initrdStart, long initrdEnd, String stdoutPath) {
        Fdt.Node chosen = fdt.root().child("chosen");
        if (bootargs != null && !bootargs.isEmpty()) chosen.strings("bootargs", bootargs);
        chosen.strings("stdout-path", stdoutPath);
        if (initrdEnd > initrdStart) {
            chosen.u64s("linux,initrd-start", initrdStart).u64s("linux,initrd-end", initrdEnd);
        }
    }
}

package jvisor.machine;

import java.util.Locale;

/**
 * One paravirtual device of a VM as the user gave it: its kind and the option value, in the
 * syntax of {@code jvisor run} ({@code --disk vda.qcow2,readonly=on}, {@code --net user,...},
 * {@code --share DIR,tag=T}, {@code --rng}, {@code --console virtio}). The same text defines a VM in the host daemon,
 * travels in the machine state stream, and reopens the device on restore.
 */
public record DeviceSpec(Kind kind, String value) {
    public enum Kind {
        DISK, NET, SHARE, RNG, CONSOLE;

        public String option() { return "--" + name().toLowerCase(Locale.ROOT); }
    }

    public DeviceSpec {
        if (kind == null) throw new IllegalArgumentException("a device needs a kind");
        value = value == null ? "" : value;
    }

    public static DeviceSpec disk(String value) { return new DeviceSpec(Kind.DISK, value); }
    public static DeviceSpec net(String value) { return new DeviceSpec(Kind.NET, value); }
    public static DeviceSpec share(String value) { return new DeviceSpec(Kind.SHARE, value); }
    public static DeviceSpec rng() { return new DeviceSpec(Kind.RNG, ""); }
    /** A virtio console (hvc0) on the machine's console: {@code --console virtio}. */
    public static DeviceSpec console() { return new DeviceSpec(Kind.CONSOLE, "virtio"); }

    /** The devices of {@code jvisor run}'s options in slot order: disks, then nets, shares and the rng. */
    public static java.util.List<DeviceSpec> of(java.util.List<String> disks, java.util.List<String> nets,
                                                java.util.List<String> shares, boolean rng) {
        java.util.List<DeviceSpec> list = new java.util.ArrayList<>();
        for (String d : disks) list.add(disk(d));
        for (String n : nets) list.add(net(n));
        for (String s : shares) list.add(share(s));
        if (rng) list.add(rng());
        return list;
    }

    /** The host path a disk or share names (the value's first part), or null for other kinds. */
    public java.nio.file.Path path() {
        if (kind != Kind.DISK && kind != Kind.SHARE) return null;
        int comma = value.indexOf(',');
        return java.nio.file.Path.of(comma < 0 ? value : value.substring(0, comma));
    }

    /** The same device at another host path (a disk or share the user moved). */
    public DeviceSpec withPath(java.nio.file.Path p) {
        int comma = value.indexOf(',');
        return new DeviceSpec(kind, p + (comma < 0 ? "" : value.substring(comma)));
    }

    /** The command-line spelling, for messages: {@code --disk vda.img}. */
    @Override
    public String toString() { return value.isEmpty() ? kind.option() : kind.option() + " " + value; }
}

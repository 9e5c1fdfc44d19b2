package jvisor.machine;

/**
 * What to boot. {@code firmware} is null for the built-in SBI (the paravirtual path) and for
 * {@code --bios none}, where the kernel runs directly in M-mode.
 */
public record Boot(Bios bios, byte[] firmware, String firmwareName, byte[] kernel, String kernelName,
                   byte[] initrd, String cmdline) {
    public enum Bios { BUILTIN, NONE, FILE }
}

package jvisor.memory;

/** A range of guest physical addresses on the board, with the PLIC line its device raises (0: none). */
public record Region(String name, long base, long size, int irq) {
    public boolean contains(long pa) { return pa - base >= 0 && pa - base < size; }
    public long end() { return base + size; }
}

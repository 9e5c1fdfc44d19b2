package jvisor.firmware;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device tree under construction, flattened to a DTB (Devicetree Specification v0.4, ch. 5:
 * header, memory reservation block, structure block, strings block; version 17). Nodes keep
 * insertion order; properties are typed by the method that sets them.
 */
public final class Fdt {
    private static final int MAGIC = 0xd00dfeed, BEGIN_NODE = 1, END_NODE = 2, PROP = 3, END = 9;
    /**
     * Free space after the strings block, counted in totalsize, as QEMU leaves (its blobs are 1 MiB).
     * Boot loaders edit the tree in place: U-Boot adds /chosen properties to the blob where it found it,
     * in a copy only totalsize long, and without room overwrites what lies behind it (its global data).
     */
    public static final int FREE_SPACE = 64 << 10;

    private final Node root = new Node("");
    private int nextPhandle = 1;

    public Node root() { return root; }

    /** A fresh phandle value for a node that others reference. */
    public int allocatePhandle() { return nextPhandle++; }

    /** A node: its properties (raw big-endian values) and children. */
    public static final class Node {
        private final String name;
        private final Map<String, byte[]> props = new LinkedHashMap<>();
        private final Map<String, Node> children = new LinkedHashMap<>();

        private Node(String name) { this.name = name; }

        public String name() { return name; }

        /** The child called {@code name}, created on first use. */
        public Node child(String name) { return children.computeIfAbsent(name, Node::new); }

        /** Property of 32-bit cells. */
        public Node cells(String prop, int... values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length);
            for (int v : values) b.putInt(v);
            props.put(prop, b.array());
            return this;
        }

        /** Property of 64-bit values, each as two cells (for #address-cells = #size-cells = 2). */
        public Node u64s(String prop, long... values) {
            ByteBuffer b = ByteBuffer.allocate(8 * values.length);
            for (long v : values) b.putLong(v);
            props.put(prop, b.array());
            return this;
        }

        /** String or string-list property. */
        public Node strings(String prop, String... values) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String v : values) {
                out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
                out.write(0);
            }
            props.put(prop, out.toByteArray());
            return this;
        }

        /** Empty (boolean) property. */
        public Node flag(String prop) {
            props.put(prop, new byte[0]);
            return this;
        }

        public Node bytes(String prop, byte[] value) {
            props.put(prop, value.clone());
            return this;
        }

        public byte[] get(String prop) { return props.get(prop); }

        public Node find(String childName) { return children.get(childName); }
    }

    /** Flattens the tree to DTB bytes. */
    public byte[] toDtb(int bootCpu) {
        ByteArrayOutputStream struct = new ByteArrayOutputStream();
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        Map<String, Integer> stringOffsets = new LinkedHashMap<>();
        emit(root, struct, strings, stringOffsets);
        putInt(struct, END);

        int headerSize = 40, rsvSize = 16;
        int structOff = headerSize + rsvSize;
        int stringsOff = structOff + struct.size();
        int total = stringsOff + strings.size();
        ByteBuffer b = ByteBuffer.allocate(((total + 7) & ~7) + FREE_SPACE);
        b.putInt(MAGIC).putInt(b.capacity()).putInt(structOff).putInt(stringsOff).putInt(headerSize)
                .putInt(17).putInt(16).putInt(bootCpu).putInt(strings.size()).putInt(struct.size());
        b.putLong(0).putLong(0); // empty memory reservation block
        b.put(struct.toByteArray()).put(strings.toByteArray());
        return b.array();
    }

    private static void emit(Node n, ByteArrayOutputStream out, ByteArrayOutputStream strings,
                             Map<String, Integer> offsets) {
        putInt(out, BEGIN_NODE);
        putPadded(out, (n.name + "\0").getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> p : n.props.entrySet()) {
            Integer off = offsets.get(p.getKey());
            if (off == null) {
                off = strings.size();
                offsets.put(p.getKey(), off);
                strings.writeBytes((p.getKey() + "\0").getBytes(StandardCharsets.UTF_8));
            }
            putInt(out, PROP);
            putInt(out, p.getValue().length);
            putInt(out, off);
            putPadded(out, p.getValue());
        }
        List<Node> kids = new ArrayList<>(n.children.values());
        for (Node c : kids) emit(c, out, strings, offsets);
        putInt(out, END_NODE);
    }

    private static void putInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void putPadded(ByteArrayOutputStream out, byte[] data) {
        out.writeBytes(data);
        for (int i = data.length; (i & 3) != 0; i++) out.write(0);
    }
}

package jvisor.firmware;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The RISC-V Linux {@code Image} header (Documentation/arch/riscv/boot-image-header.rst): a
 * 64-byte header with "RISCV\0\0\0" at offset 48 and "RSC\x05" at 56, {@code text_offset} at 8
 * and {@code image_size} (the memory the kernel needs, including bss) at 16.
 */
public record LinuxImage(byte[] bytes, long textOffset, long imageSize) {
    private static final long MAGIC = 0x5643534952L;   // "RISCV" little-endian, padded with zeros
    private static final int MAGIC2 = 0x05435352;      // "RSC\x05"

    public static boolean looksLikeImage(byte[] data) {
        return data.length >= 64 && ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(56) == MAGIC2;
    }

    /** Parses and checks the header; the message names the file and what is wrong. */
    public static LinuxImage parse(String name, byte[] data) throws IOException {
        if (data.length < 64) throw new IOException(name + ": too small to be a Linux Image (" + data.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(48) != MAGIC || b.getInt(56) != MAGIC2) {
            throw new IOException(name + ": not a RISC-V Linux Image (bad header magic); give an Image or ELF kernel");
        }
        long textOffset = b.getLong(8), imageSize = b.getLong(16);
        if (imageSize < data.length || imageSize > 1L << 36 || textOffset < 0 || textOffset > 1L << 30) {
            throw new IOException(name + ": Linux Image header is damaged (image_size " + imageSize
                    + ", text_offset " + textOffset + ")");
        }
        return new LinuxImage(data, textOffset, imageSize);
    }
}

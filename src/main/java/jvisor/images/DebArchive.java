package jvisor.images;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Reads the files of a Debian binary package: an ar archive whose {@code data.tar.*} member holds
 * the package's file tree. Debian compresses that member with xz (trixie's default) or, rarely,
 * gzip; both are read. zstd is refused with a clear message, since its only mature Java decoder
 * is native code.
 */
final class DebArchive {
    private DebArchive() {}

    /** Called for each entry of the data tarball; {@code path} has no leading "./" or "/". */
    @FunctionalInterface
    interface Visitor {
        void entry(String path, TarArchiveEntry entry, InputStream content) throws IOException;
    }

    /**
     * Visits every entry of {@code deb}'s data tarball; {@code progress}, if not null, advances
     * by the bytes of the .deb read.
     */
    static void read(Path deb, Progress progress, Visitor visitor) throws IOException {
        try (InputStream file = new Counting(new BufferedInputStream(Files.newInputStream(deb), 1 << 16), progress);
             ArArchiveInputStream ar = new ArArchiveInputStream(file)) {
            ArArchiveEntry member;
            while ((member = ar.getNextEntry()) != null) {
                String name = member.getName();
                if (!name.startsWith("data.tar")) continue;
                try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressor(name, ar, deb))) {
                    TarArchiveEntry e;
                    while ((e = tar.getNextEntry()) != null) {
                        visitor.entry(e.getName().replaceFirst("^(\\.?/)+", ""), e, tar);
                    }
                }
                return;
            }
        }
        throw new IOException(deb.getFileName() + " has no data.tar member: not a Debian binary package");
    }

    /**
     * Writes {@code deb} to {@code out} with its control and data tarballs uncompressed, a form
     * dpkg installs as it is. A guest that builds a system unpacks every package twice; the host
     * decompresses them once, at native speed, instead of the emulated guest doing it each time.
     */
    static void decompress(Path deb, Path out) throws IOException {
        try (ArArchiveInputStream ar = new ArArchiveInputStream(new BufferedInputStream(Files.newInputStream(deb), 1 << 16));
             ArArchiveOutputStream to = new ArArchiveOutputStream(new BufferedOutputStream(Files.newOutputStream(out), 1 << 16))) {
            ArArchiveEntry member;
            boolean data = false;
            while ((member = ar.getNextEntry()) != null) {
                String name = member.getName();
                if (name.equals("debian-binary")) {
                    byte[] version = ar.readAllBytes();
                    to.putArchiveEntry(new ArArchiveEntry(name, version.length, 0, 0, 0100644, member.getLastModified()));
                    to.write(version);
                } else if (name.startsWith("control.tar") || name.startsWith("data.tar")) {
                    data |= name.startsWith("data.tar");
                    // ar needs each member's size before its bytes: spill the tarball to a file
                    Path tar = Files.createTempFile(out.getParent(), ".member-", ".tar");
                    try {
                        try (InputStream in = decompressor(name, ar, deb)) {
                            Files.copy(in, tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                        String plain = name.substring(0, name.indexOf(".tar") + 4);
                        to.putArchiveEntry(new ArArchiveEntry(plain, Files.size(tar), 0, 0, 0100644, member.getLastModified()));
                        Files.copy(tar, to);
                    } finally {
                        Files.delete(tar);
                    }
                } else {
                    continue;
                }
                to.closeArchiveEntry();
            }
            if (!data) throw new IOException(deb.getFileName() + " has no data.tar member: not a Debian binary package");
        }
    }

    private static InputStream decompressor(String member, InputStream in, Path deb) throws IOException {
        InputStream shielded = new FilterInputStream(in) { // the tar must not close the ar stream
            @Override public void close() { }
        };
        return switch (member) {
            case "data.tar", "control.tar" -> shielded;
            case "data.tar.xz", "control.tar.xz" -> new XZInputStream(new BufferedInputStream(shielded, 1 << 16));
            case "data.tar.gz", "control.tar.gz" -> new GZIPInputStream(shielded, 1 << 16);
            default -> throw new IOException(deb.getFileName() + " compresses its files as " + member
                    + ", which jvisor cannot read (it reads data.tar.xz and data.tar.gz)");
        };
    }

    /** Reports bytes read to a progress bar. */
    private static final class Counting extends FilterInputStream {
        private final Progress progress;

        Counting(InputStream in, Progress progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && progress != null) progress.advance(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && progress != null) progress.advance(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            if (s > 0 && progress != null) progress.advance(s);
            return s;
        }
    }
}

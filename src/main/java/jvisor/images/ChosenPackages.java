package jvisor.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The packages an image is made of, as the index described them. Saved beside the downloads
 * under the index's SHA256, so that while the mirror's index is unchanged it need not be
 * downloaded and parsed again.
 */
record ChosenPackages(PackageIndex.Package kernel, PackageIndex.Package busybox, PackageIndex.Package firmware) {
    private static final String[] ROLES = {"kernel", "busybox", "firmware"};

    List<PackageIndex.Package> all() { return List.of(kernel, busybox, firmware); }

    void save(Path file) throws IOException {
        Properties p = new Properties();
        for (int i = 0; i < ROLES.length; i++) {
            PackageIndex.Package pkg = all().get(i);
            p.setProperty(ROLES[i] + ".name", pkg.name());
            p.setProperty(ROLES[i] + ".version", pkg.version());
            p.setProperty(ROLES[i] + ".filename", pkg.filename());
            p.setProperty(ROLES[i] + ".size", Long.toString(pkg.size()));
            p.setProperty(ROLES[i] + ".sha256", pkg.sha256());
        }
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "packages chosen from the index with this SHA256");
        }
    }

    /** The saved choice, or null when there is none (or it is unreadable: parse the index again). */
    static ChosenPackages load(Path file) {
        if (!Files.isRegularFile(file)) return null;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            PackageIndex.Package[] pkgs = new PackageIndex.Package[ROLES.length];
            for (int i = 0; i < ROLES.length; i++) {
                String r = ROLES[i];
                pkgs[i] = PackageIndex.Package.file(p.getProperty(r + ".name"), p.getProperty(r + ".version"),
                        p.getProperty(r + ".filename"), Long.parseLong(p.getProperty(r + ".size")),
                        p.getProperty(r + ".sha256"));
                if (pkgs[i].name() == null || pkgs[i].filename() == null || pkgs[i].sha256() == null) return null;
            }
            return new ChosenPackages(pkgs[0], pkgs[1], pkgs[2]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A build step (pom.xml runs it on the jar after the shade plugin): rewrites the jar's classes
 * older than Java 6 (class-file version below 50, picocli's among them: it is compiled for Java 5)
 * as Java 8 classes, their code unchanged and stack maps computed by the JDK's class-file API.
 * The JVM's AOT cache (tools/jdk.sh, aot_cache) leaves old classes out, so every start of jvisor
 * read, verified and linked picocli's classes from the jar: about a third of a cold
 * 'jvisor restore --help' (0.385 s -> 0.272 s wall, six alternating runs). A class it cannot
 * rewrite (one with the jsr instruction, say) stays as it was.
 *
 * Usage: java tools/UpgradeOldClasses.java JAR
 */
public final class UpgradeOldClasses {
    private static final int JAVA_6 = 50, JAVA_8 = 52;

    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]).toAbsolutePath();
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
            Path root = zip.getPath("/");
            List<Path> classes;
            try (var walk = Files.walk(root)) {
                classes = walk.filter(p -> p.toString().endsWith(".class")).toList();
            }
            // Stack maps need the common superclass of two types: the jar's own classes are read
            // from the jar, the JDK's from the running JDK.
            ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.ofResourceParsing((ClassDesc c) -> open(zip, c))
                            .orElse(ClassHierarchyResolver.defaultResolver())));
            ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen(ClassTransform.endHandler(b -> b.withVersion(JAVA_8, 0)));
            int upgraded = 0, kept = 0;
            for (Path p : classes) {
                byte[] bytes = Files.readAllBytes(p);
                ClassModel model = cf.parse(bytes);
                if (model.majorVersion() >= JAVA_6) continue;
                try {
                    Files.write(p, cf.transformClass(model, upgrade));
                    upgraded++;
                } catch (IllegalArgumentException | IllegalStateException e) {
                    kept++;
                    System.err.println("UpgradeOldClasses: " + p + " stays a Java " + (model.majorVersion() - 44)
                            + " class: " + e.getMessage());
                }
            }
            System.out.println("UpgradeOldClasses: " + jar.getFileName() + ": " + upgraded
                    + " classes rewritten as Java 8 classes" + (kept > 0 ? ", " + kept + " kept as they were" : ""));
        }
    }

    private static InputStream open(FileSystem zip, ClassDesc c) {
        String desc = c.descriptorString(); // Lpkg/Name;
        Path p = zip.getPath("/" + desc.substring(1, desc.length() - 1) + ".class");
        try {
            return Files.exists(p) ? Files.newInputStream(p) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

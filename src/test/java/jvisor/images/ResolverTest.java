package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolverTest {
    /** A Packages index of riscv64 stanzas; each entry is "name version" then extra field lines. */
    static PackageIndex index(String... stanzas) throws ImageException {
        StringBuilder text = new StringBuilder();
        for (String s : stanzas) {
            String[] lines = s.split("\n", 2);
            String[] nameVersion = lines[0].split(" ");
            text.append("Package: ").append(nameVersion[0]).append("\nVersion: ").append(nameVersion[1])
                    .append("\nFilename: pool/").append(nameVersion[0]).append(".deb\nSize: 100\nSHA256: 00\n");
            if (!s.contains("Architecture:")) text.append("Architecture: riscv64\n");
            if (lines.length > 1) text.append(lines[1].strip()).append('\n');
            text.append('\n');
        }
        return PackageIndex.parse(new StringReader(text.toString()), "Packages");
    }

    private static List<String> resolve(PackageIndex index, String... roots) throws ImageException {
        return names(new Resolver(index, "Packages").resolve(List.of(roots)));
    }

    private static String failure(PackageIndex index, String... roots) {
        return assertThrows(ImageException.class, () -> resolve(index, roots)).getMessage();
    }

    @Test
    void closureFollowsDependsAndPreDependsButNotRecommends() throws ImageException {
        PackageIndex idx = index(
                "app 1\nDepends: libapp\nPre-Depends: init-system-helpers\nRecommends: docs\nSuggests: extras",
                "libapp 1\nDepends: libc6 (>= 2.38)", "init-system-helpers 1\nDepends: libc6", "libc6 2.41",
                "docs 1", "extras 1");
        List<String> order = resolve(idx, "app");
        assertEquals(List.of("libc6", "init-system-helpers", "libapp", "app"), order);
    }

    @Test
    void everyVersionRelationIsHonoured() throws ImageException {
        String[][] cases = {{"<< 2", "1.9"}, {"<= 2", "2"}, {"= 2", "2"}, {">= 2", "2"}, {">> 2", "2.0.1"},
                {">= 1:0", "1:0-1"}, {"<< 2", "2~rc1"}};
        for (String[] c : cases) {
            PackageIndex idx = index("app 1\nDepends: lib (" + c[0] + ")", "lib " + c[1]);
            assertEquals(List.of("lib", "app"), resolve(idx, "app"), c[0] + " accepts " + c[1]);
        }
        String[][] refused = {{"<< 2", "2"}, {"<= 2", "2.1"}, {"= 2", "2-1"}, {">= 2", "1.9"}, {">> 2", "2"}};
        for (String[] c : refused) {
            String m = failure(index("app 1\nDepends: lib (" + c[0] + ")", "lib " + c[1]), "app");
            assertEquals("app needs lib (" + c[0] + "), which Packages lacks (it has " + c[1] + ")", m);
        }
    }

    @Test
    void alternativesPreferWhatIsChosenThenTheFirstThatFits() throws ImageException {
        PackageIndex idx = index("app 1\nDepends: mawk | gawk", "mawk 1", "gawk 1");
        assertEquals(List.of("mawk", "app"), resolve(idx, "app"), "the first alternative, as apt");
        assertEquals(List.of("gawk", "app"), resolve(idx, "gawk", "app"), "a root meets the dependency");
        assertEquals(List.of("gawk", "app"), resolve(idx, "app", "gawk"), "whatever the order of the roots");

        idx = index("app 1\nDepends: missing | old (>= 2) | fits", "old 1", "fits 1");
        assertEquals(List.of("fits", "app"), resolve(idx, "app"), "absent and too old alternatives are skipped");
    }

    @Test
    void choicesWaitForWhatOtherPackagesNeedAnyway() throws ImageException {
        PackageIndex idx = index("a 1\nDepends: x | y", "b 1\nDepends: y", "x 1", "y 1");
        assertEquals(List.of("y", "a", "b"), resolve(idx, "a", "b"));
    }

    @Test
    void virtualPackagesAndVersionedProvides() throws ImageException {
        PackageIndex idx = index("app 1\nDepends: awk", "mawk 1\nProvides: awk\nPriority: required",
                "gawk 1\nProvides: awk\nPriority: optional", "busybox 1\nProvides: awk\nPriority: optional");
        assertEquals(List.of("mawk", "app"), resolve(idx, "app"), "the most needed priority");
        assertEquals(List.of("gawk", "app"), resolve(idx, "app", "gawk"), "a chosen provider");
        assertEquals(List.of("busybox"), resolve(index("busybox 1\nProvides: awk", "gawk 1\nProvides: awk"), "awk"),
                "a virtual root; equal priorities go by name");
        assertEquals(List.of("original-awk"), resolve(index("mawk 1\nProvides: awk\nPriority: required",
                "original-awk 1\nProvides: awk\nEssential: yes"), "awk"), "Essential before priority");

        idx = index("app 1\nDepends: libfoo-abi (>= 2)", "libfoo1 1\nProvides: libfoo-abi (= 1)",
                "libfoo2 2\nProvides: libfoo-abi (= 2)", "libfoo-any 3\nProvides: libfoo-abi");
        assertEquals(List.of("libfoo2", "app"), resolve(idx, "app"), "only a matching versioned Provides counts");
        String m = failure(index("app 1\nDepends: libfoo-abi (>= 2)", "libfoo-any 3\nProvides: libfoo-abi"), "app");
        assertEquals("app needs libfoo-abi (>= 2), which Packages lacks (it is provided by libfoo-any)", m);
    }

    @Test
    void architectureQualifiers() throws ImageException {
        PackageIndex idx = index("app 1\nDepends: python3:any, perl:native, libc6:riscv64, tzdata",
                "python3 3.13\nMulti-Arch: allowed", "perl 5.40", "libc6 2.41\nMulti-Arch: same",
                "tzdata 2025\nArchitecture: all");
        assertEquals("riscv64", idx.architecture());
        assertEquals(List.of("python3", "perl", "libc6", "tzdata", "app"), resolve(idx, "app"));

        String m = failure(index("app 1\nDepends: perl:any", "perl 5.40"), "app");
        assertEquals("app needs perl:any, which Packages lacks (it has 5.40 for riscv64, Multi-Arch: no)", m);
        m = failure(index("app 1\nDepends: libc6:amd64", "libc6 2.41"), "app");
        assertTrue(m.startsWith("app needs libc6:amd64, which Packages lacks"), m);
    }

    @Test
    void anUnmetDependencyNamesTheChain() throws ImageException {
        PackageIndex idx = index("openssh-server 1\nDepends: openssh-client",
                "openssh-client 1\nDepends: libfoo (>= 2)", "libfoo 1.0");
        assertEquals("openssh-server -> openssh-client needs libfoo (>= 2), which Packages lacks (it has 1.0)",
                failure(idx, "openssh-server"));
        assertEquals("app needs a | b (>= 2), which Packages lacks (a is missing; b has 1)",
                failure(index("app 1\nDepends: a | b (>= 2)", "b 1"), "app"));
        assertEquals("app needs nothing, which Packages lacks", failure(index("app 1\nDepends: nothing"), "app"));
        assertEquals("ghost is neither a package nor provided by one in Packages", failure(index("app 1"), "ghost"));
        assertEquals("malformed relation 'lib (~ 2)' in package app of Packages",
                failure(index("app 1\nDepends: lib (~ 2)"), "app"), "relations are parsed when first needed");
        assertEquals("malformed relation 'virt (~ 1)' in package bad of Packages",
                failure(index("app 1\nDepends: virt", "bad 1\nProvides: virt (~ 1)"), "app"));
    }

    @Test
    void conflictsAndBreaksAmongTheChosenAreRefused() throws ImageException {
        PackageIndex idx = index("a 1\nConflicts: b (<< 2)", "b 1", "c 1\nBreaks: d (>= 1)", "d 1",
                "mta 1\nProvides: mail-transport-agent\nConflicts: mail-transport-agent",
                "other-mta 1\nProvides: mail-transport-agent\nConflicts: mail-transport-agent");
        assertEquals("the packages chosen from Packages clash: a 1 conflicts with b 1 (b (<< 2))",
                failure(idx, "a", "b"));
        assertEquals("the packages chosen from Packages clash: c 1 breaks d 1 (d (>= 1))", failure(idx, "c", "d"));
        assertEquals(List.of("mta"), resolve(idx, "mta"), "conflicting with what it provides itself is fine");
        String m = failure(idx, "mta", "other-mta");
        assertTrue(m.contains("mta 1 conflicts with other-mta 1, which provides mail-transport-agent;"), m);

        idx = index("a 1\nConflicts: b (<< 1), virt (<< 2)", "b 1\nProvides: virt", "c 1\nProvides: virt (= 3)");
        assertEquals(List.of("a", "b", "c"), resolve(idx, "a", "b", "c"),
                "versions that do not match, and a versioned conflict with an unversioned Provides, are no clash");
    }

    @Test
    void cyclesKeepPreDependsFirst() throws ImageException {
        PackageIndex idx = index("app 1\nDepends: a", "a 1\nDepends: b", "b 1\nPre-Depends: c", "c 1\nDepends: a");
        assertEquals(List.of("a", "c", "b", "app"), resolve(idx, "app"),
                "in the cycle a-b-c, c before b, else by name");

        String m = failure(index("a 1\nPre-Depends: b", "b 1\nPre-Depends: a"), "a");
        assertEquals("packages a, b pre-depend on each other in a cycle, which dpkg cannot install", m);
    }

    @Test
    void indexQueriesByPriorityAndEssential() throws ImageException {
        PackageIndex idx = index("dpkg 1\nPriority: required\nEssential: yes", "base-files 1\nPriority: required",
                "apt 1\nPriority: important", "vim 1\nPriority: optional", "old 1\nPriority: extra", "none 1");
        assertEquals(List.of("base-files", "dpkg"), names(idx.withPriority(PackageIndex.Priority.REQUIRED)));
        assertEquals(List.of("apt"), names(idx.withPriority(PackageIndex.Priority.IMPORTANT)));
        assertEquals(List.of("none", "vim"), names(idx.withPriority(PackageIndex.Priority.OPTIONAL)));
        assertEquals(List.of("dpkg"), names(idx.essential()));
        assertFalse(idx.find("apt").essential());
        assertEquals(idx.find("apt"), index("apt 1\nPriority: important").find("apt"), "a Package is a value");
    }

    @Test
    void relationsParseAndPrintAsWritten() {
        List<List<Relation>> groups = Relation.parseGroups("libc6(>=2.38),  mawk |gawk:any ,\n x (< 1)");
        assertEquals(List.of(
                List.of(new Relation("libc6", null, Relation.Op.LATER_OR_EQUAL, "2.38")),
                List.of(new Relation("mawk", null, null, null), new Relation("gawk", "any", null, null)),
                List.of(new Relation("x", null, Relation.Op.EARLIER_OR_EQUAL, "1"))), groups, "'<' is the old '<='");
        assertEquals(List.of("libc6 (>= 2.38)", "mawk | gawk:any", "x (<= 1)"),
                groups.stream().map(Relation::describe).toList());
        assertThrows(Relation.Malformed.class, () -> Relation.parse("libc6 (~ 2)"));
    }

    private static List<String> names(List<PackageIndex.Package> packages) {
        return packages.stream().map(PackageIndex.Package::name).toList();
    }
}

package jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jvisor.host.ByteSize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code jvisor vm ...}: the daemon's VMs by name, through its REST API only (like virsh over
 * libvirtd). Tables for people; {@code --json} prints the API's answers for scripts.
 */
@Command(name = "vm", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, sortOptions = false,
        description = {"Manage the VMs of a running 'jvisor serve' daemon through its REST API."},
        subcommands = {VmConsole.class})
final class VmCommand {
    @Option(names = "--host", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "The daemon's API (default: $JVISOR_HOST, else the address in the state directory, else http://127.0.0.1:7407).")
    String host;

    @Option(names = "--state", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "The daemon's state directory, for its address and token (default: $XDG_DATA_HOME/jvisor).")
    Path state;

    @Option(names = "--token-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "File holding the API token (default: STATE/token).")
    Path tokenFile;

    @Option(names = "--fingerprint", paramLabel = "SHA256", scope = ScopeType.INHERIT,
            description = "Trust an https daemon whose certificate has this SHA-256 fingerprint (it prints it at start) and no other.")
    String fingerprint;

    @Option(names = "--known-hosts", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Where https daemons' certificates are pinned on first use (default: $XDG_CONFIG_HOME/jvisor/known-hosts).")
    Path knownHosts;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the API's JSON answers (for scripts).")
    boolean json;

    private final PrintStream out = System.out;

    ApiClient client() { return ApiClient.locate(host, tokenFile, state, fingerprint, knownHosts, System.getenv()); }

    @Command(name = "list", description = "List the VMs: name, state, harts, memory, what they boot.")
    int list() {
        JsonNode vms = client().call("GET", "/vms", null);
        if (json) return print(vms);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "STATE", "CPUS", "MEMORY", "BOOT", "REASON"});
        for (JsonNode vm : vms) {
            JsonNode d = vm.get("definition");
            String boot = d.hasNonNull("image") ? d.get("image").asText() : Path.of(d.path("kernel").asText()).getFileName().toString();
            rows.add(new String[] {vm.get("name").asText(), vm.get("state").asText(), d.path("cpus").asText(),
                    d.path("memory").asText(), boot, vm.path("reason").asText("")});
        }
        Table.print(out, rows);
        return 0;
    }

    /** The options of {@code define} and {@code create}: those of {@code jvisor run}. */
    static final class Definition {
        @Parameters(index = "0", paramLabel = "NAME", description = "The VM's name.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "IMAGE", description = "Catalog image to boot (debian), or give --kernel.")
        String image;

        @Option(names = "--kernel", paramLabel = "FILE", description = "Linux Image or ELF kernel.")
        Path kernel;

        @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk.")
        Path initrd;

        @Option(names = "--append", paramLabel = "CMDLINE", description = "Kernel command line (with IMAGE, added to the image's).")
        String append;

        @Option(names = "--bios", paramLabel = "builtin|none|opensbi|FILE", description = "Firmware, as for 'jvisor run' (default: builtin).")
        String bios;

        @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "Guest RAM, e.g. 512M (default) or 2G.")
        String memory;

        @Option(names = "--cpus", paramLabel = "N", description = "Number of harts, 1 to 32 (default: 1).")
        Integer cpus;

        @Option(names = "--jit", paramLabel = "on|off|eager", description = "How guest code runs (default: on).")
        String jit;

        @Option(names = "--cpu", paramLabel = "h=on|off",
                description = "CPU features: h=off hides the hypervisor extension from the guest (default: h=on).")
        String cpu;

        @Option(names = "--gdb", paramLabel = "tcp:[HOST:]PORT",
                description = "A gdb stub for the VM while it runs, on the daemon's host (loopback unless HOST is given).")
        String gdb;

        @Mixin DeviceOptions devices;

        /** The API's definition: files made absolute here, since the daemon has another working directory. */
        Map<String, Object> body() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("image", image);
            m.put("kernel", abs(kernel));
            m.put("initrd", abs(initrd));
            m.put("append", append);
            m.put("bios", bios == null || List.of("builtin", "none", "opensbi").contains(bios) ? bios : abs(Path.of(bios)));
            m.put("memory", memory);
            m.put("cpus", cpus);
            m.put("jit", jit);
            m.put("cpu", cpu);
            m.put("gdb", gdb);
            m.put("disks", devices.disks.stream().map(Definition::absFirst).toList());
            m.put("nets", devices.nets);
            m.put("shares", devices.shares.stream().map(Definition::absFirst).toList());
            m.put("rng", devices.rng);
            m.values().removeIf(v -> v == null);
            return m;
        }

        private static String abs(Path p) { return p == null ? null : p.toAbsolutePath().normalize().toString(); }

        /** {@code FILE,opts} with FILE made absolute. */
        private static String absFirst(String value) {
            int comma = value.indexOf(',');
            String file = comma < 0 ? value : value.substring(0, comma);
            return file.isEmpty() ? value : abs(Path.of(file)) + (comma < 0 ? "" : value.substring(comma));
        }
    }

    @Command(name = "define", description = "Define a VM with the options of 'jvisor run' (it stays stopped).")
    int define(@Mixin Definition d) {
        return show(client().call("POST", "/vms", d.body()));
    }

    @Command(name = "create", description = "Define a VM and start it.")
    int create(@Mixin Definition d) {
        return show(client().call("POST", "/vms?start=true", d.body()));
    }

    @Command(name = "start", description = "Boot VMs that are defined, stopped or crashed.")
    int start(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) { return each(names, "start"); }

    @Command(name = "stop", description = "Power VMs off (a saved VM: discard its saved state).")
    int stop(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) { return each(names, "stop"); }

    @Command(name = "reboot", description = "Reset running VMs.")
    int reboot(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) { return each(names, "reboot"); }

    @Command(name = "pause", description = "Pause running VMs.")
    int pause(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) { return each(names, "pause"); }

    @Command(name = "resume", description = "Resume paused VMs.")
    int resume(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) { return each(names, "resume"); }

    @Command(name = "save", description = "Save a running or paused VM to a snapshot file; it becomes 'saved'.")
    int save(@Parameters(paramLabel = "NAME") String name,
             @Option(names = "--file", paramLabel = "FILE", description = "Where (default: in the daemon's state directory).") Path file) {
        return show(client().call("POST", "/vms/" + name + "/save", fileBody(file)));
    }

    @Command(name = "restore", description = "Continue a saved VM (or, with --file, any stopped VM from a snapshot file).")
    int restore(@Parameters(paramLabel = "NAME") String name,
                @Option(names = "--file", paramLabel = "FILE", description = "A snapshot file to continue from.") Path file) {
        return show(client().call("POST", "/vms/" + name + "/restore", fileBody(file)));
    }

    @Command(name = "migrate", description = {"Move a running or paused VM to another jvisor daemon while it runs (live migration).",
            "Its disks must be reachable there (shared storage; --path maps where the destination sees them).",
            "Ctrl-C cancels the migration until the VM is handed over; it then runs on here."})
    int migrate(@Parameters(paramLabel = "NAME") String name,
                @Option(names = "--to", required = true, paramLabel = "URL", description = "The destination daemon's API, e.g. http://10.0.0.2:7407.") String to,
                @Option(names = "--to-token-file", required = true, paramLabel = "FILE",
                        description = "File holding the destination daemon's API token (its STATE/token).") Path toToken,
                @Option(names = "--to-fingerprint", paramLabel = "SHA256",
                        description = "For an https destination: its certificate's fingerprint (default: the one pinned in known-hosts, pinned now on first use).")
                String toFingerprint,
                @Option(names = "--max-downtime", paramLabel = "MS", description = "How long the guest may stand still at the end (default: 50).") Long maxDowntime,
                @Option(names = "--path", paramLabel = "OLD=NEW", description = "A disk or share at OLD here is at NEW on the destination (repeatable).")
                List<String> paths) throws InterruptedException {
        String token;
        try {
            token = java.nio.file.Files.readString(toToken).strip();
        } catch (IOException e) {
            throw new Main.UsageError("--to-token-file " + toToken + ": cannot read it (" + e.getMessage() + ")");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("to", to);
        body.put("token", token);
        if (maxDowntime != null) body.put("maxDowntimeMs", maxDowntime);
        if (to.regionMatches(true, 0, "https:", 0, 6)) body.put("fingerprint", destinationFingerprint(to, toToken, toFingerprint));
        body.put("paths", RestoreCommand.pathMap(paths == null ? List.of() : paths).entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(e -> e.getKey().toAbsolutePath().normalize().toString(),
                        e -> e.getValue().toAbsolutePath().normalize().toString())));
        ApiClient c = client();
        c.call("POST", "/vms/" + name + "/migrate", body);
        Thread cancel = new Thread(() -> {
            try {
                c.call("DELETE", "/vms/" + name + "/migration", null);
            } catch (RuntimeException e) {
                // already over
            }
        });
        Runtime.getRuntime().addShutdownHook(cancel);
        try {
            return followMigration(c, name);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cancel);
            } catch (IllegalStateException e) {
                // exiting: the hook runs
            }
        }
    }

    /**
     * The fingerprint the source daemon must trust at an https destination: the one given, else
     * the one this user has pinned for it (asking the destination now, with its token, pins it
     * on first use as any 'jvisor vm' command would).
     */
    private String destinationFingerprint(String to, Path toToken, String given) {
        if (given != null) return given;
        ApiClient.locate(to, toToken, null, null, knownHosts, System.getenv()).call("GET", "", null);
        Path file = knownHosts != null ? knownHosts : jvisor.net.tls.PinStore.defaultFile(System.getenv());
        return jvisor.net.tls.PinStore.strict(file).pinned(jvisor.net.tls.PinStore.key(java.net.URI.create(to)))
                .orElseThrow(() -> new Main.Failure("no pinned certificate for " + to + " in " + file + ": give --to-fingerprint"))
                .toString();
    }

    /** Prints the migration's progress until it ends; 0 once the destination runs the VM. */
    private int followMigration(ApiClient c, String name) throws InterruptedException {
        boolean tty = System.console() != null && !json;
        String last = "";
        while (true) {
            JsonNode s = c.call("GET", "/vms/" + name + "/migration", null);
            String phase = s.get("phase").asText();
            JsonNode p = s.path("progress");
            String line = p.isMissingNode() || p.isNull() ? phase : String.format("%s, round %d: %s sent, %d pages dirty, %.0f MB/s%s", phase,
                    p.get("round").asInt(), ByteSize.format(p.get("bytesSent").asLong()), p.get("pagesLeft").asLong(),
                    p.get("bytesPerSecond").asDouble() / 1e6,
                    p.get("throttlePercent").asInt() > 0 ? ", guest slowed to " + (100 - p.get("throttlePercent").asInt()) + "%" : "");
            switch (phase) {
                case "done" -> {
                    if (tty) System.err.print("\r\033[K");
                    if (json) return print(s);
                    out.printf("%s: migrated to %s in %.2f s (%s sent, stood still %s)%n", name, s.get("to").asText(),
                            s.get("totalSeconds").asDouble(), ByteSize.format(p.path("bytesSent").asLong()),
                            s.hasNonNull("downtimeMs") ? String.format("%.1f ms", s.get("downtimeMs").asDouble()) : "an unknown time");
                    return 0;
                }
                case "failed", "cancelled", "unknown" -> {
                    if (tty) System.err.print("\r\033[K");
                    if (json) print(s);
                    throw new Main.Failure(name + ": migration " + phase + (s.hasNonNull("error") ? ": " + s.get("error").asText() : "")
                            + (phase.equals("unknown") ? "; it is paused here: resume it here only if it does not run at " + s.get("to").asText()
                            : "; it goes on here"));
                }
                default -> {
                    if (!line.equals(last)) {
                        if (tty) System.err.print("\r\033[K" + line);
                        else if (!json) System.err.println(line);
                        last = line;
                    }
                }
            }
            Thread.sleep(200);
        }
    }

    private static Map<String, String> fileBody(Path file) {
        return file == null ? null : Map.of("file", file.toAbsolutePath().normalize().toString());
    }

    @Command(name = "rm", description = "Delete VMs that are not running (with their saved state and logs).")
    int rm(@Parameters(paramLabel = "NAME", arity = "1..*") List<String> names) {
        ApiClient c = client();
        for (String n : names) {
            c.call("DELETE", "/vms/" + n, null);
            if (!json) out.println(n + ": deleted");
        }
        return 0;
    }

    @Command(name = "stats", description = "Uptime, instructions, MIPS, CPU time per hart, JIT coverage, memory, disk and network traffic.")
    int stats(@Parameters(paramLabel = "NAME") String name) {
        JsonNode s = client().call("GET", "/vms/" + name + "/stats", null);
        if (json) return print(s);
        List<String[]> rows = new ArrayList<>();
        s.properties().forEach(e -> {
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (k.equals("disks")) {
                for (JsonNode d : v) {
                    rows.add(new String[] {"disk", d.path("image").asText() + ": read " + traffic(d.path("readBytes").asLong())
                            + " in " + d.path("reads").asLong() + " requests, written " + traffic(d.path("writtenBytes").asLong())
                            + " in " + d.path("writes").asLong()});
                }
            } else if (k.equals("nics")) {
                for (JsonNode n : v) {
                    rows.add(new String[] {"net", n.path("mac").asText() + ": rx " + traffic(n.path("rxBytes").asLong())
                            + " in " + n.path("rxPackets").asLong() + " packets, tx " + traffic(n.path("txBytes").asLong())
                            + " in " + n.path("txPackets").asLong() + " packets" + (n.path("dropped").asLong() > 0
                            ? ", " + n.path("dropped").asLong() + " dropped" : "")});
                }
            } else if (k.endsWith("Bytes") && v.isNumber()) {
                rows.add(new String[] {k, ByteSize.format(v.asLong())});
            } else {
                rows.add(new String[] {k, v.isArray() || v.isObject() ? v.toString() : v.asText()});
            }
        });
        Table.print(out, rows);
        return 0;
    }

    /** Bytes for people: 512 B, 1.5 KiB, 20.3 MiB. */
    static String traffic(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    @Command(name = "logs", description = "Print a VM's log (console output and the host's notes).")
    int logs(@Parameters(paramLabel = "NAME") String name,
             @Option(names = {"-f", "--follow"}, description = "Keep printing the console output as it comes.") boolean follow)
            throws IOException {
        try (InputStream in = client().stream("/vms/" + name + "/logs" + (follow ? "?follow=true" : ""))) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
        return 0;
    }

    private int each(List<String> names, String verb) {
        ApiClient c = client();
        for (String n : names) show(c.call("POST", "/vms/" + n + "/" + verb, null));
        return 0;
    }

    /** One VM's answer: "NAME: STATE" (and the reason), or its JSON. */
    private int show(JsonNode vm) {
        if (json) return print(vm);
        out.println(vm.get("name").asText() + ": " + vm.get("state").asText()
                + (vm.hasNonNull("reason") ? " (" + vm.get("reason").asText() + ")" : ""));
        return 0;
    }

    private int print(JsonNode node) {
        out.println(ApiClient.json(node));
        return 0;
    }
}

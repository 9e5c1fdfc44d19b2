package jvisor.gdb;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import jvisor.cpu.Hart;
import jvisor.machine.Machine;

/**
 * One gdb connection: the remote serial protocol's commands on top of a {@link Debugger}
 * (gdb manual, "Packets", "General Query Packets"). All-stop mode, one gdb thread per hart
 * (thread id = hart id + 1). The machine stops when gdb connects, as with QEMU; when gdb detaches
 * or the connection drops, every breakpoint goes and the guest runs on. A malformed packet gets
 * an error reply; nothing a client sends can throw out of here.
 */
final class GdbSession implements Runnable {
    private static final HexFormat HEX = HexFormat.of();

    private final Socket socket;
    private final Debugger debugger;
    private final boolean startHalted;
    private PacketChannel channel;
    /** Hart for register and memory packets (Hg), and for legacy c/s (Hc; -1 = all). */
    private int gHart, cHart = -1;
    private boolean interrupted;
    private volatile boolean closing;

    GdbSession(Socket socket, Debugger debugger, boolean startHalted) {
        this.socket = socket;
        this.debugger = debugger;
        this.startHalted = startHalted;
    }

    /** Ends the session from another thread (the machine went away). */
    void close() {
        closing = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void run() {
        try (PacketChannel ch = new PacketChannel(socket)) {
            channel = ch;
            debugger.enable(startHalted);
            debugger.halt(); // like QEMU: the machine stops when gdb attaches
            Stop first = waitForStop(false); // gdb's first packets wait in the socket meanwhile
            if (first != null) gHart = first.hart();
            serve();
        } catch (EOFException e) {
            // gdb went away without detaching
        } catch (IOException e) {
            if (!closing) System.err.println("jvisor: gdb connection: " + e.getMessage());
        } finally {
            debugger.disable();
        }
    }

    /**
     * Waits for the stop in progress, reading the client only if {@code interruptible} (for Ctrl-C);
     * null if the machine finished first (then W was sent).
     */
    private Stop waitForStop(boolean interruptible) throws IOException {
        while (true) {
            Stop s = debugger.awaitStop(20);
            if (s != null) return s;
            Machine.Outcome o = debugger.machine().outcome();
            if (o != null) {
                channel.send("W" + String.format("%02x", o.status() & 0xff));
                return null;
            }
            if (!interruptible) continue;
            String p = channel.read();
            if (p.equals(PacketChannel.INTERRUPT)) {
                interrupted = true;
                debugger.halt();
            }
            // Other packets while running are not expected in all-stop mode; they are dropped.
        }
    }

    private void serve() throws IOException {
        while (!closing) {
            String p = channel.read();
            if (p.equals(PacketChannel.NOTHING) || p.equals(PacketChannel.INTERRUPT)) {
                if (debugger.machine().outcome() != null) return;
                continue;
            }
            String reply;
            try {
                reply = handle(p);
            } catch (RuntimeException e) { // malformed numbers, bad lengths, unknown threads...
                reply = "E01";
            }
            if (reply == null) return; // detached or killed
            if (reply == RESUMED) {
                Stop s = waitForStop(true);
                if (s == null) return;
                gHart = s.hart();
                channel.send(s.packet(interrupted));
                interrupted = false;
                continue;
            }
            channel.send(reply);
            if (p.equals("QStartNoAckMode")) channel.noAcks();
        }
    }

    /** Marker reply: the machine was resumed; the stop reply comes when it stops. */
    private static final String RESUMED = new String("resumed");

    /** The reply to one packet, {@link #RESUMED}, or null to end the session. */
    private String handle(String p) throws IOException {
        char c = p.charAt(0);
        return switch (c) {
            case '?' -> currentStop();
            case 'q' -> query(p);
            case 'Q' -> p.equals("QStartNoAckMode") ? "OK" : "";
            case 'H' -> selectThread(p);
            case 'T' -> hartOf(p.substring(1)) >= 0 ? "OK" : "E01";
            case 'g' -> readAll();
            case 'G' -> writeAll(p.substring(1));
            case 'p' -> readRegister(Integer.parseInt(p.substring(1), 16));
            case 'P' -> writeRegister(p.substring(1));
            case 'm' -> readMemory(p.substring(1));
            case 'M' -> writeMemory(p.substring(1), false);
            case 'X' -> writeMemory(p.substring(1), true);
            case 'Z', 'z' -> point(p);
            case 'c', 'C' -> resumeLegacy(false, p);
            case 's', 'S' -> resumeLegacy(true, p);
            case 'v' -> verbose(p);
            case 'D' -> {
                channel.send("OK");
                yield null;
            }
            case 'k' -> {
                debugger.machine().powerOff(0); // like QEMU, which exits on kill
                yield null;
            }
            default -> "";
        };
    }

    private String currentStop() {
        Stop s = debugger.awaitStop(0);
        return s == null ? "S05" : s.packet(false);
    }

    private String query(String p) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+";
        }
        if (p.startsWith("qXfer:features:read:target.xml:")) return features(p.substring(31));
        if (p.equals("qfThreadInfo")) {
            StringBuilder b = new StringBuilder("m");
            for (int i = 0; i < debugger.hartCount(); i++) b.append(i == 0 ? "" : ",").append(Integer.toHexString(i + 1));
            return b.toString();
        }
        if (p.equals("qsThreadInfo")) return "l";
        if (p.equals("qC")) return "QC" + Integer.toHexString(gHart + 1);
        if (p.equals("qAttached")) return "1";
        if (p.startsWith("qThreadExtraInfo,")) {
            int h = hartOf(p.substring(17));
            if (h < 0) return "E01";
            Hart hart = debugger.hart(h);
            String info = "hart " + h + (hart.inRunLoop() ? "" : " (stopped)");
            return HEX.formatHex(info.getBytes(StandardCharsets.US_ASCII));
        }
        if (p.startsWith("qSymbol")) return "OK";
        return "";
    }

    /** qXfer:features:read:target.xml:OFFSET,LENGTH. */
    private String features(String range) {
        String[] r = range.split(",");
        byte[] xml = Registers.targetXml().getBytes(StandardCharsets.US_ASCII);
        int off = Integer.parseInt(r[0], 16), len = Integer.parseInt(r[1], 16);
        if (off < 0 || len < 0) return "E01";
        if (off >= xml.length) return "l";
        int n = Math.min(len, xml.length - off);
        byte[] part = java.util.Arrays.copyOfRange(xml, off, off + n);
        return (off + n >= xml.length ? "l" : "m") + PacketChannel.escape(part);
    }

    /** The hart of a gdb thread id (hex, maybe "p1." prefixed); 0 means any, -1 all (only where allowed). */
    private int hartOf(String id) {
        int dot = id.indexOf('.');
        if (id.startsWith("p") && dot > 0) id = id.substring(dot + 1);
        if (id.equals("-1")) return -1;
        int t = Integer.parseInt(id, 16);
        if (t == 0) return gHart;
        if (t < 1 || t > debugger.hartCount()) return -2;
        return t - 1;
    }

    private String selectThread(String p) {
        int h = hartOf(p.substring(2));
        if (h < -1) return "E01";
        if (p.charAt(1) == 'g') {
            if (h >= 0) gHart = h;
        } else {
            cHart = h;
        }
        return "OK";
    }

    private Hart g() { return debugger.hart(gHart); }

    private String readAll() {
        StringBuilder b = new StringBuilder(Registers.G_COUNT * 16);
        for (int i = 0; i < Registers.G_COUNT; i++) b.append(Registers.hex(Registers.read(g(), i)));
        return b.toString();
    }

    private String writeAll(String data) {
        if (data.length() < Registers.G_COUNT * 16) return "E01";
        for (int i = 0; i < Registers.G_COUNT; i++) Registers.write(g(), i, Registers.parse(data, 16 * i));
        return "OK";
    }

    private String readRegister(int num) {
        return Registers.exists(num) ? Registers.hex(Registers.read(g(), num)) : "E45";
    }

    private String writeRegister(String arg) {
        int eq = arg.indexOf('=');
        int num = Integer.parseInt(arg.substring(0, eq), 16);
        if (!Registers.exists(num)) return "E45";
        return Registers.write(g(), num, Registers.parse(arg, eq + 1)) ? "OK" : "E01";
    }

    private String readMemory(String arg) {
        String[] a = arg.split(",");
        long addr = Long.parseUnsignedLong(a[0], 16);
        int len = Integer.parseInt(a[1], 16);
        if (len < 0 || len > 0x4000) return "E01";
        byte[] data = debugger.memory().read(g(), addr, len);
        return data.length == 0 && len > 0 ? "E14" : HEX.formatHex(data);
    }

    private String writeMemory(String arg, boolean binary) {
        int comma = arg.indexOf(','), colon = arg.indexOf(':');
        long addr = Long.parseUnsignedLong(arg.substring(0, comma), 16);
        int len = Integer.parseInt(arg.substring(comma + 1, colon), 16);
        String payload = arg.substring(colon + 1);
        byte[] data = binary ? PacketChannel.unescape(payload) : HEX.parseHex(payload);
        if (data.length != len) return "E01";
        return debugger.memory().write(g(), addr, data) ? "OK" : "E14";
    }

    /** Z/z TYPE,ADDR,KIND: 0 software and 1 hardware breakpoints, 2 write, 3 read, 4 access watchpoints. */
    private String point(String p) {
        String[] a = p.substring(1).split("[,;]");
        int type = Integer.parseInt(a[0]);
        long addr = Long.parseUnsignedLong(a[1], 16);
        long kind = Long.parseLong(a[2], 16);
        boolean insert = p.charAt(0) == 'Z';
        switch (type) {
            case 0, 1 -> {
                if (insert) debugger.addBreakpoint(addr, type == 1);
                else debugger.removeBreakpoint(addr);
            }
            case 2, 3, 4 -> {
                if (kind < 1 || kind > 4096) return "E01";
                Debugger.WatchKind k = type == 2 ? Debugger.WatchKind.WRITE
                        : type == 3 ? Debugger.WatchKind.READ : Debugger.WatchKind.ACCESS;
                if (insert) debugger.addWatchpoint(addr, kind, k);
                else debugger.removeWatchpoint(addr, kind, k);
            }
            default -> { return ""; }
        }
        return "OK";
    }

    /** c/C/s/S [addr]: the Hc hart (or all) steps or runs; for s, the other harts stay stopped. */
    private String resumeLegacy(boolean step, String p) {
        String arg = p.substring(1);
        if (p.charAt(0) == 'C' || p.charAt(0) == 'S') { // signal number first, then maybe ;addr
            int semi = arg.indexOf(';');
            arg = semi < 0 ? "" : arg.substring(semi + 1);
        }
        int target = step && cHart < 0 ? gHart : cHart;
        if (!arg.isEmpty()) {
            long addr = Long.parseUnsignedLong(arg, 16);
            if (target >= 0) debugger.hart(target).pc = addr;
            else for (int i = 0; i < debugger.hartCount(); i++) debugger.hart(i).pc = addr;
        }
        Debugger.Action[] actions = new Debugger.Action[debugger.hartCount()];
        for (int i = 0; i < actions.length; i++) {
            boolean mine = target < 0 || i == target;
            actions[i] = step ? (mine ? Debugger.Action.STEP : Debugger.Action.STAY) : Debugger.Action.RUN;
        }
        debugger.resume(actions);
        return RESUMED;
    }

    private String verbose(String p) {
        if (p.equals("vCont?")) return "vCont;c;C;s;S";
        if (p.startsWith("vCont;")) return vCont(p.substring(6));
        if (p.equals("vMustReplyEmpty")) return "";
        if (p.startsWith("vKill")) {
            debugger.machine().powerOff(0);
            return null;
        }
        return "";
    }

    /** vCont;ACTION[:THREAD];...: the first action naming a hart applies to it; harts no action names stay stopped. */
    private String vCont(String actionsText) {
        Debugger.Action[] actions = new Debugger.Action[debugger.hartCount()];
        for (String part : actionsText.split(";")) {
            if (part.isEmpty()) continue;
            int colon = part.indexOf(':');
            String verb = colon < 0 ? part : part.substring(0, colon);
            Debugger.Action a = switch (verb.charAt(0)) {
                case 'c', 'C' -> Debugger.Action.RUN;
                case 's', 'S' -> Debugger.Action.STEP;
                default -> null;
            };
            if (a == null) return "E01"; // t and r are not offered by vCont?
            int h = colon < 0 ? -1 : hartOf(part.substring(colon + 1));
            if (h < -1) return "E01";
            for (int i = 0; i < actions.length; i++) {
                if (actions[i] == null && (h == -1 || h == i)) actions[i] = a;
            }
        }
        for (int i = 0; i < actions.length; i++) if (actions[i] == null) actions[i] = Debugger.Action.STAY;
        debugger.resume(actions);
        return RESUMED;
    }
}

package jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import jvisor.machine.Machine;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.NonBlockingInputStream;

/**
 * The guest's serial console on the host. On a terminal it switches to raw mode, so every key
 * reaches the guest, and interprets Ctrl-A escapes as QEMU does (Ctrl-A X quits, Ctrl-A H helps,
 * Ctrl-A Ctrl-A sends Ctrl-A). With pipes it passes bytes through, Ctrl-A escapes included, so
 * scripts and tests can drive it.
 */
final class Console implements AutoCloseable {
    private static final int CTRL_A = 1;
    private static final long POLL_MILLIS = 100;

    private final OutputStream out;
    private final InputStream in;
    private final Terminal terminal;
    private final Attributes saved;
    private volatile Machine machine;
    /** What Ctrl-A S does: save the VM and end the run (set by the command running it). */
    private volatile Runnable save;
    private volatile boolean closing;
    private final Thread pump;
    private boolean escape;

    private Console(OutputStream out, InputStream in, Terminal terminal, Attributes saved) {
        this.out = out;
        this.in = in;
        this.terminal = terminal;
        this.saved = saved;
        this.pump = Thread.ofPlatform().name("jvisor-console-input").daemon().start(this::pump);
    }

    static Console open(OutputStream out) throws IOException {
        java.io.Console c = System.console();
        if (c != null && c.isTerminal()) {
            Terminal t = TerminalBuilder.builder().system(true).build();
            Attributes saved = t.enterRawMode();
            return new Console(t.output(), t.input(), t, saved);
        }
        return new Console(out, System.in, null, null);
    }

    OutputStream output() { return out; }

    /** Sends typed bytes to {@code m} from now on (a reboot brings a new machine). */
    void attach(Machine m) { machine = m; }

    void detach() { machine = null; }

    /** Ctrl-A S runs {@code action} (on the console's thread). */
    void onSave(Runnable action) { save = action; }

    private void pump() {
        try {
            while (!closing) {
                int b = next();
                if (b == NonBlockingInputStream.READ_EXPIRED) continue;
                if (b < 0) break;
                if (escape) {
                    escape = false;
                    switch (Character.toLowerCase(b)) {
                        case 'x' -> { message("Terminated"); quit(); continue; }
                        case 'h' -> { help(); continue; }
                        case 's' -> { saveRequested(); continue; }
                        case CTRL_A -> { }
                        default -> { continue; }
                    }
                } else if (b == CTRL_A) {
                    escape = true;
                    continue;
                }
                deliver((byte) b);
            }
        } catch (IOException e) {
            // input closed: the guest runs on without a keyboard
        }
    }

    /** Hands a typed byte to the machine. */
    private void deliver(byte b) {
        Machine m = awaitMachine();
        if (m != null) m.typed(b);
    }

    /**
     * The machine, once there is one: what is typed before it comes (a restore still mapping its
     * memory, a boot still loading), Ctrl-A X and Ctrl-A S included, waits for it instead of
     * being lost. Null if the console closes first.
     */
    private Machine awaitMachine() {
        Machine m;
        while ((m = machine) == null && !closing) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return null;
            }
        }
        return m;
    }

    /**
     * The next byte typed. A terminal's stream is polled so the pump lets go of it now and then:
     * jline's close waits for the stream's lock, which a blocked read would hold until a key.
     */
    private int next() throws IOException {
        return in instanceof NonBlockingInputStream nb ? nb.read(POLL_MILLIS) : in.read();
    }

    private void quit() {
        Machine m = awaitMachine();
        if (m != null) m.powerOff(0);
    }

    private void help() {
        message("C-a h    print this help\r\nC-a x    exit jvisor\r\nC-a s    save the VM to a file and exit"
                + "\r\nC-a C-a  send C-a to the guest");
    }

    private void saveRequested() {
        if (awaitMachine() == null) return;
        Runnable action = save;
        if (action != null) action.run();
    }

    /** A line for the user between the guest's output, on stderr. */
    void message(String text) {
        PrintStream err = System.err;
        err.print("\r\n" + text + "\r\n");
        err.flush();
    }

    @Override
    public void close() throws IOException {
        out.flush();
        closing = true; // also ends a wait for a machine that will not come (deliver)
        if (terminal != null) {
            try {
                pump.join(2 * POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            terminal.setAttributes(saved);
            terminal.close();
        }
    }
}

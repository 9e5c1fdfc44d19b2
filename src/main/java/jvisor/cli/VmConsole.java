package jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.NonBlockingInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code jvisor vm console NAME}: the VM's serial console on this terminal, over the API's
 * WebSocket. On a terminal it goes raw and Ctrl-] detaches (as in virsh); the VM runs on. With
 * pipes, stdin is typed into the console and, once it ends, output is shown until the console
 * has been quiet for {@code --linger} seconds, so scripts can drive a guest.
 */
@Command(name = "console", description = {"Attach to a VM's serial console (Ctrl-] detaches).",
        "Works through pipes too: stdin is typed, output is printed until quiet for --linger seconds after stdin ends."})
final class VmConsole implements java.util.concurrent.Callable<Integer> {
    private static final int CTRL_RIGHT_BRACKET = 0x1d;

    @ParentCommand VmCommand parent;

    @Parameters(paramLabel = "NAME") String name;

    @Option(names = "--no-replay", description = "Do not show the last 64 KiB of output first.")
    boolean noReplay;

    @Option(names = "--linger", paramLabel = "SECONDS", defaultValue = "1",
            description = "With piped stdin: after it ends, wait until the console is quiet this long (default: ${DEFAULT-VALUE}).")
    double linger;

    private volatile long lastOutput = System.nanoTime();
    private final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        ApiClient client = parent.client();
        java.io.Console c = System.console();
        boolean tty = c != null && c.isTerminal();
        Terminal terminal = tty ? TerminalBuilder.builder().system(true).build() : null;
        OutputStream out = terminal != null ? terminal.output() : new PrintStream(System.out, false);
        WebSocket ws = client.console(name, !noReplay, new Listener(out));
        if (terminal != null) {
            PrintStream err = System.err;
            err.print("Connected to " + name + " (Ctrl-] detaches)\r\n");
            Attributes saved = terminal.enterRawMode();
            try {
                typeFrom(terminal.input(), ws, true);
            } finally {
                terminal.setAttributes(saved);
                terminal.close();
                err.print("\r\nDetached from " + name + "\r\n");
            }
        } else {
            typeFrom(System.in, ws, false);
            long quiet = (long) (linger * 1e9);
            while (closed.getCount() > 0 && System.nanoTime() - lastOutput < quiet) {
                closed.await(50, TimeUnit.MILLISECONDS);
            }
        }
        out.flush();
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "detached").exceptionally(t -> null).get(5, TimeUnit.SECONDS);
        return 0;
    }

    /** Sends what is typed until Ctrl-] (terminal), end of input, or the console closes. */
    private void typeFrom(InputStream in, WebSocket ws, boolean terminal) throws IOException {
        byte[] buf = new byte[4096];
        while (closed.getCount() > 0) {
            int n;
            if (in instanceof NonBlockingInputStream nb) {
                int b = nb.read(100);
                if (b == NonBlockingInputStream.READ_EXPIRED) continue;
                if (b < 0) return;
                buf[0] = (byte) b;
                n = 1;
            } else {
                n = in.read(buf);
                if (n < 0) return;
            }
            int end = n;
            if (terminal) {
                for (int i = 0; i < n; i++) if (buf[i] == CTRL_RIGHT_BRACKET) { end = i; break; }
            }
            if (end > 0) ws.sendBinary(ByteBuffer.wrap(buf, 0, end).duplicate(), true).join();
            if (end < n) return;
        }
    }

    /** Console output to {@code out}. */
    private final class Listener implements WebSocket.Listener {
        private final OutputStream out;

        Listener(OutputStream out) { this.out = out; }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            try {
                out.write(b);
                out.flush();
            } catch (IOException e) {
                closed.countDown();
            }
            lastOutput = System.nanoTime();
            ws.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            if (status != WebSocket.NORMAL_CLOSURE && reason != null && !reason.isEmpty()) {
                System.err.print("\r\njvisor: console closed: " + reason + "\r\n");
            }
            closed.countDown();
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.countDown();
        }
    }
}

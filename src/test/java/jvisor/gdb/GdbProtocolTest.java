package jvisor.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jvisor.firmware.ElfImage;
import jvisor.machine.Machine;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * The stub's protocol handling without gdb: replies to well-formed packets, and error replies
 * (never a dead session or a crashed host) for malformed ones.
 */
class GdbProtocolTest {
    private static final String LOOP = Guest.PROLOGUE + """
              li t0, 0
            spin:
              addi t0, t0, 1
              j spin
            """ + Guest.EPILOGUE;

    @Test
    void answersPacketsAndSurvivesGarbage() throws Exception {
        Machine m = Guest.newMachine(2, new ByteArrayOutputStream());
        m.loadHtifProgram(ElfImage.read(Assembler.assemble(LOOP)));
        try (GdbServer server = new GdbServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            server.serve(m, true);
            CompletableFuture<Machine.Outcome> run = CompletableFuture.supplyAsync(m::run);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                s.setSoTimeout(10_000);
                Client c = new Client(s);
                assertEquals("T05thread:1;", c.ask("?"));
                assertTrue(c.ask("qSupported:swbreak+").contains("qXfer:features:read+"));
                assertEquals("OK", c.ask("QStartNoAckMode"));
                c.acks = false;
                assertEquals("m1,2", c.ask("qfThreadInfo"));
                assertTrue(c.ask("qXfer:features:read:target.xml:0,ffff").contains("org.gnu.gdb.riscv.cpu"));
                assertEquals(33 * 16, c.ask("g").length());
                assertEquals("0000008000000000", c.ask("p20"), "pc = 0x80000000, little-endian");
                assertEquals("OK", c.ask("Hg2"));
                assertEquals("0100000000000000", c.ask("p" + Integer.toHexString(65 + 0xF14)), "mhartid of thread 2");
                assertEquals("OK", c.ask("Hg1"));
                assertEquals("OK", c.ask("P5=2a00000000000000"));
                assertEquals("2a00000000000000", c.ask("p5"));
                assertEquals("E14", c.ask("m0,4"), "unmapped memory");
                assertEquals("OK", c.ask("M80800000,2:abcd"));
                assertEquals("abcd", c.ask("m80800000,2"));
                assertEquals("OK", c.ask("X80800002,1:}]"), "escaped '}' in binary data");
                assertEquals("7d", c.ask("m80800002,1"));
                for (String bad : new String[] {"m", "mzz,4", "m80000000", "M80000000,4:zz", "M1,2:abcd", "p", "pzz",
                        "Pzz", "P5=", "G12", "Z0", "Z9,0,4", "Z2,80000000,0", "Hgzz", "Hg99", "Tzz", "vCont;x",
                        "vCont;s:99", "qXfer:features:read:target.xml:zz", "c zz", "X1,2:"}) {
                    String r = c.ask(bad);
                    assertTrue(r.isEmpty() || r.startsWith("E"), bad + " -> " + r);
                }
                c.sendRaw("$g#00"); // bad checksum: no-ack mode trusts it, so it is answered
                assertEquals(33 * 16, c.reply().length());
                c.sendRaw("$" + "a".repeat(PacketChannel.MAX_PACKET + 10) + "#00"); // dropped whole
                assertEquals("T05thread:1;", c.ask("?"), "the session still answers");
                assertEquals("OK", c.ask("D"));
            }
            // Detached: the guest runs on (it spins forever; stop it).
            long before = m.hart(0).instret();
            Thread.sleep(300);
            assertTrue(m.hart(0).instret() > before, "runs after detach");
            m.powerOff(0);
            run.get(30, TimeUnit.SECONDS);
        } finally {
            m.close();
        }
    }

    /** A minimal client: frames packets, skips acks, reads one reply. */
    private static final class Client {
        final InputStream in;
        final OutputStream out;
        boolean acks = true;

        Client(Socket s) throws IOException {
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        String ask(String packet) throws IOException {
            int sum = 0;
            for (byte b : packet.getBytes(StandardCharsets.ISO_8859_1)) sum += b & 0xff;
            sendRaw("$" + packet + "#" + String.format("%02x", sum & 0xff));
            return reply();
        }

        void sendRaw(String frame) throws IOException {
            out.write(frame.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        String reply() throws IOException {
            int b;
            while ((b = in.read()) != '$') if (b < 0) throw new IOException("closed");
            StringBuilder r = new StringBuilder();
            while ((b = in.read()) != '#') r.append((char) b);
            in.read();
            in.read();
            if (acks) out.write('+');
            return r.toString();
        }
    }
}

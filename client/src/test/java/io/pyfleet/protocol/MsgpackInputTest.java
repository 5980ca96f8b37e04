package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The thin client on Java 24+ reads msgpack without {@code sun.misc.Unsafe}, so it prints no warning, unless
 * its JVM allows Unsafe anyway. Each case is a fresh JVM: msgpack-core picks its buffer once per JVM.
 */
class MsgpackInputTest {
    private static final String WARNING = "WARNING: A terminally deprecated method in sun.misc.Unsafe";

    /** In the fresh JVM: reads through pyfleet's codec, then prints the buffer class msgpack-core chose. */
    public static void main(String[] args) {
        Object back = ValueCodec.decode(ValueCodec.encode(List.of(1L, "x", 2.5, List.of(true))));
        if (!back.equals(List.of(1L, "x", 2.5, List.of(true)))) {
            throw new AssertionError("decoded " + back);
        }
        System.out.println(org.msgpack.core.buffer.MessageBuffer.wrap(new byte[1]).getClass().getName());
    }

    private record Run(String out, String err) {
    }

    private static Run fresh(String... properties) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path")));
        command.addAll(List.of(properties));
        command.add(MsgpackInputTest.class.getName());
        Process p = new ProcessBuilder(command).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM ended");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        return new Run(out, err);
    }

    @Test
    void fromJava24OnMsgpackReadsWithoutUnsafeAndNothingWarns() throws Exception {
        Run run = fresh();
        boolean java24 = Runtime.version().feature() >= 24;
        assertEquals(java24 ? "org.msgpack.core.buffer.MessageBufferU" : "org.msgpack.core.buffer.MessageBuffer",
                run.out(), "Java " + Runtime.version().feature() + ": the universal buffer from 24 on, Unsafe's before");
        assertEquals("", run.err(), "nothing on stderr");
    }

    @Test
    void aJvmThatAllowsUnsafeKeepsTheFasterBuffer() throws Exception {
        // The option is Java 24's; before it, every JVM allows Unsafe without a word.
        Run run = Runtime.version().feature() >= 24 ? fresh("--sun-misc-unsafe-memory-access=allow") : fresh();
        assertEquals("org.msgpack.core.buffer.MessageBuffer", run.out());
        assertEquals("", run.err(), "nothing on stderr");
    }

    @Test
    void aPropertyTheUserSetWins() throws Exception {
        Run run = fresh("-D" + MsgpackInput.UNIVERSAL_BUFFER + "=false");
        assertEquals("org.msgpack.core.buffer.MessageBuffer", run.out());
        if (Runtime.version().feature() >= 24) {
            assertTrue(run.err().contains(WARNING), "Unsafe, as asked, with the JDK's warning: " + run.err());
        }
    }
}

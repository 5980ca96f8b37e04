package io.pyfleet.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;

/** With a provider bound (logback here) worker output is logged, and nothing goes to the fallback stream. */
class WorkerOutputTest {

    @Test
    void aBoundProviderGetsTheLinesAndTheFallbackStaysSilent() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WorkerOutput output = new WorkerOutput(LoggerFactory.getLogger("io.pyfleet.worker.t1"), "t1",
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output.line("stdout", "logged, not printed");
        output.stderr("logged too");
        output.line(WorkerOutput.NOTICES, "a notice");
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theNoOperationLoggerMeansTheFallbackStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WorkerOutput output = new WorkerOutput(NOPLogger.NOP_LOGGER, "t2", new PrintStream(bytes, true,
                StandardCharsets.UTF_8));
        output.line("stdout", "a print");
        output.line(WorkerOutput.NOTICES, "a notice");
        output.stderr("fd 2");
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        // The explanation is said once per JVM, and another test may have said it already.
        int first = lines[0].startsWith("[pyfleet] no SLF4J provider is bound") ? 1 : 0;
        assertEquals(first + 3, lines.length);
        assertEquals("[pyfleet t2] a print", lines[first]);
        assertEquals("[pyfleet t2 pyfleet] a notice", lines[first + 1]);
        assertEquals("[pyfleet t2 stderr] fd 2", lines[first + 2]);
    }
}

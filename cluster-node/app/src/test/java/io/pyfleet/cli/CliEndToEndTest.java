package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pyfleet.node.TestPython;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI in-process against a real embedded node and real CPython workers (the interpreter of the
 * {@code pyfleet.python} system property): each command starts its own small node.
 */
class CliEndToEndTest {
    private static boolean numpy;

    record Run(int status, String out, String err) {
    }

    @BeforeAll
    static void probeNumpy() throws Exception {
        Process p = new ProcessBuilder(TestPython.interpreter(), "-c", "import numpy").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        numpy = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = PyfleetCli.commandLine(new PyfleetCli(Map.of("pyfleet.worker.interpreter", TestPython.interpreter())))
                .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static void assertPrints(String expected, String... args) {
        Run r = run(args);
        assertEquals(0, r.status(), r.err());
        assertEquals(expected + System.lineSeparator(), r.out(), r.err());
    }

    @Test
    void intWithAKeywordArgument() {
        assertPrints("42", "call", "builtins.int", "\"101010\"", "--kw", "base=2", "--workers", "2");
    }

    @Test
    void scatterGathersInOrder() {
        assertPrints("[1.0, 2.0, 3.0]", "call", "--scatter", "math.sqrt", "[[1],[4],[9]]", "--workers", "2");
    }

    @Test
    void bigIntegersAreExact() {
        assertPrints("481229803398374426442198455156736", "call", "builtins.pow", "6", "42", "--workers", "2");
    }

    @Test
    void allRunsOnEveryWorker() {
        Run r = run("call", "--all", "os.getpid", "--workers", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().matches("\\[\\d+, \\d+\\]\\R"), r.out());
        Set<String> pids = new HashSet<>();
        Matcher m = Pattern.compile("\\d+").matcher(r.out());
        while (m.find()) {
            pids.add(m.group());
        }
        assertEquals(2, pids.size(), "one distinct pid per worker: " + r.out());
    }

    @Test
    void numpyArraysAreNestedArrays() {
        assumeTrue(numpy, "NumPy is not installed for " + TestPython.interpreter());
        assertPrints("[0, 1, 2, 3, 4, 5]", "call", "numpy.arange", "6", "--workers", "2");
    }

    @Test
    void datesAreIsoStrings() {
        assertPrints("\"1923-04-02\"", "call", "datetime.date", "1923", "4", "2", "--workers", "2");
    }

    @Test
    void otherObjectsShowTypeAndRepr() {
        assertPrints("{\"type\": \"builtins.range\", \"repr\": \"range(0, 3)\"}", "call", "builtins.range", "3",
                "--workers", "2");
    }

    @Test
    void valuesOfEveryKindRoundTrip() {
        // a dict with a non-string key, nested lists, a float, None and a negative number as an argument
        assertPrints("{\"a\": [1, 2.5], \"1\": null, \"t\": [true, \"x\"]}", "call", "builtins.dict",
                "[[\"a\", [1, 2.5]], [1, null], [\"t\", [true, \"x\"]]]", "--workers", "2");
        assertPrints("5", "call", "builtins.abs", "-5", "--workers", "2");
        assertPrints("[3, 2, 1]", "call", "builtins.sorted", "[3, 1, 2]", "--kw", "reverse=true", "--workers", "2");
        assertPrints("\"aGk=\"", "call", "builtins.bytes", "[104, 105]", "--workers", "2");
        assertPrints("\"hello world\"", "call", "builtins.str.join", " ", "[\"hello\", \"world\"]", "--workers", "2");
    }

    @Test
    void aPythonExceptionExitsWithStatus1AndItsTraceback() {
        Run r = run("call", "json.loads", "\"{\\\"a\\\": \"", "--workers", "2");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Traceback (most recent call last):"), r.err());
        assertTrue(r.err().contains("json/decoder.py"), "the frames are there: " + r.err());
        assertTrue(r.err().contains("JSONDecodeError: Expecting value: line 1 column 7 (char 6)"), r.err());
    }

    @Test
    void anExceptionFromABuiltinShowsItsTypeAndMessage() {
        Run r = run("call", "builtins.int", "\"x\"", "--workers", "2");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("ValueError: invalid literal for int() with base 10: 'x'"), r.err());
    }

    @Test
    void scatterPutsErrorsInPlace() {
        Run r = run("call", "--scatter", "math.sqrt", "[[4], [-1], [9], [\"a\"]]", "--workers", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("[2.0, {\"error\": {\"type\": \"builtins.ValueError\", \"message\": \""), r.out());
        assertTrue(r.out().contains("\"}}, 3.0, {\"error\": {\"type\": \"builtins.TypeError\", \"message\": \""),
                r.out());
        assertTrue(r.out().endsWith("\"}}]" + System.lineSeparator()), r.out());
    }

    @Test
    void aTimeoutIsAPyfleetErrorWithStatus1() {
        Run r = run("call", "time.sleep", "30", "--timeout", "300ms", "--workers", "1");
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().startsWith("pyfleet: CallTimeoutException: "), r.err());
    }

    @Test
    void theConfigFileIsLayeredOverTheDefaults(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("my.conf"), "pyfleet.pool.size = 1\n");
        Run r = run("--config", conf.toString(), "call", "--all", "os.getpid");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().matches("\\[\\d+\\]\\R"), r.out());
    }

    @Test
    void theDemoRunsAndSpreadsItsTasks() {
        assumeTrue(numpy, "NumPy is not installed for " + TestPython.interpreter());
        Run r = run("demo", "--workers", "2", "--tasks", "8", "--ensemble", "64", "--progress", "lines");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("resonance"), r.out());
        assertChart(r.out());
        assertTrue(r.err().contains("8/8 tasks"), r.err());
        Matcher m = Pattern.compile("(?m)^  (w\\d+) +\\d+ +(\\d+) +[0-9.]+ s +(\\d+) ").matcher(r.out());
        int workers = 0;
        int tasks = 0;
        while (m.find()) {
            workers++;
            assertTrue(Integer.parseInt(m.group(2)) > 0, "every worker computed: " + r.out());
            tasks += Integer.parseInt(m.group(2));
        }
        assertEquals(2, workers, r.out());
        assertEquals(8, tasks, r.out());
        // the exact curve on node-owned arrays: the pipes carried a sliver of the array bytes
        Matcher pipes = Pattern.compile("using (\\d+) MB of array data;\\R  the workers' pipes carried ([0-9,]+) bytes")
                .matcher(r.out());
        assertTrue(pipes.find(), r.out());
        long arrayBytes = Long.parseLong(pipes.group(1)) * 1_000_000;
        long pipeBytes = Long.parseLong(pipes.group(2).replace(",", ""));
        assertTrue(pipeBytes < arrayBytes / 1000, "arrays stay in shared memory: " + pipeBytes + " of " + arrayBytes);
        assertTrue(r.out().contains("peak A = 5.0252 at w = 0.98995"), r.out());
    }

    /** The demo's chart: drawn by the worker, exactly its width and height, with its legend. */
    private static void assertChart(String out) {
        List<String> lines = out.lines().toList();
        int top = -1;
        for (int i = 0; i < lines.size() && top < 0; i++) {
            top = lines.get(i).contains("steady-state amplitude against driving frequency") ? i : -1;
        }
        assertTrue(top >= 0, out);
        for (String line : lines.subList(top, top + DemoCommand.CHART_HEIGHT)) {
            assertEquals(DemoCommand.CHART_WIDTH, line.length(), out);
        }
        String chart = String.join("\n", lines.subList(top, top + DemoCommand.CHART_HEIGHT));
        assertTrue(chart.contains("theory") && chart.contains("simulated (one task each)"), chart);
        assertTrue(chart.contains("driving frequency w"), chart);
        assertTrue(lines.get(top + DemoCommand.CHART_HEIGHT - 1).contains("driving frequency w"), chart);
    }

    @Test
    void theDemoWritesItsChartAsAPng(@TempDir Path dir) throws Exception {
        assumeTrue(numpy, "NumPy is not installed for " + TestPython.interpreter());
        Path png = dir.resolve("resonance.png");
        Run r = run("demo", "--workers", "1", "--tasks", "3", "--ensemble", "16", "--progress", "off", "--png",
                png.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertChart(r.out());
        assertTrue(r.out().contains("chart written to " + png + " (1000 x 600 PNG)"), r.out());
        byte[] image = Files.readAllBytes(png);
        assertEquals("\u0089PNG", new String(image, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(image);
        assertEquals(DemoCommand.PNG_WIDTH, header.getInt(16));
        assertEquals(DemoCommand.PNG_HEIGHT, header.getInt(20));
    }

    @Test
    void withoutPlotextTheDemoReportsWithoutItsChart(@TempDir Path dir) throws Exception {
        assumeTrue(numpy, "NumPy is not installed for " + TestPython.interpreter());
        // A module on the workers' path that shadows plotext stands in for an interpreter without it.
        Path lib = Files.createDirectory(dir.resolve("lib"));
        Files.writeString(lib.resolve("plotext.py"), "raise ImportError('plotext is blocked by the test')\n");
        Path conf = Files.writeString(dir.resolve("my.conf"), "pyfleet.worker.python-path = [\"" + lib + "\"]\n");
        Run r = run("--config", conf.toString(), "demo", "--workers", "1", "--tasks", "2", "--ensemble", "16",
                "--progress", "off");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("  (no chart: pyfleet.plots needs plotext in the worker's interpreter"), r.out());
        assertTrue(r.out().contains("highest simulated point"), r.out());
    }

    // --- usage errors: status 2, and no node is started ------------------------------------------------------

    @Test
    void usageErrorsExitWithStatus2() {
        for (List<String> args : List.<List<String>>of(
                List.of(),
                List.of("call"),
                List.of("call", "--all", "--scatter", "math.sqrt", "[[1]]"),
                List.of("call", "--scatter", "math.sqrt", "[[1]]", "[[2]]"),
                List.of("call", "--scatter", "math.sqrt", "[1, 2]"),
                List.of("call", "--scatter", "math.sqrt", "nope"),
                List.of("call", "--scatter", "math.sqrt", "[[1]]", "--kw", "a=1"),
                List.of("call", "f", "--kw", "nokey"),
                List.of("call", "f", "--workers", "0"),
                List.of("call", "f", "--timeout", "soon"),
                List.of("call", "f", "--bogus"),
                List.of("--config", "/nonexistent/pyfleet.conf", "call", "f"),
                List.of("demo", "--tasks", "0"),
                List.of("demo", "--workers", "0"),
                List.of("bench", "--workers", "-1"),
                List.of("demo", "--progress", "loud"),
                List.of("demo", "--png", "/nonexistent/dir/chart.png"),
                List.of("status", "--workers", "0"),
                List.of("status", "--bogus"),
                List.of("shell", "--workers", "0"))) {
            Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.status(), args + ": " + r.err());
            assertEquals("", r.out(), args.toString());
            assertTrue(!r.err().isBlank(), args.toString());
        }
    }

    @Test
    void theCommandsShareThePoolOptionsAndReadEnumsInAnyCase() {
        CommandLine.ParseResult parsed = PyfleetCli.commandLine(new PyfleetCli())
                .parseArgs("demo", "--workers", "3", "--progress", "Lines");
        DemoCommand demo = (DemoCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals(3, demo.pool.workers());
        assertEquals(DemoCommand.Progress.LINES, demo.progress);
        assertEquals(Map.of("pyfleet.pool.size", 3), demo.pool.settings());
        for (String command : List.of("call", "demo", "bench", "status", "shell")) {
            assertTrue(PyfleetCli.commandLine(new PyfleetCli()).getSubcommands().get(command).getCommandSpec()
                    .optionsMap().containsKey("--workers"), command);
        }
        DemoCommand byDefault = (DemoCommand) PyfleetCli.commandLine(new PyfleetCli()).parseArgs("demo").subcommand()
                .commandSpec().userObject();
        assertEquals(DemoCommand.Progress.AUTO, byDefault.progress);
        assertEquals(null, byDefault.pool.workers());
        assertEquals(Map.of(), byDefault.pool.settings());
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertEquals(0, v.status());
        assertTrue(v.out().startsWith("pyfleet " + PyfleetVersion.version()), v.out());
        Run h = run("call", "--help");
        assertEquals(0, h.status());
        assertTrue(h.out().contains("base64"), h.out());
        assertTrue(h.out().contains("--scatter"), h.out());
    }
}

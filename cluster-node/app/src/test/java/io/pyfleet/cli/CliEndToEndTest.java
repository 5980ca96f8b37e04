package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            assertOneLineAndAHint(r, args.isEmpty() || args.get(0).startsWith("--config") ? "pyfleet" : "pyfleet "
                    + args.get(0));
        }
    }

    /**
     * A usage error as {@link PyfleetCli#usageError} prints it: one line {@code <command>: <what is wrong>} and the
     * hint {@code see '<command> --help'}, never the usage text; returns the first line.
     */
    static String assertOneLineAndAHint(Run r, String command) {
        List<String> lines = r.err().lines().toList();
        assertEquals(2, lines.size(), "one line and a hint: " + r.err());
        assertTrue(lines.get(0).startsWith(command + ": "), r.err());
        assertEquals("see '" + command + " --help'", lines.get(1));
        assertFalse(r.err().contains("Usage:"), r.err());
        return lines.get(0);
    }

    /** Runs a command that must fail as a usage error; returns its one line. */
    static String usageError(String... args) {
        Run r = run(args);
        assertEquals(2, r.status(), String.join(" ", args) + ": " + r.err());
        assertEquals("", r.out(), String.join(" ", args));
        return assertOneLineAndAHint(r, args.length == 0 || PyfleetCli.commandLine(new PyfleetCli()).getSubcommands()
                .get(args[0]) == null ? "pyfleet" : "pyfleet " + args[0]);
    }

    @Test
    void eachUsageErrorIsOneUsefulLine() {
        assertEquals("pyfleet call: --workers must be at least 1, got 0", usageError("call", "f", "--workers", "0"));
        assertEquals("pyfleet status: --workers must be at least 1, got 0", usageError("status", "--workers", "0"));
        assertEquals("pyfleet call: unknown option: '--bogus'", usageError("call", "--bogus", "f"));
        assertEquals("pyfleet call: unknown option: '--wokers' (did you mean --workers?)",
                usageError("call", "--wokers", "2", "f"));
        assertEquals("pyfleet call: missing required parameter: 'NAME'", usageError("call"));
        assertEquals("pyfleet call: --connect: a gateway address is host:port, not 'nonsense'",
                usageError("call", "--connect", "nonsense", "f"));
        assertEquals("pyfleet: a command is required: call, node, status, pool, shell, demo, bench, help",
                usageError());
        assertEquals("pyfleet: unknown command 'calll' (did you mean call or shell?)", usageError("calll"));
        assertEquals("pyfleet call: invalid value for option '--timeout': 'soon' is not a duration such as 500ms, 30s, "
                + "2m or PT30S", usageError("call", "f", "--timeout", "soon"));
    }

    @Test
    void malformedJsonIsAUsageErrorNamingTheArgumentNeverAString() {
        assertEquals("pyfleet call: argument 1 '[1, 2' looks like JSON but is not: unexpected end of input: "
                + "expected close marker for Array (column 6); to pass it as a string, JSON-quote it: '\"[1, 2\"'",
                usageError("call", "builtins.len", "[1, 2"));
        assertEquals("pyfleet call: argument 2 '{\"a\": ' looks like JSON but is not: unexpected end of input: "
                + "within/between Object entries (column 7); to pass it as a string, JSON-quote it: "
                + "'\"{\\\"a\\\": \"'", usageError("call", "builtins.max", "1", "{\"a\": "));
        for (String number : List.of("01", "+5", ".5", "1e")) {
            assertTrue(usageError("call", "builtins.abs", number).startsWith("pyfleet call: argument 1 '" + number
                    + "' looks like JSON but is not: "), number);
        }
        assertTrue(usageError("call", "builtins.int", "\"7\"", "--kw", "base=[1").startsWith(
                "pyfleet call: --kw base: '[1' looks like JSON but is not: unexpected end of input"));
        assertEquals("pyfleet call: --scatter: the ARG '[[1]' is not valid JSON: unexpected end of input: expected "
                + "close marker for Array (column 5)", usageError("call", "--scatter", "math.sqrt", "[[1]"));
    }

    @Test
    void plainWordsAndJsonQuotedTextsAreStrings() {
        assertPrints("5", "call", "builtins.len", "\"[1, 2\"", "--workers", "1");
        assertPrints("\"/tmp/2024-01-01/NaN/1.2.3\"", "call", "os.path.join", "/tmp", "2024-01-01", "NaN", "1.2.3",
                "--workers", "1");
        assertPrints("true", "call", "os.path.isdir", "/tmp", "--workers", "1");
    }

    /** The real entry point in a JVM of its own: its exit status and all it writes on stderr. */
    @Test
    void theLauncherClassExitsWith2AndPrintsOnlyTheError() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("conf/logback.xml"))) {
            root = root.getParent();
        }
        // as the launcher script runs it (the test class path has two logback.xml, which logback would report)
        Process p = new ProcessBuilder(javaBin, "-Dlogback.configurationFile=" + root.resolve("conf/logback.xml"),
                "-cp", classPath, PyfleetCli.class.getName(), "call", "builtins.len", "[1, 2").start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("", out);
        assertEquals(List.of("pyfleet call: argument 1 '[1, 2' looks like JSON but is not: unexpected end of input: "
                + "expected close marker for Array (column 6); to pass it as a string, JSON-quote it: '\"[1, 2\"'",
                "see 'pyfleet call --help'"), err.lines().toList());
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
        assertTrue(h.out().contains("JSON-quote it"), h.out());
    }

    @Test
    void theHelpNamesTheTokenFileTheNodeWrites() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"status", "--help"},
                new String[] {"call", "--help"}, new String[] {"node", "--help"}, new String[] {"shell", "--help"},
                new String[] {"pool", "--help"})) {
            Run h = run(args);
            assertEquals(0, h.status(), String.join(" ", args));
            assertFalse(h.out().contains(".pyfleet/token"), "a token file no node writes: " + h.out());
        }
        assertTrue(run("--help").out().contains("\n      --token-file ~/.pyfleet/gateway-7450.token"));
        assertTrue(run("status", "--help").out().contains("\n      --token-file ~/.pyfleet/gateway-7450.token"));
        assertTrue(run("node", "--help").out().replaceAll("\\s+", "").contains("~/.pyfleet/gateway-PORT.token"));
    }
}

package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.PoolStats;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.TestPython;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.NodeServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI's {@code --connect} commands ({@code call}, {@code status}, {@code shell}) against a real node started in
 * the test JVM with its gateway on a free loopback port, the token given by a token file; and what the embedded
 * commands print, for comparison.
 */
class CliRemoteTest {
    private static final String TOKEN = "cli-test-token-0123456789abcdef";

    @TempDir
    static Path dir;

    private static NodeServer node;
    private static String address;
    private static Path tokenFile;

    @BeforeAll
    static void startNode() throws Exception {
        Config config = TestFleets.config(2, Map.of("pyfleet.gateway.port", 0, "pyfleet.gateway.token", TOKEN,
                "pyfleet.node-name", "cli-test"));
        node = NodeServer.start(config, GatewaySettings.from(config));
        address = "127.0.0.1:" + node.address().getPort();
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.stop();
        }
    }

    private static CommandLine commandLine(Map<String, String> environment) {
        return PyfleetCli.commandLine(new PyfleetCli(Map.of("pyfleet.worker.interpreter", TestPython.interpreter()),
                environment));
    }

    private static CliEndToEndTest.Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = cl.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new CliEndToEndTest.Run(status, out.toString(), err.toString());
    }

    /** {@code args} with {@code --connect} to the test node, the token from the token file; no PYFLEET_TOKEN. */
    private static CliEndToEndTest.Run connected(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--connect", address, "--token-file", tokenFile.toString()));
        all.addAll(List.of(args));
        return run(commandLine(Map.of()), all.toArray(String[]::new));
    }

    private static String[] with(String[] args, String... more) {
        return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
    }

    @Test
    void callOverConnectPrintsWhatTheEmbeddedCallPrints() {
        for (String[] args : List.of(
                new String[] {"builtins.int", "\"101010\"", "--kw", "base=2"},
                new String[] {"builtins.pow", "6", "42"},
                new String[] {"--scatter", "math.sqrt", "[[4], [-1], [9]]"},
                new String[] {"--all", "builtins.len", "[1, 2, 3]"},
                new String[] {"builtins.range", "3"},
                new String[] {"datetime.date", "1923", "4", "2"},
                new String[] {"builtins.int", "\"x\""})) {
            CliEndToEndTest.Run embedded = CliEndToEndTest.run(with(with(new String[] {"call"}, args), "--workers", "2"));
            CliEndToEndTest.Run remote = connected("call", args);
            String what = String.join(" ", args);
            assertEquals(embedded.status(), remote.status(), what + ": " + remote.err());
            assertEquals(embedded.out(), remote.out(), what);
            assertEquals(lastLine(embedded.err()), lastLine(remote.err()), what);
            assertFalse(remote.out().isEmpty() && remote.status() == 0, what);
        }
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\\R");
        return lines[lines.length - 1];
    }

    @Test
    void theTokenMayComeFromTheEnvironmentAndAddressesFailOver() {
        // the first address refuses connections (port 1): the second serves
        CliEndToEndTest.Run r = run(commandLine(Map.of(ClientOptions.TOKEN_VARIABLE, TOKEN)), "call", "--connect",
                "127.0.0.1:1," + address, "builtins.abs", "-5");
        assertEquals(0, r.status(), r.err());
        assertEquals("5" + System.lineSeparator(), r.out());
    }

    @Test
    void aWrongTokenExitsWith1AndSaysAuthentication() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong-token"), "not-the-token");
        CliEndToEndTest.Run r = run(commandLine(Map.of()), "call", "--connect", address, "--token-file", wrong.toString(),
                "builtins.abs", "-5");
        assertEquals(1, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("pyfleet: AuthenticationException: "), r.err());
        assertTrue(r.err().contains("wrong token"), r.err());
    }

    @Test
    void usageErrorsOfConnect() {
        CliEndToEndTest.Run noToken = run(commandLine(Map.of()), "call", "--connect", address, "builtins.abs", "-5");
        assertEquals(2, noToken.status(), noToken.err());
        assertEquals("pyfleet call: --connect needs the node's token: set PYFLEET_TOKEN or give --token-file FILE "
                + "(a node started without one writes ~/.pyfleet/gateway-PORT.token; 'pyfleet node' prints where in "
                + "its line 'token: ...')", CliEndToEndTest.assertOneLineAndAHint(noToken, "pyfleet call"));
        for (List<String> args : List.<List<String>>of(
                List.of("call", "--connect", address, "--token-file", tokenFile.toString(), "--workers", "2", "f"),
                List.of("call", "--connect", "nohost", "--token-file", tokenFile.toString(), "f"),
                List.of("call", "--connect", address, "--token-file", dir.resolve("absent").toString(), "f"),
                List.of("call", "--connect", address, "--token-file", tokenFile.toString(), "--tls-ca",
                        dir.resolve("absent.pem").toString(), "f"),
                List.of("status", "--connect", address, "--token-file", tokenFile.toString(), "--workers", "1"),
                List.of("status", "--connect", address),
                List.of("shell", "--connect", address, "--token-file", tokenFile.toString(), "--workers", "1"))) {
            CliEndToEndTest.Run r = run(commandLine(Map.of()), args.toArray(String[]::new));
            assertEquals(2, r.status(), args + ": " + r.err());
            assertEquals("", r.out(), args.toString());
            CliEndToEndTest.assertOneLineAndAHint(r, "pyfleet " + args.get(0));
        }
        CliEndToEndTest.Run bad = run(commandLine(Map.of()), "call", "--connect", "nonsense", "--token-file",
                tokenFile.toString(), "f");
        assertEquals("pyfleet call: --connect: a gateway address is host:port, not 'nonsense'",
                CliEndToEndTest.assertOneLineAndAHint(bad, "pyfleet call"));
    }

    @Test
    void statusPrintsTheNodeAndOneRowPerWorker() {
        node.fleet().call("builtins.abs", -1);
        CliEndToEndTest.Run r = connected("status");
        assertEquals(0, r.status(), r.err());
        assertFalse(r.err().contains("--connect"), "a running node is reported as itself: " + r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("node cli-test, up \\d+(s|m\\d\\ds), pool 2 workers, 0 queued"), r.out());
        assertTrue(lines.get(1).matches("WORKER +PID +STATE +CALLS +IN-FLIGHT +ERRORS +RESTARTS +MEMORY"), r.out());
        assertEquals(4, lines.size(), r.out());
        Set<Long> expected = new HashSet<>();
        node.fleet().stats().workers().forEach(w -> expected.add(w.pid()));
        Set<Long> shown = new HashSet<>();
        long calls = 0;
        Pattern row = Pattern.compile("(w\\d+) +(\\d+) +ready +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+\\.\\d (KiB|MiB|GiB))");
        for (String line : lines.subList(2, 4)) {
            Matcher m = row.matcher(line);
            assertTrue(m.matches(), line);
            long pid = Long.parseLong(m.group(2));
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "live pid " + pid);
            shown.add(pid);
            calls += Long.parseLong(m.group(3));
        }
        assertEquals(expected, shown, r.out());
        assertTrue(calls >= 1, r.out());
    }

    @Test
    void statusJsonIsOneObject() throws Exception {
        CliEndToEndTest.Run r = connected("status", "--json");
        assertEquals(0, r.status(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("cli-test", json.get("node").asText());
        assertEquals(2, json.get("pool_size").asInt());
        assertEquals(0, json.get("queued").asInt());
        assertTrue(json.get("failed").isNull());
        assertTrue(json.get("uptime_ms").asLong() > 0);
        assertEquals(2, json.get("workers").size());
        for (JsonNode w : json.get("workers")) {
            assertTrue(w.get("id").asText().matches("w\\d+"), w.toString());
            assertTrue(ProcessHandle.of(w.get("pid").asLong()).isPresent(), w.toString());
            assertEquals("ready", w.get("state").asText());
            assertTrue(w.get("ready").asBoolean());
            assertTrue(w.get("rss_bytes").asLong() > 0, w.toString());
            for (String key : List.of("in_flight", "calls", "errors", "busy_ns", "restarts")) {
                assertTrue(w.get(key).isIntegralNumber(), key + " in " + w);
            }
        }
    }

    @Test
    void statusWithoutConnectReportsAnEmbeddedNode() {
        CliEndToEndTest.Run r = CliEndToEndTest.run("status", "--workers", "1");
        assertEquals(0, r.status(), r.err());
        assertEquals("no --connect: showing a fresh local node started for this command; use --connect HOST:PORT for "
                + "a running one", r.err().lines().findFirst().orElse(""), "it says first that the node is a fresh one");
        CliEndToEndTest.Run json = CliEndToEndTest.run("status", "--workers", "1", "--json");
        assertEquals(0, json.status(), json.err());
        assertTrue(json.err().startsWith("no --connect: showing a fresh local node"), json.err());
        assertTrue(json.out().startsWith("{\"node\": ") && json.out().lines().count() == 1, "stdout stays one JSON "
                + "object: " + json.out());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("node \\S+, up \\d+s, pool 1 worker, 0 queued"), r.out());
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(2).matches("w1 +\\d+ +ready +0 +0 +0 +0 +\\d+\\.\\d MiB"), r.out());
    }

    @Test
    void statusFormats() {
        assertEquals("0s", StatusCommand.uptime(Duration.ZERO));
        assertEquals("59s", StatusCommand.uptime(Duration.ofMillis(59_999)));
        assertEquals("3m05s", StatusCommand.uptime(Duration.ofSeconds(185)));
        assertEquals("1h02m", StatusCommand.uptime(Duration.ofSeconds(3720 + 59)));
        assertEquals("2d03h", StatusCommand.uptime(Duration.ofHours(51)));
        assertEquals("-", StatusCommand.memory(-1));
        assertEquals("512 B", StatusCommand.memory(512));
        assertEquals("1.0 KiB", StatusCommand.memory(1024));
        assertEquals("41.2 MiB", StatusCommand.memory(43_200_000));
        assertEquals("2.5 GiB", StatusCommand.memory(5L << 29));
        PoolStats stats = new PoolStats("n1", Duration.ofSeconds(3725), List.of(
                new PoolStats.WorkerStats("w1", 4021, true, 1, 1520, 3, Duration.ZERO, 0, 43_200_000),
                new PoolStats.WorkerStats("w2", -1, false, 0, 7, 0, Duration.ZERO, 2, -1)), 5, "gave up");
        String nl = System.lineSeparator();
        assertEquals("node n1, up 1h02m, pool 2 workers, 5 queued" + nl
                + "pool failed: gave up" + nl
                + "WORKER  PID   STATE       CALLS  IN-FLIGHT  ERRORS  RESTARTS  MEMORY" + nl
                + "w1      4021  ready       1520   1          3       0         41.2 MiB" + nl
                + "w2      -     restarting  7      0          0       2         -" + nl, StatusCommand.table(stats));
    }

    @Test
    void theShellHasAConnectedFleet() {
        CommandLine cl = commandLine(Map.of());
        ShellCommand shell = cl.getSubcommands().get("shell").getCommand();
        shell.classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        shell.input = "fleet.call(\"builtins.abs\", -5)\n/exit\n";
        CliEndToEndTest.Run r = run(cl, "shell", "--connect", address, "--token-file", tokenFile.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("pyfleet shell: 'fleet' is a Fleet on the node at " + address + ", 2 workers"), r.out());
        assertTrue(r.out().contains("$1 ==> 5"), r.out() + r.err());
        assertFalse(r.out().contains(TOKEN) || r.err().contains(TOKEN), "the token is not shown");
    }

    @Test
    void theShellHasAnEmbeddedFleetWithoutConnect() {
        CommandLine cl = commandLine(Map.of());
        ShellCommand shell = cl.getSubcommands().get("shell").getCommand();
        shell.classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        shell.input = "fleet.call(\"builtins.abs\", -5)\nfleet.poolSize()\n/exit\n";
        CliEndToEndTest.Run r = run(cl, "shell", "--workers", "1");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("an embedded node started for this shell, 1 worker. Try:"), r.out() + r.err());
        assertTrue(r.out().contains("$1 ==> 5"), r.out() + r.err());
        assertTrue(r.out().contains("$2 ==> 1"), r.out() + r.err());
    }
}

package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.node.TestPython;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --config FILE} in every form the documentation shows: after {@code node} (its --help, the systemd
 * unit's {@code PYFLEET_NODE_ARGS}, {@code local-cluster.sh up N -- --config F}), before the command (the README),
 * and on every command that starts or connects a node. The node forms run the real main class in a JVM of its
 * own on a loopback port, and a client proves the node read the file: its allow-list comes from there.
 */
class ConfigOptionTest {
    private static final String TOKEN = "config-option-test-token-0123456789";
    private static final Pattern LISTENING = Pattern.compile("pyfleet node (\\S+) listening on (\\S+:\\d+)");

    @TempDir
    Path dir;

    private static Path root() {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("conf/logback.xml"))) {
            root = root.getParent();
        }
        return root;
    }

    /** The launcher's command line, for the main class on the test class path. */
    private static List<String> pyfleet() {
        List<String> command = ChildJvm.java();
        command.add("-Dlogback.configurationFile=" + root().resolve("conf/logback.xml"));
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(PyfleetCli.class.getName());
        return command;
    }

    /** A config file: the interpreter (without it no worker starts), one worker, a narrow allow-list. */
    private Path configFile(String extra) throws IOException {
        return Files.writeString(dir.resolve("node.conf"), "pyfleet.worker.interpreter = \""
                + TestPython.interpreter() + "\"\npyfleet.pool.size = 1\npyfleet.gateway.allow = [\"math.*\"]\n"
                + extra);
    }

    /** A node JVM started with {@code args}, up once it printed where it listens. */
    private record Node(Process process, String name, String address, Path out, Path err) implements AutoCloseable {
        static Node start(List<String> command, Map<String, String> env, Path dir) throws Exception {
            Path out = Files.createTempFile(dir, "node", ".out");
            Path err = Files.createTempFile(dir, "node", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("PYFLEET_TOKEN");
            pb.environment().remove("PYFLEET_PYTHON");
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                Matcher m = LISTENING.matcher(Files.readString(out));
                if (m.find()) {
                    return new Node(p, m.group(1), m.group(2), out, err);
                }
                if (!p.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
            p.destroyForcibly();
            throw new AssertionError("the node did not start: " + command.subList(command.indexOf(
                    PyfleetCli.class.getName()), command.size()) + "\nstatus " + (p.isAlive() ? "running" : p.exitValue())
                    + "\nstdout: " + Files.readString(out) + "\nstderr: " + Files.readString(err));
        }

        /** Proves the node runs with the file's allow-list: math.* is served, the rest refused. */
        void servesWithTheFilesAllowList(String token) {
            try (Fleet fleet = Fleet.connect(token, address)) {
                assertEquals(4.0, fleet.call("math.sqrt", 16.0));
                NotAllowedException e = assertThrows(NotAllowedException.class, () -> fleet.call("os.getcwd"));
                assertTrue(e.getMessage().contains("pyfleet.gateway.allow"), e.getMessage());
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM: the node stops its workers and exits
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the node did not exit on SIGTERM: " + Files.readString(err));
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** {@code pyfleet node --bind 0.0.0.0 --config production.conf}, as 'node --help' shows it (on loopback). */
    @Test
    void nodeTakesConfigAfterTheCommandAsItsHelpShows() throws Exception {
        Path conf = configFile("pyfleet.node-name = \"from-the-file\"\npyfleet.gateway.token = \"" + TOKEN + "\"\n");
        List<String> command = pyfleet();
        command.addAll(List.of("node", "--bind", "127.0.0.1", "--port", "0", "--config", conf.toString()));
        try (Node node = Node.start(command, Map.of(), dir)) {
            assertEquals("from-the-file", node.name(), "the name is the file's");
            node.servesWithTheFilesAllowList(TOKEN);
        }
    }

    /** {@code ./pyfleet --config my.conf node}: the README's form, before the command, still works. */
    @Test
    void theGlobalFormBeforeTheCommand() throws Exception {
        Path conf = configFile("pyfleet.node-name = \"global-form\"\npyfleet.gateway.token = \"" + TOKEN + "\"\n");
        List<String> command = pyfleet();
        command.addAll(List.of("--config", conf.toString(), "node", "--port", "0"));
        try (Node node = Node.start(command, Map.of(), dir)) {
            assertEquals("global-form", node.name());
            node.servesWithTheFilesAllowList(TOKEN);
        }
    }

    /** The systemd unit's ExecStart, with {@code --config F} in PYFLEET_NODE_ARGS as the README says. */
    @Test
    void theSystemdUnitsCommandLineWithConfigInItsNodeArgs() throws Exception {
        String unit = Files.readString(root().resolve("deploy/systemd/pyfleet-node.service"));
        Matcher m = Pattern.compile("(?m)^ExecStart=((?:[^\\n]*\\\\\\n)*[^\\n]*)").matcher(unit);
        assertTrue(m.find(), unit);
        String execStart = m.group(1).replace("\\\n", " ");
        int cluster = freePort();
        Path conf = configFile("");
        String nodeArgs = "--seed 127.0.0.1:" + cluster + " --workers 1 --config " + conf;
        String line = execStart.replace("%H", "unit-node").replace("${PYFLEET_BIND}", "127.0.0.1")
                .replace("${PYFLEET_PORT}", "0").replace("${PYFLEET_CLUSTER_PORT}", String.valueOf(cluster))
                .replace("$PYFLEET_NODE_ARGS", nodeArgs); // unbraced: systemd splits it into words
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        assertEquals("/opt/pyfleet/pyfleet", words.get(0), "the unit runs the launcher: " + line);
        List<String> command = pyfleet();
        command.addAll(words.subList(1, words.size()));
        try (Node node = Node.start(command, Map.of("PYFLEET_TOKEN", TOKEN), dir)) {
            assertEquals("unit-node", node.name());
            node.servesWithTheFilesAllowList(TOKEN);
        }
    }

    /** {@code deploy/local-cluster.sh up 1 -- --config F}: the script passes the rest to every './pyfleet node'. */
    @Test
    void localClusterPassesConfigToEveryNode() throws Exception {
        Path conf = configFile("");
        Path launcher = dir.resolve("pyfleet-launcher");
        StringBuilder script = new StringBuilder("#!/bin/sh\nexec");
        for (String word : pyfleet()) {
            script.append(" '").append(word.replace("'", "'\\''")).append('\'');
        }
        Files.writeString(launcher, script.append(" \"$@\"\n").toString());
        assertTrue(launcher.toFile().setExecutable(true));
        Path state = dir.resolve("cluster");
        String upOut = localCluster(state, launcher, "up", "1", "--workers", "1", "--", "--config", conf.toString());
        try {
            Matcher address = Pattern.compile("(?m)^(127\\.0\\.0\\.1:\\d+)$").matcher(upOut);
            assertTrue(address.find(), upOut);
            String token = ClientOptions.readTokenFile(state.resolve("token"));
            try (Fleet fleet = Fleet.connect(token, address.group(1))) {
                assertEquals(4.0, fleet.call("math.sqrt", 16.0));
                assertThrows(NotAllowedException.class, () -> fleet.call("os.getcwd"), "the file's allow-list holds");
            }
        } finally {
            localCluster(state, launcher, "down");
        }
    }

    private static String localCluster(Path state, Path launcher, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", root().resolve("deploy/local-cluster.sh").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PYFLEET_LAUNCHER", launcher.toString());
        pb.environment().put("PYFLEET_CLUSTER_DIR", state.toString());
        pb.environment().remove("PYFLEET_TOKEN");
        pb.environment().remove("PYFLEET_PYTHON");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), "local-cluster.sh " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    private static CliEndToEndTest.Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = PyfleetCli.commandLine(new PyfleetCli(Map.of("pyfleet.worker.interpreter", TestPython.interpreter())))
                .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new CliEndToEndTest.Run(status, out.toString(), err.toString());
    }

    /** The commands that start a node read the file given after their name. */
    @Test
    void commandsThatStartANodeReadTheFileAfterTheirName() throws Exception {
        Path conf = Files.writeString(dir.resolve("one.conf"), "pyfleet.pool.size = 1\n");
        CliEndToEndTest.Run call = run("call", "--config", conf.toString(), "--all", "os.getpid");
        assertEquals(0, call.status(), call.err());
        assertTrue(call.out().matches("\\[\\d+\\]\\R"), "one worker, as the file says: " + call.out());
        CliEndToEndTest.Run status = run("status", "--config", conf.toString());
        assertEquals(0, status.status(), status.err());
        assertTrue(status.out().lines().findFirst().orElse("").endsWith("pool 1 worker, 0 queued"), status.out());
    }

    /** Every command, and each pool subcommand, takes --config after its name, and its help says so. */
    @Test
    void everyCommandAcceptsConfigAfterItsName() {
        Path conf = dir.resolve("any.conf");
        List<List<String>> commands = List.of(List.of("node"), List.of("call", "math.sqrt", "2"), List.of("status"),
                List.of("shell"), List.of("demo"), List.of("bench", "--quick"),
                List.of("call", "--connect", "127.0.0.1:1", "math.sqrt", "2"),
                List.of("status", "--connect", "127.0.0.1:1"), List.of("shell", "--connect", "127.0.0.1:1"),
                List.of("pool", "list", "--connect", "127.0.0.1:1"),
                List.of("pool", "start", "p", "--python", "python3", "--connect", "127.0.0.1:1"),
                List.of("pool", "resize", "p", "2", "--connect", "127.0.0.1:1"),
                List.of("pool", "stop", "p", "--connect", "127.0.0.1:1"));
        for (List<String> args : commands) {
            PyfleetCli cli = new PyfleetCli();
            List<String> line = new ArrayList<>(args);
            line.addAll(List.of("--config", conf.toString()));
            PyfleetCli.commandLine(cli).parseArgs(line.toArray(String[]::new));
            assertEquals(conf, cli.configFile, String.join(" ", line));
        }
        for (String command : List.of("node", "call", "status", "shell", "demo", "bench", "pool")) {
            CliEndToEndTest.Run help = run(command, "--help");
            assertTrue(help.out().contains("--config=FILE"), command + " --help: " + help.out());
        }
    }

    /** Before and after the name at once: a usage error, not one file silently over the other. */
    @Test
    void bothPlacesAtOnceIsAUsageError() throws Exception {
        Path one = Files.writeString(dir.resolve("one.conf"), "pyfleet.pool.size = 1\n");
        Path two = Files.writeString(dir.resolve("two.conf"), "pyfleet.pool.size = 2\n");
        CliEndToEndTest.Run r = run("--config", one.toString(), "call", "--config", two.toString(), "--all", "os.getpid");
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(CliEndToEndTest.assertOneLineAndAHint(r, "pyfleet call").contains("--config was given twice"),
                r.err());
    }

    @Test
    void anUnreadableFileAfterTheCommandIsAUsageErrorNamingIt() {
        CliEndToEndTest.Run r = run("call", "--config", dir.resolve("missing.conf").toString(), "math.sqrt", "4");
        assertEquals(2, r.status(), r.err());
        assertTrue(CliEndToEndTest.assertOneLineAndAHint(r, "pyfleet call")
                .startsWith("pyfleet call: --config: cannot read " + dir.resolve("missing.conf")), r.err());
    }
}

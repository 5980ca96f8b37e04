package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.TestPython;
import io.pyfleet.node.TestVenv;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.NodeServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyfleet pool start|resize|stop|list} and {@code call --pool} against a real node started in the test
 * JVM, with a named pool on a virtual environment of its own.
 */
class CliPoolsTest {
    private static final String TOKEN = "cli-pools-token-0123456789abcdef";

    @TempDir
    static Path dir;

    private static NodeServer node;
    private static String address;
    private static Path tokenFile;
    private static Path python;
    private static Path marker;

    @BeforeAll
    static void startNode() throws Exception {
        Config config = TestFleets.config(1, Map.of("pyfleet.gateway.port", 0, "pyfleet.gateway.token", TOKEN,
                "pyfleet.node-name", "cli-pools"));
        node = NodeServer.start(config, GatewaySettings.from(config));
        address = "127.0.0.1:" + node.address().getPort();
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        python = TestVenv.create(dir.resolve("venv"));
        marker = TestVenv.module(dir.resolve("marker"), "poolmarker", "def twice(x):\n    return 2 * x\n");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.stop();
        }
    }

    private static CliEndToEndTest.Run connected(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--connect", address, "--token-file", tokenFile.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = PyfleetCli.commandLine(new PyfleetCli(Map.of("pyfleet.worker.interpreter",
                TestPython.interpreter()), Map.of())).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(all.toArray(String[]::new));
        return new CliEndToEndTest.Run(status, out.toString(), err.toString());
    }

    private static JsonNode pools() throws Exception {
        CliEndToEndTest.Run list = connected("pool", "list", "--json");
        assertEquals(0, list.status(), list.err());
        return new ObjectMapper().readTree(list.out());
    }

    @Test
    void startCallResizeListAndStopAPool() throws Exception {
        CliEndToEndTest.Run table = connected("pool", "list");
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().startsWith("POOL     NODE       WORKERS  READY  PYTHON"), table.out());
        assertTrue(table.out().contains("default  cli-pools  1        1      " + TestPython.interpreter()), table.out());

        CliEndToEndTest.Run start = connected("pool", "start", "sci", "--python", python.toString(), "--python-path",
                marker.toString(), "--requires", "poolmarker");
        assertEquals(0, start.status(), start.err());
        assertEquals("pool sci on node cli-pools: 1 of 1 workers ready, " + python + System.lineSeparator(),
                start.out());

        CliEndToEndTest.Run call = connected("call", "--pool", "sci", "poolmarker.twice", "21");
        assertEquals(0, call.status(), call.err());
        assertEquals("42" + System.lineSeparator(), call.out());
        CliEndToEndTest.Run defaultPool = connected("call", "poolmarker.twice", "21");
        assertEquals(1, defaultPool.status());
        assertTrue(defaultPool.err().contains("No module named 'poolmarker'"), defaultPool.err());

        assertEquals(0, connected("pool", "resize", "sci", "2").status());
        JsonNode pools = pools();
        assertEquals(2, pools.size(), pools.toString());
        assertEquals("sci", pools.get(1).get("name").asText());
        assertEquals(2, pools.get(1).get("workers").asInt());
        assertEquals(python.toString(), pools.get(1).get("python").asText());

        CliEndToEndTest.Run stop = connected("pool", "stop", "sci");
        assertEquals(0, stop.status(), stop.err());
        assertEquals("pool sci stopped" + System.lineSeparator(), stop.out());
        assertEquals(1, pools().size());
        CliEndToEndTest.Run gone = connected("call", "--pool", "sci", "poolmarker.twice", "21");
        assertEquals(1, gone.status());
        assertTrue(gone.err().contains("UnknownPoolException") && gone.err().contains("'sci'"), gone.err());
    }

    @Test
    void aPoolThatCannotStartFailsWithTheNodeAndTheCause() throws Exception {
        String missing = dir.resolve("nowhere/bin/python").toString();
        CliEndToEndTest.Run r = connected("pool", "start", "broken", "--python", missing);
        assertEquals(1, r.status());
        assertTrue(r.err().contains("PoolStartException") && r.err().contains("node cli-pools")
                && r.err().contains(missing), r.err());
        assertEquals(1, pools().size());
    }

    @Test
    void poolCommandsNeedConnectAndCheckTheirArguments() {
        assertEquals(2, CliEndToEndTest.run("pool", "list").status());
        assertEquals(2, connected("pool", "start", "bad name", "--python", "python3").status());
        assertEquals(2, connected("pool", "resize", "sci", "0").status());
        assertEquals(2, connected("pool", "start", "x").status()); // --python is required
    }

    @Test
    void anEmbeddedCallOnAnotherNodeIsATypedError() {
        CliEndToEndTest.Run r = CliEndToEndTest.run("call", "--node", "node-2", "os.getpid", "--workers", "1");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("NodeLostException") && r.err().contains("node-2"), r.err());
    }
}

package io.pyfleet.cli;

import com.typesafe.config.Config;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.FatalErrors;
import io.pyfleet.node.gateway.NodeServer;
import io.pyfleet.node.gateway.StopSignals;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pyfleet node}: a long-lived node that serves remote JVM programs through its gateway
 * until it is stopped (SIGTERM, Ctrl-C). The first line on stdout says where it listens.
 */
@Command(name = "node", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Starts a node: a supervised pool of Python workers and a client gateway on TCP, which JVM programs "
                    + "reach with Fleet.connect(token, \"HOST:PORT\") and the CLI with --connect HOST:PORT.",
            "",
            "It prints one line on stdout, 'pyfleet node NAME listening on HOST:PORT', once it serves, and logs "
                    + "where its token is. Clients authenticate with that token (PYFLEET_TOKEN or a token file). "
                    + "On SIGTERM or Ctrl-C it refuses new calls, gives the calls in flight "
                    + "pyfleet.gateway.shutdown-grace to end, stops its workers and exits.",
            ""},
        footer = {"", "Examples:",
            "  pyfleet node",
            "  pyfleet node --port 7450 --workers 8",
            "  pyfleet node --bind 0.0.0.0 --config production.conf",
            "  pyfleet node --name n1 --port 7451 --cluster-port 25521 \\",
            "      --seed 127.0.0.1:25521 --token-file t",
            "  pyfleet node --name n2 --port 7452 --cluster-port 25522 \\",
            "      --seed 127.0.0.1:25521 --token-file t"})
public final class NodeCommand implements Callable<Integer> {
    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    PoolOptions pool;

    @Option(names = "--bind", paramLabel = "ADDRESS",
            description = "Address to listen on (default: pyfleet.gateway.bind, 127.0.0.1).")
    String bind;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Port to listen on; 0 picks a free one (default: pyfleet.gateway.port, 7450).")
    Integer port;

    @Option(names = "--name", paramLabel = "NAME", description = "The node's name (default: pyfleet.node-name).")
    String name;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Read the token from FILE, or write a new one there (default: pyfleet.gateway.token-file, "
                    + "else ~/.pyfleet/gateway-PORT.token).")
    String tokenFile;

    @Option(names = "--cluster-port", paramLabel = "PORT",
            description = "Join a cluster: the port for other nodes (Artery); 0 picks a free one "
                    + "(default: pyfleet.cluster.port, 25520, when --seed is given).")
    Integer clusterPort;

    @Option(names = "--seed", paramLabel = "HOST:PORT",
            description = "A seed node's cluster endpoint (repeatable). A node that names itself first starts the "
                    + "cluster; the others join it. All nodes of a cluster must hold the same token.")
    List<String> seeds;

    @Option(names = "--role", paramLabel = "ROLE", description = "A role this node announces (repeatable).")
    List<String> roles;

    @Override
    public Integer call() throws InterruptedException {
        FatalErrors.exitOnFatalErrors(); // a process that is a node: out of memory, it exits rather than limps on
        Map<String, Object> settings = pool.settings();
        // The node stops itself in order on SIGTERM; Pekko must not race it with its own hook.
        settings.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
        if (name != null) {
            settings.put("pyfleet.node-name", name);
        }
        if (tokenFile != null) {
            settings.put("pyfleet.gateway.token-file", tokenFile);
        }
        Config config = cli.config(settings);
        GatewaySettings gateway = GatewaySettings.from(config);
        if (bind != null || port != null) {
            gateway = gateway.withAddress(bind != null ? bind : gateway.bind(), port != null ? port : gateway.port());
        }
        ClusterSettings cluster = ClusterSettings.from(config).with(null, clusterPort, seeds, roles);
        PrintWriter out = spec.commandLine().getOut();
        HeldLines lines = new HeldLines(out);
        NodeServer node = NodeServer.start(config, gateway, cluster, lines::println);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            node.stop();
            stopped.countDown();
        }, "pyfleet-node-stop");
        Runtime.getRuntime().addShutdownHook(hook); // any other exit
        StopSignals.onStop(() -> { // SIGTERM, Ctrl-C: stop while remoting still runs, so the node leaves in order
            node.stop();
            stopped.countDown();
        });
        InetSocketAddress at = node.address();
        lines.release("pyfleet node " + node.fleet().settings().nodeName() + " listening on " + at.getHostString() + ":"
                + at.getPort(), "token: " + node.token().source());
        node.whenTerminated().thenRun(() -> {
            if (!node.isStopping()) { // not our own stop: the cluster downed this node, or a fatal error on its threads
                System.err.println("pyfleet node " + node.fleet().settings().nodeName()
                        + ": its actor system stopped (the cluster removed this node, it could not join, or a fatal "
                        + "error such as OutOfMemoryError on one of its threads: see the log above); exiting");
                Runtime.getRuntime().halt(3);
            }
        });
        stopped.await();
        return 0;
    }

    /** The cluster's lines wait until the node's first two lines are out, which tools read first. */
    private static final class HeldLines {
        private final PrintWriter out;
        private final List<String> held = new ArrayList<>();
        private boolean released;

        HeldLines(PrintWriter out) {
            this.out = out;
        }

        synchronized void println(String line) {
            if (released) {
                out.println(line);
                out.flush();
            } else {
                held.add(line);
            }
        }

        synchronized void release(String... first) {
            for (String line : first) {
                out.println(line);
            }
            held.forEach(out::println);
            held.clear();
            released = true;
            out.flush();
        }
    }
}

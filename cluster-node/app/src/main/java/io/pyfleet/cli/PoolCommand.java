package io.pyfleet.cli;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pyfleet pool start|resize|stop|list}: named Python pools of a running node, each with its own
 * interpreter and Python path, started, resized and stopped while the node serves. Always with --connect:
 * a pool of an embedded node would end with the command.
 */
@Command(name = "pool", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        description = {
            "Starts, resizes, stops and lists the named Python pools of a running node ('pyfleet node'), next to "
                    + "its default pool. Calls reach a pool with 'pyfleet call --pool NAME'.",
            ""},
        subcommands = {PoolCommand.Start.class, PoolCommand.Resize.class, PoolCommand.Stop.class,
            PoolCommand.ListPools.class},
        footer = {"", "Examples:",
            "  pyfleet pool start sci --python /opt/sci-venv/bin/python --workers 2 --requires numpy "
                    + "--connect 127.0.0.1:7450",
            "      pool sci on node n1: 2 of 2 workers ready, /opt/sci-venv/bin/python",
            "  pyfleet call --pool sci numpy.arange 3 --connect 127.0.0.1:7450",
            "  pyfleet pool resize sci 4 --connect 127.0.0.1:7450",
            "  pyfleet pool list --connect 127.0.0.1:7450",
            "  pyfleet pool stop sci --connect 127.0.0.1:7450 --node n2"})
public final class PoolCommand implements Runnable {
    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand: start, resize, stop or list");
    }

    /** What every pool subcommand takes: where the node is, and which node of its cluster. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        PoolCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        ConnectOptions connect;

        @Option(names = "--node", paramLabel = "NODE",
                description = "The node of the cluster whose pools these are (default: the node of --connect).")
        String node;

        @Override
        public Integer call() {
            if (!connect.connected()) {
                throw new ParameterException(spec.commandLine(), "--connect HOST:PORT is required: pools belong to "
                        + "a running node ('pyfleet node')");
            }
            PrintWriter out = spec.commandLine().getOut();
            try (Fleet fleet = Fleet.connect(connect.clientOptions(parent.cli.environment()))) {
                run(fleet, out);
            }
            out.flush();
            return 0;
        }

        abstract void run(Fleet fleet, PrintWriter out);

        ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Starts a named pool and returns once every worker serves and imports the --requires "
                    + "modules; a pool that cannot start fails with the node and the cause, and nothing of it runs.")
    static final class Start extends Subcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The pool's name (letters, digits, _ . -).")
        String name;

        @Option(names = "--python", paramLabel = "PATH", required = true,
                description = "The pool's interpreter on the node, e.g. a virtual environment's bin/python.")
        String python;

        @Option(names = "--python-path", paramLabel = "DIR",
                description = "A directory for the workers' sys.path (repeatable), on the node.")
        List<String> pythonPath = new ArrayList<>();

        @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Workers (default 1).")
        int workers;

        @Option(names = "--requires", paramLabel = "MODULE",
                description = "A module every worker must import at start (repeatable).")
        List<String> requires = new ArrayList<>();

        @Override
        void run(Fleet fleet, PrintWriter out) {
            PoolSpec poolSpec;
            try {
                poolSpec = PoolSpec.builder(name, python).node(node).workers(workers).pythonPath(pythonPath)
                        .requires(requires).build();
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            PoolInfo info = fleet.startPool(poolSpec);
            out.println("pool " + info.name() + " on node " + info.node() + ": " + info.ready() + " of "
                    + info.workers() + " workers ready, " + info.python());
        }
    }

    @Command(name = "resize", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Grows or shrinks a pool ('default': the node's default pool); shrinking lets the removed "
                    + "workers finish their calls first.")
    static final class Resize extends Subcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The pool's name.")
        String name;

        @Parameters(index = "1", paramLabel = "N", description = "Its new number of workers.")
        int workers;

        @Override
        void run(Fleet fleet, PrintWriter out) {
            if (workers < 1 || workers > PoolSpec.MAX_WORKERS) {
                throw usage("N must be 1 to " + PoolSpec.MAX_WORKERS + ", not " + workers);
            }
            fleet.resizePool(node, name, workers);
            out.println("pool " + name + ": resizing to " + workers + (workers == 1 ? " worker" : " workers"));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Stops a named pool: its calls in flight fail (they may have run), its objects are "
                    + "released and its workers stopped.")
    static final class Stop extends Subcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The pool's name.")
        String name;

        @Override
        void run(Fleet fleet, PrintWriter out) {
            fleet.stopPool(node, name);
            out.println("pool " + name + " stopped");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Lists the node's pools, the default one first: name, node, workers, workers ready, "
                    + "interpreter.")
    static final class ListPools extends Subcommand {
        private static final String[] HEADER = {"POOL", "NODE", "WORKERS", "READY", "PYTHON"};

        @Option(names = "--json", description = "One JSON array of {name, node, workers, ready, python}.")
        boolean json;

        @Override
        void run(Fleet fleet, PrintWriter out) {
            List<PoolInfo> pools = fleet.pools(node);
            out.print(json ? json(pools) + System.lineSeparator() : table(pools));
        }

        static String json(List<PoolInfo> pools) {
            List<Object> all = new ArrayList<>();
            for (PoolInfo p : pools) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", p.name());
                m.put("node", p.node());
                m.put("workers", p.workers());
                m.put("ready", p.ready());
                m.put("python", p.python());
                all.add(m);
            }
            return JsonRender.withoutRepr().render(all);
        }

        static String table(List<PoolInfo> pools) {
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            for (PoolInfo p : pools) {
                rows.add(new String[] {p.name(), p.node(), Integer.toString(p.workers()), Integer.toString(p.ready()),
                    p.python()});
            }
            int[] widths = new int[HEADER.length];
            rows.forEach(r -> {
                for (int i = 0; i < r.length; i++) {
                    widths[i] = Math.max(widths[i], r[i].length());
                }
            });
            StringBuilder sb = new StringBuilder();
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    sb.append(r[i]);
                    if (i < r.length - 1) {
                        sb.append(" ".repeat(widths[i] - r[i].length() + 2));
                    }
                }
                sb.append(System.lineSeparator());
            }
            return sb.toString();
        }
    }
}

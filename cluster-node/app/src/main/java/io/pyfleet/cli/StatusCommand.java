package io.pyfleet.cli;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.PoolStats.WorkerStats;
import io.pyfleet.client.PoolStats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pyfleet status}: what a node's pool looks like now (its workers' pids, state, calls, memory), so that
 * an operator need not write a client to look. Without --connect it starts an embedded node and reports
 * that, which checks that the interpreter and the workers start; it says so first, on stderr ({@link #LOCAL}),
 * so that nobody takes that fresh node for the one they run (stdout keeps the report alone, for scripts).
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Prints a node's name, uptime and pool, and a table of its workers: id, process id, state (ready, "
                    + "starting, restarting, draining), calls answered, calls in flight, calls that failed, restarts "
                    + "and resident memory.",
            "",
            "With --connect it asks a running node ('pyfleet node'). Without, it starts a fresh local node for "
                    + "this command, reports it and stops it (a check that the interpreter and the workers start), "
                    + "and says so first on stderr: it is not the status of a node you run.",
            ""},
        footer = {"", "Examples:",
            "  PYFLEET_TOKEN=... pyfleet status --connect 127.0.0.1:7450",
            "      node n1, up 1h02m, pool 2 workers, 0 queued",
            "      WORKER  PID    STATE  CALLS  IN-FLIGHT  ERRORS  RESTARTS  MEMORY",
            "      w1      40211  ready  1520   0          3       0         41.2 MiB",
            "      w2      40213  ready  1498   1          0       1         39.8 MiB",
            "  pyfleet status --connect 127.0.0.1:7450 --json \\",
            "      --token-file ~/.pyfleet/gateway-7450.token",
            "  pyfleet status --workers 2"})
public final class StatusCommand implements Callable<Integer> {
    private static final String[] HEADER = {"WORKER", "PID", "STATE", "CALLS", "IN-FLIGHT", "ERRORS", "RESTARTS",
        "MEMORY"};

    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    PoolOptions pool;

    @Mixin
    ConnectOptions connect;

    @Option(names = "--json",
            description = "Print one JSON object instead of the table: node, uptime_ms, pool_size, queued, failed and "
                    + "workers [{id, pid, state, ready, in_flight, calls, errors, busy_ns, restarts, rss_bytes}].")
    boolean json;

    /** The first line on stderr of a status without --connect. */
    static final String LOCAL = "no --connect: showing a fresh local node started for this command; use --connect "
            + "HOST:PORT for a running one";

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!connect.connected()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(LOCAL); // before the node starts: that takes a moment, and this says why
            err.flush();
        }
        PoolStats stats;
        List<NodeStatus> nodes;
        try (Fleet fleet = cli.fleet(pool, connect)) {
            stats = fleet.stats();
            nodes = fleet.nodes();
        }
        out.print(json ? json(stats, nodes) + System.lineSeparator()
                : table(stats) + (nodes.size() > 1 ? System.lineSeparator() + cluster(nodes) : ""));
        out.flush();
        return 0;
    }

    /** The cluster's nodes as a table: name (* for the one asked), roles, reachability, gateway, pools, workers. */
    static String cluster(List<NodeStatus> nodes) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NODE", "ROLES", "REACHABLE", "GATEWAY", "POOLS", "WORKERS", "FREE", "UP"});
        for (NodeStatus n : nodes) {
            rows.add(new String[] {n.name() + (n.self() ? " *" : ""), n.roles().isEmpty() ? "-" : String.join(",", n.roles()),
                n.reachable() ? "yes" : "NO", n.gateway().isEmpty() ? "-" : n.gateway(), String.join(",", n.pools()),
                Integer.toString(n.workers()), Integer.toString(n.freeWorkers()), uptime(n.uptime())});
        }
        return "cluster of " + nodes.size() + " nodes" + System.lineSeparator() + columns(rows);
    }

    /** The header line and the table of workers, each line ended. */
    static String table(PoolStats stats) {
        StringBuilder sb = new StringBuilder();
        sb.append("node ").append(stats.node()).append(", up ").append(uptime(stats.uptime())).append(", pool ")
                .append(stats.workers().size()).append(stats.workers().size() == 1 ? " worker, " : " workers, ")
                .append(stats.queued()).append(" queued").append(System.lineSeparator());
        if (stats.failed() != null) {
            sb.append("pool failed: ").append(stats.failed()).append(System.lineSeparator());
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (WorkerStats w : stats.workers()) {
            rows.add(new String[] {w.id(), w.pid() > 0 ? Long.toString(w.pid()) : "-", state(w), Long.toString(w.calls()),
                Integer.toString(w.inFlight()), Long.toString(w.errors()), Integer.toString(w.restarts()),
                memory(w.rssBytes())});
        }
        return sb.append(columns(rows)).toString();
    }

    /** Rows as left-aligned columns two spaces apart, each line ended. */
    private static String columns(List<String[]> rows) {
        StringBuilder sb = new StringBuilder();
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            sb.append(line).append(System.lineSeparator());
        }
        return sb.toString();
    }

    /** The stats as one JSON object, with the keys of the gateway's {@code stats} reply plus each worker's state. */
    static String json(PoolStats stats, List<NodeStatus> nodes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", stats.node());
        m.put("uptime_ms", stats.uptime().toMillis());
        m.put("pool_size", stats.workers().size());
        m.put("queued", stats.queued());
        m.put("failed", stats.failed());
        List<Object> workers = new ArrayList<>();
        for (WorkerStats w : stats.workers()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("id", w.id());
            wm.put("pid", w.pid());
            wm.put("state", state(w));
            wm.put("ready", w.ready());
            wm.put("in_flight", w.inFlight());
            wm.put("calls", w.calls());
            wm.put("errors", w.errors());
            wm.put("busy_ns", w.busy().toNanos());
            wm.put("restarts", w.restarts());
            wm.put("rss_bytes", w.rssBytes());
            workers.add(wm);
        }
        m.put("workers", workers);
        List<Object> cluster = new ArrayList<>();
        for (NodeStatus n : nodes) {
            Map<String, Object> nm = new LinkedHashMap<>();
            nm.put("name", n.name());
            nm.put("self", n.self());
            nm.put("reachable", n.reachable());
            nm.put("gateway", n.gateway());
            nm.put("roles", n.roles());
            nm.put("pools", n.pools());
            nm.put("workers", n.workers());
            nm.put("free_workers", n.freeWorkers());
            nm.put("uptime_ms", n.uptime().toMillis());
            cluster.add(nm);
        }
        m.put("cluster", cluster);
        return JsonRender.withoutRepr().render(m);
    }

    /** ready; starting (first start) or restarting while it has no process; draining (being removed by a resize). */
    static String state(WorkerStats w) {
        if (w.ready()) {
            return "ready";
        }
        if (w.pid() <= 0) {
            return w.restarts() > 0 ? "restarting" : "starting";
        }
        return "draining";
    }

    /** {@code 12s}, {@code 3m05s}, {@code 1h02m}, {@code 2d03h}. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s % 86_400 / 3600);
    }

    /** Bytes in binary units with one decimal ({@code 41.2 MiB}), {@code -} when unknown. */
    static String memory(long bytes) {
        if (bytes < 0) {
            return "-";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes / 1024.0;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}

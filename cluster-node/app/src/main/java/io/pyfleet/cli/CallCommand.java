package io.pyfleet.cli;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
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

/** {@code pyfleet call}: one call on an embedded node, or on a running one with --connect, its result printed as JSON. */
@Command(name = "call", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Calls a Python function on an embedded node, or with --connect on a running node ('pyfleet node'), "
                    + "and prints its result on stdout as JSON.",
            "",
            "Each ARG and VALUE is parsed as JSON when it is one valid JSON value, else taken as a string: "
                    + "42 is an int, 4.2 a float, '\"42\"' and hello are strings, '[1, 2]' a list, "
                    + "'{\"a\": 1}' a dict, true/false/null are True/False/None. A text that looks like JSON (it "
                    + "starts with [, { or \", or is shaped like a number: 01, +5, .5, 1e) but does not parse is "
                    + "an error (status 2), never a string: to pass '[1, 2' as a string, JSON-quote it: '\"[1, 2\"'.",
            "",
            "The result is JSON as Python's json.dumps lays it out: int exact at any size; float as repr "
                    + "writes it, NaN and infinities as the strings \"NaN\", \"Infinity\", \"-Infinity\"; "
                    + "tuples and sets as arrays; dict keys that are not strings as their JSON text; bytes as "
                    + "a base64 string; date, time, datetime as ISO-8601 strings, timedelta as an ISO-8601 "
                    + "duration (PT1H30M); complex as {\"real\": .., \"imag\": ..}; NumPy arrays as arrays "
                    + "nested by shape (complex elements as [re, im]); any other object as "
                    + "{\"type\": .., \"repr\": ..}.",
            "",
            "A Python exception prints its traceback on stderr and exits with status 1; with --all or "
                    + "--scatter each failed item is {\"error\": {\"type\": .., \"message\": ..}} in place "
                    + "and the exit status is 0.",
            ""},
        footer = {"", "Examples:",
            "  pyfleet call builtins.int '\"101010\"' --kw base=2",
            "      42",
            "  pyfleet call builtins.pow 6 42",
            "      481229803398374426442198455156736",
            "  pyfleet call --scatter math.sqrt '[[1], [4], [9]]'",
            "      [1.0, 2.0, 3.0]",
            "  pyfleet call --all os.getpid --workers 3",
            "      [40211, 40213, 40212]",
            "  pyfleet call numpy.arange 6",
            "      [0, 1, 2, 3, 4, 5]",
            "  pyfleet call datetime.date 1923 4 2",
            "      \"1923-04-02\"",
            "  pyfleet call builtins.range 3",
            "      {\"type\": \"builtins.range\", \"repr\": \"range(0, 3)\"}",
            "  PYFLEET_TOKEN=... pyfleet call --connect 127.0.0.1:7450 --all os.getpid",
            "      [40211, 40213, 40212, 40214]",
            "  PYFLEET_TOKEN=... pyfleet call --connect 127.0.0.1:7450 --node n2 --pool sci \\",
            "    numpy.arange 3",
            "      [0, 1, 2]"})
public final class CallCommand implements Callable<Integer> {

    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME",
            description = "Dotted name of a Python callable, such as math.sqrt, numpy.arange, "
                    + "datetime.date or builtins.len.")
    String name;

    @Parameters(index = "1..*", paramLabel = "ARG",
            description = "Positional arguments: JSON when valid JSON, else a string (an error when it looks like "
                    + "JSON but is not).")
    List<String> args = new ArrayList<>();

    @Option(names = "--kw", paramLabel = "KEY=VALUE",
            description = "A keyword argument (repeatable); VALUE is JSON when valid JSON, else a string.")
    List<String> keywords = new ArrayList<>();

    @Option(names = "--all",
            description = "Run the same call on every worker; print a JSON array with one result per worker.")
    boolean all;

    @Option(names = "--scatter",
            description = "Scatter/gather: the single ARG is a JSON array of argument arrays, e.g. "
                    + "'[[1], [4], [9]]'; the call runs once per argument array, spread over the workers, "
                    + "and the results print as one JSON array in input order.")
    boolean scatter;

    @Mixin
    PoolOptions pool;

    @Mixin
    ConnectOptions connect;

    @Option(names = "--node", paramLabel = "NODE",
            description = "Run the call on this node of the cluster (with --connect; default: any).")
    String node;

    @Option(names = "--pool", paramLabel = "NAME",
            description = "Run the call in this named pool of the node (see 'pyfleet pool'; default: its default "
                    + "pool).")
    String poolName;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long the call (each call with --all/--scatter) may run: 500ms, 30s, 2m, PT1M "
                    + "(default: the call-timeout of the configuration).")
    Duration timeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Plan plan = plan();
        try (Fleet fleet = cli.fleet(pool, connect)) {
            JsonRender render = new JsonRender(o -> String.valueOf(fleet.builtin("repr", o)));
            String json = switch (plan.mode()) {
                case SINGLE -> render.render(Fleet.join(fleet.submit(plan.call())));
                case ALL -> render.renderOutcomes(Fleet.join(fleet.identicalAsync(plan.call())));
                case SCATTER -> render.renderOutcomes(
                        Fleet.join(fleet.scatterAsync(name, plan.argumentSets(), plan.call().options())));
            };
            out.println(json);
            out.flush();
            return 0;
        }
    }

    private enum Mode { SINGLE, ALL, SCATTER }

    /** What the command line asks for, checked before a node starts. */
    private record Plan(Mode mode, Call call, List<List<Object>> argumentSets) {
    }

    private Plan plan() {
        if (all && scatter) {
            throw usage("--all and --scatter cannot be used together");
        }
        Map<String, Object> kwargs;
        try {
            kwargs = JsonArgs.keywords(keywords);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        CallOptions options;
        try {
            options = CallOptions.builder().timeout(timeout).on(node).pool(poolName).build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (!scatter) {
            List<Object> values = new ArrayList<>(args.size());
            for (int i = 0; i < args.size(); i++) {
                try {
                    values.add(JsonArgs.parse(args.get(i)));
                } catch (JsonArgs.MalformedJson e) {
                    throw usage(e.describe("argument " + (i + 1)));
                }
            }
            return new Plan(all ? Mode.ALL : Mode.SINGLE, Call.function(name, values, kwargs).with(options), null);
        }
        if (!kwargs.isEmpty()) {
            throw usage("--scatter takes no --kw: put every argument in the argument arrays");
        }
        if (args.size() != 1) {
            throw usage("--scatter takes exactly one ARG, a JSON array of argument arrays such as "
                    + "'[[1], [4], [9]]'; got " + args.size());
        }
        Object sets;
        try {
            sets = JsonArgs.parseJson(args.get(0));
        } catch (IOException e) {
            throw usage("--scatter: the ARG " + JsonArgs.shellQuote(args.get(0)) + " is not valid JSON: "
                    + JsonArgs.explain(e));
        }
        if (!(sets instanceof List<?> list) || !list.stream().allMatch(s -> s instanceof List<?>)) {
            throw usage("--scatter: the ARG must be a JSON array of argument arrays such as '[[1], [4], [9]]'");
        }
        List<List<Object>> argumentSets = new ArrayList<>(list.size());
        for (Object s : list) {
            argumentSets.add(new ArrayList<>((List<?>) s));
        }
        return new Plan(Mode.SCATTER, Call.function(name, List.of(), Map.of()).with(options), argumentSets);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}

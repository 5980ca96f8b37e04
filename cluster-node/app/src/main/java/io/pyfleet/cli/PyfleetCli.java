package io.pyfleet.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine;

/**
 * The {@code pyfleet} command line: the launcher at the repository root runs this class. Each
 * subcommand is a class of its own; they reach the configuration and start their node through
 * {@link #startFleet}, or get an embedded or a connected fleet through {@link #fleet}.
 *
 * <p>Exit status: 0 on success, 1 when the call failed (a Python exception, a pyfleet error, a node that
 * could not start), 2 for a usage error. The commands let failures propagate; {@link #commandLine} reports
 * them once for all: a usage error as one line naming the command and what is wrong, and a line pointing to
 * the command's {@code --help} (never the whole usage text, which would bury the one line that matters).
 */
@Command(name = "pyfleet", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Call Python from the JVM through a pool of supervised Python worker processes.", ""},
        subcommands = {CallCommand.class, NodeCommand.class, StatusCommand.class, PoolCommand.class, ShellCommand.class,
            DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  pyfleet demo",
            "  pyfleet node --port 7450",
            "  pyfleet call builtins.int '\"101010\"' --kw base=2",
            "  pyfleet call --scatter math.sqrt '[[1], [4], [9]]'",
            "  PYFLEET_TOKEN=... pyfleet call --connect 127.0.0.1:7450 math.sqrt 2",
            "  pyfleet status --connect 127.0.0.1:7450 \\",
            "      --token-file ~/.pyfleet/gateway-7450.token",
            "  pyfleet shell --connect 127.0.0.1:7450",
            "  pyfleet bench --quick",
            "  pyfleet help call",
            "",
            "The launcher (./pyfleet in the checkout) also runs:",
            "  ./pyfleet install    the artifacts (pyfleet-bom, -client, -node) into the local Maven repository",
            "  ./pyfleet test       every test, Java and Python, and the samples"})
public final class PyfleetCli implements Runnable {
    /** A usage error exits with status 2, any other failure with {@link Failures#FAILED}. */
    static final IExitCodeExceptionMapper EXIT_STATUS =
            e -> e instanceof ParameterException ? ExitCode.USAGE : Failures.FAILED;

    /**
     * Inherited: every command takes it after its name as well ({@code pyfleet node --config F}, the form the
     * help, the systemd unit and local-cluster.sh show), and sets it here either way.
     */
    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "A HOCON file layered over the defaults of conf/application.conf for the node this command "
                    + "starts (with --connect the node's own settings hold), e.g. with the line: "
                    + "pyfleet.worker.interpreter = \"/usr/bin/python3\". Given before or after the command's name.")
    Path configFile;

    @Spec
    CommandSpec spec;

    /** Settings put over everything else (the tests set the interpreter through these). */
    private final Map<String, Object> overrides;

    /** Where {@code --connect} looks for PYFLEET_TOKEN: the process's environment, or the tests' own. */
    private final Map<String, String> environment;

    /** The command line as the launcher runs it: no overrides, the process's environment. */
    public PyfleetCli() {
        this(Map.of());
    }

    /** A command line whose configuration has {@code overrides} (dotted paths) over all other sources. */
    PyfleetCli(Map<String, ?> overrides) {
        this(overrides, System.getenv());
    }

    /** As {@link #PyfleetCli(Map)}, with {@code environment} in place of the process's environment variables. */
    PyfleetCli(Map<String, ?> overrides, Map<String, String> environment) {
        this.overrides = Map.copyOf(overrides);
        this.environment = Map.copyOf(environment);
    }

    /** The environment variables the commands read (PYFLEET_TOKEN). */
    Map<String, String> environment() {
        return environment;
    }

    /**
     * The launcher's entry point; exits with the command's status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        // Initialise logging on this thread before the node's threads first log: otherwise SLF4J
        // replays their early calls with a warning on stderr.
        LoggerFactory.getILoggerFactory();
        System.exit(commandLine(new PyfleetCli()).execute(args));
    }

    /**
     * The command line of {@code cli}: a command that fails (it throws) has its failure reported on stderr
     * by {@link Failures#report} after what it printed on stdout, and exits with the status
     * {@link #EXIT_STATUS} gives; enum options take their values in any case.
     */
    static CommandLine commandLine(PyfleetCli cli) {
        return new CommandLine(cli)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExitCodeExceptionMapper(EXIT_STATUS)
                .setParameterExceptionHandler(PyfleetCli::usageError)
                .setExecutionExceptionHandler((failure, command, parseResult) -> {
                    command.getOut().flush();
                    Failures.report(failure, command.getErr());
                    return EXIT_STATUS.getExitCode(failure);
                });
    }

    /**
     * Reports a usage error: {@code pyfleet call: --workers must be at least 1, got 0} (with picocli's
     * suggestions for a mistyped option or command), then {@code see 'pyfleet call --help'}; status 2.
     */
    static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        String message = e.getMessage();
        if (e instanceof UnmatchedArgumentException u && command.getParent() == null && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().get(0) + "'";
        } else if (message.length() > 1 && Character.isUpperCase(message.charAt(0))
                && Character.isLowerCase(message.charAt(1))) {
            message = Character.toLowerCase(message.charAt(0)) + message.substring(1); // picocli's "Unknown option"
        }
        StringBuilder line = new StringBuilder(command.getCommandSpec().qualifiedName()).append(": ").append(message);
        if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line.append(" (did you mean ").append(String.join(" or ", u.getSuggestions())).append("?)");
        }
        PrintWriter err = command.getErr();
        err.println(line);
        err.println("see '" + command.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return ExitCode.USAGE;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is required: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * The configuration a command runs with, from the highest precedence down: {@code commandSettings}
     * (what the command's own options say, e.g. the pool size), the overrides given to the constructor,
     * {@code -D} system properties, the {@code --config} file, application.conf, reference.conf.
     *
     * @param commandSettings the command's own settings, by dotted path
     * @return the resolved configuration
     * @throws ParameterException when the {@code --config} file cannot be read, or was given twice
     */
    public Config config(Map<String, ?> commandSettings) {
        Config file = ConfigFactory.empty();
        if (configFile != null) {
            CommandLine given = configCommand();
            if (!Files.isReadable(configFile)) {
                throw new ParameterException(given, "--config: cannot read " + configFile);
            }
            try {
                file = ConfigFactory.parseFile(configFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (com.typesafe.config.ConfigException e) {
                throw new ParameterException(given, "--config: " + e.getMessage());
            }
        }
        return ConfigFactory.parseMap(new LinkedHashMap<>(commandSettings))
                .withFallback(ConfigFactory.parseMap(overrides))
                .withFallback(ConfigFactory.defaultOverrides())
                .withFallback(file)
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    /**
     * The command {@code --config} was given to ({@code pyfleet}, or {@code pyfleet node} when it came after the
     * name), so a usage error names it.
     *
     * @throws ParameterException when it was given both before and after a command's name: one would silently win
     */
    private CommandLine configCommand() {
        CommandLine where = spec.commandLine();
        int given = 0;
        for (ParseResult p = where.getParseResult(); p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--config")) {
                where = p.commandSpec().commandLine();
                given++;
            }
        }
        if (given > 1) {
            throw new ParameterException(where, "--config was given twice, before and after the command's name; "
                    + "give it once (a file can include another: include \"other.conf\")");
        }
        return where;
    }

    /**
     * Starts an embedded node; it returns once every worker serves.
     *
     * @param pool the command's pool options (without --workers, the configured size: by default one per core)
     * @return the embedded node's fleet, to close when done
     */
    public Fleet startFleet(PoolOptions pool) {
        return EmbeddedNode.start(config(pool.settings()));
    }

    /**
     * The fleet a command works with: connected to the node of {@code --connect} when it was given (the pool
     * there is what it is, so {@code --workers} is then a usage error), else an embedded node started as by
     * {@link #startFleet}.
     *
     * @param pool    the command's pool options
     * @param connect the command's connect options
     * @return a connected or embedded fleet, to close when done
     * @throws ParameterException when the options do not go together, or {@code --connect} has no token
     */
    public Fleet fleet(PoolOptions pool, ConnectOptions connect) {
        if (!connect.connected()) {
            return startFleet(pool);
        }
        return Fleet.connect(clientOptions(pool, connect));
    }

    /**
     * The checked client options of a command run with {@code --connect}; nothing is connected yet.
     *
     * @throws ParameterException as {@link #fleet} does
     */
    ClientOptions clientOptions(PoolOptions pool, ConnectOptions connect) {
        if (pool.workers() != null) {
            throw new ParameterException(connect.command.commandLine(),
                    "--workers cannot be used with --connect: the node's pool is what the node was started with");
        }
        return connect.clientOptions(environment);
    }
}

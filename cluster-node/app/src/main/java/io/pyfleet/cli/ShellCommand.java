package io.pyfleet.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.Fleet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pyfleet shell}: JShell with the client on its class path and a {@code fleet} ready, to try the Java API
 * without writing a project. It runs the JDK's {@code jshell} as a child process: a terminal's line editing
 * works, and the token reaches it through the child's environment ({@code PYFLEET_TOKEN}), never a command line
 * or a file. The startup script (and, embedded, the node's settings) lie in an owner-only temporary directory,
 * deleted when the shell exits.
 */
@Command(name = "shell", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Opens JShell with the pyfleet client on the class path, io.pyfleet.client.* and java.util.* imported, "
                    + "and a variable 'fleet': a Fleet connected to the node of --connect, or without it an "
                    + "embedded node started for the shell (stopped when it exits). Needs a JDK (its jshell).",
            ""},
        footer = {"", "Examples:",
            "  PYFLEET_TOKEN=... pyfleet shell --connect 127.0.0.1:7450",
            "  pyfleet shell --workers 2",
            "      jshell> fleet.call(\"math.sqrt\", 2.0)",
            "      $1 ==> 1.4142135623730951"})
public final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    PoolOptions pool;

    @Mixin
    ConnectOptions connect;

    /** The shell's class path; null for the CLI's own (the tests give theirs: Surefire's is a manifest jar). */
    String classPath;

    /**
     * What the shell reads, or null for the terminal: given (by the tests), the text is written to the shell's
     * stdin and its stdout and stderr are copied to the command line's writers.
     */
    String input;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        if (!Files.isExecutable(jshell)) {
            throw new IllegalStateException("no jshell in " + jshell.getParent() + ": 'pyfleet shell' needs a JDK, "
                    + "not a JRE (set JAVA_HOME or PATH to a JDK 17+)");
        }
        ClientOptions options = null;
        if (connect.connected()) {
            options = cli.clientOptions(pool, connect);
            // Fail here, with the CLI's message and status, rather than in the shell's startup.
            Fleet.connect(options).close();
        }
        Path dir = Files.createTempDirectory("pyfleet-shell-", ownerOnly(true));
        try {
            Path startup = Files.createFile(dir.resolve("startup.jsh"), ownerOnly(false));
            String fleet;
            if (options != null) {
                fleet = connectedFleet(options);
            } else {
                Path conf = Files.createFile(dir.resolve("node.conf"), ownerOnly(false));
                Config node = cli.config(pool.settings()).withOnlyPath("pyfleet").withoutPath("pyfleet.gateway");
                Files.writeString(conf, node.root().render(ConfigRenderOptions.concise()), StandardCharsets.UTF_8);
                fleet = embeddedFleet(conf);
            }
            String where = options == null ? "an embedded node started for this shell"
                    : "the node at " + String.join(", ", options.addresses());
            Files.writeString(startup, startupScript(fleet, where), StandardCharsets.UTF_8);
            ProcessBuilder builder = new ProcessBuilder(command(jshell, startup));
            builder.environment().remove(ClientOptions.TOKEN_VARIABLE);
            if (options != null) {
                builder.environment().put(ClientOptions.TOKEN_VARIABLE, options.token());
            }
            return input == null ? runOnTerminal(builder) : runWithInput(builder);
        } finally {
            deleteTree(dir);
        }
    }

    private List<String> command(Path jshell, Path startup) {
        List<String> command = new ArrayList<>();
        command.add(jshell.toString());
        command.add("--class-path");
        command.add(classPath != null ? classPath : System.getProperty("java.class.path"));
        for (String option : ChildJvm.options()) {
            command.add("-J" + option); // jshell's own JVM
            command.add("-R" + option); // the JVM that runs the snippets, and the node
        }
        for (String property : List.of("logback.configurationFile", "pyfleet.home")) {
            String value = System.getProperty(property);
            if (value != null) {
                command.add("-R-D" + property + "=" + value);
            }
        }
        command.add("--startup");
        command.add("DEFAULT");
        command.add("--startup");
        command.add(startup.toString());
        return command;
    }

    /** The startup line that connects {@code fleet}: the token from the shell's environment, the rest as given. */
    private String connectedFleet(ClientOptions options) {
        StringBuilder sb = new StringBuilder("Fleet fleet = Fleet.connect(io.pyfleet.client.ClientOptions"
                + ".fromEnvironment()");
        for (String address : options.addresses()) {
            sb.append(".address(").append(javaString(address)).append(")");
        }
        if (connect.tlsCa() != null) {
            sb.append(".trustPem(java.nio.file.Path.of(").append(javaString(connect.tlsCa().toAbsolutePath().toString()))
                    .append("))");
        }
        return sb.append(".clientName(\"pyfleet shell\").build());").toString();
    }

    /** The startup line that starts an embedded node with the CLI's settings (written to {@code conf}). */
    private static String embeddedFleet(Path conf) {
        return "Fleet fleet = io.pyfleet.node.EmbeddedFleet.start(com.typesafe.config.ConfigFactory.parseFile("
                + "new java.io.File(" + javaString(conf.toString()) + "))"
                + ".withFallback(com.typesafe.config.ConfigFactory.load()).resolve());";
    }

    /** Imports, {@code fleet}, and a few lines of help printed when the shell starts. */
    static String startupScript(String fleetLine, String where) {
        StringBuilder sb = new StringBuilder();
        sb.append("import io.pyfleet.client.*;\n");
        sb.append("import java.util.*;\n");
        sb.append(fleetLine).append('\n');
        sb.append("Runtime.getRuntime().addShutdownHook(new Thread(fleet::close));\n");
        sb.append("System.out.println(").append(javaString("pyfleet shell: 'fleet' is a Fleet on " + where + ", "))
                .append(" + fleet.poolSize() + (fleet.poolSize() == 1 ? \" worker\" : \" workers\") + \". Try:\");\n");
        for (String line : List.of(
                "  fleet.call(\"math.sqrt\", 2.0)                                    // 1.4142135623730951",
                "  fleet.scatter(\"math.sqrt\", List.of(List.of(4), List.of(9)))   // one Outcome per argument list",
                "  fleet.stats()                                                   // workers: pids, calls, memory",
                "Exit with /exit (the fleet closes with the shell); /help lists JShell's commands.")) {
            sb.append("System.out.println(").append(javaString(line)).append(");\n");
        }
        return sb.toString();
    }

    /**
     * Runs JShell on the terminal. Ctrl-C signals the whole foreground group: JShell takes it to stop the
     * running snippet, and this JVM ignores it meanwhile rather than exit under its shell. It starts to ignore
     * it only once JShell runs, which must not inherit an ignored SIGINT.
     */
    private static int runOnTerminal(ProcessBuilder builder) throws IOException, InterruptedException {
        Process process = builder.inheritIO().start();
        Object previous = handleInterrupts("SIG_IGN", null);
        try {
            return process.waitFor();
        } finally {
            if (previous != null) {
                handleInterrupts(null, previous);
            }
        }
    }

    /**
     * Sets the handler of SIGINT through {@code sun.misc.Signal} (jdk.unsupported, reached reflectively so that
     * the build needs no internal API): the named constant of {@code SignalHandler}, or {@code handler}.
     *
     * @return the handler it replaced, or null where this JVM cannot (no such API, or no such signal)
     */
    private static Object handleInterrupts(String constant, Object handler) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object h = constant != null ? handlerType.getField(constant).get(null) : handler;
            return signal.getMethod("handle", signal, handlerType).invoke(null,
                    signal.getConstructor(String.class).newInstance("INT"), h);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    private int runWithInput(ProcessBuilder builder) throws IOException, InterruptedException {
        Process process = builder.start();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Thread outCopy = copier(process.getInputStream(), out);
        Thread errCopy = copier(process.getErrorStream(), err);
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        int status = process.waitFor();
        outCopy.join();
        errCopy.join();
        return status;
    }

    private static Thread copier(InputStream from, PrintWriter to) {
        Thread t = new Thread(() -> {
            try {
                byte[] buffer = new byte[8192];
                for (int n; (n = from.read(buffer)) >= 0; ) {
                    synchronized (to) {
                        to.write(new String(buffer, 0, n, StandardCharsets.UTF_8));
                        to.flush();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "pyfleet-shell-copy");
        t.start();
        return t;
    }

    private static FileAttribute<?>[] ownerOnly(boolean directory) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString(directory ? "rwx------" : "rw-------"))};
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * {@code s} as a Java string literal: a JSON string is one (backslash escapes, the rest as
     * backslash-u, which Java reads inside a literal too; newlines are never written as such).
     */
    static String javaString(String s) {
        StringBuilder sb = new StringBuilder();
        JsonRender.string(sb, s);
        return sb.toString();
    }
}

package io.pyfleet.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** Where tests find the real CPython interpreter (with msgpack and NumPy) and their helper modules. */
public final class TestPython {
    private TestPython() {
    }

    /** The interpreter ./pyfleet test passes in (python/.venv), else python3 on PATH. */
    public static String interpreter() {
        return System.getProperty("pyfleet.python", "python3");
    }

    /** The one library of test user code, shared with the Python tests (python/tests/workerlib). */
    public static Path testModules() {
        return Path.of(System.getProperty("pyfleet.repo", "../.."), "python/tests/workerlib")
                .toAbsolutePath().normalize();
    }

    /** The test interpreter's version, {@code 3.11.2}. */
    public static String version() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(interpreter(), "-c", "import platform; print(platform.python_version())")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    /**
     * A real CPython older than 3.11 on this machine, if there is one: python3.10 down to python3.6 on the
     * PATH, or in pyenv's versions directory.
     */
    public static java.util.Optional<Path> older() {
        List<Path> dirs = new java.util.ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && !dir.contains("shims")) { // a pyenv shim may name a version that is not installed
                dirs.add(Path.of(dir));
            }
        }
        Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        for (int minor = 10; minor >= 6; minor--) {
            for (Path dir : dirs) {
                if (Files.isExecutable(dir.resolve("python3." + minor))) {
                    return java.util.Optional.of(dir.resolve("python3." + minor));
                }
            }
            try (var versions = Files.list(pyenv)) {
                String prefix = "3." + minor + ".";
                java.util.Optional<Path> found = versions.filter(v -> v.getFileName().toString().startsWith(prefix))
                        .map(v -> v.resolve("bin/python3")).filter(Files::isExecutable).findFirst();
                if (found.isPresent()) {
                    return found;
                }
            } catch (IOException none) {
                // no pyenv here
            }
        }
        return java.util.Optional.empty();
    }

    /** An executable script that runs the test interpreter with the given extra flags. */
    public static Path wrapper(Path dir, String flags) throws IOException {
        Path script = dir.resolve("python-wrapper");
        Files.writeString(script, "#!/bin/sh\nexec " + interpreter() + " " + flags + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}

package io.pyfleet.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real virtual environment for a named pool's tests, made in a few tens of milliseconds:
 * {@code python -m venv --without-pip --copies DIR}, plus a {@code .pth} file that puts the test
 * interpreter's site-packages (msgpack for the worker) on its path. Copies, not links to the interpreter:
 * JUnit warns when it deletes a {@code @TempDir} that links outside itself.
 */
public final class TestVenv {
    private TestVenv() {
    }

    /** Creates the environment in {@code dir}; returns its {@code bin/python}. */
    public static Path create(Path dir) throws IOException, InterruptedException {
        String sitePackages = run(TestPython.interpreter(), "-c",
                "import msgpack, os; print(os.path.dirname(os.path.dirname(os.path.abspath(msgpack.__file__))))");
        run(TestPython.interpreter(), "-m", "venv", "--without-pip", "--copies", dir.toString());
        Path own;
        try (Stream<Path> libs = Files.list(dir.resolve("lib"))) {
            own = libs.filter(p -> p.getFileName().toString().startsWith("python")).findFirst()
                    .orElseThrow(() -> new IOException("no lib/python* in " + dir)).resolve("site-packages");
        }
        Files.writeString(own.resolve("pyfleet-test-deps.pth"), sitePackages + "\n");
        return dir.resolve("bin/python");
    }

    /**
     * A virtual environment with nothing installed ({@code --without-pip}, no system site-packages): the
     * test interpreter's Python without msgpack, as a user's fresh venv is. Returns its {@code bin/python}.
     */
    public static Path bare(Path dir) throws IOException, InterruptedException {
        run(TestPython.interpreter(), "-m", "venv", "--without-pip", "--copies", dir.toString());
        return dir.resolve("bin/python");
    }

    /** A module file {@code name.py} with {@code text} in a new directory {@code dir}; returns the directory. */
    public static Path module(Path dir, String name, String text) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".py"), text);
        return dir;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}

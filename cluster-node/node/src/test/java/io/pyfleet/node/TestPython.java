package io.pyfleet.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

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

    /** An executable script that runs the test interpreter with the given extra flags. */
    public static Path wrapper(Path dir, String flags) throws IOException {
        Path script = dir.resolve("python-wrapper");
        Files.writeString(script, "#!/bin/sh\nexec " + interpreter() + " " + flags + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}

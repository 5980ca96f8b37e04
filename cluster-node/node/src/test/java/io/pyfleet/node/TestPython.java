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

    /** The directory of Python modules written for the Java tests (cluster-node/node/src/test/python). */
    public static Path testModules() {
        return Path.of(System.getProperty("pyfleet.repo", "../.."), "cluster-node/node/src/test/python")
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

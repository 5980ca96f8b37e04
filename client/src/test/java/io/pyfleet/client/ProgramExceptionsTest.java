package io.pyfleet.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program's own subclasses of pyfleet's exceptions (thrown by a Fleet it wraps or implements, say) keep
 * their type through a synchronous call: the program catches them by it. They are compiled here, in a package
 * of the program's (this build's own sources all live in io.pyfleet, whose subclasses are pyfleet's and are
 * rethrown as their public type).
 */
class ProgramExceptionsTest {
    @TempDir
    Path dir;

    private Class<?> compile(String name, String source) throws Exception {
        Path file = dir.resolve("src/com/example/" + name + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests run on a JDK");
        Path out = Files.createDirectories(dir.resolve("classes"));
        int rc = javac.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", out.toString(),
                file.toString());
        assertEquals(0, rc, "compiles");
        URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader());
        return loader.loadClass("com.example." + name);
    }

    @Test
    void aProgramsOwnSubclassIsRethrownAsItsOwnType() throws Exception {
        Class<?> quota = compile("QuotaExceeded", "package com.example;\n"
                + "public class QuotaExceeded extends io.pyfleet.client.PyFleetException {\n"
                + "    public QuotaExceeded(String m) { super(m); }\n}\n");
        Class<?> model = compile("ModelFailed", "package com.example;\n"
                + "public class ModelFailed extends io.pyfleet.client.PythonException {\n"
                + "    public ModelFailed() { super(\"builtins.ValueError\", \"bad input\", \"Traceback ...\"); }\n}\n");
        for (PyFleetException mine : List.of(
                (PyFleetException) quota.getConstructor(String.class).newInstance("over quota"),
                (PyFleetException) model.getConstructor().newInstance())) {
            PyFleetException e = assertThrows(PyFleetException.class,
                    () -> Fleet.join(CompletableFuture.failedFuture(mine)));
            assertSame(mine.getClass(), e.getClass(), "a catch of " + mine.getClass().getSimpleName() + " finds it");
            assertSame(mine, e);
        }
    }
}

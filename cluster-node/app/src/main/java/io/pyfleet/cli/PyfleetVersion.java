package io.pyfleet.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The {@code --version} text: the project version (filtered into version.properties) and the JVM. */
public final class PyfleetVersion implements IVersionProvider {

    /** The project version, or {@code unknown} when the build did not stamp it. */
    public static String version() {
        try (InputStream in = PyfleetVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through to the unknown version
        }
        return "unknown";
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "pyfleet " + version(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
        };
    }
}

package io.pyfleet.node.worker;

import io.pyfleet.client.PyFleetException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Finds the Python worker package that travels on the node's classpath (under
 * {@code pyfleet-worker/pyfleet/}) and returns a directory to put on the worker's
 * {@code sys.path}, so the user's interpreter needs only msgpack (and NumPy).
 * From a classes directory it is used in place; from a jar it is unpacked once into a
 * temporary directory named by the content's hash.
 */
public final class WorkerPackage {
    private static final String ROOT = "pyfleet-worker/";
    private static final String MARKER = ROOT + "pyfleet/__init__.py";
    private static volatile Path cached;

    private WorkerPackage() {
    }

    /** The directory that holds the {@code pyfleet} package. */
    public static Path directory() {
        Path dir = cached;
        if (dir == null) {
            synchronized (WorkerPackage.class) {
                if (cached == null) {
                    cached = locate();
                }
                dir = cached;
            }
        }
        return dir;
    }

    private static Path locate() {
        URL marker = WorkerPackage.class.getClassLoader().getResource(MARKER);
        if (marker == null) {
            throw new PyFleetException("the Python worker package (" + MARKER + ") is not on the classpath: "
                    + "the node was built without python/src");
        }
        try {
            if ("file".equals(marker.getProtocol())) {
                return Path.of(marker.toURI()).getParent().getParent();
            }
            if ("jar".equals(marker.getProtocol())) {
                JarURLConnection connection = (JarURLConnection) marker.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    return unpack(jar);
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new PyFleetException("cannot read the Python worker package from " + marker, e);
        }
        throw new PyFleetException("unsupported location of the Python worker package: " + marker);
    }

    private static Path unpack(JarFile jar) throws IOException {
        List<JarEntry> entries = new ArrayList<>();
        MessageDigest digest = sha256();
        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
            JarEntry entry = e.nextElement();
            if (entry.getName().startsWith(ROOT) && !entry.isDirectory()) {
                entries.add(entry);
                digest.update(entry.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = jar.getInputStream(entry)) {
                    digest.update(in.readAllBytes());
                }
            }
        }
        String hash = HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "pyfleet-worker-" + hash);
        if (Files.isRegularFile(target.resolve("pyfleet/__init__.py"))) {
            return target;
        }
        // Unpack beside the target and rename, so a concurrent node never sees half a package.
        Path staging = Files.createTempDirectory(target.getParent(), "pyfleet-worker-staging-");
        for (JarEntry entry : entries) {
            Path out = staging.resolve(entry.getName().substring(ROOT.length()));
            Files.createDirectories(out.getParent());
            try (InputStream in = jar.getInputStream(entry)) {
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
            if (!Files.isRegularFile(target.resolve("pyfleet/__init__.py"))) {
                throw raced;
            }
            deleteTree(staging);
        }
        return target;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // a leftover staging directory in tmp is harmless
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

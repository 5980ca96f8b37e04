package io.pyfleet.node.gateway;

import com.typesafe.config.ConfigException;
import io.pyfleet.node.config.GatewaySettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's shared secret and where it came from. The token is what a remote client proves it holds
 * (HMAC challenge-response, spec/PROTOCOL.md "Handshake"), so a node must always have one, and one nobody
 * else on the machine can read: this class is the single place that finds it, or makes one, following the
 * order {@code pyfleet.gateway.token} documents in conf/application.conf.
 *
 * <p>Order: the {@code token} key if non-empty; else the {@code PYFLEET_TOKEN} environment variable if
 * non-empty; else the token file ({@code token-file}, or {@code <home>/.pyfleet/gateway-<port>.token} when
 * that key is empty) if it exists; else a new token of 32 random bytes in hex, written to that file as the
 * line {@code PYFLEET_TOKEN=<hex>} (so a shell can source it). The default file is read back when it exists,
 * so a node restarted on the same port keeps its token and its clients keep working.
 *
 * <p>A token file holds a raw token or a line {@code PYFLEET_TOKEN=<token>}; surrounding whitespace is
 * dropped, and so are blank lines and lines starting with {@code #}.
 *
 * <p><b>Permissions.</b> A new file is created owner-only from the start ({@code rw-------}; a directory it
 * needs, {@code rwx------}), so the token is never readable by others, even briefly. An existing token file
 * that group or others may read or write is <em>refused</em> (as ssh refuses a loose private key): a token
 * others could read is a token anyone on the machine holds, and one others could write lets them choose it.
 * The error says how to fix it ({@code chmod 600}). On a file system without POSIX permissions (Windows) a
 * new file is restricted to its owner through {@link java.io.File}'s owner-only flags and existing files are
 * not checked.
 *
 * <p>A token shorter than {@value #MIN_LENGTH} characters is refused whatever its source. Failures are
 * {@link ConfigException}s (the node's start reports them as configuration errors); a {@code BadValue} names
 * the key, {@code Generic} is used for the environment variable.
 *
 * <p>{@link #toString()} never shows the token; log {@link #source()} instead.
 *
 * @param value  the token; its UTF-8 bytes are the HMAC key
 * @param source where it came from, for the node's log line (never the token itself)
 * @param file   the token file it was read from or written to, or null when it came from the key or the
 *               environment
 */
public record GatewayToken(String value, String source, Path file) {

    /** Shortest token accepted: below this a token is guessable enough to matter. */
    public static final int MIN_LENGTH = 16;

    /** The environment variable a token may come from. */
    public static final String ENV = "PYFLEET_TOKEN";

    private static final String LINE_PREFIX = ENV + "=";
    private static final int GENERATED_BYTES = 32;
    private static final Set<PosixFilePermission> LOOSE = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The token of a node: the process's environment and {@code user.home}. */
    public static GatewayToken resolve(GatewaySettings settings) {
        return resolve(settings, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The token the settings, the environment and the token file give, or a new one written to the token file.
     *
     * @param env  the environment ({@code System.getenv()} in a node)
     * @param home the home directory the default token file lives under
     * @throws ConfigException when the token is too short, or the token file is unreadable, malformed, or
     *                         readable or writable by others
     */
    public static GatewayToken resolve(GatewaySettings settings, Map<String, String> env, Path home) {
        if (settings.token() != null && !settings.token().isEmpty()) {
            checkLength(settings.token(), "pyfleet.gateway.token");
            return new GatewayToken(settings.token(), "pyfleet.gateway.token", null);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            checkLength(fromEnv, "the " + ENV + " environment variable");
            return new GatewayToken(fromEnv, "the " + ENV + " environment variable", null);
        }
        Path file = settings.tokenFile() != null ? settings.tokenFile()
                : home.resolve(".pyfleet").resolve("gateway-" + settings.port() + ".token");
        if (Files.exists(file)) {
            return new GatewayToken(read(file), "token file " + file, file);
        }
        String generated = HexFormat.of().formatHex(bytes());
        try {
            write(file, generated);
        } catch (FileAlreadyExistsException raced) {
            // another node on the same file made it between our look and our write: share its token (if
            // that node has not written it yet the read fails loudly, and a restart finds the file complete)
            return new GatewayToken(read(file), "token file " + file, file);
        } catch (IOException e) {
            throw new ConfigException.BadValue("pyfleet.gateway.token-file", "cannot write a new token to " + file + ": " + e, e);
        }
        return new GatewayToken(generated, "new token file " + file, file);
    }

    /** Redacted: a record's default toString would print the secret into whatever logs this object. */
    @Override
    public String toString() {
        return "GatewayToken[source=" + source + ", file=" + file + "]";
    }

    private static byte[] bytes() {
        byte[] b = new byte[GENERATED_BYTES];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void checkLength(String token, String where) {
        if (token.length() < MIN_LENGTH) {
            String why = "the gateway token is " + token.length() + " characters; at least " + MIN_LENGTH
                    + " are needed (e.g. `openssl rand -hex 32`)";
            if (where.startsWith("pyfleet.")) {
                throw new ConfigException.BadValue(where, why);
            }
            throw new ConfigException.Generic(where + ": " + why);
        }
    }

    /** Reads a token file, refusing one others may read or write. */
    static String read(Path file) {
        checkPermissions(file);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            throw new ConfigException.BadValue("pyfleet.gateway.token-file", "cannot read " + file + ": " + e, e);
        }
        List<String> lines = text.lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (lines.size() != 1) {
            throw new ConfigException.BadValue("pyfleet.gateway.token-file", file + " must hold one line, the token or "
                    + LINE_PREFIX + "<token>; it has " + lines.size());
        }
        String line = lines.get(0);
        String token = line.startsWith(LINE_PREFIX) ? line.substring(LINE_PREFIX.length()).strip() : line;
        checkLength(token, "pyfleet.gateway.token-file");
        return token;
    }

    private static void checkPermissions(Path file) {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return; // no POSIX permissions here (Windows): the owner's ACLs are the OS's business
        }
        Set<PosixFilePermission> perms;
        try {
            perms = view.readAttributes().permissions();
        } catch (IOException e) {
            throw new ConfigException.BadValue("pyfleet.gateway.token-file", "cannot read " + file + ": " + e, e);
        }
        if (perms.stream().anyMatch(LOOSE::contains)) {
            throw new ConfigException.BadValue("pyfleet.gateway.token-file", file + " is "
                    + PosixFilePermissions.toString(perms) + ": others on this machine could read or change the token."
                    + " Make it owner-only: chmod 600 " + file);
        }
    }

    /** Creates the file owner-only and then writes the token: it is never readable by others. */
    private static void write(Path file, String token) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = Files.getFileAttributeView(existingAncestor(dir), PosixFileAttributeView.class) != null;
        if (posix) {
            FileAttribute<Set<PosixFilePermission>> dirPerms =
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, dirPerms);
            }
            // the permissions are part of the creation (and umask can only narrow them): no window where
            // the file exists readable by others
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createDirectories(dir);
            Files.createFile(file);
            java.io.File f = file.toFile();
            // owner-only before the token goes in; best effort where the OS has no POSIX bits
            f.setReadable(false, false);
            f.setWritable(false, false);
            f.setReadable(true, true);
            f.setWritable(true, true);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
            w.write(LINE_PREFIX + token + "\n");
        }
    }

    private static Path existingAncestor(Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p != null ? p : dir;
    }
}

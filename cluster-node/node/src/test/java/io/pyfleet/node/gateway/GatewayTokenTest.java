package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigException;
import io.pyfleet.node.config.GatewaySettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the gateway's token comes from, and how a new one is written. */
class GatewayTokenTest {

    private static final String KEY_TOKEN = "key-token-0123456789";
    private static final String ENV_TOKEN = "env-token-0123456789";
    private static final String FILE_TOKEN = "file-token-0123456789";

    @TempDir
    Path dir;

    static GatewaySettings settings(String token, Path tokenFile, int port) {
        GatewaySettings.Tls tls = new GatewaySettings.Tls(false, null, "", "PKCS12", null, null, List.of("TLSv1.3"));
        Duration s = Duration.ofSeconds(10);
        return new GatewaySettings("127.0.0.1", port, token, tokenFile, List.of("*"), s, s, s, 1 << 20, 16, 1 << 20,
                16, s, tls, 1 << 20, 1 << 19, 1L << 30, 64L << 20, 256L << 20, GatewaySettings.Handshake.DEFAULTS);
    }

    private Path ownerOnlyFile(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        if (posix()) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return file;
    }

    private boolean posix() {
        return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    }

    @Test
    void theKeyComesFirst() throws IOException {
        Path file = ownerOnlyFile("t", FILE_TOKEN);
        GatewayToken t = GatewayToken.resolve(settings(KEY_TOKEN, file, 7450), Map.of("PYFLEET_TOKEN", ENV_TOKEN), dir);
        assertEquals(KEY_TOKEN, t.value());
        assertEquals("pyfleet.gateway.token", t.source());
        assertNull(t.file());
    }

    @Test
    void thenTheEnvironment() throws IOException {
        Path file = ownerOnlyFile("t", FILE_TOKEN);
        GatewayToken t = GatewayToken.resolve(settings("", file, 7450), Map.of("PYFLEET_TOKEN", ENV_TOKEN), dir);
        assertEquals(ENV_TOKEN, t.value());
        assertTrue(t.source().contains("PYFLEET_TOKEN"), t.source());
        assertNull(t.file());
        // an empty variable counts as unset
        assertEquals(FILE_TOKEN, GatewayToken.resolve(settings("", file, 7450), Map.of("PYFLEET_TOKEN", ""), dir).value());
    }

    @Test
    void thenTheFileRawOrAsAnAssignment() throws IOException {
        Path raw = ownerOnlyFile("raw", "  " + FILE_TOKEN + "\n\n");
        GatewayToken t = GatewayToken.resolve(settings("", raw, 7450), Map.of(), dir);
        assertEquals(FILE_TOKEN, t.value());
        assertEquals(raw, t.file());
        assertTrue(t.source().contains(raw.toString()), t.source());

        Path line = ownerOnlyFile("line", "# the gateway's token\nPYFLEET_TOKEN=" + FILE_TOKEN + "\n");
        assertEquals(FILE_TOKEN, GatewayToken.resolve(settings("", line, 7450), Map.of(), dir).value());
    }

    @Test
    void aFileOfTwoTokensIsRefused() throws IOException {
        Path file = ownerOnlyFile("two", FILE_TOKEN + "\n" + FILE_TOKEN + "\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> GatewayToken.resolve(settings("", file, 7450), Map.of(), dir));
        assertTrue(e.getMessage().contains("pyfleet.gateway.token-file"), e.getMessage());
    }

    @Test
    void noneGeneratesAnOwnerOnlyFileUnderHomeAndReadsItBackNextTime() throws IOException {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        GatewayToken t = GatewayToken.resolve(settings("", null, 7451), Map.of(), home);
        Path expected = home.resolve(".pyfleet").resolve("gateway-7451.token");
        assertEquals(expected, t.file());
        assertTrue(t.value().matches("[0-9a-f]{64}"), "32 random bytes in hex");
        assertTrue(t.source().contains(expected.toString()), t.source());
        assertEquals("PYFLEET_TOKEN=" + t.value() + "\n", Files.readString(expected));
        if (posix()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(expected)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(expected.getParent())));
        }
        GatewayToken again = GatewayToken.resolve(settings("", null, 7451), Map.of(), home);
        assertEquals(t.value(), again.value(), "a restarted node keeps its token");
        GatewayToken otherPort = GatewayToken.resolve(settings("", null, 7452), Map.of(), home);
        assertFalse(otherPort.value().equals(t.value()));
    }

    @Test
    void aConfiguredFileThatDoesNotExistGetsTheNewToken() throws IOException {
        Path file = dir.resolve("sub").resolve("gw.token");
        GatewayToken t = GatewayToken.resolve(settings("", file, 7450), Map.of(), dir.resolve("unused-home"));
        assertEquals(file, t.file());
        assertEquals("PYFLEET_TOKEN=" + t.value() + "\n", Files.readString(file));
        assertFalse(Files.exists(dir.resolve("unused-home")));
        if (posix()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        }
    }

    @Test
    void shortTokensAreRefusedFromEverySource() throws IOException {
        String shortToken = "0123456789abcde"; // 15
        ConfigException key = assertThrows(ConfigException.class,
                () -> GatewayToken.resolve(settings(shortToken, null, 7450), Map.of(), dir));
        assertTrue(key.getMessage().contains("pyfleet.gateway.token") && key.getMessage().contains("16"), key.getMessage());
        ConfigException env = assertThrows(ConfigException.class,
                () -> GatewayToken.resolve(settings("", null, 7450), Map.of("PYFLEET_TOKEN", shortToken), dir));
        assertTrue(env.getMessage().contains("PYFLEET_TOKEN"), env.getMessage());
        Path file = ownerOnlyFile("short", "PYFLEET_TOKEN=" + shortToken);
        ConfigException fromFile = assertThrows(ConfigException.class,
                () -> GatewayToken.resolve(settings("", file, 7450), Map.of(), dir));
        assertTrue(fromFile.getMessage().contains("pyfleet.gateway.token-file"), fromFile.getMessage());
        Path empty = ownerOnlyFile("empty", "PYFLEET_TOKEN=\n");
        assertThrows(ConfigException.class, () -> GatewayToken.resolve(settings("", empty, 7450), Map.of(), dir));
        // exactly 16 is enough
        assertEquals(shortToken + "f", GatewayToken.resolve(settings(shortToken + "f", null, 7450), Map.of(), dir).value());
    }

    @Test
    void aFileOthersMayReadOrWriteIsRefusedWithTheFix() throws IOException {
        assumeTrue(posix(), "POSIX permissions");
        for (String perms : List.of("rw-r-----", "rw----r--", "rw--w----", "rw-rw-rw-")) {
            Path file = ownerOnlyFile("loose", FILE_TOKEN);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
            ConfigException e = assertThrows(ConfigException.class,
                    () -> GatewayToken.resolve(settings("", file, 7450), Map.of(), dir), perms);
            assertTrue(e.getMessage().contains("chmod 600 " + file), e.getMessage());
            assertFalse(e.getMessage().contains(FILE_TOKEN), "the error never shows the token");
        }
        Path file = ownerOnlyFile("owner-read-only", FILE_TOKEN);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertEquals(FILE_TOKEN, GatewayToken.resolve(settings("", file, 7450), Map.of(), dir).value());
    }

    @Test
    void toStringNeverShowsTheToken() {
        GatewayToken t = GatewayToken.resolve(settings(KEY_TOKEN, null, 7450), Map.of(), dir);
        assertFalse(t.toString().contains(KEY_TOKEN), t.toString());
    }
}

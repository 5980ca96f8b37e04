package io.pyfleet.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation, defaults and the token sources of {@link ClientOptions}. */
class ClientOptionsTest {
    @TempDir
    Path dir;

    @Test
    void defaults() {
        ClientOptions o = ClientOptions.builder().token("t").address("localhost:7000").build();
        assertEquals(Duration.ofSeconds(5), o.connectTimeout());
        assertEquals(Duration.ofSeconds(5), o.heartbeatInterval());
        assertEquals(Duration.ofSeconds(30), o.idleTimeout());
        assertEquals(Duration.ofMillis(100), o.reconnectInitial());
        assertEquals(Duration.ofSeconds(5), o.reconnectMax());
        assertEquals(null, o.sslContext());
        assertFalse(o.clientName().isBlank());
    }

    @Test
    void theTokenNeverShowsInToString() {
        ClientOptions o = ClientOptions.builder().token("very-secret").address("h:1").build();
        assertFalse(o.toString().contains("very-secret"), o.toString());
    }

    @Test
    void addressesAreCheckedUpFront() {
        assertEquals(new InetSocketAddress("::1", 9).getPort(), ClientOptions.parseAddress("[::1]:9").getPort());
        assertEquals("::1", ClientOptions.parseAddress("[::1]:9").getHostString());
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.parseAddress("nohost"));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.parseAddress("h:0"));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.parseAddress("::1:80"));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().token("t").build());
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().address("h:1").build());
    }

    @Test
    void tokenFilesHoldTheTokenOrAnAssignment() throws IOException {
        Path raw = Files.writeString(dir.resolve("raw"), "  abc123 \n");
        assertEquals("abc123", ClientOptions.readTokenFile(raw));
        Path env = Files.writeString(dir.resolve("env"), "# pyfleet\nOTHER=1\nPYFLEET_TOKEN=\"xyz\"\n");
        assertEquals("xyz", ClientOptions.builder().tokenFile(env).address("h:1").build().token());
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.readTokenFile(empty));
    }

    @Test
    void theEnvironmentGivesTheToken() {
        assertEquals("e-token", ClientOptions.fromEnvironment(Map.of("PYFLEET_TOKEN", " e-token\n"))
                .address("h:1").build().token());
        assertThrows(IllegalStateException.class, () -> ClientOptions.fromEnvironment(Map.of()));
    }

    @Test
    void aPemThatIsNotACertificateIsRefused() throws IOException {
        Path pem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClientOptions.trustingPem(pem));
        assertTrue(e.getMessage().contains("ca.pem"), e.getMessage());
    }
}

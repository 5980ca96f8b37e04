package io.pyfleet.client.internal.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thin client over TLS, against a stand-in whose certificate keytool makes for the test. */
class TlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    @TempDir
    static Path dir;
    private static SSLContext server;
    private static Path pem;

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path store = dir.resolve("node.p12");
        pem = dir.resolve("node.pem");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                store.toString(), "-storepass", new String(PASSWORD));
        keytool("-exportcert", "-rfc", "-alias", "node", "-keystore", store.toString(), "-storepass",
                new String(PASSWORD), "-file", pem.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + output);
    }

    @Test
    void callsTravelOverTlsTrustingThePem() throws Exception {
        try (FakeGateway g = new FakeGateway("tls-token", server);
                RemoteFleet fleet = RemoteFleet.connect(ClientOptions.builder().token("tls-token").address(g.address())
                        .trustPem(pem).build())) {
            FakeGateway.Session s = g.session();
            assertTrue(s.authenticated);
            CompletableFuture<Object> f = fleet.callAsync("platform.node");
            FakeGateway.Request r = s.request();
            assertEquals("platform.node", r.target());
            s.reply(r.id(), "remote-host");
            assertEquals("remote-host", f.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aNodeWhoseCertificateIsNotTrustedIsNotReached() throws Exception {
        try (FakeGateway g = new FakeGateway("tls-token", server)) {
            ConnectionLostException e = assertThrows(ConnectionLostException.class,
                    () -> RemoteFleet.connect(ClientOptions.builder().token("tls-token").address(g.address())
                            .sslContext(SSLContext.getDefault()).build()));
            assertFalse(e.mayHaveRun());
            assertTrue(e.getCause() instanceof javax.net.ssl.SSLException, String.valueOf(e.getCause()));
        }
    }
}

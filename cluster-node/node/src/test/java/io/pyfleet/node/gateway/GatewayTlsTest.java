package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import io.pyfleet.node.config.GatewaySettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's TLS context from a keystore and from PEM files, proven by real handshakes over loopback. */
class GatewayTlsTest {

    static final String PASSWORD = "changeit-123";
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    @TempDir
    static Path dir;

    /** Made once by keytool: an RSA and an EC key pair, each in a PKCS12 store and as PEM files. */
    private static Material rsa;
    private static Material ec;

    /** keytool-made TLS material: a key store, its certificate as PEM, its key as PKCS#8 PEM. */
    record Material(Path keystore, Path certificate, Path privateKey) {
    }

    @BeforeAll
    static void makeMaterial() throws Exception {
        rsa = material(dir, "rsa", "PKCS12", "-keyalg", "RSA", "-keysize", "2048");
        ec = material(dir, "ec", "PKCS12", "-keyalg", "EC", "-groupname", "secp256r1");
    }

    /** Also used by the end-to-end TLS test: a self-signed key pair for localhost and 127.0.0.1. */
    static Material material(Path dir, String name, String storeType, String... keyOptions) throws Exception {
        Path keystore = dir.resolve(name + "." + storeType.toLowerCase());
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", "gw", "-dname", "CN=localhost",
                "-validity", "2", "-storetype", storeType, "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-keypass", PASSWORD, "-ext", "SAN=ip:127.0.0.1,dns:localhost"));
        gen.addAll(List.of(keyOptions));
        keytool(gen);
        Path cert = dir.resolve(name + ".crt.pem");
        keytool(List.of("-exportcert", "-rfc", "-alias", "gw", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", cert.toString()));
        KeyStore store = KeyStore.getInstance(storeType);
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        Key key = store.getKey("gw", PASSWORD.toCharArray());
        assertEquals("PKCS#8", key.getFormat());
        Path pem = dir.resolve(name + ".key.pem");
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        return new Material(keystore, cert, pem);
    }

    private static void keytool(List<String> args) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool ran too long");
        assertEquals(0, p.exitValue(), "keytool " + args + ": " + out);
    }

    private static GatewaySettings.Tls keystoreTls(Path keystore, String password, String type) {
        return new GatewaySettings.Tls(true, keystore, password, type, null, null, PROTOCOLS);
    }

    private static GatewaySettings.Tls pemTls(Path certificate, Path privateKey) {
        return new GatewaySettings.Tls(true, null, "", "PKCS12", certificate, privateKey, PROTOCOLS);
    }

    /** A server from the context and a client trusting only the exported certificate send a byte each way. */
    private static void handshake(SSLContext server, Path trustedCert, String protocol) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(trustedCert)) {
            trust.setCertificateEntry("node", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
            listener.setEnabledProtocols(GatewayTls.serverEngine(server, PROTOCOLS).getEnabledProtocols());
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    int got = s.getInputStream().read();
                    s.getOutputStream().write(got + 1);
                    s.getOutputStream().flush();
                    return got;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(loopback, listener.getLocalPort())) {
                s.setSoTimeout(10_000);
                s.setEnabledProtocols(new String[] {protocol});
                OutputStream out = s.getOutputStream();
                out.write(41);
                out.flush();
                assertEquals(42, s.getInputStream().read());
                assertEquals(protocol, s.getSession().getProtocol());
            }
            assertEquals(41, served.get(15, TimeUnit.SECONDS));
        }
    }

    @Test
    void aPkcs12KeystoreServesTls13AndTls12() throws Exception {
        SSLContext context = GatewayTls.serverContext(keystoreTls(rsa.keystore(), PASSWORD, "PKCS12"));
        handshake(context, rsa.certificate(), "TLSv1.3");
        handshake(context, rsa.certificate(), "TLSv1.2");
    }

    @Test
    void aJksKeystoreServes() throws Exception {
        Material jks = material(dir, "rsa-jks", "JKS", "-keyalg", "RSA", "-keysize", "2048");
        handshake(GatewayTls.serverContext(keystoreTls(jks.keystore(), PASSWORD, "JKS")), jks.certificate(), "TLSv1.3");
    }

    @Test
    void pemCertificateAndRsaKeyServe() throws Exception {
        SSLContext context = GatewayTls.serverContext(pemTls(rsa.certificate(), rsa.privateKey()));
        handshake(context, rsa.certificate(), "TLSv1.3");
        handshake(context, rsa.certificate(), "TLSv1.2");
    }

    @Test
    void pemCertificateAndEcKeyServe() throws Exception {
        handshake(GatewayTls.serverContext(pemTls(ec.certificate(), ec.privateKey())), ec.certificate(), "TLSv1.3");
    }

    @Test
    void theEngineIsServerSideWithTheConfiguredProtocols() {
        SSLContext context = GatewayTls.serverContext(pemTls(rsa.certificate(), rsa.privateKey()));
        SSLEngine engine = GatewayTls.serverEngine(context, List.of("TLSv1.3"));
        assertFalse(engine.getUseClientMode());
        assertArrayEquals(new String[] {"TLSv1.3"}, engine.getEnabledProtocols());
        assertFalse(engine.getNeedClientAuth());
        ConfigException bad = assertThrows(ConfigException.class, () -> GatewayTls.serverEngine(context, List.of("SSLv9")));
        assertTrue(bad.getMessage().contains("pyfleet.gateway.tls.protocols"), bad.getMessage());
        assertThrows(ConfigException.class, () -> GatewayTls.serverEngine(context, List.of()));
    }

    @Test
    void aWrongPasswordNamesThePasswordKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(keystoreTls(rsa.keystore(), "wrong-password", "PKCS12")));
        assertTrue(e.getMessage().contains("pyfleet.gateway.tls.keystore-password"), e.getMessage());
        assertTrue(e.getMessage().contains("wrong password"), e.getMessage());
    }

    @Test
    void missingFilesNameTheirKeys() {
        Path nowhere = dir.resolve("nowhere.p12");
        ConfigException store = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(keystoreTls(nowhere, PASSWORD, "PKCS12")));
        assertTrue(store.getMessage().contains("pyfleet.gateway.tls.keystore") && store.getMessage().contains(nowhere.toString()),
                store.getMessage());
        ConfigException cert = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(dir.resolve("no.crt"), rsa.privateKey())));
        assertTrue(cert.getMessage().contains("pyfleet.gateway.tls.certificate"), cert.getMessage());
        ConfigException key = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(rsa.certificate(), dir.resolve("no.key"))));
        assertTrue(key.getMessage().contains("pyfleet.gateway.tls.private-key"), key.getMessage());
    }

    @Test
    void unusableFilesAreExplained() throws IOException {
        ConfigException wrongAlgorithm = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(rsa.certificate(), ec.privateKey())));
        assertTrue(wrongAlgorithm.getMessage().contains("pyfleet.gateway.tls.private-key"), wrongAlgorithm.getMessage());

        Path pkcs1 = dir.resolve("pkcs1.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        ConfigException legacy = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(rsa.certificate(), pkcs1)));
        assertTrue(legacy.getMessage().contains("openssl pkcs8 -topk8"), legacy.getMessage());

        ConfigException notACert = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(rsa.privateKey(), rsa.privateKey())));
        assertTrue(notACert.getMessage().contains("pyfleet.gateway.tls.certificate"), notACert.getMessage());

        ConfigException both = assertThrows(ConfigException.class, () -> GatewayTls.serverContext(
                new GatewaySettings.Tls(true, rsa.keystore(), PASSWORD, "PKCS12", rsa.certificate(), rsa.privateKey(),
                        PROTOCOLS)));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());

        ConfigException notAStore = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(keystoreTls(rsa.certificate(), PASSWORD, "PKCS12")));
        assertTrue(notAStore.getMessage().contains("pyfleet.gateway.tls.keystore"), notAStore.getMessage());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        Material second = material(dir, "rsa2", "PKCS12", "-keyalg", "RSA", "-keysize", "2048");
        ConfigException e = assertThrows(ConfigException.class,
                () -> GatewayTls.serverContext(pemTls(rsa.certificate(), second.privateKey())));
        assertTrue(e.getMessage().contains("is not the key of the certificate"), e.getMessage());
    }
}

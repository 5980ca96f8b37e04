package io.pyfleet.node.gateway;

import com.typesafe.config.ConfigException;
import io.pyfleet.node.config.GatewaySettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * The gateway's TLS server side, from {@code pyfleet.gateway.tls}: an {@link SSLContext} holding the node's
 * certificate and key, and the {@link SSLEngine} per connection. It exists so that the two ways an operator
 * hands over a certificate (a PKCS12/JKS keystore, or the PEM files most certificate tools write) end in the
 * same context, using the JDK alone (no BouncyCastle in a library that embeds), and so that a missing file,
 * a wrong password or a key in the wrong format fails the node's start with an error naming the key to fix
 * rather than a handshake failure on the first connection.
 *
 * <p>PEM: {@code certificate} holds the chain, the node's certificate first; {@code private-key} an
 * unencrypted PKCS#8 key ({@code -----BEGIN PRIVATE KEY-----}) of the algorithm of the certificate's public key
 * (RSA or EC; EdDSA and RSASSA-PSS work where the JDK supports them). A PKCS#1/SEC1 or encrypted key is refused
 * with the openssl command that converts it. The key must match the certificate (checked for RSA and EC).
 *
 * <p>The server asks no client certificate: clients authenticate with the token's HMAC inside the session.
 */
public final class GatewayTls {

    private static final String KEY_TLS = "pyfleet.gateway.tls";
    private static final String KEY_KEYSTORE = KEY_TLS + ".keystore";
    private static final String KEY_PASSWORD = KEY_TLS + ".keystore-password";
    private static final String KEY_TYPE = KEY_TLS + ".keystore-type";
    private static final String KEY_CERT = KEY_TLS + ".certificate";
    private static final String KEY_PRIVATE = KEY_TLS + ".private-key";
    private static final String KEY_PROTOCOLS = KEY_TLS + ".protocols";

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private GatewayTls() {
    }

    /**
     * A server-side context from the keystore, or from the PEM certificate chain and private key (giving both
     * forms is refused as ambiguous). It does not look at {@code enabled}: the caller builds one when TLS is on.
     *
     * @throws ConfigException.BadValue naming the key at fault: a file missing or unreadable, a wrong password,
     *                                  no key in the keystore, a malformed or mismatched PEM
     */
    public static SSLContext serverContext(GatewaySettings.Tls tls) {
        boolean pem = tls.certificate() != null || tls.privateKey() != null;
        if (tls.keystore() != null && pem) {
            throw new ConfigException.BadValue(KEY_TLS, "give either keystore or certificate and private-key, not both");
        }
        KeyStore store;
        char[] password;
        if (tls.keystore() != null) {
            password = tls.keystorePassword() == null ? new char[0] : tls.keystorePassword().toCharArray();
            store = loadKeystore(tls.keystore(), tls.keystoreType(), password);
        } else if (tls.certificate() != null && tls.privateKey() != null) {
            List<X509Certificate> chain = readCertificates(tls.certificate());
            PrivateKey key = readPrivateKey(tls.privateKey(), chain.get(0).getPublicKey());
            // an in-memory store only to hand the pair to the KeyManagerFactory; its password protects nothing
            password = "in-memory".toCharArray();
            store = inMemory(key, chain, password);
        } else {
            throw new ConfigException.BadValue(KEY_TLS, "neither a keystore nor a certificate and private-key are given");
        }
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (UnrecoverableKeyException e) {
            throw new ConfigException.BadValue(KEY_PASSWORD, "the key in " + tls.keystore()
                    + " cannot be read with keystore-password (its key password must be the store's): " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new ConfigException.BadValue(KEY_TLS, "cannot build the TLS context: " + e, e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /**
     * A server-mode engine for one connection, offering exactly {@code protocols}.
     *
     * @throws ConfigException.BadValue naming {@code pyfleet.gateway.tls.protocols} when the list is empty or
     *                                  names a protocol this JDK does not support
     */
    public static SSLEngine serverEngine(SSLContext context, List<String> protocols) {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(checkedProtocols(engine.getSupportedProtocols(), protocols));
        return engine;
    }

    private static String[] checkedProtocols(String[] supported, List<String> protocols) {
        if (protocols.isEmpty()) {
            throw new ConfigException.BadValue(KEY_PROTOCOLS, "lists no protocol");
        }
        List<String> known = Arrays.asList(supported);
        for (String p : protocols) {
            if (!known.contains(p)) {
                throw new ConfigException.BadValue(KEY_PROTOCOLS, p + " is not supported here; supported: " + known);
            }
        }
        return protocols.toArray(new String[0]);
    }

    private static KeyStore loadKeystore(Path file, String type, char[] password) {
        byte[] bytes = readFile(file, KEY_KEYSTORE);
        KeyStore store;
        try {
            store = KeyStore.getInstance(type == null || type.isBlank() ? "PKCS12" : type);
        } catch (KeyStoreException e) {
            throw new ConfigException.BadValue(KEY_TYPE, "unknown keystore type " + type + " (PKCS12 or JKS)", e);
        }
        try {
            store.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new ConfigException.BadValue(KEY_PASSWORD, "wrong password for " + file, e);
            }
            throw new ConfigException.BadValue(KEY_KEYSTORE, file + " is not a readable " + type + " keystore: "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new ConfigException.BadValue(KEY_KEYSTORE, file + " is not a readable " + type + " keystore: "
                    + e.getMessage(), e);
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    return store;
                }
            }
        } catch (KeyStoreException e) {
            throw new ConfigException.BadValue(KEY_KEYSTORE, "cannot list " + file + ": " + e.getMessage(), e);
        }
        throw new ConfigException.BadValue(KEY_KEYSTORE, file + " holds no private key entry (only certificates?)");
    }

    private static List<X509Certificate> readCertificates(Path file) {
        String text = new String(readFile(file, KEY_CERT), StandardCharsets.US_ASCII);
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new ConfigException.BadValue(KEY_CERT, file + " holds a malformed certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new ConfigException.BadValue(KEY_CERT, file + " holds no -----BEGIN CERTIFICATE----- block");
        }
        return chain;
    }

    private static PrivateKey readPrivateKey(Path file, PublicKey certificateKey) {
        String text = new String(readFile(file, KEY_PRIVATE), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        byte[] der = null;
        while (m.find()) {
            String label = m.group(1);
            switch (label) {
                case "PRIVATE KEY" -> der = base64(m.group(2), file);
                case "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" -> throw new ConfigException.BadValue(
                        KEY_PRIVATE, file + " holds a " + label + "; an unencrypted PKCS#8 key is needed: "
                        + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pkcs8.pem");
                default -> {
                    // other blocks (parameters, a certificate kept alongside) are not the key
                }
            }
            if (der != null) {
                break;
            }
        }
        if (der == null) {
            throw new ConfigException.BadValue(KEY_PRIVATE, file + " holds no -----BEGIN PRIVATE KEY----- block");
        }
        String algorithm = certificateKey.getAlgorithm();
        PrivateKey key;
        try {
            key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new ConfigException.BadValue(KEY_PRIVATE, file + " is not a PKCS#8 " + algorithm
                    + " key (the certificate's algorithm): " + e.getMessage(), e);
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        checkPair(key, certificateKey, file);
        return key;
    }

    /** A key that does not match the certificate would fail every handshake; say so at start instead. */
    private static void checkPair(PrivateKey key, PublicKey publicKey, Path file) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException.BadValue(KEY_PRIVATE, file + " cannot sign with the certificate's algorithm: "
                    + e.getMessage(), e);
        }
        throw new ConfigException.BadValue(KEY_PRIVATE, file + " is not the key of the certificate in " + KEY_CERT);
    }

    private static byte[] base64(String body, Path file) {
        try {
            return Base64.getMimeDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(KEY_PRIVATE, file + ": the PRIVATE KEY block is not base64 ("
                    + e.getMessage() + ")", e);
        }
    }

    private static KeyStore inMemory(PrivateKey key, List<X509Certificate> chain, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("gateway", key, password, chain.toArray(new Certificate[0]));
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException.BadValue(KEY_TLS, "cannot hold the certificate and key: " + e.getMessage(), e);
        }
    }

    private static byte[] readFile(Path file, String key) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException.BadValue(key, "no such file: " + file, e);
        } catch (AccessDeniedException e) {
            throw new ConfigException.BadValue(key, "cannot read " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new ConfigException.BadValue(key, "cannot read " + file + ": " + e, e);
        }
    }
}

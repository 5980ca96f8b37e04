package io.pyfleet.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a thin client reaches a node's gateway: where, with which token, over plain TCP or
 * TLS, and how it keeps the connection alive. One validated, immutable value, built with
 * {@link #builder()} and passed to {@link Fleet#connect(ClientOptions)}:
 *
 * <pre>{@code
 * Fleet fleet = Fleet.connect(ClientOptions.builder()
 *         .address("10.0.0.5:7450", "10.0.0.6:7450")   // tried in order
 *         .tokenFile(Path.of("gateway.token"))
 *         .trustPem(Path.of("ca.pem"))                 // TLS; without it plain TCP
 *         .build());
 * }</pre>
 */
public final class ClientOptions {
    private final List<String> addresses;
    private final String token;
    private final String clientName;
    private final Duration connectTimeout;
    private final Duration heartbeatInterval;
    private final Duration idleTimeout;
    private final Duration reconnectInitial;
    private final Duration reconnectMax;
    private final SSLContext sslContext;
    private final boolean verifyHostname;

    /** The environment variable {@link #fromEnvironment()} reads the token from. */
    public static final String TOKEN_VARIABLE = "PYFLEET_TOKEN";

    /** Validates every field; the address list is copied. */
    private ClientOptions(List<String> addresses, String token, String clientName, Duration connectTimeout,
            Duration heartbeatInterval, Duration idleTimeout, Duration reconnectInitial, Duration reconnectMax,
            SSLContext sslContext, boolean verifyHostname) {
        Objects.requireNonNull(addresses, "addresses");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("at least one gateway address (host:port) is required");
        }
        addresses = List.copyOf(addresses);
        addresses.forEach(ClientOptions::parseAddress);
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("a gateway token is required");
        }
        clientName = clientName == null || clientName.isBlank() ? defaultClientName() : clientName;
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(heartbeatInterval, "heartbeatInterval");
        requirePositive(idleTimeout, "idleTimeout");
        requirePositive(reconnectInitial, "reconnectInitial");
        requirePositive(reconnectMax, "reconnectMax");
        if (reconnectMax.compareTo(reconnectInitial) < 0) {
            throw new IllegalArgumentException("reconnectMax " + reconnectMax + " is below reconnectInitial "
                    + reconnectInitial);
        }
        this.addresses = addresses;
        this.token = token;
        this.clientName = clientName;
        this.connectTimeout = connectTimeout;
        this.heartbeatInterval = heartbeatInterval;
        this.idleTimeout = idleTimeout;
        this.reconnectInitial = reconnectInitial;
        this.reconnectMax = reconnectMax;
        this.sslContext = sslContext;
        this.verifyHostname = verifyHostname;
    }

    /**
     * A builder with the defaults: no address or token yet (both required), a connect timeout of 5 s, a
     * heartbeat every 5 s, an idle timeout of 30 s, reconnect back-off from 100 ms to 5 s, plain TCP.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder whose token is the {@value #TOKEN_VARIABLE} environment variable.
     *
     * @return a new builder holding the token
     * @throws IllegalStateException when the variable is unset or empty
     */
    public static Builder fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static Builder fromEnvironment(Map<String, String> environment) {
        String token = environment.get(TOKEN_VARIABLE);
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("the environment variable " + TOKEN_VARIABLE + " is not set");
        }
        return builder().token(token.trim());
    }

    /**
     * Reads a token file: the raw token, or a line {@code PYFLEET_TOKEN=...} (as an env file
     * holds it), surrounding white space trimmed.
     *
     * @param file the token file, such as the {@code ~/.pyfleet/gateway-<port>.token} a node writes
     * @return the token
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it holds no token
     */
    public static String readTokenFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file, e);
        }
        String token = null;
        for (String line : text.split("\\R")) {
            String l = line.trim();
            if (l.startsWith(TOKEN_VARIABLE + "=")) {
                token = unquote(l.substring(TOKEN_VARIABLE.length() + 1).trim());
                break;
            }
        }
        if (token == null) {
            token = text.trim();
        }
        if (token.isEmpty()) {
            throw new IllegalArgumentException("the token file " + file + " holds no token");
        }
        return token;
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port} into an unresolved address.
     *
     * @param address the address as text
     * @return it, unresolved
     * @throws IllegalArgumentException when it is not of that form
     */
    public static InetSocketAddress parseAddress(String address) {
        Objects.requireNonNull(address, "address");
        String a = address.trim();
        int colon = a.lastIndexOf(':');
        if (colon <= 0 || colon == a.length() - 1) {
            throw new IllegalArgumentException("a gateway address is host:port, not '" + address + "'");
        }
        String host = a.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("write an IPv6 gateway address as [host]:port, not '" + address + "'");
        }
        int port;
        try {
            port = Integer.parseInt(a.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in gateway address '" + address + "'", e);
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad gateway address '" + address + "'");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * An SSLContext that trusts the certificates (a CA, or the node's own) in a PEM file.
     *
     * @param caCertPem the PEM file
     * @return a TLS context trusting them alone
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it holds no usable certificate
     */
    public static SSLContext trustingPem(Path caCertPem) {
        try (InputStream in = Files.newInputStream(caCertPem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + caCertPem);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                store.setCertificateEntry("pyfleet-trusted-" + i++, c);
            }
            return contextTrusting(store);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + caCertPem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use " + caCertPem + " as trusted certificates: " + e, e);
        }
    }

    /**
     * An SSLContext that trusts the certificates of a key store file.
     *
     * @param store    the key store file
     * @param password its password, or null
     * @param type     its type ({@code PKCS12}, {@code JKS}); null: the JVM's default
     * @return a TLS context trusting them alone
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it is not a key store of that type or the password is wrong
     */
    public static SSLContext trustingStore(Path store, char[] password, String type) {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keyStore = KeyStore.getInstance(type == null ? KeyStore.getDefaultType() : type);
            keyStore.load(in, password);
            return contextTrusting(keyStore);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the trust store " + store, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use " + store + " as a trust store: " + e, e);
        }
    }

    private static SSLContext contextTrusting(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + d);
        }
    }

    private static String defaultClientName() {
        return "pyfleet-java/" + ManagementFactory.getRuntimeMXBean().getName();
    }

    /**
     * The options without the token.
     *
     * @return the options as text; never the token
     */
    @Override
    public String toString() {
        return "ClientOptions[addresses=" + addresses + ", clientName=" + clientName + ", connectTimeout="
                + connectTimeout + ", heartbeatInterval=" + heartbeatInterval + ", idleTimeout=" + idleTimeout
                + ", reconnect=" + reconnectInitial + ".." + reconnectMax + ", tls=" + (sslContext != null)
                + ", verifyHostname=" + verifyHostname + "]";
    }

    /** Builds {@link ClientOptions}; see {@link ClientOptions#builder()} for the defaults. */
    public static final class Builder {
        private final List<String> addresses = new ArrayList<>();
        private String token;
        private String clientName;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration heartbeatInterval = Duration.ofSeconds(5);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration reconnectInitial = Duration.ofMillis(100);
        private Duration reconnectMax = Duration.ofSeconds(5);
        private SSLContext sslContext;
        private boolean verifyHostname = true;

        private Builder() {
        }

        /**
         * Adds gateway addresses, tried in the order added: the next one when a node cannot be reached.
         *
         * @param hostPorts {@code host:port} each (IPv6 as {@code [::1]:port})
         * @return this builder
         */
        public Builder address(String... hostPorts) {
            addresses.addAll(List.of(hostPorts));
            return this;
        }

        /**
         * {@link #address(String...)} from a list.
         *
         * @param hostPorts {@code host:port} each
         * @return this builder
         */
        public Builder addresses(List<String> hostPorts) {
            addresses.addAll(hostPorts);
            return this;
        }

        /**
         * The gateway token: the node's shared secret. It never crosses the wire (the handshake proves it with
         * HMACs); {@code toString()} never shows it.
         *
         * @param value the token
         * @return this builder
         */
        public Builder token(String value) {
            this.token = value;
            return this;
        }

        /**
         * The token read from a file by {@link ClientOptions#readTokenFile(Path)}.
         *
         * @param file the token file
         * @return this builder
         * @throws UncheckedIOException when the file cannot be read
         * @throws IllegalArgumentException when it holds no token
         */
        public Builder tokenFile(Path file) {
            this.token = readTokenFile(file);
            return this;
        }

        /**
         * A free-form name the node logs for this client; default {@code pyfleet-java/<pid>@<host>}.
         *
         * @param value the name
         * @return this builder
         */
        public Builder clientName(String value) {
            this.clientName = value;
            return this;
        }

        /**
         * How long one TCP connect may take and, separately, the handshake on it (default 5 s).
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /**
         * A ping is sent after this long without sending (default 5 s); the node's welcome overrides it.
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder heartbeatInterval(Duration value) {
            this.heartbeatInterval = value;
            return this;
        }

        /**
         * A connection on which nothing arrived for this long is closed as dead (default 30 s).
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /**
         * Back-off between failed rounds of connect attempts: starts at {@code initial}, doubles up to {@code max}
         * (default 100 ms to 5 s).
         *
         * @param initial the first wait, positive
         * @param max     the longest wait, at least {@code initial}
         * @return this builder
         */
        public Builder reconnectBackoff(Duration initial, Duration max) {
            this.reconnectInitial = initial;
            this.reconnectMax = max;
            return this;
        }

        /**
         * TLS with this context.
         *
         * @param value the context; null: plain TCP (the default)
         * @return this builder
         */
        public Builder sslContext(SSLContext value) {
            this.sslContext = value;
            return this;
        }

        /**
         * TLS trusting the certificates in a PEM file (the CA that signed the node's certificate, or it).
         *
         * @param caCertPem the PEM file
         * @return this builder
         * @throws UncheckedIOException when the file cannot be read
         * @throws IllegalArgumentException when it holds no usable certificate
         */
        public Builder trustPem(Path caCertPem) {
            return sslContext(trustingPem(caCertPem));
        }

        /**
         * TLS trusting the certificates of a key store file.
         *
         * @param store    the key store file
         * @param password its password, or null
         * @param type     its type ({@code PKCS12}, {@code JKS}); null: the JVM's default
         * @return this builder
         * @throws UncheckedIOException when the file cannot be read
         * @throws IllegalArgumentException when it is not a usable key store
         */
        public Builder trustStore(Path store, char[] password, String type) {
            return sslContext(trustingStore(store, password, type));
        }

        /**
         * With TLS, whether the node's certificate must name the host connected to (default true).
         *
         * @param value false to accept a certificate for any host name (the chain is still checked)
         * @return this builder
         */
        public Builder verifyHostname(boolean value) {
            this.verifyHostname = value;
            return this;
        }

        /**
         * The options, validated.
         *
         * @return the options
         * @throws IllegalArgumentException naming the first setting that is missing or out of range (no address,
         *                                  no token, a bad address, a duration not positive...)
         */
        public ClientOptions build() {
            return new ClientOptions(addresses, token, clientName, connectTimeout, heartbeatInterval, idleTimeout,
                    reconnectInitial, reconnectMax, sslContext, verifyHostname);
        }
    }

    /**
     * The gateway addresses, tried in order.
     *
     * @return {@code host:port} each (IPv6 as {@code [::1]:port})
     */
    public List<String> addresses() {
        return addresses;
    }

    /**
     * The gateway token.
     *
     * @return the shared secret; it never crosses the wire
     */
    public String token() {
        return token;
    }

    /**
     * The name the node logs for this client.
     *
     * @return the name, {@code pyfleet-java/<pid>@<host>} unless set
     */
    public String clientName() {
        return clientName;
    }

    /**
     * How long one TCP connect may take, and separately the handshake on it.
     *
     * @return the connect timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * After how long without sending a ping is sent (the node's welcome overrides it).
     *
     * @return the heartbeat interval
     */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /**
     * After how long without anything arriving a connection is closed as dead.
     *
     * @return the idle timeout
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * The wait after a first failed round of connect attempts; it doubles per failure.
     *
     * @return the first back-off
     */
    public Duration reconnectInitial() {
        return reconnectInitial;
    }

    /**
     * The longest wait between rounds of connect attempts.
     *
     * @return the longest back-off
     */
    public Duration reconnectMax() {
        return reconnectMax;
    }

    /**
     * The TLS context.
     *
     * @return the context, or null for plain TCP
     */
    public SSLContext sslContext() {
        return sslContext;
    }

    /**
     * With TLS, whether the node's certificate must name the host connected to.
     *
     * @return true unless turned off
     */
    public boolean verifyHostname() {
        return verifyHostname;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClientOptions o
                && java.util.Objects.equals(addresses, o.addresses)
                && java.util.Objects.equals(token, o.token)
                && java.util.Objects.equals(clientName, o.clientName)
                && java.util.Objects.equals(connectTimeout, o.connectTimeout)
                && java.util.Objects.equals(heartbeatInterval, o.heartbeatInterval)
                && java.util.Objects.equals(idleTimeout, o.idleTimeout)
                && java.util.Objects.equals(reconnectInitial, o.reconnectInitial)
                && java.util.Objects.equals(reconnectMax, o.reconnectMax)
                && java.util.Objects.equals(sslContext, o.sslContext)
                && verifyHostname == o.verifyHostname;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(addresses, token, clientName, connectTimeout, heartbeatInterval, idleTimeout,
                reconnectInitial, reconnectMax, sslContext, verifyHostname);
    }
}

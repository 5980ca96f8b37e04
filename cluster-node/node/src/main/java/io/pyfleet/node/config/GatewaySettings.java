package io.pyfleet.node.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code pyfleet.gateway} section as an immutable record; every key is documented in
 * conf/application.conf.
 *
 * @param token     the configured token, or empty (then PYFLEET_TOKEN, the token file, or a new one)
 * @param tokenFile where the token is read from or written to; null for the default place
 * @param arrayByValueMax a client's worker calls return larger arrays as references the node keeps
 * @param arrayReadMax    the most bytes one {@code array_read} answers
 * @param arrayUploadMax  bytes of arrays one connection may have uploaded and not released (partial ones too)
 * @param handshake       how connections that have not authenticated yet are bounded
 * @param maxConnectionBytes bytes of requests one connection may have read and not ended; past it it is not read
 * @param maxNodeBytes    bytes of requests and answers all connections together may hold; a request past it is
 *                        refused, not run
 */
public record GatewaySettings(String bind, int port, String token, Path tokenFile, List<String> allow,
        Duration handshakeTimeout, Duration heartbeatInterval, Duration idleTimeout, int maxFrameSize, int maxInFlight,
        long maxBuffered, int maxConnections, Duration shutdownGrace, Tls tls, long arrayByValueMax, int arrayReadMax,
        long arrayUploadMax, long maxConnectionBytes, long maxNodeBytes, Handshake handshake) {

    public GatewaySettings {
        allow = List.copyOf(allow);
    }

    /**
     * Connections that have not authenticated yet (conf/application.conf explains each bound).
     *
     * @param slots                 pending connections node-wide, apart from {@code max-connections}
     * @param slotsPerAddress       pending connections one address (an IPv6 /64) may hold
     * @param failuresBeforeSlowing failed handshakes in a row after which an address's new connections are refused
     *                              for a while
     * @param failureInterval       how long failures are remembered, and the least time between two log lines
     *                              about one address
     * @param slowingMax            the longest an address's new connections are refused for
     * @param slowedHeldMax         refused connections of slowed addresses held open node-wide
     */
    public record Handshake(int slots, int slotsPerAddress, int failuresBeforeSlowing, Duration failureInterval,
            Duration slowingMax, int slowedHeldMax) {

        /** The defaults of conf/application.conf, for settings built in code. */
        public static final Handshake DEFAULTS = new Handshake(512, 256, 10, Duration.ofSeconds(10),
                Duration.ofSeconds(5), 4096);

        static Handshake from(Config g) {
            return new Handshake(atLeastOne(g, "handshake-slots"), atLeastOne(g, "handshake-slots-per-address"),
                    atLeastOne(g, "handshake-failures-before-slowing"), positive(g, "handshake-failure-interval"),
                    positive(g, "handshake-slowing-max"), nonNegative(g, "handshake-slowed-held-max"));
        }
    }

    /**
     * TLS of the gateway: a keystore, or a PEM certificate chain and key.
     *
     * @param keystore    a PKCS12/JKS file, or null
     * @param certificate a PEM certificate chain, or null
     * @param privateKey  a PKCS#8 PEM private key, or null
     */
    public record Tls(boolean enabled, Path keystore, String keystorePassword, String keystoreType, Path certificate,
            Path privateKey, List<String> protocols) {
        public Tls {
            protocols = List.copyOf(protocols);
        }
    }

    public static GatewaySettings from(Config root) {
        Config g = root.getConfig("pyfleet.gateway");
        int port = g.getInt("port");
        if (port < 0 || port > 65535) {
            throw new ConfigException.BadValue("pyfleet.gateway.port", "must be 0..65535");
        }
        long maxFrame = g.getBytes("max-frame-size");
        if (maxFrame < 1024 || maxFrame > Integer.MAX_VALUE - 16) {
            throw new ConfigException.BadValue("pyfleet.gateway.max-frame-size", "must be between 1 KiB and 2 GiB");
        }
        Config t = g.getConfig("tls");
        Tls tls = new Tls(t.getBoolean("enabled"), path(t, "keystore"), t.getString("keystore-password"),
                t.getString("keystore-type"), path(t, "certificate"), path(t, "private-key"),
                t.getStringList("protocols"));
        if (tls.enabled() && tls.keystore() == null && (tls.certificate() == null || tls.privateKey() == null)) {
            throw new ConfigException.BadValue("pyfleet.gateway.tls",
                    "TLS is enabled but neither a keystore nor a certificate and private-key are given");
        }
        return new GatewaySettings(g.getString("bind"), port, g.getString("token"), path(g, "token-file"),
                g.getStringList("allow"), positive(g, "handshake-timeout"), positive(g, "heartbeat-interval"),
                positive(g, "idle-timeout"), (int) maxFrame, atLeastOne(g, "max-in-flight"),
                Math.max(64 * 1024, g.getBytes("max-buffered")), atLeastOne(g, "max-connections"),
                g.getDuration("shutdown-grace"), tls, g.getBytes("array-by-value-max"), arrayReadMax(g, maxFrame),
                arrayUploadMax(g), bytesAtLeast(g, "max-connection-bytes", 64 << 20, 1 << 20),
                nodeBytes(g), Handshake.from(g));
    }

    /** A chunk and its frame's head must fit a frame. */
    private static int arrayReadMax(Config g, long maxFrame) {
        long n = g.getBytes("array-read-max");
        if (n < 1024 || n > maxFrame - 1024) {
            throw new ConfigException.BadValue("pyfleet.gateway.array-read-max",
                    "must be at least 1 KiB and 1 KiB under max-frame-size");
        }
        return (int) n;
    }

    /** Absent from an older configuration: 2 GiB. */
    private static long arrayUploadMax(Config g) {
        if (!g.hasPath("array-upload-max")) {
            return 2L << 30;
        }
        long n = g.getBytes("array-upload-max");
        if (n < 0) {
            throw new ConfigException.BadValue("pyfleet.gateway.array-upload-max", "must be 0 (no uploads) or more bytes");
        }
        return n;
    }

    /** A byte size of at least {@code min}; absent from an older configuration: {@code absent}. */
    private static long bytesAtLeast(Config g, String key, long absent, long min) {
        if (!g.hasPath(key)) {
            return absent;
        }
        long n = g.getBytes(key);
        if (n < min) {
            throw new ConfigException.BadValue("pyfleet.gateway." + key, "must be at least " + min + " bytes");
        }
        return n;
    }

    /** {@code max-node-bytes}: a size, or a percentage of this JVM's maximum heap ("25%", the default). */
    static long nodeBytes(Config g) {
        String key = "max-node-bytes";
        String value = g.hasPath(key) ? g.getString(key).trim() : "25%";
        if (value.endsWith("%")) {
            double percent;
            try {
                percent = Double.parseDouble(value.substring(0, value.length() - 1).trim());
            } catch (NumberFormatException e) {
                percent = -1;
            }
            if (percent <= 0 || percent > 90) {
                throw new ConfigException.BadValue("pyfleet.gateway." + key,
                        "a percentage of the heap must be over 0% and at most 90%, got " + value);
            }
            return Math.max(16L << 20, (long) (Runtime.getRuntime().maxMemory() * percent / 100));
        }
        return bytesAtLeast(g, key, 0, 16L << 20);
    }

    /** Without the secrets: a record's own toString would print the token into any log. */
    @Override
    public String toString() {
        return "GatewaySettings[" + bind + ":" + port + ", token " + (token.isEmpty() ? "not set" : "set")
                + ", tokenFile " + tokenFile + ", allow " + allow + ", maxFrameSize " + maxFrameSize + ", maxInFlight "
                + maxInFlight + ", maxBuffered " + maxBuffered + ", maxConnections " + maxConnections + ", " + handshake
                + ", tls " + (tls.enabled() ? "on" : "off") + ", maxConnectionBytes " + maxConnectionBytes
                + ", maxNodeBytes " + maxNodeBytes + "]";
    }

    /** The same settings on another address and port (the command line's options). */
    public GatewaySettings withAddress(String newBind, int newPort) {
        return new GatewaySettings(newBind, newPort, token, tokenFile, allow, handshakeTimeout, heartbeatInterval,
                idleTimeout, maxFrameSize, maxInFlight, maxBuffered, maxConnections, shutdownGrace, tls, arrayByValueMax,
                arrayReadMax, arrayUploadMax, maxConnectionBytes, maxNodeBytes, handshake);
    }

    /** A path key; blank: null. */
    static Path path(Config c, String key) {
        String value = c.getString(key);
        return value.isBlank() ? null : Path.of(value);
    }

    /** A duration key that must be positive. */
    static Duration positive(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isNegative() || d.isZero()) {
            throw new ConfigException.BadValue(key, "must be positive");
        }
        return d;
    }

    private static int nonNegative(Config c, String key) {
        int value = c.getInt(key);
        if (value < 0) {
            throw new ConfigException.BadValue(key, "must be 0 or more");
        }
        return value;
    }

    private static int atLeastOne(Config c, String key) {
        int value = c.getInt(key);
        if (value < 1) {
            throw new ConfigException.BadValue(key, "must be at least 1");
        }
        return value;
    }
}

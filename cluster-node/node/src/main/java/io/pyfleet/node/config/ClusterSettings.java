package io.pyfleet.node.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code pyfleet.cluster} section as an immutable record; every key is documented in
 * conf/application.conf.
 *
 * @param host  the Artery host, or empty for the gateway's bind address
 * @param seeds Artery endpoints {@code HOST:PORT} of the seed nodes
 */
public record ClusterSettings(boolean enabled, String host, int port, List<String> seeds, List<String> roles,
        String secret, String downingStrategy, Duration stableAfter, Duration failureDetectorPause,
        Duration describeInterval, Duration answerMargin, int maxMessageSize, Tls tls) {

    public ClusterSettings {
        seeds = List.copyOf(seeds);
        roles = List.copyOf(roles);
        for (String seed : seeds) {
            endpoint(seed);
        }
    }

    /** Artery over TLS with mutual authentication. */
    public record Tls(boolean enabled, Path keystore, String keystorePassword, Path truststore,
            String truststorePassword, String protocol) {
    }

    public static ClusterSettings from(Config root) {
        Config c = root.getConfig("pyfleet.cluster");
        int port = c.getInt("port");
        if (port < 0 || port > 65535) {
            throw new ConfigException.BadValue("pyfleet.cluster.port", "must be 0..65535");
        }
        Config t = c.getConfig("tls");
        Tls tls = new Tls(t.getBoolean("enabled"), GatewaySettings.path(t, "keystore"), t.getString("keystore-password"),
                GatewaySettings.path(t, "truststore"), t.getString("truststore-password"), t.getString("protocol"));
        if (tls.enabled() && tls.keystore() == null) {
            throw new ConfigException.BadValue("pyfleet.cluster.tls.keystore", "TLS is enabled but no keystore is given");
        }
        Config sbr = c.getConfig("split-brain-resolver");
        long maxMessage = c.getBytes("max-message-size");
        if (maxMessage < 64 * 1024 || maxMessage > 64L * 1024 * 1024) {
            throw new ConfigException.BadValue("pyfleet.cluster.max-message-size", "must be between 64 KiB and 64 MiB");
        }
        return new ClusterSettings(c.getBoolean("enabled"), c.getString("host"), port, c.getStringList("seeds"),
                c.getStringList("roles"), c.getString("secret"), sbr.getString("active-strategy"),
                GatewaySettings.positive(sbr, "stable-after"), GatewaySettings.positive(c, "failure-detector-pause"),
                GatewaySettings.positive(c, "describe-interval"),
                GatewaySettings.positive(c, "answer-margin"), (int) maxMessage, tls);
    }

    /** The same settings with the command line's choices; null or empty keeps a value. */
    public ClusterSettings with(String newHost, Integer newPort, List<String> newSeeds, List<String> newRoles) {
        boolean on = enabled || newPort != null || (newSeeds != null && !newSeeds.isEmpty());
        List<String> s = newSeeds == null || newSeeds.isEmpty() ? seeds : new ArrayList<>(newSeeds);
        List<String> r = newRoles == null || newRoles.isEmpty() ? roles : new ArrayList<>(newRoles);
        return new ClusterSettings(on, newHost == null ? host : newHost, newPort == null ? port : newPort, s, r, secret,
                downingStrategy, stableAfter, failureDetectorPause, describeInterval, answerMargin, maxMessageSize, tls);
    }

    /** {@code HOST:PORT} split, checked. */
    public static String[] endpoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 1 || colon == hostPort.length() - 1) {
            throw new ConfigException.BadValue("pyfleet.cluster.seeds", "a seed is HOST:PORT, not '" + hostPort + "'");
        }
        try {
            int p = Integer.parseInt(hostPort.substring(colon + 1));
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new ConfigException.BadValue("pyfleet.cluster.seeds", "bad port in seed '" + hostPort + "'");
        }
        return new String[] {hostPort.substring(0, colon), hostPort.substring(colon + 1)};
    }

    /** Without the secrets. */
    @Override
    public String toString() {
        return "ClusterSettings[" + (enabled ? "on" : "off") + ", " + host + ":" + port + ", seeds " + seeds + ", roles "
                + roles + ", " + downingStrategy + " after " + stableAfter + ", tls " + (tls.enabled() ? "on" : "off") + "]";
    }
}

package io.pyfleet.node.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.node.config.ClusterSettings;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Pekko configuration of a cluster node, made from {@code pyfleet.cluster}: the cluster
 * provider, Artery's endpoint (TLS with mutual authentication when configured), seeds, roles,
 * the Split Brain Resolver and the secret's join check. Laid over the node's configuration.
 */
public final class ClusterConfig {
    /** The actor system's name: part of every node's address, the same on every node. */
    public static final String SYSTEM = "pyfleet";

    private ClusterConfig() {
    }

    /**
     * @param host   the Artery host (the gateway's bind address when the settings name none)
     * @param secret the cluster secret (the settings' own, else the gateway token)
     */
    public static Config overlay(ClusterSettings s, String host, String secret, Config base) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("a cluster node needs a secret (pyfleet.cluster.secret or the token)");
        }
        Map<String, Object> m = new HashMap<>();
        m.put("pekko.actor.provider", "cluster");
        m.put("pekko.remote.artery.canonical.hostname", host);
        m.put("pekko.remote.artery.canonical.port", s.port());
        List<String> seeds = new ArrayList<>();
        for (String seed : s.seeds()) {
            String[] hp = ClusterSettings.endpoint(seed);
            seeds.add("pekko://" + SYSTEM + "@" + hp[0] + ":" + hp[1]);
        }
        m.put("pekko.cluster.seed-nodes", seeds);
        m.put("pekko.cluster.roles", s.roles());
        m.put("pekko.cluster.downing-provider-class", "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
        m.put("pekko.cluster.split-brain-resolver.active-strategy", s.downingStrategy());
        m.put("pekko.cluster.split-brain-resolver.stable-after", s.stableAfter().toMillis() + "ms");
        m.put("pekko.cluster.failure-detector.acceptable-heartbeat-pause", s.failureDetectorPause().toMillis() + "ms");
        m.put("pekko.cluster.jmx.enabled", false);
        // calls and answers ride their own lane, sized for them, so that heartbeats never wait behind them
        m.put("pekko.remote.artery.large-message-destinations", List.of("/system/pyfleet-agent"));
        m.put("pekko.remote.artery.advanced.maximum-large-frame-size", s.maxMessageSize() + 64 * 1024);
        m.put("pekko.remote.artery.advanced.large-buffer-pool-size", 16);
        m.put("pekko.cluster.log-info-verbose", false);
        m.put("pekko.cluster.configuration-compatibility-check.enforce-on-join", true);
        m.put("pekko.cluster.configuration-compatibility-check.checkers.pyfleet", SecretCheck.class.getName());
        m.put(SecretCheck.KEY, digest(secret));
        if (s.tls().enabled()) {
            ClusterSettings.Tls t = s.tls();
            String p = "pekko.remote.artery.ssl.config-ssl-engine.";
            m.put("pekko.remote.artery.transport", "tls-tcp");
            m.put(p + "key-store", t.keystore().toAbsolutePath().toString());
            m.put(p + "key-store-password", t.keystorePassword());
            m.put(p + "key-password", t.keystorePassword());
            m.put(p + "trust-store", (t.truststore() == null ? t.keystore() : t.truststore()).toAbsolutePath().toString());
            m.put(p + "trust-store-password", t.truststore() == null ? t.keystorePassword() : t.truststorePassword());
            m.put(p + "protocol", t.protocol());
            m.put(p + "enabled-algorithms", List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
            m.put(p + "require-mutual-authentication", true);
            m.put(p + "hostname-verification", false);
        } else {
            m.put("pekko.remote.artery.transport", "tcp");
        }
        return ConfigFactory.parseMap(m).withFallback(base);
    }

    /** An HMAC of a fixed label under the secret: it shows the secret is shared without showing it. */
    static String digest(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal("pyfleet cluster join v1".getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}

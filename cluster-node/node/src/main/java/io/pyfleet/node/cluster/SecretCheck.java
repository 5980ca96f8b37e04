package io.pyfleet.node.cluster;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pekko's join compatibility check, given the cluster secret: a joining node and the cluster
 * compare a digest of it (both ways: the cluster refuses the node, and the node refuses the
 * cluster and stops), so a node without the secret cannot join and a node with it joins no
 * other cluster. Pekko instantiates it by name (conf: configuration-compatibility-check).
 */
public final class SecretCheck extends JoinConfigCompatChecker {
    static final String KEY = "pyfleet.cluster.secret-digest";

    @Override
    public Seq<String> requiredKeys() {
        return CollectionConverters.asScala(List.of(KEY)).toList();
    }

    @Override
    public ConfigValidation check(Config toCheck, Config actualConfig) {
        if (!toCheck.hasPath(KEY) || !actualConfig.hasPath(KEY)) {
            return invalid("the other side is not a pyfleet node with a cluster secret");
        }
        // digests of a secret, compared in constant time
        boolean same = java.security.MessageDigest.isEqual(
                toCheck.getString(KEY).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                actualConfig.getString(KEY).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return same ? Valid$.MODULE$
                : invalid("pyfleet cluster secrets differ: a node joins only a cluster whose secret (token) it holds");
    }

    private static ConfigValidation invalid(String why) {
        return new Invalid(CollectionConverters.asScala(List.of(why)).toList());
    }
}

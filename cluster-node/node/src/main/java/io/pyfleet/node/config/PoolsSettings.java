package io.pyfleet.node.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * The {@code pyfleet.pools} section: named Python pools started at run time next to the
 * node's default pool (conf/application.conf documents each key).
 *
 * @param maxPools how many named pools one node may run at once
 */
public record PoolsSettings(int maxPools) {

    public static PoolsSettings from(Config root) {
        String key = "pyfleet.pools.max-pools";
        int max = root.hasPath(key) ? root.getInt(key) : 16;
        if (max < 0) {
            throw new ConfigException.BadValue(key, "must be 0 (no named pools) or more");
        }
        return new PoolsSettings(max);
    }
}

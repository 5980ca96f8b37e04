package io.pyfleet.node.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;

/**
 * The {@code pyfleet.arrays} section: NumPy arrays in shared memory on the node's host
 * (documented in conf/application.conf).
 *
 * @param byValueMax arrays a worker returns of at most this many bytes travel by value through
 *                   the pipe; larger ones stay in shared memory and come back as {@code PyArray}s
 * @param dir        where the node creates its shared memory files (unlinked at once): a tmpfs
 * @param poolMax    bytes of released arrays the node keeps mapped to reuse for new ones
 */
public record ArraySettings(long byValueMax, Path dir, long poolMax) {
    /** 1 MiB by value, /dev/shm, a 256 MiB pool: what the section holds when a configuration lacks it. */
    public static final ArraySettings DEFAULT = new ArraySettings(1L << 20, Path.of("/dev/shm"), 256L << 20);

    public static ArraySettings from(Config root) {
        if (!root.hasPath("pyfleet.arrays")) {
            return DEFAULT;
        }
        Config a = root.getConfig("pyfleet.arrays");
        long max = a.getBytes("by-value-max");
        if (max < 0) {
            throw new ConfigException.BadValue("pyfleet.arrays.by-value-max", "must be 0 or more bytes");
        }
        String dir = a.getString("dir");
        if (dir.isBlank()) {
            throw new ConfigException.BadValue("pyfleet.arrays.dir", "must name a directory (a tmpfs such as /dev/shm)");
        }
        long pool = a.getBytes("pool-max");
        if (pool < 0) {
            throw new ConfigException.BadValue("pyfleet.arrays.pool-max", "must be 0 (no pool) or more bytes");
        }
        return new ArraySettings(max, Path.of(dir), pool);
    }
}

package io.pyfleet.client;

import java.util.Objects;

/**
 * One Python pool of a node, as {@link Fleet#pools(String)} lists it.
 *
 * @param name    the pool's name; {@value PoolSpec#DEFAULT_POOL} for the node's default pool
 * @param node    the node that runs it
 * @param workers how many workers it is set to run
 * @param ready   how many of them serve now
 * @param python  its interpreter
 */
public record PoolInfo(String name, String node, int workers, int ready, String python) {
    /**
     * Checks that the names are present.
     *
     * @param name    the pool's name
     * @param node    the node that runs it
     * @param workers how many workers it is set to run
     * @param ready   how many of them serve now
     * @param python  its interpreter
     */
    public PoolInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(python, "python");
    }
}

package io.pyfleet.client;

import java.time.Duration;
import java.util.List;

/**
 * One node of the cluster as the node a client is connected to sees it.
 *
 * @param name        the node's name ({@code pyfleet.node-name})
 * @param self        the node the client is connected to
 * @param reachable   false while the cluster's failure detector cannot reach it
 * @param gateway     its client gateway {@code HOST:PORT}, or empty when unknown
 * @param roles       its cluster roles
 * @param workers     how many workers its default pool is set to run
 * @param freeWorkers workers of its default pool with nothing in flight, when last asked
 * @param pools       its Python pools ("default" first)
 * @param uptime      how long it has run
 */
public record NodeStatus(String name, boolean self, boolean reachable, String gateway, List<String> roles, int workers,
        int freeWorkers, List<String> pools, Duration uptime) {
    /**
     * Copies the lists.
     *
     * @param name        the node's name
     * @param self        the node the client is connected to
     * @param reachable   false while the cluster's failure detector cannot reach it
     * @param gateway     its client gateway {@code HOST:PORT}, or empty
     * @param roles       its cluster roles
     * @param workers     its default pool's size
     * @param freeWorkers workers of its default pool with nothing in flight
     * @param pools       its Python pools
     * @param uptime      how long it has run
     */
    public NodeStatus {
        roles = List.copyOf(roles);
        pools = List.copyOf(pools);
    }
}

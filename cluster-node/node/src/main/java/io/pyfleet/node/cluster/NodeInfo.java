package io.pyfleet.node.cluster;

import java.util.List;

/**
 * What a node tells the others about itself: its names, where clients reach it, its roles,
 * its default pool's size and free workers, and its named pools.
 *
 * @param handleNode the node string its objects' handles carry (name and a per-run suffix)
 * @param gateway    the client gateway's {@code HOST:PORT}, or empty when it has none
 * @param freeWorkers workers serving nothing right now: scatter weighs nodes by it
 */
public record NodeInfo(String name, String handleNode, String gateway, List<String> roles, int workers,
        int freeWorkers, List<String> pools, long uptimeMs) implements ClusterMessage {
    public NodeInfo {
        roles = List.copyOf(roles);
        pools = List.copyOf(pools);
    }
}

package io.pyfleet.node.gateway;

import io.pyfleet.client.PoolStats;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.cluster.ClusterView;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.pool.NodePools;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every client connection of a node shares: its settings and secret, the allow-list,
 * the node's call path and pool controls, its named pools, the count of remote calls in flight
 * (which a graceful stop waits for), what the node knows of its cluster (null when it is in none), and
 * the node's arrays in shared memory (null when it keeps none) with the node name its objects carry, and the
 * bytes its connections hold together.
 */
record GatewayContext(String node, GatewaySettings settings, String token, AllowList allow, CallPath path,
        PoolControl pool, long startedNanos, AtomicInteger callsInFlight, NodePools pools, ClusterView cluster,
        NodeArrays arrays, String handleNode, NodeBudget budget) {

    /** Without the token. */
    @Override
    public String toString() {
        return "GatewayContext[" + node + ", " + settings + "]";
    }

    /** The pool operations a remote client may ask for, answered without blocking. */
    interface PoolControl {
        CompletionStage<PoolStats> stats();

        int poolSize();

        void resize(int workers);
    }
}

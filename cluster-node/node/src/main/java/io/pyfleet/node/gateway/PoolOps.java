package io.pyfleet.node.gateway;

import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.node.pool.NodePools;
import io.pyfleet.protocol.PoolWire;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway's pool ops (spec/PROTOCOL.md, "The client gateway"): requests checked on the
 * connection's thread, answered by futures that complete when the pool has started, been
 * resized, stopped or listed, so no connection waits on a pool's workers.
 */
final class PoolOps {
    private PoolOps() {
    }

    /**
     * @return the reply value: the pool's info for {@code pool_start}, nil for resize and stop,
     *         a list of pools for {@code pool_list}
     * @throws ProtocolException when the request is malformed
     */
    static CompletableFuture<Object> serve(NodePools pools, String op, Object target, List<?> args) {
        try {
            return switch (op) {
                case PoolWire.START -> {
                    if (args.size() != 1) {
                        throw new ProtocolException("pool_start takes the pool's name as target and [spec] as args");
                    }
                    yield pools.start(PoolWire.spec(target, args.get(0))).thenApply(PoolWire::info);
                }
                case PoolWire.RESIZE -> {
                    if (args.size() != 1 || !(args.get(0) instanceof Long n) || n < 1 || n > PoolSpec.MAX_WORKERS) {
                        throw new ProtocolException("pool_resize takes the pool's name as target and [workers], 1.."
                                + PoolSpec.MAX_WORKERS);
                    }
                    pools.resize(PoolSpec.requireName(name(op, target)), n.intValue());
                    yield CompletableFuture.completedFuture(null);
                }
                case PoolWire.STOP -> pools.stop(PoolSpec.requireName(name(op, target))).thenApply(v -> null);
                case PoolWire.LIST -> pools.list().thenApply(l -> l.stream().map(i -> (Object) PoolWire.info(i)).toList());
                default -> throw new ProtocolException("unknown op '" + op + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(op + ": " + e.getMessage());
        }
    }

    private static String name(String op, Object target) {
        if (!(target instanceof String name)) {
            throw new ProtocolException(op + " takes the pool's name as target");
        }
        return name;
    }
}

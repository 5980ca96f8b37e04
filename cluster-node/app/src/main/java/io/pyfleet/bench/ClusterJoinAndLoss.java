package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.PyFleetException;
import java.util.List;
import java.util.Map;

/**
 * {@code cluster_join_first_call_ms}: from starting a fourth node (its JVM launched) to its first call
 * served through node 1's gateway; {@code cluster_node_lost_ms}: from {@code kill -9} of that node to
 * a call on an object it owned failing as node-lost at node 1 (failure detection with the default
 * {@code pyfleet.cluster.failure-detector-pause}).
 */
final class ClusterJoinAndLoss implements BenchCase {
    static final String JOIN = "cluster_join_first_call_ms";
    static final String LOST = "cluster_node_lost_ms";
    private int started;

    @Override
    public String name() {
        return "cluster_join_and_loss";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(JOIN, Unit.MILLIS), Metric.of(LOST, Unit.MILLIS));
    }

    @Override
    public int runs(boolean quick) {
        return quick ? 1 : 2;
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        BenchContext.Cluster trio = context.cluster("trio", 3, 2);
        Fleet fleet = trio.client();
        String name = "joiner-" + (++started);
        CallOptions there = CallOptions.builder().on(name).build();
        long t0 = System.nanoTime();
        BenchCluster.Member joiner = trio.nodes().start(name, 1);
        long deadline = t0 + 120_000_000_000L;
        while (true) {
            try {
                Fleet.join(fleet.submit(Call.function("os.getpid", List.of(), Map.of()).with(there)));
                break;
            } catch (NodeLostException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new BenchFailure("node " + name + " served no call within 120 s");
                }
                Thread.sleep(10);
            }
        }
        double joinMs = (System.nanoTime() - t0) / 1e6;
        Object object = Fleet.join(fleet.submit(Call.init("collections.deque", List.of(), Map.of()).with(there)));
        long killed = System.nanoTime();
        joiner.process().destroyForcibly();
        while (true) {
            try {
                fleet.builtin("len", object);
            } catch (NodeLostException lost) {
                break;
            } catch (PyFleetException other) {
                throw new BenchFailure("a call on the killed node's object failed with " + other + ", not node-lost");
            }
            if (System.nanoTime() - killed > 60_000_000_000L) {
                throw new BenchFailure("the killed node's object did not fail within 60 s");
            }
            Thread.sleep(5);
        }
        return Map.of(JOIN, joinMs, LOST, (System.nanoTime() - killed) / 1e6);
    }
}

package io.pyfleet.node;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.DType;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyArray;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A fleet that hands everything to another; tests override what they change (placement, closing). */
public class ForwardingFleet implements Fleet {
    protected final Fleet fleet;

    public ForwardingFleet(Fleet fleet) {
        this.fleet = fleet;
    }

    @Override
    public CompletableFuture<Object> submit(Call call) {
        return fleet.submit(call);
    }

    @Override
    public CompletableFuture<List<Outcome>> identicalAsync(Call call) {
        return fleet.identicalAsync(call);
    }

    @Override
    public CompletableFuture<List<Outcome>> scatterAsync(String name, List<? extends List<?>> argumentSets,
            CallOptions options) {
        return fleet.scatterAsync(name, argumentSets, options);
    }

    @Override
    public PyArray array(double[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(float[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(long[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(int[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(short[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(byte[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(boolean[] data, long... shape) {
        return fleet.array(data, shape);
    }

    @Override
    public PyArray array(DType dtype, ByteBuffer data, long... shape) {
        return fleet.array(dtype, data, shape);
    }

    @Override
    public int poolSize() {
        return fleet.poolSize();
    }

    @Override
    public void resize(int workers) {
        fleet.resize(workers);
    }

    @Override
    public PoolStats stats() {
        return fleet.stats();
    }

    @Override
    public List<NodeStatus> nodes() {
        return fleet.nodes();
    }

    @Override
    public PoolInfo startPool(PoolSpec spec) {
        return fleet.startPool(spec);
    }

    @Override
    public void resizePool(String node, String name, int workers) {
        fleet.resizePool(node, name, workers);
    }

    @Override
    public void stopPool(String node, String name) {
        fleet.stopPool(node, name);
    }

    @Override
    public List<PoolInfo> pools(String node) {
        return fleet.pools(node);
    }

    @Override
    public void close() {
        fleet.close();
    }
}

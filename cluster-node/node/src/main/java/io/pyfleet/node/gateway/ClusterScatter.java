package io.pyfleet.node.gateway;

import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.cluster.ClusterView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * One scatter/gather job across the cluster. Items go out in chunks, each a scatter on one
 * node, and a node gets a new chunk when one of its own ends: at most as many chunks at once
 * as it had free workers (at least one), so faster and freer nodes take more, and a node
 * that joins during the job gets work. Results land in input order. When a node is lost, its
 * chunks in flight are re-run elsewhere only when the call is idempotent; otherwise their
 * items end as node-lost (they may have run). Chunks not yet sent never went there and run
 * elsewhere. Every item ends exactly once.
 */
final class ClusterScatter {
    private record Chunk(int from, int to) {
        int size() {
            return to - from;
        }
    }

    private final ClusterView view;
    private final List<? extends List<?>> items;
    private final boolean idempotent;
    private final BiFunction<String, List<? extends List<?>>, CompletableFuture<List<Object>>> run;
    private final Consumer<long[]> progress;
    /** Takes each wire outcome as its chunk ends, or null to gather them into the result. */
    private final BiConsumer<Integer, Object> each;
    private final CompletableFuture<List<Object>> result = new CompletableFuture<>();
    private final Object[] outcomes;
    private final ArrayDeque<Chunk> waiting = new ArrayDeque<>();
    private final Map<String, Integer> running = new HashMap<>();
    private final Set<String> lost = new HashSet<>();
    private int next; // items before it are carved into chunks
    private int done;

    /**
     * @param run      runs a chunk on a node; completes with one wire outcome per item, in order
     * @param progress receives {@code [done, total]} after each chunk (may be null)
     * @param each     when not null, takes each item's wire outcome as its chunk ends, under the job's lock (in
     *                 the order they end, all before the result); the result then holds no values
     */
    ClusterScatter(ClusterView view, List<? extends List<?>> items, boolean idempotent,
            BiFunction<String, List<? extends List<?>>, CompletableFuture<List<Object>>> run, Consumer<long[]> progress,
            BiConsumer<Integer, Object> each) {
        this.view = view;
        this.items = items;
        this.idempotent = idempotent;
        this.run = run;
        this.progress = progress;
        this.each = each;
        this.outcomes = new Object[items.size()];
    }

    /**
     * The next chunk: one to run again first, else a new one of half the items left per free
     * worker (guided: large while much is left, which amortises the hops; small at the end, so the
     * last chunks do not leave nodes idle); null when none is left.
     */
    private Chunk take(int capacity) {
        if (!waiting.isEmpty()) {
            return waiting.poll();
        }
        if (next >= items.size()) {
            return null;
        }
        int size = Math.max(1, Math.min(256, (items.size() - next) / Math.max(1, 2 * capacity)));
        Chunk c = new Chunk(next, Math.min(items.size(), next + size));
        next = c.to();
        return c;
    }

    CompletableFuture<List<Object>> start() {
        if (items.isEmpty()) {
            result.complete(List.of());
        } else {
            dispatch();
        }
        return result;
    }

    private void dispatch() {
        List<Map.Entry<String, Chunk>> starts = new ArrayList<>();
        boolean allDone;
        synchronized (this) {
            List<ClusterView.Peer> live = live();
            int capacity = live.stream().mapToInt(ClusterScatter::slots).sum();
            for (ClusterView.Peer p : live) {
                int busy = running.getOrDefault(p.name(), 0);
                Chunk c;
                while (busy < slots(p) && (c = take(capacity)) != null) {
                    starts.add(Map.entry(p.name(), c));
                    busy++;
                }
                running.put(p.name(), busy);
            }
            if (next < items.size() && starts.isEmpty() && running.values().stream().allMatch(n -> n == 0)) {
                waiting.add(new Chunk(next, items.size())); // below: ended unrun, with whatever waits
                next = items.size();
            }
            if (starts.isEmpty() && !waiting.isEmpty() && running.values().stream().allMatch(n -> n == 0)) {
                // no node left to run them (never the case while this node serves): they end unrun
                RemoteError e = RemoteFailures.toRemoteError(new NodeLostException(
                        "no node of the cluster can take the item; it was not run", false));
                List<Object> entry = List.of(1L, e.fields());
                for (Chunk c : waiting) {
                    settle(c.from(), c.to(), i -> entry);
                }
                waiting.clear();
                done = outcomes.length;
            }
            allDone = done == outcomes.length;
        }
        if (starts.isEmpty() && allDone) {
            result.complete(Arrays.asList(outcomes));
            return;
        }
        for (Map.Entry<String, Chunk> s : starts) {
            Chunk c = s.getValue();
            CompletableFuture<List<Object>> f;
            try {
                f = run.apply(s.getKey(), items.subList(c.from(), c.to()));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((wire, failure) -> ended(s.getKey(), c, wire, failure));
        }
    }

    private void ended(String node, Chunk c, List<Object> wire, Throwable failure) {
        Throwable why = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        long[] report;
        synchronized (this) {
            running.merge(node, -1, Integer::sum);
            if (why == null && wire.size() == c.size()) {
                settle(c.from(), c.to(), i -> wire.get(i - c.from()));
                done += c.size();
            } else if (why != null && rerunnable(why)) {
                if (why instanceof NodeLostException) {
                    lost.add(node);
                }
                waiting.addFirst(c);
            } else {
                Throwable error = why != null ? why : new io.pyfleet.client.ProtocolException("node " + node
                        + " answered " + wire.size() + " outcomes for " + c.size() + " items");
                if (why instanceof NodeLostException) {
                    lost.add(node);
                }
                RemoteError e = RemoteFailures.toRemoteError(error);
                List<Object> entry = List.of(1L, e.fields());
                settle(c.from(), c.to(), i -> entry);
                done += c.size();
            }
            report = new long[] {done, outcomes.length};
            if (progress != null && why == null) {
                progress.accept(report); // under the lock: in order, and before the answer
            }
        }
        if (report[0] == outcomes.length) {
            result.complete(Arrays.asList(outcomes));
        } else {
            dispatch();
        }
    }

    /** Items {@code from..to} ended (under the lock): kept for the result, or passed on and not held. */
    private void settle(int from, int to, java.util.function.IntFunction<Object> outcome) {
        for (int i = from; i < to; i++) {
            Object o = outcome.apply(i);
            if (each != null) {
                each.accept(i, o);
                o = PASSED_ON;
            }
            outcomes[i] = o;
        }
    }

    /** Kept instead of an outcome handed to {@link #each}. */
    private static final Object PASSED_ON = List.of();

    /** A chunk that never ran there, or any chunk of an idempotent call, runs again elsewhere. */
    private boolean rerunnable(Throwable why) {
        boolean mayHaveRun = !(why instanceof NodeLostException n) || n.mayHaveRun();
        if (why instanceof FleetClosedException f) {
            mayHaveRun = f.mayHaveRun();
        } else if (why instanceof WorkerLostException w) {
            mayHaveRun = w.mayHaveRun();
        } else if (!(why instanceof NodeLostException)) {
            return false; // a typed answer of the node (refused, overloaded...): the items' outcome
        }
        return !mayHaveRun || (idempotent && why instanceof NodeLostException);
    }

    /** Nodes that may take chunks: reachable, not lost during this job (this node always). */
    private List<ClusterView.Peer> live() {
        List<ClusterView.Peer> all = new ArrayList<>();
        for (ClusterView.Peer p : view.peers()) {
            if (p.self() || (p.reachable() && !lost.contains(p.name()))) {
                all.add(p);
            }
        }
        return all;
    }

    private static int slots(ClusterView.Peer p) {
        return Math.max(1, p.info().freeWorkers());
    }
}

package io.pyfleet.node.gateway;

import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.pool.NodePools;
import io.pyfleet.protocol.HandleScan;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The objects of this node one session was handed: its capabilities. A request naming any other
 * object of this node is refused before a worker sees it, and only the session's own are released,
 * by it or when it ends. Objects of other nodes are left to the session that node serves for this
 * one. Called from the connection's thread and from workers' readers.
 */
final class SessionObjects {
    /**
     * The one answer to a handle this session does not hold, whatever the reason: the same words
     * for a released object and another connection's, so a refusal tells nothing about others.
     */
    static final String NOT_HELD = "this connection holds no such object: it was released, or it was received "
            + "on another connection (one that ended, as before a reconnect, or another client's). An object can "
            + "be used only on the connection that received it: make it again on this one";

    private final NodePools pools;
    /** True for an object of this node (every object, outside a cluster). */
    private final Predicate<Handle> here;
    private final Set<Handle> issued = ConcurrentHashMap.newKeySet();
    private volatile boolean ended;

    SessionObjects(NodePools pools, Predicate<Handle> here) {
        this.pools = pools;
        this.here = here;
    }

    /** Refuses a request that names an object of this node the session does not hold. */
    void requireHeld(byte[] payload) {
        boolean[] foreign = {false};
        HandleScan.forEachHandle(payload, 0, payload.length, h -> {
            if (!foreign[0] && here.test(h) && !issued.contains(h)) {
                foreign[0] = true;
            }
        });
        if (foreign[0]) {
            throw new StaleHandleException(NOT_HELD);
        }
    }

    /** Notes the objects of this node an answer or event on its way to the client names. */
    void noteIssued(byte[] bytes, int off, int len) {
        HandleScan.forEachHandle(bytes, off, len, h -> {
            if (!here.test(h)) {
                return; // another node's object: its own session there releases it
            }
            issued.add(h);
            // The client left before its answer arrived: whoever removes the handle releases it,
            // this reader or ended() on the connection's thread, never both, never neither.
            if (ended && issued.remove(h)) {
                pools.releaseWithoutBlocking(h);
            }
        });
    }

    /** Releases an object of this node if it is the session's own: never another connection's. */
    void release(Handle h) {
        if (issued.remove(h)) {
            pools.releaseWithoutBlocking(h);
        }
    }

    /** The session ended: releases what it holds and did not release. Returns how many. */
    int ended() {
        ended = true;
        int n = 0;
        for (Handle h : issued) {
            if (issued.remove(h)) {
                pools.releaseWithoutBlocking(h);
                n++;
            }
        }
        return n;
    }
}

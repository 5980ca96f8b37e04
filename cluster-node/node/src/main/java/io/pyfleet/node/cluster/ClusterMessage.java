package io.pyfleet.node.cluster;

/**
 * Marks the messages that travel between nodes: they are encoded as Jackson CBOR (bound in
 * conf/application.conf), never with Java serialization. Call arguments and results ride in
 * them as protocol bytes already encoded, so nothing re-maps the value model on the way.
 */
public interface ClusterMessage {
}

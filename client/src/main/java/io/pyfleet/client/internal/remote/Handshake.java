package io.pyfleet.client.internal.remote;

import io.pyfleet.client.AuthenticationException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway handshake from the client's side (PROTOCOL.md, "Handshake"): read the
 * node's challenge, answer it with {@code HMAC(token, "pyfleet-client-v1" || nonce)} and
 * a nonce of our own, and accept the welcome only if its mac proves the node holds the
 * token too. Exists apart from {@link Connection} because it runs before there is one:
 * nothing else may be sent until it has succeeded.
 */
final class Handshake {
    /** Handshake frames are tiny; a node that announces more is not trusted with our memory. */
    static final int MAX_HANDSHAKE_FRAME = 1 << 20;

    /**
     * What the welcome told us.
     *
     * @param node          the node's name
     * @param maxFrame      the largest frame either side may send
     * @param maxInFlight   how many calls the node reads ahead per connection (0: not said)
     * @param heartbeatMs   the node's ping interval (0: not said; the client's own applies)
     * @param arrayByValueMax Java arrays of a call over this many bytes go to the node's memory first
     *                      ({@link Long#MAX_VALUE}: the node does not say, and takes no uploads)
     */
    record Welcome(String node, int maxFrame, long maxInFlight, long heartbeatMs, long arrayByValueMax) {
    }

    private Handshake() {
    }

    /**
     * Runs the handshake on a fresh connection.
     *
     * @throws AuthenticationException when the node refuses the token or cannot prove it holds it
     * @throws ProtocolException when the node does not speak this protocol
     * @throws IOException when the connection fails or times out
     */
    static Welcome run(InputStream in, OutputStream out, String token, String clientName, String where)
            throws IOException {
        Incoming challenge = read(in, where, "its challenge");
        if (challenge.type() != Gateway.CHALLENGE) {
            throw new ProtocolException("the node at " + where + " sent message type " + challenge.type()
                    + " instead of a challenge: is it a pyfleet gateway?");
        }
        Map<?, ?> c = body(challenge, "challenge", where);
        checkProtocol(c, where);
        if (!(c.get("nonce") instanceof byte[] nodeNonce) || nodeNonce.length == 0) {
            throw new ProtocolException("the challenge of " + where + " has no nonce");
        }
        byte[] ourNonce = Gateway.nonce();
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("mac", Gateway.clientMac(token, nodeNonce));
        auth.put("nonce", ourNonce);
        auth.put("client", clientName);
        Frames.writeFrame(out, Gateway.message(Gateway.AUTH, auth));
        out.flush();

        Incoming welcome = read(in, where, "its welcome");
        if (welcome.type() != Gateway.WELCOME) {
            throw new ProtocolException("the node at " + where + " sent message type " + welcome.type()
                    + " instead of a welcome");
        }
        Map<?, ?> w = body(welcome, "welcome", where);
        checkProtocol(w, where);
        byte[] mac = w.get("mac") instanceof byte[] b ? b : null;
        if (!Gateway.sameMac(Gateway.nodeMac(token, ourNonce), mac)) {
            throw new AuthenticationException("the node at " + where + " did not prove it holds the token "
                    + "(its welcome mac is wrong): not talking to it");
        }
        long maxFrame = number(w, "max_frame", Frames.DEFAULT_MAX_FRAME);
        if (maxFrame < Frames.HEADER_SIZE * 4L) {
            throw new ProtocolException("the node at " + where + " announced an unusable max_frame " + maxFrame);
        }
        String node = w.get("node") instanceof String s ? s : c.get("node") instanceof String s2 ? s2 : where;
        return new Welcome(node, (int) Math.min(maxFrame, Integer.MAX_VALUE - 16), number(w, "max_in_flight", 0),
                number(w, "heartbeat_ms", 0), number(w, "array_by_value_max", Long.MAX_VALUE));
    }

    private static Incoming read(InputStream in, String where, String what) throws IOException {
        byte[] frame = Frames.readFrame(in, MAX_HANDSHAKE_FRAME);
        if (frame == null) {
            throw new EOFException("the node at " + where + " closed the connection before " + what);
        }
        Incoming m = Incoming.parse(frame);
        if (m.type() == Messages.ERROR) {
            RemoteError e = (RemoteError) m.body();
            if ("auth".equals(e.kind())) {
                throw new AuthenticationException("the node at " + where + " refused the handshake: " + e.message());
            }
            throw RemoteFailures.toException(e);
        }
        return m;
    }

    private static Map<?, ?> body(Incoming m, String what, String where) {
        if (m.body() instanceof Map<?, ?> map) {
            return map;
        }
        throw new ProtocolException("the " + what + " of " + where + " is not a map");
    }

    private static void checkProtocol(Map<?, ?> m, String where) {
        Object p = m.get("protocol");
        if (p != null && !(p instanceof Long v && v == Messages.PROTOCOL_VERSION)) {
            throw new ProtocolException("the node at " + where + " speaks protocol " + p + ", this client "
                    + Messages.PROTOCOL_VERSION);
        }
    }

    private static long number(Map<?, ?> m, String key, long absent) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (v instanceof Long n && n >= 0) {
            return n;
        }
        throw new ProtocolException("the welcome's " + key + " must be a non-negative int, got " + v);
    }
}

package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client gateway's own messages and its handshake (spec/PROTOCOL.md, "The client gateway").
 * Both ends use it: the node's gateway and the thin client.
 */
public final class Gateway {
    /** {@code [6, 0, {protocol, node, nonce}]}, node to client, the first frame. */
    public static final int CHALLENGE = 6;
    /** {@code [7, 0, {mac, nonce, client}]}, client to node, the client's first frame. */
    public static final int AUTH = 7;
    /** {@code [8, 0, {protocol, node, mac, max_frame, max_in_flight, heartbeat_ms}]}, node to client. */
    public static final int WELCOME = 8;
    /** {@code [9, 0, nil]}, either way, when a side has sent nothing for a heartbeat interval. */
    public static final int PING = 9;

    /** Length of both nonces and of a mac, in bytes. */
    public static final int NONCE_BYTES = 32;

    private static final byte[] CLIENT_CONTEXT = "pyfleet-client-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NODE_CONTEXT = "pyfleet-node-v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Gateway() {
    }

    /** A fresh random nonce. */
    public static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** What the client answers to the node's nonce. */
    public static byte[] clientMac(String token, byte[] nodeNonce) {
        return hmac(token, CLIENT_CONTEXT, nodeNonce);
    }

    /** What the node answers to the client's nonce, proving it holds the token too. */
    public static byte[] nodeMac(String token, byte[] clientNonce) {
        return hmac(token, NODE_CONTEXT, clientNonce);
    }

    /** Compares two macs in time independent of where they differ. */
    public static boolean sameMac(byte[] expected, byte[] actual) {
        return actual != null && MessageDigest.isEqual(expected, actual);
    }

    private static byte[] hmac(String token, byte[] context, byte[] nonce) {
        if (token == null || token.isEmpty()) {
            throw new ProtocolException("no gateway token");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(context);
            return mac.doFinal(nonce);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** A message {@code [type, 0, body]} of the gateway. */
    public static byte[] message(int type, Object body) {
        WireBuffer w = WireBuffer.acquire();
        try {
            w.arrayHeader(3);
            w.integer(type);
            w.integer(0);
            ValueCodec.write(w, body, 1);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }
}

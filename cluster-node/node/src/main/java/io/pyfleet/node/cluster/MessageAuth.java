package io.pyfleet.node.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates the messages that carry calls between nodes. Artery accepts a connection from
 * anyone who reaches its port, and the join check only guards membership, so every
 * {@code Forward}, {@code Frames} and {@code SessionEnded} carries an HMAC-SHA256 under the
 * cluster secret over its sender's and receiver's incarnations (their handle nodes, which hold a
 * per-run random part), a sequence number and its content. A receiver accepts only messages made
 * for its own incarnation whose sequence number it has not seen (a sliding window per sender), so
 * a recorded message can be neither forged, nor replayed, nor sent to a later run of the node.
 */
public final class MessageAuth {
    static final byte FORWARD = 1;
    static final byte FRAMES = 2;
    static final byte SESSION_ENDED = 3;
    private static final int WINDOW = 1 << 16;

    /** A sealed message's sequence number and tag. */
    public record Seal(long seq, byte[] mac) {
    }

    private final SecretKeySpec key;
    private final String self;
    private final AtomicLong seq = new AtomicLong();
    private final ThreadLocal<Mac> macs;
    private final Map<String, Window> windows = new HashMap<>();

    public MessageAuth(String secret, String self) {
        byte[] k = digest("pyfleet cluster messages v1", secret);
        this.key = new SecretKeySpec(k, "HmacSHA256");
        this.self = self;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** This node's incarnation: the {@code from} of what it sends, the {@code to} it accepts. */
    public String self() {
        return self;
    }

    /** Seals a message to the incarnation {@code to}; callable from any thread. */
    public Seal seal(byte kind, String to, long session, boolean flag, byte[] payload) {
        long n = seq.incrementAndGet();
        return new Seal(n, mac(kind, self, to, n, session, flag, payload));
    }

    /**
     * True when the message was sealed with the secret for this incarnation and is not a replay.
     * Called from the node agent only (the windows are its own).
     */
    boolean accept(byte kind, String from, String to, long n, long session, boolean flag, byte[] payload,
            byte[] tag) {
        if (from == null || !self.equals(to) || tag == null
                || !MessageDigest.isEqual(tag, mac(kind, from, to, n, session, flag, payload))) {
            return false;
        }
        return windows.computeIfAbsent(from, f -> new Window()).accept(n);
    }

    private byte[] mac(byte kind, String from, String to, long n, long session, boolean flag, byte[] payload) {
        Mac m = macs.get();
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(1 + 4 + f.length + 4 + t.length + 8 + 8 + 1 + 4);
        head.put(kind).putInt(f.length).put(f).putInt(t.length).put(t).putLong(n).putLong(session)
                .put((byte) (flag ? 1 : 0)).putInt(payload == null ? -1 : payload.length);
        m.update(head.array());
        if (payload != null) {
            m.update(payload);
        }
        return m.doFinal();
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** An HMAC-SHA256 of {@code label} under {@code secret}. */
    static byte[] digest(String label, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** The sequence numbers seen from one sender: the highest, and which of the last {@value #WINDOW}. */
    private static final class Window {
        private final long[] bits = new long[WINDOW / 64];
        private long max;

        boolean accept(long n) {
            if (n <= 0 || n <= max - WINDOW) {
                return false; // too old to tell: refused
            }
            if (n > max) {
                long gap = Math.min(n - max, WINDOW);
                for (long i = 1; i <= gap; i++) {
                    clear(max + i);
                }
                max = n;
            } else if (isSet(n)) {
                return false; // seen: a replay
            }
            set(n);
            return true;
        }

        private boolean isSet(long n) {
            int i = (int) (n % WINDOW);
            return (bits[i >>> 6] & (1L << (i & 63))) != 0;
        }

        private void set(long n) {
            int i = (int) (n % WINDOW);
            bits[i >>> 6] |= 1L << (i & 63);
        }

        private void clear(long n) {
            int i = (int) (n % WINDOW);
            bits[i >>> 6] &= ~(1L << (i & 63));
        }
    }
}

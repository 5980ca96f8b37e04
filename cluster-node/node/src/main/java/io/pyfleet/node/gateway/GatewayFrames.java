package io.pyfleet.node.gateway;

import io.pyfleet.node.worker.RawValue;
import org.apache.pekko.util.ByteString;

/** Gateway frames built around bytes a worker wrote, without a msgpack writer. */
final class GatewayFrames {
    private GatewayFrames() {
    }

    /** {@code [type, id, value]} around a worker's value bytes: one copy, no re-encoding. */
    static ByteString rawFrame(int type, long id, RawValue raw) {
        byte[] idBytes = uint(id);
        int payload = 2 + idBytes.length + raw.length();
        byte[] f = new byte[4 + payload];
        putLength(f, payload);
        f[4] = (byte) 0x93;
        f[5] = (byte) type;
        System.arraycopy(idBytes, 0, f, 6, idBytes.length);
        System.arraycopy(raw.frame(), raw.offset(), f, 6 + idBytes.length, raw.length());
        return ByteString.fromArrayUnsafe(f);
    }

    static void putLength(byte[] f, int length) {
        f[0] = (byte) (length >>> 24);
        f[1] = (byte) (length >>> 16);
        f[2] = (byte) (length >>> 8);
        f[3] = (byte) length;
    }

    /** A non-negative int in msgpack's smallest unsigned form. */
    private static byte[] uint(long v) {
        if (v < 0x80) {
            return new byte[] {(byte) v};
        }
        int n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x100000000L ? 4 : 8;
        byte[] b = new byte[1 + n];
        b[0] = (byte) (n == 1 ? 0xcc : n == 2 ? 0xcd : n == 4 ? 0xce : 0xcf);
        for (int i = 0; i < n; i++) {
            b[n - i] = (byte) (v >>> (8 * i));
        }
        return b;
    }
}

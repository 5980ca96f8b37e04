package io.pyfleet.protocol;

import java.util.HexFormat;

/** Hex helpers for the tests. */
final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    static String enc(Object v) {
        return hex(ValueCodec.encode(v));
    }

    static Object dec(String hex) {
        return ValueCodec.decode(bytes(hex));
    }
}

package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.Handle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A growable byte array that msgpack is written into, always in the smallest format. Ext headers whose
 * payload length is not known in advance are reserved, then fixed up by {@link #endExt}.
 * Not thread-safe; {@link #acquire()} hands out a per-thread instance.
 */
final class WireBuffer {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private static final int INITIAL = 256;
    /** A pooled buffer that grew past this is dropped after use rather than kept. */
    private static final int KEEP_MAX = 1 << 20;
    private static final ThreadLocal<WireBuffer> POOL = ThreadLocal.withInitial(() -> new WireBuffer(INITIAL));

    byte[] buf;
    int pos;
    private boolean inUse;
    /** The first handle written since acquire, and one of another owner if any: routing needs them. */
    Handle firstHandle;
    Handle otherOwner;
    /** Where large Java arrays go instead of by value; null: everything by value. */
    LargeArrays large;

    WireBuffer(int capacity) {
        buf = new byte[capacity];
    }

    /** This thread's buffer, emptied, or a fresh one if it is already in use (re-entrant encoding). */
    static WireBuffer acquire() {
        WireBuffer w = POOL.get();
        if (w.inUse) {
            return new WireBuffer(INITIAL);
        }
        w.inUse = true;
        w.pos = 0;
        w.firstHandle = null;
        w.otherOwner = null;
        w.large = null;
        return w;
    }

    /** Gives the buffer back to this thread's pool. */
    void release() {
        pos = 0;
        large = null;
        if (inUse) {
            inUse = false;
            if (buf.length > KEEP_MAX) {
                buf = new byte[INITIAL];
            }
        }
    }

    /** Notes a handle being written: the first one names the call's owner; another owner is a conflict. */
    void noteHandle(Handle h) {
        if (firstHandle == null) {
            firstHandle = h;
        } else if (otherOwner == null && !firstHandle.sameOwner(h)) {
            otherOwner = h;
        }
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    void ensure(int n) {
        if (buf.length - pos < n) {
            grow(n);
        }
    }

    private void grow(int n) {
        long need = (long) pos + n;
        if (n < 0 || need > Integer.MAX_VALUE - 16) {
            throw new ProtocolException("value too large to encode: over 2 GiB (a Java array's limit, far over "
                    + "pyfleet.worker.max-frame-size). Pass large arrays as PyArray (fleet.array(...)), which never go "
                    + "through the frame, or keep large data in Python as an object");
        }
        long cap = Math.max(need, Math.min(2L * buf.length, Integer.MAX_VALUE - 16));
        buf = Arrays.copyOf(buf, (int) cap);
    }

    void writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    void writeBytes(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, pos, len);
        pos += len;
    }

    private void put1(int code, int v) {
        ensure(2);
        buf[pos] = (byte) code;
        buf[pos + 1] = (byte) v;
        pos += 2;
    }

    private void put2(int code, int v) {
        ensure(3);
        buf[pos] = (byte) code;
        SHORT.set(buf, pos + 1, (short) v);
        pos += 3;
    }

    private void put4(int code, int v) {
        ensure(5);
        buf[pos] = (byte) code;
        INT.set(buf, pos + 1, v);
        pos += 5;
    }

    private void put8(int code, long v) {
        ensure(9);
        buf[pos] = (byte) code;
        LONG.set(buf, pos + 1, v);
        pos += 9;
    }

    /** Big-endian int16, without a type byte (ext payloads). */
    void rawShort(int v) {
        ensure(2);
        SHORT.set(buf, pos, (short) v);
        pos += 2;
    }

    /** Big-endian int32, without a type byte (ext payloads). */
    void rawInt(int v) {
        ensure(4);
        INT.set(buf, pos, v);
        pos += 4;
    }

    /** Big-endian int64, without a type byte (ext payloads). */
    void rawLong(long v) {
        ensure(8);
        LONG.set(buf, pos, v);
        pos += 8;
    }

    void nil() {
        writeByte(0xc0);
    }

    void bool(boolean b) {
        writeByte(b ? 0xc3 : 0xc2);
    }

    /** An integer in the smallest format: positive fixint / uint8..64 for v &gt;= 0, else fixint / int8..64. */
    void integer(long v) {
        if (v >= 0) {
            if (v < 0x80) {
                writeByte((int) v);
            } else if (v < 0x100) {
                put1(0xcc, (int) v);
            } else if (v < 0x10000) {
                put2(0xcd, (int) v);
            } else if (v < 0x100000000L) {
                put4(0xce, (int) v);
            } else {
                put8(0xcf, v);
            }
        } else if (v >= -32) {
            writeByte((int) v);
        } else if (v >= Byte.MIN_VALUE) {
            put1(0xd0, (int) v);
        } else if (v >= Short.MIN_VALUE) {
            put2(0xd1, (int) v);
        } else if (v >= Integer.MIN_VALUE) {
            put4(0xd2, (int) v);
        } else {
            put8(0xd3, v);
        }
    }

    /** A uint64 whose bits are {@code bits} (for values in [2^63, 2^64-1]). */
    void uint64(long bits) {
        put8(0xcf, bits);
    }

    /** Always float64; the bits are kept as they are, NaN payloads included. */
    void float64(double d) {
        put8(0xcb, Double.doubleToRawLongBits(d));
    }

    /** Size of {@link #integer(long)}'s output. */
    static int integerSize(long v) {
        if (v >= 0) {
            return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v < 0x100000000L ? 5 : 9;
        }
        return v >= -32 ? 1 : v >= Byte.MIN_VALUE ? 2 : v >= Short.MIN_VALUE ? 3 : v >= Integer.MIN_VALUE ? 5 : 9;
    }

    /**
     * A str: UTF-8 with the smallest header.
     *
     * @throws ProtocolException if the string has an unpaired surrogate (it has no UTF-8 form)
     */
    void string(String s) {
        int n = s.length();
        int ascii = 0;
        while (ascii < n && s.charAt(ascii) < 0x80) {
            ascii++;
        }
        int len = ascii == n ? n : ascii + utf8Length(s, ascii);
        strHeader(len);
        ensure(len);
        byte[] b = buf;
        int p = pos;
        for (int i = 0; i < ascii; i++) {
            b[p++] = (byte) s.charAt(i);
        }
        for (int i = ascii; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[p++] = (byte) c;
            } else if (c < 0x800) {
                b[p++] = (byte) (0xc0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[p++] = (byte) (0xf0 | (cp >> 18));
                b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                b[p++] = (byte) (0x80 | (cp & 0x3f));
            } else {
                b[p++] = (byte) (0xe0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                b[p++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        pos = p;
    }

    private static int utf8Length(String s, int from) {
        long len = 0;
        int n = s.length();
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                len += 1;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    len += 4;
                    i++;
                } else {
                    throw new ProtocolException("cannot encode a string with an unpaired surrogate at index " + i);
                }
            } else {
                len += 3;
            }
        }
        if (len > Integer.MAX_VALUE - 16) {
            throw new ProtocolException("string too large to encode: over 2 GiB as UTF-8 (a Java array's limit); "
                    + "keep large text in Python as an object, or send it in parts");
        }
        return (int) len;
    }

    void strHeader(int len) {
        if (len < 32) {
            writeByte(0xa0 | len);
        } else if (len < 0x100) {
            put1(0xd9, len);
        } else if (len < 0x10000) {
            put2(0xda, len);
        } else {
            put4(0xdb, len);
        }
    }

    /** Size of a str header for {@code len} bytes. */
    static int strHeaderSize(int len) {
        return len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
    }

    void binHeader(int len) {
        if (len < 0x100) {
            put1(0xc4, len);
        } else if (len < 0x10000) {
            put2(0xc5, len);
        } else {
            put4(0xc6, len);
        }
    }

    /** Size of a bin header for {@code len} bytes. */
    static int binHeaderSize(int len) {
        return len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
    }

    void binary(byte[] b) {
        binHeader(b.length);
        writeBytes(b, 0, b.length);
    }

    void arrayHeader(int n) {
        if (n < 16) {
            writeByte(0x90 | n);
        } else if (n < 0x10000) {
            put2(0xdc, n);
        } else {
            put4(0xdd, n);
        }
    }

    /** Size of an array header for {@code n} items. */
    static int arrayHeaderSize(int n) {
        return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
    }

    void mapHeader(int n) {
        if (n < 16) {
            writeByte(0x80 | n);
        } else if (n < 0x10000) {
            put2(0xde, n);
        } else {
            put4(0xdf, n);
        }
    }

    /** An ext header: fixext 1/2/4/8/16 when the length is exactly that, else ext8/16/32. */
    void extHeader(byte type, int len) {
        switch (len) {
            case 1 -> put1(0xd4, type);
            case 2 -> put1(0xd5, type);
            case 4 -> put1(0xd6, type);
            case 8 -> put1(0xd7, type);
            case 16 -> put1(0xd8, type);
            default -> {
                if (len < 0x100) {
                    ensure(3);
                    buf[pos] = (byte) 0xc7;
                    buf[pos + 1] = (byte) len;
                    buf[pos + 2] = type;
                    pos += 3;
                } else if (len < 0x10000) {
                    put2(0xc8, len);
                    writeByte(type);
                } else {
                    put4(0xc9, len);
                    writeByte(type);
                }
            }
        }
    }

    /** Reserves room for an ext header whose payload follows; returns the mark for {@link #endExt}. */
    int beginExt() {
        ensure(3);
        int mark = pos;
        pos += 3;
        return mark;
    }

    /** Writes the header reserved at {@code mark} now that the payload is complete, moving it if needed. */
    void endExt(int mark, byte type) {
        int start = mark + 3;
        int len = pos - start;
        int header = switch (len) {
            case 1, 2, 4, 8, 16 -> 2;
            default -> len < 0x100 ? 3 : len < 0x10000 ? 4 : 6;
        };
        if (header != 3) {
            ensure(header - 3);
            System.arraycopy(buf, start, buf, mark + header, len);
            pos += header - 3;
        }
        int p = pos;
        pos = mark;
        extHeader(type, len);
        pos = p;
    }
}

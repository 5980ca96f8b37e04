package io.pyfleet.protocol;

import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Handle;
import io.pyfleet.client.HandleRef;
import io.pyfleet.client.RemoteError;
import io.pyfleet.client.ProtocolException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;
import java.util.function.Function;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;

/**
 * Encodes Java values to the wire's msgpack value model and back (spec/PROTOCOL.md, "Values").
 *
 * <p>Java to wire: {@code null}; {@link Boolean}; {@link Byte}, {@link Short}, {@link Integer}, {@link Long}
 * and {@link BigInteger} (smallest msgpack int, ext 1 outside [-2^63, 2^64-1]); {@link Float} and
 * {@link Double} (float64); {@link String}; {@code byte[]} (bin); any {@link List} (array); {@link PyTuple};
 * any {@link Set} (ext 3, canonically sorted); any {@link Map} (map, iteration order); {@link LocalDate},
 * {@link LocalTime}, {@link OffsetTime}, {@link LocalDateTime}, {@link OffsetDateTime}, {@link ZonedDateTime}
 * and {@link Instant} (as an offset datetime), {@link Duration} (sub-microsecond parts truncated);
 * {@link NdArray}; {@link Handle} and any {@link HandleRef} (as its handle); {@link RemoteError};
 * {@link PyComplex}; and {@code double[]}, {@code long[]}, {@code int[]}, {@code float[]}, {@code boolean[]}
 * as 1-d arrays. Anything else is a {@link ProtocolException} naming its class.
 *
 * <p>Wire to Java: ints as {@link Long}, or {@link BigInteger} when outside the long range; floats as
 * {@link Double}; str as {@link String}; bin as {@code byte[]}; array as {@link ArrayList}; map as
 * {@link LinkedHashMap}; set as {@link LinkedHashSet} in wire order; the other exts as the types above,
 * aware times as {@link OffsetTime}/{@link OffsetDateTime}. Malformed input is a {@link ProtocolException};
 * declared lengths are checked against the input before anything is allocated for them, and nesting is
 * limited to {@link #MAX_DEPTH} containers.
 */
public final class ValueCodec {
    /** Containers (arrays, maps, tuples, sets, ndarrays, handles, errors) nest at most this deep. */
    public static final int MAX_DEPTH = 512;

    /** Initial capacity cap for containers when the remaining input size is unknown. */
    private static final int UNKNOWN_SIZE_CAP = 1024;
    /** Bin payloads larger than this are read gradually when the remaining input size is unknown. */
    private static final int CHUNK = 1 << 20;
    private static final int MIN_YEAR = 1;
    private static final int MAX_YEAR = 9999;
    private static final int MAX_TIMEDELTA_DAYS = 999_999_999;
    private static final int SECONDS_PER_DAY = 86_400;

    private ValueCodec() {
    }

    // ------------------------------------------------------------------------------------------ encoding

    /** Encodes {@code value} as one msgpack object. */
    public static byte[] encode(Object value) {
        WireBuffer w = WireBuffer.acquire();
        try {
            write(w, value, 0);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }

    /** Writes {@code value} as one msgpack object to {@code p}. */
    public static void encode(MessagePacker p, Object value) throws IOException {
        WireBuffer w = WireBuffer.acquire();
        try {
            write(w, value, 0);
            p.writePayload(w.buf, 0, w.pos);
        } finally {
            w.release();
        }
    }

    /** Kinds of Java values, resolved once per class. */
    private enum Kind {
        STRING, LONG, INTEGER, SHORT, BYTE, DOUBLE, FLOAT, BOOLEAN, BIG_INTEGER, BYTES, LIST, MAP, SET, TUPLE,
        NDARRAY, HANDLE, ERROR, COMPLEX, DATE, TIME, OFFSET_TIME, DATETIME, OFFSET_DATETIME, ZONED_DATETIME,
        INSTANT, DURATION, DOUBLES, LONGS, INTS, FLOATS, BOOLEANS, HANDLE_REF, UNSUPPORTED
    }

    private static final ClassValue<Kind> KINDS = new ClassValue<>() {
        @Override
        protected Kind computeValue(Class<?> c) {
            if (c == String.class) {
                return Kind.STRING;
            } else if (c == Long.class) {
                return Kind.LONG;
            } else if (c == Integer.class) {
                return Kind.INTEGER;
            } else if (c == Short.class) {
                return Kind.SHORT;
            } else if (c == Byte.class) {
                return Kind.BYTE;
            } else if (c == Double.class) {
                return Kind.DOUBLE;
            } else if (c == Float.class) {
                return Kind.FLOAT;
            } else if (c == Boolean.class) {
                return Kind.BOOLEAN;
            } else if (c == BigInteger.class) {
                return Kind.BIG_INTEGER;
            } else if (c == byte[].class) {
                return Kind.BYTES;
            } else if (c == PyTuple.class) {
                return Kind.TUPLE;
            } else if (c == NdArray.class) {
                return Kind.NDARRAY;
            } else if (c == Handle.class) {
                return Kind.HANDLE;
            } else if (c == RemoteError.class) {
                return Kind.ERROR;
            } else if (c == PyComplex.class) {
                return Kind.COMPLEX;
            } else if (c == LocalDate.class) {
                return Kind.DATE;
            } else if (c == LocalTime.class) {
                return Kind.TIME;
            } else if (c == OffsetTime.class) {
                return Kind.OFFSET_TIME;
            } else if (c == LocalDateTime.class) {
                return Kind.DATETIME;
            } else if (c == OffsetDateTime.class) {
                return Kind.OFFSET_DATETIME;
            } else if (c == ZonedDateTime.class) {
                return Kind.ZONED_DATETIME;
            } else if (c == Instant.class) {
                return Kind.INSTANT;
            } else if (c == Duration.class) {
                return Kind.DURATION;
            } else if (c == double[].class) {
                return Kind.DOUBLES;
            } else if (c == long[].class) {
                return Kind.LONGS;
            } else if (c == int[].class) {
                return Kind.INTS;
            } else if (c == float[].class) {
                return Kind.FLOATS;
            } else if (c == boolean[].class) {
                return Kind.BOOLEANS;
            } else if (HandleRef.class.isAssignableFrom(c)) {
                return Kind.HANDLE_REF;
            } else if (List.class.isAssignableFrom(c)) {
                return Kind.LIST;
            } else if (Map.class.isAssignableFrom(c)) {
                return Kind.MAP;
            } else if (Set.class.isAssignableFrom(c)) {
                return Kind.SET;
            } else if (BigInteger.class.isAssignableFrom(c)) {
                return Kind.BIG_INTEGER;
            }
            return Kind.UNSUPPORTED;
        }
    };

    /** Writes {@code v}, a value at nesting depth {@code depth} (0 for a top-level value). */
    static void write(WireBuffer w, Object v, int depth) {
        // the commonest scalars first, without a class lookup
        if (v == null) {
            w.nil();
        } else if (v instanceof String s) {
            w.string(s);
        } else if (v instanceof Long l) {
            w.integer(l);
        } else if (v instanceof Integer i) {
            w.integer(i);
        } else if (v instanceof Double d) {
            w.float64(d);
        } else if (v instanceof Boolean b) {
            w.bool(b);
        } else {
            writeOther(w, v, depth);
        }
    }

    private static void writeOther(WireBuffer w, Object v, int depth) {
        switch (KINDS.get(v.getClass())) {
            case STRING -> w.string((String) v);
            case LONG -> w.integer((Long) v);
            case INTEGER -> w.integer((Integer) v);
            case SHORT -> w.integer((Short) v);
            case BYTE -> w.integer((Byte) v);
            case DOUBLE -> w.float64((Double) v);
            case FLOAT -> w.float64((Float) v);
            case BOOLEAN -> w.bool((Boolean) v);
            case BIG_INTEGER -> writeBigInteger(w, (BigInteger) v);
            case BYTES -> w.binary((byte[]) v);
            case LIST -> writeList(w, (List<?>) v, depth);
            case MAP -> writeMap(w, (Map<?, ?>) v, depth);
            case SET -> writeSet(w, (Set<?>) v, depth);
            case TUPLE -> writeTuple(w, (PyTuple) v, depth);
            case NDARRAY -> writeNdArray(w, (NdArray) v, depth);
            case HANDLE -> writeHandle(w, (Handle) v, depth);
            case HANDLE_REF -> {
                Handle h = ((HandleRef) v).handle();
                if (h == null) {
                    throw new ProtocolException("the " + v.getClass().getName() + " has no handle to send");
                }
                writeHandle(w, h, depth);
            }
            case ERROR -> writeError(w, (RemoteError) v, depth);
            case COMPLEX -> writeComplex(w, (PyComplex) v);
            case DATE -> writeDate(w, (LocalDate) v);
            case TIME -> writeTime(w, (LocalTime) v, null);
            case OFFSET_TIME -> writeTime(w, ((OffsetTime) v).toLocalTime(), ((OffsetTime) v).getOffset());
            case DATETIME -> writeDateTime(w, (LocalDateTime) v, null);
            case OFFSET_DATETIME -> {
                OffsetDateTime t = (OffsetDateTime) v;
                writeDateTime(w, t.toLocalDateTime(), t.getOffset());
            }
            case ZONED_DATETIME -> {
                ZonedDateTime t = (ZonedDateTime) v;
                writeDateTime(w, t.toLocalDateTime(), t.getOffset());
            }
            case INSTANT -> writeInstant(w, (Instant) v);
            case DURATION -> writeDuration(w, (Duration) v);
            case DOUBLES -> {
                double[] a = (double[]) v;
                int n = bytesOf(a.length, 8);
                writeNdArrayHeader(w, "<f8", a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(a);
                w.pos += n;
            }
            case LONGS -> {
                long[] a = (long[]) v;
                int n = bytesOf(a.length, 8);
                writeNdArrayHeader(w, "<i8", a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(a);
                w.pos += n;
            }
            case INTS -> {
                int[] a = (int[]) v;
                int n = bytesOf(a.length, 4);
                writeNdArrayHeader(w, "<i4", a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(a);
                w.pos += n;
            }
            case FLOATS -> {
                float[] a = (float[]) v;
                int n = bytesOf(a.length, 4);
                writeNdArrayHeader(w, "<f4", a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(a);
                w.pos += n;
            }
            case BOOLEANS -> {
                boolean[] a = (boolean[]) v;
                writeNdArrayHeader(w, "|b1", a.length, a.length, depth);
                byte[] b = w.buf;
                int p = w.pos;
                for (boolean x : a) {
                    b[p++] = x ? (byte) 1 : 0;
                }
                w.pos = p;
            }
            case UNSUPPORTED -> throw new ProtocolException("cannot encode a value of type " + v.getClass().getName());
        }
    }

    private static int bytesOf(int length, int itemSize) {
        long n = (long) length * itemSize;
        if (n > Integer.MAX_VALUE - 64) {
            throw new ProtocolException("array of " + length + " items is too large to encode");
        }
        return (int) n;
    }

    private static void checkDepth(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new ProtocolException("value nested deeper than " + MAX_DEPTH + " containers");
        }
    }

    private static ProtocolException changed(Object container) {
        return new ProtocolException("the " + container.getClass().getName() + " changed while it was encoded");
    }

    private static void writeBigInteger(WireBuffer w, BigInteger b) {
        int bits = b.bitLength();
        if (bits <= 63) {
            w.integer(b.longValue());
        } else if (bits == 64 && b.signum() > 0) {
            w.uint64(b.longValue());
        } else {
            byte[] bytes = b.toByteArray();
            w.extHeader(ExtCodes.BIG_INT, bytes.length);
            w.writeBytes(bytes, 0, bytes.length);
        }
    }

    static void writeList(WireBuffer w, List<?> list, int depth) {
        checkDepth(depth);
        int n = list.size();
        w.arrayHeader(n);
        if (list instanceof RandomAccess) {
            for (int i = 0; i < n; i++) {
                write(w, list.get(i), depth + 1);
            }
            if (list.size() != n) {
                throw changed(list);
            }
        } else {
            Iterator<?> it = list.iterator();
            for (int i = 0; i < n; i++) {
                if (!it.hasNext()) {
                    throw changed(list);
                }
                write(w, it.next(), depth + 1);
            }
            if (it.hasNext()) {
                throw changed(list);
            }
        }
    }

    static void writeMap(WireBuffer w, Map<?, ?> map, int depth) {
        checkDepth(depth);
        int n = map.size();
        w.mapHeader(n);
        int count = 0;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (++count > n) {
                throw changed(map);
            }
            write(w, e.getKey(), depth + 1);
            write(w, e.getValue(), depth + 1);
        }
        if (count != n) {
            throw changed(map);
        }
    }

    private static void writeTuple(WireBuffer w, PyTuple t, int depth) {
        checkDepth(depth);
        int mark = w.beginExt();
        for (Object item : t.items()) {
            write(w, item, depth + 1);
        }
        w.endExt(mark, ExtCodes.TUPLE);
    }

    /** Items sorted by their encoded bytes (unsigned lexicographic); identical encodings written once. */
    private static void writeSet(WireBuffer w, Set<?> set, int depth) {
        checkDepth(depth);
        int mark = w.beginExt();
        int n = set.size();
        int[] starts = new int[n + 1];
        int count = 0;
        for (Object item : set) {
            if (count == n) {
                throw changed(set);
            }
            starts[count++] = w.pos;
            write(w, item, depth + 1);
        }
        if (count != n) {
            throw changed(set);
        }
        starts[n] = w.pos;
        if (n > 1) {
            sortItems(w, starts, n);
        }
        w.endExt(mark, ExtCodes.SET);
    }

    private static void sortItems(WireBuffer w, int[] starts, int n) {
        int base = starts[0];
        byte[] copy = Arrays.copyOfRange(w.buf, base, starts[n]);
        Integer[] order = new Integer[n];
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            order[i] = i;
            if (i > 0 && compare(copy, starts, base, i - 1, i) >= 0) {
                sorted = false;
            }
        }
        if (sorted) {
            return;
        }
        Arrays.sort(order, (a, b) -> compare(copy, starts, base, a, b));
        int p = base;
        int prev = -1;
        for (int k : order) {
            if (prev >= 0 && compare(copy, starts, base, prev, k) == 0) {
                continue;
            }
            int len = starts[k + 1] - starts[k];
            System.arraycopy(copy, starts[k] - base, w.buf, p, len);
            p += len;
            prev = k;
        }
        w.pos = p;
    }

    private static int compare(byte[] copy, int[] starts, int base, int a, int b) {
        return Arrays.compareUnsigned(copy, starts[a] - base, starts[a + 1] - base,
                copy, starts[b] - base, starts[b + 1] - base);
    }

    private static void writeNdArray(WireBuffer w, NdArray a, int depth) {
        checkDepth(depth);
        byte[] data = a.dataRef();
        long[] shape = a.shapeRef();
        long payload = 1 + WireBuffer.strHeaderSize(a.dtype().length()) + a.dtype().length()
                + WireBuffer.arrayHeaderSize(shape.length) + WireBuffer.binHeaderSize(data.length) + data.length;
        for (long d : shape) {
            payload += WireBuffer.integerSize(d);
        }
        w.extHeader(ExtCodes.NDARRAY, checkedPayload(payload));
        w.arrayHeader(3);
        w.string(a.dtype());
        w.arrayHeader(shape.length);
        for (long d : shape) {
            w.integer(d);
        }
        w.binary(data);
    }

    /** The ext header and fields of a 1-d array of {@code nbytes} data bytes, leaving room for the data. */
    private static void writeNdArrayHeader(WireBuffer w, String dtype, int length, int nbytes, int depth) {
        checkDepth(depth);
        long payload = 1 + 1 + dtype.length() + 1 + WireBuffer.integerSize(length)
                + WireBuffer.binHeaderSize(nbytes) + nbytes;
        w.extHeader(ExtCodes.NDARRAY, checkedPayload(payload));
        w.arrayHeader(3);
        w.string(dtype);
        w.arrayHeader(1);
        w.integer(length);
        w.binHeader(nbytes);
        w.ensure(nbytes);
    }

    private static int checkedPayload(long payload) {
        if (payload > Integer.MAX_VALUE - 64) {
            throw new ProtocolException("ndarray too large to encode");
        }
        return (int) payload;
    }

    private static void writeHandle(WireBuffer w, Handle h, int depth) {
        checkDepth(depth);
        w.noteHandle(h);
        int mark = w.beginExt();
        w.arrayHeader(5);
        w.string(h.node());
        w.string(h.worker());
        w.integer(h.generation());
        w.integer(h.id());
        w.string(h.type());
        w.endExt(mark, ExtCodes.HANDLE);
    }

    private static void writeError(WireBuffer w, RemoteError e, int depth) {
        checkDepth(depth);
        int mark = w.beginExt();
        w.arrayHeader(4);
        w.string(e.kind());
        w.string(e.type());
        w.string(e.message());
        w.string(e.traceback());
        w.endExt(mark, ExtCodes.ERROR);
    }

    private static void writeComplex(WireBuffer w, PyComplex c) {
        w.extHeader(ExtCodes.COMPLEX, ExtCodes.COMPLEX_SIZE);
        w.rawLong(Double.doubleToRawLongBits(c.real()));
        w.rawLong(Double.doubleToRawLongBits(c.imag()));
    }

    private static void checkYear(int year) {
        if (year < MIN_YEAR || year > MAX_YEAR) {
            throw new ProtocolException("year " + year + " is outside Python's range " + MIN_YEAR + ".." + MAX_YEAR);
        }
    }

    private static void writeDate(WireBuffer w, LocalDate d) {
        checkYear(d.getYear());
        w.extHeader(ExtCodes.DATE, ExtCodes.DATE_SIZE);
        w.rawShort(d.getYear());
        w.ensure(2);
        w.buf[w.pos++] = (byte) d.getMonthValue();
        w.buf[w.pos++] = (byte) d.getDayOfMonth();
    }

    private static void writeClock(WireBuffer w, LocalTime t) {
        w.ensure(3);
        w.buf[w.pos++] = (byte) t.getHour();
        w.buf[w.pos++] = (byte) t.getMinute();
        w.buf[w.pos++] = (byte) t.getSecond();
        w.rawInt(t.getNano() / 1000);
    }

    private static void writeTime(WireBuffer w, LocalTime t, ZoneOffset offset) {
        w.extHeader(ExtCodes.TIME, offset == null ? ExtCodes.TIME_SIZE : ExtCodes.TIME_SIZE + ExtCodes.OFFSET_SIZE);
        writeClock(w, t);
        if (offset != null) {
            w.rawInt(offset.getTotalSeconds());
        }
    }

    private static void writeDateTime(WireBuffer w, LocalDateTime t, ZoneOffset offset) {
        checkYear(t.getYear());
        w.extHeader(ExtCodes.DATETIME,
                offset == null ? ExtCodes.DATETIME_SIZE : ExtCodes.DATETIME_SIZE + ExtCodes.OFFSET_SIZE);
        w.rawShort(t.getYear());
        w.ensure(2);
        w.buf[w.pos++] = (byte) t.getMonthValue();
        w.buf[w.pos++] = (byte) t.getDayOfMonth();
        writeClock(w, t.toLocalTime());
        if (offset != null) {
            w.rawInt(offset.getTotalSeconds());
        }
    }

    private static void writeInstant(WireBuffer w, Instant i) {
        OffsetDateTime t;
        try {
            t = i.atOffset(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            throw new ProtocolException("instant " + i + " is outside Python's datetime range", e);
        }
        writeDateTime(w, t.toLocalDateTime(), ZoneOffset.UTC);
    }

    /** Truncated toward zero to whole microseconds (as {@code Duration.truncatedTo(MICROS)}), then normalised. */
    private static void writeDuration(WireBuffer w, Duration d) {
        long seconds = d.getSeconds();
        int nanos = d.getNano();
        int micros = nanos / 1000;
        if (seconds < 0 && nanos % 1000 != 0) {
            // a negative duration: truncating toward zero rounds the (positive) nano part up
            if (++micros == 1_000_000) {
                micros = 0;
                seconds++;
            }
        }
        long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        if (days < -MAX_TIMEDELTA_DAYS || days > MAX_TIMEDELTA_DAYS) {
            throw new ProtocolException("duration " + d + " is outside Python's timedelta range");
        }
        w.extHeader(ExtCodes.TIMEDELTA, ExtCodes.TIMEDELTA_SIZE);
        w.rawInt((int) days);
        w.rawInt(Math.floorMod(seconds, SECONDS_PER_DAY));
        w.rawInt(micros);
    }

    // ------------------------------------------------------------------------------------------ decoding

    /**
     * Reads one value from {@code u}.
     *
     * @throws ProtocolException for malformed or truncated input
     * @throws IOException       if the unpacker's input fails
     */
    public static Object decode(MessageUnpacker u) throws IOException {
        try {
            return new Reader(u, Long.MAX_VALUE).read(0);
        } catch (MessageInsufficientBufferException e) {
            throw new ProtocolException("truncated msgpack input at byte " + u.getTotalReadBytes(), e);
        } catch (MessagePackException e) {
            throw new ProtocolException("malformed msgpack at byte " + u.getTotalReadBytes() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes {@code bytes}, which must hold exactly one msgpack object.
     *
     * @throws ProtocolException for malformed, truncated or trailing input
     */
    public static Object decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * Decodes {@code bytes[off, off + len)}, which must hold exactly one msgpack object.
     *
     * @throws ProtocolException for malformed, truncated or trailing input
     */
    public static Object decode(byte[] bytes, int off, int len) {
        return decode(bytes, off, len, null);
    }

    /**
     * {@link #decode(byte[], int, int)} where every handle met is replaced by what
     * {@code handles} makes of it (the node wraps them into releasing objects in the same
     * walk); null keeps them as {@link Handle}s.
     */
    public static Object decode(byte[] bytes, int off, int len, Function<Handle, Object> handles) {
        MessageUnpacker u = MessagePack.DEFAULT_UNPACKER_CONFIG.newUnpacker(new ArrayBufferInput(bytes, off, len));
        try {
            Object v = new Reader(u, len, handles).read(0);
            if (u.getTotalReadBytes() != len) {
                throw new ProtocolException("trailing bytes: the value ends at byte " + u.getTotalReadBytes()
                        + " of " + len);
            }
            return v;
        } catch (MessageInsufficientBufferException e) {
            throw new ProtocolException("truncated msgpack input at byte " + u.getTotalReadBytes() + " of " + len, e);
        } catch (MessagePackException e) {
            throw new ProtocolException("malformed msgpack at byte " + u.getTotalReadBytes() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProtocolException("cannot read msgpack: " + e, e);
        }
    }

    /** One decoding pass: the unpacker, and where its input ends if known. */
    private static final class Reader {
        private final MessageUnpacker u;
        /** Total input size, or Long.MAX_VALUE when unknown. */
        private final long end;
        private final byte[] scratch = new byte[16];
        private final Function<Handle, Object> handles;

        Reader(MessageUnpacker u, long end) {
            this(u, end, null);
        }

        Reader(MessageUnpacker u, long end, Function<Handle, Object> handles) {
            this.u = u;
            this.end = end;
            this.handles = handles;
        }

        private long position() {
            return u.getTotalReadBytes();
        }

        private long remaining() {
            return end - u.getTotalReadBytes();
        }

        private ProtocolException truncated(String what, long need) {
            return new ProtocolException("truncated msgpack input: " + what + " declares " + need
                    + " bytes at byte " + position() + ", only " + remaining() + " remain");
        }

        Object read(int depth) throws IOException {
            MessageFormat f = u.getNextFormat();
            switch (f) {
                case NIL:
                    u.unpackNil();
                    return null;
                case BOOLEAN:
                    return u.unpackBoolean();
                case POSFIXINT: case NEGFIXINT: case UINT8: case UINT16: case UINT32:
                case INT8: case INT16: case INT32: case INT64:
                    return u.unpackLong();
                case UINT64: {
                    BigInteger b = u.unpackBigInteger();
                    return b.bitLength() < 64 ? (Object) b.longValue() : b;
                }
                case FLOAT32: case FLOAT64:
                    return u.unpackDouble();
                case FIXSTR: case STR8: case STR16: case STR32:
                    return readString();
                case BIN8: case BIN16: case BIN32:
                    return readBytes(u.unpackBinaryHeader(), "bin");
                case FIXARRAY: case ARRAY16: case ARRAY32:
                    return readArray(depth);
                case FIXMAP: case MAP16: case MAP32:
                    return readMap(depth);
                case FIXEXT1: case FIXEXT2: case FIXEXT4: case FIXEXT8: case FIXEXT16:
                case EXT8: case EXT16: case EXT32:
                    return readExt(depth);
                default:
                    throw new ProtocolException("invalid msgpack type byte 0xc1 at byte " + position());
            }
        }

        private String readString() throws IOException {
            // unpackString decodes as the bytes arrive, so a bogus length cannot make it allocate ahead
            return u.unpackString();
        }

        private byte[] readBytes(int n, String what) throws IOException {
            if (n > remaining()) {
                throw truncated(what, n);
            }
            if (n <= CHUNK || end != Long.MAX_VALUE) {
                byte[] b = new byte[n];
                u.readPayload(b);
                return b;
            }
            // unknown input size: grow only as the bytes actually arrive
            byte[] b = new byte[CHUNK];
            int got = 0;
            while (got < n) {
                if (got == b.length) {
                    b = Arrays.copyOf(b, (int) Math.min(n, 2L * b.length));
                }
                int k = Math.min(n - got, b.length - got);
                u.readPayload(b, got, k);
                got += k;
            }
            return b;
        }

        private int initialCapacity(int n, int minItemSize) {
            if (end == Long.MAX_VALUE) {
                return Math.min(n, UNKNOWN_SIZE_CAP);
            }
            if ((long) n * minItemSize > remaining()) {
                throw new ProtocolException("truncated msgpack input: a container of " + n + " items at byte "
                        + position() + " cannot fit in the " + remaining() + " bytes that remain");
            }
            return n;
        }

        private List<Object> readArray(int depth) throws IOException {
            checkDepth(depth);
            int n = u.unpackArrayHeader();
            ArrayList<Object> list = new ArrayList<>(initialCapacity(n, 1));
            for (int i = 0; i < n; i++) {
                list.add(read(depth + 1));
            }
            return list;
        }

        private Map<Object, Object> readMap(int depth) throws IOException {
            checkDepth(depth);
            int n = u.unpackMapHeader();
            int cap = initialCapacity(n, 2);
            LinkedHashMap<Object, Object> map = new LinkedHashMap<>((int) Math.min(cap * 4L / 3 + 1, 1 << 30));
            for (int i = 0; i < n; i++) {
                Object k = read(depth + 1);
                map.put(k, read(depth + 1));
            }
            return map;
        }

        private Object readExt(int depth) throws IOException {
            var h = u.unpackExtensionTypeHeader();
            byte type = h.getType();
            int len = h.getLength();
            if (len > remaining()) {
                throw truncated("ext " + type, len);
            }
            switch (type) {
                case ExtCodes.BIG_INT: {
                    if (len == 0) {
                        throw new ProtocolException("ext 1 (big int) with an empty payload");
                    }
                    BigInteger b = new BigInteger(readBytes(len, "ext 1"));
                    return b.bitLength() < 64 ? (Object) b.longValue() : b;
                }
                case ExtCodes.TUPLE: {
                    checkDepth(depth);
                    long stop = position() + len;
                    ArrayList<Object> items = new ArrayList<>();
                    while (position() < stop) {
                        items.add(read(depth + 1));
                    }
                    expectEnd(stop, "tuple");
                    return new PyTuple(items);
                }
                case ExtCodes.SET: {
                    checkDepth(depth);
                    long stop = position() + len;
                    LinkedHashSet<Object> items = new LinkedHashSet<>();
                    while (position() < stop) {
                        items.add(read(depth + 1));
                    }
                    expectEnd(stop, "set");
                    return items;
                }
                case ExtCodes.DATE:
                    return readDate(len);
                case ExtCodes.TIME:
                    return readTime(len);
                case ExtCodes.DATETIME:
                    return readDateTime(len);
                case ExtCodes.TIMEDELTA:
                    return readTimedelta(len);
                case ExtCodes.NDARRAY:
                    checkDepth(depth);
                    return readNdArray(len);
                case ExtCodes.HANDLE:
                    checkDepth(depth);
                    return handles == null ? readHandle(len) : handles.apply(readHandle(len));
                case ExtCodes.ERROR:
                    checkDepth(depth);
                    return readError(len);
                case ExtCodes.COMPLEX: {
                    fixed(len, ExtCodes.COMPLEX_SIZE, "complex");
                    ByteBuffer b = ByteBuffer.wrap(scratch);
                    return new PyComplex(b.getDouble(0), b.getDouble(8));
                }
                default:
                    throw new ProtocolException("unknown ext code " + type + " (" + len + " bytes) at byte " + position());
            }
        }

        private void expectEnd(long stop, String what) {
            if (position() != stop) {
                throw new ProtocolException("malformed " + what + " ext: its items overrun the declared payload by "
                        + (position() - stop) + " bytes");
            }
        }

        /** Checks the payload length and reads it into {@link #scratch}. */
        private void fixed(int len, int expected, String what) throws IOException {
            if (len != expected) {
                throw new ProtocolException("malformed " + what + " ext: payload of " + len + " bytes, expected "
                        + expected);
            }
            u.readPayload(scratch, 0, len);
        }

        private void fixed(int len, int naive, int aware, String what) throws IOException {
            if (len != naive && len != aware) {
                throw new ProtocolException("malformed " + what + " ext: payload of " + len + " bytes, expected "
                        + naive + " or " + aware);
            }
            u.readPayload(scratch, 0, len);
        }

        private int u8(int i) {
            return scratch[i] & 0xff;
        }

        private int int16(int i) {
            return (short) ((scratch[i] << 8) | (scratch[i + 1] & 0xff));
        }

        private int int32(int i) {
            return (scratch[i] << 24) | ((scratch[i + 1] & 0xff) << 16) | ((scratch[i + 2] & 0xff) << 8)
                    | (scratch[i + 3] & 0xff);
        }

        private int year(int i) {
            int year = int16(i);
            if (year < MIN_YEAR || year > MAX_YEAR) {
                throw new ProtocolException("year " + year + " is outside Python's range " + MIN_YEAR + ".." + MAX_YEAR);
            }
            return year;
        }

        private LocalTime clock(int i) {
            long micros = int32(i + 3) & 0xffffffffL;
            if (micros >= 1_000_000) {
                throw new ProtocolException("malformed time: " + micros + " microseconds");
            }
            return LocalTime.of(u8(i), u8(i + 1), u8(i + 2), (int) micros * 1000);
        }

        private ZoneOffset offset(int i) {
            return ZoneOffset.ofTotalSeconds(int32(i));
        }

        private LocalDate readDate(int len) throws IOException {
            fixed(len, ExtCodes.DATE_SIZE, "date");
            try {
                return LocalDate.of(year(0), u8(2), u8(3));
            } catch (DateTimeException e) {
                throw new ProtocolException("malformed date: " + e.getMessage(), e);
            }
        }

        private Object readTime(int len) throws IOException {
            fixed(len, ExtCodes.TIME_SIZE, ExtCodes.TIME_SIZE + ExtCodes.OFFSET_SIZE, "time");
            try {
                LocalTime t = clock(0);
                return len == ExtCodes.TIME_SIZE ? t : OffsetTime.of(t, offset(ExtCodes.TIME_SIZE));
            } catch (DateTimeException e) {
                throw new ProtocolException("malformed time: " + e.getMessage(), e);
            }
        }

        private Object readDateTime(int len) throws IOException {
            fixed(len, ExtCodes.DATETIME_SIZE, ExtCodes.DATETIME_SIZE + ExtCodes.OFFSET_SIZE, "datetime");
            try {
                LocalDateTime t = LocalDateTime.of(LocalDate.of(year(0), u8(2), u8(3)), clock(4));
                return len == ExtCodes.DATETIME_SIZE ? t : OffsetDateTime.of(t, offset(ExtCodes.DATETIME_SIZE));
            } catch (DateTimeException e) {
                throw new ProtocolException("malformed datetime: " + e.getMessage(), e);
            }
        }

        private Duration readTimedelta(int len) throws IOException {
            fixed(len, ExtCodes.TIMEDELTA_SIZE, "timedelta");
            int days = int32(0);
            int seconds = int32(4);
            int micros = int32(8);
            if (days < -MAX_TIMEDELTA_DAYS || days > MAX_TIMEDELTA_DAYS || seconds < 0 || seconds >= SECONDS_PER_DAY
                    || micros < 0 || micros >= 1_000_000) {
                throw new ProtocolException("malformed timedelta: days=" + days + ", seconds=" + seconds
                        + ", microseconds=" + micros + " is out of range or not normalised");
            }
            return Duration.ofSeconds((long) days * SECONDS_PER_DAY + seconds, micros * 1000L);
        }

        private NdArray readNdArray(int len) throws IOException {
            long stop = position() + len;
            expectArray(3, "ndarray");
            String dtype = u.unpackString();
            if (NdArray.itemSize(dtype) < 0) {
                throw new ProtocolException("unsupported ndarray dtype '" + dtype + "' (supported: " + NdArray.DTYPES + ")");
            }
            int ndim = u.unpackArrayHeader();
            if (ndim > NdArray.MAX_DIMS) {
                throw new ProtocolException("ndarray with " + ndim + " dimensions, at most " + NdArray.MAX_DIMS);
            }
            long[] shape = new long[ndim];
            for (int i = 0; i < ndim; i++) {
                shape[i] = u.unpackLong();
            }
            long expected;
            try {
                expected = NdArray.byteLength(dtype, shape);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("malformed ndarray: " + e.getMessage(), e);
            }
            int n = u.unpackBinaryHeader();
            if (n != expected) {
                throw new ProtocolException("malformed ndarray: " + dtype + " of shape " + Arrays.toString(shape)
                        + " needs " + expected + " data bytes, got " + n);
            }
            byte[] data = readBytes(n, "ndarray data");
            expectEnd(stop, "ndarray");
            return new NdArray(dtype, shape, data);
        }

        private Handle readHandle(int len) throws IOException {
            long stop = position() + len;
            expectArray(5, "handle");
            Handle h = new Handle(u.unpackString(), u.unpackString(), u.unpackLong(), u.unpackLong(), u.unpackString());
            expectEnd(stop, "handle");
            return h;
        }

        private RemoteError readError(int len) throws IOException {
            long stop = position() + len;
            expectArray(4, "error");
            RemoteError e = new RemoteError(u.unpackString(), u.unpackString(), u.unpackString(), u.unpackString());
            expectEnd(stop, "error");
            return e;
        }

        private void expectArray(int n, String what) throws IOException {
            int got = u.unpackArrayHeader();
            if (got != n) {
                throw new ProtocolException("malformed " + what + " ext: an array of " + got + " items, expected " + n);
            }
        }
    }
}

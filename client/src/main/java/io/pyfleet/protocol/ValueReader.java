package io.pyfleet.protocol;

import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * The reading half of the {@link ValueCodec}: msgpack to Java values, checking every length
 * against the input before allocating and nesting at most {@link ValueCodec#MAX_DEPTH} deep.
 */
final class ValueReader {
    private static final int UNKNOWN_SIZE_CAP = 1024;
    private static final int CHUNK = 1 << 20;
    private static final int MIN_YEAR = ValueCodec.MIN_YEAR;
    private static final int MAX_YEAR = ValueCodec.MAX_YEAR;
    private static final int MAX_TIMEDELTA_DAYS = ValueCodec.MAX_TIMEDELTA_DAYS;
    private static final int SECONDS_PER_DAY = ValueCodec.SECONDS_PER_DAY;
    private static final int MAX_DEPTH = ValueCodec.MAX_DEPTH;

    private ValueReader() {
    }

    /**
     * Reads one value from {@code u}.
     *
     * @throws ProtocolException for malformed or truncated input
     * @throws IOException       if the unpacker's input fails
     */
    static Object decode(MessageUnpacker u) throws IOException {
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
    static Object decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * Decodes {@code bytes[off, off + len)}, which must hold exactly one msgpack object.
     *
     * @throws ProtocolException for malformed, truncated or trailing input
     */
    static Object decode(byte[] bytes, int off, int len) {
        return decode(bytes, off, len, null);
    }

    /**
     * {@link #decode(byte[], int, int)} where every handle met is replaced by what
     * {@code handles} makes of it (the node wraps them into releasing objects in the same
     * walk); null keeps them as {@link Handle}s.
     */
    static Object decode(byte[] bytes, int off, int len, Function<Handle, Object> handles) {
        MessageUnpacker u = MsgpackInput.unpacker(bytes, off, len);
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
    static final class Reader {
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
            // Not unpackString: it gives every unpacker a 16 KiB char buffer on its first string, the
            // largest cost of decoding a small message. readBytes checks a bogus length before it
            // allocates; malformed UTF-8 becomes U+FFFD, as unpackString's default does.
            return new String(readBytes(u.unpackRawStringHeader(), "str"), StandardCharsets.UTF_8);
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
            ValueCodec.checkDepth(depth);
            int n = u.unpackArrayHeader();
            ArrayList<Object> list = new ArrayList<>(initialCapacity(n, 1));
            for (int i = 0; i < n; i++) {
                list.add(read(depth + 1));
            }
            return list;
        }

        private Map<Object, Object> readMap(int depth) throws IOException {
            ValueCodec.checkDepth(depth);
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
                    ValueCodec.checkDepth(depth);
                    long stop = position() + len;
                    ArrayList<Object> items = new ArrayList<>();
                    while (position() < stop) {
                        items.add(read(depth + 1));
                    }
                    expectEnd(stop, "tuple");
                    return new PyTuple(items);
                }
                case ExtCodes.SET: {
                    ValueCodec.checkDepth(depth);
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
                    ValueCodec.checkDepth(depth);
                    return readNdArray(len);
                case ExtCodes.HANDLE:
                    ValueCodec.checkDepth(depth);
                    return handles == null ? readHandle(len) : handles.apply(readHandle(len));
                case ExtCodes.ERROR:
                    ValueCodec.checkDepth(depth);
                    return readError(len, depth);
                case ExtCodes.ARRAY_REF: {
                    ValueCodec.checkDepth(depth);
                    ArrayRef ref = readArrayRef(len);
                    if (handles instanceof ArrayAdopter adopter) {
                        return adopter.adoptArray(ref);
                    }
                    throw new ProtocolException("an array reference (ext 12) is only valid between a node and its "
                            + "own workers; arrays travel by value everywhere else");
                }
                case ExtCodes.REMOTE_ARRAY: {
                    ValueCodec.checkDepth(depth);
                    RemoteArrayRef ref = readRemoteArray(len);
                    return handles instanceof RemoteArrayAdopter adopter ? adopter.adoptRemoteArray(ref) : ref;
                }
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
            String descr = u.unpackString();
            DType dtype = DType.ofDescr(descr);
            if (dtype == null) {
                throw new ProtocolException("unsupported ndarray dtype '" + descr + "' (supported: " + DType.DESCRS + ")");
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
                expected = ArrayRef.byteLength(dtype, shape);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("malformed ndarray: " + e.getMessage(), e);
            }
            int n = u.unpackBinaryHeader();
            if (n != expected) {
                throw new ProtocolException("malformed ndarray: " + descr + " of shape " + Arrays.toString(shape)
                        + " needs " + expected + " data bytes, got " + n);
            }
            byte[] data = readBytes(n, "ndarray data");
            expectEnd(stop, "ndarray");
            return ApiAccess.newNdArray(dtype, shape, data);
        }

        private Handle readHandle(int len) throws IOException {
            long stop = position() + len;
            expectArray(5, "handle");
            Handle h = new Handle(u.unpackString(), u.unpackString(), u.unpackLong(), u.unpackLong(), u.unpackString());
            expectEnd(stop, "handle");
            return h;
        }

        /** The dtype of an array reference (local or remote). */
        private DType readDType() throws IOException {
            String descr = u.unpackString();
            DType dtype = DType.ofDescr(descr);
            if (dtype == null) {
                throw new ProtocolException("unsupported array dtype '" + descr + "' (supported: " + DType.DESCRS + ")");
            }
            return dtype;
        }

        /** The shape of an array reference (local or remote), its dimensions bounded. */
        private long[] readShape() throws IOException {
            int ndim = u.unpackArrayHeader();
            if (ndim > ArrayRef.MAX_DIMS) {
                throw new ProtocolException("array with " + ndim + " dimensions, at most " + ArrayRef.MAX_DIMS);
            }
            long[] shape = new long[ndim];
            for (int i = 0; i < ndim; i++) {
                shape[i] = u.unpackLong();
            }
            return shape;
        }

        private ArrayRef readArrayRef(int len) throws IOException {
            long stop = position() + len;
            expectArray(4, "array reference");
            DType dtype = readDType();
            long[] shape = readShape();
            String source = u.unpackString();
            Object keeper;
            MessageFormat f = u.getNextFormat();
            if (f == MessageFormat.NIL) {
                u.unpackNil();
                keeper = null;
            } else if (f.getValueType() == org.msgpack.value.ValueType.STRING) {
                keeper = u.unpackString();
            } else {
                org.msgpack.core.ExtensionTypeHeader h = u.unpackExtensionTypeHeader();
                if (h.getType() != ExtCodes.HANDLE) {
                    throw new ProtocolException("array reference keeper must be nil, a string or a handle");
                }
                keeper = readHandle(h.getLength());
            }
            expectEnd(stop, "array reference");
            try {
                return new ArrayRef(dtype, shape, source, keeper);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("malformed array reference: " + e.getMessage(), e);
            }
        }

        private RemoteArrayRef readRemoteArray(int len) throws IOException {
            long stop = position() + len;
            expectArray(4, "remote array");
            DType dtype = readDType();
            long[] shape = readShape();
            String node = u.unpackString();
            long id = u.unpackLong();
            expectEnd(stop, "remote array");
            try {
                return new RemoteArrayRef(dtype, shape, node, id);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("malformed remote array: " + e.getMessage(), e);
            }
        }

        private RemoteError readError(int len, int depth) throws IOException {
            long stop = position() + len;
            // a plain reader: whatever an error holds is checked by its one decoder, never adopted
            Object fields = new Reader(u, end).read(depth + 1);
            expectEnd(stop, "error");
            return RemoteError.fromFields(fields);
        }

        private void expectArray(int n, String what) throws IOException {
            int got = u.unpackArrayHeader();
            if (got != n) {
                throw new ProtocolException("malformed " + what + " ext: an array of " + got + " items, expected " + n);
            }
        }
    }
}

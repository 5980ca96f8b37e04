package io.pyfleet.protocol;

import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.HandleRef;
import io.pyfleet.client.internal.RemoteError;
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
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;

/**
 * The writing half of the {@link ValueCodec}: Java values to msgpack, into a {@link WireBuffer}.
 * Containers nest at most {@link ValueCodec#MAX_DEPTH} deep (a cyclic value fails there).
 */
final class ValueWriter {
    private static final int MIN_YEAR = ValueCodec.MIN_YEAR;
    private static final int MAX_YEAR = ValueCodec.MAX_YEAR;
    private static final int MAX_TIMEDELTA_DAYS = ValueCodec.MAX_TIMEDELTA_DAYS;
    private static final int SECONDS_PER_DAY = ValueCodec.SECONDS_PER_DAY;
    private static final int MAX_DEPTH = ValueCodec.MAX_DEPTH;

    private ValueWriter() {
    }

    /** Kinds of Java values, resolved once per class. */
    private enum Kind {
        STRING, LONG, INTEGER, SHORT, BYTE, DOUBLE, FLOAT, BOOLEAN, BIG_INTEGER, BYTES, LIST, MAP, SET, TUPLE,
        NDARRAY, ARRAY_REF, REMOTE_ARRAY, HANDLE, ERROR, COMPLEX, DATE, TIME, OFFSET_TIME, DATETIME, OFFSET_DATETIME,
        ZONED_DATETIME, INSTANT, DURATION, DOUBLES, LONGS, INTS, FLOATS, SHORTS, BOOLEANS, HANDLE_REF, UNSUPPORTED
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
            } else if (c == PyArray.class) {
                return Kind.ARRAY_REF;
            } else if (c == RemoteArrayRef.class) {
                return Kind.REMOTE_ARRAY;
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
            } else if (c == short[].class) {
                return Kind.SHORTS;
            } else if (c == PyObject.class || HandleRef.class.isAssignableFrom(c)) {
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
            case NDARRAY -> {
                if (w.large == null || !w.large.write(w, v, ((NdArray) v).byteSize(), depth)) {
                    writeNdArray(w, (NdArray) v, depth);
                }
            }
            case ARRAY_REF -> writeArrayRef(w, (PyArray) v, depth);
            case REMOTE_ARRAY -> writeRemoteArray(w, (RemoteArrayRef) v, depth);
            case HANDLE -> writeHandle(w, (Handle) v, depth);
            case HANDLE_REF -> {
                Handle h = Handle.of(v);
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
                if (w.large != null && w.large.write(w, v, (long) a.length * 8, depth)) {
                    return;
                }
                int n = bytesOf(a.length, 8);
                writeNdArrayHeader(w, DType.FLOAT64.descr(), a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(a);
                w.pos += n;
            }
            case LONGS -> {
                long[] a = (long[]) v;
                if (w.large != null && w.large.write(w, v, (long) a.length * 8, depth)) {
                    return;
                }
                int n = bytesOf(a.length, 8);
                writeNdArrayHeader(w, DType.INT64.descr(), a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(a);
                w.pos += n;
            }
            case INTS -> {
                int[] a = (int[]) v;
                if (w.large != null && w.large.write(w, v, (long) a.length * 4, depth)) {
                    return;
                }
                int n = bytesOf(a.length, 4);
                writeNdArrayHeader(w, DType.INT32.descr(), a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(a);
                w.pos += n;
            }
            case FLOATS -> {
                float[] a = (float[]) v;
                if (w.large != null && w.large.write(w, v, (long) a.length * 4, depth)) {
                    return;
                }
                int n = bytesOf(a.length, 4);
                writeNdArrayHeader(w, DType.FLOAT32.descr(), a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(a);
                w.pos += n;
            }
            case SHORTS -> {
                short[] a = (short[]) v;
                if (w.large != null && w.large.write(w, v, (long) a.length * 2, depth)) {
                    return;
                }
                int n = bytesOf(a.length, 2);
                writeNdArrayHeader(w, DType.INT16.descr(), a.length, n, depth);
                ByteBuffer.wrap(w.buf, w.pos, n).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(a);
                w.pos += n;
            }
            case BOOLEANS -> {
                boolean[] a = (boolean[]) v;
                if (w.large != null && w.large.write(w, v, a.length, depth)) {
                    return;
                }
                writeNdArrayHeader(w, DType.BOOL.descr(), a.length, a.length, depth);
                byte[] b = w.buf;
                int p = w.pos;
                for (boolean x : a) {
                    b[p++] = x ? (byte) 1 : 0;
                }
                w.pos = p;
            }
            default -> throw new ProtocolException("cannot encode a value of type " + v.getClass().getName());
        }
    }

    private static int bytesOf(int length, int itemSize) {
        long n = (long) length * itemSize;
        if (n > Integer.MAX_VALUE - 64) {
            throw new ProtocolException("an array of " + length + " items is too large to encode (over 2 GiB, a Java "
                    + "array's limit): pass it as PyArray (fleet.array(DType, ByteBuffer, ...)), which never goes "
                    + "through the frame");
        }
        return (int) n;
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
        ValueCodec.checkDepth(depth);
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
        ValueCodec.checkDepth(depth);
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
        ValueCodec.checkDepth(depth);
        int mark = w.beginExt();
        for (Object item : t.items()) {
            write(w, item, depth + 1);
        }
        w.endExt(mark, ExtCodes.TUPLE);
    }

    /** Items sorted by their encoded bytes (unsigned lexicographic); identical encodings written once. */
    private static void writeSet(WireBuffer w, Set<?> set, int depth) {
        ValueCodec.checkDepth(depth);
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
        ValueCodec.checkDepth(depth);
        byte[] data = ApiAccess.bytes(a);
        long[] shape = a.shape();
        String descr = a.dtype().descr();
        long payload = 1 + WireBuffer.strHeaderSize(descr.length()) + descr.length()
                + WireBuffer.arrayHeaderSize(shape.length) + WireBuffer.binHeaderSize(data.length) + data.length;
        for (long d : shape) {
            payload += WireBuffer.integerSize(d);
        }
        w.extHeader(ExtCodes.NDARRAY, checkedPayload(payload));
        w.arrayHeader(3);
        w.string(descr);
        w.arrayHeader(shape.length);
        for (long d : shape) {
            w.integer(d);
        }
        w.binary(data);
    }

    private static void writeRemoteArray(WireBuffer w, RemoteArrayRef r, int depth) {
        ValueCodec.checkDepth(depth);
        long[] shape = r.shape();
        String descr = r.dtype().descr();
        long payload = 1 + WireBuffer.strHeaderSize(descr.length()) + descr.length()
                + WireBuffer.arrayHeaderSize(shape.length) + utf8(r.node()) + WireBuffer.integerSize(r.id());
        for (long d : shape) {
            payload += WireBuffer.integerSize(d);
        }
        w.extHeader(ExtCodes.REMOTE_ARRAY, checkedPayload(payload));
        w.arrayHeader(4);
        w.string(descr);
        w.arrayHeader(shape.length);
        for (long d : shape) {
            w.integer(d);
        }
        w.string(r.node());
        w.integer(r.id());
    }

    private static void writeArrayRef(WireBuffer w, PyArray a, int depth) {
        ValueCodec.checkDepth(depth);
        if (ApiAccess.memory(a).reference() instanceof RemoteArrayRef remote) {
            writeRemoteArray(w, remote, depth); // a gateway's array: its reference, never its bytes
            return;
        }
        if (a.onHeap()) {
            writeNdArray(w, a.toNdArray(), depth); // no node memory behind it: its bytes go by value
            return;
        }
        ArrayMemory memory = ApiAccess.memory(a);
        String source = memory.source();
        String name = memory.name();
        long[] shape = a.shape();
        String descr = a.dtype().descr();
        long payload = 1 + WireBuffer.strHeaderSize(descr.length()) + descr.length()
                + WireBuffer.arrayHeaderSize(shape.length) + utf8(source) + utf8(name);
        for (long d : shape) {
            payload += WireBuffer.integerSize(d);
        }
        w.extHeader(ExtCodes.ARRAY_REF, checkedPayload(payload));
        w.arrayHeader(4);
        w.string(descr);
        w.arrayHeader(shape.length);
        for (long d : shape) {
            w.integer(d);
        }
        w.string(source);
        w.string(name);
    }

    private static long utf8(String s) {
        int n = s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return WireBuffer.strHeaderSize(n) + n;
    }

    /** The ext header and fields of a 1-d array of {@code nbytes} data bytes, leaving room for the data. */
    private static void writeNdArrayHeader(WireBuffer w, String dtype, int length, int nbytes, int depth) {
        ValueCodec.checkDepth(depth);
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
            throw new ProtocolException("an ndarray of " + payload + " bytes is too large to encode (over 2 GiB, a "
                    + "Java array's limit): pass it as PyArray (fleet.array(DType, ByteBuffer, ...)), which never "
                    + "goes through the frame");
        }
        return (int) payload;
    }

    private static void writeHandle(WireBuffer w, Handle h, int depth) {
        ValueCodec.checkDepth(depth);
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
        ValueCodec.checkDepth(depth);
        int mark = w.beginExt();
        writeList(w, e.fields(), depth + 1);
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
}

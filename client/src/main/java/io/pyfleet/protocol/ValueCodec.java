package io.pyfleet.protocol;

import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.HandleRef;
import io.pyfleet.client.internal.RemoteError;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;

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

    /** Bin payloads larger than this are read gradually when the remaining input size is unknown. */

    static final int MIN_YEAR = 1;
    static final int MAX_YEAR = 9999;
    static final int MAX_TIMEDELTA_DAYS = 999_999_999;
    static final int SECONDS_PER_DAY = 86_400;

    private ValueCodec() {
    }

    /** Both directions refuse containers nested this deep (a cyclic Java value fails here too). */
    static void checkDepth(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new ProtocolException("value nested deeper than " + MAX_DEPTH + " containers (the protocol's "
                    + "fixed limit; or a container that holds itself): flatten it, or keep it in Python as an object");
        }
    }

    // ------------------------------------------------------------------------------------------ encoding

    /** Encodes {@code value} as one msgpack object. */
    public static byte[] encode(Object value) {
        WireBuffer w = WireBuffer.acquire();
        try {
            ValueWriter.write(w, value, 0);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }

    /** Writes {@code value} as one msgpack object to {@code p}. */
    public static void encode(MessagePacker p, Object value) throws IOException {
        WireBuffer w = WireBuffer.acquire();
        try {
            ValueWriter.write(w, value, 0);
            p.writePayload(w.buf, 0, w.pos);
        } finally {
            w.release();
        }
    }

    /** Writes {@code v} at nesting depth {@code depth} (the message builders' entry). */
    static void write(WireBuffer w, Object v, int depth) {
        ValueWriter.write(w, v, depth);
    }

    static void writeList(WireBuffer w, List<?> list, int depth) {
        ValueWriter.writeList(w, list, depth);
    }

    static void writeMap(WireBuffer w, Map<?, ?> map, int depth) {
        ValueWriter.writeMap(w, map, depth);
    }

    // ------------------------------------------------------------------------------------------ decoding

    /**
     * Reads one value from {@code u}.
     *
     * @throws ProtocolException for malformed or truncated input
     * @throws IOException       if the unpacker's input fails
     */
    public static Object decode(MessageUnpacker u) throws IOException {
        return ValueReader.decode(u);
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
        return ValueReader.decode(bytes, off, len, handles);
    }
}

package io.pyfleet.protocol;

/**
 * The msgpack extension type codes of the value model (spec/PROTOCOL.md, "Values").
 * This is the only place they are defined on the Java side.
 */
public final class ExtCodes {
    /** Integer outside [-2^63, 2^64-1]: two's-complement big-endian bytes. */
    public static final byte BIG_INT = 1;
    /** Tuple: the items encoded one after another. */
    public static final byte TUPLE = 2;
    /** Set: the items encoded one after another, sorted by their encoded bytes. */
    public static final byte SET = 3;
    /** Date: year int16, month u8, day u8. */
    public static final byte DATE = 4;
    /** Time: hour, minute, second u8, microsecond u32 (7 bytes), then an optional int32 UTC offset in seconds. */
    public static final byte TIME = 5;
    /** Datetime: year int16, month, day, hour, minute, second u8, microsecond u32 (11 bytes), then an optional int32 offset. */
    public static final byte DATETIME = 6;
    /** Timedelta: days, seconds, microseconds, int32 each, normalised as Python does. */
    public static final byte TIMEDELTA = 7;
    /** NumPy array: {@code [dtype, shape, data]}. */
    public static final byte NDARRAY = 8;
    /** Handle: {@code [node, worker, generation, id, type]}. */
    public static final byte HANDLE = 9;
    /** Error value: {@code [kind, type, message, traceback]}. */
    public static final byte ERROR = 10;
    /** Complex: real and imaginary float64. */
    public static final byte COMPLEX = 11;
    /**
     * NumPy array in shared memory on this host: {@code [dtype, shape, source, keeper]} (see
     * {@link ArrayRef}); valid only between a node and its own workers.
     */
    public static final byte ARRAY_REF = 12;
    /**
     * NumPy array a node keeps for a remote client: {@code [dtype, shape, node, id]} (see
     * {@link RemoteArrayRef}); only between a gateway and its clients, whose reads pull the bytes.
     */
    public static final byte REMOTE_ARRAY = 13;

    /** Payload size of a {@link #DATE}. */
    public static final int DATE_SIZE = 4;
    /** Payload size of a naive {@link #TIME}; an aware one has {@link #OFFSET_SIZE} more. */
    public static final int TIME_SIZE = 7;
    /** Payload size of a naive {@link #DATETIME}; an aware one has {@link #OFFSET_SIZE} more. */
    public static final int DATETIME_SIZE = 11;
    /** Size of the UTC offset that follows an aware time or datetime. */
    public static final int OFFSET_SIZE = 4;
    /** Payload size of a {@link #TIMEDELTA}. */
    public static final int TIMEDELTA_SIZE = 12;
    /** Payload size of a {@link #COMPLEX}. */
    public static final int COMPLEX_SIZE = 16;

    private ExtCodes() {
    }
}

package io.pyfleet.client;

import java.util.Arrays;
import java.util.List;

/**
 * The NumPy dtypes the wire carries, each by its NumPy {@code descr} (byte order and kind
 * and size: {@code <f8} is a little-endian float64): the element types of {@link NdArray} and
 * {@link PyArray}, and of {@link Fleet#array(DType, java.nio.ByteBuffer, long...)}.
 */
public enum DType {
    /** NumPy {@code bool}: one byte, 0 or 1. */
    BOOL("|b1", 1, Kind.BOOL),
    /** NumPy {@code int8}. */
    INT8("|i1", 1, Kind.SIGNED),
    /** NumPy {@code int16}, little-endian. */
    INT16("<i2", 2, Kind.SIGNED),
    /** NumPy {@code int32}, little-endian. */
    INT32("<i4", 4, Kind.SIGNED),
    /** NumPy {@code int64}, little-endian. */
    INT64("<i8", 8, Kind.SIGNED),
    /** NumPy {@code uint8}. */
    UINT8("|u1", 1, Kind.UNSIGNED),
    /** NumPy {@code uint16}, little-endian. */
    UINT16("<u2", 2, Kind.UNSIGNED),
    /** NumPy {@code uint32}, little-endian. */
    UINT32("<u4", 4, Kind.UNSIGNED),
    /** NumPy {@code uint64}, little-endian. */
    UINT64("<u8", 8, Kind.UNSIGNED),
    /** NumPy {@code float32}, little-endian. */
    FLOAT32("<f4", 4, Kind.FLOAT),
    /** NumPy {@code float64}, little-endian. */
    FLOAT64("<f8", 8, Kind.FLOAT),
    /** NumPy {@code complex128}: two float64, real then imaginary, little-endian. */
    COMPLEX128("<c16", 16, Kind.COMPLEX);

    /** What the elements are. */
    public enum Kind {
        /** Booleans. */
        BOOL,
        /** Signed integers. */
        SIGNED,
        /** Unsigned integers. */
        UNSIGNED,
        /** Floating-point numbers. */
        FLOAT,
        /** Complex numbers. */
        COMPLEX
    }

    /** Every descr, in declaration order. */
    public static final List<String> DESCRS = Arrays.stream(values()).map(DType::descr).toList();

    private final String descr;
    private final int itemSize;
    private final Kind kind;

    DType(String descr, int itemSize, Kind kind) {
        this.descr = descr;
        this.itemSize = itemSize;
        this.kind = kind;
    }

    /**
     * The NumPy {@code descr}.
     *
     * @return e.g. {@code <f8}
     */
    public String descr() {
        return descr;
    }

    /**
     * Bytes per element.
     *
     * @return 1, 2, 4, 8 or 16
     */
    public int itemSize() {
        return itemSize;
    }

    /**
     * What the elements are.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Whether the elements convert to {@code long} exactly (but large {@code uint64}).
     *
     * @return true for a boolean or integer dtype
     */
    public boolean isIntegral() {
        return kind == Kind.BOOL || kind == Kind.SIGNED || kind == Kind.UNSIGNED;
    }

    /**
     * The dtype of a descr.
     *
     * @param descr a NumPy {@code descr}, e.g. {@code <f8}
     * @return the dtype, or null when the wire does not carry it
     */
    public static DType ofDescr(String descr) {
        for (DType t : values()) {
            if (t.descr.equals(descr)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The dtype of a descr.
     *
     * @param descr a NumPy {@code descr}, e.g. {@code <f8}
     * @return the dtype
     * @throws IllegalArgumentException when the wire does not carry it
     */
    public static DType parse(String descr) {
        DType t = ofDescr(descr);
        if (t == null) {
            throw new IllegalArgumentException("unsupported ndarray dtype '" + descr + "' (supported: " + DESCRS + ")");
        }
        return t;
    }
}

package io.pyfleet.client;

import java.util.Arrays;
import java.util.List;

/**
 * The NumPy dtypes the wire carries, each by its NumPy {@code descr} (byte order and kind
 * and size: {@code <f8} is a little-endian float64): the element types of {@link NdArray} and
 * {@link PyArray}, and of {@link Fleet#array(DType, java.nio.ByteBuffer, long...)}.
 */
public enum DType {
    /** NumPy's {@code bool}. */
    BOOL("|b1", 1, Kind.BOOL, "bool"),
    /** NumPy's {@code int8}. */
    INT8("|i1", 1, Kind.SIGNED, "int8"),
    /** NumPy's {@code int16}. */
    INT16("<i2", 2, Kind.SIGNED, "int16"),
    /** NumPy's {@code int32}. */
    INT32("<i4", 4, Kind.SIGNED, "int32"),
    /** NumPy's {@code int64}. */
    INT64("<i8", 8, Kind.SIGNED, "int64"),
    /** NumPy's {@code uint8}. */
    UINT8("|u1", 1, Kind.UNSIGNED, "uint8"),
    /** NumPy's {@code uint16}. */
    UINT16("<u2", 2, Kind.UNSIGNED, "uint16"),
    /** NumPy's {@code uint32}. */
    UINT32("<u4", 4, Kind.UNSIGNED, "uint32"),
    /** NumPy's {@code uint64}. */
    UINT64("<u8", 8, Kind.UNSIGNED, "uint64"),
    /** NumPy's {@code float32}. */
    FLOAT32("<f4", 4, Kind.FLOAT, "float32"),
    /** NumPy's {@code float64}. */
    FLOAT64("<f8", 8, Kind.FLOAT, "float64"),
    /** NumPy's {@code complex128}. */
    COMPLEX128("<c16", 16, Kind.COMPLEX, "complex128");

    /** What the elements are. */
    public enum Kind {
        /** True or false. */
        BOOL,
        /** Signed integers. */
        SIGNED,
        /** Unsigned integers. */
        UNSIGNED,
        /** Real floating point numbers. */
        FLOAT,
        /** Complex numbers of two floating point parts. */
        COMPLEX
    }

    /** Every descr, in declaration order. */
    public static final List<String> DESCRS = Arrays.stream(values()).map(DType::descr).toList();

    private final String descr;
    private final int itemSize;
    private final Kind kind;
    private final String numpyName;

    DType(String descr, int itemSize, Kind kind, String numpyName) {
        this.descr = descr;
        this.itemSize = itemSize;
        this.kind = kind;
        this.numpyName = numpyName;
    }

    /**
     * NumPy's name of the dtype, as its {@code repr} writes it: {@code float64}, {@code int32}, {@code bool}.
     *
     * @return the name, e.g. {@code float64}
     */
    public String numpyName() {
        return numpyName;
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
     * @return what the elements are
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

package io.pyfleet.client;

import java.util.Arrays;
import java.util.List;

/**
 * The NumPy dtypes the wire carries, each by its NumPy {@code descr} (byte order and kind
 * and size: {@code <f8} is a little-endian float64). The one place a dtype is named: the
 * codec, {@link NdArray}, the CLI's renderer and (next) shared-memory arrays use it.
 */
public enum DType {
    BOOL("|b1", 1, Kind.BOOL),
    INT8("|i1", 1, Kind.SIGNED),
    INT16("<i2", 2, Kind.SIGNED),
    INT32("<i4", 4, Kind.SIGNED),
    INT64("<i8", 8, Kind.SIGNED),
    UINT8("|u1", 1, Kind.UNSIGNED),
    UINT16("<u2", 2, Kind.UNSIGNED),
    UINT32("<u4", 4, Kind.UNSIGNED),
    UINT64("<u8", 8, Kind.UNSIGNED),
    FLOAT32("<f4", 4, Kind.FLOAT),
    FLOAT64("<f8", 8, Kind.FLOAT),
    COMPLEX128("<c16", 16, Kind.COMPLEX);

    /** What the elements are. */
    public enum Kind { BOOL, SIGNED, UNSIGNED, FLOAT, COMPLEX }

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

    /** The NumPy {@code descr}, e.g. {@code <f8}. */
    public String descr() {
        return descr;
    }

    /** Bytes per element. */
    public int itemSize() {
        return itemSize;
    }

    public Kind kind() {
        return kind;
    }

    /** Boolean or integer: the elements convert to {@code long} exactly (but large {@code uint64}). */
    public boolean isIntegral() {
        return kind == Kind.BOOL || kind == Kind.SIGNED || kind == Kind.UNSIGNED;
    }

    /** The dtype of a descr, or null when the wire does not carry it. */
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

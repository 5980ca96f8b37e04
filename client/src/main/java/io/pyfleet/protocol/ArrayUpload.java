package io.pyfleet.protocol;

import io.pyfleet.client.DType;
import io.pyfleet.client.ProtocolException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The gateway's upload ops (spec/PROTOCOL.md, "Remote arrays"): a client puts an array in the
 * memory of the node it is connected to with {@code array_new [dtype, shape]}, answered with the
 * remote array (ext 13) that names it, then writes its bytes in order with {@code array_write
 * [array, offset, bytes]}, each answered with the bytes written so far. Each shape has its one
 * encoder here and its one decoder.
 */
public final class ArrayUpload {
    /** Allocates an array for the bytes that follow. */
    public static final String NEW = "array_new";
    /** Writes the next bytes of an array being uploaded. */
    public static final String WRITE = "array_write";

    /** The end of an {@code array_write} request after its bytes: nil kwargs and opts. */
    private static final byte[] WRITE_END = {(byte) 0xc0, (byte) 0xc0};

    private ArrayUpload() {
    }

    /**
     * {@code array_new}'s args.
     *
     * @param dtype    the element type
     * @param shape    the dimensions (empty for 0-d)
     * @param argument a call's argument uploaded for it: the node never reuses its memory for another array
     *                 (Python code may keep what it was passed)
     */
    public record New(DType dtype, long[] shape, boolean argument) {
        /** Checks and copies the shape. */
        public New {
            shape = shape.clone();
            ArrayRef.byteLength(dtype, shape);
        }

        /**
         * An array the client keeps ({@code Fleet.array}).
         *
         * @param dtype the element type
         * @param shape the dimensions (empty for 0-d)
         */
        public New(DType dtype, long[] shape) {
            this(dtype, shape, false);
        }

        /** A copy of the dimensions. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The size in bytes. */
        public long byteLength() {
            return ArrayRef.byteLength(dtype, shape);
        }

        /** The request's args: {@code [dtype descr, [dims...]]}, then {@code true} for a call's argument. */
        public List<Object> args() {
            List<Object> dims = new ArrayList<>(shape.length);
            for (long d : shape) {
                dims.add(d);
            }
            return argument ? List.of(dtype.descr(), dims, true) : List.of(dtype.descr(), dims);
        }

        /**
         * Reads the args of a request.
         *
         * @throws ProtocolException when they are not a known dtype and a shape, and optionally a bool
         */
        public static New parse(List<?> args) {
            if (args.size() < 2 || args.size() > 3 || !(args.get(0) instanceof String descr)
                    || !(args.get(1) instanceof List<?> dims) || args.size() == 3 && !(args.get(2) instanceof Boolean)) {
                throw new ProtocolException(NEW + " takes [dtype, shape] or [dtype, shape, argument (bool)]");
            }
            boolean argument = args.size() == 3 && (Boolean) args.get(2);
            DType dtype = DType.ofDescr(descr);
            if (dtype == null) {
                throw new ProtocolException(NEW + ": unsupported dtype '" + descr + "' (supported: " + DType.DESCRS + ")");
            }
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                if (!(dims.get(i) instanceof Long d)) {
                    throw new ProtocolException(NEW + ": a shape holds ints, not " + dims.get(i));
                }
                shape[i] = d;
            }
            try {
                return new New(dtype, shape, argument);
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(NEW + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof New n && dtype == n.dtype && Arrays.equals(shape, n.shape) && argument == n.argument;
        }

        @Override
        public int hashCode() {
            return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Boolean.hashCode(argument);
        }

        @Override
        public String toString() {
            return "New[" + dtype.descr() + " " + Arrays.toString(shape) + (argument ? " argument" : "") + "]";
        }
    }

    /**
     * {@code array_write}'s args.
     *
     * @param array  the array being uploaded
     * @param offset where the bytes go: the number written before them
     * @param bytes  the next bytes
     */
    public record Write(RemoteArrayRef array, long offset, byte[] bytes) {
        /**
         * Reads the args of a request.
         *
         * @throws ProtocolException when they are not a remote array, an offset of 0 or more and bytes
         */
        public static Write parse(List<?> args) {
            if (args.size() != 3 || !(args.get(0) instanceof RemoteArrayRef array) || !(args.get(1) instanceof Long offset)
                    || offset < 0 || !(args.get(2) instanceof byte[] bytes)) {
                throw new ProtocolException(WRITE + " takes [array, offset >= 0, bytes]");
            }
            return new Write(array, offset, bytes);
        }
    }

    /**
     * The tail of an {@code array_write} request up to its bytes (see {@link EncodedCall#tail()}):
     * the request is this, then the {@code length} bytes themselves, then {@link #writeEnd()}. The
     * bytes are written from where they are, never copied into an encoding.
     */
    public static byte[] writeHead(RemoteArrayRef array, long offset, int length) {
        WireBuffer w = WireBuffer.acquire();
        try {
            w.string(WRITE);
            w.nil();
            w.arrayHeader(3);
            ValueCodec.write(w, array, 1);
            w.integer(offset);
            w.binHeader(length);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }

    /** What follows an {@code array_write}'s bytes. */
    public static byte[] writeEnd() {
        return WRITE_END.clone();
    }

    /** The bytes of an {@code array_write} request around its data: what a chunk must leave of a frame. */
    public static int writeOverhead(RemoteArrayRef array) {
        return Frames.REQUEST_HEAD_MAX + writeHead(array, Long.MAX_VALUE, Integer.MAX_VALUE).length + WRITE_END.length;
    }
}

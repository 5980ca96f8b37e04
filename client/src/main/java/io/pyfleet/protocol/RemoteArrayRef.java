package io.pyfleet.protocol;

import io.pyfleet.client.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * An array a node keeps for a remote client (ext 13): what crosses the gateway instead of the
 * bytes, which the client pulls in chunks ({@code array_read}) when it reads the array.
 *
 * @param dtype the element type
 * @param shape the dimensions (empty for 0-d)
 * @param node  the handle node of the node that keeps it: requests naming it are served there
 * @param id    its number in the session that received it
 */
public record RemoteArrayRef(DType dtype, long[] shape, String node, long id) {

    public RemoteArrayRef {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(node, "node");
        shape = shape.clone();
        ArrayRef.byteLength(dtype, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The size in bytes. */
    public long byteLength() {
        return ArrayRef.byteLength(dtype, shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RemoteArrayRef r && dtype == r.dtype && Arrays.equals(shape, r.shape)
                && node.equals(r.node) && id == r.id;
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), node, id);
    }

    @Override
    public String toString() {
        return "RemoteArrayRef[" + dtype.descr() + " " + Arrays.toString(shape) + " #" + id + " on " + node + "]";
    }
}

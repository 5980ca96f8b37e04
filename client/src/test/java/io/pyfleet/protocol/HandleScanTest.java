package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.Handle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandleScanTest {
    private static List<Handle> scan(Object value) {
        byte[] bytes = ValueCodec.encode(value);
        List<Handle> found = new ArrayList<>();
        HandleScan.forEachHandle(bytes, 0, bytes.length, found::add);
        return found;
    }

    private static Handle h(long id) {
        return new Handle("n", "w1", 2, id, "builtins.object");
    }

    @Test
    void findsHandlesWhereverTheyNest() {
        Object value = Map.of("a", List.of(1, "x", h(1)), "b", PyTuple.of(h(2), List.of(PyTuple.of(h(3)))));
        assertEquals(java.util.Set.of(h(1), h(2), h(3)), new java.util.HashSet<>(scan(value)));
        assertEquals(List.of(h(4)), scan(new LinkedHashSet<>(List.of(h(4), 5L))).stream().toList());
        assertEquals(List.of(h(5)), scan(Map.of(h(5), "key")));
    }

    @Test
    void skipsValuesWithoutHandles() {
        assertEquals(List.of(), scan(List.of(1, 2.5, "s", new byte[100], Map.of("k", List.of()))));
        NdArray array = NdArray.ofDoubles(new double[] {1, 2, 3}, 3);
        assertEquals(List.of(h(9)), scan(List.of(array, h(9))));
    }

    @Test
    void malformedBytesAreAProtocolError() {
        byte[] truncated = {(byte) 0x92, (byte) 0xc7, 0x20, 9};
        assertThrows(ProtocolException.class, () -> HandleScan.forEachHandle(truncated, 0, truncated.length, h -> { }));
    }
}

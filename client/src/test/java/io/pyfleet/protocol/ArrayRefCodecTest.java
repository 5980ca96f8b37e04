package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.DType;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ext 12 in the Java codec: what a PyArray sends, and who may read an array reference. */
class ArrayRefCodecTest {

    /** Memory that only describes itself: the codec reads no bytes of it. */
    private static final class FakeMemory implements ArrayMemory {
        final List<Boolean> releases = new ArrayList<>();

        @Override
        public String source() {
            return "/proc/42/fd/7";
        }

        @Override
        public String name() {
            return "/dev/shm/pyfleet-42-a (deleted)";
        }

        @Override
        public long byteSize() {
            return 48;
        }

        @Override
        public List<ByteBuffer> views() {
            return List.of(ByteBuffer.allocate(48));
        }

        @Override
        public void release(boolean unreachable) {
            releases.add(unreachable);
        }
    }

    @Test
    void aPyArrayIsSentAsItsDescriptionOnly() {
        FakeMemory memory = new FakeMemory();
        PyArray a = ApiAccess.newArray(DType.FLOAT64, new long[] {2, 3}, "n1", memory);
        byte[] wire = ValueCodec.encode(a);
        // ext8, 12, [ "<f8", [2, 3], source, name ]
        assertEquals((byte) 0xc7, wire[0]);
        assertEquals(ExtCodes.ARRAY_REF, wire[2]);
        assertTrue(wire.length < 80, "no array bytes on the wire: " + wire.length);
        Object back = ValueCodec.decode(wire, 0, wire.length, new ArrayAdopter() {
            @Override
            public Object apply(Handle h) {
                return h;
            }

            @Override
            public Object adoptArray(ArrayRef ref) {
                return ref;
            }
        });
        ArrayRef ref = assertInstanceOf(ArrayRef.class, back);
        assertEquals(DType.FLOAT64, ref.dtype());
        assertArrayEquals(new long[] {2, 3}, ref.shape());
        assertEquals("/proc/42/fd/7", ref.source());
        assertEquals(memory.name(), ref.keeper());
        a.close();
        a.close();
        assertEquals(List.of(false), memory.releases, "released once, as closed");
        assertThrows(IllegalStateException.class, () -> ValueCodec.encode(a));
    }

    @Test
    void onlyANodeReadsArrayReferences() {
        PyArray a = ApiAccess.newArray(DType.INT8, new long[] {48}, "n1", new FakeMemory());
        byte[] wire = ValueCodec.encode(List.of(a));
        ProtocolException e = assertThrows(ProtocolException.class, () -> ValueCodec.decode(wire));
        assertTrue(e.getMessage().contains("only valid between a node and its own workers"), e.getMessage());
        a.close();
    }

    @Test
    void theKeeperFromAWorkerIsAPlainHandle() {
        Handle keeper = new Handle("n1", "w1", 0, 5, "pyfleet.shm.Export");
        byte[] fields = ValueCodec.encode(List.of("<i4", List.of(0L), "/proc/9/fd/4", keeper));
        byte[] wire = new byte[fields.length + 3];
        wire[0] = (byte) 0xc7;
        wire[1] = (byte) fields.length;
        wire[2] = ExtCodes.ARRAY_REF;
        System.arraycopy(fields, 0, wire, 3, fields.length);
        List<Handle> wrapped = new ArrayList<>();
        Object back = ValueCodec.decode(wire, 0, wire.length, new ArrayAdopter() {
            @Override
            public Object apply(Handle h) {
                wrapped.add(h);
                return h;
            }

            @Override
            public Object adoptArray(ArrayRef ref) {
                return ref;
            }
        });
        assertEquals(keeper, ((ArrayRef) back).keeper());
        assertEquals(0, ((ArrayRef) back).byteLength());
        assertTrue(wrapped.isEmpty(), "the keeper is released by the adopter, never wrapped for a caller");
    }
}

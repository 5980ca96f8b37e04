package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.DType;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ext 13 in the Java codec: a remote array goes as its reference, and the scan finds its node. */
class RemoteArrayCodecTest {
    private static final RemoteArrayRef REF = new RemoteArrayRef(DType.FLOAT64, new long[] {1 << 23}, "n2~x", 7);

    @Test
    void aRemoteArrayRoundTripsAndAPyArrayOnOneSendsOnlyTheReference() {
        byte[] wire = ValueCodec.encode(REF);
        assertEquals(ExtCodes.REMOTE_ARRAY, wire[2], "fixext/ext8 header, then the code");
        assertEquals(REF, ValueCodec.decode(wire), "without an adopter: the reference itself (a node reading a request)");

        PyArray pulled = ApiAccess.newArray(REF.dtype(), REF.shape(), REF.node(), new ArrayMemory() {
            @Override
            public String source() {
                return "";
            }

            @Override
            public String name() {
                return "";
            }

            @Override
            public long byteSize() {
                return REF.byteLength();
            }

            @Override
            public List<ByteBuffer> views() {
                throw new AssertionError("encoding must not read the bytes");
            }

            @Override
            public void release(boolean unreachable) {
            }

            @Override
            public Object reference() {
                return REF;
            }
        });
        byte[] call = ValueCodec.encode(List.of(1L, pulled));
        assertTrue(call.length < 40, "64 MiB named in " + call.length + " bytes");
        Object adopted = new Object();
        Object back = ValueCodec.decode(call, 0, call.length, new RemoteArrayAdopter() {
            @Override
            public Object apply(Handle h) {
                return h;
            }

            @Override
            public Object adoptRemoteArray(RemoteArrayRef ref) {
                assertEquals(REF, ref);
                return adopted;
            }
        });
        assertSame(adopted, ((List<?>) back).get(1));
    }

    @Test
    void theScanFindsTheNodesOfRemoteArraysAndHandles() {
        byte[] request = ValueCodec.encode(Map.of("a", List.of(REF, new Handle("n3", "w1", 0, 1, "object"))));
        java.util.Set<String> nodes = new java.util.HashSet<>();
        HandleScan.forEachOwner(request, 0, request.length, nodes::add);
        assertEquals(java.util.Set.of("n2~x", "n3"), nodes);
        assertTrue(HandleScan.holdsArray(request, 0, request.length, true));
        assertTrue(!HandleScan.holdsArray(request, 0, request.length, false), "no ext 12 in it");
    }

    @Test
    void malformedRemoteArraysAreProtocolErrors() {
        byte[] fields = ValueCodec.encode(List.of("<f8", List.of(-1L), "n1", 1L));
        byte[] wire = new byte[fields.length + 3];
        wire[0] = (byte) 0xc7;
        wire[1] = (byte) fields.length;
        wire[2] = ExtCodes.REMOTE_ARRAY;
        System.arraycopy(fields, 0, wire, 3, fields.length);
        assertThrows(ProtocolException.class, () -> ValueCodec.decode(wire), "a negative dimension");
        byte[] three = ValueCodec.encode(List.of("<f8", List.of(2L), "n1"));
        byte[] short3 = new byte[three.length + 3];
        short3[0] = (byte) 0xc7;
        short3[1] = (byte) three.length;
        short3[2] = ExtCodes.REMOTE_ARRAY;
        System.arraycopy(three, 0, short3, 3, three.length);
        assertThrows(ProtocolException.class, () -> ValueCodec.decode(short3), "three fields");
    }
}

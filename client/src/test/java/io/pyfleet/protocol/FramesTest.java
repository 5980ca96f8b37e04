package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FramesTest {
    private static final int MIB = 1 << 20;

    /** A stream that fails the test if anyone tries to read the payload of a rejected frame. */
    private static InputStream headerOnly(byte... header) {
        return new ByteArrayInputStream(header) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                assertTrue(len <= 4, "read " + len + " bytes past the header");
                return super.read(b, off, len);
            }
        };
    }

    @Test
    void oversizeDeclaredLengthIsRejectedBeforeAllocating() {
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Frames.readFrame(headerOnly((byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff), MIB));
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(MIB)), e.getMessage());
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < 512L * MIB, "no 2 GiB allocation");
        // an unsigned length over 2^31 and one just over the limit
        e = assertThrows(ProtocolException.class,
                () -> Frames.readFrame(headerOnly((byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff), MIB));
        assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
        byte[] justOver = Frames.header(MIB + 1);
        assertThrows(ProtocolException.class, () -> Frames.readFrame(headerOnly(justOver), MIB));
        assertThrows(ProtocolException.class, () -> Frames.readFrame(headerOnly(Frames.header(Frames.DEFAULT_MAX_FRAME + 1))));
    }

    @Test
    void emptyFrameIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.readFrame(headerOnly(new byte[4]), MIB));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(ProtocolException.class, () -> Frames.writeFrame(out, new byte[0]));
        assertEquals(0, out.size());
    }

    @Test
    void cleanEndOfStreamBeforeAHeaderIsNull() throws IOException {
        assertNull(Frames.readFrame(new ByteArrayInputStream(new byte[0]), MIB));
    }

    @Test
    void truncation() {
        for (int n = 1; n < 4; n++) {
            byte[] partial = Arrays.copyOf(Frames.header(5), n);
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Frames.readFrame(new ByteArrayInputStream(partial), MIB));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        byte[] midFrame = {0, 0, 0, 5, 1, 2, 3};
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Frames.readFrame(new ByteArrayInputStream(midFrame), MIB));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("3 of 5"), e.getMessage());
    }

    @Test
    void roundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[][] payloads = {{1}, ValueCodec.encode("hello"), new byte[70_000], Messages.reply(7, List.of(1L, "x"))};
        payloads[2][69_999] = 42;
        for (byte[] p : payloads) {
            Frames.writeFrame(out, p);
        }
        byte[] padded = {9, 9, 5, 6, 7, 9};
        Frames.writeFrame(out, padded, 2, 3, MIB);
        InputStream in = new ByteArrayInputStream(out.toByteArray());
        for (byte[] p : payloads) {
            assertArrayEquals(p, Frames.readFrame(in, MIB));
        }
        assertArrayEquals(new byte[] {5, 6, 7}, Frames.readFrame(in));
        assertNull(Frames.readFrame(in, MIB));
        assertArrayEquals(new byte[] {0, 0, 0, 1, 1}, Arrays.copyOf(out.toByteArray(), 5));
    }

    @Test
    void oversizeWriteIsRefusedAndWritesNothing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Frames.writeFrame(out, new byte[1025], 0, 1025, 1024));
        assertTrue(e.getMessage().contains("1025") && e.getMessage().contains("1024"), e.getMessage());
        assertEquals(0, out.size());
        assertThrows(IndexOutOfBoundsException.class, () -> Frames.writeFrame(out, new byte[4], 2, 3, 1024));
        assertEquals(0, out.size());
    }
}

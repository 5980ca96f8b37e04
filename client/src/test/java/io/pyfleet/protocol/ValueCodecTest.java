package io.pyfleet.protocol;

import static io.pyfleet.protocol.Hex.bytes;
import static io.pyfleet.protocol.Hex.dec;
import static io.pyfleet.protocol.Hex.enc;
import static io.pyfleet.protocol.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.HandleRef;
import io.pyfleet.client.internal.RemoteError;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

class ValueCodecTest {

    static Stream<Arguments> integers() {
        return Stream.of(
                Arguments.of(0L, "00"),
                Arguments.of(1L, "01"),
                Arguments.of(127L, "7f"),
                Arguments.of(128L, "cc80"),
                Arguments.of(255L, "ccff"),
                Arguments.of(256L, "cd0100"),
                Arguments.of(65535L, "cdffff"),
                Arguments.of(65536L, "ce00010000"),
                Arguments.of(4294967295L, "ceffffffff"),
                Arguments.of(4294967296L, "cf0000000100000000"),
                Arguments.of(Long.MAX_VALUE, "cf7fffffffffffffff"),
                Arguments.of(-1L, "ff"),
                Arguments.of(-32L, "e0"),
                Arguments.of(-33L, "d0df"),
                Arguments.of(-128L, "d080"),
                Arguments.of(-129L, "d1ff7f"),
                Arguments.of(-32768L, "d18000"),
                Arguments.of(-32769L, "d2ffff7fff"),
                Arguments.of((long) Integer.MIN_VALUE, "d280000000"),
                Arguments.of(Integer.MIN_VALUE - 1L, "d3ffffffff7fffffff"),
                Arguments.of(Long.MIN_VALUE, "d38000000000000000"));
    }

    @ParameterizedTest
    @MethodSource("integers")
    void integerBoundaries(long value, String hex) {
        assertEquals(hex, enc(value));
        assertEquals(hex, enc(BigInteger.valueOf(value)));
        if (value == (int) value) {
            assertEquals(hex, enc((int) value));
        }
        if (value == (short) value) {
            assertEquals(hex, enc((short) value));
        }
        if (value == (byte) value) {
            assertEquals(hex, enc((byte) value));
        }
        assertEquals(value, dec(hex));
    }

    @Test
    void nonCanonicalIntegersDecodeByValue() {
        assertEquals(1L, dec("cf0000000000000001"));
        assertEquals(1L, dec("d300000000000000 01".replace(" ", "")));
        assertEquals(-1L, dec("d0ff"));
        assertEquals(5L, dec("d40105"), "ext 1 holding a small value decodes as a Long");
    }

    @Test
    void bigIntegersAround2To63And2To64() {
        BigInteger two63 = BigInteger.ONE.shiftLeft(63);
        BigInteger two64 = BigInteger.ONE.shiftLeft(64);
        assertEquals("cf8000000000000000", enc(two63));
        assertEquals(two63, dec("cf8000000000000000"));
        assertEquals("cfffffffffffffffff", enc(two64.subtract(BigInteger.ONE)));
        assertEquals(two64.subtract(BigInteger.ONE), dec("cfffffffffffffffff"));
        // 2^64: ext 1 with BigInteger.toByteArray() = 01 00*8 (9 bytes, so ext8)
        assertEquals("c7090101" + "00".repeat(8), enc(two64));
        assertEquals(two64, dec("c7090101" + "00".repeat(8)));
        // -2^63 fits int64; -2^63-1 does not
        assertEquals("d38000000000000000", enc(two63.negate()));
        assertEquals(Long.MIN_VALUE, dec("d38000000000000000"));
        BigInteger below = two63.negate().subtract(BigInteger.ONE);
        assertEquals("c70901ff7fffffffffffffff", enc(below));
        assertEquals(below, dec("c70901ff7fffffffffffffff"));
        // a large one, and one whose payload is exactly 8 or 16 bytes (fixext)
        BigInteger huge = new BigInteger("-123456789012345678901234567890123456789");
        assertEquals(huge, ValueCodec.decode(ValueCodec.encode(huge)));
        BigInteger sixteen = BigInteger.ONE.shiftLeft(126);
        assertEquals(16, sixteen.toByteArray().length);
        assertTrue(enc(sixteen).startsWith("d801"));
        assertEquals(sixteen, ValueCodec.decode(ValueCodec.encode(sixteen)));
    }

    @Test
    void floats() {
        assertEquals("cb3ff8000000000000", enc(1.5));
        assertEquals("cb3ff8000000000000", enc(1.5f), "Float is sent as float64");
        assertEquals("cb8000000000000000", enc(-0.0));
        assertEquals("cb7ff8000000000000", enc(Double.NaN));
        assertEquals("cb7ff0000000000000", enc(Double.POSITIVE_INFINITY));
        double payloadNan = Double.longBitsToDouble(0x7ff8000000000001L);
        assertEquals("cb7ff8000000000001", enc(payloadNan), "NaN payloads are kept");
        Object back = dec("cb7ff8000000000001");
        assertEquals(0x7ff8000000000001L, Double.doubleToRawLongBits((Double) back));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) dec("cb8000000000000000")));
        assertEquals(1.5, dec("ca3fc00000"), "float32 on the wire decodes as Double");
    }

    @Test
    void scalars() {
        assertEquals("c0", enc(null));
        assertEquals("c3", enc(true));
        assertEquals("c2", enc(false));
        assertNull(dec("c0"));
        assertEquals(true, dec("c3"));
        assertEquals(false, dec("c2"));
    }

    @Test
    void strings() {
        assertEquals("a0", enc(""));
        assertEquals("a3616263", enc("abc"));
        assertEquals("a2c3a9", enc("é"));
        assertEquals("a3e282ac", enc("€"));
        assertEquals("a4f09f9880", enc("\uD83D\uDE00"));
        for (int len : new int[] {31, 32, 255, 256, 65535, 65536}) {
            String s = "x".repeat(len);
            String prefix = len < 32 ? "bf" : len < 256 ? "d9" : len < 65536 ? "da" : "db";
            assertTrue(enc(s).startsWith(prefix), "header for " + len);
            assertEquals(s, ValueCodec.decode(ValueCodec.encode(s)));
        }
        // a multi-byte string whose char count and byte count need different headers
        String mixed = "é".repeat(20);
        assertEquals("d928" + "c3a9".repeat(20), enc(mixed));
        String all = "aé€\uD83D\uDE00\u0000\u07ff\u0800\uffff";
        assertArrayEquals(all.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Arrays.copyOfRange(ValueCodec.encode(all), 1, ValueCodec.encode(all).length));
        assertEquals(all, ValueCodec.decode(ValueCodec.encode(all)));
        ProtocolException e = assertThrows(ProtocolException.class, () -> ValueCodec.encode("a\uD83Db"));
        assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
        assertThrows(ProtocolException.class, () -> ValueCodec.encode("\uDE00"));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode("a\uD83D"));
    }

    @Test
    void binary() {
        assertEquals("c400", enc(new byte[0]));
        assertEquals("c40200ff", enc(new byte[] {0, -1}));
        assertTrue(enc(new byte[256]).startsWith("c50100"));
        assertTrue(enc(new byte[65536]).startsWith("c600010000"));
        byte[] back = (byte[]) dec("c40200ff");
        assertArrayEquals(new byte[] {0, -1}, back);
    }

    @Test
    void dates() {
        assertEquals("d60407830402", enc(LocalDate.of(1923, 4, 2)));
        assertEquals(LocalDate.of(1923, 4, 2), dec("d60407830402"));
        assertEquals("c70705" + "0c1e05" + "00000001", enc(LocalTime.of(12, 30, 5, 1_000)));
        assertEquals("c70705" + "0c1e05" + "00000001", enc(LocalTime.of(12, 30, 5, 1_999)), "nanos truncate");
        assertEquals("c70b05" + "0c1e05" + "00000000" + "00001c20",
                enc(OffsetTime.of(12, 30, 5, 0, ZoneOffset.ofHours(2))));
        assertEquals(OffsetTime.of(12, 30, 5, 0, ZoneOffset.ofHours(2)), dec("c70b050c1e050000000000001c20"));
        LocalDateTime dt = LocalDateTime.of(1923, 4, 2, 12, 30, 5, 500_000_000);
        String dtHex = "c70b06" + "0783" + "0402" + "0c1e05" + "0007a120";
        assertEquals(dtHex, enc(dt));
        assertEquals(dt, dec(dtHex));
        OffsetDateTime odt = OffsetDateTime.of(dt, ZoneOffset.ofHoursMinutes(-5, -30));
        String odtHex = "c70f06" + "0783" + "0402" + "0c1e05" + "0007a120" + "ffffb2a8";
        assertEquals(odtHex, enc(odt));
        assertEquals(odt, dec(odtHex));
    }

    @Test
    void instantAndZonedDateTimeGoAsOffsetDateTime() {
        Instant i = Instant.parse("2024-02-29T23:59:59.123456789Z");
        OffsetDateTime expected = OffsetDateTime.parse("2024-02-29T23:59:59.123456Z");
        assertEquals(enc(expected), enc(i));
        assertEquals(expected, dec(enc(i)));
        Instant beforeEpoch = Instant.parse("1960-01-01T00:00:00.000000999Z");
        assertEquals(OffsetDateTime.parse("1960-01-01T00:00:00Z"), dec(enc(beforeEpoch)));
        ZonedDateTime z = ZonedDateTime.of(2024, 7, 1, 8, 0, 0, 1_234_567, ZoneId.of("Europe/Paris"));
        OffsetDateTime zExpected = OffsetDateTime.of(2024, 7, 1, 8, 0, 0, 1_234_000, ZoneOffset.ofHours(2));
        assertEquals(enc(zExpected), enc(z));
        assertEquals(zExpected, dec(enc(z)));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(Instant.MAX));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(LocalDate.of(0, 1, 1)));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(LocalDateTime.of(10000, 1, 1, 0, 0)));
    }

    static String timedelta(int days, int seconds, int micros) {
        return "c70c07" + String.format("%08x%08x%08x", days, seconds, micros);
    }

    @Test
    void durations() {
        assertEquals(timedelta(0, 0, 0), enc(Duration.ZERO));
        assertEquals(timedelta(-1, 86399, 999999), enc(Duration.ofNanos(-1000)));
        assertEquals(timedelta(-1, 86399, 999999), enc(Duration.ofNanos(-1500)), "truncated toward zero");
        assertEquals(timedelta(0, 0, 0), enc(Duration.ofNanos(-999)), "truncated toward zero");
        assertEquals(timedelta(0, 0, 0), enc(Duration.ofNanos(999)));
        assertEquals(timedelta(-1, 0, 0), enc(Duration.ofDays(-1)));
        assertEquals(timedelta(-2, 86399, 0), enc(Duration.ofSeconds(-86401)));
        assertEquals(timedelta(1, 2, 3), enc(Duration.ofDays(1).plusSeconds(2).plusNanos(3_999)));
        assertEquals(timedelta(999999999, 86399, 999999),
                enc(Duration.ofDays(999999999).plusSeconds(86399).plusNanos(999_999_000)));
        assertEquals(timedelta(-999999999, 0, 0), enc(Duration.ofDays(-999999999)));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(Duration.ofDays(1_000_000_000)));
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(Duration.ofDays(-1_000_000_000)));
        assertEquals(Duration.ofNanos(-1000), dec(timedelta(-1, 86399, 999999)));
        assertEquals(Duration.ofDays(1).plusSeconds(2).plusNanos(3_000), dec(timedelta(1, 2, 3)));
        // not normalised: refused (spec/vectors.json, "invalid")
    }

    @Test
    void complex() {
        assertEquals("d80b3ff8000000000000c000000000000000", enc(new PyComplex(1.5, -2.0)));
        assertEquals(new PyComplex(1.5, -2.0), dec("d80b3ff8000000000000c000000000000000"));
        assertEquals(new PyComplex(Double.NaN, -0.0), ValueCodec.decode(ValueCodec.encode(new PyComplex(Double.NaN, -0.0))));
    }

    @Test
    void handlesAndErrors() {
        Handle h = new Handle("node", "worker", 3, 17, "builtins.object");
        // [node, worker, 3, 17, type] = 1+5+7+1+1+16 = 31 bytes: ext8
        String hex = "c71f09" + "95" + "a46e6f6465" + "a6776f726b6572" + "03" + "11" + "af6275696c74696e732e6f626a656374";
        assertEquals(hex, enc(h));
        assertEquals(h, dec(hex));
        RemoteError e = new RemoteError("python", "builtins.ValueError", "msg", "");
        Object back = ValueCodec.decode(ValueCodec.encode(e));
        assertEquals(e, back);
        assertTrue(enc(e).startsWith("c7" + String.format("%02x", 1 + 7 + 20 + 4 + 1) + "0a94"));
    }

    @Test
    void anyHandleRefGoesAsItsHandle() {
        Handle h = new Handle("node", "w", 1, 2, "builtins.object");
        HandleRef ref = () -> h;
        assertEquals(enc(h), enc(ref));
        assertEquals(List.of(h), ValueCodec.decode(ValueCodec.encode(List.of(ref))));
        HandleRef none = () -> null;
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(none));
    }

    @Test
    void tuplesAndExtHeaderSizes() {
        assertEquals("c70002", enc(PyTuple.of()));
        assertEquals("d40201", enc(PyTuple.of(1L)));
        assertEquals("d5020102", enc(PyTuple.of(1, 2)));
        assertEquals("c7030201c002", enc(PyTuple.of(1, null, 2)));
        assertEquals("d602" + "01020304", enc(PyTuple.of(1, 2, 3, 4)));
        assertEquals(PyTuple.of(1L, null, 2L), dec("c7030201c002"));
        // payload lengths around the ext8/ext16/ext32 boundaries keep their items intact
        for (int len : new int[] {253, 254, 65532, 65533, 70000}) {
            byte[] item = new byte[len];
            item[len - 1] = 7;
            PyTuple back = (PyTuple) ValueCodec.decode(ValueCodec.encode(PyTuple.of("a", item, "z")));
            assertArrayEquals(item, (byte[]) back.get(1));
            assertEquals("z", back.get(2));
        }
        assertTrue(enc(PyTuple.of((Object) new byte[253])).startsWith("c7ff02"));
        assertTrue(enc(PyTuple.of((Object) new byte[254])).startsWith("c8010002"));
        assertTrue(enc(PyTuple.of((Object) new byte[65532])).startsWith("c8ffff02"));
        assertTrue(enc(PyTuple.of((Object) new byte[65533])).startsWith("c90001000002"));
    }

    @Test
    void setsAreSortedByEncodedBytesWhateverTheInsertionOrder() {
        List<Object> items = List.of(300L, "b", -1L, "a", 0L, true, PyTuple.of(1L), 2.5, new byte[] {1});
        String first = null;
        List<Object> shuffled = new ArrayList<>(items);
        for (int round = 0; round < 20; round++) {
            java.util.Collections.shuffle(shuffled, new java.util.Random(round));
            String hex = enc(new LinkedHashSet<>(shuffled));
            if (first == null) {
                first = hex;
            }
            assertEquals(first, hex);
        }
        // 00 < 7f... sorted: 00(0) a161(a) a162(b) c3(true) c40101 cb... cd012c d40201 ff(-1)
        assertEquals("c71903" + "00" + "a161" + "a162" + "c3" + "c40101" + "cb4004000000000000" + "cd012c" + "d40201"
                + "ff", first);
        @SuppressWarnings("unchecked")
        Set<Object> back = (Set<Object>) dec(first);
        assertInstanceOf(LinkedHashSet.class, back);
        assertEquals(List.of(0L, "a", "b", true), new ArrayList<>(back).subList(0, 4), "wire order");
        // a TreeSet, a HashSet and a prefix relation (shorter prefix first)
        assertEquals(enc(new TreeSet<>(Set.of("ab", "a", "abc"))), enc(new HashSet<>(Set.of("abc", "a", "ab"))));
        assertEquals("c70903" + "a161" + "a26162" + "a3616263", enc(new TreeSet<>(Set.of("ab", "a", "abc"))));
        assertEquals("c70003", enc(Set.of()));
        // equal encodings (Integer 1 and Long 1) are written once
        Set<Object> dup = new LinkedHashSet<>(List.of(1, 1L));
        assertEquals("d40301", enc(dup));
    }

    @Test
    void nestedContainers() {
        Map<Object, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1L);
        inner.put("a", List.of(PyTuple.of(1L, "x"), new LinkedHashSet<>(List.of(2L))));
        inner.put(PyTuple.of(1L, 2L), null);
        inner.put(7L, Map.of("k", nd("<i4", new long[] {2}, new byte[8])));
        List<Object> value = new ArrayList<>(List.of(inner, new ArrayList<>(), "end"));
        value.add(new LinkedHashMap<>());
        Object back = ValueCodec.decode(ValueCodec.encode(value));
        assertEquals(value, back);
        assertEquals(enc(value), enc(back));
        // map keys keep insertion order
        @SuppressWarnings("unchecked")
        Map<Object, Object> m = (Map<Object, Object>) ((List<Object>) back).get(0);
        assertEquals(List.of("z", "a", PyTuple.of(1L, 2L), 7L), new ArrayList<>(m.keySet()));
        assertEquals("8201020304", enc(new TreeMap<>(Map.of(3L, 4L, 1L, 2L))));
        assertEquals("93010203", enc(new LinkedList<>(List.of(1, 2, 3))));
    }

    @Test
    void primitiveArraysGoAsOneDimensionalNdArrays() {
        double[] d = {1.5, -2.0, Double.NaN};
        assertEquals(enc(NdArray.ofDoubles(d)), enc(d));
        assertEquals("c72108" + "93" + "a33c6638" + "9103" + "c418", enc(d).substring(0, 24));
        NdArray back = (NdArray) ValueCodec.decode(ValueCodec.encode(d));
        assertArrayEquals(d, back.toDoubles());
        long[] l = {1, Long.MIN_VALUE};
        assertEquals(enc(NdArray.ofLongs(l)), enc(l));
        assertArrayEquals(l, ((NdArray) ValueCodec.decode(ValueCodec.encode(l))).toLongs());
        int[] i = {1, -1, Integer.MAX_VALUE};
        assertEquals(enc(NdArray.ofInts(i)), enc(i));
        assertArrayEquals(i, ((NdArray) ValueCodec.decode(ValueCodec.encode(i))).toInts());
        float[] f = {1.5f, -0.0f};
        assertEquals(enc(NdArray.ofFloats(f)), enc(f));
        assertArrayEquals(f, ((NdArray) ValueCodec.decode(ValueCodec.encode(f))).toFloats());
        boolean[] b = {true, false, true};
        assertEquals(enc(NdArray.ofBooleans(b)), enc(b));
        assertArrayEquals(b, ((NdArray) ValueCodec.decode(ValueCodec.encode(b))).toBooleans());
        assertEquals(enc(NdArray.ofDoubles(new double[0])), enc(new double[0]));
        double[] big = new double[100_000];
        Arrays.setAll(big, k -> k * 0.5);
        assertEquals(enc(NdArray.ofDoubles(big)), enc(big));
        assertArrayEquals(big, ((NdArray) ValueCodec.decode(ValueCodec.encode(big))).toDoubles());
    }

    @Test
    void ndArrays() {
        NdArray a = NdArray.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NdArray back = (NdArray) ValueCodec.decode(ValueCodec.encode(a));
        assertEquals(a, back);
        assertEquals(a.hashCode(), back.hashCode());
        assertArrayEquals(new long[] {2, 3}, back.shape());
        assertEquals(6, back.size());
        assertEquals(8, back.itemSize());
        assertEquals(2, back.ndim());
        assertEquals(4.0, back.buffer().getDouble(3 * 8));
        NdArray scalar = nd("<i8", new long[0], new byte[8]);
        assertEquals(scalar, ValueCodec.decode(ValueCodec.encode(scalar)));
        NdArray empty = nd("<c16", new long[] {0, 5}, new byte[0]);
        assertEquals(empty, ValueCodec.decode(ValueCodec.encode(empty)));
        NdArray wideShape = nd("|u1", new long[] {1, 70000, 0}, new byte[0]);
        assertEquals(wideShape, ValueCodec.decode(ValueCodec.encode(wideShape)));
        for (io.pyfleet.client.DType dtype : io.pyfleet.client.DType.values()) {
            NdArray x = nd(dtype.descr(), new long[] {3}, new byte[3 * dtype.itemSize()]);
            assertEquals(x, ValueCodec.decode(ValueCodec.encode(x)), dtype.descr());
        }
    }

    @Test
    void ndArrayValidationAndImmutability() {
        assertThrows(IllegalArgumentException.class, () -> nd("<f2", new long[] {1}, new byte[2]));
        assertThrows(IllegalArgumentException.class, () -> nd(">f8", new long[] {1}, new byte[8]));
        assertThrows(IllegalArgumentException.class, () -> nd("<f8", new long[] {2}, new byte[8]));
        assertThrows(IllegalArgumentException.class, () -> nd("<f8", new long[] {-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> nd("<f8", new long[] {1L << 40, 1L << 40}, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> NdArray.ofDoubles(new double[5], 2, 3));
        byte[] data = new byte[8];
        long[] shape = {1};
        NdArray a = nd("<i8", shape, data);
        data[0] = 9;
        shape[0] = 8;
        assertEquals(0L, a.toLongs()[0]);
        assertArrayEquals(new long[] {1}, a.shape());
        a.toBytes()[0] = 9;
        a.shape()[0] = 9;
        assertEquals(nd("<i8", new long[] {1}, new byte[8]), a);
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> a.buffer().put(0, (byte) 1));
        assertEquals("array([0])", a.toString());
        NdArray u8 = nd("<u8", new long[] {1}, bytes("ffffffffffffffff"));
        assertThrows(ArithmeticException.class, u8::toLongs);
        assertEquals(1.8446744073709552E19, u8.toDoubles()[0]);
        assertThrows(IllegalStateException.class, () -> NdArray.ofDoubles(new double[] {1}).toLongs());
        assertEquals(Long.MAX_VALUE, nd("<u8", new long[] {1}, bytes("ffffffffffffff7f")).toLongs()[0]);
        assertArrayEquals(new int[] {-1}, nd("|i1", new long[] {1}, bytes("ff")).toInts());
        assertArrayEquals(new int[] {255}, nd("|u1", new long[] {1}, bytes("ff")).toInts());
        assertArrayEquals(new int[] {65535}, nd("<u2", new long[] {1}, bytes("ffff")).toInts());
        assertThrows(ArithmeticException.class, () -> nd("<u4", new long[] {1}, bytes("ffffffff")).toInts());
        assertArrayEquals(new double[] {1, 0}, nd("|b1", new long[] {2}, bytes("0100")).toDoubles());
        assertArrayEquals(new double[] {1.5, -2},
                nd("<c16", new long[] {1}, bytes("000000000000f83f00000000000000c0")).toDoubles());
    }

    @Test
    void valueTypes() {
        PyTuple t = PyTuple.of(1L, null, "x");
        assertEquals(PyTuple.of(1L, null, "x"), t);
        assertEquals(PyTuple.of(1L, null, "x").hashCode(), t.hashCode());
        assertEquals("PyTuple(1, null, x)", t.toString());
        assertEquals("PyTuple(1,)", PyTuple.of(1L).toString());
        assertThrows(UnsupportedOperationException.class, () -> t.items().add(1L));
        List<Object> src = new ArrayList<>(List.of(1L));
        PyTuple copy = new PyTuple(src);
        src.add(2L);
        assertEquals(1, copy.size());
        assertEquals(new PyComplex(Double.NaN, 0.0), new PyComplex(Double.NaN, 0.0));
        assertTrue(!new PyComplex(0.0, 0.0).equals(new PyComplex(-0.0, 0.0)));
        assertEquals("(1.5-2.0j)", new PyComplex(1.5, -2.0).toString());
        assertThrows(NullPointerException.class, () -> new Handle(null, "w", 0, 0, "t"));
        assertThrows(NullPointerException.class, () -> new RemoteError("python", "t", "m", null));
    }

    @Test
    void unsupportedTypesNameTheClass() {
        for (Object v : new Object[] {new Object(), Optional.empty(), 'c', new java.math.BigDecimal("1.5"),
                new char[] {1}, new java.util.ArrayDeque<>(), java.time.Period.ofDays(1), List.of(new StringBuilder())}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> ValueCodec.encode(v));
            String cls = v instanceof List<?> l ? l.get(0).getClass().getName() : v.getClass().getName();
            assertTrue(e.getMessage().contains(cls), e.getMessage());
        }
        // a failed encode leaves the pooled buffer usable
        assertEquals("01", enc(1));
    }

    @Test
    void packerAndUnpackerForms() throws IOException {
        Object[] values = {1L, "two", List.of(3L, PyTuple.of(4L)), Map.of("k", 5.5), null, new byte[] {6}};
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        for (Object v : values) {
            ValueCodec.encode(p, v);
        }
        p.flush();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (Object v : values) {
            expected.write(ValueCodec.encode(v));
        }
        assertArrayEquals(expected.toByteArray(), p.toByteArray());
        MessageUnpacker u = MessagePack.newDefaultUnpacker(new ByteArrayInputStream(p.toByteArray()));
        for (Object v : values) {
            Object back = ValueCodec.decode(u);
            if (v instanceof byte[] b) {
                assertArrayEquals(b, (byte[]) back);
            } else {
                assertEquals(v, back);
            }
        }
        assertThrows(ProtocolException.class, () -> ValueCodec.decode(u), "at end of input");
    }

    @Test
    void everyPrefixOfAValidEncodingIsTruncated() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("s", "é€");
        m.put(PyTuple.of(1L, 2L), new LinkedHashSet<>(List.of("x", 300L)));
        m.put("n", NdArray.ofInts(new int[] {1, 2}));
        m.put("h", new Handle("n", "w", 1, 2, "t"));
        m.put("e", new RemoteError("python", "t", "m", "tb"));
        m.put("d", List.of(LocalDate.of(2000, 1, 1), LocalTime.NOON, Duration.ofSeconds(1), new PyComplex(1, 2),
                BigInteger.ONE.shiftLeft(70), new byte[] {1, 2}, 1.5, Long.MIN_VALUE));
        byte[] full = ValueCodec.encode(m);
        for (int n = 0; n < full.length; n++) {
            int len = n;
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> ValueCodec.decode(Arrays.copyOf(full, len)), "prefix of " + len);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("overrun"),
                    "prefix of " + len + ": " + e.getMessage());
            // and through an unpacker of unknown length
            assertThrows(ProtocolException.class, () -> ValueCodec.decode(
                    MessagePack.newDefaultUnpacker(new ByteArrayInputStream(Arrays.copyOf(full, len)))));
        }
        assertEquals(enc(m), enc(ValueCodec.decode(full)));
    }

    @Test
    void msgpackTimestampIsNotAValue() {
        // ext -1 is msgpack's timestamp, not one of ours. Java only: msgpack-python turns it into a Timestamp
        // before any ext hook sees it, so the Python codec lets it through (malformed ones fail on both sides:
        // spec/vectors.json, "invalid").
        ProtocolException e = assertThrows(ProtocolException.class, () -> dec("d7ff0000000000000000"));
        assertTrue(e.getMessage().contains("unknown ext code -1"), e.getMessage());
    }

    @Test
    void nestingDepthIsLimited() {
        Object v = "leaf";
        for (int i = 0; i < ValueCodec.MAX_DEPTH; i++) {
            v = List.of(v);
        }
        byte[] ok = ValueCodec.encode(v);
        assertEquals(v, ValueCodec.decode(ok));
        Object tooDeep = List.of(v);
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(tooDeep));
        // the same depth, built from bytes
        byte[] deep = new byte[ValueCodec.MAX_DEPTH + 2];
        Arrays.fill(deep, (byte) 0x91);
        deep[deep.length - 1] = (byte) 0xc0;
        assertThrows(ProtocolException.class, () -> ValueCodec.decode(deep));
        // far deeper: an error, not a StackOverflowError
        byte[] hostile = new byte[1_000_000];
        Arrays.fill(hostile, (byte) 0x91);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ValueCodec.decode(hostile));
        assertTrue(e.getMessage().contains("deeper"), e.getMessage());
        byte[] tuples = new byte[100_000];
        for (int i = 0; i < tuples.length; i += 2) {
            tuples[i] = (byte) 0xd4;
            tuples[i + 1] = 2;
        }
        assertThrows(ProtocolException.class, () -> ValueCodec.decode(tuples));
        // a list that contains itself
        List<Object> self = new ArrayList<>();
        self.add(self);
        assertThrows(ProtocolException.class, () -> ValueCodec.encode(self));
    }

    /** An array by value from a descr, a shape and its bytes. */
    private static NdArray nd(String descr, long[] shape, byte[] data) {
        return NdArray.of(io.pyfleet.client.DType.parse(descr), java.nio.ByteBuffer.wrap(data), shape);
    }
}

package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRenderTest {
    private final JsonRender render = JsonRender.withoutRepr();

    private String json(Object v) {
        return render.render(v);
    }

    @Test
    void scalars() {
        assertEquals("null", json(null));
        assertEquals("true", json(true));
        assertEquals("false", json(false));
        assertEquals("42", json(42L));
        assertEquals("-7", json(-7));
        assertEquals("\"hi\"", json("hi"));
    }

    @Test
    void bigIntegersPrintAllTheirDigitsUnquoted() {
        assertEquals("481229803398374426442198455156736", json(new BigInteger("481229803398374426442198455156736")));
        assertEquals("-18446744073709551617", json(new BigInteger("-18446744073709551617")));
        String huge = "9".repeat(5000);
        assertEquals(huge, json(new BigInteger(huge)));
        assertEquals("[1, 100000000000000000000]", json(List.of(1L, BigInteger.TEN.pow(20))));
    }

    @Test
    void floatsPrintAsPythonRepr() {
        assertEquals("1.0", json(1.0));
        assertEquals("0.1", json(0.1));
        assertEquals("0.30000000000000004", json(0.1 + 0.2));
        assertEquals("1e+16", json(1e16));
        assertEquals("1e-05", json(1e-5));
        assertEquals("0.0001", json(0.0001));
        assertEquals("123456789012345.0", json(123456789012345.0));
        assertEquals("1000000000000000.0", json(1e15));
        assertEquals("9999999999999998.0", json(9999999999999998.0));
        assertEquals("-0.0", json(-0.0));
        assertEquals("0.0", json(0.0));
        assertEquals("1e+22", json(1e22));
        assertEquals("1.5e+300", json(1.5e300));
        assertEquals("2.5e-07", json(2.5e-7));
        assertEquals("-2.5", json(-2.5));
        assertEquals("100.0", json(100.0));
        assertEquals("0.3333333333333333", json(1.0 / 3));
        assertEquals("5e-324", json(Double.MIN_VALUE));
        assertEquals("1.7976931348623157e+308", json(Double.MAX_VALUE));
        assertEquals("2.2250738585072014e-308", json(Double.MIN_NORMAL));
        // Java 17's Double.toString gives 2.82879384806159008E17 here; the shortest repr is shorter
        assertEquals("2.82879384806159e+17", json(2.82879384806159E17));
        assertEquals("1.0", json(1.0f));
    }

    @Test
    void nanAndInfinitiesAreStrings() {
        assertEquals("\"NaN\"", json(Double.NaN));
        assertEquals("\"Infinity\"", json(Double.POSITIVE_INFINITY));
        assertEquals("\"-Infinity\"", json(Double.NEGATIVE_INFINITY));
        assertEquals("[1.0, \"NaN\", \"-Infinity\"]", json(List.of(1.0, Double.NaN, Double.NEGATIVE_INFINITY)));
    }

    @Test
    void stringsAreEscapedAsPythonJsonDumpsDoes() {
        assertEquals("\"a\\\"b\\\\c\"", json("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", json("\n\r\t\b\f"));
        assertEquals("\"\\u0001\\u001f\"", json("\u0001\u001f"));
        assertEquals("\"caf\\u00e9\"", json("caf\u00e9"));
        assertEquals("\"\\ud83d\\ude00\"", json("\ud83d\ude00"));
        assertEquals("\"\\u007f~ /\"", json("\u007f~ /"));
    }

    @Test
    void sequencesAndSetsAreArrays() {
        assertEquals("[1.0, 2.0, 3.0]", json(List.of(1.0, 2.0, 3.0)));
        assertEquals("[]", json(List.of()));
        assertEquals("[1, \"a\", null]", json(PyTuple.of(1L, "a", null)));
        assertEquals("[]", json(PyTuple.of()));
        assertEquals("[3, 1, 2]", json(new LinkedHashSet<>(List.of(3L, 1L, 2L))));
    }

    @Test
    void nestedContainers() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1L);
        m.put("b", List.of(PyTuple.of(1L, 2.5), Map.of("c", List.of())));
        m.put("n", null);
        assertEquals("{\"a\": 1, \"b\": [[1, 2.5], {\"c\": []}], \"n\": null}", json(m));
        assertEquals("{}", json(Map.of()));
        assertEquals("[[[]]]", json(List.of(List.of(List.of()))));
    }

    @Test
    void nonStringKeysAreWrittenAsTheirJsonText() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put(1L, "one");
        m.put(PyTuple.of(1L, 2L), "pair");
        m.put(null, "none");
        m.put(true, "yes");
        m.put(1.5, "float");
        m.put("s", "str");
        m.put(new BigInteger("123456789012345678901234567890"), "big");
        assertEquals("{\"1\": \"one\", \"[1, 2]\": \"pair\", \"null\": \"none\", \"true\": \"yes\", \"1.5\": \"float\", "
                + "\"s\": \"str\", \"123456789012345678901234567890\": \"big\"}", json(m));
        assertEquals("{\"[\\\"a\\\"]\": 1}", json(Map.of(PyTuple.of("a"), 1L)));
    }

    @Test
    void bytesAreBase64() {
        assertEquals("\"AAEC/w==\"", json(new byte[] {0, 1, 2, (byte) 255}));
        assertEquals("\"\"", json(new byte[0]));
    }

    @Test
    void datesAndTimesAreIsoStringsAsPythonIsoformat() {
        assertEquals("\"1923-04-02\"", json(LocalDate.of(1923, 4, 2)));
        assertEquals("\"10:15:00\"", json(LocalTime.of(10, 15)));
        assertEquals("\"10:15:30.123000\"", json(LocalTime.of(10, 15, 30, 123_000_000)));
        assertEquals("\"00:00:00.000001\"", json(LocalTime.of(0, 0, 0, 1_000)));
        assertEquals("\"00:00:00.000000001\"", json(LocalTime.of(0, 0, 0, 1)));
        assertEquals("\"10:15:00+02:00\"", json(OffsetTime.of(10, 15, 0, 0, ZoneOffset.ofHours(2))));
        assertEquals("\"2024-01-02T03:04:05\"", json(LocalDateTime.of(2024, 1, 2, 3, 4, 5)));
        assertEquals("\"2024-01-02T03:04:05.250000+00:00\"",
                json(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 250_000_000, ZoneOffset.UTC)));
        assertEquals("\"2024-01-02T03:04:05-05:30\"",
                json(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(-5, -30))));
        assertEquals("\"PT1H30M\"", json(Duration.ofMinutes(90)));
        assertEquals("\"PT0.000001S\"", json(Duration.ofNanos(1000)));
        assertEquals("\"PT-1.5S\"", json(Duration.ofMillis(-1500)));
        assertEquals("\"PT0S\"", json(Duration.ZERO));
    }

    @Test
    void complexNumbersAreObjects() {
        assertEquals("{\"real\": 1.0, \"imag\": -2.0}", json(new PyComplex(1, -2)));
        assertEquals("{\"real\": 0.0, \"imag\": \"Infinity\"}", json(new PyComplex(0, Double.POSITIVE_INFINITY)));
    }

    @Test
    void errorValuesAndHandles() {
        assertEquals("{\"error\": {\"type\": \"builtins.ValueError\", \"message\": \"bad\"}}",
                json(new RemoteError("python", "builtins.ValueError", "bad", "")));
        PyObject o = ApiAccess.newObject(new Handle("local", "w1", 1, 7, "builtins.range"), h -> { });
        assertEquals("{\"type\": \"builtins.range\", \"repr\": \"range(0, 3)\"}",
                new JsonRender(p -> "range(0, 3)").render(o));
        assertEquals("[{\"type\": \"builtins.range\", \"repr\": null}]", json(List.of(o)));
        assertEquals("{\"type\": \"builtins.range\", \"repr\": \"<repr failed: CallTimeoutException: slow>\"}",
                new JsonRender(p -> {
                    throw new CallTimeoutException("slow");
                }).render(o));
    }

    @Test
    void outcomesPutErrorsInPlace() {
        List<Outcome> outcomes = List.of(Outcome.ok(2.0),
                Outcome.failed(new PythonException("builtins.ValueError", "math domain error", "Traceback ...")),
                Outcome.ok(3.0), Outcome.failed(new CallTimeoutException("call timed out after 1s")));
        assertEquals("[2.0, {\"error\": {\"type\": \"builtins.ValueError\", \"message\": \"math domain error\"}}, 3.0, "
                + "{\"error\": {\"type\": \"CallTimeoutException\", \"message\": \"call timed out after 1s\"}}]",
                render.renderOutcomes(outcomes));
        assertEquals("[]", render.renderOutcomes(List.of()));
    }

    // --- NumPy arrays -------------------------------------------------------------------------------------------

    private static NdArray array(String dtype, long[] shape, int itemSize, java.util.function.Consumer<ByteBuffer> fill) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) (n * itemSize)).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return NdArray.of(io.pyfleet.client.DType.parse(dtype), ByteBuffer.wrap(b.array()), shape);
    }

    @Test
    void arraysNestByShape() {
        assertEquals("[0, 1, 2, 3, 4, 5]", json(NdArray.ofLongs(new long[] {0, 1, 2, 3, 4, 5})));
        assertEquals("[[0.0, 1.5, 2.0], [3.0, 4.0, 1e+16]]",
                json(NdArray.ofDoubles(new double[] {0, 1.5, 2, 3, 4, 1e16}, 2, 3)));
        assertEquals("[[0, 1], [2, 3], [4, 5]]", json(NdArray.ofInts(new int[] {0, 1, 2, 3, 4, 5}, 3, 2)));
        assertEquals("[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]",
                json(NdArray.ofLongs(new long[] {0, 1, 2, 3, 4, 5, 6, 7}, 2, 2, 2)));
        assertEquals("[[1], [2]]", json(NdArray.ofLongs(new long[] {1, 2}, 2, 1)));
    }

    @Test
    void zeroDimensionalArraysAreScalars() {
        assertEquals("3.5", json(array("<f8", new long[0], 8, b -> b.putDouble(3.5))));
        assertEquals("7", json(array("<i8", new long[0], 8, b -> b.putLong(7))));
        assertEquals("-3", json(array("|i1", new long[0], 1, b -> b.put((byte) -3))));
        assertEquals("true", json(array("|b1", new long[0], 1, b -> b.put((byte) 1))));
        assertEquals("\"NaN\"", json(array("<f8", new long[0], 8, b -> b.putDouble(Double.NaN))));
        assertEquals("0.5", json(array("<f4", new long[0], 4, b -> b.putFloat(0.5f))));
    }

    @Test
    void emptyArrays() {
        assertEquals("[]", json(NdArray.ofDoubles(new double[0])));
        assertEquals("[[], []]", json(NdArray.ofDoubles(new double[0], 2, 0)));
        assertEquals("[]", json(NdArray.ofDoubles(new double[0], 0, 3)));
        assertEquals("[[[], [], []]]", json(NdArray.ofLongs(new long[0], 1, 3, 0)));
    }

    @Test
    void everyDtype() {
        assertEquals("[true, false, true]", json(NdArray.ofBooleans(new boolean[] {true, false, true})));
        assertEquals("[-128, 127]", json(array("|i1", new long[] {2}, 1, b -> b.put((byte) -128).put((byte) 127))));
        assertEquals("[0, 255]", json(array("|u1", new long[] {2}, 1, b -> b.put((byte) 0).put((byte) 255))));
        assertEquals("[-32768, 32767]",
                json(array("<i2", new long[] {2}, 2, b -> b.putShort((short) -32768).putShort((short) 32767))));
        assertEquals("[65535]", json(array("<u2", new long[] {1}, 2, b -> b.putShort((short) -1))));
        assertEquals("[-2147483648, 2147483647]", json(NdArray.ofInts(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE})));
        assertEquals("[4294967295]", json(array("<u4", new long[] {1}, 4, b -> b.putInt(-1))));
        assertEquals("[-9223372036854775808, 9223372036854775807]",
                json(NdArray.ofLongs(new long[] {Long.MIN_VALUE, Long.MAX_VALUE})));
        assertEquals("[18446744073709551615, 1]", json(array("<u8", new long[] {2}, 8, b -> b.putLong(-1).putLong(1))));
        assertEquals("[0.1, 1.0, 3.4028235e+38, \"-Infinity\"]",
                json(NdArray.ofFloats(new float[] {0.1f, 1f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY})));
        assertEquals("[0.1, \"NaN\", \"Infinity\", -0.0]",
                json(NdArray.ofDoubles(new double[] {0.1, Double.NaN, Double.POSITIVE_INFINITY, -0.0})));
        assertEquals("[[1.0, -2.0], [0.0, 0.5]]",
                json(array("<c16", new long[] {2}, 16, b -> b.putDouble(1).putDouble(-2).putDouble(0).putDouble(0.5))));
        assertEquals("[[[1.0, 2.0]]]",
                json(array("<c16", new long[] {1, 1}, 16, b -> b.putDouble(1).putDouble(2))));
        assertEquals("[1.0, \"NaN\"]",
                json(array("<c16", new long[0], 16, b -> b.putDouble(1).putDouble(Double.NaN))));
    }

    @Test
    void arraysInsideContainers() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("x", NdArray.ofDoubles(new double[] {1, 2}));
        m.put("n", array("<i8", new long[0], 8, b -> b.putLong(5)));
        assertEquals("{\"x\": [1.0, 2.0], \"n\": 5}", json(m));
        List<Object> list = new ArrayList<>(Arrays.asList(NdArray.ofBooleans(new boolean[0]), null));
        assertEquals("[[], null]", json(list));
    }
}

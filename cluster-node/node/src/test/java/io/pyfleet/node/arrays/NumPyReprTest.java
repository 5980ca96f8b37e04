package io.pyfleet.node.arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code NdArray.toString()} and {@code PyArray.toString()} against the {@code repr} of a real NumPy
 * (the worker's {@code repr(numpy.asarray(x))}): a corpus of arrays chosen for each rule (integers and
 * their widths, floats positional and scientific, non-integral, negative, nan and inf, float32, bools,
 * complex, 0-d, empty, 2-d and 3-d, line wrapping, over 1000 elements summarised) and a few hundred
 * random ones. Every case must match character for character; none needed an exception.
 */
class NumPyReprTest {
    private static EmbeddedNode fleet;

    @BeforeAll
    static void start() {
        fleet = TestFleets.start(1);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    private static NdArray doubles(double... v) {
        return NdArray.ofDoubles(v);
    }

    private static NdArray floats(float... v) {
        return NdArray.ofFloats(v);
    }

    private static NdArray filled(DType t, long[] shape, IntToDoubleFunction value) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) n * t.itemSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double v = value.applyAsDouble(i);
            switch (t) {
                case BOOL -> b.put((byte) (v != 0 ? 1 : 0));
                case INT8, UINT8 -> b.put((byte) (long) v);
                case INT16, UINT16 -> b.putShort((short) (long) v);
                case INT32, UINT32 -> b.putInt((int) (long) v);
                case INT64, UINT64 -> b.putLong((long) v);
                case FLOAT32 -> b.putFloat((float) v);
                case FLOAT64 -> b.putDouble(v);
                case COMPLEX128 -> b.putDouble(v).putDouble(-v / 3);
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return NdArray.of(t, b.flip(), shape);
    }

    private static Map<String, NdArray> corpus() {
        Map<String, NdArray> c = new LinkedHashMap<>();
        c.put("integral floats", doubles(1, 2, 3));
        c.put("non-integral floats pad right", doubles(1, 2.5, -3.125));
        c.put("0.1 + 0.2 and a third", doubles(0.1 + 0.2, 1.0 / 3));
        c.put("negative zero", doubles(-0.0, 1));
        c.put("nan and inf", doubles(1, 2.5, Double.NaN, Double.NEGATIVE_INFINITY));
        c.put("only nan and inf", doubles(Double.NaN, Double.POSITIVE_INFINITY));
        c.put("large magnitude", doubles(1e10, 1));
        c.put("small magnitude", doubles(1e-5, 1.5e-10));
        c.put("huge range", doubles(1e-300, 1e300, -2.5e100));
        c.put("zero in scientific", doubles(0, 1e-5, 1.5e-10));
        c.put("wide ratio", doubles(1, 1001));
        c.put("many digits", doubles(Math.PI, Math.E, -Math.sqrt(2)));
        c.put("eight digits rounded", doubles(0.123456789123, 12345.678901234));
        c.put("big integral floats", doubles(12345678, 99999999));
        c.put("1e8 goes scientific", doubles(1e8, 1));
        c.put("float32", floats(0.1f, 1e5f, -2.5f));
        c.put("float32 scientific", floats(1e-5f, 1.2345678e10f));
        c.put("float32 1e6", floats(1e6f, 1));
        c.put("float32 thirds", floats(1f / 3, 2f / 3));
        c.put("int64", NdArray.ofLongs(new long[] {1, 2, 3}));
        c.put("int64 widths", NdArray.ofLongs(new long[] {-1, 100, Long.MIN_VALUE, Long.MAX_VALUE}));
        c.put("int32", NdArray.ofInts(new int[] {1, -20, 300}));
        c.put("int16", NdArray.ofShorts(new short[] {Short.MIN_VALUE, 0, 7}));
        c.put("int8", NdArray.ofBytes(new byte[] {-128, 5, 127}));
        c.put("uint8", NdArray.of(DType.UINT8, ByteBuffer.wrap(new byte[] {(byte) 255, 0, 9}), 3));
        c.put("uint64 over a long", NdArray.of(DType.UINT64, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(-1).putLong(3).flip(), 2));
        c.put("bools", NdArray.ofBooleans(new boolean[] {true, false}));
        c.put("false only", NdArray.ofBooleans(new boolean[] {false, false}));
        c.put("complex", filled(DType.COMPLEX128, new long[] {3}, i -> i * 1.5 - 1));
        c.put("complex nan", NdArray.of(DType.COMPLEX128, ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(1).putDouble(Double.NaN).putDouble(Double.NEGATIVE_INFINITY).putDouble(2).flip(), 2));
        c.put("2-d ints", NdArray.ofLongs(new long[] {1, 2, 3, 4}, 2, 2));
        c.put("2-d floats", filled(DType.FLOAT64, new long[] {3, 4}, i -> i / 7.0));
        c.put("3-d ints", filled(DType.INT64, new long[] {2, 3, 4}, i -> i));
        c.put("3-d floats scientific", filled(DType.FLOAT64, new long[] {2, 2, 2}, i -> Math.pow(10, i * 3 - 9)));
        c.put("rows that wrap", filled(DType.FLOAT64, new long[] {30}, i -> i / 29.0));
        c.put("ints that wrap", filled(DType.INT64, new long[] {100}, i -> i * i));
        c.put("2-d rows that wrap", filled(DType.FLOAT64, new long[] {3, 12}, i -> Math.sin(i)));
        c.put("empty float64", doubles());
        c.put("empty int32", NdArray.ofInts(new int[0]));
        c.put("empty 2-d", NdArray.of(DType.FLOAT64, ByteBuffer.allocate(0), 0, 3));
        c.put("empty 3-d int16", NdArray.of(DType.INT16, ByteBuffer.allocate(0), 2, 0, 4));
        c.put("0-d float", NdArray.of(DType.FLOAT64, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(3.5).flip()));
        c.put("0-d int8", NdArray.of(DType.INT8, ByteBuffer.wrap(new byte[] {7})));
        c.put("0-d bool", NdArray.of(DType.BOOL, ByteBuffer.wrap(new byte[] {1})));
        c.put("0-d nan", NdArray.of(DType.FLOAT64, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(Double.NaN).flip()));
        c.put("1001 ints summarised", filled(DType.INT64, new long[] {1001}, i -> i));
        c.put("2000 floats summarised", filled(DType.FLOAT64, new long[] {2000}, i -> i / 3.0));
        c.put("2-d summarised", filled(DType.FLOAT64, new long[] {100, 100}, i -> i * 0.01));
        c.put("3-d summarised", filled(DType.INT32, new long[] {20, 20, 20}, i -> i - 4000));
        c.put("summarised with one short axis", filled(DType.FLOAT32, new long[] {2, 600}, i -> i * 1.5));
        c.put("summarised bools", filled(DType.BOOL, new long[] {1500}, i -> i % 3));
        return c;
    }

    /** Arrays of random dtypes, shapes and magnitudes, the same ones every run. */
    private static Map<String, NdArray> random(int count) {
        SplittableRandom r = new SplittableRandom(20240611);
        DType[] types = DType.values();
        Map<String, NdArray> c = new LinkedHashMap<>();
        for (int k = 0; k < count; k++) {
            DType t = types[r.nextInt(types.length)];
            int ndim = r.nextInt(4);
            long[] shape = new long[ndim];
            for (int d = 0; d < ndim; d++) {
                shape[d] = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(ndim == 1 ? 40 : 6);
            }
            if (r.nextInt(25) == 0) {
                shape = new long[] {1000 + r.nextInt(300)};
            }
            int mode = r.nextInt(8);
            int scale = r.nextInt(25) - 12;
            double nonFinite = r.nextInt(4) == 0 ? 0.1 : 0;
            SplittableRandom values = r.split();
            NdArray a = filled(t, shape, i -> {
                if (t.isIntegral()) {
                    return switch (mode % 3) {
                        case 0 -> values.nextInt(10);
                        case 1 -> values.nextInt(2001) - 1000;
                        default -> values.nextLong();
                    };
                }
                if (values.nextDouble() < nonFinite) {
                    return new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0}[
                            values.nextInt(4)];
                }
                return switch (mode) {
                    case 0 -> values.nextInt(100) - 50;
                    case 1 -> values.nextInt(1000) / 8.0;
                    case 2 -> values.nextDouble();
                    case 3 -> values.nextGaussian() * Math.pow(10, scale);
                    case 4 -> values.nextGaussian() * Math.pow(10, values.nextInt(40) - 20);
                    case 5 -> Math.round(values.nextGaussian() * 1e4) / 1e4;
                    case 6 -> values.nextDouble() * Math.pow(10, scale);
                    default -> Double.longBitsToDouble(values.nextLong());
                };
            });
            c.put("random #" + k + " " + t + " " + java.util.Arrays.toString(shape) + " mode " + mode, a);
        }
        return c;
    }

    @Test
    void ndArraysPrintAsNumPysRepr() {
        Map<String, NdArray> cases = new LinkedHashMap<>(corpus());
        cases.putAll(random(400));
        List<String> names = new ArrayList<>(cases.keySet());
        List<NdArray> arrays = new ArrayList<>(cases.values());
        List<?> expected = (List<?>) fleet.call("arraytest.reprs", arrays);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < arrays.size(); i++) {
            String ours = arrays.get(i).toString();
            if (!ours.equals(expected.get(i))) {
                wrong.add(names.get(i) + ":\n  numpy: " + expected.get(i) + "\n  ours:  " + ours);
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + arrays.size() + " differ:\n" + String.join("\n", wrong));
    }

    @Test
    void aNodeArrayPrintsItsValuesAndWhereItLives() {
        try (PyArray a = fleet.array(new double[] {1, 2.5})) {
            assertEquals("PyArray(array([1. , 2.5]), on " + a.owner() + ")", a.toString());
            a.close();
            assertEquals("PyArray(dtype=float64, shape=(2,), on " + a.owner() + ", closed)", a.toString());
        }
        try (PyArray big = fleet.callArray("numpy.arange", 5000)) {
            String repr = (String) fleet.builtin("repr", big);
            assertEquals("PyArray(" + repr + ", on " + big.owner() + ")", big.toString());
        }
        PyArray heap = PyArray.of(NdArray.ofInts(new int[] {1, 2}));
        assertEquals("PyArray(array([1, 2], dtype=int32))", heap.toString(), "a heap array has no owner to show");
    }
}

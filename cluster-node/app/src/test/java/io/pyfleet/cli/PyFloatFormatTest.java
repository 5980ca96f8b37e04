package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.PyFloatFormat;
import io.pyfleet.node.TestPython;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PyFloatFormatTest {

    @Test
    void layoutFollowsPythonsThresholds() {
        assertEquals("0.0001", PyFloatFormat.repr(0.0001));
        assertEquals("1e-05", PyFloatFormat.repr(0.00001));
        assertEquals("0.00012", PyFloatFormat.repr(0.00012));
        assertEquals("1.2e-05", PyFloatFormat.repr(0.000012));
        assertEquals("1000000000000000.0", PyFloatFormat.repr(1e15));
        assertEquals("1e+16", PyFloatFormat.repr(1e16));
        assertEquals("1.234e+16", PyFloatFormat.repr(1.234e16));
        assertEquals("1e+100", PyFloatFormat.repr(1e100));
        assertEquals("-1e-100", PyFloatFormat.repr(-1e-100));
        assertEquals("12.5", PyFloatFormat.repr(12.5));
        assertEquals("nan", PyFloatFormat.repr(Double.NaN));
        assertEquals("inf", PyFloatFormat.repr(Double.POSITIVE_INFINITY));
        assertEquals("-inf", PyFloatFormat.repr(Double.NEGATIVE_INFINITY));
        assertEquals("-0.0", PyFloatFormat.repr(-0.0));
    }

    @Test
    void float32UsesItsOwnShortestDigits() {
        assertEquals("0.1", PyFloatFormat.repr(0.1f));
        assertEquals("0.33333334", PyFloatFormat.repr(1f / 3));
        assertEquals("16777216.0", PyFloatFormat.repr(16777216f));
        assertEquals("3.4028235e+38", PyFloatFormat.repr(Float.MAX_VALUE));
        assertEquals("1e-45", PyFloatFormat.repr(Float.MIN_VALUE));
        assertEquals("0.0001", PyFloatFormat.repr(1e-4f));
        assertEquals("-0.0", PyFloatFormat.repr(-0f));
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 40_000; i++) {
            float f = Float.intBitsToFloat(i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(1, 1 << 23));
            if (!Float.isFinite(f)) {
                continue;
            }
            String s = PyFloatFormat.repr(f);
            assertEquals(f, Float.parseFloat(s), s);
            assertTrue(digits(s) <= digits(Float.toString(f)), s + " vs " + Float.toString(f));
        }
    }

    private static int digits(String s) {
        String mantissa = s.toLowerCase().split("e")[0].replace("-", "").replace(".", "");
        mantissa = mantissa.replaceFirst("^0+", "").replaceFirst("0+$", "");
        return Math.max(1, mantissa.length());
    }

    /** Random bit patterns and decimal-looking values, formatted here and by CPython's repr. */
    @Test
    void matchesCPythonReprOnManyValues(@TempDir Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(42);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(rnd.nextLong());
            if (Double.isFinite(d)) {
                values.add(d);
            }
        }
        for (int i = 0; i < 5_000; i++) {
            values.add(rnd.nextInt(-1_000_000, 1_000_000) / Math.pow(10, rnd.nextInt(0, 25)));
            values.add(rnd.nextDouble() * Math.pow(10, rnd.nextInt(-30, 30)));
        }
        for (int e = -330; e <= 310; e++) {
            values.add(Double.parseDouble("1e" + e));
            values.add(Math.scalb(1.0, e));
            values.add(Math.nextUp(Math.scalb(1.0, Math.max(-1074, Math.min(1023, e)))));
        }
        for (int i = 0; i < 3_000; i++) {
            values.add(Double.longBitsToDouble(rnd.nextLong(1L, 1L << 52)));   // subnormals
            values.add(Double.longBitsToDouble(rnd.nextLong(1L, 1L << 12)));   // tiny subnormals, few digits
        }
        values.add(Double.MIN_VALUE);
        values.add(Double.MAX_VALUE);
        values.add(Double.MIN_NORMAL);

        StringBuilder input = new StringBuilder();
        for (double d : values) {
            input.append(Double.toHexString(d)).append('\n');
        }
        Path in = Files.writeString(dir.resolve("in.txt"), input);
        Process p = new ProcessBuilder(TestPython.interpreter(), "-c",
                "import sys\nfor line in open(sys.argv[1]): print(repr(float.fromhex(line.strip())))", in.toString())
                .redirectErrorStream(true).start();
        List<String> expected;
        try {
            expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
        } finally {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        }
        assertEquals(0, p.exitValue(), String.join("\n", expected));
        assertEquals(values.size(), expected.size());
        int mismatches = 0;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            String mine = PyFloatFormat.repr(values.get(i));
            if (!mine.equals(expected.get(i))) {
                if (mismatches++ < 10) {
                    report.append(Double.toHexString(values.get(i))).append(": python ").append(expected.get(i))
                            .append(", here ").append(mine).append('\n');
                }
            }
        }
        assertEquals(0, mismatches, report.toString());
    }

    @Test
    void bigValuesRoundTrip() throws IOException {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 50_000; i++) {
            double d = Double.longBitsToDouble(rnd.nextLong());
            if (Double.isFinite(d)) {
                assertEquals(d, Double.parseDouble(PyFloatFormat.repr(d)));
            }
        }
    }
}

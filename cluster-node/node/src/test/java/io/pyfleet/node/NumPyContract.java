package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.DType;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NumPy;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NumPy table ({@link NumPy}) on real workers, one test per family: creation, element-wise
 * math, reductions, shape, linear algebra and polynomials, indexing and slicing, files. A
 * subclass opens the fleet (embedded: arrays in node memory; over TCP: by value).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class NumPyContract {
    private static final double EPS = 1e-12;
    private Fleet fleet;
    private NumPy np;

    protected abstract Fleet open();

    /** True when array results live in node memory (an embedded fleet), false when they came by value. */
    protected abstract boolean nodeOwned();

    protected NumPy np() {
        if (np == null) {
            fleet = open();
            np = NumPy.on(fleet);
        }
        return np;
    }

    /** Closes the fleet {@link #open()} gave (and whatever it runs on). */
    protected void close(Fleet opened) {
        opened.close();
    }

    @AfterAll
    void closeFleet() {
        if (fleet != null) {
            close(fleet);
        }
    }

    @Test
    void aNumPyFailureShowsNumPysFramesThenTheCaller() {
        NumPy n = np();
        PyArray six = n.arange(6);
        StackTraceElement caller = null;
        try {
            caller = FailureStacks.nextLine();
            n.reshape(six, 4, 4);
            org.junit.jupiter.api.Assertions.fail("reshape of 6 items to 4x4 returned");
        } catch (PythonException e) {
            assertEquals("builtins.ValueError", e.pythonType());
            List<StackTraceElement> stack = List.of(e.getStackTrace());
            int python = e.pythonFrames().size();
            assertTrue(python > 0 && stack.get(0).getClassName().startsWith("numpy"), "NumPy's frame on top: " + stack);
            assertEquals(e.pythonFrames(), stack.subList(0, python));
            assertEquals(caller.getClassName() + "." + caller.getMethodName() + ":" + caller.getLineNumber(),
                    stack.get(python).getClassName() + "." + stack.get(python).getMethodName() + ":"
                            + stack.get(python).getLineNumber(), "then the line that called NumPy: " + stack);
        }
    }

    @Test
    void creation() {
        NumPy n = np();
        PyArray z = n.zeros(2, 3);
        assertEquals(DType.FLOAT64, z.dtype());
        assertArrayEquals(new long[] {2, 3}, z.shape());
        assertArrayEquals(new double[6], z.toDoubles());
        assertEquals(nodeOwned(), !z.onHeap(), "where array results live");
        assertArrayEquals(new double[] {1, 1, 1, 1}, n.ones(4).toDoubles());
        assertArrayEquals(new double[] {7, 7, 7, 7}, n.full(new long[] {2, 2}, 7.0).toDoubles());
        assertArrayEquals(new long[] {3}, n.empty(3).shape());
        assertArrayEquals(new double[] {1, 0, 0, 1}, n.eye(2).toDoubles());
        assertArrayEquals(new double[] {1, 0, 0, 1}, n.identity(2).toDoubles());
        PyArray x = n.linspace(0, 1, 5);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, x.toDoubles(), EPS);
        assertArrayEquals(new double[5], n.zerosLike(x).toDoubles());
        assertArrayEquals(new double[] {1, 1, 1, 1, 1}, n.onesLike(x).toDoubles());
        assertArrayEquals(new double[] {2, 2, 2, 2, 2}, n.fullLike(x, 2.0).toDoubles());
        assertArrayEquals(new long[] {5}, n.emptyLike(x).shape());
        assertArrayEquals(new double[] {0, 2, 4}, n.arange(0, 5, 2).toDoubles(), EPS);
        assertArrayEquals(new double[] {0, 1, 2}, n.arange(3).toDoubles(), EPS);
        assertArrayEquals(new long[] {1, 2, 3}, n.array(List.of(1, 2, 3)).toLongs());
        assertArrayEquals(new float[] {1, 2}, n.array(List.of(1, 2), "float32").toFloats());
        assertArrayEquals(new double[] {1.5, 2.5}, n.asarray(new double[] {1.5, 2.5}).toDoubles());
        assertArrayEquals(x.toDoubles(), n.copy(x).toDoubles());
        byte[] raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.25).putDouble(-3).array();
        assertArrayEquals(new double[] {1.25, -3}, n.frombuffer(raw, "<f8").toDoubles());
        List<PyArray> grid = n.meshgrid(new double[] {1, 2, 3}, new double[] {10, 20});
        assertEquals(2, grid.size());
        assertArrayEquals(new long[] {2, 3}, grid.get(0).shape());
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, grid.get(0).toDoubles());
        assertArrayEquals(new double[] {10, 10, 10, 20, 20, 20}, grid.get(1).toDoubles());
    }

    @Test
    void elementWiseMath() {
        NumPy n = np();
        PyArray x = n.linspace(0.1, 0.9, 3);
        double[] v = x.toDoubles();
        assertArrayEquals(map(v, Math::sin), n.sin(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::cos), n.cos(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::tan), n.tan(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::asin), n.arcsin(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::acos), n.arccos(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::atan), n.arctan(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::sinh), n.sinh(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::cosh), n.cosh(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::tanh), n.tanh(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::exp), n.exp(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::expm1), n.expm1(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::log), n.log(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::log10), n.log10(x).toDoubles(), EPS);
        assertArrayEquals(map(v, d -> Math.log(d) / Math.log(2)), n.log2(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::log1p), n.log1p(x).toDoubles(), EPS);
        assertArrayEquals(map(v, Math::sqrt), n.sqrt(x).toDoubles(), EPS);
        assertArrayEquals(map(v, d -> d * d), n.square(x).toDoubles(), EPS);
        assertArrayEquals(new double[] {1.5, 2}, n.absolute(new double[] {-1.5, 2}).toDoubles());
        assertArrayEquals(new double[] {-2, 1}, n.floor(new double[] {-1.5, 1.5}).toDoubles());
        assertArrayEquals(new double[] {-1, 2}, n.ceil(new double[] {-1.5, 1.5}).toDoubles());
        double[] a = {1, 2, 3};
        double[] b = {4, 5, 6};
        assertArrayEquals(new double[] {5, 7, 9}, n.add(a, b).toDoubles());
        assertArrayEquals(new double[] {-3, -3, -3}, n.subtract(a, b).toDoubles());
        assertArrayEquals(new double[] {4, 10, 18}, n.multiply(a, b).toDoubles());
        assertArrayEquals(new double[] {0.25, 0.4, 0.5}, n.divide(a, b).toDoubles(), EPS);
        assertArrayEquals(new double[] {1, 32, 729}, n.power(a, b).toDoubles(), EPS);
        assertArrayEquals(new double[] {1, 2, 0}, n.mod(new double[] {4, 5, 6}, 3.0).toDoubles());
        assertArrayEquals(new double[] {4, 5, 6}, n.maximum(a, b).toDoubles());
        assertArrayEquals(a, n.minimum(a, b).toDoubles());
        PyArray doubled = n.multiply(n.multiply(x, 2.0), 1.0); // a result passed on as an argument
        assertArrayEquals(map(v, d -> 2 * d), doubled.toDoubles(), EPS);
    }

    @Test
    void reductions() {
        NumPy n = np();
        PyArray m = n.array(List.of(List.of(1.0, 5.0, 3.0), List.of(4.0, 2.0, 6.0)));
        assertEquals(6.0, n.max(m));
        assertEquals(5L, n.argmax(m));
        assertEquals(1.0, n.min(m));
        assertEquals(0L, n.argmin(m));
        assertEquals(21.0, n.sum(m));
        assertEquals(720.0, n.prod(m));
        assertEquals(3.5, n.mean(m), EPS);
        assertEquals(35.0 / 12, n.var(m), EPS);
        assertEquals(Math.sqrt(35.0 / 12), n.std(m), EPS);
        assertTrue(n.all(m));
        assertFalse(n.any(n.zeros(3)));
        assertArrayEquals(new double[] {1, 6, 9, 13, 15, 21}, n.cumsum(m).toDoubles());
        assertArrayEquals(new double[] {4, 5, 6}, n.max(m, 0).toDoubles());
        assertArrayEquals(new long[] {1, 2}, n.argmax(m, 1).toLongs());
        assertArrayEquals(new double[] {1, 2}, n.min(m, 1).toDoubles());
        assertArrayEquals(new long[] {0, 1, 0}, n.argmin(m, 0).toLongs());
        assertArrayEquals(new double[] {9, 12}, n.sum(m, 1).toDoubles());
        assertArrayEquals(new double[] {4, 10, 18}, n.prod(m, 0).toDoubles());
        assertArrayEquals(new double[] {3, 4}, n.mean(m, 1).toDoubles(), EPS);
        assertArrayEquals(new double[] {2.25, 2.25, 2.25}, n.var(m, 0).toDoubles(), EPS);
        assertArrayEquals(new double[] {1.5, 1.5, 1.5}, n.std(m, 0).toDoubles(), EPS);
    }

    @Test
    void shape() {
        NumPy n = np();
        PyArray r = n.reshape(n.arange(6), 2, 3);
        assertArrayEquals(new long[] {2, 3}, r.shape());
        PyArray t = n.transpose(r);
        assertArrayEquals(new long[] {3, 2}, t.shape());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, t.toDoubles(), "a transposed view comes back C-contiguous");
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, n.ravel(r).toDoubles());
        assertArrayEquals(new long[] {3}, n.squeeze(n.reshape(n.arange(3), 1, 3, 1)).shape());
    }

    @Test
    void linearAlgebraAndPolynomials() {
        NumPy n = np();
        PyArray a = n.array(List.of(List.of(1.0, 2.0), List.of(3.0, 4.0)));
        PyArray b = n.array(List.of(List.of(5.0, 6.0), List.of(7.0, 8.0)));
        assertArrayEquals(new double[] {19, 22, 43, 50}, n.dot(a, b).toDoubles());
        assertArrayEquals(new double[] {19, 22, 43, 50}, n.matmul(a, b).toDoubles());
        PyArray x = n.linspace(0, 4, 5);
        PyArray y = n.add(n.multiply(n.square(x), 2.0), 1.0); // 2x^2 + 1
        PyArray coeffs = n.polyfit(x, y, 2);
        assertArrayEquals(new double[] {2, 0, 1}, coeffs.toDoubles(), 1e-9);
        try (PyObject p = n.poly1d(coeffs)) {
            assertArrayEquals(new double[] {1, 3, 9}, n.polyval(p, new double[] {0, 1, 2}).toDoubles(), 1e-9);
        }
        assertArrayEquals(new double[] {1, 3}, n.polyval(coeffs, new double[] {0, 1}).toDoubles(), 1e-9);
    }

    @Test
    void indexingAndSlicing() {
        NumPy n = np();
        PyArray m = n.reshape(n.arange(12), 3, 4);
        assertEquals(6.0, n.get(m, 1, 2));
        assertEquals(11.0, n.get(m, -1, -1));
        PyArray rows = n.slice(m, NumPy.range(0L, null, 2L), NumPy.ALL);
        assertArrayEquals(new long[] {2, 4}, rows.shape());
        assertArrayEquals(new double[] {0, 1, 2, 3, 8, 9, 10, 11}, rows.toDoubles());
        PyArray column = n.slice(m, NumPy.ALL, 1L);
        assertArrayEquals(new double[] {1, 5, 9}, column.toDoubles(), "a strided column, made contiguous");
        assertThrows(PythonException.class, () -> n.get(m, 5, 0), "out of range is Python's IndexError");
    }

    @Test
    void saveAndLoad(@TempDir Path dir) {
        NumPy n = np();
        PyArray x = n.linspace(-1, 1, 7);
        String file = dir.resolve("x.npy").toString();
        n.save(file, x);
        assertArrayEquals(x.toDoubles(), n.load(file).toDoubles());
    }

    /** Issue 18: a Java array over the frame limit, passed straight to a call (through node memory). */
    @Test
    void aHundredMegabyteJavaArraySums() {
        double[] big = new double[12_500_000]; // 100 MB, over the 64 MiB frames of workers and gateways
        java.util.Arrays.fill(big, 0.5);
        assertEquals(6_250_000.0, np().sum(big));
    }

    private static double[] map(double[] v, java.util.function.DoubleUnaryOperator f) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return out;
    }
}

package io.pyfleet.protocol;

import static io.pyfleet.protocol.Hex.bytes;
import static io.pyfleet.protocol.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * The shared vectors in spec/vectors.json: each valid one built natively, encoded, decoded and re-encoded;
 * each invalid one rejected by the decoder.
 */
class VectorsTest {
    private static final int MIN_VECTORS = 60;
    private static final int MIN_INVALID = 40;

    @TestFactory
    Stream<DynamicTest> vectors() throws IOException {
        JsonNode valid = section("valid", MIN_VECTORS);
        Set<String> names = new HashSet<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : valid) {
            String name = v.path("name").asText();
            assertTrue(names.add(name), "duplicate vector name " + name);
            tests.add(DynamicTest.dynamicTest(name, () -> check(v)));
        }
        return tests.stream();
    }

    /** The "invalid" section: malformed values that must fail to decode with a protocol error. */
    @TestFactory
    Stream<DynamicTest> invalidVectors() throws IOException {
        JsonNode invalid = section("invalid", MIN_INVALID);
        Set<String> names = new HashSet<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : invalid) {
            String name = v.path("name").asText();
            assertTrue(names.add(name), "duplicate invalid vector name " + name);
            tests.add(DynamicTest.dynamicTest(name, () -> checkInvalid(v)));
        }
        return tests.stream();
    }

    private static JsonNode section(String name, int atLeast) throws IOException {
        Path file = locate();
        JsonNode section = new ObjectMapper().readTree(file.toFile()).path(name);
        assertTrue(section.isArray(), file + " must hold a JSON array \"" + name + "\"");
        if (section.size() < atLeast) {
            fail(file + " has " + section.size() + " " + name + " vectors, expected at least " + atLeast);
        }
        return section;
    }

    @Test
    void comparisonIsStrict() {
        assertFalse(same(1L, BigInteger.ONE));
        assertFalse(same(1L, 1));
        assertFalse(same(Double.NaN, Double.longBitsToDouble(0x7ff8000000000001L)));
        assertFalse(same(0.0, -0.0));
        assertTrue(same(new LinkedHashSet<>(List.of(1L, 2L)), new LinkedHashSet<>(List.of(2L, 1L))));
        Map<Object, Object> ab = new LinkedHashMap<>();
        ab.put("a", 1L);
        ab.put("b", 2L);
        Map<Object, Object> ba = new LinkedHashMap<>();
        ba.put("b", 2L);
        ba.put("a", 1L);
        assertFalse(same(ab, ba), "dict order matters");
        assertFalse(same(List.of(1L), PyTuple.of(1L)));
        assertTrue(same(List.of(new byte[] {1}), List.of(new byte[] {1})));
    }

    private static void check(JsonNode vector) {
        String hex = vector.get("hex").asText().toLowerCase();
        Object value = build(vector.get("value"));
        assertEquals(hex, hex(ValueCodec.encode(value)), "encode");
        Object decoded = ValueCodec.decode(bytes(hex));
        assertSame(value, decoded, "decoded");
        assertEquals(hex, hex(ValueCodec.encode(decoded)), "re-encode");
    }

    /**
     * Decoding fails with a ProtocolException, fast (a huge declared length allocates nothing); through an
     * unpacker of unknown length it fails too, or stops before the end (trailing bytes are the caller's).
     */
    private static void checkInvalid(JsonNode vector) {
        assertEquals("protocol", vector.path("error").asText(), "error kind");
        byte[] data = bytes(vector.get("hex").asText());
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            ProtocolException e = assertThrows(ProtocolException.class, () -> ValueCodec.decode(data));
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "the error says why");
            MessageUnpacker u = MessagePack.newDefaultUnpacker(new ByteArrayInputStream(data));
            try {
                ValueCodec.decode(u);
                assertTrue(u.hasNext(), "decoded as one complete value from a stream");
            } catch (ProtocolException expected) {
                // as from bytes
            }
        });
    }

    /** spec/vectors.json: from -Dpyfleet.repo, else the first ancestor of the working directory holding it. */
    private static Path locate() {
        List<Path> starts = new ArrayList<>();
        String repo = System.getProperty("pyfleet.repo");
        if (repo != null && !repo.isBlank()) {
            starts.add(Path.of(repo).toAbsolutePath());
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("spec").resolve("vectors.json");
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        return fail("spec/vectors.json not found from " + starts);
    }

    // ------------------------------------------------------------------ typed JSON to Java values

    static Object build(JsonNode node) {
        if (!node.isObject() || node.size() != 1) {
            throw new IllegalArgumentException("a typed value is an object with one key: " + node);
        }
        Map.Entry<String, JsonNode> e = node.properties().iterator().next();
        JsonNode v = e.getValue();
        return switch (e.getKey()) {
            case "none" -> null;
            case "bool" -> v.booleanValue();
            case "int" -> integer(new BigInteger(v.asText()));
            case "float", "float_bits" -> floating(node);
            case "str" -> v.textValue();
            case "bytes" -> bytes(v.asText());
            case "list" -> {
                List<Object> list = new ArrayList<>();
                v.forEach(x -> list.add(build(x)));
                yield list;
            }
            case "tuple" -> {
                List<Object> list = new ArrayList<>();
                v.forEach(x -> list.add(build(x)));
                yield new PyTuple(list);
            }
            case "set" -> {
                Set<Object> set = new LinkedHashSet<>();
                v.forEach(x -> set.add(build(x)));
                yield set;
            }
            case "dict" -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                v.forEach(pair -> map.put(build(pair.get(0)), build(pair.get(1))));
                yield map;
            }
            case "date" -> LocalDate.parse(v.asText());
            case "time" -> {
                String s = v.asText();
                yield hasOffset(s) ? OffsetTime.parse(s) : LocalTime.parse(s);
            }
            case "datetime" -> {
                String s = v.asText().replace(' ', 'T');
                yield hasOffset(s.substring(s.indexOf('T') + 1)) ? OffsetDateTime.parse(s) : LocalDateTime.parse(s);
            }
            case "timedelta" -> Duration.ofDays(v.get(0).asLong()).plusSeconds(v.get(1).asLong())
                    .plusNanos(v.get(2).asLong() * 1000);
            case "ndarray" -> {
                long[] shape = new long[v.get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = v.get("shape").get(i).asLong();
                }
                yield nd(v.get("dtype").asText(), shape, bytes(v.get("data").asText()));
            }
            case "handle" -> new Handle(v.get(0).asText(), v.get(1).asText(), v.get(2).asLong(), v.get(3).asLong(),
                    v.get(4).asText());
            case "error" -> {
                List<RemoteError.Frame> frames = new ArrayList<>();
                for (JsonNode f : v.path(4)) {
                    frames.add(new RemoteError.Frame(f.get(0).asText(), f.get(1).asInt(), f.get(2).asText(),
                            f.get(3).asText()));
                }
                yield new RemoteError(v.get(0).asText(), v.get(1).asText(), v.get(2).asText(), v.get(3).asText(),
                        frames);
            }
            case "complex" -> new PyComplex(part(v.get(0)), part(v.get(1)));
            default -> throw new IllegalArgumentException("unknown typed value " + e.getKey());
        };
    }

    private static Object integer(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private static boolean hasOffset(String time) {
        return time.endsWith("Z") || time.indexOf('+') >= 0 || time.indexOf('-') >= 0;
    }

    /** {"float": "..."} or {"float_bits": "hex"}. */
    private static double floating(JsonNode node) {
        if (node.has("float_bits")) {
            return Double.longBitsToDouble(Long.parseUnsignedLong(node.get("float_bits").asText(), 16));
        }
        return parseFloat(node.get("float").asText());
    }

    /** A complex part: a float string, or a typed float object. */
    private static double part(JsonNode v) {
        return v.isObject() ? floating(v) : v.isNumber() ? v.doubleValue() : parseFloat(v.asText());
    }

    private static double parseFloat(String s) {
        return switch (s.toLowerCase()) {
            case "nan" -> Double.NaN;
            case "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    // ------------------------------------------------------------------ comparison

    /** Deep equality: exact classes for scalars, NaN-aware bitwise doubles, byte[] and NdArray by content, sets as sets. */
    static void assertSame(Object expected, Object actual, String where) {
        if (!same(expected, actual)) {
            fail(where + ": expected " + show(expected) + " but got " + show(actual));
        }
    }

    static boolean same(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Double x) {
            return b instanceof Double y && Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(y);
        }
        if (a instanceof byte[] x) {
            return b instanceof byte[] y && Arrays.equals(x, y);
        }
        if (a instanceof PyComplex x) {
            return b instanceof PyComplex y && Double.doubleToRawLongBits(x.real()) == Double.doubleToRawLongBits(y.real())
                    && Double.doubleToRawLongBits(x.imag()) == Double.doubleToRawLongBits(y.imag());
        }
        if (a instanceof PyTuple x) {
            return b instanceof PyTuple y && sameList(x.items(), y.items());
        }
        if (a instanceof List<?> x) {
            return b instanceof List<?> y && sameList(x, y);
        }
        if (a instanceof Set<?> x) {
            if (!(b instanceof Set<?> y) || x.size() != y.size()) {
                return false;
            }
            List<Object> left = new ArrayList<>(y);
            for (Object item : x) {
                boolean found = false;
                for (Iterator<Object> it = left.iterator(); it.hasNext(); ) {
                    if (same(item, it.next())) {
                        it.remove();
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x) {
            if (!(b instanceof Map<?, ?> y) || x.size() != y.size()) {
                return false;
            }
            Iterator<? extends Map.Entry<?, ?>> i = x.entrySet().iterator();
            Iterator<? extends Map.Entry<?, ?>> j = y.entrySet().iterator();
            while (i.hasNext()) {
                Map.Entry<?, ?> p = i.next();
                Map.Entry<?, ?> q = j.next();
                if (!same(p.getKey(), q.getKey()) || !same(p.getValue(), q.getValue())) {
                    return false;
                }
            }
            return true;
        }
        return a.getClass() == b.getClass() && a.equals(b);
    }

    private static boolean sameList(List<?> x, List<?> y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (int k = 0; k < x.size(); k++) {
            if (!same(x.get(k), y.get(k))) {
                return false;
            }
        }
        return true;
    }

    private static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof byte[] b) {
            return "bytes(" + hex(b) + ")";
        }
        if (v instanceof Double d) {
            return d + " (bits " + Long.toHexString(Double.doubleToRawLongBits(d)) + ")";
        }
        return v + " (" + v.getClass().getSimpleName() + ")";
    }

    /** An array by value from a descr, a shape and its bytes. */
    private static NdArray nd(String descr, long[] shape, byte[] data) {
        return NdArray.of(io.pyfleet.client.DType.parse(descr), java.nio.ByteBuffer.wrap(data), shape);
    }
}

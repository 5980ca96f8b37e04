package io.pyfleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonLineHasTheFieldsInOrder() {
        Result r = Result.of("floor_pipe_echo_us", 41.23456, "us", 40.1, 43.0, 5);
        assertEquals("{\"case\":\"floor_pipe_echo_us\",\"value\":41.23,\"unit\":\"us\",\"min\":40.1,\"max\":43,"
                + "\"runs\":5}", r.toJsonLine());
    }

    @Test
    void baselineValueNameAndRatio() throws Exception {
        Result base = Result.of("floor_pipe_echo_us", 40, "us", 39, 41, 5);
        Result r = Result.of("call_sync_p50_us", 50, "us", 48, 52, 5).against(base);
        assertEquals(40.0, r.baseline());
        assertEquals("floor_pipe_echo_us", r.baselineCase());
        assertEquals(1.25, r.ratio());
        JsonNode node = JSON.readTree(r.toJsonLine());
        assertEquals(List.of("case", "value", "unit", "min", "max", "runs", "baseline", "baseline_case", "ratio"),
                iterable(node));
        assertEquals(1.25, node.get("ratio").asDouble());
        assertEquals("floor_pipe_echo_us", node.get("baseline_case").asText());
    }

    @Test
    void noBaselineWhenTheBaselineIsMissingOrZero() {
        Result r = Result.of("x_us", 5, "us", 5, 5, 1);
        assertNull(r.against(null).ratio());
        assertNull(r.against(Result.of("b_us", 0, "us", 0, 0, 1)).baseline());
        assertTrue(!r.against(null).toJsonLine().contains("ratio"));
    }

    @Test
    void numbersAreRoundedWithoutExponents() {
        assertEquals("41.24", Result.number(41.2449));
        assertEquals("0.08241", Result.number(0.082412345));
        assertEquals("1699954", Result.number(1699954.4));
        assertEquals("12345679", Result.number(1.23456789e7));
        assertEquals("1000", Result.number(999.99));
        assertEquals("2", Result.number(2.0));
        assertEquals("-5.6", Result.number(-5.6));
        assertEquals("0", Result.number(0));
        assertEquals("0.000001", Result.number(1e-6));
        assertEquals("null", Result.number(Double.NaN));
        assertEquals("null", Result.number(Double.POSITIVE_INFINITY));
        assertEquals("{\"case\":\"x\",\"value\":null,\"unit\":\"us\",\"min\":1000,\"max\":0.1235,\"runs\":0}",
                Result.of("x", Double.NaN, "us", 999.99, 0.123456, 0).toJsonLine());
    }

    @Test
    void everyLineIsValidJsonAndParsesBack() throws Exception {
        Result r = new Result("odd \"name\"\\\n", 123456.789, "per_s", 1e-9, 9e12, 7, 2.5, "b", 49382.7156);
        String line = r.toJsonLine();
        assertTrue(!line.contains("\n"));
        assertTrue(line.contains(",\"min\":0.000000001,\"max\":9000000000000,"), "figures are plain: " + line);
        JsonNode node = JSON.readTree(line);
        assertEquals("odd \"name\"\\\n", node.get("case").asText());
        Result back = Result.parse(line);
        assertEquals(r.name(), back.name());
        assertEquals(123457, back.value());
        assertEquals("per_s", back.unit());
        assertEquals(7, back.runs());
        assertEquals(2.5, back.baseline());
        assertEquals("b", back.baselineCase());
        assertEquals(49383, back.ratio());
        assertEquals(9e12, back.max());
    }

    @Test
    void parseNeedsCaseValueAndUnitOnly() {
        Result r = Result.parse("{\"case\": \"restart_ms\", \"value\": 107.8, \"unit\": \"ms\"}");
        assertEquals("restart_ms", r.name());
        assertEquals(107.8, r.min());
        assertEquals(107.8, r.max());
        assertEquals(0, r.runs());
        assertNull(r.ratio());
        Result withNulls = Result.parse("{\"case\":\"a\",\"value\":1,\"unit\":\"us\",\"baseline\":null,\"ratio\":null}");
        assertNull(withNulls.baseline());
    }

    @Test
    void parseRejectsWhatIsNotAResult() {
        assertThrows(IllegalArgumentException.class, () -> Result.parse("bench: call_sync 3/5 runs"));
        assertThrows(IllegalArgumentException.class, () -> Result.parse("[1, 2]"));
        assertThrows(IllegalArgumentException.class, () -> Result.parse("{\"case\": \"a\", \"unit\": \"us\"}"));
        assertThrows(IllegalArgumentException.class,
                () -> Result.parse("{\"case\": \"a\", \"value\": \"fast\", \"unit\": \"us\"}"));
        assertThrows(IllegalArgumentException.class, () -> Result.parse("{\"case\": 1, \"value\": 1, \"unit\": \"us\"}"));
        assertThrows(IllegalArgumentException.class, () -> Result.parse("{\"case\": \"a\""));
    }

    private static List<String> iterable(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

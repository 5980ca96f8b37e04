package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonArgsTest {

    @Test
    void integersAreLongs() {
        assertEquals(42L, JsonArgs.parse("42"));
        assertEquals(-7L, JsonArgs.parse("-7"));
        assertEquals(0L, JsonArgs.parse("0"));
        assertEquals(0L, JsonArgs.parse("-0"));
        assertEquals(Long.MAX_VALUE, JsonArgs.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, JsonArgs.parse("-9223372036854775808"));
        assertInstanceOf(Long.class, JsonArgs.parse("1"));
    }

    @Test
    void integersBeyondALongAreExactBigIntegers() {
        assertEquals(new BigInteger("9223372036854775808"), JsonArgs.parse("9223372036854775808"));
        assertEquals(new BigInteger("-9223372036854775809"), JsonArgs.parse("-9223372036854775809"));
        String huge = "1" + "0".repeat(2000) + "7";
        assertEquals(new BigInteger(huge), JsonArgs.parse(huge));
        assertEquals(new BigInteger("481229803398374426442198455156736"),
                JsonArgs.parse("481229803398374426442198455156736"));
    }

    @Test
    void numbersWithAFractionOrExponentAreDoubles() {
        assertEquals(4.2, JsonArgs.parse("4.2"));
        assertEquals(1.0, JsonArgs.parse("1.0"));
        assertEquals(1000.0, JsonArgs.parse("1e3"));
        assertEquals(1e-5, JsonArgs.parse("1E-5"));
        assertEquals(-0.0, JsonArgs.parse("-0.0"));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) JsonArgs.parse("-0.0")));
        assertEquals(0.1, JsonArgs.parse("0.1"));
        assertInstanceOf(Double.class, JsonArgs.parse("2.5e300"));
    }

    @Test
    void literals() {
        assertEquals(Boolean.TRUE, JsonArgs.parse("true"));
        assertEquals(Boolean.FALSE, JsonArgs.parse("false"));
        assertNull(JsonArgs.parse("null"));
    }

    @Test
    void jsonStringsAreUnquotedAndUnescaped() {
        assertEquals("101010", JsonArgs.parse("\"101010\""));
        assertEquals("", JsonArgs.parse("\"\""));
        assertEquals("a\"b\\c\nd", JsonArgs.parse("\"a\\\"b\\\\c\\nd\""));
        assertEquals("\u00e9\ud83d\ude00", JsonArgs.parse("\"\\u00e9\\ud83d\\ude00\""));
        assertEquals("caf\u00e9", JsonArgs.parse("\"caf\u00e9\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "", "  ", "NaN", "Infinity", "-Infinity", "'x'", "1 2", "/* c */ 1", "tru",
        "None", "True", "0x10", "/tmp/file.txt", "a=b", "--", "-", "2024-01-01", "1.2.3", "1_000", "12abc", "e5",
        "x[1]", "a{b}"})
    void aPlainWordIsThePlainString(String text) {
        assertFalse(JsonArgs.looksLikeJson(text), text);
        assertEquals(text, JsonArgs.parse(text));
        assertThrows(IOException.class, () -> JsonArgs.parseJson(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,", "[1, 2", "{\"a\": 1", "{'a': 1}", "[1,]", "{\"a\": 1} x", "[1] 2", " [1", "\"abc",
        "\"a\\qb\"", "\"", "{x}", "[a-z]+", "01", "1.", ".5", "+1", "1e", "-5.", "1e+", "007"})
    void textThatLooksLikeJsonButIsNotIsAnErrorNotAString(String text) {
        assertTrue(JsonArgs.looksLikeJson(text), text);
        JsonArgs.MalformedJson e = assertThrows(JsonArgs.MalformedJson.class, () -> JsonArgs.parse(text));
        assertEquals(text, e.text());
        assertTrue(e.error().matches("[a-z].* \\(column \\d+\\)"), e.error());
        assertFalse(e.error().contains("Jackson") || e.error().contains("Feature") || e.error().contains("code "),
                "no Java advice: " + e.error());
    }

    @Test
    void theErrorSaysWhatIsWrongWhereAndHowToPassAString() {
        JsonArgs.MalformedJson e = assertThrows(JsonArgs.MalformedJson.class, () -> JsonArgs.parse("[1, 2"));
        assertEquals("unexpected end of input: expected close marker for Array (column 6)", e.error());
        assertEquals("argument 1 '[1, 2' looks like JSON but is not: unexpected end of input: expected close marker "
                + "for Array (column 6); to pass it as a string, JSON-quote it: '\"[1, 2\"'", e.describe("argument 1"));
        assertEquals("invalid numeric value: Leading zeroes not allowed (column 2)", error("01"));
        assertEquals("more text after the JSON value (column 5)", error("[1] 2"));
        assertEquals("unexpected end of input: expected a digit for number exponent (column 3)", error("1e"));
        // the hint is what a POSIX shell takes: the JSON string of the text, in single quotes
        e = assertThrows(JsonArgs.MalformedJson.class, () -> JsonArgs.parse("{\"it's\": \\"));
        assertTrue(e.describe("argument 2").endsWith("JSON-quote it: '\"{\\\"it'\\''s\\\": \\\\\"'"),
                e.describe("argument 2"));
        assertEquals("{\"it's\": \\", JsonArgs.parse(JsonArgs.jsonString("{\"it's\": \\")));
        assertEquals("'a'\\''b'", JsonArgs.shellQuote("a'b"));
    }

    private static String error(String text) {
        return assertThrows(JsonArgs.MalformedJson.class, () -> JsonArgs.parse(text)).error();
    }

    @Test
    void aJsonQuotedTextIsTheString() {
        assertEquals("[1, 2", JsonArgs.parse("\"[1, 2\""));
        assertEquals("01", JsonArgs.parse("\"01\""));
    }

    @Test
    void surroundingWhitespaceIsAllowed() {
        assertEquals(42L, JsonArgs.parse(" 42\n"));
        assertEquals(List.of(1L), JsonArgs.parse("\t[1] "));
    }

    @Test
    void objectsAreOrderedMapsAndArraysLists() {
        Object v = JsonArgs.parse("{\"z\": [1, 2.5, {\"b\": null}], \"a\": \"d\", \"m\": {}, \"e\": []}");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m", "e"), new ArrayList<>(m.keySet()));
        List<?> z = assertInstanceOf(ArrayList.class, m.get("z"));
        assertEquals(1L, z.get(0));
        assertEquals(2.5, z.get(1));
        Map<?, ?> inner = assertInstanceOf(Map.class, z.get(2));
        assertTrue(inner.containsKey("b"));
        assertNull(inner.get("b"));
        assertEquals("d", m.get("a"));
        assertEquals(Map.of(), m.get("m"));
        assertEquals(List.of(), m.get("e"));
    }

    @Test
    void nestedArraysKeepBigIntegersAndNulls() {
        Object v = JsonArgs.parse("[[1], [99999999999999999999], [null, true]]");
        assertEquals(Arrays.asList(List.of(1L), List.of(new BigInteger("99999999999999999999")),
                Arrays.asList(null, true)), v);
    }

    @Test
    void theLastOfDuplicateKeysWinsAsInPython() {
        Map<?, ?> m = (Map<?, ?>) JsonArgs.parse("{\"a\": 1, \"b\": 2, \"a\": 3}");
        assertEquals(3L, m.get("a"));
        assertEquals(List.of("a", "b"), new ArrayList<>(m.keySet()));
    }

    @Test
    void keywordsSplitAtTheFirstEqualsSign() {
        Map<String, Object> kw = JsonArgs.keywords(List.of("base=2", "sep=a=b", "empty=", "none=null", "s=\"2\"",
                "xs=[1, 2]"));
        assertEquals(List.of("base", "sep", "empty", "none", "s", "xs"), new ArrayList<>(kw.keySet()));
        assertEquals(2L, kw.get("base"));
        assertEquals("a=b", kw.get("sep"));
        assertEquals("", kw.get("empty"));
        assertTrue(kw.containsKey("none"));
        assertNull(kw.get("none"));
        assertEquals("2", kw.get("s"));
        assertEquals(List.of(1L, 2L), kw.get("xs"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nokey", "=3", "1x=2", "a b=1", "a-b=1", "a.b=1"})
    void malformedKeywordsAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> JsonArgs.keywords(List.of(text)));
    }

    @Test
    void aKeywordValueThatLooksLikeJsonButIsNotNamesTheKeyword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonArgs.keywords(List.of("ok=1", "base=[1")));
        assertTrue(e.getMessage().startsWith("--kw base: '[1' looks like JSON but is not: unexpected end of input"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; to pass it as a string, JSON-quote it: '\"[1\"'"), e.getMessage());
    }

    @Test
    void aRepeatedKeywordIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonArgs.keywords(List.of("a=1", "a=2")));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void identifiers() {
        assertTrue(JsonArgs.isIdentifier("base"));
        assertTrue(JsonArgs.isIdentifier("_x1"));
        assertTrue(JsonArgs.isIdentifier("\u00e9t\u00e9"));
        assertFalse(JsonArgs.isIdentifier(""));
        assertFalse(JsonArgs.isIdentifier("9a"));
        assertFalse(JsonArgs.isIdentifier("a-b"));
    }
}

package io.pyfleet.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns command-line arguments into call arguments: a text that is one valid JSON value becomes that
 * value, anything else is taken as a plain string.
 *
 * <p>JSON objects become {@link LinkedHashMap}s (keys in order, the last of duplicate keys wins, as in
 * Python's {@code json}), arrays {@link java.util.ArrayList}s, integers {@link Long} or, beyond a long,
 * {@link java.math.BigInteger} (exact, any size), numbers with a fraction or an exponent {@link Double},
 * {@code true}/{@code false} {@link Boolean}, {@code null} null. Parsing is strict RFC 8259 (Jackson's
 * defaults, plus {@link DeserializationFeature#FAIL_ON_TRAILING_TOKENS}): no comments, single quotes,
 * {@code NaN} or trailing text, so {@code NaN}, {@code 'x'} or {@code 1 2} are strings.
 */
public final class JsonArgs {
    /** Python's own limit for int/str conversions is 4300 digits; accept more than that. */
    private static final int MAX_NUMBER_LENGTH = 100_000;

    private static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(MAX_NUMBER_LENGTH).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .addModule(new SimpleModule().addDeserializer(Number.class, new PythonNumbers()))
            .build();

    private JsonArgs() {
    }

    /** The JSON value {@code text} holds, or {@code text} itself when it is not exactly one JSON value. */
    public static Object parse(String text) {
        try {
            return parseJson(text);
        } catch (IOException e) {
            return text;
        }
    }

    /**
     * The JSON value {@code text} holds.
     *
     * @throws IOException when {@code text} is not exactly one valid JSON value
     */
    public static Object parseJson(String text) throws IOException {
        return JSON.readValue(text, Object.class);
    }

    /**
     * Splits a {@code KEY=VALUE} keyword argument at its first {@code =} and parses VALUE with
     * {@link #parse}.
     *
     * @throws IllegalArgumentException when there is no {@code =} or KEY is not a Python identifier
     */
    public static Map.Entry<String, Object> keyword(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("keyword argument '" + text + "' is not KEY=VALUE");
        }
        String key = text.substring(0, eq);
        if (!isIdentifier(key)) {
            throw new IllegalArgumentException("keyword argument '" + text + "': '" + key
                    + "' is not a Python identifier");
        }
        return new AbstractMap.SimpleImmutableEntry<>(key, parse(text.substring(eq + 1)));
    }

    /** Keyword arguments in order; a repeated KEY is an error (as in Python). */
    public static Map<String, Object> keywords(List<String> texts) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String t : texts) {
            Map.Entry<String, Object> e = keyword(t);
            if (out.containsKey(e.getKey())) {
                throw new IllegalArgumentException("keyword argument '" + e.getKey() + "' given twice");
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    static boolean isIdentifier(String s) {
        if (s.isEmpty() || !Character.isUnicodeIdentifierStart(s.codePointAt(0)) && s.charAt(0) != '_') {
            return false;
        }
        return s.codePoints().skip(1).allMatch(c -> c == '_' || Character.isUnicodeIdentifierPart(c)
                && !Character.isIdentifierIgnorable(c));
    }

    /**
     * Every JSON number of an untyped value: an integer as a {@link Long} whenever it fits (Jackson's own
     * choice would be an {@link Integer} for small ones), else its exact {@link java.math.BigInteger}; a
     * float as a {@link Double}. (USE_LONG_FOR_INTS fails beyond a long; USE_BIG_INTEGER_FOR_INTS makes
     * every int a BigInteger.)
     */
    private static final class PythonNumbers extends StdScalarDeserializer<Number> {
        private static final long serialVersionUID = 1L;

        PythonNumbers() {
            super(Number.class);
        }

        @Override
        public Number deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            Number n = p.getNumberValue();
            return n instanceof Integer i ? Long.valueOf(i.longValue()) : n;
        }
    }
}

package io.pyfleet.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns command-line arguments into call arguments: a text that is one valid JSON value becomes that
 * value, anything else is taken as a plain string.
 *
 * <p>JSON objects become {@link LinkedHashMap}s (keys in order, the last of duplicate keys wins, as in
 * Python's {@code json}), arrays {@link ArrayList}s, integers {@link Long} or, beyond a long,
 * {@link java.math.BigInteger} (exact, any size), numbers with a fraction or an exponent {@link Double},
 * {@code true}/{@code false} {@link Boolean}, {@code null} null. Parsing is strict RFC 8259: no
 * comments, single quotes, {@code NaN} or trailing text, so {@code NaN}, {@code 'x'} or {@code 1 2} are
 * strings.
 */
public final class JsonArgs {
    /** Python's own limit for int/str conversions is 4300 digits; accept more than that. */
    private static final int MAX_NUMBER_LENGTH = 100_000;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(MAX_NUMBER_LENGTH).build())
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
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new NotJson();
            }
            Object value = read(p, first);
            if (p.nextToken() != null) {
                throw new NotJson();
            }
            return value;
        } catch (NotJson e) {
            throw new IOException("not a single JSON value: " + text);
        }
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

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    map.put(key, read(p, p.nextToken()));
                }
                yield map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    list.add(read(p, e));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT, LONG -> p.getLongValue();
                default -> p.getBigIntegerValue();
            };
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new NotJson();
        };
    }

    /** Thrown inside the parser for a token sequence that is not one JSON value. */
    private static final class NotJson extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotJson() {
            super(null, null, false, false);
        }
    }
}

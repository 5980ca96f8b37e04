package io.pyfleet.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.regex.Pattern;

/**
 * Turns command-line arguments into call arguments: a text that is one valid JSON value becomes that
 * value, a plain word stays a string, and a text that looks like JSON but is not valid JSON is an error.
 *
 * <p>A text <em>looks like JSON</em> when, after leading whitespace, it starts with {@code [}, <code>{</code>
 * or {@code "}, or when it is shaped like a number: an optional sign, digits with at most one decimal point,
 * an optional exponent ({@code 42}, {@code -1.5}, {@code 1e3}, but also {@code 01}, {@code +5}, {@code .5},
 * {@code 1.} and {@code 1e}, which JSON does not allow). Such a text that does not parse is a
 * {@link MalformedJson}, never silently a string: {@code '[1, 2'} is a mistake, not a five-character
 * string. To pass such a text as a string, JSON-quote it: {@code '"[1, 2"'}. Anything else that does not
 * parse is the string itself: {@code hello}, {@code /tmp}, {@code 2024-01-01}, {@code NaN}, {@code True}.
 *
 * <p>JSON objects become {@link LinkedHashMap}s (keys in order, the last of duplicate keys wins, as in
 * Python's {@code json}), arrays {@link java.util.ArrayList}s, integers {@link Long} or, beyond a long,
 * {@link java.math.BigInteger} (exact, any size), numbers with a fraction or an exponent {@link Double},
 * {@code true}/{@code false} {@link Boolean}, {@code null} null. Parsing is strict RFC 8259 (Jackson's
 * defaults, plus {@link DeserializationFeature#FAIL_ON_TRAILING_TOKENS}): no comments, single quotes,
 * {@code NaN} or trailing text.
 */
public final class JsonArgs {
    /** Python's own limit for int/str conversions is 4300 digits; accept more than that. */
    private static final int MAX_NUMBER_LENGTH = 100_000;

    /** Shaped like a number, JSON's or not: sign, digits, one point, exponent (see the class comment). */
    private static final Pattern NUMBER_SHAPED = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d*)?");

    private static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(MAX_NUMBER_LENGTH).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .addModule(new SimpleModule().addDeserializer(Number.class, new PythonNumbers()))
            .build();

    /** A text that looks like JSON (see {@link JsonArgs}) but does not parse. */
    public static final class MalformedJson extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final String text;
        private final String error;

        MalformedJson(String text, String error) {
            super(shellQuote(text) + " looks like JSON but is not: " + error);
            this.text = text;
            this.error = error;
        }

        /**
         * The argument as given.
         *
         * @return the text
         */
        public String text() {
            return text;
        }

        /**
         * What the parser says is wrong, and where.
         *
         * @return e.g. {@code unexpected end of input: expected close marker for Array (column 6)}
         */
        public String error() {
            return error;
        }

        /**
         * One line for the user: {@code what} (e.g. {@code argument 1}), the text, the parse error, and how to
         * pass the text as a string instead.
         *
         * @param what the argument's name for the user, e.g. {@code argument 1} or {@code --kw base:}
         * @return the line
         */
        public String describe(String what) {
            return what + " " + shellQuote(text) + " looks like JSON but is not: " + error
                    + "; to pass it as a string, JSON-quote it: " + shellQuote(jsonString(text));
        }
    }

    private JsonArgs() {
    }

    /**
     * The value of a command-line argument: the JSON value {@code text} holds, or {@code text} itself when it is
     * not JSON and does not look like JSON.
     *
     * @param text a command-line argument
     * @return its value
     * @throws MalformedJson when {@code text} looks like JSON but is not exactly one valid JSON value
     */
    public static Object parse(String text) {
        try {
            return parseJson(text);
        } catch (IOException e) {
            if (looksLikeJson(text)) {
                throw new MalformedJson(text, explain(e));
            }
            return text;
        }
    }

    /**
     * Whether {@code text} is meant as JSON: see the class comment.
     *
     * @param text a command-line argument
     * @return true when it starts with [, { or ", or is shaped like a number
     */
    public static boolean looksLikeJson(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            return false;
        }
        char first = t.charAt(0);
        return first == '[' || first == '{' || first == '"' || NUMBER_SHAPED.matcher(t).matches();
    }

    /**
     * The JSON value {@code text} holds.
     *
     * @throws IOException when {@code text} is not exactly one valid JSON value
     */
    public static Object parseJson(String text) throws IOException {
        return JSON.readValue(text, Object.class);
    }

    /** A parse failure as a user reads it: the parser's words without its Java advice, and the column. */
    static String explain(IOException e) {
        if (!(e instanceof JsonProcessingException j)) {
            return String.valueOf(e.getMessage());
        }
        String m = j.getOriginalMessage();
        for (String cut : new String[] {" (start marker at ", ": enable `", " (bound as `"}) {
            int at = m.indexOf(cut);
            if (at >= 0) {
                m = m.substring(0, at);
            }
        }
        if (m.startsWith("Trailing token")) {
            m = "more text after the JSON value";
        }
        m = m.replaceFirst("^Unexpected end-of-input:?\\s*", "unexpected end of input: ").replaceFirst(":\\s*$", "")
                .replaceAll(" \\(code \\d+\\)", "");
        m = m.isEmpty() ? "not valid JSON" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
        JsonLocation where = j.getLocation();
        return where == null || where.getCharOffset() < 0 ? m : m + " (column " + (where.getCharOffset() + 1) + ")";
    }

    /** {@code text} as a JSON string: {@code "[1, 2"}. */
    static String jsonString(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always writes as JSON", e);
        }
    }

    /** {@code text} as a POSIX shell word in single quotes: {@code '[1, 2'}, {@code 'it'\''s'}. */
    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    /**
     * Splits a {@code KEY=VALUE} keyword argument at its first {@code =} and parses VALUE with
     * {@link #parse}.
     *
     * @throws IllegalArgumentException when there is no {@code =}, KEY is not a Python identifier, or VALUE
     *                                  looks like JSON but is not (the message says how to pass it as a string)
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
        try {
            return new AbstractMap.SimpleImmutableEntry<>(key, parse(text.substring(eq + 1)));
        } catch (MalformedJson e) {
            throw new IllegalArgumentException(e.describe("--kw " + key + ":"), e);
        }
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

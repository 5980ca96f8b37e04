package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One parsed message. The body by type: {@link Messages#REPLY} and {@link Messages#EVENT} the value;
 * {@link Messages#ERROR} a {@link RemoteError}; {@link Messages#LOG} a two-element list
 * {@code [stream, text]}; {@link Messages#HELLO} a {@link Map}; {@link Messages#REQUEST} the list
 * {@code [op, target, args, kwargs, opts]}.
 *
 * @param type one of the {@link Messages} type constants
 * @param id   the request id (0 for none)
 * @param body the body, as above
 */
public record Incoming(int type, long id, Object body) {
    /**
     * Parses a frame's payload.
     *
     * @throws ProtocolException if it is not well-formed msgpack or not a message of a known type and layout
     */
    public static Incoming parse(byte[] payload) {
        return parse(payload, 0, payload.length);
    }

    /** {@link #parse(byte[])} of {@code payload[off, off + len)}. */
    public static Incoming parse(byte[] payload, int off, int len) {
        return parse(payload, off, len, null);
    }

    /**
     * {@link #parse(byte[])} that turns each handle into what {@code handles} makes of it,
     * in the same walk (see {@link ValueCodec#decode(byte[], int, int, java.util.function.Function)}).
     */
    public static Incoming parse(byte[] payload, java.util.function.Function<Handle, Object> handles) {
        return parse(payload, 0, payload.length, handles);
    }

    /**
     * The type and id of a message whose body may not decode: {@code [type, id]}, or null
     * when not even those can be read. Lets a reader fail the one call whose reply it
     * cannot decode and keep serving the others.
     */
    public static long[] peekHeader(byte[] payload) {
        try (org.msgpack.core.MessageUnpacker u = MsgpackInput.unpacker(payload)) {
            if (u.unpackArrayHeader() < 2) {
                return null;
            }
            org.msgpack.core.MessageFormat f = u.getNextFormat();
            if (f.getValueType() != org.msgpack.value.ValueType.INTEGER) {
                return null;
            }
            long type = u.unpackLong();
            if (u.getNextFormat().getValueType() != org.msgpack.value.ValueType.INTEGER) {
                return null;
            }
            return new long[] {type, u.unpackLong()};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static Incoming parse(byte[] payload, int off, int len, java.util.function.Function<Handle, Object> handles) {
        Object decoded = ValueCodec.decode(payload, off, len, handles);
        if (!(decoded instanceof List<?> m) || m.size() < 2) {
            throw new ProtocolException("a message must be an array [type, id, ...], got " + describe(decoded));
        }
        if (!(m.get(0) instanceof Long t) || t < Messages.REQUEST || t > Gateway.PING) {
            throw new ProtocolException("unknown message type " + m.get(0));
        }
        int type = t.intValue();
        if (!(m.get(1) instanceof Long id) || id < 0) {
            throw new ProtocolException("bad request id " + m.get(1) + " in a message of type " + type);
        }
        int expected = type == Messages.REQUEST ? 7 : 3;
        if (m.size() != expected) {
            throw new ProtocolException("a message of type " + type + " has " + expected + " elements, got " + m.size());
        }
        Object body = m.get(2);
        return new Incoming(type, id, switch (type) {
            case Messages.REQUEST -> request(m);
            case Messages.ERROR -> RemoteError.fromFields(body);
            case Messages.LOG -> log(body);
            case Messages.HELLO -> {
                if (!(body instanceof Map<?, ?>)) {
                    throw new ProtocolException("a hello body must be a map, got " + describe(body));
                }
                yield body;
            }
            default -> body;
        });
    }

    private static List<?> request(List<?> m) {
        if (!(m.get(2) instanceof String)) {
            throw new ProtocolException("a request op must be a str, got " + describe(m.get(2)));
        }
        if (m.get(4) != null && !(m.get(4) instanceof List<?>)) {
            throw new ProtocolException("request args must be an array or nil, got " + describe(m.get(4)));
        }
        for (int i = 5; i < 7; i++) {
            if (m.get(i) != null && !(m.get(i) instanceof Map<?, ?>)) {
                throw new ProtocolException("request kwargs and opts must be maps or nil, got " + describe(m.get(i)));
            }
        }
        return Collections.unmodifiableList(m.subList(2, 7));
    }

    private static List<?> log(Object body) {
        if (body instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String && l.get(1) instanceof String) {
            return l;
        }
        throw new ProtocolException("a log body must be [stream, text] (both str), got " + describe(body));
    }

    private static String describe(Object v) {
        return v == null ? "nil" : v.getClass().getSimpleName();
    }

    /** True for a reply or an error: the message that ends its request. */
    public boolean isFinal() {
        return type == Messages.REPLY || type == Messages.ERROR;
    }
}

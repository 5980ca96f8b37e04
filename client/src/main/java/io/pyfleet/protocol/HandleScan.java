package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.Handle;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageUnpacker;

/**
 * Finds the handles (ext 9) in encoded values without decoding the rest: the gateway
 * forwards a worker's reply bytes as they are and only needs to know which objects it
 * handed to a client. Containers are walked in place (their elements follow their headers);
 * tuples and sets are walked inside their ext payloads; other payloads (an array's bytes)
 * are skipped without copying.
 */
public final class HandleScan {
    private HandleScan() {
    }

    /** Calls {@code action} for every handle in the values encoded in {@code bytes[off, off + len)}. */
    public static void forEachHandle(byte[] bytes, int off, int len, Consumer<Handle> action) {
        scan(bytes, off, len, action, null, null);
    }

    /**
     * The nodes of every object the values name: each handle's and each remote array's (ext 13)
     * handle node, where a request naming them is served.
     */
    public static void forEachOwner(byte[] bytes, int off, int len, Consumer<String> action) {
        scan(bytes, off, len, h -> action.accept(h.node()), r -> action.accept(r.node()), null);
    }

    /**
     * True when the values hold an array reference (ext 12; a worker's answer that the node must
     * adopt) or, with {@code remote}, a remote array (ext 13; a request the node must resolve).
     */
    public static boolean holdsArray(byte[] bytes, int off, int len, boolean remote) {
        boolean[] any = {false};
        if (remote) {
            scan(bytes, off, len, h -> { }, r -> any[0] = true, null);
        } else {
            scan(bytes, off, len, h -> { }, null, () -> any[0] = true);
        }
        return any[0];
    }

    private static void scan(byte[] bytes, int off, int len, Consumer<Handle> handles,
            Consumer<RemoteArrayRef> remotes, Runnable arrayRef) {
        if (!mayHoldExt(bytes, off, len)) {
            return; // most answers: numbers, strings, lists of them
        }
        try (MessageUnpacker u = MsgpackInput.unpacker(bytes, off, len)) {
            walk(u, new Actions(handles, remotes, arrayRef), 0);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException("cannot walk an encoded value: " + e.getMessage(), e);
        }
    }

    private record Actions(Consumer<Handle> handles, Consumer<RemoteArrayRef> remotes, Runnable arrayRef) {
    }

    /**
     * False when no byte could start an ext (fixext 1..16, ext 8/16/32): then there is no
     * handle, and the walk is skipped. Such bytes inside strings or floats only cost a walk.
     */
    private static boolean mayHoldExt(byte[] bytes, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0xc7 && b <= 0xc9 || b >= 0xd4 && b <= 0xd8) {
                return true;
            }
        }
        return false;
    }

    private static void walk(MessageUnpacker u, Actions action, int depth) throws IOException {
        if (depth > ValueCodec.MAX_DEPTH) {
            throw new ProtocolException("values nest deeper than " + ValueCodec.MAX_DEPTH + " containers (the "
                    + "protocol's fixed limit): flatten them, or keep them in Python as an object");
        }
        while (u.hasNext()) {
            switch (u.getNextFormat().getValueType()) {
                case ARRAY -> u.unpackArrayHeader();
                case MAP -> u.unpackMapHeader();
                case EXTENSION -> {
                    ExtensionTypeHeader h = u.unpackExtensionTypeHeader();
                    byte type = h.getType();
                    if (type == ExtCodes.HANDLE) {
                        action.handles().accept(handle(u.readPayload(h.getLength())));
                    } else if (type == ExtCodes.REMOTE_ARRAY && action.remotes() != null) {
                        action.remotes().accept((RemoteArrayRef) ValueCodec.decode(
                                withExtHeader(h, u.readPayload(h.getLength()))));
                    } else if (type == ExtCodes.ARRAY_REF && action.arrayRef() != null) {
                        action.arrayRef().run();
                        u.readPayloadAsReference(h.getLength());
                    } else if (type == ExtCodes.TUPLE || type == ExtCodes.SET) {
                        byte[] items = u.readPayload(h.getLength());
                        try (MessageUnpacker inner = MsgpackInput.unpacker(items)) {
                            walk(inner, action, depth + 1);
                        }
                    } else {
                        u.readPayloadAsReference(h.getLength()); // skipped, not copied
                    }
                }
                default -> u.skipValue();
            }
        }
    }

    /** An ext's payload with its header again, as one value to decode. */
    private static byte[] withExtHeader(ExtensionTypeHeader h, byte[] payload) {
        byte[] out = new byte[6 + payload.length];
        out[0] = (byte) 0xc9; // ext 32
        out[1] = (byte) (payload.length >>> 24);
        out[2] = (byte) (payload.length >>> 16);
        out[3] = (byte) (payload.length >>> 8);
        out[4] = (byte) payload.length;
        out[5] = h.getType();
        System.arraycopy(payload, 0, out, 6, payload.length);
        return out;
    }

    private static Handle handle(byte[] payload) {
        if (ValueCodec.decode(payload) instanceof List<?> f && f.size() == 5 && f.get(0) instanceof String node
                && f.get(1) instanceof String worker && f.get(2) instanceof Long generation
                && f.get(3) instanceof Long id && f.get(4) instanceof String type) {
            return new Handle(node, worker, generation, id, type);
        }
        throw new ProtocolException("a handle's payload must be [node, worker, generation, id, type]");
    }
}

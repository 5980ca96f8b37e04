package io.pyfleet.protocol;

import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;

/**
 * Where pyfleet reads msgpack: every unpacker of the client and the node comes from here, so that the
 * choice below is made before msgpack-core sets up its buffers (once per JVM, when its
 * {@code MessageBuffer} class loads).
 *
 * <p>On Java 24 and newer, msgpack-core's default buffer reads memory through {@code sun.misc.Unsafe},
 * which prints a "terminally deprecated method" warning (JEP 471, 498) and will be denied by a later
 * JDK. There, unless the JVM runs with {@code --sun-misc-unsafe-memory-access=allow} (as {@code ./pyfleet}
 * and an embedded node's users do, for Pekko), this class sets {@code msgpack.universal-buffer=true}
 * unless the property is already set: msgpack-core then reads through {@code ByteBuffer}s, about 0.1 µs
 * slower per small message (README, "Troubleshooting"), and the thin client runs with no warning. Java 17
 * to 23, and a JVM that allows Unsafe, keep the faster default; {@code -Dmsgpack.universal-buffer=false}
 * keeps it anywhere.
 */
public final class MsgpackInput {
    /** The msgpack-core system property that picks the buffer without {@code sun.misc.Unsafe}. */
    static final String UNIVERSAL_BUFFER = "msgpack.universal-buffer";

    static {
        // The launcher option --sun-misc-unsafe-memory-access=X is this property inside the JVM.
        if (Runtime.version().feature() >= 24
                && !"allow".equals(System.getProperty("sun.misc.unsafe.memory.access"))) {
            System.getProperties().putIfAbsent(UNIVERSAL_BUFFER, "true");
        }
    }

    private MsgpackInput() {
    }

    /**
     * An unpacker of {@code bytes[off, off + len)}.
     *
     * @param bytes the encoded bytes (not copied)
     * @param off   where to start
     * @param len   how many bytes to read
     * @return an unpacker with msgpack-core's default settings
     */
    public static MessageUnpacker unpacker(byte[] bytes, int off, int len) {
        return MessagePack.DEFAULT_UNPACKER_CONFIG.newUnpacker(new ArrayBufferInput(bytes, off, len));
    }

    /**
     * An unpacker of all of {@code bytes}.
     *
     * @param bytes the encoded bytes (not copied)
     * @return an unpacker with msgpack-core's default settings
     */
    public static MessageUnpacker unpacker(byte[] bytes) {
        return unpacker(bytes, 0, bytes.length);
    }
}

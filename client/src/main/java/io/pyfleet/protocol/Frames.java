package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Frames: a 4-byte unsigned big-endian length {@code N} (at least 1), then {@code N} bytes holding one
 * msgpack message. Lengths are checked against the maximum before anything is allocated or written.
 */
public final class Frames {
    /** The default maximum frame size: 64 MiB. */
    public static final int DEFAULT_MAX_FRAME = 64 * 1024 * 1024;

    /** Size of the length prefix. */
    public static final int HEADER_SIZE = 4;

    /** Frames up to this size are written with a single {@code write} call. */
    private static final int COALESCE_MAX = 8192;

    private Frames() {
    }

    /**
     * Reads one frame's payload.
     *
     * @return the payload, or {@code null} if the stream ended cleanly before a frame began
     * @throws ProtocolException if the declared length is 0 or over {@code maxFrame} (nothing is allocated
     *                           for it), or the stream ends inside the frame
     */
    public static byte[] readFrame(InputStream in, int maxFrame) throws IOException {
        return readFrame(in, maxFrame, null);
    }

    /**
     * {@link #readFrame(InputStream, int)} whose error for an oversize frame names {@code setting}, the
     * configuration key of {@code maxFrame}.
     *
     * @param in       the stream
     * @param maxFrame the largest payload accepted
     * @param setting  the key that sets {@code maxFrame}, or null
     * @return the payload, or {@code null} if the stream ended cleanly before a frame began
     * @throws ProtocolException as {@link #readFrame(InputStream, int)}
     * @throws IOException when the stream fails
     */
    public static byte[] readFrame(InputStream in, int maxFrame, String setting) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        byte[] header = new byte[HEADER_SIZE - 1];
        int got = in.readNBytes(header, 0, header.length);
        if (got < header.length) {
            throw new ProtocolException("truncated frame header: the stream ended after " + (1 + got) + " of "
                    + HEADER_SIZE + " bytes");
        }
        long length = ((long) b0 << 24) | ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
        if (length > maxFrame) {
            throw oversize("a frame read", length, maxFrame, setting);
        }
        if (length == 0) {
            throw new ProtocolException("empty frame (length 0)");
        }
        byte[] payload = new byte[(int) length];
        int n = in.readNBytes(payload, 0, payload.length);
        if (n < payload.length) {
            throw new ProtocolException("truncated frame: the stream ended after " + n + " of " + length
                    + " payload bytes");
        }
        return payload;
    }

    /** {@link #readFrame(InputStream, int)} with {@link #DEFAULT_MAX_FRAME}. */
    public static byte[] readFrame(InputStream in) throws IOException {
        return readFrame(in, DEFAULT_MAX_FRAME);
    }

    /**
     * Writes {@code payload[off, off + len)} as one frame. Does not flush.
     *
     * @throws ProtocolException if {@code len} is 0 or over {@code maxFrame}; nothing is written then
     */
    public static void writeFrame(OutputStream out, byte[] payload, int off, int len, int maxFrame) throws IOException {
        Objects.checkFromIndexSize(off, len, payload.length);
        if (len > maxFrame) {
            throw oversize("a frame to write", len, maxFrame, null);
        }
        if (len == 0) {
            throw new ProtocolException("cannot write an empty frame");
        }
        if (len <= COALESCE_MAX) {
            // one write call, so an unbuffered stream does not send the header on its own
            byte[] frame = new byte[HEADER_SIZE + len];
            putHeader(frame, len);
            System.arraycopy(payload, off, frame, HEADER_SIZE, len);
            out.write(frame);
        } else {
            out.write(header(len));
            out.write(payload, off, len);
        }
    }

    /** {@link #writeFrame(OutputStream, byte[], int, int, int)} of the whole payload with {@link #DEFAULT_MAX_FRAME}. */
    public static void writeFrame(OutputStream out, byte[] payload) throws IOException {
        writeFrame(out, payload, 0, payload.length, DEFAULT_MAX_FRAME);
    }

    /**
     * Writes a request frame, {@code [0, id, ...tail]}, where {@code tail} is an
     * {@link EncodedCall#tail()}: the id goes in front as the call is written, so ids
     * follow the order of writes.
     *
     * @return the frame's size in bytes
     */
    public static int writeRequest(OutputStream out, long id, byte[] tail, int maxFrame) throws IOException {
        byte[] head = Messages.requestHead(id);
        int length = head.length + tail.length;
        if (length > maxFrame || length < 0) {
            throw new ProtocolException("a request of " + (head.length + (long) tail.length)
                    + " bytes exceeds the maximum frame size of " + maxFrame + " bytes");
        }
        out.write(header(length));
        out.write(head);
        out.write(tail);
        return HEADER_SIZE + length;
    }

    /**
     * Writes a request frame whose tail comes in three parts, {@code [0, id, ...tail, ...data, ...end]}:
     * bulk bytes written from where they are ({@link ArrayUpload#writeHead}).
     *
     * @return the frame's size in bytes
     * @throws ProtocolException when the frame would be over {@code maxFrame}; nothing is written then
     */
    public static int writeRequest(OutputStream out, long id, byte[] tail, java.nio.ByteBuffer data, byte[] end,
            int maxFrame) throws IOException {
        byte[] head = Messages.requestHead(id);
        long length = (long) head.length + tail.length + data.remaining() + end.length;
        if (length > maxFrame) {
            throw new ProtocolException("a request of " + length + " bytes exceeds the maximum frame size of "
                    + maxFrame + " bytes");
        }
        out.write(header((int) length));
        out.write(head);
        out.write(tail);
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
        } else {
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            out.write(copy);
        }
        out.write(end);
        return HEADER_SIZE + (int) length;
    }

    /** The largest request head: see {@link Messages#requestHead}. */
    public static final int REQUEST_HEAD_MAX = Messages.REQUEST_HEAD_MAX;

    /** The node's setting of the largest frame between it and its workers. */
    public static final String WORKER_SETTING = "pyfleet.worker.max-frame-size";
    /** The node's setting of the largest frame between it and its clients. */
    public static final String GATEWAY_SETTING = "pyfleet.gateway.max-frame-size";

    /** A call over the frame limit, refused before anything is written: it names the setting and the remedies. */
    public static final class FrameTooLargeException extends io.pyfleet.client.ProtocolException {
        private static final long serialVersionUID = 1L;

        /**
         * A call of {@code length} bytes over {@code maxFrame}.
         *
         * @param length   the encoded call's size
         * @param maxFrame the limit
         * @param setting  {@link #WORKER_SETTING} or {@link #GATEWAY_SETTING}: the limit that refused it
         */
        public FrameTooLargeException(long length, int maxFrame, String setting) {
            super("the call encodes to " + length + " bytes, over the maximum frame size of " + maxFrame + " bytes ("
                    + setting + (GATEWAY_SETTING.equals(setting) ? " of the node" : "") + "); the call was not run. "
                    + "Pass large arrays as PyArray (fleet.array(...)) or as Java arrays (double[], long[]...), which "
                    + (GATEWAY_SETTING.equals(setting) ? "go to the node in chunks" : "never go through the frame")
                    + ", not as lists; keep large data in Python as an object (a PyObject) and pass that; or raise "
                    + setting
                    + (GATEWAY_SETTING.equals(setting) ? " on the node" : ""));
        }
    }

    /** A frame over {@code maxFrame}: what the limit is, and which setting raises it (null: none names it). */
    private static ProtocolException oversize(String what, long length, int maxFrame, String setting) {
        return new ProtocolException(what + " of " + length + " bytes exceeds the maximum frame size of " + maxFrame
                + " bytes" + (setting == null ? "" : " (" + setting + ")"));
    }

    public static byte[] header(int len) {
        byte[] h = new byte[HEADER_SIZE];
        putHeader(h, len);
        return h;
    }

    private static void putHeader(byte[] b, int len) {
        b[0] = (byte) (len >>> 24);
        b[1] = (byte) (len >>> 16);
        b[2] = (byte) (len >>> 8);
        b[3] = (byte) len;
    }
}

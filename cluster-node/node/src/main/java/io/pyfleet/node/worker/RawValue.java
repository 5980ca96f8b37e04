package io.pyfleet.node.worker;

/**
 * A value of a worker's reply or event kept as the msgpack bytes the worker wrote: the
 * gateway forwards them to a remote client without decoding and encoding them again.
 *
 * @param frame  the whole frame payload {@code [type, id, value]} as read from the pipe
 * @param offset where the value starts; it runs to the end of the frame
 */
public record RawValue(byte[] frame, int offset) {

    /** The value's length in bytes. */
    public int length() {
        return frame.length - offset;
    }

    /**
     * Reads {@code [type, id, ...]} from a frame written by a worker without a msgpack
     * reader: {@code {type, id, offset of the third element}}, or null when the frame does
     * not start with a 3-element array of two small unsigned ints.
     */
    static long[] header(byte[] frame) {
        if (frame.length < 4 || frame[0] != (byte) 0x93 || (frame[1] & 0x80) != 0) {
            return null;
        }
        int b = frame[2] & 0xff;
        if (b < 0x80) {
            return new long[] {frame[1], b, 3};
        }
        int n = switch (b) {
            case 0xcc -> 1;
            case 0xcd -> 2;
            case 0xce -> 4;
            case 0xcf -> 8;
            default -> -1;
        };
        if (n < 0 || frame.length < 3 + n + 1) {
            return null;
        }
        long id = 0;
        for (int i = 0; i < n; i++) {
            id = (id << 8) | (frame[3 + i] & 0xff);
        }
        return id < 0 ? null : new long[] {frame[1], id, 3 + n};
    }
}

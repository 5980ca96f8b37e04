package io.pyfleet.client;

/** How {@link Fleet#constant(String, Coerce)} converts a module constant before sending it. */
public enum Coerce {
    /** Python's {@code int(...)}: {@code math.pi} becomes {@code 3L}. */
    INT("int"),
    /** Python's {@code float(...)}. */
    FLOAT("float"),
    /** Python's {@code str(...)}. */
    STR("str");

    private final String wire;

    Coerce(String wire) {
        this.wire = wire;
    }

    /**
     * The protocol's name for it.
     *
     * @return {@code int}, {@code float} or {@code str}
     */
    public String wire() {
        return wire;
    }
}

package io.pyfleet.client;

/** How {@link Fleet#constant(String, Coerce)} converts a module constant before sending it. */
public enum Coerce {
    INT("int"), FLOAT("float"), STR("str");

    private final String wire;

    Coerce(String wire) {
        this.wire = wire;
    }

    /** The protocol's name for it. */
    public String wire() {
        return wire;
    }
}

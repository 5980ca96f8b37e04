package io.pyfleet.client.internal;

/** Anything that stands for a handle on the wire (a client-side PyObject, or the Handle itself). */
public interface HandleRef {
    Handle handle();
}

package io.pyfleet.client;

import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.Releaser;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Python object that stays in the worker that made it. Pass it back as an argument or
 * as the target of {@link Fleet#method} and {@link Fleet#attr}; calls on it go to its
 * owner. Close it to release the object; an unreachable PyObject is released by a
 * {@link Cleaner} too.
 */
public final class PyObject implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    PyObject(Handle handle, Releaser releaser) {
        this.handle = handle;
        this.cleanable = CLEANER.register(this, new Release(handle, releaser));
    }

    /** The state the Cleaner runs: it must not reference the PyObject itself. */
    private record Release(Handle handle, Releaser releaser, AtomicBoolean done) implements Runnable {
        Release(Handle handle, Releaser releaser) {
            this(handle, releaser, new AtomicBoolean());
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                releaser.release(handle);
            }
        }
    }

    Handle handle() {
        return handle;
    }

    /**
     * The object's Python type.
     *
     * @return its qualified name, e.g. {@code collections.UserDict}
     */
    public String type() {
        return handle.type();
    }

    /** Releases the object in its worker. Later use of it is a {@link StaleHandleException}. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PyObject o && o.handle.equals(handle);
    }

    @Override
    public int hashCode() {
        return handle.hashCode();
    }

    @Override
    public String toString() {
        return "PyObject[" + handle.type() + " #" + handle.id() + " on " + handle.node() + "/" + handle.worker()
                + "." + handle.generation() + "]";
    }
}

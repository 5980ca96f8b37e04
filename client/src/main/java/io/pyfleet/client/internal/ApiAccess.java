package io.pyfleet.client.internal;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import java.util.List;
import java.util.Map;

/**
 * The implementation's way into the API types' non-public parts, so that the API package shows
 * users nothing they cannot use: {@link PyObject} and {@link PyArray} have no public constructors,
 * and their handle and memory are not public. The API package installs the hooks when it loads
 * (the JDK's SharedSecrets pattern).
 */
public final class ApiAccess {
    /** What the API package lends the implementation. */
    public interface Hooks {
        /** A PyObject for an object a worker holds. */
        PyObject newObject(Handle handle, Releaser releaser);

        /** The handle a PyObject stands for. */
        Handle handle(PyObject object);

        /** A PyArray on {@code memory}, which holds one reference for it. */
        PyArray newArray(DType dtype, long[] shape, String owner, ArrayMemory memory);

        /** The memory behind an array. */
        ArrayMemory memory(PyArray array);

        /** An array by value on bytes the caller made and hands over (not copied). */
        NdArray newNdArray(DType dtype, long[] shape, byte[] data);

        /** The bytes of an array by value themselves, which the caller must not change. */
        byte[] bytes(NdArray array);

        /** A call of any protocol operation, as a gateway decodes it. */
        Call newCall(String op, Object target, List<?> args, Map<String, ?> kwargs, CallOptions options, String coerce);

        /** A PythonException of a {@code python} error, with its frames. */
        PythonException newPythonException(RemoteError error);

        /** The frames of a PythonException as the worker sent them (outermost first). */
        List<RemoteError.Frame> frames(PythonException exception);
    }

    private static volatile Hooks hooks;

    private ApiAccess() {
    }

    /**
     * Called once, by the API package.
     *
     * @throws IllegalStateException on a second call
     */
    public static synchronized void install(Hooks h) {
        if (hooks != null) {
            throw new IllegalStateException("the API hooks are installed already");
        }
        hooks = h;
    }

    private static Hooks hooks() {
        Hooks h = hooks;
        if (h == null) {
            try {
                // initializing the class installs the hooks
                Class.forName("io.pyfleet.client.ApiHooks", true, ApiAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("pyfleet's API package is missing", e);
            }
            h = hooks;
        }
        return h;
    }

    /** See {@link Hooks#newObject}. */
    public static PyObject newObject(Handle handle, Releaser releaser) {
        return hooks().newObject(handle, releaser);
    }

    /** See {@link Hooks#handle}. */
    public static Handle handle(PyObject object) {
        return hooks().handle(object);
    }

    /** See {@link Hooks#newArray}. */
    public static PyArray newArray(DType dtype, long[] shape, String owner, ArrayMemory memory) {
        return hooks().newArray(dtype, shape, owner, memory);
    }

    /** See {@link Hooks#newCall}. */
    public static Call newCall(String op, Object target, List<?> args, Map<String, ?> kwargs, CallOptions options,
            String coerce) {
        return hooks().newCall(op, target, args, kwargs, options, coerce);
    }

    /**
     * See {@link Hooks#newPythonException}.
     *
     * @param error a {@code python} error
     * @return the exception it stands for
     */
    public static PythonException newPythonException(RemoteError error) {
        return hooks().newPythonException(error);
    }

    /**
     * See {@link Hooks#frames}.
     *
     * @param exception a Python exception
     * @return its frames as the worker sent them
     */
    public static List<RemoteError.Frame> frames(PythonException exception) {
        return hooks().frames(exception);
    }

    /** See {@link Hooks#memory}. */
    public static ArrayMemory memory(PyArray array) {
        return hooks().memory(array);
    }

    /**
     * See {@link Hooks#newNdArray}.
     *
     * @throws IllegalArgumentException when the bytes do not fill the shape
     */
    public static NdArray newNdArray(DType dtype, long[] shape, byte[] data) {
        return hooks().newNdArray(dtype, shape, data);
    }

    /** See {@link Hooks#bytes}. */
    public static byte[] bytes(NdArray array) {
        return hooks().bytes(array);
    }
}

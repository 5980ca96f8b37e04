package io.pyfleet.client;

import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.Releaser;
import io.pyfleet.client.internal.RemoteError;
import java.util.List;
import java.util.Map;

/** Lends the implementation the non-public parts of the API types (see {@link ApiAccess}). */
final class ApiHooks implements ApiAccess.Hooks {
    static {
        ApiAccess.install(new ApiHooks());
    }

    private ApiHooks() {
    }

    @Override
    public PyObject newObject(Handle handle, Releaser releaser) {
        return new PyObject(handle, releaser);
    }

    @Override
    public Handle handle(PyObject object) {
        return object.handle();
    }

    @Override
    public PyArray newArray(DType dtype, long[] shape, String owner, ArrayMemory memory) {
        return new PyArray(dtype, shape, owner, memory);
    }

    @Override
    public ArrayMemory memory(PyArray array) {
        return array.memory();
    }

    @Override
    public NdArray newNdArray(DType dtype, long[] shape, byte[] data) {
        return NdArray.wrap(dtype, shape, data);
    }

    @Override
    public byte[] bytes(NdArray array) {
        return array.bytes();
    }

    @Override
    public Call newCall(String op, Object target, List<?> args, Map<String, ?> kwargs, CallOptions options,
            String coerce) {
        return new Call(op, target, args, kwargs, options, coerce);
    }

    @Override
    public PythonException newPythonException(RemoteError error) {
        return new PythonException(error.type(), error.message(), error.traceback(), error.frames());
    }

    @Override
    public List<RemoteError.Frame> frames(PythonException exception) {
        return exception.wireFrames();
    }
}

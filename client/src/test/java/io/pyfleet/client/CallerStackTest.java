package io.pyfleet.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a synchronous caller sees of a failed call ({@link Fleet#join}): a copy of the future's exception
 * whose stack is the Python frames, then the caller's own frames, caused by the future's exception; and
 * what the future's exception itself holds (the Python frames only). The Python side of it, with real
 * workers, is in the node's tests (FailureStackContract).
 */
class CallerStackTest {
    private static final RemoteError DEEP = new RemoteError("python", "builtins.KeyError", "'missing-key-1'",
            "Traceback (most recent call last):\n...\nKeyError: 'missing-key-1'\n", List.of(
                    new RemoteError.Frame("/srv/app/mymodel.py", 12, "fail_deep", "mymodel"),
                    new RemoteError.Frame("/srv/app/mymodel.py", 8, "_lookup", "mymodel"),
                    new RemoteError.Frame("C:\\app\\lib\\deep.py", 3, "<lambda>", "lib.deep")));

    @Test
    void aSyncCallShowsThePythonFramesAboveTheCallersOwn() {
        PyFleetException remote = RemoteFailures.toException(DEEP);
        PythonException e = assertThrows(PythonException.class, () -> Fleet.join(CompletableFuture.failedFuture(remote)));
        assertEquals("builtins.KeyError: 'missing-key-1'", e.getMessage());
        assertEquals(DEEP.traceback(), e.pythonTraceback());
        assertEquals("builtins.KeyError", e.pythonType());
        assertSame(remote, e.getCause(), "the future's failure is the cause");
        StackTraceElement[] stack = e.getStackTrace();
        assertEquals(new StackTraceElement("lib.deep", "<lambda>", "deep.py", 3), stack[0]);
        assertEquals(new StackTraceElement("mymodel", "_lookup", "mymodel.py", 8), stack[1]);
        assertEquals(new StackTraceElement("mymodel", "fail_deep", "mymodel.py", 12), stack[2]);
        assertEquals(getClass().getName(), stack[3].getClassName(), "then the caller: " + List.of(stack));
        assertTrue(stack[3].getMethodName().startsWith("lambda$aSyncCallShowsThePythonFramesAboveTheCallersOwn"),
                stack[3].toString());
        assertEquals(List.of(stack).subList(0, 3), e.pythonFrames());
        assertArrayEquals(e.pythonFrames().toArray(), remote.getStackTrace(),
                "the future's failure holds the Python frames only, no reader thread's");
    }

    @Test
    void everyFailureTypeIsRethrownAsACopyOfItsOwnType() {
        List<PyFleetException> failures = List.of(new CallTimeoutException("call timed out after 1s"),
                new WorkerLostException("worker w1 died", false), new WorkerLostException("worker w2 died", true),
                new FleetClosedException("closed", true), new NodeLostException("n2 left", false),
                new ConnectionLostException("gone", true, new java.io.IOException("reset")),
                new OverloadedException("full"), new PoolFailedException("gave up"),
                new PoolStartException("no python"), new UnknownPoolException("no pool"),
                new NotAllowedException("no"), new AuthenticationException("bad token"),
                new ProtocolException("bad frame"), new StaleHandleException("released"),
                new ResultTypeException("Api.m()", "int", "str 'x'"), new PyFleetException("other"),
                new BindException("Api to m", List.of("m has no function for Api.f() (looked for f)")),
                new PythonException("builtins.ValueError", "v", "tb"));
        for (PyFleetException f : failures) {
            PyFleetException e = assertThrows(PyFleetException.class, () -> join(f));
            assertSame(f.getClass(), e.getClass(), f.toString());
            assertEquals(f.getMessage(), e.getMessage());
            assertSame(f, e.getCause());
            StackTraceElement top = e.getStackTrace()[0];
            assertEquals(getClass().getName() + ".join", top.getClassName() + "." + top.getMethodName(),
                    "the caller's frame first, not pyfleet's wait: " + top);
            if (f instanceof WorkerLostException w) {
                assertEquals(w.mayHaveRun(), ((WorkerLostException) e).mayHaveRun());
            } else if (f instanceof NodeLostException n) {
                assertEquals(n.mayHaveRun(), ((NodeLostException) e).mayHaveRun());
            } else if (f instanceof FleetClosedException c) {
                assertEquals(c.mayHaveRun(), ((FleetClosedException) e).mayHaveRun());
            } else if (f instanceof ConnectionLostException c) {
                assertEquals(c.mayHaveRun(), ((ConnectionLostException) e).mayHaveRun());
            } else if (f instanceof ResultTypeException r) {
                assertEquals(r.returned(), ((ResultTypeException) e).returned());
            } else if (f instanceof BindException b) {
                assertEquals(b.problems(), ((BindException) e).problems());
            }
        }
    }

    @Test
    void anImplementationsSubclassIsRethrownAsItsPublicType() {
        PyFleetException f = new WorkerLostException("never ran", false) {
            private static final long serialVersionUID = 1L;
        };
        PyFleetException e = assertThrows(PyFleetException.class, () -> join(f));
        assertSame(WorkerLostException.class, e.getClass());
        assertSame(f, e.getCause());
    }

    @Test
    void aNodeSendsOnThePythonFramesItGot() {
        PyFleetException e = RemoteFailures.toException(DEEP);
        assertEquals(DEEP, RemoteFailures.toRemoteError(e), "a gateway relays the worker's frames, full paths kept");
        assertEquals(DEEP, RemoteError.fromFields(DEEP.fields()));
        assertEquals(4, new RemoteError("python", "T", "m", "").fields().size(), "no frames: four fields");
        assertEquals(0, RemoteFailures.toException(new RemoteError("timeout", "", "late", "")).getStackTrace().length,
                "an error read off the wire has no reader thread's frames");
        for (Object bad : List.of(List.of("a", "b", "c"), List.of("a", "b", "c", "d", "e"),
                List.of("a", "b", "c", "d", List.of(List.of("f", "1", "g", "m"))),
                List.of("a", "b", "c", "d", List.of(List.of("f", 1L << 31, "g", "m"))),
                List.of("a", "b", "c", "d", List.of(), "x"))) {
            assertThrows(ProtocolException.class, () -> RemoteError.fromFields(bad), bad.toString());
        }
    }

    private static Object join(PyFleetException f) {
        return Fleet.join(CompletableFuture.failedFuture(f));
    }
}

package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.node.TestFleets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A call that hits a limit fails with an error that names the setting (as conf/application.conf spells it)
 * and what to do, embedded and over TCP, in both directions; and a sync call's error shows the caller's
 * frame. A node's answer over the gateway's frame size ends that call only, not the connection.
 */
class LimitMessagesTest {
    private static final int MIB = 1 << 20;

    @Test
    void theFrameSizeOfAWorkerNamesItsSettingBothWays() {
        try (Fleet fleet = TestFleets.start(1, Map.of("pyfleet.worker.max-frame-size", "1MiB"))) {
            ProtocolException request = assertThrows(ProtocolException.class,
                    () -> fleet.call("builtins.len", new byte[2 * MIB]));
            assertMentions(request, "pyfleet.worker.max-frame-size", "the call was not run",
                    "Pass large arrays as PyArray (fleet.array(...))", "or raise pyfleet.worker.max-frame-size");
            assertTrue(List.of(request.getStackTrace()).stream().anyMatch(f -> f.getMethodName().startsWith(
                    "lambda$theFrameSizeOfAWorkerNamesItsSettingBothWays$")), "refused on the caller's thread");
            ProtocolException answer = assertThrows(ProtocolException.class,
                    () -> fleet.call("os.urandom", 2 * MIB));
            assertMentions(answer, "the call ran", "exceeds the maximum frame size of 1048576 bytes "
                    + "(pyfleet.worker.max-frame-size)", "or raise pyfleet.worker.max-frame-size");
            assertEquals(1L, fleet.builtin("abs", -1), "the worker serves on");
        }
    }

    @Test
    void theFrameSizeOfTheGatewayNamesItsSettingBothWaysAndAnOversizeAnswerEndsOnlyItsCall() {
        try (Fleet fleet = TestNodes.remote(1, Map.of("pyfleet.gateway.max-frame-size", "2MiB"))) {
            ProtocolException request = assertThrows(ProtocolException.class,
                    () -> fleet.call("builtins.len", new byte[3 * MIB]));
            assertMentions(request, "pyfleet.gateway.max-frame-size of the node", "the call was not run",
                    "fleet.array(...)", "or raise pyfleet.gateway.max-frame-size on the node");
            CompletableFuture<Object> alongside = fleet.callAsync("fleettest.sleep_then", 0.3, "alongside");
            ProtocolException answer = assertThrows(ProtocolException.class, () -> fleet.call("os.urandom", 3 * MIB));
            assertMentions(answer, "the answer is ", "(pyfleet.gateway.max-frame-size)", "the call ran",
                    "raise pyfleet.gateway.max-frame-size on the node");
            assertCallersFrame(answer, "theFrameSizeOfTheGatewayNamesItsSettingBothWaysAndAnOversizeAnswerEndsOnlyItsCall");
            assertEquals("alongside", Fleet.join(alongside), "the connection and its other calls live on");
            assertEquals(1L, fleet.builtin("abs", -1));
        }
    }

    @Test
    void aFullQueueNamesQueueBoundOverTcpAndASyncCallShowsItsCaller() throws Exception {
        try (Fleet fleet = TestNodes.remote(1, Map.of("pyfleet.pool.pipeline-depth", 1, "pyfleet.pool.queue-bound", 1))) {
            List<CompletableFuture<Object>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(fleet.callAsync("fleettest.sleep_then", 0.5, i));
            }
            OverloadedException sync = assertThrows(OverloadedException.class,
                    () -> fleet.call("fleettest.sleep_then", 0.0, "late"));
            assertMentions(sync, "pyfleet.pool.queue-bound", "not run", "or raise pyfleet.pool.queue-bound");
            assertCallersFrame(sync, "aFullQueueNamesQueueBoundOverTcpAndASyncCallShowsItsCaller");
            int refused = 0;
            for (CompletableFuture<Object> c : calls) {
                try {
                    c.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertMentions(assertInstanceOf(OverloadedException.class, e.getCause()), "pyfleet.pool.queue-bound");
                    refused++;
                }
            }
            assertEquals(2, refused, "one call in the worker, one in the queue, the rest refused");
        }
    }

    private static void assertMentions(PyFleetException e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        }
    }

    /** The sync call's error starts at the caller (a lambda of the test method), caused by the future's failure. */
    private static void assertCallersFrame(PyFleetException e, String testMethod) {
        StackTraceElement top = e.getStackTrace()[0];
        assertEquals(LimitMessagesTest.class.getName(), top.getClassName(), List.of(e.getStackTrace()).toString());
        assertTrue(top.getMethodName().startsWith("lambda$" + testMethod + "$"), top.toString());
        assertInstanceOf(e.getClass(), e.getCause(), "the future's failure is the cause");
    }
}

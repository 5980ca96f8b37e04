package io.pyfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStartException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.UnknownPoolException;
import io.pyfleet.client.internal.RemoteFailures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolWireTest {

    /** What the node decodes: the spec's map as it comes off the wire (ints as Long). */
    private static Object overTheWire(Object value) {
        return Incoming.parse(Messages.reply(1, value)).body();
    }

    @Test
    void aSpecCrossesTheWireWithoutItsNode() {
        PoolSpec spec = PoolSpec.builder("sci", "/opt/venv/bin/python").node("n2").workers(3)
                .pythonPath("/srv/lib", "/srv/more").environment("OMP_NUM_THREADS", "1").requires("numpy").build();
        PoolSpec back = PoolWire.spec("sci", overTheWire(PoolWire.spec(spec)));
        assertEquals(PoolSpec.builder("sci", "/opt/venv/bin/python").workers(3).pythonPath("/srv/lib", "/srv/more")
                .environment("OMP_NUM_THREADS", "1").requires("numpy").build(), back);
    }

    @Test
    void aPoolInfoCrossesTheWire() {
        PoolInfo info = new PoolInfo("sci", "n1", 4, 3, "/opt/venv/bin/python");
        assertEquals(info, PoolWire.info(overTheWire(PoolWire.info(info))));
        assertEquals(List.of(info), PoolWire.infos(overTheWire(List.of(PoolWire.info(info)))));
    }

    @Test
    void aBadSpecIsAProtocolError() {
        Map<String, Object> spec = new HashMap<>(PoolWire.spec(PoolSpec.builder("p", "python3").build()));
        assertThrows(ProtocolException.class, () -> PoolWire.spec(42L, spec));
        assertThrows(ProtocolException.class, () -> PoolWire.spec("bad name!", spec));
        assertThrows(ProtocolException.class, () -> PoolWire.spec(PoolSpec.DEFAULT_POOL, spec));
        spec.put("workers", 0L);
        assertThrows(ProtocolException.class, () -> PoolWire.spec("p", spec));
        spec.put("workers", 1L);
        spec.put("requires", List.of("not a module"));
        ProtocolException e = assertThrows(ProtocolException.class, () -> PoolWire.spec("p", spec));
        assertTrue(e.getMessage().contains("not a module"), e.getMessage());
        spec.put("requires", List.of());
        spec.put("env", Map.of("A", 1L));
        assertThrows(ProtocolException.class, () -> PoolWire.spec("p", spec));
    }

    @Test
    void poolErrorsKeepTheirTypeOverTheWire() {
        assertInstanceOf(PoolStartException.class, RemoteFailures.toException(RemoteFailures.toRemoteError(
                new PoolStartException("node n1: pool 'p' cannot start: interpreter /x does not exist"))));
        assertInstanceOf(UnknownPoolException.class, RemoteFailures.toException(RemoteFailures.toRemoteError(
                new UnknownPoolException("node n1 runs no pool 'q'"))));
        assertEquals("pool_start", RemoteFailures.toRemoteError(new PoolStartException("x")).kind());
    }
}

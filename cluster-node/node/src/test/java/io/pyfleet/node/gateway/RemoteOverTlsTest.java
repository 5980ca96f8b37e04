package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thin client over TLS to a node whose gateway has TLS on, and a plain client refused by it. */
class RemoteOverTlsTest {
    @TempDir
    Path dir;

    @Test
    void theClientCallsANodeOverTls() throws Exception {
        GatewayTlsTest.Material m = GatewayTlsTest.material(dir, "node", "PKCS12", "-keyalg", "EC", "-groupname",
                "secp256r1");
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.tls.enabled", true,
                "pyfleet.gateway.tls.certificate", m.certificate().toString(),
                "pyfleet.gateway.tls.private-key", m.privateKey().toString()))) {
            String address = "127.0.0.1:" + node.address().getPort();
            try (Fleet fleet = Fleet.connect(ClientOptions.builder().address(address).token(TestNodes.TOKEN)
                    .trustPem(m.certificate()).build())) {
                assertEquals(4.0, fleet.call("math.sqrt", 16.0));
                PyObject deque = (PyObject) fleet.init("collections.deque", List.of(1, 2));
                fleet.method(deque, "append", 3);
                assertEquals(List.of(1L, 2L, 3L), fleet.builtin("list", deque));
                assertEquals(1000, fleet.scatter("builtins.abs", java.util.stream.IntStream.range(0, 1000)
                        .mapToObj(i -> List.<Object>of(-i)).toList()).size());
            }
            assertThrows(ConnectionLostException.class, () -> Fleet.connect(ClientOptions.builder().address(address)
                    .token(TestNodes.TOKEN).connectTimeout(java.time.Duration.ofSeconds(3)).build()).close(),
                    "a client without TLS does not get through a TLS gateway");
        }
    }
}

package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.BindException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.BindContract;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link BindContract} through the thin client, against a node over TCP; and binding under a node's allow-list,
 * which lets a binding through when each method may call one of its names, and tells nothing of the others.
 */
class RemoteBindTest extends BindContract {
    @Override
    protected Fleet open() {
        return TestNodes.remote(1, Map.of());
    }

    /** Two methods whose snake_case names the allow-list below lets through (and not their exact names). */
    public interface Allowed {
        long failDeep(int n);

        String bothWays();
    }

    /** A method whose names exist in bindtest but are not on the list. */
    public interface ExistsButNotAllowed {
        String toHTML(String text);
    }

    /** A method whose names exist nowhere and are not on the list either. */
    public interface MissingAndNotAllowed {
        String toXML(String text);
    }

    @Test
    void theAllowListNeitherBlocksAnAllowedBindingNorTellsAboutOtherNames() {
        try (Fleet narrow = TestNodes.remote(1, Map.of("pyfleet.gateway.allow",
                List.of("bindtest.fail_deep", "bindtest.both_ways", "bindtest.get_x2")))) {
            Allowed allowed = narrow.bind(Allowed.class, "bindtest");
            assertEquals(-4L, allowed.failDeep(4));
            assertEquals("snake", allowed.bothWays(),
                    "bindtest.bothWays exists but is not on the list: the worker was asked only about both_ways");

            NotAllowedException exists = assertThrows(NotAllowedException.class,
                    () -> narrow.bind(ExistsButNotAllowed.class, "bindtest"));
            assertEquals("bindtest.toHTML or bindtest.to_html is not in pyfleet.gateway.allow (op lookup: binding "
                    + "bindtest)", exists.getMessage());
            NotAllowedException missing = assertThrows(NotAllowedException.class,
                    () -> narrow.bind(MissingAndNotAllowed.class, "bindtest"));
            assertEquals("bindtest.toXML or bindtest.to_xml is not in pyfleet.gateway.allow (op lookup: binding "
                    + "bindtest)", missing.getMessage(), "the same refusal whether the function exists or not");

            // a module the list leaves out, whether it imports or not: refused as a call to it would be
            NotAllowedException os = assertThrows(NotAllowedException.class, () -> narrow.bind(Allowed.class, "os"));
            assertEquals("os.bothWays or os.both_ways, os.failDeep or os.fail_deep are not in pyfleet.gateway.allow "
                    + "(op lookup: binding os)", os.getMessage());
            assertThrows(NotAllowedException.class, () -> narrow.bind(Allowed.class, "no_such_module_pyfleet"));
            assertThrows(NotAllowedException.class, () -> narrow.call("os.getpid"));
        }
    }

    @Test
    void aMissingFunctionOfAnAllowedNameIsStillABindError() {
        try (Fleet narrow = TestNodes.remote(1, Map.of("pyfleet.gateway.allow", List.of("bindtest.*")))) {
            BindException e = assertThrows(BindException.class, () -> narrow.bind(MissingAndNotAllowed.class,
                    "bindtest"));
            assertEquals("cannot bind MissingAndNotAllowed to bindtest: bindtest has no function for "
                    + "MissingAndNotAllowed.toXML(String) (looked for toXML, to_xml)", e.getMessage());
        }
    }

    @Test
    void aLookupOfNoNamesImportsNothingTheListLeavesOut() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.allow", List.of("bindtest.fail_deep")));
                WireClient c = new WireClient(node.address())) {
            c.handshake(TestNodes.TOKEN);
            long id = 1;
            // no groups: nothing for the list to refuse, but the worker would import the module (its top-level
            // code runs) and its answer would tell whether it exists
            for (String module : List.of("fleettest", "no_such_module_pyfleet", "bindtest")) {
                c.request(id, "lookup", module, List.of(List.of()));
                Incoming m = c.read();
                assertEquals(Messages.ERROR, m.type(), module + ": " + m.body());
                assertEquals(id, m.id());
                assertEquals("not_allowed", ((RemoteError) m.body()).kind(), module + ": " + m.body());
                id++;
            }
            c.request(id, "lookup", "bindtest", List.of(List.of(List.of("failDeep", "fail_deep"))));
            assertEquals(List.of(java.util.Arrays.asList("fail_deep", true, "builtins.function")), c.read().body(),
                    "a lookup of an allowed name still answers");
        }
    }
}

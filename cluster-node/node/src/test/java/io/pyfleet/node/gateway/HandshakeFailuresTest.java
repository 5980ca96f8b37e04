package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The slowing of addresses whose handshakes fail, and its log: once per interval, on a clock the test turns. */
class HandshakeFailuresTest {
    private static final long MS = 1_000_000L;
    private long now = 1_000 * MS;
    private final List<String> log = new ArrayList<>();
    private final HandshakeFailures failures = new HandshakeFailures(3, Duration.ofSeconds(10), Duration.ofSeconds(1),
            100, () -> now, log::add);

    @Test
    void anAddressIsSlowedAfterFailuresInARowWithAWaitThatDoublesUpToTheMost() {
        failures.failed("10.0.0.1", "wrong token");
        failures.failed("10.0.0.1", "wrong token");
        assertEquals(0, failures.waitNanos("10.0.0.1"), "two failures: not slowed yet");
        failures.failed("10.0.0.1", "wrong token");
        assertEquals(100 * MS, failures.waitNanos("10.0.0.1"), "the third starts the slowing at 100 ms");
        now += 40 * MS;
        assertEquals(60 * MS, failures.waitNanos("10.0.0.1"), "refused tries do not lengthen the wait");
        assertEquals(0, failures.waitNanos("10.0.0.2"), "another address is not slowed");
        failures.failed("10.0.0.1", "wrong token");
        assertEquals(200 * MS, failures.waitNanos("10.0.0.1"), "doubles with each further failure");
        for (int i = 0; i < 10; i++) {
            failures.failed("10.0.0.1", "wrong token");
        }
        assertEquals(1000 * MS, failures.waitNanos("10.0.0.1"), "up to slowing-max");
    }

    @Test
    void aSlowedAddressGetsOneTryPerWait() {
        for (int i = 0; i < 3; i++) {
            failures.failed("10.0.0.1", "no hello");
        }
        now += 100 * MS;
        assertEquals(0, failures.waitNanos("10.0.0.1"), "the wait is over: one try");
        assertEquals(100 * MS, failures.waitNanos("10.0.0.1"), "the next waits a whole wait again");
    }

    @Test
    void aSuccessOrAQuietIntervalForgetsTheFailures() {
        for (int i = 0; i < 5; i++) {
            failures.failed("10.0.0.1", "wrong token");
            failures.failed("10.0.0.2", "wrong token");
        }
        failures.succeeded("10.0.0.1");
        assertEquals(0, failures.waitNanos("10.0.0.1"), "a success ends the slowing");
        failures.failed("10.0.0.1", "wrong token");
        assertEquals(0, failures.waitNanos("10.0.0.1"), "and counts from zero again");
        now += 11_000 * MS;
        assertEquals(0, failures.waitNanos("10.0.0.2"), "quiet for the interval: forgotten");
        failures.failed("10.0.0.2", "wrong token");
        assertEquals(0, failures.waitNanos("10.0.0.2"), "one failure after the interval starts a new count");
    }

    @Test
    void eachAddressIsLoggedAtMostOncePerIntervalWithTheTriesSummed() {
        for (int i = 0; i < 1000; i++) {
            failures.failed("10.0.0.1", "wrong token");
            failures.waitNanos("10.0.0.1");
            now += MS;
        }
        assertEquals(1, log.size(), "the first failure is logged at once, the rest wait for the interval: " + log);
        assertTrue(log.get(0).contains("10.0.0.1") && log.get(0).contains("1 handshake(s) failed")
                && log.get(0).contains("wrong token") && log.get(0).contains("handshake-failure-interval"), log.get(0));
        now += 9_000 * MS; // 10 s after the first line
        failures.failed("10.0.0.1", "no authentication within 5s");
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(1).contains("1000 handshake(s) failed since the last report")
                && log.get(1).contains("no authentication within 5s") && log.get(1).contains("refused while slowed")
                && log.get(1).contains("handshake-failures-before-slowing"), log.get(1));
        failures.failed("10.0.0.2", "garbage");
        assertEquals(3, log.size(), "another address has its own interval");
    }

    @Test
    void theTableOfAddressesIsBounded() {
        for (int i = 0; i < 1000; i++) {
            failures.failed("10.0.1." + i, "wrong token");
        }
        assertEquals(100, failures.tracked());
    }

    @Test
    void ipv6AddressesCountByTheirSlash64() throws Exception {
        String a = HandshakeFailures.key(InetAddress.getByName("2001:db8:1:2::1"));
        String b = HandshakeFailures.key(InetAddress.getByName("2001:db8:1:2:ffff::9"));
        String c = HandshakeFailures.key(InetAddress.getByName("2001:db8:1:3::1"));
        assertEquals(a, b, "one /64, one count");
        assertTrue(!a.equals(c), a + " vs " + c);
        assertEquals("192.0.2.7", HandshakeFailures.key(InetAddress.getByName("192.0.2.7")));
    }
}

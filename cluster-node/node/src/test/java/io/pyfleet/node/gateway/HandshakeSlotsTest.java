package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Who is pushed out when the handshake pool is full: never the address that holds the least. */
class HandshakeSlotsTest {

    @Test
    void anAddressAtItsShareOnlyPushesOutItsOwnOldest() {
        HandshakeSlots slots = new HandshakeSlots(10, 3);
        HandshakeSlots.Pending honest = new HandshakeSlots.Pending("10.0.0.9");
        assertNull(slots.take(honest));
        List<HandshakeSlots.Pending> abuser = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            abuser.add(new HandshakeSlots.Pending("10.0.0.1"));
            assertNull(slots.take(abuser.get(i)));
        }
        for (int i = 0; i < 50; i++) {
            HandshakeSlots.Pending next = new HandshakeSlots.Pending("10.0.0.1");
            assertSame(abuser.remove(0), slots.take(next), "its own oldest");
            abuser.add(next);
        }
        assertEquals(4, slots.size());
    }

    @Test
    void aFullPoolPushesOutTheOldestOfTheAddressHoldingTheMost() {
        HandshakeSlots slots = new HandshakeSlots(6, 6);
        HandshakeSlots.Pending honest = new HandshakeSlots.Pending("10.0.0.9");
        slots.take(honest);
        HandshakeSlots.Pending first = new HandshakeSlots.Pending("10.0.0.1");
        slots.take(first);
        for (int i = 0; i < 3; i++) {
            slots.take(new HandshakeSlots.Pending("10.0.0.1"));
        }
        slots.take(new HandshakeSlots.Pending("10.0.0.2"));
        assertEquals(6, slots.size());
        assertSame(first, slots.take(new HandshakeSlots.Pending("10.0.0.3")), "the biggest holder's oldest");
        for (int i = 0; i < 2; i++) { // it holds three, then two: the next two are its own
            assertEquals("10.0.0.1", slots.take(new HandshakeSlots.Pending("10.0.0." + (100 + i))).address,
                    "an address holding one slot is not pushed out while another holds more");
        }
        // every address holds one now: the oldest goes (many addresses, the trade-off: an honest handshake
        // survives unless a pool's worth of connections arrives within its round trip)
        assertSame(honest, slots.take(new HandshakeSlots.Pending("10.0.0.200")));
    }

    @Test
    void aReleasedSlotIsFreeAgainAndAPushedOutOneIsClosedOnceItsStageListens() {
        HandshakeSlots slots = new HandshakeSlots(1, 1);
        HandshakeSlots.Pending a = new HandshakeSlots.Pending("10.0.0.1");
        slots.take(a);
        slots.release(a);
        assertEquals(0, slots.size());
        slots.take(a);
        HandshakeSlots.Pending b = new HandshakeSlots.Pending("10.0.0.1");
        HandshakeSlots.Pending victim = slots.take(b);
        assertSame(a, victim);
        victim.evict(); // before the connection's stage has started
        AtomicInteger closed = new AtomicInteger();
        a.onEvict(closed::incrementAndGet);
        assertEquals(1, closed.get(), "closed as soon as it can be");
        assertTrue(a.evicted());
        assertFalse(b.evicted());
        slots.release(a); // its stage ends: nothing to free, b keeps the slot
        assertEquals(1, slots.size());
    }
}

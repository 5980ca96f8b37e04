package io.pyfleet.node.arrays;

import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.List;

/**
 * A node in a JVM of its own holding arrays: one made in Java, one a worker made. Prints
 * {@code ready} when both are held, then waits to be killed. Arg: the array size in bytes.
 */
public final class ArrayNodeMain {
    private ArrayNodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]) / 8;
        EmbeddedNode fleet = TestFleets.start(1);
        double[] data = new double[n];
        java.util.Arrays.fill(data, 2.0);
        PyArray mine = fleet.array(data);
        PyArray theirs = fleet.callArray("arraytest.full", n, 3.0);
        System.out.println("ready " + ApiAccess.memory(mine).source() + " " + ApiAccess.memory(theirs).source() + " "
                + fleet.stats().workers().stream().map(w -> Long.toString(w.pid())).toList());
        System.out.flush();
        Thread.sleep(600_000);
        List.of(mine, theirs).forEach(PyArray::close);
        fleet.close();
    }
}

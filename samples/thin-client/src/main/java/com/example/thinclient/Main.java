package com.example.thinclient;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kwargs;
import io.pyfleet.client.NumPy;
import io.pyfleet.client.PoolStats;
import java.util.Arrays;

/**
 * Calls Python on a running pyfleet node over TCP. The node's address is the first argument (default
 * 127.0.0.1:7450), its token the PYFLEET_TOKEN environment variable, as a node's token file sets it:
 * {@code export $(cat ~/.pyfleet/gateway-7450.token)}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        String address = args.length > 0 ? args[0] : "127.0.0.1:7450";
        String token = System.getenv("PYFLEET_TOKEN");
        if (token == null || token.isBlank()) {
            System.err.println("PYFLEET_TOKEN is not set: export $(cat ~/.pyfleet/gateway-7450.token), "
                    + "the token file the node logged");
            System.exit(2);
        }
        try (Fleet fleet = Fleet.connect(token, address)) {
            System.out.println("math.sqrt(2) = " + fleet.call("math.sqrt", 2.0));
            System.out.println("int('101010', base=2) = " + fleet.call("builtins.int", "101010", Kwargs.of("base", 2)));
            NumPy np = NumPy.on(fleet);
            System.out.println("numpy.linspace(0, 1, 5) = " + Arrays.toString(np.linspace(0, 1, 5).toDoubles()));
            PoolStats stats = fleet.stats();
            System.out.println("served by node " + stats.node() + " (workers: " + stats.workers().size() + ")");
        }
    }
}

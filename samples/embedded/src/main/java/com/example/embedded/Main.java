package com.example.embedded;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NumPy;
import io.pyfleet.client.PyArray;
import io.pyfleet.node.EmbeddedFleet;
import java.nio.file.Path;
import java.util.List;

/**
 * A pyfleet node inside this program: two Python workers run the project's own module
 * (src/main/python/mymodel.py, bound to {@link Model}) and NumPy on 100 MiB of doubles in node memory.
 * The interpreter is PYFLEET_PYTHON (a virtual environment's bin/python with msgpack and NumPy), else python3.
 * Run it from this directory: the Python path is relative to it.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        try (Fleet fleet = EmbeddedFleet.builder()
                .pythonPath(Path.of("src/main/python"))    // where mymodel.py is
                .workers(2)
                .start()) {
            Model model = fleet.bind(Model.class, "mymodel");
            System.out.println("workers run " + model.pythonVersion());
            System.out.println("mymodel.score([0.5, 1.5, 2.5]) = " + model.score(List.of(0.5, 1.5, 2.5)));

            double[] big = new double[100 * 1024 * 1024 / Double.BYTES];     // 100 MiB
            for (int i = 0; i < big.length; i++) {
                big[i] = i % 10;
            }
            // Into the node's shared memory (one copy); the workers map it, so no message size limit applies.
            try (PyArray x = fleet.array(big)) {
                NumPy np = NumPy.on(fleet);
                System.out.printf("numpy.sum of %,d doubles = %.1f%n", x.size(), np.sum(x));
                System.out.printf("mymodel.rms of the same = %.6f%n", model.rms(x));
            }
        }
    }
}

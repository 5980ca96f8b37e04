package io.pyfleet.node.gateway;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT handled before the JVM begins to shut down. A node must leave its cluster
 * in order, which needs remoting alive; but once the JVM shuts down, Pekko's Artery stops its
 * connections from a shutdown hook of its own, so a stop run from a shutdown hook leaves the
 * others to find the node unreachable instead. Only for a process that is a node
 * ({@code ./pyfleet node}); an embedded library never takes its host's signals.
 */
public final class StopSignals {
    private static final Logger log = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    /**
     * Runs {@code stop} on a thread of its own at the first SIGTERM or SIGINT.
     *
     * @param stop what stops the node
     */
    public static void onStop(Runnable stop) {
        Thread stopper = new Thread(stop, "pyfleet-node-stop");
        Runnable start = () -> {
            synchronized (stopper) {
                if (stopper.getState() == Thread.State.NEW) {
                    stopper.start();
                }
            }
        };
        for (String name : List.of("TERM", "INT")) {
            try {
                handle(name, start);
            } catch (ReflectiveOperationException | IllegalArgumentException | UnsupportedOperationException e) {
                log.debug("SIG{} cannot be handled here ({}); the shutdown hook stops the node", name, e.toString());
            }
        }
    }

    /**
     * {@code sun.misc.Signal.handle(new Signal(name), s -> action.run())}, reached by reflection: named in
     * the source, that API makes every javac print "internal proprietary API" warnings, which no
     * {@code @SuppressWarnings} silences. It lives on in the jdk.unsupported module for this use.
     */
    private static void handle(String name, Runnable action) throws ReflectiveOperationException {
        Class<?> signal = Class.forName("sun.misc.Signal");
        Class<?> handler = Class.forName("sun.misc.SignalHandler");
        Object onSignal = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler},
                (proxy, method, args) -> switch (method.getName()) {
                    case "handle" -> {
                        action.run();
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "pyfleet stop on SIG" + name;
                });
        try {
            signal.getMethod("handle", signal, handler).invoke(null,
                    signal.getConstructor(String.class).newInstance(name), onSignal);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // IllegalArgumentException: a signal the VM keeps for itself
            }
            throw e;
        }
    }
}

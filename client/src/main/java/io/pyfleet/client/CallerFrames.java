package io.pyfleet.client;

import java.lang.reflect.Proxy;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The frames of the thread that waits in {@link Fleet#join}, as a rethrown failure shows them: first the
 * frames it is given (a call's Python frames), then the caller's, without pyfleet's own frames on top
 * (join, the API method that called it, a binding's proxy, a Fleet implementation's sync method).
 * Runs only when a call failed: the stack walk costs nothing on the success path.
 */
final class CallerFrames {
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final URL API_JAR = location(Fleet.class);

    private CallerFrames() {
    }

    static StackTraceElement[] below(List<StackTraceElement> top) {
        List<StackTraceElement> caller = WALKER.walk(CallerFrames::caller);
        List<StackTraceElement> all = new ArrayList<>(top.size() + caller.size());
        all.addAll(top);
        all.addAll(caller);
        return all.toArray(new StackTraceElement[0]);
    }

    private static List<StackTraceElement> caller(Stream<StackWalker.StackFrame> stream) {
        List<StackWalker.StackFrame> frames = stream.toList();
        int start = 0;
        for (int i = 0; i < frames.size(); i++) {
            StackWalker.StackFrame f = frames.get(i);
            if (f.getDeclaringClass() == Fleet.class && f.getMethodName().equals("join")) {
                start = i + 1;
                break;
            }
        }
        int first = start;
        while (first < frames.size() && ours(frames.get(first).getDeclaringClass())) {
            first++;
        }
        if (first == frames.size()) {
            first = start; // a thread of pyfleet's own waited: keep what it has
        }
        List<StackTraceElement> out = new ArrayList<>(frames.size() - first);
        for (int i = first; i < frames.size(); i++) {
            out.add(frames.get(i).toStackTraceElement());
        }
        return out;
    }

    /** pyfleet's own code between the caller and the wait: the client library, a Fleet, a binding's proxy. */
    private static boolean ours(Class<?> c) {
        if (Fleet.class.isAssignableFrom(c) || Proxy.isProxyClass(c)) {
            return true;
        }
        String name = c.getName();
        if (name.startsWith("java.lang.reflect.") || name.startsWith("jdk.internal.reflect.")
                || name.startsWith("java.lang.invoke.")) {
            return true;
        }
        // the library's classes, not a caller's that happen to share the package (tests)
        return name.startsWith("io.pyfleet.client.") && API_JAR != null && API_JAR.equals(location(c));
    }

    private static URL location(Class<?> c) {
        ProtectionDomain d = c.getProtectionDomain();
        CodeSource s = d == null ? null : d.getCodeSource();
        return s == null ? null : s.getLocation();
    }
}

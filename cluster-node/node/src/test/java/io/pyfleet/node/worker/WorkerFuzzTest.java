package io.pyfleet.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.PyTuple;
import io.pyfleet.node.TestPython;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.ValueCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and mutated frames from the JVM side into one real worker, over the same
 * kind of raw pipe WorkerProcess uses. For every frame the worker answers (a reply or an
 * error frame) or exits, and then this side says why from its exit status; it never hangs.
 */
class WorkerFuzzTest {
    private static final int FRAMES = 10_000;
    private static final int MAX_FRAME = 65_536;
    private static final long DEADLINE_SECONDS = 10;
    private static final Object EOF = new Object();

    /** A worker started raw: its pipes and a thread that queues every frame it writes. */
    private static final class RawWorker {
        final Process process;
        final OutputStream in;
        final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();

        RawWorker() throws IOException {
            ProcessBuilder builder = new ProcessBuilder(TestPython.interpreter(), "-m", "pyfleet.worker");
            builder.environment().put("PYTHONPATH", WorkerPackage.directory().toString());
            builder.environment().put("PYFLEET_MAX_FRAME", Integer.toString(MAX_FRAME));
            builder.redirectError(ProcessBuilder.Redirect.DISCARD);
            process = builder.start();
            in = new BufferedOutputStream(process.getOutputStream());
            InputStream out = new BufferedInputStream(process.getInputStream());
            Thread reader = new Thread(() -> {
                try {
                    for (byte[] f; (f = Frames.readFrame(out, MAX_FRAME)) != null; ) {
                        frames.add(f);
                    }
                } catch (IOException | RuntimeException e) {
                    // the worker is gone or wrote garbage: both end in EOF for the test
                }
                frames.add(EOF);
            }, "fuzz-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next reply or error; null when the worker exited instead. */
        Incoming answer() throws InterruptedException {
            while (true) {
                Object next = frames.poll(DEADLINE_SECONDS, TimeUnit.SECONDS);
                if (next == null) {
                    throw new AssertionError("the worker neither answered nor exited within " + DEADLINE_SECONDS + " s");
                }
                if (next == EOF) {
                    return null;
                }
                Incoming message = Incoming.parse((byte[]) next);
                if (message.type() == Messages.REPLY || message.type() == Messages.ERROR) {
                    return message;
                }
            }
        }
    }

    @Test
    void randomAndMutatedFramesNeverHangTheWorker() throws Exception {
        long seed = Long.getLong("pyfleet.fuzz.seed", 20261122L);
        Random random = new Random(seed);
        List<byte[]> valid = validRequests();
        Map<String, Integer> outcomes = new TreeMap<>();
        RawWorker worker = new RawWorker();
        Incoming hello = Incoming.parse((byte[]) worker.frames.poll(30, TimeUnit.SECONDS));
        assertEquals(Messages.HELLO, hello.type());
        try {
            for (int i = 0; i < FRAMES; i++) {
                int kind = random.nextInt(100);
                try {
                    if (kind < 2) {
                        writeHeaderOnly(worker.in, MAX_FRAME + 1 + random.nextInt(1 << 20));
                    } else {
                        byte[] frame = kind < 70 ? mutate(valid.get(random.nextInt(valid.size())), random)
                                : kind < 85 ? randomBytes(random) : randomValue(random);
                        writeFrame(worker.in, frame);
                    }
                } catch (IOException brokenPipe) {
                    // the worker already exited; its exit is collected below
                }
                Incoming answer = worker.answer();
                if (answer != null) {
                    outcomes.merge(answer.type() == Messages.REPLY ? "reply" : "error", 1, Integer::sum);
                    continue;
                }
                assertTrue(worker.process.waitFor(10, TimeUnit.SECONDS), "an exited worker is reaped");
                ExitStatus status = new ExitStatus(worker.process.exitValue(), null);
                outcomes.merge("exit: " + status.describe(), 1, Integer::sum);
                assertEquals(ExitStatus.PROTOCOL_VIOLATION, status.code(),
                        "only an untrustworthy frame length may end the worker, frame " + i + " (seed " + seed + ")");
                worker = new RawWorker();
                worker.frames.poll(30, TimeUnit.SECONDS);
            }
        } finally {
            worker.process.destroyForcibly();
        }
        int total = outcomes.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("fuzz seed " + seed + ": " + outcomes);
        assertEquals(FRAMES, total, "every frame ended in exactly one outcome");
        assertTrue(outcomes.getOrDefault("reply", 0) > 100 && outcomes.getOrDefault("error", 0) > 1000, outcomes.toString());
    }

    private static List<byte[]> validRequests() {
        List<byte[]> requests = new ArrayList<>();
        requests.add(Messages.request(7, "operator", "add", List.of(1, 2), null, null));
        requests.add(Messages.request(8, "builtin", "len", List.of(List.of(1, 2, 3)), null, null));
        requests.add(Messages.request(9, "call", "builtins.int", List.of("101010"), Map.of("base", 2), null));
        requests.add(Messages.request(10, "const", "math.pi", null, null, Map.of("coerce", "str")));
        requests.add(Messages.request(11, "init", "datetime.date", List.of(1923, 4, 2), null, Map.of("ret", "handle")));
        requests.add(Messages.request(12, "attr", LocalDate.of(1923, 4, 2), List.of("year"), null, null));
        requests.add(Messages.request(13, "method", "abc", List.of("upper"), null, null));
        requests.add(Messages.request(14, "versions", null, null, null, null));
        requests.add(Messages.request(15, "operator", "getitem", List.of(List.of(1, PyTuple.of(2, 3)), 1), null, null));
        requests.add(Messages.request(16, "call", "json.dumps", List.of(Map.of("a", List.of(1, 2.5))), null, null));
        return requests;
    }

    /** Bit flips, byte overwrites, truncation or a duplicated tail: mostly near-valid frames. */
    private static byte[] mutate(byte[] frame, Random random) {
        byte[] out = frame.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    int bit = random.nextInt(out.length * 8);
                    out[bit / 8] ^= (byte) (1 << (bit % 8));
                }
            }
            case 1 -> out[random.nextInt(out.length)] = (byte) random.nextInt(256);
            case 2 -> out = Arrays.copyOf(out, 1 + random.nextInt(out.length));
            default -> {
                byte[] longer = Arrays.copyOf(out, out.length * 2);
                System.arraycopy(out, 0, longer, out.length, out.length);
                out = longer;
            }
        }
        return out;
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[1 + random.nextInt(64)];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A well-formed msgpack value that is not a valid request. */
    private static byte[] randomValue(Random random) {
        Object value = switch (random.nextInt(5)) {
            case 0 -> List.of(0, random.nextInt(1000), "operator", "add");
            case 1 -> List.of(random.nextInt(6), random.nextLong(), "call", List.of(), Map.of(), 3, "x");
            case 2 -> Map.of("op", "call");
            case 3 -> random.nextDouble();
            default -> Arrays.asList(0, 1 + random.nextInt(1000), "bogus-op", "x", null, null, null);
        };
        return ValueCodec.encode(value);
    }

    private static void writeFrame(OutputStream out, byte[] payload) throws IOException {
        out.write(Frames.header(payload.length));
        out.write(payload);
        out.flush();
    }

    private static void writeHeaderOnly(OutputStream out, int declaredLength) throws IOException {
        out.write(Frames.header(declaredLength));
        out.flush();
    }
}

package io.pyfleet.bench;

import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.worker.WorkerPackage;
import io.pyfleet.protocol.Frames;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The floor: {@code python -m pyfleet.echo}, a loop that writes back every frame it reads, started with
 * the workers' interpreter, environment and path, over the same kind of pipe with the same buffering as
 * {@link io.pyfleet.node.worker.WorkerProcess}.
 */
final class EchoProcess implements AutoCloseable {
    private final Process process;
    private final OutputStream out;
    private final InputStream in;

    private EchoProcess(Process process) {
        this.process = process;
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.in = new BufferedInputStream(process.getInputStream(), 1 << 18);
    }

    static EchoProcess start(PyfleetSettings settings) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(settings.worker().interpreter(), "-m", "pyfleet.echo");
        Map<String, String> env = builder.environment();
        List<String> path = new ArrayList<>();
        path.add(WorkerPackage.directory().toString());
        settings.worker().pythonPath().forEach(p -> path.add(p.toAbsolutePath().toString()));
        String inherited = env.get("PYTHONPATH");
        if (inherited != null && !inherited.isEmpty()) {
            path.add(inherited);
        }
        env.put("PYTHONPATH", String.join(File.pathSeparator, path));
        env.putAll(settings.worker().environment());
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        try {
            return new EchoProcess(builder.start());
        } catch (IOException e) {
            throw new IOException("cannot start the echo loop with '" + settings.worker().interpreter() + "': "
                    + e.getMessage(), e);
        }
    }

    /** Writes {@code frame} (length prefix included) without flushing. */
    void write(byte[] frame) throws IOException {
        out.write(frame);
    }

    void flush() throws IOException {
        out.flush();
    }

    /** Reads one echoed frame's payload. */
    byte[] read() throws IOException {
        byte[] payload = Frames.readFrame(in, Frames.DEFAULT_MAX_FRAME);
        if (payload == null) {
            throw new BenchFailure("the echo loop exited"
                    + (process.isAlive() ? "" : " with status " + process.exitValue()) + " (see stderr)");
        }
        return payload;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}

package io.pyfleet.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;

/**
 * {@code floor_tcp_echo_us}: the frame of an {@code operator.add(1, 2)} request written to a loopback TCP
 * socket and echoed back by a thread of this JVM doing nothing else, one at a time: what one round trip
 * over TCP costs on this host before any gateway or Python. The TCP cases are compared with the embedded
 * ones; this says how much of the difference is the network stack itself.
 */
final class TcpEchoLatency implements BenchCase {
    static final String P50 = "floor_tcp_echo_us";

    @Override
    public String name() {
        return "floor_tcp_echo";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        byte[] frame = PipeEchoLatency.addFrame();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> echo(server), "bench-tcp-echo");
            echo.setDaemon(true);
            echo.start();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                socket.setTcpNoDelay(true);
                OutputStream out = socket.getOutputStream();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] back = new byte[frame.length];
                long[] samples = Loops.latencies(pass.size(20_000, 5_000), () -> {
                    out.write(frame);
                    in.readFully(back);
                });
                return Map.of(P50, Stats.micros(Stats.percentile(samples, 50)));
            }
        }
    }

    private static void echo(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buffer = new byte[4096];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the case closed its socket
        }
    }
}

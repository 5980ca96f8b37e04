package io.pyfleet.node.gateway;

import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A bare socket speaking the gateway's frames, for tests that act as a client or an attacker would. */
public final class WireClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    byte[] nodeNonce;
    final byte[] clientNonce = Gateway.nonce();

    /** Connects; nothing is sent yet. */
    public WireClient(InetSocketAddress at) throws IOException {
        this(at, null);
    }

    /** Connects from {@code from} (another loopback address, say), or from any when null; nothing is sent yet. */
    public WireClient(InetSocketAddress at, java.net.InetAddress from) throws IOException {
        socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(at);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Reads the challenge. */
    Incoming challenge() throws IOException {
        Incoming c = read();
        nodeNonce = (byte[]) ((Map<?, ?>) c.body()).get("nonce");
        return c;
    }

    /** The whole handshake with this token; returns the node's answer (a welcome or an error). */
    public Incoming handshake(String token) throws IOException {
        challenge();
        sendAuth(Gateway.clientMac(token, nodeNonce));
        return read();
    }

    void sendAuth(byte[] mac) throws IOException {
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("mac", mac);
        auth.put("nonce", clientNonce);
        auth.put("client", "test");
        send(Gateway.message(Gateway.AUTH, auth));
    }

    void send(byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    /** Sends a request without kwargs or opts. */
    public void request(long id, String op, Object target, List<?> args) throws IOException {
        send(Messages.request(id, op, target, args, null, null));
    }

    /** Sends a request with opts, without kwargs. */
    public void request(long id, String op, Object target, List<?> args, Map<String, ?> opts) throws IOException {
        send(Messages.request(id, op, target, args, null, opts));
    }

    /** The next frame that is not a ping. */
    public Incoming read() throws IOException {
        return Incoming.parse(readRaw());
    }

    /** The bytes of the next frame that is not a ping, as the node wrote them (without the length). */
    public byte[] readRaw() throws IOException {
        while (true) {
            int n = in.readInt();
            byte[] payload = new byte[n];
            in.readFully(payload);
            if (Incoming.parse(payload).type() != Gateway.PING) {
                return payload;
            }
        }
    }

    /** True when the node closed the connection (EOF or reset) within the socket timeout. */
    boolean closedByNode() {
        try {
            while (true) {
                int n = in.readInt();
                in.skipNBytes(n);
            }
        } catch (EOFException | java.net.SocketException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** Sends a request and returns its answer's bytes, which must be an error of that id (a refusal). */
    public byte[] refused(long id, String op, Object target, List<?> args, Map<String, ?> opts) throws IOException {
        request(id, op, target, args, opts);
        byte[] answer = readRaw();
        Incoming m = Incoming.parse(answer);
        org.junit.jupiter.api.Assertions.assertEquals(id, m.id());
        org.junit.jupiter.api.Assertions.assertEquals(Messages.ERROR, m.type(), () -> "refused, not answered: " + m.body());
        return answer;
    }

    /** The body of a reply, which must be the answer to {@code id}. */
    public static Object ok(Incoming m, long id) {
        org.junit.jupiter.api.Assertions.assertEquals(id, m.id());
        org.junit.jupiter.api.Assertions.assertEquals(Messages.REPLY, m.type(), () -> "an answer, not " + m.body());
        return m.body();
    }
}

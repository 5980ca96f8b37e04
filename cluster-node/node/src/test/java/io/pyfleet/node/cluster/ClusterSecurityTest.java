package io.pyfleet.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.gateway.NodeServer;
import io.pyfleet.protocol.Messages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery takes a connection from anyone who reaches its port, so a node runs a call from another
 * node only when it is sealed with the cluster secret for this node's incarnation and is not a
 * replay: a stranger's forged call, and a recorded call sent again, run nothing.
 */
class ClusterSecurityTest {
    @Test
    void aStrangerCannotRunCallsThroughTheClusterPortNorReplayOne(@TempDir Path marks) throws Exception {
        int port = ClusterNodes.freePort();
        Map<String, Object> o = new HashMap<>();
        o.put("pyfleet.node-name", "target");
        o.put("pyfleet.gateway.port", 0);
        o.put("pyfleet.gateway.token", ClusterNodes.TOKEN);
        o.put("pyfleet.cluster.enabled", true);
        o.put("pyfleet.cluster.port", port);
        o.put("pyfleet.cluster.seeds", List.of("127.0.0.1:" + port));
        Config config = TestFleets.config(1, o);
        Config stranger = ConfigFactory.parseMap(Map.of("pekko.actor.provider", "remote",
                "pekko.remote.artery.canonical.hostname", "127.0.0.1", "pekko.remote.artery.canonical.port", 0))
                .withFallback(ConfigFactory.load());
        BlockingQueue<NodeAgent.Command> answers = new LinkedBlockingQueue<>();
        try (NodeServer node = NodeServer.start(config, GatewaySettings.from(config), ClusterSettings.from(config),
                line -> { })) {
            ActorSystem<NodeAgent.Command> outsider = ActorSystem.create(Behaviors.receive(NodeAgent.Command.class)
                    .onAnyMessage(m -> {
                        answers.add(m);
                        return Behaviors.same();
                    }).build(), "pyfleet", stranger);
            try {
                ActorRef<NodeAgent.Command> agent = Adapter.toTyped(outsider.classicSystem()
                        .actorSelection("pekko://pyfleet@127.0.0.1:" + port + "/system/pyfleet-agent")
                        .resolveOne(Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS));
                String target = node.fleet().settings().handleNode();
                byte[] call = Messages.request(1, "call", "fleettest.mark", List.of(marks.toString(), "forged"), null,
                        null);
                agent.tell(new NodeAgent.Forward(outsider, 7, call, "stranger~x", target, 1, new byte[32]));
                agent.tell(new NodeAgent.Forward(outsider, 7, call, "stranger~x", target, 2, null));

                // a call sealed with the secret (as a member would) runs once; the same message again does not
                MessageAuth member = new MessageAuth(ClusterNodes.TOKEN, "member~y");
                byte[] sealedCall = Messages.request(2, "call", "fleettest.mark", List.of(marks.toString(), "sealed"),
                        null, null);
                MessageAuth.Seal seal = member.seal(MessageAuth.FORWARD, target, 8, false, sealedCall);
                NodeAgent.Forward once = new NodeAgent.Forward(outsider, 8, sealedCall, "member~y", target, seal.seq(),
                        seal.mac());
                agent.tell(once);
                Eventually.await(Duration.ofSeconds(15), () -> Files.exists(marks.resolve("sealed")),
                        () -> "the sealed call ran");
                agent.tell(once);
                MessageAuth.Seal other = member.seal(MessageAuth.FORWARD, "another~incarnation", 8, false, sealedCall);
                agent.tell(new NodeAgent.Forward(outsider, 8, sealedCall, "member~y", "another~incarnation",
                        other.seq(), other.mac()));
                Thread.sleep(1500);
                assertFalse(Files.exists(marks.resolve("forged")), "a forged call ran nothing");
                assertEquals(1, Files.size(marks.resolve("sealed")), "a replayed call, or one for another "
                        + "incarnation, runs nothing");
                NodeAgent.Command answer = answers.poll(5, TimeUnit.SECONDS);
                assertTrue(answer instanceof NodeAgent.Frames f && f.endsCall() && f.to().equals("member~y"),
                        "the sealed call was answered, to its sender: " + answer);
                assertEquals(null, answers.poll(500, TimeUnit.MILLISECONDS), "nothing else was answered");
            } finally {
                outsider.terminate();
                outsider.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
            }
        }
    }
}

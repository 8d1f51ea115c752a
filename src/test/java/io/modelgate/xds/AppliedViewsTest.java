package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.XdsConfig;
import io.modelgate.routing.ClusterNames;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViews;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway filter decides on the views Envoy has applied: a view counts once an Envoy
 * acknowledged the endpoints version that carries it, never on a NACK or before.
 */
class AppliedViewsTest {
  private static final String ENDPOINTS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private final FixedView newest = new FixedView();
  private final AppliedViews applied = new AppliedViews(newest);
  private final List<HealthView> heard = new CopyOnWriteArrayList<>();
  private XdsServer server;
  private XdsSnapshotPublisher publisher;

  @AfterEach
  void stop() throws Exception {
    if (publisher != null) {
      publisher.close();
      server.close();
    }
    applied.close();
  }

  @Test
  void viewsApplyInOrderOnceTheirEndpointsVersionIsAcknowledged() {
    applied.subscribe(heard::add);
    HealthView first = view(1);
    HealthView second = view(2);
    HealthView third = view(3);

    assertThat(applied.current()).as("before any acknowledgement").isSameAs(newest.current());
    applied.built(first, 10);
    applied.built(second, 11);
    applied.acked(10);
    await().until(() -> heard.size() == 1);
    assertThat(applied.current()).isSameAs(first);

    applied.acked(12);
    await().until(() -> heard.size() == 2);
    applied.built(third, 12);
    await().until(() -> heard.size() == 3);
    assertThat(heard).containsExactly(first, second, third);
    assertThat(applied.current()).isSameAs(third);

    applied.acked(11);
    assertThat(applied.current()).as("an older acknowledgement changes nothing").isSameAs(third);
  }

  @Test
  void anEnvoyThatRejectsTheEndpointsAppliesNothingOneThatAcceptsThemDoes() throws Exception {
    server = new XdsServer(new InetSocketAddress("127.0.0.1", 0), XdsConfig.NodeGroup.ALL, applied);
    publisher = new XdsSnapshotPublisher(new EnvoyResources(FixedView.CONFIG), server, newest, applied);
    applied.subscribe(heard::add);
    List<String> clusters =
        List.of(
            ClusterNames.model("m", ClusterNames.Upstream.REST),
            ClusterNames.model("m", ClusterNames.Upstream.GRPC));

    try (AdsTestClient rejecting = new AdsTestClient(server.port(), "envoy-1", "edge")) {
      rejecting.rejectEverything();
      rejecting.subscribe(ENDPOINTS, clusters);
      await().until(() -> server.nacks() >= 2); // its CDS and EDS answers
      assertThat(heard).isEmpty();

      try (AdsTestClient accepting = new AdsTestClient(server.port(), "envoy-2", "edge")) {
        accepting.subscribe(ENDPOINTS, clusters);
        await().atMost(Duration.ofSeconds(5)).until(() -> !heard.isEmpty());
        assertThat(heard.get(0)).isSameAs(newest.current());
      }
    }
  }

  private static HealthView view(long version) {
    return HealthViews.of(version, Instant.EPOCH, true, Map.of());
  }
}

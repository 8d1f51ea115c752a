package io.modelgate.sources;

import io.modelgate.config.ReplicaConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Replicas for tests, as the static source reports configured ones. */
public final class TestReplicas {
  private TestReplicas() {}

  /** {@code configured} with its host resolved ("" when it does not resolve). */
  public static Replica of(ReplicaConfig configured) {
    String address;
    try {
      address = InetAddress.getByName(configured.host()).getHostAddress();
    } catch (UnknownHostException e) {
      address = "";
    }
    return new Replica(
        configured.id(),
        configured.host(),
        address,
        configured.grpcPort(),
        configured.restPort(),
        configured.protocol(),
        "",
        false);
  }

  public static List<Replica> of(List<ReplicaConfig> configured) {
    return configured.stream().map(TestReplicas::of).toList();
  }

  public static ReplicaSet set(List<ReplicaConfig> configured) {
    return ReplicaSet.of(of(configured));
  }
}

package io.modelgate.extproc;

import io.modelgate.config.ReplicaConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Which replica an upstream address ({@code ip:port}, as Envoy reports it) belongs to: the
 * replica hosts resolved the way modelgate puts them into EDS, on its gRPC and REST ports. An
 * unknown address refreshes the index (at most once per {@link #REFRESH}), so a replica whose
 * name now resolves elsewhere is found again. Thread-safe.
 */
final class ReplicaIndex {
  static final Duration REFRESH = Duration.ofSeconds(1);

  private final List<ReplicaConfig> replicas;
  private final LongSupplier nanos;
  private volatile Map<String, String> byAddress = Map.of();
  private volatile long refreshedAt;
  private volatile boolean everRefreshed;

  ReplicaIndex(List<ReplicaConfig> replicas, LongSupplier nanos) {
    this.replicas = List.copyOf(replicas);
    this.nanos = nanos;
  }

  ReplicaIndex(List<ReplicaConfig> replicas) {
    this(replicas, System::nanoTime);
  }

  Optional<String> replicaAt(String address) {
    String id = byAddress.get(address);
    if (id == null && dueForRefresh()) {
      refresh();
      id = byAddress.get(address);
    }
    return Optional.ofNullable(id);
  }

  private boolean dueForRefresh() {
    return !everRefreshed || nanos.getAsLong() - refreshedAt >= REFRESH.toNanos();
  }

  private synchronized void refresh() {
    if (everRefreshed && nanos.getAsLong() - refreshedAt < REFRESH.toNanos()) {
      return; // another thread just did
    }
    Map<String, String> index = new HashMap<>();
    for (ReplicaConfig replica : replicas) {
      try {
        String ip = InetAddress.getByName(replica.host()).getHostAddress();
        index.put(ip + ":" + replica.grpcPort(), replica.id());
        index.put(ip + ":" + replica.restPort(), replica.id());
      } catch (UnknownHostException e) {
        // Not in EDS either, so Envoy never reports it.
      }
    }
    byAddress = Map.copyOf(index);
    refreshedAt = nanos.getAsLong();
    everRefreshed = true;
  }
}

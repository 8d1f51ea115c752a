package io.modelgate.probing;

import io.modelgate.sources.Replica;
import java.net.http.HttpClient;
import java.time.Duration;

/**
 * Opens the {@link ModelStatusProbe} matching each replica's protocol: a gRPC channel per gRPC
 * replica, and one shared HTTP client for all REST replicas. Thread-safe. The HTTP client needs
 * no closing: its threads end once it is unreachable (Java 17's client has no close).
 */
public final class ModelStatusProbes {
  private final Duration timeout;
  private final HttpClient http;

  public ModelStatusProbes(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            // TF Serving's REST port speaks HTTP/1.1; asking for h2c would only add an upgrade.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .build();
  }

  /** A new probe for {@code replica}; the caller closes it. */
  public ModelStatusProbe open(Replica replica) {
    return switch (replica.protocol()) {
      case GRPC -> new GrpcModelStatusProbe(replica, timeout);
      case REST -> new RestModelStatusProbe(replica, http, timeout);
    };
  }
}

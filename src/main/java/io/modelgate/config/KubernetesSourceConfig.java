package io.modelgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The EndpointSlices of one Kubernetes Service, watched: every endpoint is a replica whatever its
 * Kubernetes readiness, since modelgate's own probe decides. {@code kubeconfig} empty: the
 * in-cluster service account, else {@code KUBECONFIG}.
 */
public record KubernetesSourceConfig(
    String namespace,
    String service,
    PortRef grpcPort,
    PortRef restPort,
    Protocol protocol,
    Duration resync,
    Optional<Path> kubeconfig,
    Duration drain)
    implements SourceConfig {
  public KubernetesSourceConfig {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(grpcPort, "grpcPort");
    Objects.requireNonNull(restPort, "restPort");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(resync, "resync");
    Objects.requireNonNull(kubeconfig, "kubeconfig");
    Objects.requireNonNull(drain, "drain");
  }

  /** A Service port by its name ({@code grpc}) or its number: exactly one of the two is set. */
  public record PortRef(Optional<String> name, int number) {
    public static PortRef named(String name) {
      return new PortRef(Optional.of(name), 0);
    }

    public static PortRef numbered(int number) {
      return new PortRef(Optional.empty(), number);
    }

    @Override
    public String toString() {
      return name.orElse(Integer.toString(number));
    }
  }
}

package io.modelgate.sources;

import io.modelgate.config.Protocol;
import java.util.Objects;

/**
 * One TF Serving replica as a source knows it now: a stable id (logs, health views, Envoy
 * endpoint hostnames), the host it was found as, the IP address it resolved to ("" while a
 * configured name does not resolve), both ports, how it is probed, its zone ("" when unknown; the
 * Envoy locality) and whether it is on its way out (a terminating pod, or a replica that left
 * its source and is drained before it is removed). Immutable.
 *
 * <p>A replica is the same replica only while id and address stay the same: a new address is a
 * new replica, probed from scratch.
 */
public record Replica(
    String id,
    String host,
    String address,
    int grpcPort,
    int restPort,
    Protocol protocol,
    String zone,
    boolean terminating) {
  public Replica {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(zone, "zone");
  }

  /** False while a configured host name does not resolve: such a replica has no endpoint. */
  public boolean resolved() {
    return !address.isEmpty();
  }

  /** Where to connect: the resolved address, else the configured name (which then fails). */
  public String connectHost() {
    return resolved() ? address : host;
  }

  /** The port the prober talks to. */
  public int probePort() {
    return protocol == Protocol.GRPC ? grpcPort : restPort;
  }

  /** Whether {@code other} is this replica, reached the same way (so its probe state carries over). */
  public boolean sameEndpoint(Replica other) {
    return id.equals(other.id)
        && address.equals(other.address)
        && grpcPort == other.grpcPort
        && restPort == other.restPort
        && protocol == other.protocol;
  }

  public Replica withTerminating(boolean terminating) {
    return new Replica(id, host, address, grpcPort, restPort, protocol, zone, terminating);
  }
}

package io.modelgate.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A DNS name (such as a headless Service) whose A and AAAA records are the replicas, resolved by
 * modelgate every {@code refresh} against {@code servers} (empty: the system's resolvers), never
 * through the JVM's cache.
 */
public record DnsSourceConfig(
    String name,
    int grpcPort,
    int restPort,
    Protocol protocol,
    Duration refresh,
    List<InetSocketAddress> servers,
    Duration drain)
    implements SourceConfig {
  public DnsSourceConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(refresh, "refresh");
    servers = List.copyOf(servers);
    Objects.requireNonNull(drain, "drain");
  }
}

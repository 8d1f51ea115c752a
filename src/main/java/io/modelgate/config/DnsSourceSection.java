package io.modelgate.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one {@code sources[i].dns} map: {@code name} is required, every other key has a default.
 * DNS servers are IP addresses only, since a server named by a DNS name would need DNS to be
 * found. Stateless.
 */
final class DnsSourceSection {
  private static final List<String> KEYS =
      List.of("name", "grpcPort", "restPort", "protocol", "refreshMs", "servers", "drainMs");
  static final long DEFAULT_REFRESH_MS = 5_000;
  static final long DEFAULT_DRAIN_MS = 10_000;
  private static final int DNS_PORT = 53;
  private static final String SERVER =
      "an IP address, optionally with :port (an IPv6 address with a port in brackets: [fd00::a]:53)";

  private DnsSourceSection() {}

  static DnsSourceConfig read(ConfigNode node) {
    String name = null;
    int grpcPort = ReplicaSection.DEFAULT_GRPC_PORT;
    int restPort = ReplicaSection.DEFAULT_REST_PORT;
    Protocol protocol = Protocol.GRPC;
    long refreshMs = DEFAULT_REFRESH_MS;
    List<InetSocketAddress> servers = List.of();
    long drainMs = DEFAULT_DRAIN_MS;
    for (Map.Entry<String, ConfigNode> entry : node.entries()) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "name" -> name = name(value);
        case "grpcPort" -> grpcPort = ReplicaSection.port(value);
        case "restPort" -> restPort = ReplicaSection.port(value);
        case "protocol" -> protocol = ReplicaSection.protocol(value);
        case "refreshMs" -> refreshMs = ProbeSection.positiveMillis(value);
        case "servers" -> servers = servers(value);
        case "drainMs" -> drainMs = ProbeSection.positiveMillis(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (name == null) {
      throw node.child("name").error("must be set");
    }
    return new DnsSourceConfig(
        name,
        grpcPort,
        restPort,
        protocol,
        Duration.ofMillis(refreshMs),
        servers,
        Duration.ofMillis(drainMs));
  }

  private static String name(ConfigNode value) {
    String name = value.string();
    if (Hosts.ipLiteral(name).isPresent()) {
      throw value.error(
          "expected a DNS name, got the IP address " + ConfigNode.quote(name)
              + " (list a fixed address under replicas)");
    }
    Hosts.check(name).ifPresent(problem -> {
      throw value.error(problem);
    });
    return name;
  }

  private static List<InetSocketAddress> servers(ConfigNode node) {
    List<InetSocketAddress> servers = new ArrayList<>();
    for (ConfigNode element : node.elements()) {
      servers.add(server(element));
    }
    return servers;
  }

  private static InetSocketAddress server(ConfigNode value) {
    String text = value.string(SERVER);
    Optional<InetAddress> address = Hosts.ipLiteral(text);
    if (address.isPresent()) {
      return new InetSocketAddress(address.get(), DNS_PORT);
    }
    Optional<HostPort> hostPort = HostPort.parse(text, /* minPort= */ 1);
    return hostPort
        .flatMap(hp -> Hosts.ipLiteral(hp.host()).map(ip -> new InetSocketAddress(ip, hp.port())))
        .orElseThrow(() -> value.error("expected " + SERVER + ", got " + value.describe()));
  }
}

package io.modelgate.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads the {@code replicas} list of a configuration file. Stateless. */
final class ReplicaSection {
  static final int DEFAULT_GRPC_PORT = 8500;
  static final int DEFAULT_REST_PORT = 8501;
  private static final List<String> KEYS =
      List.of("id", "host", "grpcPort", "restPort", "protocol");
  private static final String PORT = "an integer from 1 to 65535";
  private static final String PROTOCOL = "one of: grpc, rest";

  private ReplicaSection() {}

  static List<ReplicaConfig> read(ConfigNode node) {
    List<ConfigNode> elements = node.elements();
    if (elements.isEmpty()) {
      throw node.error("must list at least one replica");
    }
    Map<String, String> firstUse = new HashMap<>();
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (ConfigNode element : elements) {
      replicas.add(readReplica(element, firstUse));
    }
    return replicas;
  }

  /**
   * @param firstUse ids seen so far, each with the path of the replica that used it first
   */
  private static ReplicaConfig readReplica(ConfigNode node, Map<String, String> firstUse) {
    String id = null;
    String host = null;
    int grpcPort = DEFAULT_GRPC_PORT;
    int restPort = DEFAULT_REST_PORT;
    Protocol protocol = Protocol.GRPC;
    for (Map.Entry<String, ConfigNode> entry : node.entries()) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "id" -> id = id(value, node.path(), firstUse);
        case "host" -> host = host(value);
        case "grpcPort" -> grpcPort = port(value);
        case "restPort" -> restPort = port(value);
        case "protocol" -> protocol = protocol(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (id == null) {
      throw node.child("id").error("must be set");
    }
    if (host == null) {
      throw node.child("host").error("must be set");
    }
    return new ReplicaConfig(id, host, grpcPort, restPort, protocol);
  }

  private static String id(ConfigNode value, String replicaPath, Map<String, String> firstUse) {
    String id = value.string();
    if (!Names.isValid(id)) {
      throw value.error(Names.invalid(id));
    }
    String first = firstUse.putIfAbsent(id, replicaPath);
    if (first != null) {
      throw value.error("duplicate replica id '" + id + "' (first used by " + first + ")");
    }
    return id;
  }

  private static String host(ConfigNode value) {
    String host = value.string();
    HostPort.checkHost(host).ifPresent(problem -> {
      throw value.error(problem);
    });
    return host;
  }

  private static int port(ConfigNode value) {
    long port = value.integer(PORT);
    if (port < 1 || port > 65535) {
      throw value.error("expected " + PORT + ", got " + value.describe());
    }
    return (int) port;
  }

  static Protocol protocol(ConfigNode value) {
    return switch (value.string(PROTOCOL)) {
      case "grpc" -> Protocol.GRPC;
      case "rest" -> Protocol.REST;
      default -> throw value.error("expected " + PROTOCOL + ", got " + value.describe());
    };
  }
}

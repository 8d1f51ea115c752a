package io.modelgate.config;

import io.modelgate.config.KubernetesSourceConfig.PortRef;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads one {@code sources[i].kubernetes} map:
 *
 * <pre>{@code
 * - kubernetes:
 *     namespace: ml              # required; the Service's namespace
 *     service: tfserving         # required; its EndpointSlices are the replicas
 *     grpcPort: grpc             # Service port name or number, default 8500
 *     restPort: 8501             # Service port name or number, default 8501
 *     protocol: grpc             # grpc | rest (how replicas are probed), default grpc
 *     resyncMs: 300000           # full resync of the watch, default 300000 (5 minutes)
 *     kubeconfig: kube/config    # optional; relative to this file's directory
 *     drainMs: 10000             # DRAINING in EDS this long after leaving, default 10000
 * }</pre>
 *
 * <p>Names are checked as the API server checks them, so a typo fails here rather than as a
 * Service that never has endpoints. The kubeconfig file is read when the source starts, not here.
 * Stateless.
 */
final class KubernetesSourceSection {
  static final Duration DEFAULT_RESYNC = Duration.ofMinutes(5);
  static final Duration DEFAULT_DRAIN = Duration.ofSeconds(10);
  private static final List<String> KEYS =
      List.of(
          "namespace", "service", "grpcPort", "restPort", "protocol", "resyncMs", "kubeconfig", "drainMs");
  private static final int MAX_NAME_LENGTH = 63;
  /** Kubernetes port names are IANA service names: at most 15 characters. */
  private static final int MAX_PORT_NAME_LENGTH = 15;
  /** RFC 1123 label: namespaces. */
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  /** An RFC 1123 label with a letter, so that a quoted number is not taken for a port name. */
  private static final Pattern PORT_NAME = Pattern.compile("(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  /** RFC 1035 label: Service names (they start with a letter). */
  private static final Pattern SERVICE = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  private static final String PORT =
      "a port number from 1 to 65535 or a Service port name (at most 15 lower-case letters, digits, '-')";
  private static final String NAMESPACE_NAME = "a namespace name (lower-case letters, digits and '-')";
  private static final String SERVICE_NAME =
      "a Service name (lower-case letters, digits and '-', starting with a letter)";

  private KubernetesSourceSection() {}

  static KubernetesSourceConfig read(ConfigNode node) {
    String namespace = null;
    String service = null;
    PortRef grpcPort = PortRef.numbered(ReplicaSection.DEFAULT_GRPC_PORT);
    PortRef restPort = PortRef.numbered(ReplicaSection.DEFAULT_REST_PORT);
    Protocol protocol = Protocol.GRPC;
    Duration resync = DEFAULT_RESYNC;
    Optional<Path> kubeconfig = Optional.empty();
    Duration drain = DEFAULT_DRAIN;
    for (Map.Entry<String, ConfigNode> entry : node.entries()) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "namespace" -> namespace = name(value, LABEL, NAMESPACE_NAME);
        case "service" -> service = name(value, SERVICE, SERVICE_NAME);
        case "grpcPort" -> grpcPort = port(value);
        case "restPort" -> restPort = port(value);
        case "protocol" -> protocol = ReplicaSection.protocol(value);
        case "resyncMs" -> resync = Duration.ofMillis(ProbeSection.positiveMillis(value));
        case "kubeconfig" -> kubeconfig = Optional.of(kubeconfig(value));
        case "drainMs" -> drain = Duration.ofMillis(ProbeSection.positiveMillis(value));
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (namespace == null) {
      throw node.child("namespace").error("must be set");
    }
    if (service == null) {
      throw node.child("service").error("must be set");
    }
    return new KubernetesSourceConfig(namespace, service, grpcPort, restPort, protocol, resync, kubeconfig, drain);
  }

  private static String name(ConfigNode value, Pattern pattern, String expected) {
    String name = value.string();
    if (name.length() > MAX_NAME_LENGTH || !pattern.matcher(name).matches()) {
      throw value.error(
          "expected " + expected + " of at most " + MAX_NAME_LENGTH + " characters, got " + value.describe());
    }
    return name;
  }

  private static PortRef port(ConfigNode value) {
    if (value.isTextual()) {
      String name = value.string();
      if (name.length() > MAX_PORT_NAME_LENGTH || !PORT_NAME.matcher(name).matches()) {
        throw value.error("expected " + PORT + ", got " + value.describe());
      }
      return PortRef.named(name);
    }
    long number = value.integer(PORT);
    if (number < 1 || number > 65535) {
      throw value.error("expected " + PORT + ", got " + value.describe());
    }
    return PortRef.numbered((int) number);
  }

  private static Path kubeconfig(ConfigNode value) {
    String written = value.string("a file path");
    try {
      if (!written.isEmpty()) {
        return value.relativeToFile(Path.of(written));
      }
    } catch (InvalidPathException e) {
      // Reported below, as an empty path is.
    }
    throw value.error("expected a file path, got " + value.describe());
  }
}

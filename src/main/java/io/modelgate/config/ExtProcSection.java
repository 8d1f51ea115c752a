package io.modelgate.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the optional {@code extproc} map of a configuration file; omitted keys keep their values
 * from {@link ExtProcConfig#defaults()}. Stateless.
 */
final class ExtProcSection {
  private static final List<String> KEYS =
      List.of(
          "enabled",
          "listen",
          "envoyAddress",
          "failureModeAllow",
          "messageTimeoutMs",
          "maxInspectedBytes",
          "maxRequestBytes",
          "passive",
          "holdMs",
          "maxHeld");
  private static final long MAX_MESSAGE_TIMEOUT_MS = 60_000;
  private static final long MIN_INSPECTED_BYTES = 64;
  private static final long MAX_INSPECTED_BYTES = 16L * 1024 * 1024;
  private static final long MIN_REQUEST_BYTES = 64L * 1024;
  private static final long MAX_REQUEST_BYTES = 1024L * 1024 * 1024;
  /** Envoy's route timeout defaults to 15 s; a longer hold would outlast most clients' patience. */
  private static final long MAX_HOLD_MS = 60_000;
  private static final long MAX_HELD = 100_000;

  private ExtProcSection() {}

  static ExtProcConfig read(ConfigNode node) {
    ExtProcConfig d = ExtProcConfig.defaults();
    boolean enabled = d.enabled();
    InetSocketAddress listen = d.listen();
    Optional<InetSocketAddress> envoyAddress = d.envoyAddress();
    boolean failureModeAllow = d.failureModeAllow();
    long messageTimeoutMs = d.messageTimeout().toMillis();
    long maxRequestBytes = d.maxRequestBytes();
    boolean passive = d.passive();
    long holdMs = d.hold().toMillis();
    long maxHeld = d.maxHeld();
    ConfigNode listenNode = null;
    List<Map.Entry<String, ConfigNode>> entries = node.isNull() ? List.of() : node.entries();
    for (Map.Entry<String, ConfigNode> entry : entries) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "enabled" -> enabled = value.bool();
        case "listen" -> {
          listen = ListenSection.address(value);
          listenNode = value;
        }
        case "envoyAddress" -> envoyAddress = Optional.of(envoyAddress(value));
        case "failureModeAllow" -> failureModeAllow = value.bool();
        case "messageTimeoutMs" -> messageTimeoutMs = range(value, 1, MAX_MESSAGE_TIMEOUT_MS);
        // Obsolete: the whole gRPC message is read. Still checked, so old files load as before.
        case "maxInspectedBytes" -> range(value, MIN_INSPECTED_BYTES, MAX_INSPECTED_BYTES);
        case "maxRequestBytes" -> maxRequestBytes = range(value, MIN_REQUEST_BYTES, MAX_REQUEST_BYTES);
        case "passive" -> passive = value.bool();
        case "holdMs" -> holdMs = range(value, 0, MAX_HOLD_MS);
        case "maxHeld" -> maxHeld = range(value, 1, MAX_HELD);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (enabled && envoyAddress.isEmpty() && listen.getAddress().isAnyLocalAddress()) {
      throw (listenNode != null ? listenNode : node)
          .error(
              "is a wildcard address, so extproc.envoyAddress must say how Envoy reaches modelgate"
                  + " (e.g. modelgate:18001)");
    }
    return new ExtProcConfig(
        enabled,
        listen,
        envoyAddress,
        failureModeAllow,
        Duration.ofMillis(messageTimeoutMs),
        (int) maxRequestBytes,
        passive,
        Duration.ofMillis(holdMs),
        (int) maxHeld);
  }

  /** {@code host:port} as Envoy will resolve it: not resolved here, where the name may not exist. */
  private static InetSocketAddress envoyAddress(ConfigNode value) {
    String text = value.string(HostPort.describe(/* minPort= */ 1));
    HostPort hostPort = HostPort.read(text, /* minPort= */ 1, value::error);
    return InetSocketAddress.createUnresolved(hostPort.host(), hostPort.port());
  }

  private static long range(ConfigNode value, long min, long max) {
    long n = value.integer("an integer");
    if (n < min || n > max) {
      throw value.error("must be from " + min + " to " + max + ", got " + value.describe());
    }
    return n;
  }
}

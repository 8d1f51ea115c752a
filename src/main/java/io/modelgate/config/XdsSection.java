package io.modelgate.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads the optional {@code xds} map of a configuration file; omitted keys keep their values
 * from {@link XdsConfig#defaults()}. Stateless.
 */
final class XdsSection {
  private static final List<String> KEYS =
      List.of(
          "listen",
          "envoyListener",
          "connectTimeoutMs",
          "perTryTimeoutMs",
          "retries",
          "retryBudgetPercent",
          "minRetryConcurrency",
          "hedgeOnPerTryTimeout",
          "nodeGroup");
  private static final int MAX_RETRIES = 10;
  private static final long MAX_CONNECT_TIMEOUT_MS = 60_000;
  private static final long MAX_PER_TRY_TIMEOUT_MS = 600_000;

  private XdsSection() {}

  static XdsConfig read(ConfigNode node) {
    XdsConfig defaults = XdsConfig.defaults();
    InetSocketAddress listen = defaults.listen();
    InetSocketAddress envoyListener = defaults.envoyListener();
    long connectTimeoutMs = defaults.connectTimeout().toMillis();
    long perTryTimeoutMs = defaults.perTryTimeout().toMillis();
    int retries = defaults.retries();
    double retryBudgetPercent = defaults.retryBudget().percent();
    int minRetryConcurrency = defaults.retryBudget().minConcurrency();
    boolean hedgeOnPerTryTimeout = defaults.hedgeOnPerTryTimeout();
    XdsConfig.NodeGroup nodeGroup = defaults.nodeGroup();
    List<Map.Entry<String, ConfigNode>> entries = node.isNull() ? List.of() : node.entries();
    for (Map.Entry<String, ConfigNode> entry : entries) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "listen" -> listen = ListenSection.address(value);
        case "envoyListener" -> envoyListener = ListenSection.ipAddress(value);
        case "connectTimeoutMs" -> connectTimeoutMs = millis(value, MAX_CONNECT_TIMEOUT_MS);
        case "perTryTimeoutMs" -> perTryTimeoutMs = millis(value, MAX_PER_TRY_TIMEOUT_MS);
        case "retries" -> retries = retries(value);
        case "retryBudgetPercent" -> retryBudgetPercent = percent(value);
        case "minRetryConcurrency" -> minRetryConcurrency = minRetryConcurrency(value);
        case "hedgeOnPerTryTimeout" -> hedgeOnPerTryTimeout = value.bool();
        case "nodeGroup" -> nodeGroup = nodeGroup(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    return new XdsConfig(
        listen,
        envoyListener,
        Duration.ofMillis(connectTimeoutMs),
        Duration.ofMillis(perTryTimeoutMs),
        retries,
        new XdsConfig.RetryBudget(retryBudgetPercent, minRetryConcurrency),
        hedgeOnPerTryTimeout,
        nodeGroup);
  }

  private static long millis(ConfigNode value, long max) {
    long millis = value.integer("an integer (milliseconds)");
    if (millis <= 0 || millis > max) {
      throw value.error("must be from 1 to " + max + ", got " + value.describe());
    }
    return millis;
  }

  private static XdsConfig.NodeGroup nodeGroup(ConfigNode value) {
    String expected = "all or cluster";
    return switch (value.string(expected)) {
      case "all" -> XdsConfig.NodeGroup.ALL;
      case "cluster" -> XdsConfig.NodeGroup.CLUSTER;
      default -> throw value.error("expected " + expected + ", got " + value.describe());
    };
  }

  private static int retries(ConfigNode value) {
    long retries = value.integer("an integer");
    if (retries < 0 || retries > MAX_RETRIES) {
      throw value.error("must be from 0 to " + MAX_RETRIES + ", got " + value.describe());
    }
    return (int) retries;
  }

  private static double percent(ConfigNode value) {
    double percent = value.number();
    if (!(percent > 0 && percent <= 100)) {
      throw value.error("must be > 0 and <= 100, got " + value.describe());
    }
    return percent;
  }

  private static int minRetryConcurrency(ConfigNode value) {
    long concurrency = value.integer("an integer");
    int max = XdsConfig.RetryBudget.MAX_MIN_CONCURRENCY;
    if (concurrency < 1 || concurrency > max) {
      throw value.error(
          "must be from 1 to " + max + " (Envoy's request limit per cluster), got " + value.describe());
    }
    return (int) concurrency;
  }
}

package io.modelgate.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the optional {@code probe} map of a configuration file; every key is optional and an
 * omitted key keeps its value from {@link ProbeConfig#defaults()}. Stateless.
 */
final class ProbeSection {
  private static final List<String> KEYS =
      List.of(
          "intervalMs",
          "timeoutMs",
          "healthyThreshold",
          "unhealthyThreshold",
          "stalenessMs",
          "maxConcurrency",
          "jitter",
          "startupTimeoutMs",
          "urgentIntervalMs");
  private static final double MAX_JITTER = 0.5;
  /**
   * One day: longer is surely a typo, and the bound keeps sums and nanosecond conversions of these
   * durations far from overflow.
   */
  private static final long MAX_MILLIS = 86_400_000;

  private ProbeSection() {}

  /** The probe settings of {@code node}; an empty {@code probe:} means all defaults. */
  static ProbeConfig read(ConfigNode node) {
    ProbeConfig defaults = ProbeConfig.defaults();
    long intervalMs = defaults.interval().toMillis();
    long timeoutMs = defaults.timeout().toMillis();
    int healthyThreshold = defaults.healthyThreshold();
    int unhealthyThreshold = defaults.unhealthyThreshold();
    long stalenessMs = defaults.staleness().toMillis();
    int maxConcurrency = defaults.maxConcurrency();
    double jitter = defaults.jitter();
    long startupTimeoutMs = defaults.startupTimeout().toMillis();
    long urgentIntervalMs = defaults.urgentInterval().toMillis();
    Set<String> given = new HashSet<>();
    List<Map.Entry<String, ConfigNode>> entries = node.isNull() ? List.of() : node.entries();
    for (Map.Entry<String, ConfigNode> entry : entries) {
      ConfigNode value = entry.getValue();
      given.add(entry.getKey());
      switch (entry.getKey()) {
        case "intervalMs" -> intervalMs = positiveMillis(value);
        case "timeoutMs" -> timeoutMs = positiveMillis(value);
        case "healthyThreshold" -> healthyThreshold = atLeastOne(value);
        case "unhealthyThreshold" -> unhealthyThreshold = atLeastOne(value);
        case "stalenessMs" -> stalenessMs = positiveMillis(value);
        case "maxConcurrency" -> maxConcurrency = atLeastOne(value);
        case "jitter" -> jitter = jitter(value);
        case "startupTimeoutMs" -> startupTimeoutMs = positiveMillis(value);
        case "urgentIntervalMs" -> urgentIntervalMs = positiveMillis(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (timeoutMs > intervalMs) {
      throw node.child("timeoutMs")
          .error(
              "must be <= intervalMs ("
                  + intervalMs
                  + "), got "
                  + timeoutMs
                  + defaulted("timeoutMs", given));
    }
    if (stalenessMs < intervalMs + timeoutMs) {
      throw node.child("stalenessMs").error(
          "must be >= intervalMs + timeoutMs ("
              + (intervalMs + timeoutMs)
              + ") so that answers do not expire between probes, got "
              + stalenessMs
              + defaulted("stalenessMs", given));
    }
    if (!given.contains("urgentIntervalMs")) {
      // Probing faster than the interval is the point; a short interval is urgent enough.
      urgentIntervalMs = Math.min(urgentIntervalMs, intervalMs);
    } else if (urgentIntervalMs > intervalMs) {
      throw node.child("urgentIntervalMs")
          .error("must be <= intervalMs (" + intervalMs + "), got " + urgentIntervalMs);
    }
    return new ProbeConfig(
        Duration.ofMillis(intervalMs),
        Duration.ofMillis(timeoutMs),
        healthyThreshold,
        unhealthyThreshold,
        Duration.ofMillis(stalenessMs),
        maxConcurrency,
        jitter,
        Duration.ofMillis(startupTimeoutMs),
        Duration.ofMillis(urgentIntervalMs));
  }

  /** Says when a value in an error message is a default, since the operator did not write it. */
  private static String defaulted(String key, Set<String> given) {
    return given.contains(key) ? "" : " (the default)";
  }

  /** A {@code ...Ms} value: from 1 ms to one day, as every duration of the file. */
  static long positiveMillis(ConfigNode value) {
    long millis = value.integer("an integer (milliseconds)");
    if (millis <= 0) {
      throw value.error("must be > 0, got " + value.describe());
    }
    if (millis > MAX_MILLIS) {
      throw value.error("must be <= " + MAX_MILLIS + " (one day), got " + value.describe());
    }
    return millis;
  }

  private static int atLeastOne(ConfigNode value) {
    long count = value.integer("an integer");
    if (count < 1) {
      throw value.error("must be >= 1, got " + value.describe());
    }
    if (count > Integer.MAX_VALUE) {
      throw value.error("must be <= " + Integer.MAX_VALUE + ", got " + value.describe());
    }
    return (int) count;
  }

  private static double jitter(ConfigNode value) {
    double jitter = value.number();
    if (jitter < 0 || jitter > MAX_JITTER) {
      throw value.error("must be from 0 to " + MAX_JITTER + ", got " + value.describe());
    }
    return jitter;
  }
}

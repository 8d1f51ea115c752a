package io.modelgate.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The xDS side of the control plane: where modelgate serves ADS, and what the Envoy
 * configuration it generates looks like.
 *
 * @param listen address of modelgate's ADS server (port 0 picks a free port)
 * @param envoyListener address of the inference listener Envoy opens for clients
 * @param connectTimeout upstream connect timeout of every generated cluster
 * @param perTryTimeout longest wait for one try of an inference call before Envoy retries it on
 *     another replica: shorter than client deadlines, so a replica that hangs between two probes
 *     costs a retry rather than a failed request
 * @param retries retries of an idempotent inference call on another replica
 * @param nodeGroup how Envoy nodes share snapshots
 */
public record XdsConfig(
    InetSocketAddress listen,
    InetSocketAddress envoyListener,
    Duration connectTimeout,
    Duration perTryTimeout,
    int retries,
    NodeGroup nodeGroup) {
  /** The per-try timeout unless configured; the demo lost 49 requests in its hang step at 5 s. */
  public static final Duration DEFAULT_PER_TRY_TIMEOUT = Duration.ofMillis(500);

  public XdsConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(envoyListener, "envoyListener");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(perTryTimeout, "perTryTimeout");
    Objects.requireNonNull(nodeGroup, "nodeGroup");
  }

  /** Settings with the default per-try timeout and every Envoy in one node group. */
  public XdsConfig(
      InetSocketAddress listen, InetSocketAddress envoyListener, Duration connectTimeout, int retries) {
    this(listen, envoyListener, connectTimeout, DEFAULT_PER_TRY_TIMEOUT, retries, NodeGroup.ALL);
  }

  public static XdsConfig defaults() {
    return new XdsConfig(
        new InetSocketAddress("127.0.0.1", 18000),
        new InetSocketAddress("127.0.0.1", 10000),
        Duration.ofSeconds(1),
        2);
  }

  /** Which Envoy nodes share one snapshot in the cache. */
  public enum NodeGroup {
    /** Every Envoy: one snapshot for the fleet. */
    ALL,
    /** One snapshot per Envoy {@code node.cluster}, so each fleet is tracked on its own. */
    CLUSTER
  }
}

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
 * @param retryBudget how many retries each model cluster lets run at once
 * @param hedgeOnPerTryTimeout whether a try that passes the per-try timeout is left running
 *     beside its retry (the first good answer wins) instead of being cancelled
 * @param nodeGroup how Envoy nodes share snapshots
 */
public record XdsConfig(
    InetSocketAddress listen,
    InetSocketAddress envoyListener,
    Duration connectTimeout,
    Duration perTryTimeout,
    int retries,
    RetryBudget retryBudget,
    boolean hedgeOnPerTryTimeout,
    NodeGroup nodeGroup) {
  /** The per-try timeout unless configured; the demo lost 49 requests in its hang step at 5 s. */
  public static final Duration DEFAULT_PER_TRY_TIMEOUT = Duration.ofMillis(500);

  public XdsConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(envoyListener, "envoyListener");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(perTryTimeout, "perTryTimeout");
    Objects.requireNonNull(retryBudget, "retryBudget");
    Objects.requireNonNull(nodeGroup, "nodeGroup");
  }

  /**
   * Settings with the default per-try timeout, retry budget and no hedging, every Envoy in one
   * node group.
   */
  public XdsConfig(
      InetSocketAddress listen, InetSocketAddress envoyListener, Duration connectTimeout, int retries) {
    this(
        listen,
        envoyListener,
        connectTimeout,
        DEFAULT_PER_TRY_TIMEOUT,
        retries,
        RetryBudget.DEFAULT,
        /* hedgeOnPerTryTimeout= */ false,
        NodeGroup.ALL);
  }

  public static XdsConfig defaults() {
    return new XdsConfig(
        new InetSocketAddress("127.0.0.1", 18000),
        new InetSocketAddress("127.0.0.1", 10000),
        Duration.ofSeconds(1),
        2);
  }

  /** These settings with another retry budget. */
  public XdsConfig withRetryBudget(RetryBudget budget) {
    return new XdsConfig(
        listen, envoyListener, connectTimeout, perTryTimeout, retries, budget, hedgeOnPerTryTimeout, nodeGroup);
  }

  /** These settings with hedging on per-try timeout turned on or off. */
  public XdsConfig withHedgeOnPerTryTimeout(boolean hedge) {
    return new XdsConfig(
        listen, envoyListener, connectTimeout, perTryTimeout, retries, retryBudget, hedge, nodeGroup);
  }

  /**
   * Envoy's retry budget on a model cluster: at most {@code max(percent% of the requests active
   * on the cluster, minConcurrency)} retries at once; a retry beyond that is dropped and its request
   * fails ({@code upstream_rq_retry_overflow}). A retry holds its place from the moment it is
   * decided (backoff included) until its request ends.
   *
   * @param percent share of active requests that may be retrying at once, from 0 (exclusive) to 100
   * @param minConcurrency retries always allowed at once, however few requests are active: covers
   *     the burst when a replica dies and every call it held is retried at the same moment
   */
  public record RetryBudget(double percent, int minConcurrency) {
    /** Retries above the cluster's request limit (Envoy's max_requests, 1024) could not be sent. */
    public static final int MAX_MIN_CONCURRENCY = 1024;

    /**
     * While a replica hangs, retries run at about 5% of the active requests (each waits out a
     * backoff of up to 25 ms and one quick try, against the per-try timeout of the hung calls):
     * Envoy's own 20% leaves four times that. When it dies, every call it held is retried at once:
     * requests per second x per-try timeout / replicas, about 40 per cluster at 300 req/s over two
     * replicas (measured: 40 still dropped some, 60 none); 256 covers 300 req/s on one cluster
     * with margin.
     */
    public static final RetryBudget DEFAULT = new RetryBudget(20, 256);

    public RetryBudget {
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException("percent must be in (0, 100], got " + percent);
      }
      if (minConcurrency < 1 || minConcurrency > MAX_MIN_CONCURRENCY) {
        throw new IllegalArgumentException(
            "minConcurrency must be from 1 to " + MAX_MIN_CONCURRENCY + ", got " + minConcurrency);
      }
    }
  }

  /** Which Envoy nodes share one snapshot in the cache. */
  public enum NodeGroup {
    /** Every Envoy: one snapshot for the fleet. */
    ALL,
    /** One snapshot per Envoy {@code node.cluster}, so each fleet is tracked on its own. */
    CLUSTER
  }
}

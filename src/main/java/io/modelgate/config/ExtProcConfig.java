package io.modelgate.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The gateway filter: modelgate's Envoy ext_proc service and how the generated listener uses it.
 *
 * @param enabled serve the service and put the filter in the generated listener
 * @param listen where modelgate serves {@code envoy.service.ext_proc.v3.ExternalProcessor} (port
 *     0 picks a free port)
 * @param envoyAddress how Envoy reaches that service, unresolved ({@code modelgate:18001} in
 *     Compose); empty means the listen address with the bound port
 * @param failureModeAllow when the service cannot be reached, Envoy routes as if the filter were
 *     absent (requests that carry {@code x-model-name} still route) instead of failing them
 * @param messageTimeout how long Envoy waits for one answer of the service
 * @param maxRequestBytes the largest gRPC request Envoy buffers for the filter (the listener's
 *     buffer limit; larger ones are refused with 413 / RESOURCE_EXHAUSTED), and the largest a
 *     compressed request message may inflate to
 * @param passive Envoy's tries to a replica the view calls READY bring its probe forward: one
 *     answered "Servable not found" re-probes it at once; one that ended without an answer counts
 *     as its first failed probe and re-probes it
 * @param hold how long a request for a model with no READY replica, but one that may become READY
 *     soon (loading, not yet probed, or unreachable only since recently), waits for one before it
 *     is answered UNAVAILABLE; zero fails such requests at once
 * @param maxHeld requests held at once, over all models; one more is answered at once
 */
public record ExtProcConfig(
    boolean enabled,
    InetSocketAddress listen,
    Optional<InetSocketAddress> envoyAddress,
    boolean failureModeAllow,
    Duration messageTimeout,
    int maxRequestBytes,
    boolean passive,
    Duration hold,
    int maxHeld) {
  public static final int DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

  public ExtProcConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(envoyAddress, "envoyAddress");
    Objects.requireNonNull(messageTimeout, "messageTimeout");
    Objects.requireNonNull(hold, "hold");
    if (hold.isNegative() || maxHeld < 1) {
      throw new IllegalArgumentException("hold must not be negative and maxHeld must be positive");
    }
  }

  /**
   * As when the file has no {@code extproc}: on, on 127.0.0.1:18001, fail-open, 500 ms message
   * timeout (Envoy's 200 ms default was exceeded by a cold JVM on a busy 2-core host; a filter
   * that is down fails at once, so the longer wait costs only when modelgate is slow), passive
   * detection on, requests held up to 5 s (a model load that a replica finishes within that is
   * waited for, not failed), at most 1,000 at once.
   */
  public static ExtProcConfig defaults() {
    return new ExtProcConfig(
        true,
        new InetSocketAddress("127.0.0.1", 18001),
        Optional.empty(),
        true,
        Duration.ofMillis(500),
        DEFAULT_MAX_REQUEST_BYTES,
        true,
        Duration.ofSeconds(5),
        1_000);
  }

  /** No gateway filter: what configurations built in code get unless they ask for one. */
  public static ExtProcConfig disabled() {
    return defaults().listeningOn(false, new InetSocketAddress("127.0.0.1", 0));
  }

  /** The defaults on a free loopback port (tests, the demo). */
  public static ExtProcConfig loopbackEphemeral() {
    return defaults().listeningOn(true, new InetSocketAddress("127.0.0.1", 0));
  }

  /** This configuration, switched on or off and serving on {@code address}. */
  public ExtProcConfig listeningOn(boolean on, InetSocketAddress address) {
    return new ExtProcConfig(
        on, address, envoyAddress, failureModeAllow, messageTimeout, maxRequestBytes, passive, hold, maxHeld);
  }

  /** This configuration with requests held up to {@code hold}, at most {@code maxHeld} at once. */
  public ExtProcConfig holding(Duration hold, int maxHeld) {
    return new ExtProcConfig(
        enabled, listen, envoyAddress, failureModeAllow, messageTimeout, maxRequestBytes, passive, hold, maxHeld);
  }
}

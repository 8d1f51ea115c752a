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
 */
public record ExtProcConfig(
    boolean enabled,
    InetSocketAddress listen,
    Optional<InetSocketAddress> envoyAddress,
    boolean failureModeAllow,
    Duration messageTimeout,
    int maxRequestBytes,
    boolean passive) {
  public static final int DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

  public ExtProcConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(envoyAddress, "envoyAddress");
    Objects.requireNonNull(messageTimeout, "messageTimeout");
  }

  /**
   * As when the file has no {@code extproc}: on, on 127.0.0.1:18001, fail-open, 500 ms message
   * timeout (Envoy's 200 ms default was exceeded by a cold JVM on a busy 2-core host; a filter
   * that is down fails at once, so the longer wait costs only when modelgate is slow).
   */
  public static ExtProcConfig defaults() {
    return new ExtProcConfig(
        true,
        new InetSocketAddress("127.0.0.1", 18001),
        Optional.empty(),
        true,
        Duration.ofMillis(500),
        DEFAULT_MAX_REQUEST_BYTES,
        true);
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
        on, address, envoyAddress, failureModeAllow, messageTimeout, maxRequestBytes, passive);
  }
}

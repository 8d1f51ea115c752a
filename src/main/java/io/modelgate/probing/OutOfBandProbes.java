package io.modelgate.probing;

/** What can bring a key's probe forward from outside the probe rounds; {@link Prober} does it. */
public interface OutOfBandProbes {

  /**
   * Probes one key now, unless a probe of it is already pending.
   *
   * @return whether a probe was started (or queued for a permit)
   * @throws IllegalArgumentException if the key is not configured
   */
  boolean reprobe(String replicaId, String model);

  /**
   * Envoy gave up on a try of {@code model} at this replica without an answer: hands that to the
   * sink as a failure seen in traffic (see {@link ProbeResultSink#failedInTraffic}), then probes
   * the key as {@link #reprobe} does.
   *
   * @throws IllegalArgumentException if the key is not configured
   */
  boolean failedInTraffic(String replicaId, String model, String reason);
}

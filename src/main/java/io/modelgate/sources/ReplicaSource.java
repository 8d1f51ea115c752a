package io.modelgate.sources;

import java.util.function.Consumer;

/**
 * Where replicas come from: the static list of the configuration file, a DNS name, or the
 * EndpointSlices of a Kubernetes Service. A source publishes its whole list as a {@link
 * SourceReport} each time it changes (and after a failed lookup, the last list marked stale), to
 * one listener, one report at a time and in order. It never throws at its listener: a lookup that
 * fails is a stale report and a retry with backoff.
 */
public interface ReplicaSource extends AutoCloseable {

  /** How logs and {@code /status} name this source, e.g. {@code kubernetes ml/tfserving}. */
  String name();

  /**
   * Starts discovery. The first report comes once the first lookup has succeeded or failed; the
   * listener must not block.
   */
  void start(Consumer<SourceReport> listener);

  /** Stops discovery and releases its threads and connections; no report follows. */
  @Override
  void close();
}

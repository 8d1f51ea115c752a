package io.modelgate.probing;

/**
 * Requests waiting for a model (the gateway filter holds them until a replica is READY): while a
 * model has any, its keys that do not serve it yet are probed urgently rather than once per
 * interval. {@link Prober} implements it. Thread-safe; never blocks.
 */
public interface ProbeDemand {

  /** {@code model} now has requests waiting ({@code waiting} true), or has none any more. */
  void demand(String model, boolean waiting);
}

package io.modelgate.extproc;

import io.modelgate.config.ModelConfig;
import io.modelgate.view.HealthViews;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/** Test helpers: handmade health views, and a source the test sets. */
final class Views implements HealthViewSource {
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private final List<ModelConfig> catalog;
  private volatile HealthView current;

  /** Views whose models are configured as {@code catalog} says (labels, pins). */
  Views(HealthView initial, List<ModelConfig> catalog) {
    this.catalog = List.copyOf(catalog);
    set(initial);
  }

  Views(HealthView initial) {
    this(initial, initial.catalog());
  }

  void set(HealthView view) {
    current = HealthViews.withCatalog(view, catalog);
  }

  @Override
  public HealthView current() {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<HealthView> listener) {
    return () -> {};
  }

  static HealthView complete(ModelHealth... models) {
    return view(true, models);
  }

  static HealthView view(boolean complete, ModelHealth... models) {
    Map<String, ModelHealth> byName = new LinkedHashMap<>();
    Arrays.stream(models).forEach(m -> byName.put(m.model(), m));
    return HealthViews.of(1, T0, complete, byName);
  }

  static ModelHealth model(String name, ReplicaHealth... replicas) {
    Map<String, ReplicaHealth> byId = new LinkedHashMap<>();
    Arrays.stream(replicas).forEach(r -> byId.put(r.replicaId(), r));
    return new ModelHealth(name, byId);
  }

  static ReplicaHealth replica(String id, ReplicaState state, String reason, Long... available) {
    return new ReplicaHealth(id, state, new TreeSet<>(List.of(available)), reason, T0);
  }
}

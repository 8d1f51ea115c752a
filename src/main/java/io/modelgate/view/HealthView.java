package io.modelgate.view;

import io.modelgate.readiness.ReplicaState;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The readiness of every configured model on every replica at one moment: an immutable value,
 * replaced as a whole on each change. {@code version} increases by one per published change;
 * {@code complete} turns true once every (replica, model) has been probed at least once (or the
 * startup timeout passed), and consumers that steer traffic publish nothing before that.
 */
public record HealthView(long version, Instant at, boolean complete, Map<String, ModelHealth> models) {
  public HealthView {
    Objects.requireNonNull(at, "at");
    models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
  }

  /**
   * A complete view in which every model is {@code state} on every replica, with {@code versions}
   * AVAILABLE: for warming code paths up and for configurations built ahead of real views.
   */
  public static HealthView uniform(
      List<String> models, List<String> replicaIds, ReplicaState state, Set<Long> versions, Instant at) {
    Map<String, ModelHealth> byModel = new LinkedHashMap<>();
    for (String model : models) {
      Map<String, ReplicaHealth> byReplica = new LinkedHashMap<>();
      for (String replica : replicaIds) {
        byReplica.put(replica, new ReplicaHealth(replica, state, new TreeSet<>(versions), "", at));
      }
      byModel.put(model, new ModelHealth(model, byReplica));
    }
    return new HealthView(0, at, true, byModel);
  }

  public static HealthView empty(Instant at) {
    return new HealthView(0, at, false, Map.of());
  }

  /** Overall readiness: every configured model has at least one READY replica. */
  public boolean allModelsReady() {
    return !models.isEmpty() && models.values().stream().allMatch(ModelHealth::ready);
  }
}

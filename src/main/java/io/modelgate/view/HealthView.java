package io.modelgate.view;

import io.modelgate.config.ModelConfig;
import io.modelgate.sources.Replica;
import io.modelgate.sources.SourceStatus;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The readiness of every configured model on every known replica at one moment, with the models'
 * settings ({@code catalog}, in configuration order), the replicas themselves (addresses, ports, zone, whether draining) and how each replica source is doing: an
 * immutable value, replaced as a whole on each change, and the only place consumers read replicas
 * from. {@code version} increases by one per published change; {@code complete} turns true once
 * every (replica, model) of the first replica set has been probed at least once (or the startup
 * timeout passed), and consumers that steer traffic publish nothing before that.
 *
 * <p>Checked when built, as java-control-plane checks a snapshot: the models are exactly those of
 * the catalog, in its order, and every model has an entry for exactly the replicas listed, so a
 * consumer never meets a replica without a state, a state without a replica, or a model without
 * its settings.
 */
public record HealthView(
    long version,
    Instant at,
    boolean complete,
    List<ModelConfig> catalog,
    Map<String, Replica> replicas,
    Map<String, ModelHealth> models,
    List<SourceStatus> sources) {
  public HealthView {
    Objects.requireNonNull(at, "at");
    catalog = List.copyOf(catalog);
    replicas = Collections.unmodifiableMap(new LinkedHashMap<>(replicas));
    models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
    sources = List.copyOf(sources);
    List<String> names = catalog.stream().map(ModelConfig::name).toList();
    if (!names.equals(List.copyOf(models.keySet()))) {
      throw new IllegalArgumentException(
          "inconsistent health view: models " + models.keySet() + " are not the catalog's " + names);
    }
    for (ModelHealth model : models.values()) {
      if (!model.replicas().keySet().equals(replicas.keySet())) {
        throw new IllegalArgumentException(inconsistency(model, replicas.keySet()));
      }
    }
  }

  private static String inconsistency(ModelHealth model, Set<String> replicaIds) {
    Set<String> missing = new TreeSet<>(replicaIds);
    missing.removeAll(model.replicas().keySet());
    Set<String> unknown = new TreeSet<>(model.replicas().keySet());
    unknown.removeAll(replicaIds);
    return "inconsistent health view: model " + model.model() + " has no entry for replicas "
        + missing + " and entries for unlisted replicas " + unknown;
  }

  /**
   * A complete view in which every model is {@code state} on every replica, with {@code versions}
   * AVAILABLE: for warming code paths up and for configurations built ahead of real views.
   */
  public static HealthView uniform(
      List<ModelConfig> models, List<Replica> replicas, ReplicaState state, Set<Long> versions, Instant at) {
    Map<String, Replica> byId = new LinkedHashMap<>();
    replicas.forEach(replica -> byId.put(replica.id(), replica));
    Map<String, ModelHealth> byModel = new LinkedHashMap<>();
    for (ModelConfig model : models) {
      Map<String, ReplicaHealth> byReplica = new LinkedHashMap<>();
      for (String replica : byId.keySet()) {
        byReplica.put(replica, new ReplicaHealth(replica, state, new TreeSet<>(versions), "", at));
      }
      byModel.put(model.name(), new ModelHealth(model.name(), byReplica));
    }
    return new HealthView(0, at, true, models, byId, byModel, List.of());
  }

  /** Overall readiness: every configured model has at least one READY replica. */
  public boolean allModelsReady() {
    return !models.isEmpty() && models.values().stream().allMatch(ModelHealth::ready);
  }
}

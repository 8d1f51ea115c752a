package io.modelgate.view;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.sources.Replica;
import io.modelgate.sources.TestReplicas;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Health views built by hand for tests, with the replicas their models name. */
public final class HealthViews {
  private HealthViews() {}

  /**
   * A view whose replicas are the ids its models name, at 127.0.0.1 on ports 8500 and 8501; a
   * model that does not name one of them has it UNKNOWN "not probed yet".
   */
  public static HealthView of(long version, Instant at, boolean complete, Map<String, ModelHealth> models) {
    Set<String> ids = new LinkedHashSet<>();
    models.values().forEach(model -> ids.addAll(model.replicas().keySet()));
    List<Replica> replicas = ids.stream().map(id -> replica(id, "127.0.0.1", 8500, 8501)).toList();
    Map<String, ModelHealth> filled = new LinkedHashMap<>();
    models.forEach(
        (name, model) -> {
          Map<String, ReplicaHealth> byReplica = new LinkedHashMap<>(model.replicas());
          for (String id : ids) {
            byReplica.putIfAbsent(
                id, new ReplicaHealth(id, ReplicaState.UNKNOWN, new TreeSet<>(), "not probed yet", at));
          }
          filled.put(name, new ModelHealth(name, byReplica));
        });
    return of(version, at, complete, filled, replicas);
  }

  /** A view whose replicas are {@code configured}, their hosts resolved as the static source does. */
  public static HealthView ofConfigured(
      long version, Instant at, boolean complete, Map<String, ModelHealth> models, List<ReplicaConfig> configured) {
    return of(version, at, complete, models, TestReplicas.of(configured));
  }

  public static HealthView of(
      long version, Instant at, boolean complete, Map<String, ModelHealth> models, List<Replica> replicas) {
    Map<String, Replica> byId = new LinkedHashMap<>();
    replicas.forEach(replica -> byId.put(replica.id(), replica));
    List<ModelConfig> catalog = models.keySet().stream().map(ModelConfig::any).toList();
    return new HealthView(version, at, complete, catalog, byId, models, List.of());
  }

  /**
   * {@code view} with {@code catalog} as its models' settings, in that order: a model of the
   * catalog the view lacks is UNKNOWN on every replica; one the catalog lacks is dropped.
   */
  public static HealthView withCatalog(HealthView view, List<ModelConfig> catalog) {
    Map<String, ModelHealth> models = new LinkedHashMap<>();
    for (ModelConfig model : catalog) {
      ModelHealth health = view.models().get(model.name());
      if (health == null) {
        Map<String, ReplicaHealth> unknown = new LinkedHashMap<>();
        view.replicas().keySet().forEach(
            id -> unknown.put(id, new ReplicaHealth(id, ReplicaState.UNKNOWN, new TreeSet<>(), "not probed yet", view.at())));
        health = new ModelHealth(model.name(), unknown);
      }
      models.put(model.name(), health);
    }
    return new HealthView(view.version(), view.at(), view.complete(), catalog, view.replicas(), models, view.sources());
  }

  public static Replica replica(String id, String address, int grpcPort, int restPort) {
    return new Replica(id, address, address, grpcPort, restPort, Protocol.GRPC, "", false);
  }
}

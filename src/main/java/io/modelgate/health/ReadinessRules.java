package io.modelgate.health;

import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a {@link HealthView} answers the readiness services: {@code "modelgate.readiness"} for the whole set of
 * models and {@code "<model>"} for one. Stateless and thread-safe; a pure function of the view.
 */
final class ReadinessRules {
  static final String WAITING = "waiting for the first full probe round";
  static final int REPLICAS_NAMED = 5;

  private ReadinessRules() {}

  /** SERVING iff the view is complete and every configured model has a READY replica. */
  static HealthStatus overall(HealthView view) {
    String service = HealthService.READINESS;
    if (!view.complete()) {
      return HealthStatus.notServing(service, WAITING);
    }
    if (view.models().isEmpty()) {
      return HealthStatus.notServing(service, "no models configured");
    }
    int total = view.models().size();
    if (view.allModelsReady()) {
      return HealthStatus.serving(service, "all " + total + " models ready");
    }
    List<String> notReady =
        view.models().values().stream().filter(m -> !m.ready()).map(ModelHealth::model).toList();
    return HealthStatus.notServing(
        service,
        notReady.size() + " of " + total + " models not ready: " + String.join(", ", notReady));
  }

  /** Empty when the view does not know the model; else SERVING iff complete and a replica is READY. */
  static Optional<HealthStatus> model(HealthView view, String model) {
    ModelHealth health = view.models().get(model);
    if (health == null) {
      return Optional.empty();
    }
    if (!view.complete()) {
      return Optional.of(HealthStatus.notServing(model, WAITING));
    }
    int total = health.replicas().size();
    if (total == 0) {
      return Optional.of(HealthStatus.notServing(model, "model '" + model + "' has no replicas"));
    }
    long ready = health.replicas().values().stream().filter(ReplicaHealth::ready).count();
    if (ready > 0) {
      return Optional.of(
          HealthStatus.serving(
              model, "model '" + model + "' ready on " + ready + " of " + total + " replicas"));
    }
    // A few replicas say why; a thousand would make every status and log line a page long.
    String replicas =
        health.replicas().values().stream()
            .limit(REPLICAS_NAMED)
            .map(r -> r.replicaId() + " " + r.state() + (r.reason().isEmpty() ? "" : " (" + r.reason() + ")"))
            .collect(Collectors.joining(", "));
    if (total > REPLICAS_NAMED) {
      replicas += " and " + (total - REPLICAS_NAMED) + " more";
    }
    return Optional.of(
        HealthStatus.notServing(model, "model '" + model + "' not ready on any replica: " + replicas));
  }
}

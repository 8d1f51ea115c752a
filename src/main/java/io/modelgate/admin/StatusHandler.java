package io.modelgate.admin;

import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /status}: the current health view as JSON, for operators and the demo: every model
 * on every replica with its state, AVAILABLE versions, reason and since-when. Read-only and
 * thread-safe (it reads the current immutable view).
 */
public final class StatusHandler implements AdminHandler {
  public static final String PATH = "/status";

  private final HealthViewSource views;

  public StatusHandler(HealthViewSource views) {
    this.views = views;
  }

  @Override
  public AdminResponse handle(AdminRequest request) {
    return AdminResponse.document(request, PATH, () -> Status.of(views.current()));
  }

  /** The JSON shape of a view. */
  record Status(long version, String at, boolean complete, List<Model> models) {
    static Status of(HealthView view) {
      List<Model> models = new ArrayList<>();
      for (ModelHealth model : view.models().values()) {
        List<Replica> replicas = new ArrayList<>();
        for (ReplicaHealth replica : model.replicas().values()) {
          replicas.add(
              new Replica(
                  replica.replicaId(),
                  replica.state().name(),
                  List.copyOf(replica.availableVersions()),
                  replica.reason(),
                  replica.since().toString()));
        }
        models.add(new Model(model.model(), model.ready(), replicas));
      }
      return new Status(view.version(), view.at().toString(), view.complete(), models);
    }
  }

  record Model(String name, boolean ready, List<Replica> replicas) {}

  record Replica(String id, String state, List<Long> availableVersions, String reason, String since) {}
}

package io.modelgate.admin;

import io.modelgate.sources.SourceStatus;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /status}: the current health view as JSON, for operators and the demo: every replica
 * source (how many replicas it lists, and if its last lookup failed, why and since when: its last
 * known list is still in use), every replica (address, ports, zone, whether it is draining), and
 * every model on every replica with its state, AVAILABLE versions, reason and since-when.
 * Read-only and thread-safe (it reads the current immutable view).
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
  record Status(
      long version, String at, boolean complete, List<Source> sources, List<Endpoint> replicas, List<Model> models) {
    static Status of(HealthView view) {
      List<Source> sources = new ArrayList<>();
      for (SourceStatus source : view.sources()) {
        sources.add(
            new Source(
                source.name(),
                source.replicas(),
                source.stale(),
                source.problem().orElse(""),
                source.since().toString()));
      }
      List<Endpoint> endpoints = new ArrayList<>();
      for (io.modelgate.sources.Replica replica : view.replicas().values()) {
        endpoints.add(
            new Endpoint(
                replica.id(),
                replica.host(),
                replica.address(),
                replica.grpcPort(),
                replica.restPort(),
                replica.zone(),
                replica.terminating()));
      }
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
      return new Status(view.version(), view.at().toString(), view.complete(), sources, endpoints, models);
    }
  }

  /** A replica source; {@code stale} while its last lookup failed and its last list is kept. */
  record Source(String name, int replicas, boolean stale, String problem, String since) {}

  /** A replica as its source found it; {@code address} is "" while its host does not resolve. */
  record Endpoint(
      String id, String host, String address, int grpcPort, int restPort, String zone, boolean terminating) {}

  record Model(String name, boolean ready, List<Replica> replicas) {}

  record Replica(String id, String state, List<Long> availableVersions, String reason, String since) {}
}

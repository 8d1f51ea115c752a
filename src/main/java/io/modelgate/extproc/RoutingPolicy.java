package io.modelgate.extproc;

import io.modelgate.config.ModelConfig;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Decides what happens to a request for a model given one health view (its catalog says which
 * models are configured, with their labels, so a reload is followed with the view): the rules of
 * the gateway filter, with no I/O. Stateless and thread-safe.
 *
 * <ul>
 *   <li>A model that is not configured is rejected NOT_FOUND, naming the configured ones.
 *   <li>A label is resolved through the model's {@code labels}; an unknown one is rejected
 *       INVALID_ARGUMENT, as TF Serving rejects an unrecognised label.
 *   <li>A replica serves the request when it is READY (so Envoy routes to it) and, if a version
 *       was asked for, reports that version AVAILABLE. With none, the request is rejected
 *       UNAVAILABLE with a count of the replicas by state and the reason of the first failed,
 *       unreachable or unknown one.
 *   <li>With a hold configured, such a request is held instead ({@link Decision.Hold}) when a
 *       replica may serve it soon: one LOADING the model, not probed yet (UNKNOWN), or UNREACHABLE
 *       only for less than the hold (a restart). A model that every replica failed to load,
 *       unloaded or is draining fails at once: no wait would help.
 *   <li>Until the view is complete (the first probe round) every configured model is routed:
 *       not knowing yet is no reason to refuse traffic Envoy may be able to serve.
 * </ul>
 */
public final class RoutingPolicy {
  private final Duration hold;
  private final Clock clock;

  /** Requests that no replica serves yet are held for up to {@code hold} (zero: never). */
  public RoutingPolicy(Duration hold, Clock clock) {
    this.hold = hold;
    this.clock = clock;
  }

  /** A policy that never holds. */
  public RoutingPolicy() {
    this(Duration.ZERO, Clock.systemUTC());
  }

  public Decision decide(ModelRequest request, HealthView view) {
    ModelConfig config = null;
    for (ModelConfig model : view.catalog()) {
      if (model.name().equals(request.model())) {
        config = model;
      }
    }
    if (config == null) {
      return new Decision.Reject(
          DecisionKind.UNKNOWN_MODEL,
          request.protocol(),
          "model '"
              + Bounded.of(request.model())
              + "' is not served here (known: "
              + String.join(", ", view.models().keySet())
              + ")");
    }
    OptionalLong wanted = request.version();
    String what = "model '" + request.model() + "'";
    if (request.label().isPresent()) {
      String label = request.label().get();
      Long version = config.labels().get(label);
      if (version == null) {
        return new Decision.Reject(
            DecisionKind.UNKNOWN_LABEL,
            request.protocol(),
            what + " has no version label '" + Bounded.of(label) + "' (known: " + knownLabels(config) + ")");
      }
      wanted = OptionalLong.of(version);
      what += " label '" + label + "' (version " + version + ")";
    } else if (wanted.isPresent()) {
      what += " version " + wanted.getAsLong();
    }
    return decideReadiness(new Decision.Route(request.model(), wanted), what, request, view);
  }

  private Decision decideReadiness(
      Decision.Route route, String what, ModelRequest request, HealthView view) {
    if (!view.complete()) {
      return route;
    }
    ModelHealth health = view.models().get(request.model());
    List<ReplicaHealth> replicas =
        health == null ? List.of() : List.copyOf(health.replicas().values());
    if (replicas.stream().anyMatch(r -> serves(r, route.version()))) {
      return route;
    }
    Decision.Reject reject =
        new Decision.Reject(
            DecisionKind.NOT_LOADED,
            request.protocol(),
            what + " is not loaded on any replica (" + summary(replicas) + ")");
    if (!hold.isZero() && replicas.stream().anyMatch(this::mayServeSoon)) {
      return new Decision.Hold(route, reject);
    }
    return reject;
  }

  /**
   * Whether waiting for this replica is worth it: it is loading, or its state is not known yet,
   * or it became unreachable within the hold (a restart comes back with its models loading).
   */
  private boolean mayServeSoon(ReplicaHealth replica) {
    return switch (replica.state()) {
      case LOADING, UNKNOWN -> true;
      case UNREACHABLE -> replica.since().isAfter(clock.instant().minus(hold));
      case READY, NOT_READY, DRAINING -> false;
    };
  }

  private static boolean serves(ReplicaHealth replica, OptionalLong wanted) {
    return replica.ready()
        && (wanted.isEmpty() || replica.availableVersions().contains(wanted.getAsLong()));
  }

  private static String knownLabels(ModelConfig config) {
    return config.labels().isEmpty()
        ? "none"
        : config.labels().keySet().stream().sorted().collect(Collectors.joining(", "));
  }

  /** "2 loading, 1 failed: version 3 failed to load: boom" — groups in a fixed order. */
  private static String summary(List<ReplicaHealth> replicas) {
    if (replicas.isEmpty()) {
      return "no replicas configured";
    }
    Map<Group, List<ReplicaHealth>> groups = new EnumMap<>(Group.class);
    for (ReplicaHealth replica : replicas) {
      groups.computeIfAbsent(Group.of(replica), g -> new ArrayList<>()).add(replica);
    }
    List<String> parts = new ArrayList<>();
    groups.forEach(
        (group, members) -> {
          String part = members.size() + " " + group.label;
          if (group.explained) {
            part += ": " + members.get(0).reason();
          }
          parts.add(part);
        });
    return String.join(", ", parts);
  }

  /** How a replica that cannot serve the request is counted in the message. */
  private enum Group {
    /** READY, but without the version asked for. */
    OTHER_VERSIONS("serving other versions", false),
    LOADING("loading", false),
    DRAINING("draining", false),
    FAILED("failed", true),
    UNREACHABLE("unreachable", true),
    UNKNOWN("unknown", true);

    final String label;

    /** Whether the group's first reason is worth quoting: it tells an operator what to fix. */
    final boolean explained;

    Group(String label, boolean explained) {
      this.label = label;
      this.explained = explained;
    }

    static Group of(ReplicaHealth replica) {
      return switch (replica.state()) {
        case READY -> OTHER_VERSIONS;
        case LOADING -> LOADING;
        case DRAINING -> DRAINING;
        case NOT_READY -> FAILED;
        case UNREACHABLE -> UNREACHABLE;
        case UNKNOWN -> UNKNOWN;
      };
    }
  }
}

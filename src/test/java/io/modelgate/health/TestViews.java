package io.modelgate.health;

import io.modelgate.view.HealthViews;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/** A {@link HealthViewSource} the test publishes into, on the test's thread, plus view builders. */
final class TestViews implements HealthViewSource {
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private final Set<Consumer<HealthView>> listeners = new CopyOnWriteArraySet<>();
  private volatile HealthView current;
  private long version;

  TestViews(HealthView initial) {
    current = initial;
  }

  @Override
  public HealthView current() {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<HealthView> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Publishes a view with the next version, calling every listener before returning. */
  void publish(boolean complete, ModelHealth... models) {
    HealthView view = view(++version, complete, models);
    current = view;
    listeners.forEach(l -> l.accept(view));
  }

  int listenerCount() {
    return listeners.size();
  }

  static HealthView view(long version, boolean complete, ModelHealth... models) {
    Map<String, ModelHealth> byName = new LinkedHashMap<>();
    Arrays.stream(models).forEach(m -> byName.put(m.model(), m));
    return HealthViews.of(version, T0, complete, byName);
  }

  static ModelHealth model(String name, ReplicaHealth... replicas) {
    Map<String, ReplicaHealth> byId = new LinkedHashMap<>();
    Arrays.stream(replicas).forEach(r -> byId.put(r.replicaId(), r));
    return new ModelHealth(name, byId);
  }

  static ReplicaHealth replica(String id, ReplicaState state, String reason) {
    TreeSet<Long> available = new TreeSet<>();
    if (state == ReplicaState.READY) {
      available.add(1L);
    }
    return new ReplicaHealth(id, state, available, reason, T0);
  }

  static ReplicaHealth ready(String id) {
    return replica(id, ReplicaState.READY, "version 1 available");
  }

  static ReplicaHealth loading(String id) {
    return replica(id, ReplicaState.LOADING, "loading version 2");
  }
}

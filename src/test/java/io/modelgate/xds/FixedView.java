package io.modelgate.xds;

import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.view.HealthViews;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/** One complete view with model m READY (version 1) on replica a, never changing. */
final class FixedView implements HealthViewSource {
  /** The configuration this view is of: replica a, model m, defaults otherwise. */
  static final ModelgateConfig CONFIG =
      new ModelgateConfig(
          List.of(new ReplicaConfig("a", "127.0.0.1", 18500, 18501, Protocol.GRPC)),
          List.of(ModelConfig.any("m")),
          ProbeConfig.defaults(),
          ListenConfig.loopbackEphemeral(),
          XdsConfig.defaults());

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final HealthView view =
      HealthViews.of(
          1,
          T0,
          true,
          Map.of(
              "m",
              new ModelHealth(
                  "m", Map.of("a", new ReplicaHealth("a", ReplicaState.READY, new TreeSet<>(Set.of(1L)), "", T0)))));

  @Override
  public HealthView current() {
    return view;
  }

  @Override
  public AutoCloseable subscribe(Consumer<HealthView> listener) {
    return () -> {};
  }
}

package io.modelgate.app;

import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.SourceConfig;
import io.modelgate.sources.MergedSources;
import io.modelgate.sources.StaticReplicaSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The replica sources a configuration names: its static list first, then each of its sources. */
final class ReplicaSources {
  /** How often the static list's host names are resolved again. */
  static final Duration STATIC_REFRESH = Duration.ofSeconds(5);
  /** How long a static replica removed from the file is drained. */
  static final Duration STATIC_DRAIN = Duration.ofSeconds(10);

  private ReplicaSources() {}

  static List<MergedSources.Entry> of(ModelgateConfig config, Clock clock) {
    List<MergedSources.Entry> entries = new ArrayList<>();
    if (!config.replicas().isEmpty()) {
      entries.add(
          new MergedSources.Entry(
              new StaticReplicaSource(config.replicas(), STATIC_REFRESH, clock), STATIC_DRAIN));
    }
    for (SourceConfig source : config.sources()) {
      throw new IllegalStateException("unsupported replica source: " + source);
    }
    return entries;
  }
}

package io.modelgate.app;

import io.modelgate.config.DnsSourceConfig;
import io.modelgate.config.KubernetesSourceConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.SourceConfig;
import io.modelgate.sources.DnsReplicaSource;
import io.modelgate.sources.KubernetesReplicaSource;
import io.modelgate.sources.MergedSources;
import io.modelgate.sources.ReplicaSource;
import io.modelgate.sources.StaticReplicaSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replica sources a configuration names (its static list first, then each of its
 * {@code sources}), kept across reloads: a source whose settings did not change is the same
 * running source, and the static list is updated in place, so a reload disturbs only what it
 * changed. Used by one thread at a time.
 */
final class ReplicaSources {
  /** How often the static list's host names are resolved again. */
  static final Duration STATIC_REFRESH = Duration.ofSeconds(5);
  /** How long a static replica removed from the file is drained. */
  static final Duration STATIC_DRAIN = Duration.ofSeconds(10);

  private final Clock clock;
  private MergedSources.Entry staticEntry;
  private Map<SourceConfig, MergedSources.Entry> discovery = Map.of();

  ReplicaSources(Clock clock) {
    this.clock = clock;
  }

  /** The sources for {@code config}, reusing those already running for it. */
  List<MergedSources.Entry> entries(ModelgateConfig config) {
    List<MergedSources.Entry> entries = new ArrayList<>();
    if (config.replicas().isEmpty()) {
      staticEntry = null;
    } else if (staticEntry == null) {
      staticEntry =
          new MergedSources.Entry(new StaticReplicaSource(config.replicas(), STATIC_REFRESH, clock), STATIC_DRAIN);
    } else {
      StaticReplicaSource running = (StaticReplicaSource) staticEntry.source();
      if (!running.configured().equals(config.replicas())) {
        running.update(config.replicas());
      }
    }
    if (staticEntry != null) {
      entries.add(staticEntry);
    }
    Map<SourceConfig, MergedSources.Entry> next = new LinkedHashMap<>();
    for (SourceConfig source : config.sources()) {
      MergedSources.Entry entry = discovery.get(source);
      next.put(source, entry != null ? entry : new MergedSources.Entry(open(source), source.drain()));
    }
    discovery = next;
    entries.addAll(next.values());
    return entries;
  }

  private ReplicaSource open(SourceConfig source) {
    if (source instanceof DnsSourceConfig dns) {
      return new DnsReplicaSource(dns, clock);
    }
    return new KubernetesReplicaSource((KubernetesSourceConfig) source, clock);
  }
}

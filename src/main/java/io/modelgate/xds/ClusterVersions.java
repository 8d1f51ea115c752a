package io.modelgate.xds;

import io.modelgate.config.ModelConfig;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every version of each model that gets clusters of its own: seen AVAILABLE somewhere, pinned, or
 * labelled. Computed once per view (clusters, load assignments and routes of one build all ask),
 * and kept per model while the view carries the same health object for it. Thread-safe: callers
 * racing on a new view at worst compute the same versions twice.
 */
final class ClusterVersions {
  /** Each model's versions, kept while its health is the same object; and those of the last view. */
  private final Map<String, ModelVersions> byModel = new ConcurrentHashMap<>();
  private volatile ViewVersions last;

  private record ModelVersions(ModelConfig model, ModelHealth health, SortedSet<Long> versions) {}

  private record ViewVersions(HealthView view, CatalogVersions versions) {}

  /** The view's models and each one's versions. */
  CatalogVersions of(HealthView view) {
    ViewVersions known = last;
    if (known != null && known.view() == view) {
      return known.versions();
    }
    Map<String, SortedSet<Long>> versionsByModel = new HashMap<>();
    for (ModelConfig model : view.catalog()) {
      ModelHealth health = view.models().get(model.name());
      ModelVersions kept = byModel.get(model.name());
      // The view replaces only the models that changed: an unchanged one keeps its versions.
      if (kept == null || kept.health() != health || !kept.model().equals(model)) {
        kept = new ModelVersions(model, health, versions(model, health));
        byModel.put(model.name(), kept);
      }
      versionsByModel.put(model.name(), kept.versions());
    }
    // A model no longer in the catalog leaves nothing behind.
    byModel.keySet().retainAll(versionsByModel.keySet());
    CatalogVersions versions = new CatalogVersions(view.catalog(), versionsByModel);
    last = new ViewVersions(view, versions);
    return versions;
  }

  private static SortedSet<Long> versions(ModelConfig model, ModelHealth health) {
    SortedSet<Long> versions = new TreeSet<>(model.labels().values());
    model.version().ifPresent(versions::add);
    if (health != null) {
      health.replicas().values().forEach(r -> versions.addAll(r.availableVersions()));
    }
    return versions;
  }
}

package io.modelgate.xds;

import java.util.function.Function;

/**
 * A resource built from the models and their {@link ClusterVersions} alone, rebuilt only when they
 * change: clusters and routes depend on a view through nothing else, so most views reuse the very
 * objects of the last build. Thread-safe: callers racing on new versions may both build (the same
 * value); the last one kept wins.
 */
final class VersionsMemo<T> {
  private final Function<CatalogVersions, T> build;
  private volatile Built<T> last;

  private record Built<T>(CatalogVersions versions, T value) {}

  VersionsMemo(Function<CatalogVersions, T> build) {
    this.build = build;
  }

  T get(CatalogVersions versions) {
    Built<T> built = last;
    if (built == null || !built.versions().equals(versions)) {
      built = new Built<>(versions, build.apply(versions));
      last = built;
    }
    return built.value();
  }
}

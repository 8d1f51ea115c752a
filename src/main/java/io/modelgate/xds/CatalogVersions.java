package io.modelgate.xds;

import io.modelgate.config.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * The models of one view (its catalog, in configuration order) and each one's {@link
 * ClusterVersions}: everything clusters and routes depend on, so two equal values build the same
 * clusters and routes. Immutable.
 */
record CatalogVersions(List<ModelConfig> models, Map<String, SortedSet<Long>> byModel) {
  CatalogVersions {
    models = List.copyOf(models);
    byModel = Map.copyOf(byModel);
  }

  SortedSet<Long> of(ModelConfig model) {
    return byModel.get(model.name());
  }
}

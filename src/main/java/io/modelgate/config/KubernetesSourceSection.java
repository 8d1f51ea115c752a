package io.modelgate.config;

/** Reads one {@code sources[i].kubernetes} map. Stateless. */
final class KubernetesSourceSection {
  private KubernetesSourceSection() {}

  static KubernetesSourceConfig read(ConfigNode node) {
    throw node.error("Kubernetes sources are not supported yet");
  }
}

package io.modelgate.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the optional {@code sources} list: each element is a map with one key naming the kind of
 * source ({@code dns} or {@code kubernetes}) whose value holds its settings. Stateless.
 */
final class SourcesSection {
  private static final List<String> KINDS = List.of("dns", "kubernetes");

  private SourcesSection() {}

  static List<SourceConfig> read(ConfigNode node) {
    List<SourceConfig> sources = new ArrayList<>();
    for (ConfigNode element : node.elements()) {
      List<Map.Entry<String, ConfigNode>> entries = element.entries();
      if (entries.size() != 1) {
        throw element.error("expected exactly one of: " + String.join(", ", KINDS) + ", got " + entries.size() + " keys");
      }
      Map.Entry<String, ConfigNode> entry = entries.get(0);
      ConfigNode value = entry.getValue();
      sources.add(
          switch (entry.getKey()) {
            case "dns" -> DnsSourceSection.read(value);
            case "kubernetes" -> KubernetesSourceSection.read(value);
            default -> throw value.unknownKey(KINDS);
          });
    }
    return sources;
  }
}

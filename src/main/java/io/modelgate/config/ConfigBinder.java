package io.modelgate.config;

import java.util.List;
import java.util.Map;

/**
 * Turns the YAML tree of a configuration file into a {@link ModelgateConfig}, checking every key
 * and value. Keys are checked in document order and each value in full when its key is reached;
 * rules that tie several keys of one map together are checked after that map's last key, and
 * rules across sections (no two listeners on one port) after the whole file. The
 * first error found is thrown, so the same file always gives the same error. Stateless.
 */
final class ConfigBinder {
  static final List<String> KEYS = List.of("replicas", "sources", "models", "probe", "listen", "xds", "extproc");

  private ConfigBinder() {}

  static ModelgateConfig bind(ConfigNode root) {
    List<ReplicaConfig> replicas = null;
    List<SourceConfig> sources = List.of();
    List<ModelConfig> models = null;
    ProbeConfig probe = ProbeConfig.defaults();
    ListenConfig listen = ListenConfig.defaults();
    XdsConfig xds = XdsConfig.defaults();
    ExtProcConfig extProc = ExtProcConfig.defaults();
    for (Map.Entry<String, ConfigNode> entry : root.entries()) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "replicas" -> replicas = ReplicaSection.read(value);
        case "sources" -> sources = SourcesSection.read(value);
        case "models" -> models = ModelSection.read(value);
        case "probe" -> probe = ProbeSection.read(value);
        case "listen" -> listen = ListenSection.read(value);
        case "xds" -> xds = XdsSection.read(value);
        case "extproc" -> extProc = ExtProcSection.read(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (replicas == null && sources.isEmpty()) {
      throw root.child("replicas").error("must be set (or replicas discovered through sources)");
    }
    if (models == null) {
      throw root.child("models").error("must be set");
    }
    ModelgateConfig config = new ModelgateConfig(
            replicas == null ? List.of() : replicas, models, probe, listen, xds, extProc, sources);
    ListenPorts.check(root, config);
    return config;
  }
}

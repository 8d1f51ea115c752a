package io.modelgate.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Reads the {@code models} list of a configuration file. Stateless. */
final class ModelSection {
  private static final List<String> KEYS = List.of("name", "version", "label", "labels");

  private ModelSection() {}

  static List<ModelConfig> read(ConfigNode node) {
    List<ConfigNode> elements = node.elements();
    if (elements.isEmpty()) {
      throw node.error("must list at least one model");
    }
    Map<String, String> firstUse = new HashMap<>();
    List<ModelConfig> models = new ArrayList<>();
    for (ConfigNode element : elements) {
      models.add(readModel(element, firstUse));
    }
    return models;
  }

  /**
   * @param firstUse names seen so far, each with the path of the model that used it first
   */
  private static ModelConfig readModel(ConfigNode node, Map<String, String> firstUse) {
    String name = null;
    OptionalLong version = OptionalLong.empty();
    Optional<String> label = Optional.empty();
    Map<String, Long> labels = Map.of();
    for (Map.Entry<String, ConfigNode> entry : node.entries()) {
      ConfigNode value = entry.getValue();
      switch (entry.getKey()) {
        case "name" -> name = name(value, node.path(), firstUse);
        case "version" -> version = OptionalLong.of(version(value));
        case "label" -> label = Optional.of(label(value));
        case "labels" -> labels = labels(value);
        default -> throw value.unknownKey(KEYS);
      }
    }
    if (name == null) {
      throw node.child("name").error("must be set");
    }
    if (label.isPresent()) {
      checkLabel(node.child("label"), label.get(), version, labels);
    }
    return new ModelConfig(name, version, label, labels);
  }

  private static String name(ConfigNode value, String modelPath, Map<String, String> firstUse) {
    String name = value.string();
    if (!Names.isValid(name)) {
      throw value.error(Names.invalid(name));
    }
    String first = firstUse.putIfAbsent(name, modelPath);
    if (first != null) {
      throw value.error("duplicate model name '" + name + "' (first used by " + first + ")");
    }
    return name;
  }

  private static String label(ConfigNode value) {
    String label = value.string();
    if (!Names.isValid(label)) {
      throw value.error(Names.invalid(label));
    }
    return label;
  }

  private static long version(ConfigNode value) {
    long version = value.integer("an integer");
    if (version < 0) {
      throw value.error("must be >= 0, got " + value.describe());
    }
    return version;
  }

  /** A {@code labels} map; an empty {@code labels:} (every entry commented out) has none. */
  private static Map<String, Long> labels(ConfigNode node) {
    // Document order, so that an error lists the labels as the file does.
    Map<String, Long> labels = new LinkedHashMap<>();
    if (node.isNull()) {
      return labels;
    }
    for (Map.Entry<String, ConfigNode> entry : node.entries()) {
      if (!Names.isValid(entry.getKey())) {
        throw entry.getValue().error(Names.invalid(entry.getKey()));
      }
      labels.put(entry.getKey(), version(entry.getValue()));
    }
    return labels;
  }

  private static void checkLabel(
      ConfigNode at, String label, OptionalLong version, Map<String, Long> labels) {
    if (version.isPresent()) {
      throw at.error("cannot be combined with version (pin a version or a label, not both)");
    }
    if (!labels.containsKey(label)) {
      String known =
          labels.isEmpty()
              ? "no labels are defined"
              : "expected one of: " + String.join(", ", labels.keySet());
      throw at.error("'" + label + "' is not a key of labels (" + known + ")");
    }
  }
}

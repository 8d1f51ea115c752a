package io.modelgate.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects of {@code deploy/kubernetes}, read as {@code kubectl apply -k} reads them: every
 * document of every file that kustomization.yaml lists, in its order. Immutable once read.
 */
final class Manifests {
  static final Path DIR = Path.of("deploy/kubernetes");
  static final Path KUSTOMIZATION = DIR.resolve("kustomization.yaml");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<Path> files;
  private final List<JsonNode> objects;

  private Manifests(List<Path> files, List<JsonNode> objects) {
    this.files = List.copyOf(files);
    this.objects = List.copyOf(objects);
  }

  static Manifests read() throws IOException {
    List<Path> files = new ArrayList<>();
    readYaml(KUSTOMIZATION).path("resources").forEach(name -> files.add(DIR.resolve(name.asText())));
    List<JsonNode> objects = new ArrayList<>();
    for (Path file : files) {
      objects.addAll(documents(file));
    }
    return new Manifests(files, objects);
  }

  static JsonNode readYaml(Path file) throws IOException {
    return YAML.readTree(file.toFile());
  }

  static JsonNode parseYaml(String text) throws IOException {
    return YAML.readTree(text);
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (JsonParser parser = YAML.getFactory().createParser(file.toFile())) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(document -> {
        if (document != null && !document.isNull() && !document.isMissingNode()) {
          documents.add(document);
        }
      });
    }
    return documents;
  }

  /** The files kustomization.yaml lists, in its order. */
  List<Path> files() {
    return files;
  }

  /** Every object, in the order kubectl would apply them. */
  List<JsonNode> objects() {
    return objects;
  }

  /** The one object of this kind and name; fails the test if there is none. */
  JsonNode get(String kind, String name) {
    return objects.stream()
        .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + files));
  }

  /** The container of this name in a Deployment's pod template. */
  static JsonNode container(JsonNode deployment, String name) {
    return find(deployment.path("spec").path("template").path("spec").path("containers"), "name", name);
  }

  /** The element of an array whose {@code key} is {@code value}. */
  static JsonNode find(JsonNode array, String key, String value) {
    for (JsonNode element : array) {
      if (element.path(key).asText().equals(value)) {
        return element;
      }
    }
    throw new AssertionError("no element with " + key + " = " + value + " in " + array);
  }

  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }
}

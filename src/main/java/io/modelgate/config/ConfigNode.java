package io.modelgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One value of a parsed YAML tree together with its field path ({@code replicas[0].grpcPort}).
 * Its accessors check the value's type and throw a {@link ConfigException} that names the file,
 * the path, what was expected and what was found. Immutable.
 */
final class ConfigNode {
  /** Strings longer than this are cut short in error messages, which stay one short line. */
  private static final int QUOTED_LENGTH = 64;

  private final String file;
  private final String path;
  private final JsonNode value;

  private ConfigNode(String file, String path, JsonNode value) {
    this.file = file;
    this.path = path;
    this.value = value;
  }

  static ConfigNode root(String file, JsonNode value) {
    return new ConfigNode(file, "", value);
  }

  String path() {
    return path;
  }

  boolean isNull() {
    return value.isNull();
  }

  boolean isTextual() {
    return value.isTextual();
  }

  /**
   * A path written in the file: a relative one is taken from the file's directory (the file names
   * its neighbours, wherever modelgate was started), or as given when the file name is no path.
   */
  Path relativeToFile(Path path) {
    try {
      return Path.of(file).resolveSibling(path);
    } catch (InvalidPathException notAPath) {
      return path;
    }
  }

  ConfigException error(String reason) {
    return new ConfigException(file, path, reason);
  }

  /** The path of a key of this map, without a value: to report a missing or inconsistent key. */
  ConfigNode child(String key) {
    return new ConfigNode(file, childPath(key), MissingNode.getInstance());
  }

  /**
   * The error for a key that is not allowed where this node is.
   *
   * @param allowedKeys the keys allowed instead, in the order the message lists them
   */
  ConfigException unknownKey(List<String> allowedKeys) {
    return error("unknown key (expected one of: " + String.join(", ", allowedKeys) + ")");
  }

  /** The entries of a map, in document order. */
  List<Map.Entry<String, ConfigNode>> entries() {
    if (!value.isObject()) {
      String where = path.isEmpty() ? " at the top level" : "";
      throw error("expected a map" + where + ", got " + describe());
    }
    List<Map.Entry<String, ConfigNode>> entries = new ArrayList<>();
    for (Map.Entry<String, JsonNode> property : value.properties()) {
      String key = property.getKey();
      if (key.length() > Names.MAX_LENGTH) {
        // No key is this long; naming it in the path would make the message as long as the key.
        throw error(
            "has a key of " + key.length() + " characters (keys are at most " + Names.MAX_LENGTH
                + "): " + quote(key));
      }
      entries.add(Map.entry(key, new ConfigNode(file, childPath(key), property.getValue())));
    }
    return entries;
  }

  List<ConfigNode> elements() {
    if (!value.isArray()) {
      throw error("expected a list, got " + describe());
    }
    List<ConfigNode> elements = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      elements.add(new ConfigNode(file, path + "[" + i + "]", value.get(i)));
    }
    return elements;
  }

  String string() {
    return string("a string");
  }

  /**
   * A string value.
   *
   * @param expected what to call the value when it is not a string ({@code "one of: grpc, rest"})
   */
  String string(String expected) {
    if (!value.isTextual()) {
      throw error("expected " + expected + ", got " + describe());
    }
    return value.textValue();
  }

  /**
   * An integer value, saturated to the range of {@code long}: range checks then reject it, and
   * their messages show the value as written ({@link #describe}).
   *
   * @param expected what to call the value when it is not an integer ({@code "an integer"})
   */
  long integer(String expected) {
    if (!value.isIntegralNumber()) {
      throw error("expected " + expected + ", got " + describe());
    }
    if (value.canConvertToLong()) {
      return value.longValue();
    }
    return value.bigIntegerValue().signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  /** A boolean value ({@code true} or {@code false}, unquoted). */
  boolean bool() {
    if (!value.isBoolean()) {
      throw error("expected true or false, got " + describe());
    }
    return value.booleanValue();
  }

  /** A number, integer or not. */
  double number() {
    if (!value.isNumber()) {
      // .nan and .inf are YAML floats, so "a number" alone would not say what is wrong.
      String number = value.isPojo() ? "a finite number" : "a number";
      throw error("expected " + number + ", got " + describe());
    }
    return value.doubleValue();
  }

  /** The value as an error message shows it: strings quoted, collections by kind. */
  String describe() {
    if (value.isNull()) {
      return "null";
    }
    if (value.isObject()) {
      return "a map";
    }
    if (value.isArray()) {
      return "a list";
    }
    if (value.isTextual()) {
      return quote(value.textValue());
    }
    if (value.isBinary()) {
      return "binary data";
    }
    return value.asText();
  }

  /**
   * A string as error messages show it: in double quotes, with JSON escapes, and a long one cut
   * short with its length.
   */
  static String quote(String text) {
    if (text.length() > QUOTED_LENGTH) {
      String start = text.substring(0, text.offsetByCodePoints(0, QUOTED_LENGTH / 2));
      return new TextNode(start).toString() + "... (" + text.length() + " characters)";
    }
    return new TextNode(text).toString();
  }

  private String childPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}

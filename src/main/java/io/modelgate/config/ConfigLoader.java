package io.modelgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The loader of modelgate's YAML configuration file: reads it, checks every key and value, and
 * returns a {@link ModelgateConfig} with defaults applied, or throws one {@link ConfigException}
 * that names the file, where in it, and what was expected.
 *
 * <pre>{@code
 * replicas:                     # the static list; required unless sources are given
 *   - id: r0                    # required, unique, [A-Za-z0-9_.-]+
 *     host: 127.0.0.1           # required; DNS name or IP address, no port (see Hosts)
 *     grpcPort: 8500            # 1..65535, default 8500
 *     restPort: 8501            # 1..65535, default 8501
 *     protocol: grpc            # grpc | rest (how it is probed), default grpc
 * sources:                      # optional: replicas discovered at runtime, merged with the list
 *   - dns:                      # A/AAAA records of a name, asked every refreshMs (see DnsSourceSection)
 *       name: tfs.ml.svc.cluster.local
 *   - kubernetes:               # EndpointSlices of a Service, watched (see KubernetesSourceSection)
 *       namespace: ml
 *       service: tfserving
 * models:                       # required, at least one
 *   - name: resnet              # required, unique, [A-Za-z0-9_.-]+
 *     version: 2                # optional: pin one version (>= 0)
 *     label: stable             # optional: pin a label; not with version; must be a key of labels
 *     labels: {stable: 1, canary: 2}   # optional, mirrors TF Serving's version_labels
 * probe:                        # optional; every key optional, defaults = ProbeConfig.defaults()
 *   intervalMs: 1000            # > 0; every ...Ms key is at most 86400000 (one day)
 *   timeoutMs: 500              # > 0 and <= intervalMs
 *   healthyThreshold: 1         # >= 1
 *   unhealthyThreshold: 2       # >= 1
 *   stalenessMs: 5000           # >= intervalMs + timeoutMs
 *   maxConcurrency: 256         # >= 1
 *   jitter: 0.1                 # 0 to 0.5
 *   startupTimeoutMs: 10000     # > 0
 *   urgentIntervalMs: 100       # > 0 and <= intervalMs
 * listen:                       # optional
 *   grpc: 127.0.0.1:8081        # host:port, port 0..65535 (0 = any free port); [::1]:8081 for IPv6
 *   http: 127.0.0.1:8080
 * }</pre>
 *
 * <p>Rules: unknown keys are errors at every level; types are strict (a quoted {@code "8500"} is
 * not a port, {@code 2.0} is not an integer); a null value ({@code host:} with nothing after it)
 * is an error, except that a map section left empty ({@code probe:}, {@code listen:} or
 * {@code labels:} with every entry commented out) counts as empty. The file holds one YAML
 * document; duplicate keys and aliases ({@code *name}) are rejected. Listen host names are
 * resolved when the file is loaded; {@code xds.envoyListener} must be an IP address, since Envoy
 * binds it; no two listen addresses may share a port on overlapping hosts.
 *
 * <p>Error messages read {@code <file>: <where>: <what>}, where {@code <file>} is the path exactly
 * as the caller gave it (as compilers do, so an operator with several files sees which one) and
 * {@code <where>} is a field path with dots and {@code [index]} ({@code replicas[1].id}) or, for a
 * YAML syntax error, {@code line L, column C}. Keys are checked in document order and the first
 * error is reported, so a file always gives the same error.
 *
 * <p>Limits: a file of at most {@value #MAX_FILE_BYTES} bytes (read no further, so
 * {@code /dev/zero} or an endless pipe is refused, not buffered), lists and maps nested at most
 * {@value YamlReader#MAX_DEPTH} deep, names and labels at most {@value Names#MAX_LENGTH}
 * characters, hosts at most {@value Hosts#MAX_NAME_LENGTH}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigLoader {
  /** The largest configuration file read: 1 MiB, a thousand times the size of a large one. */
  public static final int MAX_FILE_BYTES = 1024 * 1024;

  private ConfigLoader() {}

  /**
   * Loads the configuration file at {@code file} (UTF-8).
   *
   * @throws ConfigException if the file cannot be read or is not a valid configuration
   */
  public static ModelgateConfig load(Path file) {
    String fileName = file.toString();
    String yaml;
    try {
      yaml = read(fileName, file);
    } catch (IOException e) {
      throw new ConfigException(fileName, "", "cannot read: " + readFailure(e));
    }
    return parse(fileName, yaml);
  }

  /** The file's text, reading at most one byte past the limit. */
  private static String read(String fileName, Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw tooLarge(fileName);
    }
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  static ConfigException tooLarge(String fileName) {
    return new ConfigException(
        fileName, "", "the file is larger than " + MAX_FILE_BYTES + " bytes (1 MiB), the limit");
  }

  /**
   * Parses configuration text.
   *
   * @param fileName how error messages name the input
   * @throws ConfigException if {@code yaml} is not a valid configuration
   */
  public static ModelgateConfig parse(String fileName, String yaml) {
    if (yaml.length() > MAX_FILE_BYTES) {
      throw tooLarge(fileName);
    }
    JsonNode tree = YamlReader.read(fileName, yaml);
    if (tree.isMissingNode()) {
      String keys = String.join(", ", ConfigBinder.KEYS);
      throw new ConfigException(
          fileName, "", "the file is empty (expected a map with keys: " + keys + ")");
    }
    return ConfigBinder.bind(ConfigNode.root(fileName, tree));
  }

  private static String readFailure(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof CharacterCodingException) {
      return "not valid UTF-8";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}

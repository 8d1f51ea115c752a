package io.modelgate.routing;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Names of the Envoy clusters modelgate generates, built and parsed in one place so that the
 * clusters, load assignments and routes it serves, and the passive observer that reads a try's
 * cluster back, cannot disagree. A model has one cluster per upstream protocol, {@code
 * modelgate/<model>/grpc|rest}, plus one per protocol and version for requests that name a
 * version (or a label resolved to one), {@code modelgate/<model>/v<n>/grpc|rest}. Model names have
 * no '/' (config names are {@code [A-Za-z0-9_.-]+}). Stateless.
 */
public final class ClusterNames {
  /** The cluster through which Envoy reaches modelgate's ext_proc service: no model's. */
  public static final String EXTPROC = "modelgate/extproc";

  private static final String PREFIX = "modelgate/";

  private ClusterNames() {}

  public static String model(String model, Upstream upstream) {
    return PREFIX + model + "/" + upstream.suffix();
  }

  public static String version(String model, long version, Upstream upstream) {
    return PREFIX + model + "/v" + version + "/" + upstream.suffix();
  }

  /**
   * The model cluster {@code cluster} names, or empty when it is not a name {@link #model} or
   * {@link #version} builds (the ext_proc cluster, someone else's cluster).
   */
  public static Optional<ModelCluster> parse(String cluster) {
    if (!cluster.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] parts = cluster.substring(PREFIX.length()).split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
      return Optional.empty();
    }
    Optional<Upstream> upstream = Upstream.bySuffix(parts[parts.length - 1]);
    if (upstream.isEmpty()) {
      return Optional.empty();
    }
    if (parts.length == 2) {
      return Optional.of(new ModelCluster(parts[0], OptionalLong.empty(), upstream.get()));
    }
    OptionalLong version = version(parts[1]);
    return version.isPresent()
        ? Optional.of(new ModelCluster(parts[0], version, upstream.get()))
        : Optional.empty();
  }

  /** {@code v<n>} as {@link #version} writes it: decimal, no sign, no leading zero. */
  private static OptionalLong version(String part) {
    String digits = part.startsWith("v") ? part.substring(1) : "";
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return OptionalLong.empty();
    }
    try {
      long version = Long.parseLong(digits);
      return Long.toString(version).equals(digits) ? OptionalLong.of(version) : OptionalLong.empty();
    } catch (NumberFormatException tooLong) {
      return OptionalLong.empty();
    }
  }

  /** What a model cluster's name says: the model, the version if the cluster is a version's. */
  public record ModelCluster(String model, OptionalLong version, Upstream upstream) {
    /** The cluster's name. */
    public String name() {
      return version.isPresent()
          ? ClusterNames.version(model, version.getAsLong(), upstream)
          : ClusterNames.model(model, upstream);
    }
  }

  /** Which TF Serving port a cluster reaches. */
  public enum Upstream {
    GRPC("grpc"),
    REST("rest");

    private final String suffix;

    Upstream(String suffix) {
      this.suffix = suffix;
    }

    String suffix() {
      return suffix;
    }

    private static Optional<Upstream> bySuffix(String suffix) {
      for (Upstream upstream : values()) {
        if (upstream.suffix.equals(suffix)) {
          return Optional.of(upstream);
        }
      }
      return Optional.empty();
    }
  }
}

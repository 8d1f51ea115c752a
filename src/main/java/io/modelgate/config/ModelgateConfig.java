package io.modelgate.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A validated modelgate configuration: what to probe, how, and where to serve. Replicas are the
 * static {@code replicas} list plus whatever the {@code sources} discover. {@code xds} and
 * {@code extProc} matter in control-plane mode only.
 */
public record ModelgateConfig(
    List<ReplicaConfig> replicas,
    List<ModelConfig> models,
    ProbeConfig probe,
    ListenConfig listen,
    XdsConfig xds,
    ExtProcConfig extProc,
    List<SourceConfig> sources) {
  /** The id of the one replica of a sidecar configuration. */
  public static final String SIDECAR_REPLICA_ID = "local";

  public ModelgateConfig {
    replicas = List.copyOf(replicas);
    models = List.copyOf(models);
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(xds, "xds");
    Objects.requireNonNull(extProc, "extProc");
    sources = List.copyOf(sources);
  }

  /** A configuration whose replicas are only the static list. */
  public ModelgateConfig(
      List<ReplicaConfig> replicas,
      List<ModelConfig> models,
      ProbeConfig probe,
      ListenConfig listen,
      XdsConfig xds,
      ExtProcConfig extProc) {
    this(replicas, models, probe, listen, xds, extProc, List.of());
  }

  /** A configuration without the gateway filter (tests and configurations built in code). */
  public ModelgateConfig(
      List<ReplicaConfig> replicas,
      List<ModelConfig> models,
      ProbeConfig probe,
      ListenConfig listen,
      XdsConfig xds) {
    this(replicas, models, probe, listen, xds, ExtProcConfig.disabled());
  }

  /** A configuration with the default xDS settings (sidecars and tests that serve no xDS). */
  public ModelgateConfig(
      List<ReplicaConfig> replicas, List<ModelConfig> models, ProbeConfig probe, ListenConfig listen) {
    this(replicas, models, probe, listen, XdsConfig.defaults());
  }

  /**
   * The configuration of {@code modelgate sidecar --target host:port --model a --model b}: one
   * replica with id {@value #SIDECAR_REPLICA_ID}, probed with {@code protocol} on the target's
   * port (the other port keeps its default, 8500 for gRPC or 8501 for REST), and every model
   * unpinned.
   *
   * @param target {@code host:port} of the local TF Serving, port 1..65535; IPv6 in brackets
   * @throws ConfigException naming {@code --target} or {@code --model} when one is not valid
   */
  public static ModelgateConfig forSidecar(
      String target,
      List<String> models,
      Protocol protocol,
      ProbeConfig probe,
      ListenConfig listen) {
    HostPort hostPort =
        HostPort.read(target, /* minPort= */ 1, reason -> new ConfigException(null, "--target", reason));
    int grpcPort = protocol == Protocol.GRPC ? hostPort.port() : ReplicaSection.DEFAULT_GRPC_PORT;
    int restPort = protocol == Protocol.REST ? hostPort.port() : ReplicaSection.DEFAULT_REST_PORT;
    ReplicaConfig replica =
        new ReplicaConfig(SIDECAR_REPLICA_ID, hostPort.host(), grpcPort, restPort, protocol);
    return new ModelgateConfig(List.of(replica), sidecarModels(models), probe, listen);
  }

  private static List<ModelConfig> sidecarModels(List<String> names) {
    if (names.isEmpty()) {
      throw new ConfigException(null, "--model", "must be given at least once");
    }
    Set<String> seen = new HashSet<>();
    List<ModelConfig> models = new ArrayList<>();
    for (String name : names) {
      if (!Names.isValid(name)) {
        throw new ConfigException(null, "--model", Names.invalid(name));
      }
      if (!seen.add(name)) {
        throw new ConfigException(null, "--model", "duplicate model name '" + name + "'");
      }
      models.add(ModelConfig.any(name));
    }
    return models;
  }
}

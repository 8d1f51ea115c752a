package io.modelgate.app;

import io.modelgate.config.ConfigLoader;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code modelgate sidecar}: modelgate for one local TF Serving replica, so that a Kubernetes
 * gRPC or HTTP readiness probe, or Envoy's {@code grpc_health_check}, reports whether the models
 * are really loaded there.
 */
@Command(
    name = "sidecar",
    description = "Report model readiness of one local TF Serving over grpc.health.v1 and HTTP.",
    mixinStandardHelpOptions = true)
public final class SidecarCommand implements Callable<Integer> {

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--config", description = "A modelgate YAML file (one replica).")
    Path config;

    @ArgGroup(exclusive = false)
    Flags flags;
  }

  static final class Flags {
    @Option(
        names = "--target",
        required = true,
        description = "host:port of the local TF Serving (its gRPC port, or REST with --protocol rest).")
    String target;

    @Option(names = "--model", required = true, description = "A model to report; repeat for more.")
    List<String> models;

    @Option(names = "--protocol", defaultValue = "grpc", description = "grpc or rest (default ${DEFAULT-VALUE}).")
    String protocol;

    @Option(
        names = "--grpc-listen",
        defaultValue = "0.0.0.0:8081",
        description = "grpc.health.v1 address (default ${DEFAULT-VALUE}: kubelet probes the pod IP).")
    String grpcListen;

    @Option(names = "--http-listen", defaultValue = "0.0.0.0:8080", description = "/healthz and /readyz address (default ${DEFAULT-VALUE}).")
    String httpListen;
  }

  @Override
  public Integer call() {
    ModelgateServer.ListenFields fields =
        source.config != null
            ? ModelgateServer.ListenFields.FILE
            : new ModelgateServer.ListenFields("--grpc-listen", "--http-listen");
    return ModelgateServer.runUntilShutdown(this::config, ModelgateServer.Mode.SIDECAR, fields);
  }

  private ModelgateConfig config() {
    if (source.config != null) {
      return ConfigLoader.load(source.config);
    }
    Flags flags = source.flags;
    ListenConfig listen =
        new ListenConfig(
            ListenConfig.parseOption("--grpc-listen", flags.grpcListen),
            ListenConfig.parseOption("--http-listen", flags.httpListen));
    return ModelgateConfig.forSidecar(
        flags.target, flags.models, protocol(flags.protocol), ProbeConfig.defaults(), listen);
  }

  private static Protocol protocol(String value) {
    return switch (value) {
      case "grpc" -> Protocol.GRPC;
      case "rest" -> Protocol.REST;
      default -> throw new io.modelgate.config.ConfigException(
          null, "--protocol", "expected grpc or rest, got \"" + value + "\"");
    };
  }
}

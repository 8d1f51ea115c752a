package io.modelgate.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code modelgate control-plane --config modelgate.yaml}: probe every replica, serve health and
 * xDS; the file is reloaded when it changes or on SIGHUP.
 */
@Command(
    name = "control-plane",
    description = "Probe every configured TF Serving replica and serve model readiness.",
    mixinStandardHelpOptions = true)
public final class ControlPlaneCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "The modelgate YAML file.")
  Path config;

  @Override
  public Integer call() {
    return ModelgateServer.runUntilShutdown(config, ModelgateServer.Mode.CONTROL_PLANE);
  }
}

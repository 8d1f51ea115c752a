package io.modelgate;

import io.modelgate.app.ControlPlaneCommand;
import io.modelgate.app.SidecarCommand;
import io.modelgate.demo.DemoCommand;
import io.modelgate.simulator.SimulateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code modelgate} command line: one subcommand per way to run modelgate. */
@Command(
    name = "modelgate",
    mixinStandardHelpOptions = true,
    subcommands = {ControlPlaneCommand.class, SidecarCommand.class, SimulateCommand.class, DemoCommand.class},
    description = "Keeps Envoy traffic on TensorFlow Serving replicas that have the model loaded.")
public final class Main implements Runnable {
  private static final String HTTP_SERVER_NODELAY = "sun.net.httpserver.nodelay";

  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  public static void main(String[] args) {
    if (System.getProperty(HTTP_SERVER_NODELAY) == null) {
      // Every HTTP server here (admin, health, the simulator's REST port) is the JDK's, which
      // writes headers and body separately with Nagle on: with delayed ACKs that adds ~40 ms to
      // answers (demo p99 ~50 ms, 6-13 ms without). The JDK reads this once, before any server.
      System.setProperty(HTTP_SERVER_NODELAY, "true");
    }
    System.exit(new CommandLine(new Main()).execute(args));
  }
}

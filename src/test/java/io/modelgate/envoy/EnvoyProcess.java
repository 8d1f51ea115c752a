package io.modelgate.envoy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import io.modelgate.demo.DemoSetupException;
import io.modelgate.demo.EnvoyLauncher;

/**
 * A real Envoy process for integration tests, started by the demo's {@link EnvoyLauncher} from the
 * project's own bootstrap file with its ports rewritten to free loopback ports. Under CI ({@code CI=true}) a missing {@code envoy}
 * binary fails the test loudly; elsewhere too, with the command that installs it.
 */
public final class EnvoyProcess implements AutoCloseable {
  private static final HttpClient http = HttpClient.newHttpClient();

  private final EnvoyLauncher launcher;

  private EnvoyProcess(EnvoyLauncher launcher) {
    this.launcher = launcher;
  }

  /** How Envoy speaks ADS: the shipped bootstraps use incremental. */
  public enum Ads {
    DELTA,
    STATE_OF_THE_WORLD
  }

  /** Starts Envoy with {@code envoy/bootstrap-local.yaml}, pointed at an xDS server on {@code xdsPort}. */
  public static EnvoyProcess startWithAds(int xdsPort) throws IOException {
    return startWithAds(xdsPort, Ads.DELTA);
  }

  /** As {@link #startWithAds(int)}, speaking ADS as {@code ads} says. */
  public static EnvoyProcess startWithAds(int xdsPort, Ads ads) throws IOException {
    try {
      Path binary = EnvoyLauncher.findBinary(Optional.empty(), System.getenv().getOrDefault("PATH", ""));
      int adminPort = freePort();
      String bootstrap = EnvoyLauncher.rewriteBootstrap(Path.of("envoy/bootstrap-local.yaml"), xdsPort, adminPort);
      if (ads == Ads.STATE_OF_THE_WORLD) {
        bootstrap = bootstrap.replace("api_type: DELTA_GRPC", "api_type: GRPC");
      }
      return new EnvoyProcess(EnvoyLauncher.startWithConfig(binary, bootstrap, adminPort));
    } catch (DemoSetupException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  public int adminPort() {
    return launcher.adminPort();
  }

  /** GET on Envoy's admin interface; the body, or an exception if Envoy is not answering. */
  public String admin(String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + launcher.adminPort() + path))
            .timeout(Duration.ofSeconds(2))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** True once Envoy's admin /ready says LIVE, i.e. it has its initial xDS configuration. */
  public boolean ready() {
    try {
      return admin("/ready").trim().equals("LIVE");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public String log() throws IOException {
    return Files.readString(launcher.log());
  }

  @Override
  public void close() {
    launcher.close();
  }
}

package io.modelgate.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A real Kubernetes API server for integration tests: Debian's {@code etcd} and a {@code
 * kube-apiserver} built by {@code src/test/kube/build-apiserver.sh}, both on free 127.0.0.1 ports
 * with their data, certificates and logs in one temporary directory. Clients authenticate with a
 * static bearer token and may do anything (AlwaysAllow); {@link #kubeconfig()} names a kubeconfig
 * file that says so. The API server can be stopped and started again on the same port and etcd
 * ({@link #stopApiServer()}, {@link #startApiServer()}) to test an outage; its objects survive.
 *
 * <p>A missing binary fails {@link #start()} with the command that installs it (under CI, where
 * {@code .ci/test} runs that command, this means the CI script is broken). Not thread-safe: one
 * test drives it. {@link #close()} stops both processes and deletes the directory; a shutdown hook
 * stops them too if the test JVM exits first, so no process outlives the test run.
 */
public final class KubeApiServer implements AutoCloseable {
  public static final String KUBE_VERSION = "v1.34.2";
  private static final String BUILD_SCRIPT = "src/test/kube/build-apiserver.sh";
  private static final String TOKEN = "modelgate-test-" + UUID.randomUUID();
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final String LOOPBACK = "127.0.0.1";

  private final Path dir;
  private final Path apiserverBinary;
  private final int etcdPort;
  private final int apiserverPort;
  private final HttpClient http;
  private final Thread shutdownHook = new Thread(this::stopProcesses, "kube-apiserver-fixture-stop");
  private Process etcd;
  private Process apiserver;
  private Path kubeconfig;

  private KubeApiServer(Path dir, Path apiserverBinary) throws IOException {
    this.dir = dir;
    this.apiserverBinary = apiserverBinary;
    this.etcdPort = freePort();
    this.apiserverPort = freePort();
    this.http =
        HttpClient.newBuilder()
            .sslContext(trustingContext())
            .connectTimeout(Duration.ofSeconds(2))
            .build();
  }

  /** Starts etcd and the API server and returns once {@code /readyz} answers ok. */
  public static KubeApiServer start() throws IOException {
    Path binary = apiserverBinary();
    requireEtcd();
    Path dir = Files.createTempDirectory("modelgate-kube-");
    KubeApiServer server = new KubeApiServer(dir, binary);
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    try {
      server.writeCredentials();
      server.startEtcd();
      server.startApiServer();
      server.writeKubeconfig();
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The kubeconfig file of a client that may do anything (token auth, the server's own CA). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** {@code https://127.0.0.1:<port>}, the same across a stop and start. */
  public String url() {
    return "https://" + LOOPBACK + ":" + apiserverPort;
  }

  /** Stops the API server (SIGTERM, then SIGKILL); etcd and every object stored stay. */
  public void stopApiServer() {
    stop(apiserver);
    apiserver = null;
  }

  /** Starts the API server on its port and etcd, and returns once {@code /readyz} answers ok. */
  public void startApiServer() throws IOException {
    if (apiserver != null && apiserver.isAlive()) {
      throw new IllegalStateException("the API server is running already");
    }
    List<String> command =
        List.of(
            apiserverBinary.toString(),
            "--etcd-servers=http://" + LOOPBACK + ":" + etcdPort,
            "--bind-address=" + LOOPBACK,
            "--secure-port=" + apiserverPort,
            "--cert-dir=" + dir.resolve("certs"),
            "--token-auth-file=" + dir.resolve("tokens.csv"),
            // RBAC, so the manifests' Role can be proved; the fixture's own token is a master.
            "--authorization-mode=Node,RBAC",
            // Inside a network namespace with only lo there is no default route to pick an
            // address from; an address of the namespace's benchmark range works there and here.
            "--advertise-address=198.18.0.1",
            "--service-account-issuer=https://kubernetes.default.svc",
            "--service-account-key-file=" + dir.resolve("sa.pub"),
            "--service-account-signing-key-file=" + dir.resolve("sa.key"),
            "--service-cluster-ip-range=10.96.0.0/16",
            // It would write this server's 127.0.0.1 into the Endpoints of the "kubernetes"
            // Service, which the API server refuses (loopback), and log that every 10 s.
            "--endpoint-reconciler-type=none");
    apiserver = launch(command, dir.resolve("kube-apiserver.log"));
    awaitReady("kube-apiserver", apiserver, dir.resolve("kube-apiserver.log"), this::apiserverReady);
  }

  /** Stops both processes and deletes the directory, logs included. Idempotent. */
  @Override
  public void close() {
    stopProcesses();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs or ran already.
    }
    deleteRecursively(dir);
  }

  private synchronized void stopProcesses() {
    stop(apiserver);
    apiserver = null;
    stop(etcd);
    etcd = null;
  }

  private static Path apiserverBinary() {
    String override = System.getenv("MODELGATE_KUBE_APISERVER");
    Path binary =
        override != null
            ? Path.of(override)
            : Path.of(System.getProperty("user.home"), ".cache/modelgate/kube", KUBE_VERSION, "kube-apiserver");
    if (!Files.isExecutable(binary)) {
      throw missing("kube-apiserver " + KUBE_VERSION + " is not at " + binary);
    }
    return binary;
  }

  private static void requireEtcd() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String entry : path.split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "etcd"))) {
        return;
      }
    }
    throw missing("etcd is not on PATH");
  }

  private static IllegalStateException missing(String what) {
    String how = "run `bash " + BUILD_SCRIPT + "` (as root: it apt-get installs etcd-server, and builds"
        + " kube-apiserver into ~/.cache/modelgate/kube in a few minutes, once)";
    if ("true".equals(System.getenv("CI"))) {
      return new IllegalStateException(what + " although CI=true: .ci/test must " + how + " before the tests");
    }
    return new IllegalStateException(what + ": " + how);
  }

  private void writeCredentials() throws IOException {
    Files.createDirectories(dir.resolve("certs"));
    Files.writeString(dir.resolve("tokens.csv"), TOKEN + ",modelgate-test,modelgate-test,system:masters\n");
    KeyPair keys;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048, new SecureRandom());
      keys = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a service-account key", e);
    }
    writePrivate(dir.resolve("sa.key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    Files.writeString(dir.resolve("sa.pub"), pem("PUBLIC KEY", keys.getPublic().getEncoded()));
  }

  private void startEtcd() throws IOException {
    int peerPort = freePort();
    String client = "http://" + LOOPBACK + ":" + etcdPort;
    String peer = "http://" + LOOPBACK + ":" + peerPort;
    List<String> command =
        List.of(
            "etcd",
            "--name=modelgate-test",
            "--data-dir=" + dir.resolve("etcd"),
            "--listen-client-urls=" + client,
            "--advertise-client-urls=" + client,
            "--listen-peer-urls=" + peer,
            "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=modelgate-test=" + peer,
            "--log-level=warn");
    etcd = launch(command, dir.resolve("etcd.log"));
    URI health = URI.create(client + "/health");
    awaitReady("etcd", etcd, dir.resolve("etcd.log"), () -> get(health, false).contains("\"health\":\"true\""));
  }

  /** The server writes its self-signed CA and certificate into the cert dir when it starts. */
  private void writeKubeconfig() throws IOException {
    byte[] ca = Files.readAllBytes(dir.resolve("certs").resolve("apiserver.crt"));
    String yaml =
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: test",
            "  cluster:",
            "    server: " + url(),
            "    certificate-authority-data: " + Base64.getEncoder().encodeToString(ca),
            "users:",
            "- name: test",
            "  user:",
            "    token: " + TOKEN,
            "contexts:",
            "- name: test",
            "  context:",
            "    cluster: test",
            "    user: test",
            "    namespace: default",
            "current-context: test",
            "");
    kubeconfig = dir.resolve("kubeconfig");
    writePrivate(kubeconfig, yaml);
  }

  private boolean apiserverReady() {
    return get(URI.create(url() + "/readyz"), true).equals("ok");
  }

  private String get(URI uri, boolean withToken) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2));
    if (withToken) {
      request.header("Authorization", "Bearer " + TOKEN);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body().trim();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private interface Check {
    boolean ok();
  }

  private static void awaitReady(String what, Process process, Path log, Check ready) throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!ready.ok()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(what + " exited with " + process.exitValue() + ":\n" + tail(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " not ready after " + READY_TIMEOUT.toSeconds() + " s:\n" + tail(log));
      }
      try {
        // Polling a process that is starting: there is no event to wait for.
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }

  private static Process launch(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static void stop(Process process) {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return socket.getLocalPort();
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static void writePrivate(Path file, String text) throws IOException {
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text);
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  /**
   * Trusts whatever certificate the server shows: only for the fixture's own readiness poll of
   * the server it just started on loopback (clients get the CA through the kubeconfig).
   */
  private static SSLContext trustingContext() {
    TrustManager trustAll =
        new X509ExtendedTrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS context", e);
    }
  }
}

package io.modelgate.sources;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real DNS server for tests: Debian's dnsmasq, on a free port of 127.0.0.1, answering for one
 * zone (a name of the zone without records is NXDOMAIN) from a hosts file this class writes and
 * dnsmasq re-reads on SIGHUP. It can be stopped (its port then refuses queries) and started again
 * on the same port, and made to answer SERVFAIL without a restart: on SIGHUP dnsmasq also re-reads
 * its servers file, which then forwards the zone to an upstream (a second dnsmasq) whose unsigned
 * answers fail the DNSSEC validation the first one does. Queries are logged, so a test can count
 * them.
 *
 * <p>Under CI ({@code CI=true}) a missing dnsmasq fails the test loudly; elsewhere too, with the
 * command that installs it. Not thread-safe: one test drives it. Close stops both processes and
 * deletes the files.
 */
public final class DnsServer implements AutoCloseable {
  /** The root zone's DS record (KSK-2017): any trust anchor makes unsigned answers BOGUS. */
  private static final String ROOT_TRUST_ANCHOR =
      ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
  private static final Duration STARTUP = Duration.ofSeconds(10);

  private final Path binary;
  private final Path dir;
  private final Path hosts;
  private final Path servers;
  private final Path log;
  private final String zone;
  private final List<String> namesWithoutAddresses;
  private final int port;
  private final Map<String, List<String>> records = new TreeMap<>();
  private Process process;
  private Process upstream;
  private int upstreamPort;
  private boolean failing;

  private DnsServer(Path binary, Path dir, String zone, List<String> namesWithoutAddresses, int port) {
    this.binary = binary;
    this.dir = dir;
    this.hosts = dir.resolve("hosts");
    this.servers = dir.resolve("servers");
    this.log = dir.resolve("dnsmasq.log");
    this.zone = zone;
    this.namesWithoutAddresses = namesWithoutAddresses;
    this.port = port;
  }

  /**
   * Starts dnsmasq answering for {@code zone}, with no address records yet.
   *
   * @param namesWithoutAddresses names of the zone that exist (a TXT record) whatever their
   *     addresses: with none, they answer NOERROR without records rather than NXDOMAIN
   */
  public static DnsServer start(String zone, String... namesWithoutAddresses) throws IOException {
    Path binary = findBinary();
    Path dir = Files.createTempDirectory("modelgate-dns");
    IOException lastFailure = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      // A free port can be taken by someone else before dnsmasq binds it: try another one.
      DnsServer server = new DnsServer(binary, dir, zone, List.of(namesWithoutAddresses), freePort());
      try {
        server.answerNormally();
        return server;
      } catch (IOException e) {
        server.stop();
        lastFailure = e;
      }
    }
    deleteRecursively(dir);
    throw lastFailure;
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /**
   * Makes {@code addresses} the A and AAAA records of {@code name} (none: the name is gone) and
   * returns once dnsmasq has re-read them (while it answers SERVFAIL, they wait for {@link
   * #answerNormally}).
   */
  public void set(String name, String... addresses) throws IOException {
    if (addresses.length == 0) {
      records.remove(name);
    } else {
      records.put(name, List.of(addresses));
    }
    if (!failing) {
      reload();
    }
  }

  /** Stops dnsmasq: its port then answers every query with ICMP port unreachable. */
  public void stop() {
    if (process != null) {
      end(process);
      process = null;
    }
  }

  /** Answers from the records again, starting dnsmasq on the same port if it was stopped. */
  public void answerNormally() throws IOException {
    failing = false;
    if (process == null) {
      writeFiles();
      process = launch(port, answeringArgs(), log);
    } else {
      reload();
    }
  }

  /** Makes every name of the zone answer SERVFAIL, from now until {@link #answerNormally}. */
  public void answerServerFailure() throws IOException {
    if (upstream == null) {
      upstreamPort = freePort();
      upstream = launch(upstreamPort, List.of("--local=/" + zone + "/"), dir.resolve("upstream.log"));
    }
    failing = true;
    reload();
  }

  /** How many {@code type} queries for {@code name} dnsmasq has received on its port so far. */
  public long queries(String type, String name) {
    String query = "query[" + type + "] " + name + " from ";
    return logLines().filter(line -> line.contains(query)).count();
  }

  @Override
  public void close() {
    stop();
    if (upstream != null) {
      end(upstream);
      upstream = null;
    }
    deleteRecursively(dir);
  }

  /** Starts a dnsmasq on {@code listenPort} and returns once it accepts connections there. */
  private Process launch(int listenPort, List<String> extraArgs, Path logFile) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--no-daemon", // also keeps it from dropping privileges and writing a pid file
                "--conf-file=/dev/null",
                "--port=" + listenPort,
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--log-facility=-",
                "--log-queries"));
    args.addAll(extraArgs);
    Process started =
        new ProcessBuilder(args)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();
    try {
      await("dnsmasq listening on port " + listenPort)
          .atMost(STARTUP)
          .pollInterval(Duration.ofMillis(10))
          .until(() -> !started.isAlive() || accepts(listenPort));
    } catch (ConditionTimeoutException e) {
      end(started);
      throw new IOException("dnsmasq did not listen on port " + listenPort + " within " + STARTUP);
    }
    if (!started.isAlive()) {
      throw new IOException("dnsmasq exited with " + started.exitValue() + ": " + Files.readString(logFile));
    }
    return started;
  }

  private static boolean accepts(int listenPort) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 100);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  private List<String> answeringArgs() {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--addn-hosts=" + hosts,
                "--servers-file=" + servers,
                "--dnssec",
                "--trust-anchor=" + ROOT_TRUST_ANCHOR));
    for (String name : namesWithoutAddresses) {
      args.add("--txt-record=" + name + ",modelgate-test");
    }
    return args;
  }

  /**
   * Answering: the zone is local ({@code server=/zone/}, as {@code --local}) and the hosts file
   * holds the records. Failing: no records, and everything is forwarded to the upstream. A
   * forward for the zone only ({@code server=/zone/...}) would not be validated, hence all.
   */
  private void writeFiles() throws IOException {
    StringBuilder text = new StringBuilder();
    if (!failing) {
      records.forEach((name, addresses) -> addresses.forEach(a -> text.append(a).append(' ').append(name).append('\n')));
    }
    Files.writeString(hosts, text);
    Files.writeString(servers, failing ? "server=127.0.0.1#" + upstreamPort + "\n" : "server=/" + zone + "/\n");
  }

  /** Rewrites the files and has dnsmasq re-read them (SIGHUP), returning once it has. */
  private void reload() throws IOException {
    writeFiles();
    if (process == null) {
      return;
    }
    long readsBefore = hostsReads();
    signal(process, "HUP");
    // dnsmasq re-reads the hosts file, then the servers file, in one step before its next query.
    await("dnsmasq re-reading " + hosts)
        .atMost(STARTUP)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> hostsReads() > readsBefore);
  }

  private long hostsReads() {
    String read = "read " + hosts + " - ";
    return logLines().filter(line -> line.contains(read)).count();
  }

  private Stream<String> logLines() {
    try {
      return Files.exists(log) ? Files.readAllLines(log).stream() : Stream.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void signal(Process process, String signal) throws IOException {
    try {
      int exit = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).start().waitFor();
      if (exit != 0) {
        throw new IOException("kill -s " + signal + " " + process.pid() + " exited with " + exit);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling dnsmasq", e);
    }
  }

  private static void end(Process process) {
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

  /** A port free for both TCP and UDP on 127.0.0.1 (dnsmasq binds both). */
  private static int freePort() throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          DatagramSocket udp = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress())) {
        return udp.getLocalPort();
      } catch (IOException udpTaken) {
        // that port is taken for UDP: try another
      }
    }
    throw new IOException("no port free for both TCP and UDP on 127.0.0.1");
  }

  private static Path findBinary() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin")); // dnsmasq lives in sbin, off a non-root PATH
    Optional<Path> found =
        dirs.stream()
            .filter(d -> !d.isEmpty())
            .map(d -> Path.of(d, "dnsmasq"))
            .filter(Files::isExecutable)
            .findFirst();
    if (found.isPresent()) {
      return found.get();
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "dnsmasq is missing under CI=true: .ci/test must install Debian's dnsmasq-base before the"
              + " tests run");
    }
    throw new IllegalStateException(
        "dnsmasq is missing: the DNS source tests need a real DNS server; install it with"
            + " `sudo apt-get install -y dnsmasq-base` (or run .ci/test)");
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is not worth failing a test for
    }
  }
}

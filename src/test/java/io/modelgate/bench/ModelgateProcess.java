package io.modelgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A modelgate command ({@code control-plane} or {@code sidecar}) in its own JVM, so that its CPU
 * time and memory can be read from /proc apart from the benchmark's. Started with the benchmark's
 * classpath; {@link #close} stops it.
 */
public final class ModelgateProcess implements AutoCloseable {
  private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

  private final Process process;
  private final Path log;

  private ModelgateProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code io.modelgate.Main args} and waits until {@code /healthz} on httpPort answers. */
  static ModelgateProcess start(List<String> args, int httpPort) throws IOException, InterruptedException {
    return start(List.of("-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"), args, httpPort);
  }

  /** The same, with these JVM options (heap size, log level) instead of the benchmarks' own. */
  public static ModelgateProcess start(List<String> jvmOptions, List<String> args, int httpPort)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("modelgate-bench", ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.modelgate.Main");
    command.addAll(args);
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ModelgateProcess started = new ModelgateProcess(process, log);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("modelgate " + args + " exited: " + Files.readString(log));
      }
      try {
        HttpResponse<String> health =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz"))
                    .timeout(Duration.ofSeconds(1))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          return started;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        String output = Files.readString(log);
        started.close();
        throw new IllegalStateException("modelgate " + args + " not healthy after 30 s: " + output);
      }
      Thread.sleep(100);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Everything the process wrote to stdout and stderr so far. */
  public String output() throws IOException {
    return Files.readString(log);
  }

  /** User plus system CPU time used so far, in seconds. */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS_PER_SECOND;
  }

  /** Resident set size now, in MiB. */
  double rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  @Override
  public void close() throws InterruptedException {
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temp file left behind
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}

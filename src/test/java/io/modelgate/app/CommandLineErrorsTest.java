package io.modelgate.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Bad input on the command line ends the process with one clear line, never a stack trace. */
class CommandLineErrorsTest {

  private record Run(int exitCode, String stderr) {}

  private static Run run(String... args) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      CommandLine commandLine = new CommandLine(new Main());
      commandLine.setErr(new java.io.PrintWriter(System.err, true));
      int code = commandLine.execute(args);
      return new Run(code, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(original);
    }
  }

  @Test
  void controlPlaneWithInvalidConfigExitsTwoNamingFileFieldAndExpectation(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("modelgate.yaml");
    Files.writeString(file, "replicas:\n  - id: r0\n    host: 127.0.0.1\nmodels:\n  - name: m\nprobe:\n  intervalMs: -5\n");

    Run run = run("control-plane", "--config", file.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr().strip())
        .isEqualTo("modelgate: " + file + ": probe.intervalMs: must be > 0, got -5");
  }

  @Test
  void yamlNestedAThousandLevelsExitsTwoWithOneLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("deep.yaml");
    Files.writeString(file, "replicas: " + "[".repeat(1000) + "]".repeat(1000) + "\n");

    Run run = run("control-plane", "--config", file.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr().strip())
        .isEqualTo("modelgate: " + file + ": line 1, column 43: lists and maps nested more than 32 levels deep");
  }

  @Test
  void configFromDevZeroExitsTwoAtTheSizeLimit() {
    Run run = run("control-plane", "--config", "/dev/zero");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr().strip())
        .isEqualTo("modelgate: /dev/zero: the file is larger than 1048576 bytes (1 MiB), the limit");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"listen.grpc", "listen.http", "xds.listen", "extproc.listen"})
  void portTakenByAnotherProcessExitsOneNamingTheFieldAndAddress(String field, @TempDir Path dir)
      throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      Path file = dir.resolve("modelgate.yaml");
      Files.writeString(
          file,
          "replicas:\n  - id: r0\n    host: 127.0.0.1\n    grpcPort: 1\nmodels:\n  - name: m\n"
              + "listen:\n  grpc: " + (field.equals("listen.grpc") ? address : "127.0.0.1:0") + "\n"
              + "  http: " + (field.equals("listen.http") ? address : "127.0.0.1:0") + "\n"
              + "xds:\n  listen: " + (field.equals("xds.listen") ? address : "127.0.0.1:0") + "\n"
              + "extproc:\n  listen: " + (field.equals("extproc.listen") ? address : "127.0.0.1:0") + "\n");

      Run run = run("control-plane", "--config", file.toString());

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(lastLine(run.stderr()))
          .isEqualTo("modelgate: " + field + " " + address + ": Address already in use");
      assertThat(run.stderr()).doesNotContain("\tat ");
    }
  }

  @Test
  void sidecarPortTakenExitsOneNamingTheOption() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String address = "127.0.0.1:" + taken.getLocalPort();

      Run run =
          run(
              "sidecar", "--target", "127.0.0.1:1", "--model", "m",
              "--grpc-listen", address, "--http-listen", "127.0.0.1:0");

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(lastLine(run.stderr()))
          .isEqualTo("modelgate: --grpc-listen " + address + ": Address already in use");
    }
  }

  @Test
  void controlPlaneWithMissingFileExitsTwo() {
    Run run = run("control-plane", "--config", "/nonexistent/modelgate.yaml");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("/nonexistent/modelgate.yaml: cannot read: no such file");
  }

  @Test
  void sidecarWithBadTargetExitsTwoNamingTheOption() {
    Run run = run("sidecar", "--target", "localhost", "--model", "m");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("--target: expected host:port");
  }

  @Test
  void sidecarWithBadProtocolExitsTwoNamingTheOption() {
    Run run = run("sidecar", "--target", "127.0.0.1:8500", "--model", "m", "--protocol", "http");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("--protocol: expected grpc or rest, got \"http\"");
  }

  @Test
  void sidecarWithoutModelIsAUsageError() {
    Run run = run("sidecar", "--target", "127.0.0.1:8500");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("Missing required");
    assertThat(run.stderr()).doesNotContain("\tat ");
  }

  /** The last line on stderr: the error, after any log lines of servers started and stopped. */
  private static String lastLine(String stderr) {
    String[] lines = stderr.strip().split("\n");
    return lines[lines.length - 1];
  }
}

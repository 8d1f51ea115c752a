package io.modelgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  private static final String FIXTURES = "src/test/resources/config/";

  @Test
  void fullFileLoadsIntoExactRecords() {
    ModelgateConfig config = ConfigLoader.parse("modelgate.yaml", fixture("full.yaml"));

    assertThat(config)
        .isEqualTo(
            new ModelgateConfig(
                List.of(
                    new ReplicaConfig("r0", "10.0.0.1", 9500, 9501, Protocol.REST),
                    new ReplicaConfig(
                        "tfs-1.pool_b", "tfs-1.tfs.default.svc.cluster.local", 8500, 8501, Protocol.GRPC)),
                List.of(
                    new ModelConfig("resnet", OptionalLong.of(2), Optional.empty(), Map.of()),
                    new ModelConfig(
                        "bert", OptionalLong.empty(), Optional.of("stable"), Map.of("stable", 1L, "canary", 2L)),
                    new ModelConfig("mnist", OptionalLong.of(0), Optional.empty(), Map.of())),
                new ProbeConfig(
                    Duration.ofMillis(2000),
                    Duration.ofMillis(300),
                    3,
                    4,
                    Duration.ofMillis(6000),
                    64,
                    0.25,
                    Duration.ofMillis(15000),
                    Duration.ofMillis(250)),
                new ListenConfig(
                    new InetSocketAddress("0.0.0.0", 0), new InetSocketAddress("::1", 9090)),
                new XdsConfig(
                    new InetSocketAddress("127.0.0.1", 19000),
                    new InetSocketAddress("0.0.0.0", 10080),
                    Duration.ofMillis(250),
                    Duration.ofMillis(1500),
                    3,
                    new XdsConfig.RetryBudget(37.5, 64),
                    /* hedgeOnPerTryTimeout= */ true,
                    XdsConfig.NodeGroup.CLUSTER),
                new ExtProcConfig(
                    true,
                    new InetSocketAddress("0.0.0.0", 18101),
                    Optional.of(InetSocketAddress.createUnresolved("modelgate", 18101)),
                    false,
                    Duration.ofMillis(150),
                    2097152,
                    false,
                    Duration.ofMillis(2500),
                    40)));
  }

  @Test
  void aProbeIntervalShorterThanTheUrgentDefaultMakesTheUrgentIntervalTheInterval() {
    String yaml = "replicas:\n  - id: r0\n    host: 127.0.0.1\nmodels:\n  - name: m\nprobe:\n  intervalMs: 50\n  timeoutMs: 40\n";
    ModelgateConfig config = ConfigLoader.parse("modelgate.yaml", yaml);
    assertThat(config.probe().urgentInterval()).isEqualTo(Duration.ofMillis(50));
  }

  @Test
  void omittedKeysTakeTheirDefaults() {
    ModelgateConfig config = ConfigLoader.parse("modelgate.yaml", fixture("minimal.yaml"));

    assertThat(config)
        .isEqualTo(
            new ModelgateConfig(
                List.of(new ReplicaConfig("r0", "127.0.0.1", 8500, 8501, Protocol.GRPC)),
                List.of(ModelConfig.any("resnet")),
                ProbeConfig.defaults(),
                new ListenConfig(
                    new InetSocketAddress("127.0.0.1", 8081), new InetSocketAddress("127.0.0.1", 8080)),
                XdsConfig.defaults(),
                ExtProcConfig.defaults()));
  }

  @Test
  void dnsSourcesLoadWithTheirServersAndDefaults() {
    ModelgateConfig config = ConfigLoader.parse("modelgate.yaml", fixture("dns-source.yaml"));

    assertThat(config.replicas()).isEmpty();
    assertThat(config.sources())
        .containsExactly(
            new DnsSourceConfig(
                "tfs.ml.svc.cluster.local",
                9500,
                9501,
                Protocol.REST,
                Duration.ofMillis(2000),
                List.of(
                    new InetSocketAddress("10.96.0.10", 53),
                    new InetSocketAddress("10.96.0.11", 5353),
                    new InetSocketAddress("fd00::a", 5353),
                    new InetSocketAddress("fd00::b", 53)),
                Duration.ofMillis(30000)),
            new DnsSourceConfig(
                "tfs-canary.ml.svc.cluster.local.",
                8500,
                8501,
                Protocol.GRPC,
                Duration.ofMillis(5000),
                List.of(),
                Duration.ofMillis(10000)));
  }

  @Test
  void loadReadsTheFileAndNamesItAsGiven() {
    Path file = Path.of(FIXTURES + "invalid/negative-interval.yaml");

    assertThat(ConfigLoader.load(Path.of(FIXTURES + "full.yaml")))
        .isEqualTo(ConfigLoader.parse("full.yaml", fixture("full.yaml")));
    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(FIXTURES + "invalid/negative-interval.yaml: probe.intervalMs: must be > 0, got -5");
  }

  @Test
  void missingFileCannotBeRead(@TempDir Path dir) {
    Path file = dir.resolve("absent.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": cannot read: no such file");
  }

  @Test
  void fileThatIsNotUtf8CannotBeRead(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("latin1.yaml");
    Files.write(file, "replicas: [caf\u00e9]".getBytes(StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": cannot read: not valid UTF-8");
  }

  @Test
  void fileLargerThanOneMebibyteIsRefusedAfterReadingOneByteTooMany(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("big.yaml");
    Files.writeString(file, "# " + "x".repeat(ConfigLoader.MAX_FILE_BYTES - 2) + "\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": the file is larger than 1048576 bytes (1 MiB), the limit");
  }

  @Test
  void endlessDeviceIsRefusedAtTheSizeLimit() {
    Path zero = Path.of("/dev/zero");

    assertThatThrownBy(() -> ConfigLoader.load(zero))
        .isInstanceOf(ConfigException.class)
        .hasMessage("/dev/zero: the file is larger than 1048576 bytes (1 MiB), the limit");
  }

  @Test
  void textLargerThanTheLimitIsRefusedByParseToo() {
    String yaml = "# " + "x".repeat(ConfigLoader.MAX_FILE_BYTES);

    assertThatThrownBy(() -> ConfigLoader.parse("modelgate.yaml", yaml))
        .hasMessage("modelgate.yaml: the file is larger than 1048576 bytes (1 MiB), the limit");
  }

  @Test
  void oneMegabyteReplicaHostIsRefusedAtLoadWithAShortMessage() {
    String yaml = "replicas:\n  - id: r0\n    host: " + "a".repeat(1_000_000) + "\n";

    assertThatThrownBy(() -> ConfigLoader.parse("modelgate.yaml", yaml))
        .hasMessage(
            "modelgate.yaml: replicas[0].host: expected a DNS name or an IP address of at most 253"
                + " characters, got 1000000 characters");
  }

  @Test
  void nestingAThousandLevelsDeepIsAConfigErrorNotACrash() {
    String yaml = "replicas: " + "[".repeat(5000) + "]".repeat(5000);

    assertThatThrownBy(() -> ConfigLoader.parse("modelgate.yaml", yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessage("modelgate.yaml: line 1, column 43: lists and maps nested more than 32 levels deep");
  }

  @Test
  void controlCharacterPastTheFirstKibibyteIsPlacedExactly() {
    // SnakeYAML checks characters a buffer at a time; the position must not depend on the buffer.
    String yaml = "# " + "\u00e9\ud83d\ude00".repeat(700) + "\nreplicas:\n  - id: r0\r\n    host: a\u0007b\n";

    assertThatThrownBy(() -> ConfigLoader.parse("modelgate.yaml", yaml))
        .hasMessage(
            "modelgate.yaml: line 4, column 12: control character U+0007 is not allowed in YAML (write it"
                + " as an escape in a double-quoted string)");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("acceptedAddresses")
  void addressesEnvoyAndTheResolverAcceptLoad(String yaml, String field, String written) {
    ModelgateConfig config =
        ConfigLoader.parse(
            "modelgate.yaml", "replicas:\n  - id: r0\n    host: 127.0.0.1\nmodels:\n  - name: m\n" + yaml);

    InetSocketAddress address =
        switch (field) {
          case "xds.envoyListener" -> config.xds().envoyListener();
          case "listen.http" -> config.listen().http();
          default -> throw new IllegalArgumentException(field);
        };
    assertThat(ListenConfig.format(address)).isEqualTo(written);
  }

  static Stream<Arguments> acceptedAddresses() {
    return Stream.of(
        Arguments.of("xds:\n  envoyListener: \"[::]:10000\"\n", "xds.envoyListener", "[::]:10000"),
        Arguments.of("xds:\n  envoyListener: 0.0.0.0:10000\n", "xds.envoyListener", "0.0.0.0:10000"),
        Arguments.of("xds:\n  envoyListener: \"[fd00::1]:10000\"\n", "xds.envoyListener", "[fd00::1]:10000"),
        // Two hosts on one port, or two free ports: no conflict.
        Arguments.of("listen:\n  grpc: 127.0.0.1:9000\n  http: 127.0.0.2:9000\n", "listen.http", "127.0.0.2:9000"),
        Arguments.of("listen:\n  grpc: 0.0.0.0:9000\n  http: \"[::1]:9000\"\n", "listen.http", "[::1]:9000"),
        Arguments.of("listen:\n  grpc: 127.0.0.1:0\n  http: 127.0.0.1:0\n", "listen.http", "127.0.0.1:0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("acceptedHosts")
  void replicaHostsThatAreNamesOrLiteralsLoad(String host) {
    ModelgateConfig config =
        ConfigLoader.parse(
            "modelgate.yaml", "replicas:\n  - id: r0\n    host: \"" + host + "\"\nmodels:\n  - name: m\n");

    assertThat(config.replicas().get(0).host()).isEqualTo(host);
  }

  static Stream<String> acceptedHosts() {
    return Stream.of(
        "tfs-0.tfs.default.svc.cluster.local.",
        "a".repeat(63) + "." + "b".repeat(63),
        "10.0.0.1",
        "::1",
        "fd00::a:1",
        "localhost");
  }

  @Test
  void errorCarriesFileLocationAndReasonApart() {
    ConfigException error = parseError("duplicate-replica-id.yaml");

    assertThat(error.file()).contains("modelgate.yaml");
    assertThat(error.location()).isEqualTo("replicas[1].id");
    assertThat(error.reason()).isEqualTo("duplicate replica id 'r0' (first used by replicas[0])");
    assertThat(error.getStackTrace()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFiles")
  void invalidFileIsRejectedWithExactMessage(String fixture, String message) {
    assertThat(parseError(fixture + ".yaml")).hasMessage("modelgate.yaml: " + message);
  }

  static Stream<Arguments> invalidFiles() {
    return Stream.of(
        Arguments.of("dns-missing-name", "sources[0].dns.name: must be set"),
        Arguments.of("dns-empty", "sources[0].dns: expected a map, got null"),
        Arguments.of(
            "dns-name-is-ip",
            "sources[0].dns.name: expected a DNS name, got the IP address \"10.0.0.1\" (list a fixed"
                + " address under replicas)"),
        Arguments.of(
            "dns-name-underscore",
            "sources[0].dns.name: expected a DNS name or an IP address (a name is labels of letters,"
                + " digits and '-' joined by '.'), got \"tfs_0.ml.svc.cluster.local\""),
        Arguments.of("dns-refresh-zero", "sources[0].dns.refreshMs: must be > 0, got 0"),
        Arguments.of(
            "dns-refresh-above-one-day",
            "sources[0].dns.refreshMs: must be <= 86400000 (one day), got 86400001"),
        Arguments.of(
            "dns-drain-with-unit", "sources[0].dns.drainMs: expected an integer (milliseconds), got \"10s\""),
        Arguments.of("dns-bad-protocol", "sources[0].dns.protocol: expected one of: grpc, rest, got \"http\""),
        Arguments.of(
            "dns-port-out-of-range", "sources[0].dns.restPort: expected an integer from 1 to 65535, got 65536"),
        Arguments.of(
            "dns-server-by-name",
            "sources[0].dns.servers[1]: expected an IP address, optionally with :port (an IPv6 address"
                + " with a port in brackets: [fd00::a]:53), got \"kube-dns.kube-system\""),
        Arguments.of(
            "dns-server-port-zero",
            "sources[0].dns.servers[0]: expected an IP address, optionally with :port (an IPv6 address"
                + " with a port in brackets: [fd00::a]:53), got \"10.96.0.10:0\""),
        Arguments.of("dns-servers-not-a-list", "sources[0].dns.servers: expected a list, got \"10.96.0.10\""),
        Arguments.of(
            "dns-unknown-key",
            "sources[0].dns.refresh: unknown key (expected one of: name, grpcPort, restPort, protocol,"
                + " refreshMs, servers, drainMs)"),
        Arguments.of("negative-interval", "probe.intervalMs: must be > 0, got -5"),
        Arguments.of("timeout-above-interval", "probe.timeoutMs: must be <= intervalMs (1000), got 2000"),
        Arguments.of(
            "default-timeout-above-interval",
            "probe.timeoutMs: must be <= intervalMs (200), got 500 (the default)"),
        Arguments.of("urgent-interval-zero", "probe.urgentIntervalMs: must be > 0, got 0"),
        Arguments.of(
            "urgent-interval-above-interval",
            "probe.urgentIntervalMs: must be <= intervalMs (1000), got 2000"),
        Arguments.of(
            "urgent-interval-not-a-number",
            "probe.urgentIntervalMs: expected an integer (milliseconds), got \"fast\""),
        Arguments.of(
            "staleness-too-small",
            "probe.stalenessMs: must be >= intervalMs + timeoutMs (1500) so that answers do not expire"
                + " between probes, got 1200"),
        Arguments.of(
            "unknown-top-level-key",
            "replica: unknown key (expected one of: replicas, sources, models, probe, listen, xds, extproc)"),
        Arguments.of(
            "extproc-wildcard-without-envoy-address",
            "extproc.listen: is a wildcard address, so extproc.envoyAddress must say how Envoy reaches"
                + " modelgate (e.g. modelgate:18001)"),
        Arguments.of("extproc-quoted-boolean", "extproc.failureModeAllow: expected true or false, got \"yes\""),
        Arguments.of(
            "extproc-unknown-key",
            "extproc.failOpen: unknown key (expected one of: enabled, listen, envoyAddress, failureModeAllow,"
                + " messageTimeoutMs, maxInspectedBytes, maxRequestBytes, passive, holdMs, maxHeld)"),
        Arguments.of("extproc-bad-envoy-address", "extproc.envoyAddress: expected host:port with a port from 1 to 65535, got \"modelgate\""),
        Arguments.of("extproc-tiny-inspection", "extproc.maxInspectedBytes: must be from 64 to 16777216, got 10"),
        Arguments.of("extproc-negative-hold", "extproc.holdMs: must be from 0 to 60000, got -1"),
        Arguments.of("extproc-zero-max-held", "extproc.maxHeld: must be from 1 to 100000, got 0"),
        Arguments.of("xds-negative-retries", "xds.retries: must be from 0 to 10, got -1"),
        Arguments.of(
            "xds-unknown-key",
            "xds.listner: unknown key (expected one of: listen, envoyListener, connectTimeoutMs,"
                + " perTryTimeoutMs, retries, retryBudgetPercent, minRetryConcurrency, hedgeOnPerTryTimeout,"
                + " nodeGroup)"),
        Arguments.of("xds-zero-retry-budget", "xds.retryBudgetPercent: must be > 0 and <= 100, got 0"),
        Arguments.of("xds-retry-budget-above-100", "xds.retryBudgetPercent: must be > 0 and <= 100, got 100.5"),
        Arguments.of("xds-retry-budget-infinite", "xds.retryBudgetPercent: expected a finite number, got .inf"),
        Arguments.of("xds-retry-budget-quoted", "xds.retryBudgetPercent: expected a number, got \"20%\""),
        Arguments.of(
            "xds-zero-min-retry-concurrency",
            "xds.minRetryConcurrency: must be from 1 to 1024 (Envoy's request limit per cluster), got 0"),
        Arguments.of(
            "xds-huge-min-retry-concurrency",
            "xds.minRetryConcurrency: must be from 1 to 1024 (Envoy's request limit per cluster), got 1025"),
        Arguments.of(
            "xds-fractional-min-retry-concurrency", "xds.minRetryConcurrency: expected an integer, got 2.5"),
        Arguments.of("xds-quoted-hedge", "xds.hedgeOnPerTryTimeout: expected true or false, got \"true\""),
        Arguments.of("xds-zero-per-try-timeout", "xds.perTryTimeoutMs: must be from 1 to 600000, got 0"),
        Arguments.of("xds-bad-node-group", "xds.nodeGroup: expected all or cluster, got \"node\""),
        Arguments.of(
            "unknown-probe-key",
            "probe.intervalMS: unknown key (expected one of: intervalMs, timeoutMs, healthyThreshold,"
                + " unhealthyThreshold, stalenessMs, maxConcurrency, jitter, startupTimeoutMs,"
                + " urgentIntervalMs)"),
        Arguments.of(
            "unknown-replica-key",
            "replicas[0].port: unknown key (expected one of: id, host, grpcPort, restPort, protocol)"),
        Arguments.of("string-port", "replicas[0].grpcPort: expected an integer from 1 to 65535, got \"abc\""),
        Arguments.of("quoted-port", "replicas[0].restPort: expected an integer from 1 to 65535, got \"8501\""),
        Arguments.of("port-out-of-range", "replicas[0].grpcPort: expected an integer from 1 to 65535, got 70000"),
        Arguments.of("port-zero", "replicas[0].restPort: expected an integer from 1 to 65535, got 0"),
        Arguments.of("float-threshold", "probe.healthyThreshold: expected an integer, got 1.5"),
        Arguments.of("float-with-zero-fraction", "probe.maxConcurrency: expected an integer, got 2.0"),
        Arguments.of("millis-above-one-day", "probe.stalenessMs: must be <= 86400000 (one day), got 86400001"),
        Arguments.of(
            "huge-concurrency", "probe.maxConcurrency: must be <= 2147483647, got 99999999999999999999"),
        Arguments.of("jitter-infinite", "probe.jitter: expected a finite number, got .inf"),
        Arguments.of("jitter-nan", "probe.jitter: expected a finite number, got .nan"),
        Arguments.of(
            "millis-negative-infinity", "probe.intervalMs: expected an integer (milliseconds), got -.Inf"),
        Arguments.of(
            "deeply-nested", "line 1, column 43: lists and maps nested more than 32 levels deep"),
        Arguments.of(
            "nul-byte",
            "line 5, column 12: control character U+0000 is not allowed in YAML (write it as an escape in"
                + " a double-quoted string)"),
        Arguments.of(
            "control-byte-in-quoted-string",
            "line 3, column 21: control character U+0001 is not allowed in YAML (write it as an escape"
                + " in a double-quoted string)"),
        Arguments.of(
            "xds-envoy-listener-host-name",
            "xds.envoyListener: expected an IP address (Envoy binds its listener to an IP; 0.0.0.0 or"
                + " [::] for every interface), got \"localhost\""),
        Arguments.of(
            "replica-host-underscore",
            "replicas[0].host: expected a DNS name or an IP address (a name is labels of letters, digits"
                + " and '-' joined by '.'), got \"tfs_0.pool\""),
        Arguments.of(
            "replica-host-too-long",
            "replicas[0].host: expected a DNS name or an IP address of at most 253 characters, got 300"
                + " characters"),
        Arguments.of(
            "replica-host-label-too-long",
            "replicas[0].host: expected a DNS name or an IP address (a name is labels of letters, digits"
                + " and '-' joined by '.'), got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"... (68 characters)"),
        Arguments.of(
            "listen-host-underscore",
            "listen.http: expected a DNS name or an IP address (a name is labels of letters, digits and"
                + " '-' joined by '.'), got \"bad_host\""),
        Arguments.of(
            "extproc-envoy-address-bad-host",
            "extproc.envoyAddress: expected a DNS name or an IP address (a name is labels of letters,"
                + " digits and '-' joined by '.'), got \"model_gate\""),
        Arguments.of("model-name-too-long", "models[0].name: must be at most 128 characters, got 129"),
        Arguments.of("label-too-long", "models[0].label: must be at most 128 characters, got 129"),
        Arguments.of(
            "label-key-too-long",
            "models[0].labels: has a key of 129 characters (keys are at most 128):"
                + " \"llllllllllllllllllllllllllllllll\"... (129 characters)"),
        Arguments.of(
            "key-too-long",
            "probe: has a key of 200 characters (keys are at most 128):"
                + " \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"... (200 characters)"),
        Arguments.of(
            "long-string-cut-short",
            "replicas[0].protocol: expected one of: grpc, rest, got"
                + " \"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\"... (100 characters)"),
        Arguments.of(
            "two-listeners-one-port",
            "xds.listen: 0.0.0.0:9000 overlaps listen.grpc (127.0.0.1:9000): two listeners cannot share"
                + " a port"),
        Arguments.of(
            "two-listeners-same-address",
            "listen.http: 127.0.0.1:9000 overlaps listen.grpc (127.0.0.1:9000): two listeners cannot"
                + " share a port"),
        Arguments.of(
            "extproc-on-ipv6-wildcard-port",
            "extproc.listen: [::]:9000 overlaps listen.grpc (127.0.0.1:9000): two listeners cannot share"
                + " a port"),
        Arguments.of("zero-threshold", "probe.unhealthyThreshold: must be >= 1, got 0"),
        Arguments.of(
            "millis-with-unit", "probe.startupTimeoutMs: expected an integer (milliseconds), got \"10s\""),
        Arguments.of("replicas-as-map", "replicas: expected a list, got a map"),
        Arguments.of("probe-as-list", "probe: expected a map, got a list"),
        Arguments.of("empty-replicas", "replicas: must list at least one replica"),
        Arguments.of("empty-models", "models: must list at least one model"),
        Arguments.of("missing-models", "models: must be set"),
        Arguments.of("missing-replicas", "replicas: must be set (or replicas discovered through sources)"),
        Arguments.of("missing-host", "replicas[0].host: must be set"),
        Arguments.of("null-host", "replicas[0].host: expected a string, got null"),
        Arguments.of(
            "host-with-port",
            "replicas[0].host: expected a host name or IP address without a port, got \"10.0.0.1:8500\""),
        Arguments.of(
            "bad-replica-id", "replicas[0].id: expected letters, digits, '_', '.' or '-', got \"r 0\""),
        Arguments.of("numeric-model-name", "models[0].name: expected a string, got 42"),
        Arguments.of(
            "duplicate-replica-id", "replicas[1].id: duplicate replica id 'r0' (first used by replicas[0])"),
        Arguments.of(
            "duplicate-model", "models[2].name: duplicate model name 'resnet' (first used by models[0])"),
        Arguments.of("bad-protocol", "replicas[0].protocol: expected one of: grpc, rest, got \"http\""),
        Arguments.of(
            "label-not-in-labels",
            "models[0].label: 'beta' is not a key of labels (expected one of: stable, canary)"),
        Arguments.of(
            "label-without-labels", "models[0].label: 'stable' is not a key of labels (no labels are defined)"),
        Arguments.of(
            "version-and-label",
            "models[0].label: cannot be combined with version (pin a version or a label, not both)"),
        Arguments.of("negative-version", "models[0].version: must be >= 0, got -1"),
        Arguments.of("negative-label-version", "models[0].labels.canary: must be >= 0, got -2"),
        Arguments.of("jitter-too-large", "probe.jitter: must be from 0 to 0.5, got 0.7"),
        Arguments.of("jitter-as-string", "probe.jitter: expected a number, got \"low\""),
        Arguments.of(
            "listen-without-port",
            "listen.grpc: expected host:port with a port from 0 to 65535, got \"127.0.0.1\""),
        Arguments.of(
            "listen-port-out-of-range",
            "listen.http: expected host:port with a port from 0 to 65535, got \"127.0.0.1:65536\""),
        Arguments.of(
            "listen-ipv6-without-brackets",
            "listen.http: expected host:port with a port from 0 to 65535, got \"::1:8080\""),
        Arguments.of(
            "syntax-error",
            "line 4, column 4: expected <block end>, but found '<block mapping start>' (while parsing a"
                + " block collection at line 2, column 3)"),
        Arguments.of(
            "unclosed-flow-list",
            "line 3, column 1: expected ',' or ']', but got <stream end> (while parsing a flow sequence"
                + " at line 1, column 9)"),
        Arguments.of(
            "list-as-key", "line 2, column 5: expected a key that is a single value, got a list or map as a key"),
        Arguments.of("duplicate-yaml-key", "line 4, column 3: Duplicate field 'intervalMs'"),
        Arguments.of("alias", "line 5, column 11: YAML aliases are not supported (*h)"),
        Arguments.of("two-documents", "line 3, column 1: expected one YAML document, found a second one"),
        Arguments.of(
            "empty", "the file is empty (expected a map with keys: replicas, sources, models, probe, listen, xds, extproc)"),
        Arguments.of(
            "only-comments", "the file is empty (expected a map with keys: replicas, sources, models, probe, listen, xds, extproc)"),
        Arguments.of("top-level-list", "expected a map at the top level, got a list"),
        Arguments.of("top-level-null", "expected a map at the top level, got null"),
        Arguments.of("first-error-in-document-order", "probe.intervalMs: must be > 0, got 0"),
        Arguments.of(
            "first-error-in-document-order-within-a-map",
            "replicas[0].grpcPort: expected an integer from 1 to 65535, got \"abc\""),
        Arguments.of("kubernetes-missing-namespace", "sources[0].kubernetes.namespace: must be set"),
        Arguments.of("kubernetes-missing-service", "sources[0].kubernetes.service: must be set"),
        Arguments.of(
            "kubernetes-upper-case-namespace",
            "sources[0].kubernetes.namespace: expected a namespace name (lower-case letters, digits and"
                + " '-') of at most 63 characters, got \"ML\""),
        Arguments.of(
            "kubernetes-service-starting-with-digit",
            "sources[0].kubernetes.service: expected a Service name (lower-case letters, digits and '-',"
                + " starting with a letter) of at most 63 characters, got \"1tfserving\""),
        Arguments.of(
            "kubernetes-port-out-of-range",
            "sources[0].kubernetes.grpcPort: expected a port number from 1 to 65535 or a Service port"
                + " name (at most 15 lower-case letters, digits, '-'), got 70000"),
        Arguments.of(
            "kubernetes-quoted-port-number",
            "sources[0].kubernetes.restPort: expected a port number from 1 to 65535 or a Service port"
                + " name (at most 15 lower-case letters, digits, '-'), got \"8501\""),
        Arguments.of(
            "kubernetes-bad-port-name",
            "sources[0].kubernetes.grpcPort: expected a port number from 1 to 65535 or a Service port"
                + " name (at most 15 lower-case letters, digits, '-'), got \"gRPC_port\""),
        Arguments.of(
            "kubernetes-port-name-too-long",
            "sources[0].kubernetes.grpcPort: expected a port number from 1 to 65535 or a Service port"
                + " name (at most 15 lower-case letters, digits, '-'), got \"grpc-inference-port\""),
        Arguments.of("kubernetes-zero-resync", "sources[0].kubernetes.resyncMs: must be > 0, got 0"),
        Arguments.of(
            "kubernetes-drain-above-one-day",
            "sources[0].kubernetes.drainMs: must be <= 86400000 (one day), got 86400001"),
        Arguments.of("kubernetes-empty-kubeconfig", "sources[0].kubernetes.kubeconfig: expected a file path, got \"\""),
        Arguments.of(
            "kubernetes-unknown-key",
            "sources[0].kubernetes.port: unknown key (expected one of: namespace, service, grpcPort,"
                + " restPort, protocol, resyncMs, kubeconfig, drainMs)"),
        Arguments.of(
            "kubernetes-bad-protocol", "sources[0].kubernetes.protocol: expected one of: grpc, rest, got \"http\""));
  }

  @Test
  void kubernetesSourcesLoadWithDefaultsAndAKubeconfigBesideTheFile() {
    ModelgateConfig config = ConfigLoader.parse("conf/modelgate.yaml", fixture("kubernetes-sources.yaml"));

    assertThat(config.replicas()).isEmpty();
    assertThat(config.sources())
        .containsExactly(
            new KubernetesSourceConfig(
                "ml",
                "tfserving",
                KubernetesSourceConfig.PortRef.numbered(8500),
                KubernetesSourceConfig.PortRef.numbered(8501),
                Protocol.GRPC,
                Duration.ofMinutes(5),
                Optional.empty(),
                Duration.ofSeconds(10)),
            new KubernetesSourceConfig(
                "ml-canary",
                "tfserving-canary",
                KubernetesSourceConfig.PortRef.named("grpc"),
                KubernetesSourceConfig.PortRef.numbered(9501),
                Protocol.REST,
                Duration.ofMinutes(1),
                Optional.of(Path.of("conf/kube/config")),
                Duration.ofSeconds(2)));
  }

  private static ConfigException parseError(String fixture) {
    String yaml = fixture("invalid/" + fixture);
    try {
      ModelgateConfig config = ConfigLoader.parse("modelgate.yaml", yaml);
      throw new AssertionError("expected a ConfigException, got " + config);
    } catch (ConfigException e) {
      return e;
    }
  }

  private static String fixture(String name) {
    try (InputStream in = ConfigLoaderTest.class.getResourceAsStream("/config/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

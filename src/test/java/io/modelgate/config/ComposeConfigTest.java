package io.modelgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Docker Compose demo's modelgate configuration in step with the topology in
 * compose.yaml, the Envoy bootstrap and the TF Serving model config: the file loads, every
 * replica is a TF Serving service listening on the configured ports, and every listener modelgate
 * is configured with is the one its neighbours reach. (Without a Docker engine, this and
 * .ci/check-compose are what stands between a typo and a demo that does not start.)
 */
class ComposeConfigTest {
  private static final Path CONFIG = Path.of("src/main/docker/modelgate.yaml");
  private static final Path COMPOSE = Path.of("compose.yaml");
  private static final Path BOOTSTRAP = Path.of("envoy/bootstrap-compose.yaml");
  private static final Path MODELS_CONFIG = Path.of("src/main/docker/models.config");
  private static final String TF_SERVING_IMAGE = "tensorflow/serving:";
  private static final String CONFIG_IN_CONTAINER = "/etc/modelgate/modelgate.yaml";
  private static final Pattern VERSION_LABEL =
      Pattern.compile("version_labels\\s*\\{\\s*key:\\s*\"([^\"]+)\"\\s*value:\\s*(\\d+)\\s*}");

  private static ModelgateConfig config;
  private static JsonNode services;

  @BeforeAll
  static void load() throws IOException {
    config = ConfigLoader.load(CONFIG);
    services = yaml(COMPOSE).path("services");
  }

  @Test
  void composeConfigLoadsTwoGrpcProbedReplicasAndHalfPlusTwoWithLabels() {
    assertThat(config.replicas())
        .containsExactly(
            new ReplicaConfig("tfs-0", "tfs-0", 8500, 8501, Protocol.GRPC),
            new ReplicaConfig("tfs-1", "tfs-1", 8500, 8501, Protocol.GRPC));
    assertThat(config.models())
        .containsExactly(
            new ModelConfig(
                "half_plus_two", OptionalLong.empty(), Optional.empty(), Map.of("stable", 1L, "canary", 2L)));
    assertThat(config.listen().grpc()).isEqualTo(new InetSocketAddress("0.0.0.0", 8081));
    assertThat(config.listen().http()).isEqualTo(new InetSocketAddress("0.0.0.0", 8080));
    assertThat(config.xds().listen()).isEqualTo(new InetSocketAddress("0.0.0.0", 18000));
    assertThat(config.xds().envoyListener()).isEqualTo(new InetSocketAddress("0.0.0.0", 10000));
  }

  @Test
  void everyReplicaIsATfServingServiceListeningOnTheConfiguredPorts() {
    for (ReplicaConfig replica : config.replicas()) {
      JsonNode service = services.path(replica.host());
      assertThat(service.isObject()).as("compose service %s", replica.host()).isTrue();
      assertThat(service.path("image").asText()).startsWith(TF_SERVING_IMAGE);
      assertThat(strings(service.path("command")))
          .as("%s command", replica.host())
          .contains("--port=" + replica.grpcPort(), "--rest_api_port=" + replica.restPort());
      assertThat(strings(service.path("expose")))
          .as("%s expose", replica.host())
          .contains(String.valueOf(replica.grpcPort()), String.valueOf(replica.restPort()));
    }
  }

  @Test
  void everyTfServingServiceIsAConfiguredReplica() {
    Set<String> tfServing = new TreeSet<>();
    services.properties().forEach(e -> {
      if (e.getValue().path("image").asText().startsWith(TF_SERVING_IMAGE)) {
        tfServing.add(e.getKey());
      }
    });
    Set<String> hosts = new TreeSet<>();
    config.replicas().forEach(r -> hosts.add(r.host()));

    assertThat(tfServing).isNotEmpty().isEqualTo(hosts);
  }

  @Test
  void modelgateServiceMountsThisFileAndOffersTheConfiguredListeners() {
    JsonNode modelgate = services.path("modelgate");
    int http = config.listen().http().getPort();

    assertThat(strings(modelgate.path("command"))).containsSubsequence("--config", CONFIG_IN_CONTAINER);
    JsonNode mount = find(modelgate.path("volumes"), "target", CONFIG_IN_CONTAINER);
    assertThat(Path.of(mount.path("source").asText()).normalize()).isEqualTo(CONFIG);
    assertThat(strings(modelgate.path("ports"))).contains("127.0.0.1:" + http + ":" + http);
    assertThat(strings(modelgate.path("healthcheck").path("test")))
        .anySatisfy(arg -> assertThat(arg).contains("http://127.0.0.1:" + http + "/healthz"));
    assertThat(strings(modelgate.path("expose")))
        .contains(
            String.valueOf(config.listen().grpc().getPort()),
            String.valueOf(config.xds().listen().getPort()),
            String.valueOf(config.extProc().listen().getPort()));
  }

  @Test
  void envoyReachesTheGatewayFilterServiceByTheComposeServiceName() {
    assertThat(config.extProc().enabled()).isTrue();
    assertThat(config.extProc().envoyAddress())
        .contains(InetSocketAddress.createUnresolved("modelgate", config.extProc().listen().getPort()));
  }

  @Test
  void envoyReachesModelgateAdsAndPublishesTheConfiguredListener() throws IOException {
    JsonNode xdsCluster = find(yaml(BOOTSTRAP).path("static_resources").path("clusters"), "name", "xds_cluster");
    JsonNode address = xdsCluster.findValue("socket_address");
    int listener = config.xds().envoyListener().getPort();

    assertThat(address.path("address").asText()).isEqualTo("modelgate");
    assertThat(address.path("port_value").asInt()).isEqualTo(config.xds().listen().getPort());
    assertThat(strings(services.path("envoy").path("ports")))
        .contains("127.0.0.1:" + listener + ":" + listener);
  }

  @Test
  void labelsMirrorTheTfServingVersionLabels() throws IOException {
    Map<String, Long> tfServingLabels = new LinkedHashMap<>();
    Matcher m = VERSION_LABEL.matcher(Files.readString(MODELS_CONFIG));
    while (m.find()) {
      tfServingLabels.put(m.group(1), Long.parseLong(m.group(2)));
    }

    assertThat(tfServingLabels).isNotEmpty();
    assertThat(config.models().get(0).labels()).isEqualTo(tfServingLabels);
  }

  private static JsonNode yaml(Path file) throws IOException {
    return new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static JsonNode find(JsonNode array, String key, String value) {
    for (JsonNode element : array) {
      if (element.path(key).asText().equals(value)) {
        return element;
      }
    }
    throw new AssertionError("no element with " + key + " = " + value + " in " + array);
  }
}

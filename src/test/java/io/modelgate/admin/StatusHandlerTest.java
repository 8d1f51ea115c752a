package io.modelgate.admin;

import java.util.Optional;
import java.util.List;
import io.modelgate.sources.SourceStatus;
import io.modelgate.view.HealthViews;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StatusHandlerTest {
  private static final Instant SINCE = Instant.parse("2026-11-24T09:00:00Z");
  private final HttpClient client = HttpClient.newHttpClient();
  private AdminHttpServer server;

  @BeforeEach
  void start() throws Exception {
    Map<String, ReplicaHealth> replicas = new LinkedHashMap<>();
    replicas.put("r0", new ReplicaHealth("r0", ReplicaState.READY, new TreeSet<>(Set.of(1L, 2L)), "version 2 AVAILABLE", SINCE));
    replicas.put("r1", new ReplicaHealth("r1", ReplicaState.LOADING, new TreeSet<>(), "version 2 LOADING", SINCE));
    HealthView built = HealthViews.of(7, SINCE, true, Map.of("resnet", new ModelHealth("resnet", replicas)));
    HealthView view =
        new HealthView(
            7,
            SINCE,
            true,
            built.catalog(),
            built.replicas(),
            built.models(),
            List.of(
                new SourceStatus("static", 1, Optional.empty(), SINCE),
                new SourceStatus(
                    "kubernetes ml/tfserving", 1, Optional.of("API server unreachable: Connection refused"), SINCE)));
    HealthViewSource source =
        new HealthViewSource() {
          public HealthView current() {
            return view;
          }

          public AutoCloseable subscribe(Consumer<HealthView> listener) {
            return () -> {};
          }
        };
    server =
        AdminHttpServer.start(new InetSocketAddress("127.0.0.1", 0), Map.of(StatusHandler.PATH, new StatusHandler(source)));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void statusSaysWhichSourceIsStaleAndWhyAndListsTheReplicasAddresses() throws Exception {
    JsonNode json = new ObjectMapper().readTree(send("GET", "/status").body());

    JsonNode stale = json.get("sources").get(1);
    assertThat(stale.get("name").asText()).isEqualTo("kubernetes ml/tfserving");
    assertThat(stale.get("stale").asBoolean()).isTrue();
    assertThat(stale.get("problem").asText()).isEqualTo("API server unreachable: Connection refused");
    assertThat(stale.get("since").asText()).isEqualTo("2026-11-24T09:00:00Z");
    assertThat(json.get("sources").get(0).get("stale").asBoolean()).isFalse();
    JsonNode replica = json.get("replicas").get(0);
    assertThat(replica.get("id").asText()).isEqualTo("r0");
    assertThat(replica.get("address").asText()).isEqualTo("127.0.0.1");
    assertThat(replica.get("grpcPort").asInt()).isEqualTo(8500);
    assertThat(replica.get("terminating").asBoolean()).isFalse();
  }

  @Test
  void statusListsEveryReplicaOfEveryModelWithStateVersionsAndReason() throws Exception {
    HttpResponse<String> response = send("GET", "/status");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode json = new ObjectMapper().readTree(response.body());
    assertThat(json.get("version").asLong()).isEqualTo(7);
    assertThat(json.get("complete").asBoolean()).isTrue();
    JsonNode model = json.get("models").get(0);
    assertThat(model.get("name").asText()).isEqualTo("resnet");
    assertThat(model.get("ready").asBoolean()).isTrue();
    assertThat(model.get("replicas").get(0).get("availableVersions").toString()).isEqualTo("[1,2]");
    assertThat(model.get("replicas").get(1).get("state").asText()).isEqualTo("LOADING");
    assertThat(model.get("replicas").get(1).get("reason").asText()).isEqualTo("version 2 LOADING");
    assertThat(model.get("replicas").get(1).get("since").asText()).isEqualTo("2026-11-24T09:00:00Z");
  }

  @Test
  void statusRejectsWritesWith405() throws Exception {
    HttpResponse<String> response = send("POST", "/status");

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).contains("GET, HEAD");
  }

  @Test
  void pathBelowStatusIsNotFound() throws Exception {
    assertThat(send("GET", "/status/extra").statusCode()).isEqualTo(404);
  }
}

package io.modelgate.health;

import static io.modelgate.health.TestViews.loading;
import static io.modelgate.health.TestViews.model;
import static io.modelgate.health.TestViews.ready;
import static io.modelgate.health.TestViews.replica;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.modelgate.admin.AdminHttpServer;
import io.modelgate.app.AdminRoutes;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.ModelHealth;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** /healthz and /readyz over real HTTP, checked against gRPC Check on the same health service. */
class HealthHttpHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HealthServerFixture fixture;
  private AdminHttpServer http;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    fixture = new HealthServerFixture(TestViews.view(0, false));
    http =
        AdminHttpServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            AdminRoutes.health(new HealthHttpHandler(fixture.health)));
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    fixture.close();
  }

  static Stream<Arguments> views() {
    return Stream.of(
        Arguments.of("first round not done", false, false, List.of(model("resnet", ready("r0")))),
        Arguments.of(
            "all ready", true, false, List.of(model("resnet", ready("r0"), loading("r1")), model("bert", ready("r0")))),
        Arguments.of(
            "one model loading everywhere",
            true,
            false,
            List.of(
                model("resnet", ready("r0")),
                model("bert", loading("r0"), replica("r1", ReplicaState.NOT_READY, "version 1 failed to load: boom")))),
        Arguments.of("names needing escapes", true, false, List.of(model("my model+v2/é", ready("r0")))),
        Arguments.of("probe loop stalled", true, true, List.of(model("resnet", ready("r0")))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("views")
  void httpAndGrpcGiveTheSameAnswerForEveryService(
      String name, boolean complete, boolean stalled, List<ModelHealth> models) throws Exception {
    fixture.views.publish(complete, models.toArray(ModelHealth[]::new));
    if (stalled) {
      fixture.clock.advance(Duration.ofSeconds(8));
    }
    List<String> services = new ArrayList<>(List.of(HealthService.READINESS, HealthService.LIVENESS, "nope"));
    models.forEach(m -> services.add(m.model()));

    for (String service : services) {
      HttpResponse<String> response = get(pathOf(service));
      String grpc = grpcCheck(service);

      int expectedCode = switch (grpc) {
        case "SERVING" -> 200;
        case "NOT_SERVING" -> 503;
        default -> 404;
      };
      assertThat(response.statusCode()).as("HTTP code for '%s'", service).isEqualTo(expectedCode);
      assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(response.body()).endsWith("\n").doesNotContain("\n\n");
      assertThat(response.body().strip()).doesNotContain("\n");
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.get("service").asText()).isEqualTo(service);
      assertThat(body.get("status").asText()).isEqualTo(grpc);
      assertThat(body.get("reason").asText()).isEqualTo(fixture.health.statusOf(service).reason());
    }
  }

  @Test
  void readyzNamesTheReasonAModelIsNotReady() throws Exception {
    fixture.views.publish(
        true, model("bert", loading("r0"), replica("r1", ReplicaState.NOT_READY, "version 1 failed to load: boom")));

    HttpResponse<String> response = get("/readyz/bert");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body())
        .isEqualTo(
            "{\"service\":\"bert\",\"status\":\"NOT_SERVING\",\"reason\":\"model 'bert' not ready on any"
                + " replica: r0 LOADING (loading version 2), r1 NOT_READY (version 1 failed to load: boom)\"}\n");
  }

  @Test
  void unknownModelIs404WithServiceUnknown() throws Exception {
    HttpResponse<String> response = get("/readyz/gpt");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).get("status").asText()).isEqualTo("SERVICE_UNKNOWN");
  }

  @Test
  void plusInAModelNameIsAPlusSign() throws Exception {
    fixture.views.publish(true, model("a+b", ready("r0")));

    assertThat(get("/readyz/a+b").statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE"})
  void otherMethodsGet405WithAllowHeader(String method) throws Exception {
    for (String path : List.of("/healthz", "/readyz", "/readyz/resnet")) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(uri(path))
                  .timeout(Duration.ofSeconds(5))
                  .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).as("%s %s", method, path).isEqualTo(405);
      assertThat(response.headers().firstValue("Allow")).contains("GET, HEAD");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/readyzz", "/healthz/x", "/readyz/", "/", "/metrics"})
  void pathsThatNameNoServiceAre404Json(String path) throws Exception {
    HttpResponse<String> response = get(path);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("{\"error\":\"not found\"}\n");
  }

  @Test
  void malformedEscapeIs400JsonNamingItAndDoubleSlashIs404Json() throws Exception {
    assertThat(rawGet("/readyz/%zz"))
        .startsWith("HTTP/1.1 400 ")
        .containsIgnoringCase("content-type: application/json")
        .endsWith("\r\n\r\n{\"error\":\"malformed percent-escape '%zz' in path\"}\n");
    assertThat(rawGet("//healthz"))
        .startsWith("HTTP/1.1 404 ")
        .endsWith("\r\n\r\n{\"error\":\"not found\"}\n");
  }

  @Test
  void headAnswersLikeGetWithoutABody() throws Exception {
    fixture.views.publish(true, model("resnet", ready("r0")));

    for (String path : List.of("/healthz", "/readyz", "/readyz/resnet", "/readyz/gpt")) {
      HttpResponse<String> head =
          client.send(
              HttpRequest.newBuilder(uri(path))
                  .timeout(Duration.ofSeconds(5))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(head.statusCode()).as("HEAD %s", path).isEqualTo(get(path).statusCode());
      assertThat(head.body()).isEmpty();
      assertThat(head.headers().firstValue("Content-Type")).contains("application/json");
    }
  }

  private String grpcCheck(String service) {
    try {
      return HealthGrpc.newBlockingStub(fixture.channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus()
          .name();
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      return "SERVICE_UNKNOWN";
    }
  }

  private static String pathOf(String service) {
    if (service.equals(HealthService.READINESS)) {
      return "/readyz";
    }
    if (service.equals(HealthService.LIVENESS)) {
      return "/healthz";
    }
    return "/readyz/" + URLEncoder.encode(service, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GET no HTTP client would send (the JDK's refuses both paths above), over a plain socket. */
  private String rawGet(String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", http.port())) {
      socket.setSoTimeout(5_000);
      socket
          .getOutputStream()
          .write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + http.port() + path);
  }
}

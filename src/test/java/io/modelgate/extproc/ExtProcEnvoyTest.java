package io.modelgate.extproc;

import static io.modelgate.extproc.GrpcFrames.spec;
import static io.modelgate.extproc.Views.complete;
import static io.modelgate.extproc.Views.model;
import static io.modelgate.extproc.Views.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.modelgate.routing.ProcessingModes;
import io.modelgate.view.ReplicaState;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service behind a real Envoy, configured as {@link ProcessingModes} says, with real gRPC and
 * HTTP clients: what a client sees of the immediate responses, and that routing headers set on
 * the body response re-route a gRPC request.
 */
class ExtProcEnvoyTest {
  private final Views views =
      new Views(
          complete(
              model("resnet", replica("r0", ReplicaState.READY, "version 1 AVAILABLE", 1L)),
              model("bert", replica("r0", ReplicaState.LOADING, "version 4 LOADING"))));
  private final HttpClient http = HttpClient.newHttpClient();
  private ExtProcServer server;
  private Process envoy;
  private Path dir;
  private int gatewayPort;
  private int adminPort;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server =
        ExtProcServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            new ExternalProcessorService(views));
    gatewayPort = freePort();
    adminPort = freePort();
    String bootstrap;
    try (InputStream in = getClass().getResourceAsStream("/extproc/envoy-extproc-test.yaml")) {
      bootstrap = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    bootstrap =
        bootstrap
            .replace("port_value: 19901", "port_value: " + adminPort)
            .replace("port_value: 19000", "port_value: " + gatewayPort)
            .replace("port_value: 18080", "port_value: " + server.port());
    dir = Files.createTempDirectory("envoy-extproc");
    Path config = dir.resolve("bootstrap.yaml");
    Files.writeString(config, bootstrap);
    envoy =
        new ProcessBuilder(
                "envoy", "-c", config.toString(), "--base-id", String.valueOf(adminPort),
                "--log-level", "warn", "--disable-hot-restart")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("envoy.log").toFile())
            .start();
    await().atMost(Duration.ofSeconds(20)).until(this::envoyLive);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gatewayPort).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (envoy != null) {
      envoy.destroy();
      if (!envoy.waitFor(5, TimeUnit.SECONDS)) {
        envoy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    server.close();
  }

  @Test
  void grpcClientSeesNotFoundWithTheMessageForAnUnknownModel() {
    StatusRuntimeException e = predictFails(PredictRequest.newBuilder().setModelSpec(spec("gpt")).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("model 'gpt' is not served here (known: resnet, bert)");
  }

  @Test
  void grpcClientSeesUnavailableWithReplicaCountsForAModelLoadingEverywhere() {
    StatusRuntimeException e = predictFails(PredictRequest.newBuilder().setModelSpec(spec("bert")).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("model 'bert' is not loaded on any replica (1 loading)");
  }

  @Test
  void headersSetOnTheBodyResponseReRouteTheGrpcRequest() {
    // Each route answers directly, naming itself in the body (grpc-message to a gRPC client).
    StatusRuntimeException v1 =
        predictFails(PredictRequest.newBuilder().setModelSpec(spec("resnet", 1)).build());
    assertThat(v1.getStatus().getDescription()).isEqualTo("route resnet v1");
    StatusRuntimeException latest =
        predictFails(PredictRequest.newBuilder().setModelSpec(spec("resnet")).build());
    assertThat(latest.getStatus().getDescription()).isEqualTo("route resnet");
  }

  @Test
  void clientRoutingHeadersThatAgreeWithTheBodyAreReplacedAndOthersRefused() {
    StatusRuntimeException agreeing = predictWithHeaders("resnet", null);
    assertThat(agreeing.getStatus().getDescription()).isEqualTo("route resnet");
    StatusRuntimeException otherModel = predictWithHeaders("bert", null);
    assertThat(otherModel.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(otherModel.getStatus().getDescription())
        .isEqualTo("x-model-name 'bert' disagrees with the request's model_spec.name 'resnet'");
    StatusRuntimeException otherVersion = predictWithHeaders(null, "1");
    assertThat(otherVersion.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aHeaderMutationAndAModeOverrideInOneHeadersResponseBothTakeEffect() throws Exception {
    // A service that answers the headers as modelgate does and then lets the body pass
    // unchanged: the client's routing headers must be gone (else "route resnet v1") and the
    // body must have been sent.
    int port = server.port();
    server.close();
    AtomicBoolean sawBody = new AtomicBoolean();
    Server removing =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .addService(new RemovesRoutingHeadersOnly(sawBody))
            .build()
            .start();
    try {
      StatusRuntimeException e = predictWithHeaders("resnet", "1");
      assertThat(e.getStatus().getDescription()).isEqualTo("route default");
      assertThat(sawBody).isTrue();
    } finally {
      removing.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server = ExtProcServer.start(new InetSocketAddress("127.0.0.1", 0), new ExternalProcessorService(views));
    }
  }

  /** Answers request headers with modelgate's {@link ProcessingResponses#clearRoutingAndSendBody}, then nothing. */
  private static final class RemovesRoutingHeadersOnly extends ExternalProcessorGrpc.ExternalProcessorImplBase {
    private final AtomicBoolean sawBody;

    RemovesRoutingHeadersOnly(AtomicBoolean sawBody) {
      this.sawBody = sawBody;
    }

    @Override
    public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ProcessingRequest request) {
          if (request.hasRequestHeaders()) {
            responses.onNext(ProcessingResponses.clearRoutingAndSendBody());
          } else {
            sawBody.compareAndSet(false, request.hasRequestBody());
            responses.onNext(ProcessingResponses.passiveAnswer(request));
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }
  }

  private StatusRuntimeException predictWithHeaders(String model, String version) {
    Metadata headers = new Metadata();
    if (model != null) {
      headers.put(Metadata.Key.of("x-model-name", Metadata.ASCII_STRING_MARSHALLER), model);
    }
    if (version != null) {
      headers.put(Metadata.Key.of("x-model-version", Metadata.ASCII_STRING_MARSHALLER), version);
    }
    return catchThrowableOfType(
        StatusRuntimeException.class,
        () ->
            PredictionServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModelSpec(spec("resnet")).build()));
  }

  @Test
  void restClientSeesJsonErrorsAndIsRoutedByPath() throws Exception {
    HttpResponse<String> unknown = post("/v1/models/gpt:predict");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(unknown.body())
        .isEqualTo("{\"error\":\"model 'gpt' is not served here (known: resnet, bert)\"}");
    HttpResponse<String> routed = post("/v1/models/resnet/versions/1:predict");
    assertThat(routed.statusCode()).isEqualTo(418);
    assertThat(routed.body()).isEqualTo("route resnet v1");
    assertThat(post("/v1/models/bert:predict").statusCode()).isEqualTo(503);
  }

  private StatusRuntimeException predictFails(PredictRequest request) {
    return catchThrowableOfType(
        StatusRuntimeException.class,
        () ->
            PredictionServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .predict(request));
  }

  private HttpResponse<String> post(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[[1.0]]}"))
            .header("content-type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private boolean envoyLive() {
    try {
      HttpResponse<String> ready =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready"))
                  .timeout(Duration.ofSeconds(1))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return ready.body().trim().equals("LIVE");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

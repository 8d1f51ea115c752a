package io.modelgate.extproc;

import static io.modelgate.extproc.GrpcFrames.PREDICT;
import static io.modelgate.extproc.GrpcFrames.frame;
import static io.modelgate.extproc.GrpcFrames.spec;
import static io.modelgate.extproc.Views.complete;
import static io.modelgate.extproc.Views.model;
import static io.modelgate.extproc.Views.replica;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.config.ModelConfig;
import io.modelgate.routing.ProcessingModes;
import io.modelgate.view.ReplicaState;
import io.modelgate.tfserving.api.PredictRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The service over a real gRPC channel on loopback, with the test playing Envoy's side. */
class ExternalProcessorServiceTest {
  private static final ModelConfig RESNET =
      new ModelConfig("resnet", OptionalLong.empty(), Optional.empty(), Map.of("stable", 1L));

  private final Views views =
      new Views(
          complete(
              model(
                  "resnet",
                  replica("r0", ReplicaState.READY, "version 1 AVAILABLE", 1L),
                  replica("r1", ReplicaState.NOT_READY, "version 1 failed to load: bad graph")),
              model(
                  "bert",
                  replica("r0", ReplicaState.LOADING, "version 4 LOADING"),
                  replica("r1", ReplicaState.LOADING, "version 4 START"))),
          List.of(RESNET, ModelConfig.any("bert")));
  private ExternalProcessorService service;
  private ExtProcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    service = new ExternalProcessorService(views);
    server = ExtProcServer.start(new InetSocketAddress("127.0.0.1", 0), service);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void restRequestForReadyVersionIsRoutedOnItsHeadersReplacingClientHeaders() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      ProcessingResponse response =
          envoy.send(
              headers(
                  false,
                  ":method", "POST",
                  ":path", "/v1/models/resnet/labels/stable:predict",
                  "content-type", "application/json",
                  "x-model-name", "bert",
                  "x-model-version", "666"));
      assertThat(response)
          .isEqualTo(
              ProcessingResponse.newBuilder()
                  .setRequestHeaders(
                      io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse.newBuilder()
                          .setResponse(routed("resnet", "1")))
                  .build());
    }
    assertThat(service.counters().count(DecisionKind.ROUTED)).isEqualTo(1);
  }

  @Test
  void grpcRequestAsksForItsBodyRemovingClientRoutingHeadersThenIsRoutedOnTheBody() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      ProcessingResponse onHeaders = envoy.send(grpcHeaders(PREDICT, "x-model-name", "resnet"));
      assertThat(onHeaders.getRequestHeaders().getResponse())
          .isEqualTo(
              CommonResponse.newBuilder()
                  .setHeaderMutation(
                      HeaderMutation.newBuilder()
                          .addRemoveHeaders("x-model-name")
                          .addRemoveHeaders("x-model-version")
                          .addRemoveHeaders("x-modelgate-held-ms"))
                  .setClearRouteCache(true)
                  .build());
      assertThat(onHeaders.getModeOverride()).isEqualTo(ProcessingModes.GRPC_BODY);

      // Not at end of stream: trailers follow a gRPC body, which Envoy buffered whole all the same.
      ProcessingResponse onBody = envoy.send(body(frame(predict("resnet")), false));
      assertThat(onBody.hasModeOverride()).isFalse();
      assertThat(onBody.getRequestBody().getResponse()).isEqualTo(routed("resnet", null));
    }
  }

  @Test
  void clientRoutingHeadersThatDisagreeWithTheBodyAreRefusedNamingBoth() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT, "x-model-name", "resnet"));
      ImmediateResponse immediate = envoy.send(body(frame(predict("gpt")), true)).getImmediateResponse();
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(3);
      assertThat(immediate.getBody().toStringUtf8())
          .isEqualTo("x-model-name 'resnet' disagrees with the request's model_spec.name 'gpt'");
    }
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT, "x-model-version", "1"));
      ImmediateResponse immediate = envoy.send(body(frame(predict("resnet")), true)).getImmediateResponse();
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(3);
      assertThat(immediate.getBody().toStringUtf8())
          .isEqualTo("x-model-version '1' disagrees with the request's model_spec, which asks for no version");
    }
  }

  @Test
  void grpcRequestForUnknownModelGetsTrailersOnlyNotFound() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT));
      ImmediateResponse immediate =
          envoy.send(body(frame(predict("gpt")), true)).getImmediateResponse();
      String message = "model 'gpt' is not served here (known: resnet, bert)";
      assertThat(immediate.getStatus().getCodeValue()).isEqualTo(200);
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(5);
      assertThat(immediate.getBody().toStringUtf8()).isEqualTo(message);
      assertThat(setHeaders(immediate.getHeaders()))
          .containsEntry("content-type", "application/grpc")
          .containsEntry("grpc-status", "5")
          .containsEntry("grpc-message", "model 'gpt' is not served here (known: resnet, bert)");
      assertThat(immediate.getDetails()).isEqualTo("modelgate_unknown_model");
    }
  }

  @Test
  void grpcRequestForModelLoadingEverywhereGetsUnavailableWithReplicaCounts() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT));
      ImmediateResponse immediate =
          envoy.send(body(frame(predict("bert")), true)).getImmediateResponse();
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(14);
      assertThat(immediate.getBody().toStringUtf8())
          .isEqualTo("model 'bert' is not loaded on any replica (2 loading)");
    }
    assertThat(service.counters().count(DecisionKind.NOT_LOADED)).isEqualTo(1);
  }

  @Test
  void restRequestForVersionNowhereLoadedGets503Json() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      ImmediateResponse immediate =
          envoy
              .send(
                  headers(
                      false,
                      ":method", "POST",
                      ":path", "/v1/models/resnet/versions/2:predict",
                      "content-type", "application/json"))
              .getImmediateResponse();
      assertThat(immediate.getStatus().getCodeValue()).isEqualTo(503);
      assertThat(immediate.hasGrpcStatus()).isFalse();
      assertThat(setHeaders(immediate.getHeaders()))
          .containsExactly(Map.entry("content-type", "application/json"));
      Map<?, ?> json = new ObjectMapper().readValue(immediate.getBody().toStringUtf8(), Map.class);
      assertThat(json)
          .isEqualTo(
              Map.of(
                  "error",
                  "model 'resnet' version 2 is not loaded on any replica"
                      + " (1 serving other versions, 1 failed: version 1 failed to load: bad graph)"));
    }
  }

  @Test
  void restRequestForUnknownModelGets404AndAnUnreadableVersionGets400() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      ImmediateResponse unknown =
          envoy.send(headers(true, ":method", "GET", ":path", "/v1/models/gpt")).getImmediateResponse();
      assertThat(unknown.getStatus().getCodeValue()).isEqualTo(404);
      assertThat(unknown.getBody().toStringUtf8())
          .isEqualTo("{\"error\":\"model 'gpt' is not served here (known: resnet, bert)\"}");
    }
    try (EnvoySide envoy = new EnvoySide()) {
      ImmediateResponse malformed =
          envoy
              .send(headers(false, ":method", "POST", ":path", "/v1/models/resnet/versions/99999999999999999999:predict"))
              .getImmediateResponse();
      assertThat(malformed.getStatus().getCodeValue()).isEqualTo(400);
      assertThat(malformed.getBody().toStringUtf8()).contains("out of range");
    }
    assertThat(service.counters().snapshot())
        .containsEntry(DecisionKind.UNKNOWN_MODEL, 1L)
        .containsEntry(DecisionKind.MALFORMED, 1L);
  }

  @Test
  void garbageGrpcBodyGetsInvalidArgument() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT));
      ImmediateResponse immediate =
          envoy.send(body(ByteString.copyFromUtf8("not a gRPC frame at all"), true)).getImmediateResponse();
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(3);
    }
  }

  @Test
  void aGzipRequestIsReadFromItsInflatedBodyNotFromTheClientHeader() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT, "grpc-encoding", "gzip"));
      ByteString gzipped = frame(1, GrpcBodiesTest.gzip(predict("resnet").toByteArray()));
      assertThat(envoy.send(body(gzipped, true)).getRequestBody().getResponse()).isEqualTo(routed("resnet", null));
    }
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(grpcHeaders(PREDICT, "grpc-encoding", "gzip"));
      ByteString gzipped = frame(1, GrpcBodiesTest.gzip(predict("gpt").toByteArray()));
      ImmediateResponse immediate = envoy.send(body(gzipped, true)).getImmediateResponse();
      assertThat(immediate.getGrpcStatus().getStatus()).isEqualTo(5);
    }
  }

  @Test
  void adminRpcsOtherServicesAndUndocumentedPathsAreRefusedInTheRequestsProtocol() throws Exception {
    Map<ProcessingRequest, String> refusals =
        Map.of(
            grpcHeaders("/tensorflow.serving.ModelService/HandleReloadConfigRequest", "x-model-name", "resnet"),
            "grpc 12",
            grpcHeaders("/tensorflow.serving.SessionService/SessionRun"), "grpc 12",
            grpcHeaders(PREDICT + "/"), "grpc 12",
            grpcHeaders("/grpc.health.v1.Health/Check"), "grpc 12",
            headers(false, ":method", "POST", ":path", PREDICT, "content-type", "application/grpc-web+proto"), "grpc 3",
            headers(false, ":method", "POST", ":path", PREDICT, "x-model-name", "resnet"), "http 415",
            headers(false, ":method", "POST", ":path", PREDICT, "content-type", "application/json"), "http 415",
            headers(true, ":method", "GET", ":path", "/healthz"), "http 404",
            headers(true, ":method", "DELETE", ":path", "/v1/models/resnet"), "http 405");
    for (Map.Entry<ProcessingRequest, String> refusal : refusals.entrySet()) {
      try (EnvoySide envoy = new EnvoySide()) {
        ImmediateResponse immediate = envoy.send(refusal.getKey()).getImmediateResponse();
        String seen =
            immediate.hasGrpcStatus()
                ? "grpc " + immediate.getGrpcStatus().getStatus()
                : "http " + immediate.getStatus().getCodeValue();
        assertThat(seen).as(refusal.getKey().toString()).isEqualTo(refusal.getValue());
        assertThat(immediate.getBody().toStringUtf8()).isNotEmpty();
      }
    }
    assertThat(service.counters().count(DecisionKind.ROUTED)).isZero();
  }

  @Test
  void everyOtherMessageGetsAnEmptyResponseOfItsKind() throws Exception {
    try (EnvoySide envoy = new EnvoySide()) {
      envoy.send(headers(false, ":method", "POST", ":path", "/v1/models/resnet:predict"));
      assertThat(envoy.send(body(ByteString.copyFromUtf8("{}"), true)).hasRequestBody()).isTrue();
      assertThat(
              envoy.send(
                  ProcessingRequest.newBuilder()
                      .setRequestTrailers(HttpTrailers.getDefaultInstance())
                      .build()))
          .matches(ProcessingResponse::hasRequestTrailers);
      assertThat(
              envoy.send(
                  ProcessingRequest.newBuilder()
                      .setResponseHeaders(HttpHeaders.getDefaultInstance())
                      .build()))
          .isEqualTo(
              ProcessingResponse.newBuilder()
                  .setResponseHeaders(
                      io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse.getDefaultInstance())
                  .build());
      assertThat(
              envoy.send(
                  ProcessingRequest.newBuilder().setResponseBody(HttpBody.getDefaultInstance()).build()))
          .matches(ProcessingResponse::hasResponseBody);
      assertThat(
              envoy.send(
                  ProcessingRequest.newBuilder()
                      .setResponseTrailers(HttpTrailers.getDefaultInstance())
                      .build()))
          .matches(ProcessingResponse::hasResponseTrailers);
    }
    assertThat(service.counters().handlerFailures()).isZero();
  }

  @Test
  void streamEndsCleanlyWhenEnvoyHalfCloses() throws Exception {
    EnvoySide envoy = new EnvoySide();
    envoy.send(grpcHeaders(PREDICT));
    envoy.requests.onCompleted();
    assertThat(envoy.completed.await(5, TimeUnit.SECONDS)).isTrue();
  }

  // --- Envoy's side of the protocol -------------------------------------------------------

  /** One ext_proc stream as Envoy drives it: send a message, wait for its one answer. */
  private final class EnvoySide implements AutoCloseable, StreamObserver<ProcessingResponse> {
    final BlockingQueue<ProcessingResponse> answers = new LinkedBlockingQueue<>();
    final CountDownLatch completed = new CountDownLatch(1);
    final StreamObserver<ProcessingRequest> requests;

    EnvoySide() {
      requests =
          ExternalProcessorGrpc.newStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .process(this);
    }

    ProcessingResponse send(ProcessingRequest request) throws InterruptedException {
      requests.onNext(request);
      ProcessingResponse answer = answers.poll(5, TimeUnit.SECONDS);
      assertThat(answer).as("answer to " + request.getRequestCase()).isNotNull();
      return answer;
    }

    @Override
    public void onNext(ProcessingResponse value) {
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      completed.countDown();
    }

    @Override
    public void onCompleted() {
      completed.countDown();
    }

    @Override
    public void close() throws InterruptedException {
      requests.onCompleted();
      assertThat(completed.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(answers).as("unanswered extra responses").isEmpty();
    }
  }

  private static ProcessingRequest headers(boolean endOfStream, String... keyValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      // Envoy sends raw_value; some older versions sent value.
      HeaderValue.Builder header = HeaderValue.newBuilder().setKey(keyValues[i]);
      if (i % 4 == 0) {
        header.setRawValue(ByteString.copyFrom(keyValues[i + 1], StandardCharsets.UTF_8));
      } else {
        header.setValue(keyValues[i + 1]);
      }
      map.addHeaders(header);
    }
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(endOfStream))
        .build();
  }

  private static ProcessingRequest grpcHeaders(String path, String... extra) {
    String[] all = new String[6 + extra.length];
    System.arraycopy(
        new String[] {":method", "POST", ":path", path, "content-type", "application/grpc"}, 0, all, 0, 6);
    System.arraycopy(extra, 0, all, 6, extra.length);
    return headers(false, all);
  }

  private static ProcessingRequest body(ByteString bytes, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(bytes).setEndOfStream(endOfStream))
        .build();
  }

  private static PredictRequest predict(String model) {
    return PredictRequest.newBuilder().setModelSpec(spec(model)).addOutputFilter("y").build();
  }

  private static CommonResponse routed(String model, String version) {
    HeaderMutation.Builder mutation =
        HeaderMutation.newBuilder()
            .addRemoveHeaders("x-model-name")
            .addRemoveHeaders("x-model-version")
            .addRemoveHeaders("x-modelgate-held-ms")
            .addSetHeaders(set("x-model-name", model));
    if (version != null) {
      mutation.addSetHeaders(set("x-model-version", version));
    }
    return CommonResponse.newBuilder().setHeaderMutation(mutation).setClearRouteCache(true).build();
  }

  private static HeaderValueOption set(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppendAction(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static Map<String, String> setHeaders(HeaderMutation mutation) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      assertThat(option.getHeader().getValue()).as("value unset when raw_value is set").isEmpty();
      map.put(option.getHeader().getKey(), option.getHeader().getRawValue().toStringUtf8());
    }
    return map;
  }
}

package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.CodedOutputStream;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.modelgate.grpcserver.RawCalls;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictResponse;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a hostile client tried through the gateway (issue 12, findings 2, 3 and 9), against a real
 * Envoy configured by modelgate with the gateway filter: two replicas that both serve {@code a}
 * (configured) and {@code c} (loaded, but not configured in modelgate). Every refusal is checked
 * twice: the answer the client sees, and that no request reached a replica.
 */
class HostileRequestsThroughEnvoyTest {
  private static final String PREDICT = "/tensorflow.serving.PredictionService/Predict";
  private static final int MAX_REQUEST_BYTES = 256 * 1024;
  private static final Pattern UPSTREAM = Pattern.compile("(?m)^cluster\\.modelgate/(?!extproc)\\S*\\.upstream_rq_total: (\\d+)$");

  private static RoutingRig rig;
  private static ManagedChannel channel;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private long upstreamBefore;

  @BeforeAll
  static void start() {
    ExtProcConfig d = ExtProcConfig.loopbackEphemeral();
    ExtProcConfig limited =
        new ExtProcConfig(
            d.enabled(), d.listen(), d.envoyAddress(), d.failureModeAllow(), d.messageTimeout(), MAX_REQUEST_BYTES, d.passive(), d.hold(), d.maxHeld());
    rig =
        RoutingRig.start(
            SimulatorOptions.defaults().withReplicas(2),
            sim -> sim.replicas().forEach(r -> {
              r.loadModel("a", 1);
              r.loadModel("c", 1);
            }),
            List.of(ModelConfig.any("a")),
            RoutingRig.FAST_PROBES,
            limited);
    rig.awaitRoutable("modelgate/a/grpc", "r0", true);
    rig.awaitRoutable("modelgate/a/rest", "r1", true);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", rig.listenerPort()).usePlaintext().build();
    assertThat(rig.rejectedUpdates()).as("configuration updates Envoy rejected").isZero();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (rig != null) {
      rig.close();
    }
  }

  @BeforeEach
  void countUpstream() {
    upstreamBefore = upstreamRequests();
  }

  @AfterEach
  void modelCNeverReachedAReplica() {
    assertThat(rig.replica("r0").requestCount("c") + rig.replica("r1").requestCount("c")).isZero();
  }

  @Test
  void aSecondModelSpecFarIntoTheBodyIsReadAsTheReplicaReadsIt() throws IOException {
    // An ordinary request for a, then (as protobuf concatenation merges) more fields.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(predict("a").toByteArray());
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeString(3, "y".repeat(100_000));
    out.writeMessage(1, ModelSpec.newBuilder().setName("c").build());
    out.flush();

    StatusRuntimeException e = rawPredictFails(bytes.toByteArray(), new Metadata());
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).isEqualTo("model 'c' is not served here (known: a)");
    assertNothingWentUpstream();
  }

  @Test
  void aGzipCallForAnUnconfiguredModelIsRefusedAndForAConfiguredOneRouted() {
    StatusRuntimeException c =
        catchThrowableOfType(StatusRuntimeException.class, () -> gzipPredict("c", routingHeader("a")));
    assertThat(c.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(c.getStatus().getDescription())
        .isEqualTo("x-model-name 'a' disagrees with the request's model_spec.name 'c'");
    StatusRuntimeException plain =
        catchThrowableOfType(StatusRuntimeException.class, () -> gzipPredict("c", new Metadata()));
    assertThat(plain.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertNothingWentUpstream();

    assertThat(stub(new Metadata()).predict(predict("a")).getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(2.5f);
    assertThat(gzipPredict("a", new Metadata()).getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(2.5f);
  }

  @Test
  void grpcWebOrNoContentTypeIsRefusedEvenWithARoutingHeader() throws Exception {
    byte[] frame = frame(predict("c").toByteArray());
    HttpResponse<String> web = post(PREDICT, "application/grpc-web+proto", frame);
    assertThat(web.statusCode()).isEqualTo(200);
    assertThat(web.headers().firstValue("grpc-status")).hasValue("3");
    assertThat(web.headers().firstValue("grpc-message").orElse(""))
        .contains("content-type 'application/grpc-web+proto' on gRPC path");
    HttpResponse<String> none = post(PREDICT, null, frame);
    assertThat(none.statusCode()).isEqualTo(415);
    assertThat(none.body()).contains("no content-type on gRPC path");
    HttpResponse<String> json = post(PREDICT, "application/json", frame);
    assertThat(json.statusCode()).isEqualTo(415);
    assertNothingWentUpstream();
  }

  @Test
  void adminRpcsOtherServicesAndNearMissPathsAreUnimplemented() {
    for (String path :
        List.of(
            "/tensorflow.serving.ModelService/HandleReloadConfigRequest",
            "/tensorflow.serving.SessionService/SessionRun",
            PREDICT + "/",
            "/tensorflow.serving.PredictionService/predict")) {
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> rawCall(path, predict("a").toByteArray(), routingHeader("a")));
      assertThat(e.getStatus().getCode()).as(path).isEqualTo(Status.Code.UNIMPLEMENTED);
      assertThat(e.getStatus().getDescription()).as(path).contains("is not served through this gateway");
    }
    assertNothingWentUpstream();
  }

  @Test
  void aGrpcRequestOverTheLimitIsRefusedNamingTheLimitAndNeverRoutedByItsHeader() {
    // Over the limit: Envoy 1.40 still hands the body to the filter, which refuses it.
    StatusRuntimeException over = overLimit(100_000);
    assertThat(over.getStatus().getCode()).as(over.getStatus().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(over.getStatus().getDescription())
        .isEqualTo("request body over extproc.maxRequestBytes (" + MAX_REQUEST_BYTES + " bytes)");
    // Far over it, the body cannot reach modelgate at all: the filter fails open, and the client's
    // routing header, removed on the headers, routes nothing.
    StatusRuntimeException farOver = overLimit(1_000_000);
    assertThat(farOver.getStatus().getCode()).as(farOver.getStatus().toString()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(farOver.getStatus().getDescription())
        .endsWith("the request is over extproc.maxRequestBytes, " + MAX_REQUEST_BYTES + " bytes)");
    assertNothingWentUpstream();
  }

  private static StatusRuntimeException overLimit(int floats) {
    return catchThrowableOfType(
        StatusRuntimeException.class,
        () ->
            stub(routingHeader("a"))
                .predict(PredictRequest.newBuilder().setModelSpec(spec("a")).putInputs("x", floats(floats)).build()));
  }

  @Test
  void aZeroPaddedVersionIsThatVersionAsTfServingReadsIt() throws Exception {
    HttpResponse<String> padded = post("/v1/models/a/versions/01:predict", "application/json", "{\"instances\":[1.0]}".getBytes());
    assertThat(padded.statusCode()).as(padded.body()).isEqualTo(200);
    assertThat(padded.body().replace(" ", "")).contains("[2.5]");
  }

  @Test
  void undocumentedRestPathsAndMethodsGetJsonErrorsFromTheGateway() throws Exception {
    HttpResponse<String> other = send("GET", "/monitoring/prometheus/metrics");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(other.body()).contains("is not a TF Serving inference path");
    HttpResponse<String> method = send("DELETE", "/v1/models/a");
    assertThat(method.statusCode()).isEqualTo(405);
    assertThat(method.body()).contains("use GET");
    assertThat(send("POST", "/v1/models/c:predict").statusCode()).isEqualTo(404);
    assertNothingWentUpstream();
  }

  // --- clients ------------------------------------------------------------------------------

  private static PredictResponse gzipPredict(String model, Metadata headers) {
    return stub(headers).withCompression("gzip").predict(predict(model));
  }

  private static PredictionServiceGrpc.PredictionServiceBlockingStub stub(Metadata headers) {
    return PredictionServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static StatusRuntimeException rawPredictFails(byte[] message, Metadata headers) {
    return catchThrowableOfType(StatusRuntimeException.class, () -> rawCall(PREDICT, message, headers));
  }

  /** A unary call of {@code path} with {@code message} as its request bytes, whatever they are. */
  private static byte[] rawCall(String path, byte[] message, Metadata headers) {
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(path.substring(1))
            .setRequestMarshaller(RawCalls.BYTES)
            .setResponseMarshaller(RawCalls.BYTES)
            .build();
    return ClientCalls.blockingUnaryCall(
        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
        method,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        message);
  }


  private HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.listenerPort() + path))
            .timeout(Duration.ofSeconds(10))
            .header("x-model-name", "a")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("content-type", contentType);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.listenerPort() + path))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString("{\"instances\":[1.0]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Metadata routingHeader(String model) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-model-name", Metadata.ASCII_STRING_MARSHALLER), model);
    return headers;
  }

  private static ModelSpec spec(String model) {
    return ModelSpec.newBuilder().setName(model).build();
  }

  private static PredictRequest predict(String model) {
    return PredictRequest.newBuilder().setModelSpec(spec(model)).putInputs("x", floats(1)).build();
  }

  private static TensorProto floats(int count) {
    TensorProto.Builder x =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(count)));
    for (int i = 0; i < count; i++) {
      x.addFloatVal(1.0f);
    }
    return x.build();
  }

  private static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
  }

  /** Requests Envoy sent to any replica, over every model cluster. */
  private static long upstreamRequests() {
    Matcher matcher = UPSTREAM.matcher(rig.admin("/stats?filter=upstream_rq_total"));
    long total = 0;
    while (matcher.find()) {
      total += Long.parseLong(matcher.group(1));
    }
    return total;
  }

  private void assertNothingWentUpstream() {
    assertThat(upstreamRequests()).as("requests Envoy sent to a replica").isEqualTo(upstreamBefore);
  }
}

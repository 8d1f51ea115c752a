package io.modelgate.xds;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.modelgate.routing.RoutingHeaders;
import io.modelgate.simulator.TfServingWire;
import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.ExampleList;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.Input;
import io.modelgate.tfserving.api.ModelServiceGrpc;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictResponse;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import io.modelgate.tfserving.api.RegressionRequest;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client of Envoy's inference listener, the way an application calls TF Serving through it:
 * REST {@code POST /v1/models/<m>:predict} and gRPC {@code PredictionService/Predict} with the
 * {@code x-model-name} (and {@code x-model-version}) routing headers. Every call returns an
 * {@link Answer} naming the replica that answered (header {@code x-replica-id}); a transport
 * error is an answer too, never an exception. Thread-safe.
 */
public final class InferenceClient implements AutoCloseable {
  private static final Metadata.Key<String> REPLICA_ID =
      Metadata.Key.of(TfServingWire.REPLICA_ID_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  /**
   * What one call got: {@code ok}, the answering replica (or ""), a status line for failures, and
   * how long the gateway filter held the request as the response says (or "").
   */
  public record Answer(
      boolean ok, String replica, int httpStatus, Status.Code grpcCode, String contentType, String body, String heldMs) {
    public Answer(boolean ok, String replica, int httpStatus, Status.Code grpcCode, String contentType, String body) {
      this(ok, replica, httpStatus, grpcCode, contentType, body, "");
    }

    @Override
    public String toString() {
      return (ok ? "ok from " + replica : "FAILED") + " http=" + httpStatus + " grpc=" + grpcCode + " " + body.strip();
    }
  }

  private final int port;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final ManagedChannel channel;

  public InferenceClient(int envoyListenerPort) {
    this.port = envoyListenerPort;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", envoyListenerPort).usePlaintext().build();
  }

  /** REST predict of {@code {"instances":[1.0]}}; ok means 200 with the half_plus_two answer 2.5. */
  public Answer rest(String path) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(DEADLINE)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[1.0]}"))
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      String replica = response.headers().firstValue(TfServingWire.REPLICA_ID_HEADER).orElse("");
      boolean ok = response.statusCode() == 200 && response.body().replace(" ", "").contains("[2.5]");
      String contentType = response.headers().firstValue("content-type").orElse("");
      String held = response.headers().firstValue(RoutingHeaders.HELD_MS).orElse("");
      return new Answer(ok, replica, response.statusCode(), null, contentType, response.body(), held);
    } catch (IOException e) {
      return new Answer(false, "", 0, null, "", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(false, "", 0, null, "", "interrupted");
    }
  }

  public Answer restPredict(String model) {
    return rest("/v1/models/" + model + ":predict");
  }

  /** gRPC Predict of x=[1.0] routed by {@code x-model-name}; ok means y=[2.5]. */
  public Answer grpcPredict(String model) {
    return grpcPredict(model, null);
  }

  /** As {@link #grpcPredict(String)}, pinned to {@code version} (header and ModelSpec) if given. */
  public Answer grpcPredict(String model, Long version) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(RoutingHeaders.MODEL, Metadata.ASCII_STRING_MARSHALLER), model);
    ModelSpec.Builder spec = ModelSpec.newBuilder().setName(model);
    if (version != null) {
      headers.put(
          Metadata.Key.of(RoutingHeaders.VERSION, Metadata.ASCII_STRING_MARSHALLER), String.valueOf(version));
      spec.setVersion(com.google.protobuf.Int64Value.of(version));
    }
    AtomicReference<String> replica = new AtomicReference<>("");
    PredictionServiceGrpc.PredictionServiceBlockingStub stub =
        PredictionServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers), new ReplicaCapture(replica))
            .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    try {
      PredictResponse response = stub.predict(predictRequest(spec.build()));
      TensorProto y = response.getOutputsOrDefault("y", TensorProto.getDefaultInstance());
      boolean ok = y.getFloatValCount() == 1 && y.getFloatVal(0) == 2.5f;
      return new Answer(ok, replica.get(), 200, Status.Code.OK, "", ok ? "" : response.toString());
    } catch (StatusRuntimeException e) {
      return new Answer(
          false, replica.get(), 0, e.getStatus().getCode(), "", String.valueOf(e.getStatus().getDescription()));
    }
  }

  /** The six TF Serving gRPC methods whose request names a model. */
  enum Method {
    PREDICT,
    CLASSIFY,
    REGRESS,
    MULTI_INFERENCE,
    GET_MODEL_METADATA,
    GET_MODEL_STATUS
  }

  /**
   * {@code method} for {@code model} as an ordinary generated stub sends it: the model only in
   * the request's model_spec, no routing header. ok means the call returned OK.
   */
  Answer plainGrpc(Method method, String model) {
    return plainGrpc(method, model, DEADLINE);
  }

  /** As {@link #plainGrpc(Method, String)}, giving up after {@code deadline}. */
  Answer plainGrpc(Method method, String model, Duration deadline) {
    AtomicReference<String> replica = new AtomicReference<>("");
    AtomicReference<String> held = new AtomicReference<>("");
    Channel capturing = ClientInterceptors.intercept(channel, new ReplicaCapture(replica, held));
    ModelSpec spec = ModelSpec.newBuilder().setName(model).build();
    Input input =
        Input.newBuilder().setExampleList(ExampleList.newBuilder().addExamples(ByteString.EMPTY)).build();
    PredictionServiceGrpc.PredictionServiceBlockingStub prediction =
        PredictionServiceGrpc.newBlockingStub(capturing)
            .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    try {
      switch (method) {
        case PREDICT -> prediction.predict(predictRequest(spec));
        case CLASSIFY ->
            prediction.classify(ClassificationRequest.newBuilder().setModelSpec(spec).setInput(input).build());
        case REGRESS ->
            prediction.regress(RegressionRequest.newBuilder().setModelSpec(spec).setInput(input).build());
        case MULTI_INFERENCE ->
            prediction.multiInference(
                MultiInferenceRequest.newBuilder()
                    .addTasks(InferenceTask.newBuilder().setModelSpec(spec).setMethodName("tensorflow/serving/regress"))
                    .setInput(input)
                    .build());
        case GET_MODEL_METADATA ->
            prediction.getModelMetadata(
                GetModelMetadataRequest.newBuilder().setModelSpec(spec).addMetadataField("signature_def").build());
        case GET_MODEL_STATUS ->
            ModelServiceGrpc.newBlockingStub(capturing)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .getModelStatus(GetModelStatusRequest.newBuilder().setModelSpec(spec).build());
      }
      return new Answer(true, replica.get(), 200, Status.Code.OK, "", "", held.get());
    } catch (StatusRuntimeException e) {
      return new Answer(
          false, replica.get(), 0, e.getStatus().getCode(), "", String.valueOf(e.getStatus().getDescription()), held.get());
    }
  }

  /** A header-less Predict of {@code floats} values (4 bytes each); ok means status OK. */
  Answer plainPredict(String model, int floats) {
    AtomicReference<String> replica = new AtomicReference<>("");
    TensorProto.Builder x =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(floats)));
    for (int i = 0; i < floats; i++) {
      x.addFloatVal(1.0f);
    }
    try {
      PredictionServiceGrpc.newBlockingStub(ClientInterceptors.intercept(channel, new ReplicaCapture(replica)))
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model)).putInputs("x", x.build()).build());
      return new Answer(true, replica.get(), 200, Status.Code.OK, "", "");
    } catch (StatusRuntimeException e) {
      return new Answer(
          false, replica.get(), 0, e.getStatus().getCode(), "", String.valueOf(e.getStatus().getDescription()));
    }
  }

  /**
   * A unary call of any {@code path} with {@code message} as its request bytes and {@code
   * x-model-name: model}, as a client could send to reach another service; ok means status OK.
   */
  Answer rawGrpc(String path, byte[] message, String model) {
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(path.substring(1))
            .setRequestMarshaller(RawBytes.INSTANCE)
            .setResponseMarshaller(RawBytes.INSTANCE)
            .build();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(RoutingHeaders.MODEL, Metadata.ASCII_STRING_MARSHALLER), model);
    AtomicReference<String> replica = new AtomicReference<>("");
    try {
      ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(
              channel, MetadataUtils.newAttachHeadersInterceptor(headers), new ReplicaCapture(replica)),
          method,
          CallOptions.DEFAULT.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS),
          message);
      return new Answer(true, replica.get(), 200, Status.Code.OK, "", "");
    } catch (StatusRuntimeException e) {
      return new Answer(
          false, replica.get(), 0, e.getStatus().getCode(), "", String.valueOf(e.getStatus().getDescription()));
    }
  }

  private enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** An HTTP/1.1 request with any method and content-type (none if null) and a small body. */
  Answer http(String method, String path, String contentType) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(DEADLINE)
            .header(RoutingHeaders.MODEL, "m")
            .method(method, HttpRequest.BodyPublishers.ofString("{\"instances\":[1.0]}"));
    if (contentType != null) {
      request.header("content-type", contentType);
    }
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      String grpcStatus = response.headers().firstValue("grpc-status").orElse("");
      return new Answer(
          false,
          response.headers().firstValue(TfServingWire.REPLICA_ID_HEADER).orElse(""),
          response.statusCode(),
          grpcStatus.isEmpty() ? null : Status.fromCodeValue(Integer.parseInt(grpcStatus)).getCode(),
          response.headers().firstValue("content-type").orElse(""),
          response.body() + response.headers().firstValue("grpc-message").orElse(""));
    } catch (IOException e) {
      return new Answer(false, "", 0, null, "", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(false, "", 0, null, "", "interrupted");
    }
  }

  private static PredictRequest predictRequest(ModelSpec spec) {
    return PredictRequest.newBuilder()
        .setModelSpec(spec)
        .putInputs(
            "x",
            TensorProto.newBuilder()
                .setDtype(DataType.DT_FLOAT)
                .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
                .addFloatVal(1.0f)
                .build())
        .build();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Records x-replica-id from the response headers, or from the trailers of a trailers-only answer. */
  private static final class ReplicaCapture implements ClientInterceptor {
    private static final Metadata.Key<String> HELD_MS =
        Metadata.Key.of(RoutingHeaders.HELD_MS, Metadata.ASCII_STRING_MARSHALLER);
    private final AtomicReference<String> replica;
    private final AtomicReference<String> held;

    ReplicaCapture(AtomicReference<String> replica) {
      this(replica, new AtomicReference<>(""));
    }

    /** Also records the gateway filter's {@code x-modelgate-held-ms} into {@code held}. */
    ReplicaCapture(AtomicReference<String> replica, AtomicReference<String> held) {
      this.replica = replica;
      this.held = held;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          super.start(
              new SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onHeaders(Metadata received) {
                  record(received);
                  super.onHeaders(received);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                  record(trailers);
                  super.onClose(status, trailers);
                }
              },
              headers);
        }
      };
    }

    private void record(Metadata metadata) {
      String id = metadata.get(REPLICA_ID);
      if (id != null) {
        replica.set(id);
      }
      String heldMs = metadata.get(HELD_MS);
      if (heldMs != null) {
        held.set(heldMs);
      }
    }
  }
}

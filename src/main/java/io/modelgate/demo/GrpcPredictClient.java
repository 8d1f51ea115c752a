package io.modelgate.demo;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.modelgate.routing.RoutingHeaders;
import io.modelgate.simulator.TfServingWire;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictResponse;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * gRPC Predict on one plaintext channel, sent as any TF Serving client sends it: the model in the
 * request's model_spec (modelgate's gateway filter reads it there), and optionally in the
 * {@code x-model-name} header too, for an Envoy without the filter. Thread-safe; {@link #close()}
 * shuts the channel.
 */
public final class GrpcPredictClient implements PredictClient {
  private static final Metadata.Key<String> HELD_MS =
      Metadata.Key.of(RoutingHeaders.HELD_MS, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> REPLICA_ID =
      Metadata.Key.of(TfServingWire.REPLICA_ID_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final PredictionServiceGrpc.PredictionServiceStub stub;
  private final PredictRequest request;

  /**
   * @param routingHeader also send {@code x-model-name: model}, as a client of an Envoy without
   *     modelgate's gateway filter must
   */
  public GrpcPredictClient(InetSocketAddress target, String model, boolean routingHeader) {
    this.channel = NettyChannelBuilder.forAddress(target).usePlaintext().build();
    PredictionServiceGrpc.PredictionServiceStub plain = PredictionServiceGrpc.newStub(channel);
    if (routingHeader) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of(RoutingHeaders.MODEL, Metadata.ASCII_STRING_MARSHALLER), model);
      plain = plain.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = plain;
    this.request = request(model);
  }

  @Override
  public Api api() {
    return Api.GRPC;
  }

  @Override
  public CompletableFuture<Answered> predict(Duration deadline) {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    CompletableFuture<Answered> answer = new CompletableFuture<>();
    stub.withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .predict(
            request,
            new StreamObserver<>() {
              private PredictResponse response;

              @Override
              public void onNext(PredictResponse value) {
                response = value;
              }

              @Override
              public void onError(Throwable t) {
                Status status = Status.fromThrowable(t);
                answer.completeExceptionally(
                    new PredictFailure(describe(status, deadline), replica(headers, trailers)));
              }

              @Override
              public void onCompleted() {
                Optional<String> replica = replica(headers, trailers);
                if (!correct(response)) {
                  answer.completeExceptionally(new PredictFailure("wrong answer: " + response, replica));
                } else if (replica.isEmpty()) {
                  answer.completeExceptionally(
                      new PredictFailure("answer without " + TfServingWire.REPLICA_ID_HEADER, replica));
                } else {
                  answer.complete(new Answered(replica.get(), heldMs(headers.get())));
                }
              }
            });
    return answer;
  }

  /** The status as one line; the same for every call that failed the same way, so they group. */
  private static String describe(Status status, Duration deadline) {
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      // grpc-java's own description carries the exact elapsed nanoseconds and connection details.
      return "DEADLINE_EXCEEDED: no answer within the " + deadline.toMillis() + " ms deadline";
    }
    return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
  }

  private static Optional<String> replica(AtomicReference<Metadata> headers, AtomicReference<Metadata> trailers) {
    for (Metadata metadata : new Metadata[] {headers.get(), trailers.get()}) {
      if (metadata != null && metadata.get(REPLICA_ID) != null) {
        return Optional.of(metadata.get(REPLICA_ID));
      }
    }
    return Optional.empty();
  }

  private static OptionalLong heldMs(Metadata headers) {
    String held = headers == null ? null : headers.get(HELD_MS);
    return HeldHeader.parse(held);
  }

  private static boolean correct(PredictResponse response) {
    if (response == null || !response.containsOutputs(TfServingWire.OUTPUT_KEY)) {
      return false;
    }
    float[] values = floats(response.getOutputsOrThrow(TfServingWire.OUTPUT_KEY));
    return java.util.Arrays.equals(values, EXPECTED);
  }

  private static float[] floats(TensorProto tensor) {
    if (!tensor.getTensorContent().isEmpty()) {
      FloatBuffer buffer =
          tensor.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] values = new float[buffer.remaining()];
      buffer.get(values);
      return values;
    }
    float[] values = new float[tensor.getFloatValCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = tensor.getFloatVal(i);
    }
    return values;
  }

  private static PredictRequest request(String model) {
    TensorProto.Builder input =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(
                TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(INPUT.length)));
    for (float x : INPUT) {
      input.addFloatVal(x);
    }
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model))
        .putInputs(TfServingWire.INPUT_KEY, input.build())
        .build();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

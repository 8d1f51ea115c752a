package io.modelgate.bench;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.modelgate.simulator.TfServingWire;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictResponse;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import io.modelgate.tfserving.framework.TensorShapeProto;
import io.modelgate.xds.EnvoyResources;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * gRPC {@code PredictionService/Predict} of x=[1.0] on one plaintext HTTP/2 channel to Envoy,
 * with or without the {@code x-model-name} routing header (the model is always in model_spec);
 * right means status OK and y=[2.5]. Thread-safe; {@link #close()} shuts the channel.
 */
final class GrpcPredictCall implements PredictCall {
  private final ManagedChannel channel;
  private final PredictionServiceGrpc.PredictionServiceStub stub;
  private final PredictRequest request;

  GrpcPredictCall(int envoyPort, String model, boolean routingHeader) {
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", envoyPort).usePlaintext().build();
    PredictionServiceGrpc.PredictionServiceStub plain = PredictionServiceGrpc.newStub(channel);
    if (routingHeader) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of(EnvoyResources.MODEL_HEADER, Metadata.ASCII_STRING_MARSHALLER), model);
      plain = plain.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = plain;
    this.request =
        PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName(model))
            .putInputs(
                TfServingWire.INPUT_KEY,
                TensorProto.newBuilder()
                    .setDtype(DataType.DT_FLOAT)
                    .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
                    .addFloatVal(1.0f)
                    .build())
            .build();
  }

  @Override
  public CompletableFuture<Void> send(Duration deadline) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
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
                done.completeExceptionally(
                    new Failure(
                        status.getCode() == Status.Code.DEADLINE_EXCEEDED
                            ? "DEADLINE_EXCEEDED after " + deadline.toMillis() + " ms"
                            : status.getCode() + ": " + status.getDescription()));
              }

              @Override
              public void onCompleted() {
                TensorProto y =
                    response == null ? null : response.getOutputsOrDefault(TfServingWire.OUTPUT_KEY, null);
                if (y == null || y.getFloatValCount() != 1 || y.getFloatVal(0) != 2.5f) {
                  done.completeExceptionally(new Failure("wrong answer: " + response));
                } else {
                  done.complete(null);
                }
              }
            });
    return done;
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

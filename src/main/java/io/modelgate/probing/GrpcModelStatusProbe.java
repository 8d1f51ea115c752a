package io.modelgate.probing;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.sources.Replica;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.GetModelStatusResponse;
import io.modelgate.tfserving.api.ModelServiceGrpc;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.ModelVersionStatus;
import io.modelgate.tfserving.framework.Code;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A {@link ModelStatusProbe} that calls {@code tensorflow.serving.ModelService/GetModelStatus}
 * over one plaintext gRPC channel to the replica.
 *
 * <p>Thread-safe. Every call is asynchronous and carries a deadline of the probe timeout, so a
 * hung replica costs one timed-out call and never a thread. Failures map to {@link
 * ProbeOutcome.Failed}: DEADLINE_EXCEEDED to TIMEOUT, UNAVAILABLE to CONNECTION_FAILED, any other
 * non-OK status (except NOT_FOUND, which is TF Serving's "no such model") to BAD_RESPONSE.
 *
 * <p>A replica host that does not resolve is a CONNECTION_FAILED outcome with the resolver's
 * reason, logged once per state change by the readiness cache. grpc-java's channel also logs a
 * warning with a ~29-line stack trace on every resolution attempt (each probe, and its own
 * retries), so that warning is dropped, for every channel in the process.
 */
public final class GrpcModelStatusProbe implements ModelStatusProbe {
  /** Held so that java.util.logging, which keeps loggers weakly, keeps the filter too. */
  private static final Logger CHANNEL_LOG = Logger.getLogger("io.grpc.internal.ManagedChannelImpl");

  static {
    CHANNEL_LOG.setFilter(record -> !String.valueOf(record.getMessage()).contains("Failed to resolve name"));
  }

  private final ManagedChannel channel;
  private final ModelServiceGrpc.ModelServiceStub stub;
  private final Duration timeout;

  public GrpcModelStatusProbe(Replica replica, Duration timeout) {
    this.timeout = timeout;
    this.channel =
        NettyChannelBuilder.forAddress(replica.connectHost(), replica.grpcPort())
            .usePlaintext()
            // Pings only go out after 30 s without any frame from the replica, so a replica that
            // answers probes is never pinged, and a silently dead connection is noticed.
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .disableRetry()
            .build();
    this.stub = ModelServiceGrpc.newStub(channel);
  }

  @Override
  public CompletableFuture<ProbeOutcome> probe(String model) {
    // gRPC backs off reconnects up to two minutes; a prober wants one attempt per probe, so a
    // replica that comes back is seen at the next probe rather than minutes later.
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
    // No version in the spec: TF Serving then returns every version it tracks, and modelgate
    // decides itself which ones it wants.
    GetModelStatusRequest request =
        GetModelStatusRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName(model))
            .build();
    CompletableFuture<ProbeOutcome> result = new CompletableFuture<>();
    stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .getModelStatus(request, new OutcomeObserver(result));
    return result;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }

  private final class OutcomeObserver implements StreamObserver<GetModelStatusResponse> {
    private final CompletableFuture<ProbeOutcome> result;

    OutcomeObserver(CompletableFuture<ProbeOutcome> result) {
      this.result = result;
    }

    @Override
    public void onNext(GetModelStatusResponse response) {
      result.complete(
          new ProbeOutcome.Reported(
              response.getModelVersionStatusList().stream()
                  .map(GrpcModelStatusProbe::toVersionStatus)
                  .toList()));
    }

    @Override
    public void onError(Throwable t) {
      result.complete(fromStatus(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      // A unary call without a message would be a broken server.
      result.complete(
          new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE, "no response message"));
    }

    private ProbeOutcome fromStatus(Status status) {
      String description = describe(status);
      return switch (status.getCode()) {
        case NOT_FOUND -> new ProbeOutcome.ModelNotFound(description);
        case DEADLINE_EXCEEDED ->
            new ProbeOutcome.Failed(
                ProbeOutcome.Failed.Kind.TIMEOUT, "no answer within " + timeout.toMillis() + " ms");
        case UNAVAILABLE ->
            new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.CONNECTION_FAILED, description);
        default ->
            new ProbeOutcome.Failed(
                ProbeOutcome.Failed.Kind.BAD_RESPONSE, status.getCode() + ": " + description);
      };
    }
  }

  private static String describe(Status status) {
    String description = status.getDescription() == null ? "" : status.getDescription();
    if (status.getCause() != null && status.getCause().getMessage() != null) {
      // UNAVAILABLE's description is often just "io exception"; the cause says what happened.
      return description.isEmpty()
          ? status.getCause().getMessage()
          : description + ": " + status.getCause().getMessage();
    }
    return description;
  }

  private static VersionStatus toVersionStatus(ModelVersionStatus status) {
    String errorCode = "OK";
    if (status.hasStatus()) {
      Code code = Code.forNumber(status.getStatus().getErrorCodeValue());
      errorCode = code == null ? "CODE_" + status.getStatus().getErrorCodeValue() : code.name();
    }
    return new VersionStatus(
        status.getVersion(),
        toVersionState(status.getState()),
        errorCode,
        status.getStatus().getErrorMessage());
  }

  private static VersionState toVersionState(ModelVersionStatus.State state) {
    return switch (state) {
      case START -> VersionState.START;
      case LOADING -> VersionState.LOADING;
      case AVAILABLE -> VersionState.AVAILABLE;
      case UNLOADING -> VersionState.UNLOADING;
      case END -> VersionState.END;
      case UNKNOWN, UNRECOGNIZED -> VersionState.UNKNOWN;
    };
  }
}

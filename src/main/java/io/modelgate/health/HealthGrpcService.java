package io.modelgate.health;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.modelgate.health.v1.HealthCheckRequest;
import io.modelgate.health.v1.HealthCheckResponse;
import io.modelgate.health.v1.HealthGrpc;
import io.modelgate.health.v1.HealthListRequest;
import io.modelgate.health.v1.HealthListResponse;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The grpc.health.v1 Health service (Check, List, Watch) over a {@link HealthEvaluator}.
 *
 * <p>What a client controls is bounded: a service modelgate does not know may be named in at most
 * {@value #MAX_UNKNOWN_SERVICE_BYTES} bytes (longer: INVALID_ARGUMENT, the name not echoed; known
 * services answer whatever their length), and Watch streams are limited per connection and in all
 * by {@link WatchLimits} (beyond: RESOURCE_EXHAUSTED). The server's message size limit refuses
 * longer requests before they get here.
 *
 * <p>Thread-safe. Check and List are lock-free reads. Each Watch is a {@link Watcher} kept in a
 * concurrent map (with the connection whose slot it holds) until its stream is cancelled (its
 * cancel handler removes it; any later pass that finds it cancelled does too), fails, or is closed
 * by {@link #closeAll}; whichever removes it gives its slot back. The service never blocks on a
 * slow client, it coalesces instead.
 */
final class HealthGrpcService extends HealthGrpc.HealthImplBase {
  /** Model names are letters, digits, {@code _ . -}; no name a client may ask about needs more. */
  static final int MAX_UNKNOWN_SERVICE_BYTES = 256;

  private final HealthEvaluator evaluator;
  private final WatchSlots slots;
  private final Map<Watcher, Object> watchers = new ConcurrentHashMap<>();

  HealthGrpcService(HealthEvaluator evaluator, WatchLimits limits) {
    this.evaluator = evaluator;
    this.slots = new WatchSlots(limits);
  }

  @Override
  public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
    HealthStatus status = evaluator.statusOf(request.getService());
    if (!status.known()) {
      Status refusal = tooLong(request).orElse(Status.NOT_FOUND.withDescription(status.reason()));
      response.onError(refusal.asRuntimeException());
      return;
    }
    response.onNext(HealthCheckResponse.newBuilder().setStatus(status.status()).build());
    response.onCompleted();
  }

  @Override
  public void list(HealthListRequest request, StreamObserver<HealthListResponse> response) {
    HealthListResponse.Builder list = HealthListResponse.newBuilder();
    evaluator
        .statuses()
        .forEach(
            (service, status) ->
                list.putStatuses(
                    service, HealthCheckResponse.newBuilder().setStatus(status.status()).build()));
    response.onNext(list.build());
    response.onCompleted();
  }

  @Override
  public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
    ServerCallStreamObserver<HealthCheckResponse> call =
        (ServerCallStreamObserver<HealthCheckResponse>) response;
    String service = request.getService();
    // An unknown service is watched too (it may appear later), but only under a bounded name.
    Optional<Status> tooLong =
        evaluator.statusOf(service).known() ? Optional.empty() : tooLong(request);
    if (tooLong.isPresent()) {
      call.onError(tooLong.get().asRuntimeException());
      return;
    }
    Object connection = ConnectionInterceptor.CONNECTION.get();
    Optional<String> refusal = slots.take(connection);
    if (refusal.isPresent()) {
      call.onError(Status.RESOURCE_EXHAUSTED.withDescription(refusal.get()).asRuntimeException());
      return;
    }
    Watcher watcher = new Watcher(service, call, evaluator::statusOf, this::remove);
    // Both handlers go in before the first onNext, as gRPC requires of on-ready and so a cancel
    // that races with the first message still removes the watcher.
    call.setOnCancelHandler(() -> remove(watcher));
    call.setOnReadyHandler(watcher::drain);
    watchers.put(watcher, connection);
    if (call.isCancelled()) {
      remove(watcher);
      return;
    }
    watcher.drain();
  }

  private void remove(Watcher watcher) {
    Object connection = watchers.remove(watcher);
    if (connection != null) {
      slots.giveBack(connection);
    }
  }

  private static Optional<Status> tooLong(HealthCheckRequest request) {
    int bytes = request.getServiceBytes().size();
    if (bytes <= MAX_UNKNOWN_SERVICE_BYTES) {
      return Optional.empty();
    }
    return Optional.of(
        Status.INVALID_ARGUMENT.withDescription(
            "unknown service name of "
                + bytes
                + " bytes; names of services modelgate does not know are limited to "
                + MAX_UNKNOWN_SERVICE_BYTES
                + " bytes"));
  }

  /** Lets every open Watch send its status if it changed. */
  void notifyWatchers() {
    watchers.keySet().forEach(Watcher::drain);
  }

  /** Ends every open Watch with {@code status}. */
  void closeAll(Status status) {
    watchers.keySet().forEach(w -> w.close(status));
  }

  int watcherCount() {
    return watchers.size();
  }
}

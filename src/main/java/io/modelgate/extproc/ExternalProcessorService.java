package io.modelgate.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.probing.ProbeDemand;
import io.modelgate.routing.ProcessingModes;
import io.modelgate.view.HealthViewSource;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * modelgate's Envoy ext_proc gateway filter: it finds the TF Serving model each request asks
 * for, answers at once when no replica can serve it, and otherwise sets {@code x-model-name}
 * (and {@code x-model-version}) so Envoy routes the request to that model's cluster. Decisions
 * use the current {@link io.modelgate.view.HealthView} and the models it carries; TF Serving is
 * never called on the request path. The processing modes Envoy must be configured with are in
 * {@link ProcessingModes}.
 *
 * <p>Envoy's passive observer (an upstream ext_proc filter in observability mode, see {@link
 * PassiveDetector}) uses the same service: each of its streams is one try, carrying its request
 * and response headers.
 *
 * <p>One bidirectional stream per HTTP request, with its state in its own {@link
 * RequestExchange}. Thread-safe. A stream's handling never throws; a failed message is answered
 * as a pass-through and counted in {@link ExtProcCounters#handlerFailures()}.
 */
public final class ExternalProcessorService
    extends ExternalProcessorGrpc.ExternalProcessorImplBase implements AutoCloseable {
  /** Enough rounds for the JIT's first tier to compile the decision path. */
  private static final int WARM_UP_ROUNDS = 2_000;

  private final HealthViewSource views;
  private final RoutingPolicy policy;
  private final RequestReader reader;
  private final ExtProcCounters counters = new ExtProcCounters();
  private final Optional<PassiveDetector> passive;
  private final Optional<HoldQueue> holds;

  /**
   * @param maxRequestBytes the largest gRPC request message accepted, also once inflated
   * @param passive what to do with upstream answers from Envoy's passive observer; empty ignores
   *     them
   * @param hold how long a request waits for a replica that may serve it soon (zero: never)
   * @param maxHeld requests held at once
   * @param demand hears which models have held requests
   */
  public ExternalProcessorService(
      HealthViewSource views,
      int maxRequestBytes,
      Optional<PassiveDetector> passive,
      Duration hold,
      int maxHeld,
      ProbeDemand demand) {
    this.views = views;
    this.policy = new RoutingPolicy(hold, Clock.systemUTC());
    this.reader = new RequestReader(maxRequestBytes);
    this.passive = passive;
    this.holds =
        hold.isZero()
            ? Optional.empty()
            : Optional.of(new HoldQueue(views, policy, demand, hold, maxHeld, counters));
  }

  /** Without holding requests. */
  public ExternalProcessorService(
      HealthViewSource views, int maxRequestBytes, Optional<PassiveDetector> passive) {
    this(views, maxRequestBytes, passive, Duration.ZERO, 1, (model, waiting) -> {});
  }

  public ExternalProcessorService(HealthViewSource views) {
    this(views, ExtProcConfig.DEFAULT_MAX_REQUEST_BYTES, Optional.empty());
  }

  /** Requests held now. */
  public int held() {
    return holds.map(HoldQueue::size).orElse(0);
  }

  /** Stops holding: held requests stay unanswered (close the server first, which cuts them). */
  @Override
  public void close() {
    holds.ifPresent(HoldQueue::close);
  }

  public ExtProcCounters counters() {
    return counters;
  }

  /**
   * Runs REST and gRPC requests through the decision path, off the record, so that class loading
   * and the first compilations happen at startup rather than within the first client requests'
   * message timeout (a cold JVM on a busy host exceeded Envoy's 200 ms default here).
   */
  public void warmUp() {
    StreamObserver<ProcessingResponse> discard =
        new StreamObserver<>() {
          @Override
          public void onNext(ProcessingResponse response) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };
    ExtProcCounters offRecord = new ExtProcCounters();
    List<ModelConfig> catalog = views.current().catalog();
    String model = catalog.isEmpty() ? "warm-up" : catalog.get(0).name();
    for (int i = 0; i < WARM_UP_ROUNDS; i++) {
      RequestExchange rest = new RequestExchange(discard, views, policy, reader, offRecord, Optional.empty(), Optional.empty(), false);
      rest.onNext(WarmUpRequests.restHeaders(model));
      rest.onCompleted();
      RequestExchange grpc = new RequestExchange(discard, views, policy, reader, offRecord, Optional.empty(), Optional.empty(), false);
      grpc.onNext(WarmUpRequests.grpcHeaders());
      grpc.onNext(WarmUpRequests.grpcPredictBody(model));
      grpc.onCompleted();
    }
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    return new RequestExchange(
        responses, views, policy, reader, counters, passive, holds, ObserverInterceptor.trusted());
  }
}

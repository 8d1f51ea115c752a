package io.modelgate.extproc;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import io.modelgate.view.HealthViewSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc stream, which is one HTTP request passing through Envoy: it reads the request
 * headers and, for gRPC, the body; decides once; and answers every other message with a response
 * of the matching kind that changes nothing. A stream of Envoy's passive observer (an upstream
 * filter in observability mode) is one try instead: its request headers and then its response
 * headers, or an end without them, go to the {@link PassiveDetector}.
 *
 * <p>grpc-java delivers one stream's messages one at a time, so the state here needs no lock.
 * Handling never throws: an unexpected failure is logged, counted, and answered as a
 * pass-through, so a bug in modelgate costs routing, not the request.
 */
final class RequestExchange implements StreamObserver<ProcessingRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(RequestExchange.class);
  /** Warn once per process: a missing body is a filter configuration error, not a request's. */
  private static final AtomicBoolean WARNED_NO_BODY = new AtomicBoolean();

  private final StreamObserver<ProcessingResponse> responses;
  private final HealthViewSource views;
  private final RoutingPolicy policy;
  private final RequestReader reader;
  private final ExtProcCounters counters;
  private final Optional<PassiveDetector> passive;
  private Map<String, String> headers = Map.of();
  private boolean awaitingBody;
  private boolean answeredAll;
  /** On an observer stream: the try under way, until its response headers arrive. */
  private Optional<PassiveObservation> observedTry = Optional.empty();
  private long tryStartedNanos;

  RequestExchange(
      StreamObserver<ProcessingResponse> responses,
      HealthViewSource views,
      RoutingPolicy policy,
      RequestReader reader,
      ExtProcCounters counters,
      Optional<PassiveDetector> passive) {
    this.responses = responses;
    this.passive = passive;
    this.views = views;
    this.policy = policy;
    this.reader = reader;
    this.counters = counters;
  }

  @Override
  public void onNext(ProcessingRequest request) {
    if (answeredAll) {
      return;
    }
    ProcessingResponse response;
    try {
      response = handle(request);
    } catch (RuntimeException e) {
      LOG.error(
          "ext_proc message {} failed; passing the request through", request.getRequestCase(), e);
      counters.handlerFailed();
      awaitingBody = false;
      response = ProcessingResponses.passiveAnswer(request);
    }
    if (response != null) {
      responses.onNext(response);
    }
  }

  @Override
  public void onError(Throwable t) {
    noteMissingBody();
    noteUnansweredTry();
  }

  @Override
  public void onCompleted() {
    noteMissingBody();
    noteUnansweredTry();
    if (!answeredAll) {
      responses.onCompleted();
    }
  }

  private ProcessingResponse handle(ProcessingRequest request) {
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS:
        if (observer(request)) {
          // Envoy neither waits for nor reads an answer in observability mode.
          observedTry = passive.get().tryStarted(request);
          tryStartedNanos = System.nanoTime();
          return null;
        }
        return onRequestHeaders(request.getRequestHeaders());
      case REQUEST_BODY:
        if (awaitingBody) {
          return onRequestBody(request.getRequestBody());
        }
        return ProcessingResponses.passiveAnswer(request);
      case RESPONSE_HEADERS:
        if (observer(request)) {
          // Ending the stream at once frees it instead of leaving it open until Envoy's deferred
          // close.
          observedTry.ifPresent(t -> passive.get().answered(t, request));
          observedTry = Optional.empty();
          answeredAll = true;
          responses.onCompleted();
          return null;
        }
        return ProcessingResponses.passiveAnswer(request);
      default:
        return ProcessingResponses.passiveAnswer(request);
    }
  }

  /** Whether the message comes from Envoy's passive observer (an upstream filter). */
  private boolean observer(ProcessingRequest request) {
    return request.getObservabilityMode() && passive.isPresent();
  }

  /**
   * An observer stream that ends before its response headers is a try Envoy gave up on: its
   * per-try timeout fired or the try was reset (Envoy closes the stream its deferred-close
   * timeout after the try).
   */
  private void noteUnansweredTry() {
    observedTry.ifPresent(
        t -> passive.get().unanswered(t, Duration.ofNanos(System.nanoTime() - tryStartedNanos)));
    observedTry = Optional.empty();
  }

  private ProcessingResponse onRequestHeaders(HttpHeaders message) {
    headers = headerMap(message);
    Optional<Extraction> extraction = reader.fromHeaders(headers, message.getEndOfStream());
    if (extraction.isEmpty()) {
      awaitingBody = true;
      return ProcessingResponses.continueHeadersAndSendBody();
    }
    return ProcessingResponses.decided(decide(extraction.get()), /* onBody= */ false);
  }

  private ProcessingResponse onRequestBody(HttpBody body) {
    awaitingBody = false;
    Extraction extraction = reader.fromBody(headers, body.getBody(), body.getEndOfStream());
    return ProcessingResponses.decided(decide(extraction), /* onBody= */ true);
  }

  private Decision decide(Extraction extraction) {
    Decision decision;
    if (extraction instanceof Extraction.Found found) {
      decision = policy.decide(found.request(), views.current());
    } else if (extraction instanceof Extraction.Malformed malformed) {
      decision =
          new Decision.Reject(DecisionKind.MALFORMED, malformed.protocol(), malformed.reason());
    } else {
      // NotModelRequest; Unreadable never gets here, RequestReader falls back to headers.
      decision = new Decision.PassThrough();
    }
    counters.record(decision.kind());
    if (decision instanceof Decision.Reject reject) {
      LOG.debug(
          "rejected {} {}: {}", headers.get(":method"), headers.get(":path"), reject.message());
    }
    return decision;
  }

  private void noteMissingBody() {
    if (awaitingBody && WARNED_NO_BODY.compareAndSet(false, true)) {
      LOG.warn(
          "a gRPC request's ext_proc stream ended before its body reached modelgate: Envoy's"
              + " message timeout fired, the client cancelled, or the filter lacks"
              + " allow_mode_override: true (or sets send_body_without_waiting_for_header_response)");
    }
  }

  /** Header names in lower case; Envoy fills {@code raw_value} (newer) or {@code value} (older). */
  static Map<String, String> headerMap(HttpHeaders message) {
    Map<String, String> map = new HashMap<>();
    for (HeaderValue header : message.getHeaders().getHeadersList()) {
      String value =
          header.getRawValue().isEmpty()
              ? header.getValue()
              : header.getRawValue().toString(StandardCharsets.UTF_8);
      map.putIfAbsent(header.getKey().toLowerCase(Locale.ROOT), value);
    }
    return map;
  }
}

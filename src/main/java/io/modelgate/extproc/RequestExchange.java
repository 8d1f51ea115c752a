package io.modelgate.extproc;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import io.modelgate.routing.HoldTimeouts;
import io.modelgate.view.HealthViewSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc stream, which is one HTTP request passing through Envoy: it reads the request
 * headers and, for gRPC, the body; decides once; and answers every other message with a response
 * of the matching kind that changes nothing. A stream of Envoy's passive observer (an upstream
 * filter in observability mode) is one try instead: its request headers and then its response
 * headers, or an end without them, go to the {@link PassiveDetector}.
 *
 * <p>Observer messages count only on streams that carry the observer token ({@link
 * ObserverInterceptor}); anyone else's message that claims observability mode is ignored and counted.
 *
 * <p>A request that no replica serves yet but one may soon is held ({@link HoldQueue}): Envoy is
 * asked to wait longer, and the answer comes later from another thread; if the stream ends
 * first, the request leaves the queue unanswered.
 *
 * <p>grpc-java delivers one stream's messages one at a time; the stream's monitor serialises them
 * with a held request's answer, which must never overtake the message asking Envoy to wait.
 * Handling never throws: an unexpected failure is logged, counted, and answered as a
 * pass-through, so a bug in modelgate costs routing, not the request.
 */
final class RequestExchange implements StreamObserver<ProcessingRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(RequestExchange.class);
  /** Left of a call's grpc-timeout for modelgate's answer to reach the client. */
  private static final Duration DEADLINE_MARGIN = Duration.ofMillis(100);
  /** A call whose deadline leaves less than this is answered at once rather than held. */
  private static final Duration MIN_HOLD = Duration.ofMillis(50);

  private final StreamObserver<ProcessingResponse> responses;
  private final HealthViewSource views;
  private final RoutingPolicy policy;
  private final RequestReader reader;
  private final ExtProcCounters counters;
  private final Optional<PassiveDetector> passive;
  private final Optional<HoldQueue> holds;
  /** Whether this stream carried the observer token. */
  private final boolean trustedObserver;
  private Map<String, String> headers = Map.of();
  private boolean awaitingBody;
  private boolean answeredAll;
  /** Envoy ended the stream: a held request's answer has nowhere to go. */
  private boolean ended;
  private Optional<HoldQueue.Held> held = Optional.empty();
  /** On an observer stream: the try under way, until its response headers arrive. */
  private Optional<PassiveObservation> observedTry = Optional.empty();
  private long tryStartedNanos;

  RequestExchange(
      StreamObserver<ProcessingResponse> responses,
      HealthViewSource views,
      RoutingPolicy policy,
      RequestReader reader,
      ExtProcCounters counters,
      Optional<PassiveDetector> passive,
      Optional<HoldQueue> holds,
      boolean trustedObserver) {
    this.responses = responses;
    this.holds = holds;
    this.trustedObserver = trustedObserver;
    this.passive = passive;
    this.views = views;
    this.policy = policy;
    this.reader = reader;
    this.counters = counters;
  }

  @Override
  public synchronized void onNext(ProcessingRequest request) {
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
  public synchronized void onError(Throwable t) {
    ended = true;
    noteMissingBody();
    noteUnansweredTry();
    cancelHold();
  }

  @Override
  public synchronized void onCompleted() {
    ended = true;
    noteMissingBody();
    noteUnansweredTry();
    cancelHold();
    if (!answeredAll) {
      responses.onCompleted();
    }
  }

  private void cancelHold() {
    held.ifPresent(HoldQueue.Held::cancel);
    held = Optional.empty();
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

  /**
   * Whether the message comes from Envoy's passive observer (an upstream filter). A message that
   * claims observability mode on a stream without the observer token is counted and answered as
   * a pass-through: a forged observer cannot bring probes forward.
   */
  private boolean observer(ProcessingRequest request) {
    if (!request.getObservabilityMode() || passive.isEmpty()) {
      return false;
    }
    if (!trustedObserver) {
      counters.forgedObserverMessage();
      return false;
    }
    return true;
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
      return ProcessingResponses.clearRoutingAndSendBody();
    }
    return decide(extraction.get(), /* onBody= */ false);
  }

  private ProcessingResponse onRequestBody(HttpBody body) {
    awaitingBody = false;
    // BUFFERED: the body is whole even when end_of_stream is false (trailers follow).
    Extraction extraction = reader.fromBody(headers, body.getBody());
    return decide(extraction, /* onBody= */ true);
  }

  private ProcessingResponse decide(Extraction extraction, boolean onBody) {
    if (extraction instanceof Extraction.Refused refused) {
      return answer(new Decision.Reject(refused.kind(), refused.protocol(), refused.reason()), onBody);
    }
    ModelRequest request = ((Extraction.Found) extraction).request();
    Decision decision = policy.decide(request, views.current());
    if (decision instanceof Decision.Hold hold) {
      return hold(request, hold, onBody);
    }
    return answer(decision, onBody);
  }

  /**
   * Holds the request and asks Envoy to wait; answers the hold's rejection at once when holding
   * is off, or with the queue full.
   */
  private ProcessingResponse hold(ModelRequest request, Decision.Hold hold, boolean onBody) {
    if (holds.isEmpty()) {
      return answer(hold.meanwhile(), onBody);
    }
    HoldQueue queue = holds.get();
    // A call's own deadline, less the way back, bounds its hold: an answer after it is wasted.
    Optional<Duration> deadline =
        GrpcTimeout.parse(headers.get("grpc-timeout")).map(t -> t.minus(DEADLINE_MARGIN));
    if (deadline.isPresent() && deadline.get().compareTo(MIN_HOLD) < 0) {
      return answer(hold.meanwhile(), onBody);
    }
    held = queue.hold(request, deadline, (decision, waited) -> release(decision, waited, onBody));
    if (held.isEmpty()) {
      Decision.Reject meanwhile = hold.meanwhile();
      return answer(
          new Decision.Reject(
              meanwhile.kind(),
              meanwhile.protocol(),
              meanwhile.message()
                  + "; not held: the hold queue is full (extproc.maxHeld, "
                  + queue.maxHeld()
                  + " requests already wait)"),
          onBody);
    }
    counters.record(DecisionKind.HELD);
    return ProcessingResponses.extendTimeout(HoldTimeouts.messageTimeout(queue.hold()));
  }

  /** A held request's answer, from the hold queue's or the view publisher's thread. */
  private synchronized void release(Decision decision, Duration waited, boolean onBody) {
    held = Optional.empty();
    if (ended) {
      return;
    }
    try {
      responses.onNext(answer(decision, onBody, Optional.of(waited)));
    } catch (RuntimeException e) {
      // The call was cancelled between Envoy's end of stream and this answer.
      LOG.debug("held request's answer not delivered: {}", e.toString());
    }
  }

  private ProcessingResponse answer(Decision decision, boolean onBody) {
    return answer(decision, onBody, Optional.empty());
  }

  private ProcessingResponse answer(Decision decision, boolean onBody, Optional<Duration> held) {
    counters.record(decision.kind());
    if (decision instanceof Decision.Reject reject) {
      LOG.debug("rejected {} {}: {}", headers.get(":method"), Bounded.of(headers.getOrDefault(":path", "")), reject.message());
    }
    return ProcessingResponses.decided(decision, onBody, held);
  }

  /**
   * A gRPC request whose body never came: the client's doing (a body too big for modelgate's
   * ext_proc message limit, extproc.maxRequestBytes plus 1 MiB, so Envoy fails open; Envoy's own
   * 413; or a cancelled call), so it is counted and logged at debug. It is never routed: its
   * routing headers were removed on the headers answer.
   */
  private void noteMissingBody() {
    if (awaitingBody) {
      awaitingBody = false;
      counters.bodyMissing();
      LOG.debug(
          "{} ended before its body reached modelgate (over extproc.maxRequestBytes, or cancelled)",
          Bounded.of(headers.getOrDefault(":path", "")));
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

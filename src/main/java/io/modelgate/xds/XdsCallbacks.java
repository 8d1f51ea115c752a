package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.modelgate.grpcserver.ClientText;
import io.modelgate.grpcserver.RateLimitedLog;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.slf4j.LoggerFactory;

/**
 * Operator-facing bookkeeping of xDS streams: which are open (and which of them incremental), and
 * the NACKs received, logged with Envoy's {@code error_detail}; and the endpoints (EDS) versions
 * Envoy acknowledges, which tell the gateway filter what Envoy routes by ({@link AppliedViews}). A NACKed resource is not resent:
 * the cache keeps serving the last snapshot until the next view change ({@link NackHolding}).
 *
 * <p>A NACK counts as Envoy rejecting configuration only if it names a nonce this server sent on
 * that stream; any other (a client speaking xDS wrongly, or forging NACKs) is counted apart as a
 * stray NACK and changes nothing else. Every line is bounded (an {@code error_detail} is cut at
 * {@value #MAX_DETAIL_CHARS} characters with its full length given) and rate-limited, since any
 * client reaching the port can send NACKs or open and drop streams at will.
 *
 * <p>A stream is counted from java-control-plane's open callback to its close callback; the
 * server's {@code GrpcServerPolicy} turns a malformed request message into a cancel, so every way
 * a stream ends reaches one of the two. Thread-safe: a concurrent map of streams, each with a
 * lock for its nonces.
 */
final class XdsCallbacks implements DiscoveryServerCallbacks {
  /** Envoy lists every rejected resource with its reason; the first kilobyte says what is wrong. */
  static final int MAX_DETAIL_CHARS = 1024;

  private static final String ENDPOINTS = Resources.V3.ENDPOINT_TYPE_URL;

  /** Node ids, type URLs and versions come from the client too. */
  private static final int MAX_NAME_CHARS = 200;

  /** Responses whose nonce a NACK may name: the latest per type is what Envoy answers. */
  private static final int NONCES_KEPT = 16;

  private final RateLimitedLog nackLog = RateLimitedLog.of(LoggerFactory.getLogger(XdsCallbacks.class));
  private final RateLimitedLog streamLog = RateLimitedLog.of(LoggerFactory.getLogger(XdsCallbacks.class));
  private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
  private final AtomicLong nacks = new AtomicLong();
  private final AtomicLong strayNacks = new AtomicLong();
  private final LongConsumer endpointsApplied;

  /** @param endpointsApplied hears each endpoints (EDS) version an Envoy acknowledges */
  XdsCallbacks(LongConsumer endpointsApplied) {
    this.endpointsApplied = endpointsApplied;
  }

  /** One open stream: whether it speaks incremental xDS, and the nonces last sent on it. */
  private static final class Stream {
    private final ArrayDeque<String> sentNonces = new ArrayDeque<>(); // guarded by this
    /** The endpoints version each recent EDS response carried, by nonce. */
    private final Map<String, Long> endpointsNonces = new LinkedHashMap<>(); // guarded by this
    private volatile boolean delta;

    synchronized void sentEndpoints(String nonce, long version) {
      if (endpointsNonces.size() == NONCES_KEPT) {
        endpointsNonces.remove(endpointsNonces.keySet().iterator().next());
      }
      endpointsNonces.put(nonce, version);
    }

    /** The endpoints version an acknowledgement of {@code nonce} confirms, or -1. */
    synchronized long endpointsAcked(String nonce) {
      Long version = endpointsNonces.get(nonce);
      return version == null ? -1 : version;
    }

    synchronized void sent(String nonce) {
      if (sentNonces.size() == NONCES_KEPT) {
        sentNonces.removeFirst();
      }
      sentNonces.addLast(nonce);
    }

    synchronized boolean wasSent(String nonce) {
      return sentNonces.contains(nonce);
    }
  }

  long openStreams() {
    return streams.size();
  }

  long openDeltaStreams() {
    return streams.values().stream().filter(s -> s.delta).count();
  }

  /** NACKs of configuration this server sent. */
  long nacks() {
    return nacks.get();
  }

  /** NACKs naming a nonce this server never sent on that stream. */
  long strayNacks() {
    return strayNacks.get();
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    streams.put(streamId, new Stream());
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    streams.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streams.remove(streamId);
    streamLog.info("xDS stream {} closed: {}", streamId, ClientText.excerpt(String.valueOf(error.getMessage()), MAX_NAME_CHARS));
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    sent(streamId, response.getNonce());
    if (ENDPOINTS.equals(response.getTypeUrl())) {
      sentEndpoints(streamId, response.getNonce(), version(response.getVersionInfo()));
    }
  }

  @Override
  public void onV3StreamDeltaResponse(
      long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    sent(streamId, response.getNonce());
    if (ENDPOINTS.equals(response.getTypeUrl())) {
      // java-control-plane sends the type's version there, removals-only responses included.
      long version = version(response.getSystemVersionInfo());
      for (Resource resource : response.getResourcesList()) {
        // A resource's version is the snapshot generation in which it last changed.
        version = Math.max(version, version(resource.getVersion()));
      }
      sentEndpoints(streamId, response.getNonce(), version);
    }
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    acknowledged(streamId, request.getTypeUrl(), request.getResponseNonce(), request.hasErrorDetail());
    if (request.hasErrorDetail()) {
      nack(
          streamId,
          request.getResponseNonce(),
          request.getNode().getId(),
          request.getTypeUrl() + " version " + request.getVersionInfo(),
          request.getErrorDetail().getMessage());
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    Stream stream = streams.get(streamId);
    if (stream != null) {
      stream.delta = true;
    }
    acknowledged(streamId, request.getTypeUrl(), request.getResponseNonce(), request.hasErrorDetail());
    if (request.hasErrorDetail()) {
      nack(
          streamId,
          request.getResponseNonce(),
          request.getNode().getId(),
          request.getTypeUrl(),
          request.getErrorDetail().getMessage());
    }
  }

  private void sentEndpoints(long streamId, String nonce, long version) {
    Stream stream = streams.get(streamId);
    if (stream != null && version >= 0) {
      stream.sentEndpoints(nonce, version);
    }
  }

  /** A request naming the nonce of an EDS response this server sent, without an error, applies it. */
  private void acknowledged(long streamId, String typeUrl, String nonce, boolean error) {
    if (error || !ENDPOINTS.equals(typeUrl) || nonce.isEmpty()) {
      return;
    }
    Stream stream = streams.get(streamId);
    long version = stream == null ? -1 : stream.endpointsAcked(nonce);
    if (version >= 0) {
      endpointsApplied.accept(version);
    }
  }

  /** Versions this server sends are numbers ({@link SnapshotVersions}); anything else is not ours. */
  private static long version(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void sent(long streamId, String nonce) {
    Stream stream = streams.get(streamId);
    if (stream != null) {
      stream.sent(nonce);
    }
  }

  private void nack(long streamId, String nonce, String node, String what, String detail) {
    Stream stream = streams.get(streamId);
    if (stream == null || !stream.wasSent(nonce)) {
      strayNacks.incrementAndGet();
      nackLog.warn(
          "xDS stream {} sent a NACK for nonce '{}', which it was never sent; ignored (node '{}')",
          streamId,
          ClientText.excerpt(nonce, MAX_NAME_CHARS),
          ClientText.excerpt(node, MAX_NAME_CHARS));
      return;
    }
    nacks.incrementAndGet();
    nackLog.error(
        "Envoy node '{}' rejected {}: {}",
        ClientText.excerpt(node, MAX_NAME_CHARS),
        ClientText.excerpt(what, MAX_NAME_CHARS),
        ClientText.excerpt(detail, MAX_DETAIL_CHARS));
  }
}

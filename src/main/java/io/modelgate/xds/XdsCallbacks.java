package io.modelgate.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator-facing bookkeeping of xDS streams: counts open streams and how many of them are
 * incremental (delta), logs disconnects, and logs and counts every NACK with Envoy's {@code
 * error_detail}. A NACKed resource is not resent: the cache keeps
 * serving the last snapshot until the next view change. Thread-safe (counters only).
 */
final class XdsCallbacks implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(XdsCallbacks.class);

  private final AtomicLong openStreams = new AtomicLong();
  private final AtomicLong nacks = new AtomicLong();
  private final Set<Long> deltaStreams = ConcurrentHashMap.newKeySet();

  long openStreams() {
    return openStreams.get();
  }

  long openDeltaStreams() {
    return deltaStreams.size();
  }

  long nacks() {
    return nacks.get();
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    openStreams.incrementAndGet();
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    openStreams.decrementAndGet();
    deltaStreams.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    openStreams.decrementAndGet();
    deltaStreams.remove(streamId);
    log.info("xDS stream {} closed: {}", streamId, error.getMessage());
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    if (request.hasErrorDetail()) {
      nacks.incrementAndGet();
      log.error(
          "Envoy node {} rejected {} version {}: {}",
          request.getNode().getId(),
          request.getTypeUrl(),
          request.getVersionInfo(),
          request.getErrorDetail().getMessage());
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    deltaStreams.add(streamId);
    if (request.hasErrorDetail()) {
      nacks.incrementAndGet();
      log.error(
          "Envoy node {} rejected {}: {}",
          request.getNode().getId(),
          request.getTypeUrl(),
          request.getErrorDetail().getMessage());
    }
  }
}

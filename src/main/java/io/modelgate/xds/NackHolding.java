package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The snapshot cache as the discovery server sees it, except that a NACK waits for the next
 * snapshot instead of getting the rejected one again. A NACK carries the version Envoy last
 * accepted, which differs from the cache's, so the cache alone would resend the same rejected
 * resources at once, and Envoy would reject them again, in a loop (the fault suite saw hundreds
 * per second). Treating the NACK as if it named the current version parks the watch until the
 * resources change. Thread-safe (stateless over the thread-safe cache).
 */
final class NackHolding implements ConfigWatcher {
  private final SimpleCache<String> cache;
  private final NodeGroups groups;

  NackHolding(SimpleCache<String> cache, NodeGroups groups) {
    this.cache = cache;
    this.groups = groups;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    XdsRequest effective = request;
    if (request.hasErrorDetail()) {
      Snapshot current = cache.getSnapshot(groups.hash(request.v3Request().getNode()));
      if (current != null) {
        effective =
            XdsRequest.create(
                request.v3Request().toBuilder()
                    .setVersionInfo(current.version(request.getResourceType()))
                    .build());
      }
    }
    return cache.createWatch(
        ads, effective, knownResourceNames, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    return cache.createDeltaWatch(
        request, requesterVersion, resourceVersions, pendingResources, isWildcard, responseConsumer, hasClusterChanged);
  }
}

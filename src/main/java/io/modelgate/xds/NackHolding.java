package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The snapshot cache as the discovery server sees it, except for two repairs.
 *
 * <p>State of the world: a NACK waits for the next snapshot instead of getting the rejected one
 * again. A NACK carries the version Envoy last accepted, which differs from the cache's, so the
 * cache alone would resend the same rejected resources at once, and Envoy would reject them
 * again, in a loop (the fault suite saw hundreds per second). Treating the NACK as if it named the current version parks the watch until the
 * resources change.
 *
 * <p>Incremental (delta): an Envoy that reconnects, to a restarted modelgate for one, lists in
 * {@code initial_resource_versions} what it already holds, and java-control-plane's stream ignores
 * that list, so a resource gone meanwhile (a version's cluster after a rollout) was never removed
 * and Envoy kept routing to it. The first watch of such a stream counts those resources as held,
 * so the first response removes what is gone (and resends what changed). And a NACK of resources
 * Envoy asked for by name (EDS, RDS) leaves them pending, which the cache answers at once with the
 * same resources, in a loop too: the watch after a NACK counts them as held at the versions just
 * rejected, so they are sent again when they change, like everything else. Thread-safe
 * (stateless over the thread-safe cache).
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
    String group = groups.hash(request.v3Request().getNode());
    Map<String, String> held = new HashMap<>(resourceVersions);
    Consumer<DeltaResponse> consumer = responseConsumer;
    if (resourceVersions.isEmpty() && !request.v3Request().getInitialResourceVersionsMap().isEmpty()) {
      held.putAll(request.v3Request().getInitialResourceVersionsMap());
      // The cache removes held resources only when it answers at once; a watch left open until
      // the first snapshot (a restarted modelgate publishes none before its first full round) is
      // answered with removals relative to the previous snapshot, and there is none.
      Set<String> initiallyHeld = Set.copyOf(held.keySet());
      consumer = response -> responseConsumer.accept(withGoneRemoved(response, initiallyHeld, group));
    }
    Set<String> pending = new HashSet<>(pendingResources);
    Snapshot current = cache.getSnapshot(group);
    // Only while the snapshot is still the one that was rejected: a newer one is sent as usual.
    if (request.v3Request().hasErrorDetail()
        && current != null
        && current.version(request.getResourceType(), List.of()).equals(requesterVersion)) {
      Map<String, VersionedResource<?>> offered = current.versionedResources(request.getResourceType());
      for (String name : pendingResources) {
        VersionedResource<?> rejected = offered.get(name);
        if (rejected != null) {
          held.put(name, rejected.version());
          pending.remove(name);
        }
      }
    }
    return cache.createDeltaWatch(
        request, requesterVersion, held, pending, isWildcard, consumer, hasClusterChanged);
  }

  /** {@code response}, also removing whatever of {@code held} the current snapshot lacks. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private DeltaResponse withGoneRemoved(DeltaResponse response, Set<String> held, String group) {
    Snapshot current = cache.getSnapshot(group);
    if (current == null) {
      return response;
    }
    Map<String, VersionedResource<?>> present = current.versionedResources(response.request().getResourceType());
    List<String> removed = new ArrayList<>(response.removedResources());
    for (String name : held) {
      if (!present.containsKey(name) && !removed.contains(name)) {
        removed.add(name);
      }
    }
    if (removed.size() == response.removedResources().size()) {
      return response;
    }
    return DeltaResponse.create(response.request(), (Map) response.resources(), removed, response.version());
  }
}

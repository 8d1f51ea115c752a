package io.modelgate.xds;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Monotonic versions for the resource types, and for each resource, of successive snapshots. Each
 * snapshot whose resources differ from the previous one is a new generation; a resource type, and
 * a resource, keeps its version until its content changes, and then takes the generation's number.
 * java-control-plane pushes a type to a state-of-the-world stream only when the type's version
 * changes, and to an incremental (delta) stream only the resources whose version changed, so Envoy
 * hears about exactly what changed; an operator reading {@code version_info} in Envoy's config dump
 * sees a number that grows. (Left to itself, java-control-plane would version each resource by a
 * hash of its 32-bit {@code hashCode}, and a collision would silently keep a change from Envoy.)
 *
 * <p>A generation is {@code max(previous + 1, wall-clock milliseconds)}, so numbers also grow
 * across a restart. Counting from 1 again would be unsafe: a restarted modelgate could reuse the
 * very version an Envoy already holds for different content, and java-control-plane would then
 * never send it the new content.
 *
 * <p>Not thread-safe: owned by the snapshot builder thread. Content is compared with {@code
 * equals} against the previous snapshot's resources, which costs little: {@link EnvoyResources}
 * hands back the very objects of anything unchanged (a protobuf message equals itself at once),
 * and a rebuilt load assignment shares its unchanged endpoint messages with the one it replaces.
 * A hash of every resource's encoding cost a full encode of the 2.5 MB of load assignments of
 * 1,000 replicas x 20 models on the first build.
 */
final class SnapshotVersions {
  /** The previous snapshot's resources of each type, as given and with their versions. */
  private final Map<String, List<? extends Message>> previousLists = new HashMap<>();
  private final Map<String, List<VersionedResource<?>>> versioned = new HashMap<>();
  private final Map<String, String> versions = new HashMap<>();
  private final LongSupplier epochMillis;
  private long generation;

  SnapshotVersions(LongSupplier epochMillis) {
    this.epochMillis = epochMillis;
  }

  SnapshotVersions() {
    this(System::currentTimeMillis);
  }

  /**
   * The versions of one snapshot, by type name, and its resources with their own versions; {@link
   * #changed} if anything moved.
   */
  record Next(Map<String, String> versions, Map<String, List<VersionedResource<?>>> resources, boolean changed) {
    String of(String type) {
      return versions.get(type);
    }
  }

  Next next(Map<String, List<? extends Message>> resourcesByType) {
    List<String> changedTypes = new ArrayList<>();
    resourcesByType.forEach(
        (type, resources) -> {
          if (!resources.equals(previousLists.get(type))) {
            changedTypes.add(type);
          }
        });
    boolean changed = !changedTypes.isEmpty() || !previousLists.keySet().equals(resourcesByType.keySet());
    if (changed) {
      generation = Math.max(generation + 1, epochMillis.getAsLong());
      String version = Long.toString(generation);
      for (String type : changedTypes) {
        versions.put(type, version);
        versioned.put(type, versionEach(type, resourcesByType.get(type), version));
      }
      versions.keySet().retainAll(resourcesByType.keySet());
      versioned.keySet().retainAll(resourcesByType.keySet());
      previousLists.clear();
      previousLists.putAll(resourcesByType);
    }
    return new Next(Map.copyOf(versions), Map.copyOf(versioned), changed);
  }

  /** Each resource keeps its previous version while it equals the previous one of its name. */
  private List<VersionedResource<?>> versionEach(String type, List<? extends Message> resources, String version) {
    Map<String, VersionedResource<?>> before = new HashMap<>();
    versioned.getOrDefault(type, List.of())
        .forEach(r -> before.put(Resources.getResourceName(r.resource()), r));
    List<VersionedResource<?>> result = new ArrayList<>(resources.size());
    for (Message resource : resources) {
      VersionedResource<?> last = before.get(Resources.getResourceName(resource));
      result.add(
          last != null && last.resource().equals(resource) ? last : VersionedResource.create(resource, version));
    }
    return List.copyOf(result);
  }
}

package io.modelgate.xds;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Monotonic version strings for the resource types of successive snapshots. Each snapshot whose
 * resources differ from the previous one is a new generation; a resource type keeps its version
 * until its content changes, and then takes the generation's number. java-control-plane pushes a
 * type only when its version string changes, so Envoy hears about exactly the types that changed,
 * and an operator reading {@code version_info} in Envoy's config dump sees a number that grows.
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
  private final Map<String, List<? extends Message>> previous = new HashMap<>();
  private final Map<String, String> versions = new HashMap<>();
  private final LongSupplier epochMillis;
  private long generation;

  SnapshotVersions(LongSupplier epochMillis) {
    this.epochMillis = epochMillis;
  }

  SnapshotVersions() {
    this(System::currentTimeMillis);
  }

  /** The versions of one snapshot's resources, by type name; {@link Next#changed} if any moved. */
  record Next(Map<String, String> versions, boolean changed) {
    String of(String type) {
      return versions.get(type);
    }
  }

  Next next(Map<String, List<? extends Message>> resourcesByType) {
    List<String> changedTypes = new ArrayList<>();
    resourcesByType.forEach(
        (type, resources) -> {
          if (!resources.equals(previous.get(type))) {
            changedTypes.add(type);
          }
        });
    boolean changed = !changedTypes.isEmpty() || !previous.keySet().equals(resourcesByType.keySet());
    if (changed) {
      generation = Math.max(generation + 1, epochMillis.getAsLong());
      changedTypes.forEach(type -> versions.put(type, Long.toString(generation)));
      previous.clear();
      previous.putAll(resourcesByType);
    }
    return new Next(Map.copyOf(versions), changed);
  }
}

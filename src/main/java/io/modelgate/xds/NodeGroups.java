package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.modelgate.config.XdsConfig;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The node groups of the snapshot cache: which Envoys share one snapshot. With {@code all} every
 * Envoy is in the one group {@link #ALL}; with {@code cluster} each Envoy {@code node.cluster}
 * is its own group, so the cache tracks each fleet separately (any node cluster is accepted:
 * an Envoy modelgate has never heard of still gets the full configuration).
 *
 * <p>Thread-safe. The snapshot cache asks for a node's group on every request; the first time a
 * group is seen, the listener given to {@link #onNewGroup} hears of it (once), so that a snapshot
 * can be set for it: an Envoy in a new group would otherwise wait for the next view change.
 */
final class NodeGroups implements NodeGroup<String> {
  /** The one group of {@code nodeGroup: all}. */
  static final String ALL = "modelgate";

  private final XdsConfig.NodeGroup mode;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private volatile Consumer<String> onNewGroup = group -> {};

  NodeGroups(XdsConfig.NodeGroup mode) {
    this.mode = mode;
    if (mode == XdsConfig.NodeGroup.ALL) {
      seen.add(ALL);
    }
  }

  @Override
  public String hash(Node node) {
    String group = mode == XdsConfig.NodeGroup.ALL ? ALL : "cluster:" + node.getCluster();
    if (seen.add(group)) {
      onNewGroup.accept(group);
    }
    return group;
  }

  XdsConfig.NodeGroup mode() {
    return mode;
  }

  /** Every group seen so far (with {@code all}, the one group from the start), sorted. */
  List<String> groups() {
    return seen.stream().sorted().toList();
  }

  void onNewGroup(Consumer<String> listener) {
    this.onNewGroup = listener;
  }
}

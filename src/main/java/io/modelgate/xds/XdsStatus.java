package io.modelgate.xds;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the xDS side is doing, for operators: node grouping, groups seen, open streams (and how
 * many are incremental), NACKs of configuration modelgate sent (non-zero means an Envoy rejected
 * it: see the error log), stray NACKs (naming a nonce never sent on their stream: a client
 * speaking xDS wrongly, not Envoy rejecting config), the snapshots published with the current
 * version of each resource type, and how long recent snapshot builds took.
 */
public record XdsStatus(
    String nodeGroup,
    List<String> groups,
    long openStreams,
    long deltaStreams,
    long nacks,
    long strayNacks,
    long snapshots,
    Map<String, String> versions,
    BuildTimes.Summary buildTimes) {

  public static XdsStatus of(XdsServer server, XdsSnapshotPublisher publisher) {
    return new XdsStatus(
        server.nodeGroups().mode().name().toLowerCase(Locale.ROOT),
        server.groups(),
        server.openStreams(),
        server.openDeltaStreams(),
        server.nacks(),
        server.strayNacks(),
        publisher.publishedSnapshots(),
        publisher.versions(),
        publisher.buildTimes());
  }
}

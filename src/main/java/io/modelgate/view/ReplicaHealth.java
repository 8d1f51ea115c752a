package io.modelgate.view;

import java.time.Instant;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.Collections;

/**
 * One model on one replica in a health view: the routed state, the versions TF Serving reports
 * AVAILABLE, a one-line human reason, and when the state last changed.
 */
public record ReplicaHealth(
    String replicaId,
    ReplicaState state,
    SortedSet<Long> availableVersions,
    String reason,
    Instant since) {
  public ReplicaHealth {
    Objects.requireNonNull(replicaId, "replicaId");
    Objects.requireNonNull(state, "state");
    availableVersions = Collections.unmodifiableSortedSet(new TreeSet<>(availableVersions));
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(since, "since");
  }

  public boolean ready() {
    return state == ReplicaState.READY;
  }
}

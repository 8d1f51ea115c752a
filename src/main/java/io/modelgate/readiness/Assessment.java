package io.modelgate.readiness;

import io.modelgate.view.ReplicaState;
import io.modelgate.config.ModelConfig;
import io.modelgate.probing.VersionState;
import io.modelgate.probing.VersionStatus;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a replica's own answer says about one model, before hysteresis: the state it implies, the
 * versions reported AVAILABLE, and a one-line reason. Immutable.
 *
 * <p>The wanted versions are the pinned one (version or resolved label) or else all of them.
 * READY if a wanted version is AVAILABLE, else DRAINING if one is UNLOADING, else LOADING if one
 * is START or LOADING, else NOT_READY, explained by the pinned version or the newest one.
 */
record Assessment(ReplicaState state, SortedSet<Long> available, String reason) {

  static Assessment of(ModelConfig model, List<VersionStatus> versions) {
    SortedSet<Long> available = new TreeSet<>();
    versions.stream()
        .filter(v -> v.state() == VersionState.AVAILABLE)
        .forEach(v -> available.add(v.version()));
    OptionalLong pinned = model.wantedVersion();
    List<VersionStatus> wanted =
        pinned.isPresent()
            ? versions.stream().filter(v -> v.version() == pinned.getAsLong()).toList()
            : versions;

    List<VersionStatus> ready = inState(wanted, VersionState.AVAILABLE);
    if (!ready.isEmpty()) {
      return new Assessment(ReplicaState.READY, available, describe(ready, "AVAILABLE"));
    }
    List<VersionStatus> unloading = inState(wanted, VersionState.UNLOADING);
    if (!unloading.isEmpty()) {
      return new Assessment(ReplicaState.DRAINING, available, describe(unloading, "UNLOADING"));
    }
    List<VersionStatus> loading = inState(wanted, VersionState.START, VersionState.LOADING);
    if (!loading.isEmpty()) {
      return new Assessment(ReplicaState.LOADING, available, describeEach(loading));
    }
    return new Assessment(
        ReplicaState.NOT_READY, available, notReadyReason(pinned, versions, wanted));
  }

  private static String notReadyReason(
      OptionalLong pinned, List<VersionStatus> all, List<VersionStatus> wanted) {
    if (wanted.isEmpty()) {
      String have =
          all.isEmpty()
              ? "none"
              : all.stream()
                  .map(VersionStatus::version)
                  .sorted()
                  .map(String::valueOf)
                  .collect(Collectors.joining(", "));
      return pinned.isPresent()
          ? "version " + pinned.getAsLong() + " not tracked (have " + have + ")"
          : "no versions reported";
    }
    VersionStatus newest =
        wanted.stream().max(Comparator.comparingLong(VersionStatus::version)).orElseThrow();
    String version = "version " + newest.version();
    if (newest.failed()) {
      String error = newest.errorMessage().isEmpty() ? newest.errorCode() : newest.errorMessage();
      return version + " failed to load: " + error;
    }
    if (newest.state() == VersionState.END) {
      return version + " unloaded (END)";
    }
    return version + " " + newest.state();
  }

  private static List<VersionStatus> inState(List<VersionStatus> versions, VersionState... states) {
    List<VersionState> wanted = List.of(states);
    return versions.stream().filter(v -> wanted.contains(v.state())).toList();
  }

  /** "version 1 AVAILABLE" or "versions 1, 2 AVAILABLE". */
  private static String describe(List<VersionStatus> versions, String state) {
    List<Long> numbers = versions.stream().map(VersionStatus::version).sorted().toList();
    String joined = numbers.stream().map(String::valueOf).collect(Collectors.joining(", "));
    return (numbers.size() == 1 ? "version " : "versions ") + joined + " " + state;
  }

  /** "version 2 LOADING" or "version 2 START, version 3 LOADING". */
  private static String describeEach(List<VersionStatus> versions) {
    return versions.stream()
        .sorted(Comparator.comparingLong(VersionStatus::version))
        .map(v -> "version " + v.version() + " " + v.state())
        .collect(Collectors.joining(", "));
  }
}

package io.modelgate.probing;

import io.modelgate.config.ModelConfig;
import java.util.OptionalLong;

/**
 * What a key's last probe outcome says for urgent probing: whether the key serves its model, is
 * on its way to or from serving, or whether its replica gave no usable answer. The wanted versions
 * are the pinned one, or else all of them, as readiness counts them. Immutable.
 */
enum KeyStanding {
  /** No outcome yet. */
  UNPROBED,
  /** A wanted version is AVAILABLE. */
  SERVING,
  /** No wanted version is AVAILABLE, but one is START, LOADING or UNLOADING. */
  CHANGING,
  /** The replica answered, with no wanted version AVAILABLE or changing (END, unknown, absent). */
  SETTLED,
  /** The replica answered unusably about this model: the model's problem, not the replica's. */
  BAD_ANSWER,
  /** No answer: a timeout or a failed connection, the replica's problem. */
  NO_ANSWER;

  static KeyStanding of(ProbeOutcome outcome, ModelConfig model) {
    if (outcome instanceof ProbeOutcome.Failed failed) {
      return failed.kind() == ProbeOutcome.Failed.Kind.BAD_RESPONSE ? BAD_ANSWER : NO_ANSWER;
    }
    if (!(outcome instanceof ProbeOutcome.Reported reported)) {
      return SETTLED;
    }
    OptionalLong pinned = model.wantedVersion();
    KeyStanding standing = SETTLED;
    for (VersionStatus status : reported.versions()) {
      if (pinned.isPresent() && status.version() != pinned.getAsLong()) {
        continue;
      }
      switch (status.state()) {
        case AVAILABLE -> {
          return SERVING;
        }
        case START, LOADING, UNLOADING -> standing = CHANGING;
        default -> {}
      }
    }
    return standing;
  }

  /** Whether the last probe failed ({@link ProbeOutcome.Failed}). */
  boolean failed() {
    return this == BAD_ANSWER || this == NO_ANSWER;
  }
}

package io.modelgate.sources;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How one source is doing, for {@code /status}: how many replicas it lists, and if its last lookup
 * failed, why and since when (its last known list is then still in use). Immutable.
 */
public record SourceStatus(String name, int replicas, Optional<String> problem, Instant since) {
  public SourceStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(since, "since");
  }

  public boolean stale() {
    return problem.isPresent();
  }
}

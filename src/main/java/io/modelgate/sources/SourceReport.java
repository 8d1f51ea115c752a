package io.modelgate.sources;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one source knows at one moment: every replica it lists (the whole set, never a delta), and
 * whether its last lookup failed. A failed lookup keeps the last known list ({@code problem} says
 * why, e.g. "API server unreachable: Connection refused"), so a discovery outage never empties the
 * set. Immutable.
 */
public record SourceReport(String source, List<Replica> replicas, Optional<String> problem, Instant at) {
  public SourceReport {
    Objects.requireNonNull(source, "source");
    replicas = List.copyOf(replicas);
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(at, "at");
  }

  public static SourceReport fresh(String source, List<Replica> replicas, Instant at) {
    return new SourceReport(source, replicas, Optional.empty(), at);
  }

  /** The last known list kept after a failed lookup. */
  public static SourceReport stale(String source, List<Replica> lastKnown, String problem, Instant at) {
    return new SourceReport(source, lastKnown, Optional.of(problem), at);
  }

  public boolean stale() {
    return problem.isPresent();
  }
}

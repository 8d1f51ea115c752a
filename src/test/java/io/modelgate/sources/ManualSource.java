package io.modelgate.sources;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/** A replica source a test drives by hand: each call is one report. */
final class ManualSource implements ReplicaSource {
  private final String name;
  private volatile Consumer<SourceReport> listener;
  private volatile List<Replica> last = List.of();

  ManualSource(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(Consumer<SourceReport> listener) {
    this.listener = listener;
  }

  void report(Replica... replicas) {
    last = List.of(replicas);
    listener.accept(SourceReport.fresh(name, last, Instant.now()));
  }

  void fail(String problem) {
    listener.accept(SourceReport.stale(name, last, problem, Instant.now()));
  }

  @Override
  public void close() {}
}

package io.modelgate.sources;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All sources of one configuration merged into one {@link ReplicaSet}, handed to one listener
 * each time it changes. An id listed by two sources belongs to the first in configuration order
 * (the other listing is ignored, with one log line). A replica that leaves its source stays in the
 * set, terminating, for that source's drain time, so Envoy drains it (DRAINING in EDS) before it
 * is removed; if it comes back meanwhile it simply stays. A replica whose address changes is
 * replaced at once: the new endpoint is a new replica, probed from scratch.
 *
 * <p>The first set goes out once every source has reported (or {@code firstReportTimeout} passed),
 * so a restart never publishes a set that a slower source would have completed. Reports, drain
 * timers and the listener all run on one thread of its own, in order; the listener must not
 * block.
 */
public final class MergedSources implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MergedSources.class);
  /** Replicas named one by one in a join or leave line; more are counted. */
  private static final int NAMED_IN_LOG = 10;

  /** A source and how long its departed replicas are drained. */
  public record Entry(ReplicaSource source, Duration drain) {}

  private final Duration firstReportTimeout;
  private final Clock clock;
  private final ScheduledExecutorService thread =
      SourceThread.named("modelgate-sources");
  // All below: on thread only.
  private List<Entry> entries;
  private final Map<String, SourceReport> latest = new LinkedHashMap<>();
  private final Map<String, Departed> departed = new LinkedHashMap<>();
  private final Set<String> conflictsLogged = new HashSet<>();
  /** Each source's status as last published: its since stays while its problem does. */
  private final Map<String, SourceStatus> statusOf = new HashMap<>();
  private Consumer<ReplicaSet> listener;
  private ReplicaSet published;
  private boolean released;

  private record Departed(Replica replica, ScheduledFuture<?> removal) {}

  public MergedSources(List<Entry> entries, Duration firstReportTimeout, Clock clock) {
    this.entries = List.copyOf(entries);
    this.firstReportTimeout = firstReportTimeout;
    this.clock = clock;
  }

  /** Starts every source, then returns; the listener hears each new merged set. */
  public void start(Consumer<ReplicaSet> listener) {
    thread.execute(() -> this.listener = listener);
    thread.schedule(this::releaseFirst, firstReportTimeout.toNanos(), TimeUnit.NANOSECONDS);
    try {
      // Started on the sources' thread, which owns the entries; returns once all have started.
      thread.submit(() -> entries.forEach(this::startSource)).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a replica source failed to start", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void startSource(Entry entry) {
    entry.source().start(report -> thread.execute(() -> received(entry, report)));
  }

  /**
   * Follows a reloaded configuration: a source whose name is new starts; one whose name is gone
   * stops and its replicas drain; one whose name stays but whose settings changed ({@code next}
   * holds a new source object of that name) is swapped, and its replicas stay as they are until
   * the new one's first report says otherwise. Sources passed again as the same object are left
   * running.
   */
  public void replace(List<Entry> next) {
    thread.execute(
        () -> {
          Map<String, Entry> byName = new LinkedHashMap<>();
          next.forEach(entry -> byName.put(entry.source().name(), entry));
          for (Entry old : entries) {
            Entry now = byName.get(old.source().name());
            if (now == null) {
              old.source().close();
              SourceReport last = latest.remove(old.source().name());
              if (last != null) {
                noteDepartures(old, last, SourceReport.fresh(last.source(), List.of(), clock.instant()));
              }
            } else if (now.source() != old.source()) {
              old.source().close();
            }
          }
          List<Entry> started = new ArrayList<>();
          for (Entry entry : next) {
            if (entries.stream().noneMatch(old -> old.source() == entry.source())) {
              started.add(entry);
            }
          }
          entries = List.copyOf(next);
          started.forEach(this::startSource);
          if (released) {
            publish();
          }
        });
  }

  private void releaseFirst() {
    if (!released) {
      List<String> silent =
          entries.stream().map(e -> e.source().name()).filter(name -> !latest.containsKey(name)).toList();
      log.warn("no first report within {} from sources {}; going on without them", firstReportTimeout, silent);
      released = true;
      publish();
    }
  }

  private void received(Entry entry, SourceReport report) {
    if (!entries.contains(entry)) {
      return; // a report of a source swapped or removed meanwhile
    }
    SourceReport before = latest.put(report.source(), report);
    if (before != null) {
      noteDepartures(entry, before, report);
    }
    for (Replica replica : report.replicas()) {
      Departed back = departed.remove(replica.id());
      if (back != null) {
        back.removal().cancel(/* mayInterruptIfRunning= */ false);
      }
    }
    if (!released && latest.size() == entries.size()) {
      released = true;
    }
    if (released) {
      publish();
    }
  }

  /** Replicas listed before and not now keep draining; a moved one is replaced at once. */
  private void noteDepartures(Entry entry, SourceReport before, SourceReport now) {
    Map<String, Replica> current = new LinkedHashMap<>();
    now.replicas().forEach(r -> current.put(r.id(), r));
    for (Replica old : before.replicas()) {
      if (current.containsKey(old.id()) || departed.containsKey(old.id())) {
        continue;
      }
      Replica draining = old.withTerminating(true);
      ScheduledFuture<?> removal =
          thread.schedule(() -> removeDeparted(old.id()), entry.drain().toNanos(), TimeUnit.NANOSECONDS);
      departed.put(old.id(), new Departed(draining, removal));
    }
  }

  private void removeDeparted(String id) {
    if (departed.remove(id) != null) {
      publish();
    }
  }

  private void publish() {
    Map<String, Replica> merged = new LinkedHashMap<>();
    List<SourceStatus> statuses = new ArrayList<>();
    for (Entry entry : entries) {
      String name = entry.source().name();
      SourceReport report = latest.get(name);
      if (report == null) {
        statuses.add(status(name, 0, Optional.of("no answer yet")));
        continue;
      }
      int listed = 0;
      for (Replica replica : report.replicas()) {
        Replica first = merged.putIfAbsent(replica.id(), replica);
        if (first == null) {
          listed++;
        } else if (conflictsLogged.add(replica.id() + "\n" + name)) {
          log.warn("replica id {} from source {} is already listed by another source: ignored", replica.id(), name);
        }
      }
      statuses.add(status(name, listed, report.problem()));
    }
    for (Departed gone : departed.values()) {
      merged.putIfAbsent(gone.replica().id(), gone.replica());
    }
    ReplicaSet next = new ReplicaSet(List.copyOf(merged.values()), statuses);
    if (next.equals(published)) {
      return;
    }
    logMembership(published, next);
    published = next;
    try {
      listener.accept(next);
    } catch (RuntimeException e) {
      log.error("replica set listener failed", e);
    }
  }

  private SourceStatus status(String name, int replicas, Optional<String> problem) {
    SourceStatus last = statusOf.get(name);
    SourceStatus now =
        new SourceStatus(
            name, replicas, problem, last != null && last.problem().equals(problem) ? last.since() : clock.instant());
    statusOf.put(name, now);
    return now;
  }

  private static void logMembership(ReplicaSet before, ReplicaSet now) {
    Map<String, Replica> old = before == null ? Map.of() : before.byId();
    Map<String, Replica> next = now.byId();
    List<String> joined = new ArrayList<>();
    List<String> leaving = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    next.forEach(
        (id, replica) -> {
          Replica was = old.get(id);
          if (was == null || !was.sameEndpoint(replica)) {
            joined.add(describe(replica));
          } else if (replica.terminating() && !was.terminating()) {
            leaving.add(id);
          }
        });
    old.keySet().stream().filter(id -> !next.containsKey(id)).forEach(removed::add);
    logList("replicas joined", joined);
    logList("replicas terminating or left their source, draining", leaving);
    logList("replicas removed", removed);
  }

  private static String describe(Replica replica) {
    String where = replica.resolved() ? replica.address() : replica.host() + " (unresolved)";
    return replica.id() + " at " + where;
  }

  private static void logList(String what, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    String named = String.join(", ", items.subList(0, Math.min(NAMED_IN_LOG, items.size())));
    int more = items.size() - NAMED_IN_LOG;
    log.info("{} ({}): {}{}", what, items.size(), named, more > 0 ? " and " + more + " more" : "");
  }

  @Override
  public void close() {
    try {
      thread.submit(() -> entries.forEach(entry -> entry.source().close())).get();
    } catch (ExecutionException | RejectedExecutionException e) {
      log.warn("stopping replica sources: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    thread.shutdownNow();
  }
}

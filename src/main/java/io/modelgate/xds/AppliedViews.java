package io.modelgate.xds;

import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The health views that Envoy has applied: a view counts once an Envoy has acknowledged the
 * endpoints (EDS) version built from it. The gateway filter decides on these rather than on the
 * newest view, so a request it lets through finds in Envoy the replicas it was let through for: a
 * request released the instant the newest view showed a replica READY met Envoy's "no healthy
 * upstream" for the tens of milliseconds before Envoy had that replica.
 *
 * <p>The first acknowledgement from any Envoy counts, so a client on the xDS port that never
 * acknowledges cannot stall the gateway (one that acknowledges early costs at most what deciding
 * on the newest view cost). Until an Envoy has acknowledged anything, the newest view is used.
 *
 * <p>Thread-safe: views are recorded on the snapshot builder's thread, acknowledgements arrive on
 * gRPC threads; listeners are called on one thread of this class, in order.
 */
public final class AppliedViews implements HealthViewSource, AutoCloseable {
  /** Views waiting for their version; older ones give way (a newer applied view supersedes them). */
  private static final int MAX_WAITING = 256;

  private final HealthViewSource newest;
  private final ArrayDeque<Built> waiting = new ArrayDeque<>(); // guarded by this
  private long acked = -1; // guarded by this
  private volatile HealthView applied;
  private final List<Consumer<HealthView>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService delivery =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread thread = new Thread(r, "modelgate-applied-views");
            thread.setDaemon(true);
            return thread;
          });

  /** A view and the endpoints version of the snapshot that carries it. */
  private record Built(HealthView view, long endpointsVersion) {}

  public AppliedViews(HealthViewSource newest) {
    this.newest = newest;
  }

  @Override
  public HealthView current() {
    HealthView view = applied;
    return view != null ? view : newest.current();
  }

  @Override
  public AutoCloseable subscribe(Consumer<HealthView> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** {@code view} is in the snapshot whose endpoints have version {@code endpointsVersion}. */
  synchronized void built(HealthView view, long endpointsVersion) {
    if (waiting.size() == MAX_WAITING) {
      waiting.removeFirst();
    }
    waiting.addLast(new Built(view, endpointsVersion));
    advance();
  }

  /** An Envoy applied the endpoints of version {@code endpointsVersion}. */
  synchronized void acked(long endpointsVersion) {
    if (endpointsVersion > acked) {
      acked = endpointsVersion;
      advance();
    }
  }

  private void advance() {
    HealthView next = null;
    while (!waiting.isEmpty() && waiting.peekFirst().endpointsVersion() <= acked) {
      next = waiting.removeFirst().view();
    }
    if (next != null) {
      applied = next;
      HealthView view = next;
      try {
        // Submitted under the lock, so listeners hear views in the order they were applied.
        delivery.execute(() -> listeners.forEach(l -> l.accept(view)));
      } catch (RejectedExecutionException e) {
        // Closed.
      }
    }
  }

  @Override
  public void close() {
    delivery.shutdownNow();
  }
}

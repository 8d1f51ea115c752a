package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.SnapshotConsistencyException;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each complete health view into an xDS snapshot and hands it to the snapshot cache, for
 * every node group (see {@link NodeGroups}).
 *
 * <p>Nothing is published until the view is {@code complete} (the first full probe round, or
 * the startup timeout): an Envoy reconnecting to a restarted modelgate keeps serving its last
 * configuration instead of receiving one where every replica is still UNKNOWN. A view whose
 * resources equal the last snapshot's publishes nothing; otherwise the types that changed get
 * the next monotonic version ({@link SnapshotVersions}).
 *
 * <p>Thread safety: snapshots are built and set on one private thread (the only writer of the
 * cache); the view listener only records the newest view and never waits, so a slow build
 * coalesces views instead of queueing them. A snapshot that fails its consistency check is
 * logged and not published; the last good one stays in place.
 */
public final class XdsSnapshotPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsSnapshotPublisher.class);

  private final EnvoyResources resources;
  private final SimpleCache<String> cache;
  private final NodeGroups groups;
  private final ScheduledExecutorService builder =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "xds-snapshot"));
  private final AtomicReference<HealthView> pending = new AtomicReference<>();
  private final AtomicLong published = new AtomicLong();
  private final SnapshotVersions versions = new SnapshotVersions();
  /** Build times of recent snapshots, written on the builder thread only. */
  private final BuildTimes buildTimes = new BuildTimes();
  private final AutoCloseable subscription;
  /** Until the first real build; cancelled on the builder thread. */
  private final Future<?> keepWarm;
  private final SnapshotVersions throwaway = new SnapshotVersions();
  /** Warm-up builds take the replicas of the newest view. */
  private final HealthViewSource views;
  private int warmUpBuilds;
  private final AppliedViews applied;
  /** Written on the builder thread only; read by {@link #status}. */
  private volatile Snapshot last;

  public XdsSnapshotPublisher(EnvoyResources resources, XdsServer server, HealthViewSource views) {
    this(resources, server, views, null);
  }

  /** As above, telling {@code applied} which snapshot carries each view; it may be null. */
  public XdsSnapshotPublisher(
      EnvoyResources resources, XdsServer server, HealthViewSource views, AppliedViews applied) {
    this.applied = applied;
    this.resources = resources;
    this.views = views;
    this.cache = server.cache();
    this.groups = server.nodeGroups();
    groups.onNewGroup(group -> runOnBuilder(() -> setForNewGroup(group)));
    // First on the builder thread, so it is done before the first real build.
    runOnBuilder(this::warmUp);
    long warmEvery = KEEP_WARM.toMillis();
    keepWarm = builder.scheduleWithFixedDelay(this::keepWarm, warmEvery, warmEvery, TimeUnit.MILLISECONDS);
    this.subscription = views.subscribe(this::offer);
    offer(views.current());
  }

  /** Number of distinct snapshots published so far. */
  public long publishedSnapshots() {
    return published.get();
  }

  /** How long building recent snapshots took (resources, versions, consistency check). */
  public BuildTimes.Summary buildTimes() {
    return buildTimes.summary();
  }

  /** The version of each resource type in the last snapshot, empty before the first. */
  public Map<String, String> versions() {
    Snapshot snapshot = last;
    if (snapshot == null) {
      return Map.of();
    }
    return Map.of(
        VersionedSnapshot.CLUSTERS, snapshot.clusters().version(),
        VersionedSnapshot.ENDPOINTS, snapshot.endpoints().version(),
        VersionedSnapshot.LISTENERS, snapshot.listeners().version(),
        VersionedSnapshot.ROUTES, snapshot.routes().version());
  }

  private void offer(HealthView view) {
    if (!view.complete()) {
      return;
    }
    if (pending.getAndSet(view) == null) {
      runOnBuilder(this::buildNewest);
    }
  }

  private void runOnBuilder(Runnable task) {
    try {
      builder.execute(task);
    } catch (RejectedExecutionException e) {
      // Closing: nothing more is published.
    }
  }

  /**
   * Builds throwaway snapshots of the real configuration before the first probe round ends, so the
   * first real build, the one a restarted control plane's Envoys wait for, runs compiled code while
   * that round keeps both cores busy: {@value #WARM_UP_BUILDS} at once, then one every {@link
   * #KEEP_WARM} until the first real build (on a busy host the JIT compiles the first ones late).
   * For 1,000 replicas x 20 models a cold build took ~250 ms and a warm one ~10 ms on a quiet host.
   */
  private void warmUp() {
    for (int i = 0; i < WARM_UP_BUILDS; i++) {
      warmUpBuild();
    }
  }

  private void keepWarm() {
    if (last != null) {
      keepWarm.cancel(false);
    } else {
      warmUpBuild();
    }
  }

  private void warmUpBuild() {
    try {
      HealthView like = views.current();
      snapshot(
          resources.uniformView(
              WARM_UP_STATES.get(warmUpBuilds++ % WARM_UP_STATES.size()),
              like.catalog(),
              List.copyOf(like.replicas().values())),
          throwaway);
    } catch (SnapshotConsistencyException e) {
      // The real build makes the same snapshots and reports this.
    }
  }

  private static final int WARM_UP_BUILDS = 16;
  private static final Duration KEEP_WARM = Duration.ofSeconds(1);
  /** Every endpoint health and version set changes from one build to the next. */
  private static final List<ReplicaState> WARM_UP_STATES =
      List.of(ReplicaState.UNKNOWN, ReplicaState.READY, ReplicaState.LOADING, ReplicaState.READY);

  private void buildNewest() {
    HealthView view = pending.getAndSet(null);
    if (view == null) {
      return;
    }
    long started = System.nanoTime();
    Snapshot snapshot;
    try {
      snapshot = snapshot(view, versions);
    } catch (SnapshotConsistencyException e) {
      log.error("xDS snapshot for view {} is inconsistent, keeping the previous one: {}", view.version(), e.getMessage());
      return;
    }
    if (snapshot != null) {
      buildTimes.add(System.nanoTime() - started);
      last = snapshot;
      for (String group : groups.groups()) {
        cache.setSnapshot(group, snapshot);
      }
      published.incrementAndGet();
    }
    // An unchanged snapshot carries the view as it is.
    if (applied != null && last != null) {
      applied.built(view, Long.parseLong(last.endpoints().version()));
    }
  }

  /** The snapshot for {@code view}, or null when its resources equal the last ones. */
  private Snapshot snapshot(HealthView view, SnapshotVersions versions)
      throws SnapshotConsistencyException {
    List<Cluster> clusters = resources.clusters(view);
    List<ClusterLoadAssignment> endpoints = resources.loadAssignments(view);
    List<Listener> listeners = resources.listeners();
    List<RouteConfiguration> routes = List.of(resources.routes(view));
    SnapshotVersions.Next next =
        versions.next(
            Map.of(
                VersionedSnapshot.CLUSTERS, clusters,
                VersionedSnapshot.ENDPOINTS, endpoints,
                VersionedSnapshot.LISTENERS, listeners,
                VersionedSnapshot.ROUTES, routes));
    if (!next.changed()) {
      return null;
    }
    Snapshot snapshot = new VersionedSnapshot(next);
    snapshot.ensureConsistent();
    return snapshot;
  }

  private void setForNewGroup(String group) {
    log.info("Envoy node group {} connected", group);
    Snapshot snapshot = last;
    if (snapshot != null) {
      cache.setSnapshot(group, snapshot);
    }
  }

  @Override
  public void close() throws Exception {
    subscription.close();
    builder.shutdownNow();
  }
}

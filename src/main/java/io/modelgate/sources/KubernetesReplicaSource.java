package io.modelgate.sources;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.modelgate.config.KubernetesSourceConfig;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EndpointSlices of one Kubernetes Service as replicas ({@link ServiceSlices} says how an
 * endpoint becomes one), followed through a fabric8 informer: list, then watch from that resource
 * version, re-list when the server says the version is gone, replay the cache every {@code resync}.
 * Credentials come from the configured kubeconfig file, else from fabric8's defaults ({@code
 * KUBECONFIG} or {@code ~/.kube/config}, else the pod's service account).
 *
 * <p>Failure: when the API server cannot be reached (or refuses), the informer retries by itself
 * with exponential backoff (1 s doubling to 32 s) and the source publishes its last known list as
 * stale with the reason, logging one line; a watch that stays down longer than {@link
 * #WATCH_GRACE} counts as a failure too, since fabric8 reconnects it without saying so. A watch
 * that has not resumed after {@link #WATCH_RESTART} (a reconnect can hang on an API server that
 * is starting) is given up: a new informer lists afresh, and its list replaces the old one's
 * slices only once complete. When a list succeeds or the watch runs again, one line and a fresh
 * report follow; events missed meanwhile arrive through the resumed watch or the new list. A
 * failure before the first list is a stale empty list. A watch on a silently dead connection (no
 * reset) is noticed only when fabric8 recycles it, within 10 minutes.
 *
 * <p>Thread safety: informer callbacks, the watch check and every report run on the source's one
 * thread, so reports go out one at a time and in order.
 */
public final class KubernetesReplicaSource implements ReplicaSource {
  private static final Logger log = LoggerFactory.getLogger(KubernetesReplicaSource.class);
  static final String SERVICE_LABEL = "kubernetes.io/service-name";
  /** How often the source asks the informer whether its watch is up. */
  private static final Duration WATCH_CHECK = Duration.ofSeconds(1);
  /**
   * How long the watch may be down before the source calls itself stale: fabric8 closes and
   * reopens it every 5 to 10 minutes, back within about a second.
   */
  private static final Duration WATCH_GRACE = Duration.ofSeconds(5);
  /** How long the watch may be down before the informer is replaced: about fabric8's longest backoff. */
  private static final Duration WATCH_RESTART = Duration.ofSeconds(30);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration LAST_RETRY = Duration.ofSeconds(32);

  private final KubernetesSourceConfig config;
  private final Clock clock;
  private final String name;
  private final ScheduledExecutorService thread;

  // Written on the source's thread; volatile so that close() on another thread sees them.
  private volatile KubernetesClient client;
  private volatile Informer newest;

  // On the source's thread only.
  private Consumer<SourceReport> listener;
  private Duration nextCredentialsRetry = FIRST_RETRY;
  /** The newest informer that completed a list: its slices are the ones reported. */
  private Informer listed;
  private Optional<String> problem = Optional.empty();
  /** Since when the newest informer has not been watching; null while it is. */
  private Instant notWatchingSince;
  private SourceReport last;
  private Set<String> notes = Set.of();

  public KubernetesReplicaSource(KubernetesSourceConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.name = "kubernetes " + config.namespace() + "/" + config.service();
    this.thread =
        SourceThread.named("modelgate-source-" + config.namespace() + "/" + config.service());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(Consumer<SourceReport> listener) {
    run(
        () -> {
          this.listener = listener;
          connect();
        });
    long check = WATCH_CHECK.toMillis();
    thread.scheduleWithFixedDelay(() -> guarded(this::checkWatch), check, check, TimeUnit.MILLISECONDS);
  }

  private void connect() {
    Config clientConfig;
    try {
      clientConfig =
          config
              .kubeconfig()
              .map(KubernetesReplicaSource::fromFile)
              .orElseGet(() -> Config.autoConfigure(/* context= */ null));
    } catch (RuntimeException e) {
      String where = config.kubeconfig().map(path -> "kubeconfig " + path).orElse("Kubernetes credentials");
      failed("cannot load " + where + ": " + reason(e));
      // The file may yet be mounted or fixed: try again, less and less often.
      try {
        thread.schedule(() -> guarded(this::connect), nextCredentialsRetry.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        return;
      }
      nextCredentialsRetry = min(nextCredentialsRetry.multipliedBy(2), LAST_RETRY);
      return;
    }
    // The informer retries with its own backoff; fabric8's retries of each request on top would
    // hide a failure for up to a minute.
    clientConfig.setRequestRetryBackoffLimit(0);
    client = new KubernetesClientBuilder().withConfig(clientConfig).build();
    newInformer();
  }

  /** Starts an informer that replaces the newest one; the last listed slices stay reported. */
  private void newInformer() {
    Informer previous = newest;
    if (previous != null) {
      previous.close();
    }
    newest = new Informer();
    notWatchingSince = clock.instant();
  }

  /** fabric8 reports a missing file by its name alone; this says what is wrong with it. */
  private static Config fromFile(Path kubeconfig) {
    if (!Files.isRegularFile(kubeconfig)) {
      throw new IllegalStateException("no such file");
    }
    if (!Files.isReadable(kubeconfig)) {
      throw new IllegalStateException("not readable");
    }
    return Config.fromKubeconfig(kubeconfig.toFile());
  }

  /**
   * One fabric8 informer and the slices it delivered. Its callbacks hop to the source's thread in
   * the order fabric8 delivers them; once a newer informer exists they are ignored.
   */
  private final class Informer implements ResourceEventHandler<EndpointSlice> {
    private final ServiceSlices slices =
        new ServiceSlices(config.grpcPort(), config.restPort(), config.protocol());
    private final SharedIndexInformer<EndpointSlice> informer;
    /** Between the start of a list and its end, when items arrive one by one. */
    private boolean listing;

    Informer() {
      informer =
          client
              .discovery()
              .v1()
              .endpointSlices()
              .inNamespace(config.namespace())
              .withLabel(SERVICE_LABEL, config.service())
              .runnableInformer(config.resync().toMillis());
      // By default an informer gives up when its first list fails; this one keeps retrying.
      informer.exceptionHandler(
          (started, error) -> {
            run(() -> whenNewest(() -> failed("cannot list or watch EndpointSlices: " + reason(error))));
            return true;
          });
      informer.addEventHandler(this);
      informer.start();
    }

    boolean watching() {
      return informer.isWatching();
    }

    /** Stops the informer; its slices stay as they were, reported until a newer one lists. */
    void close() {
      informer.close();
    }

    @Override
    public void onBeforeList(String lastSyncResourceVersion) {
      run(() -> whenNewest(() -> listing = true));
    }

    @Override
    public void onList(String resourceVersion, boolean remainedEmpty) {
      run(
          () ->
              whenNewest(
                  () -> {
                    listing = false;
                    listed = this;
                    recovered();
                    report();
                  }));
    }

    @Override
    public void onAdd(EndpointSlice slice) {
      run(() -> whenNewest(() -> changed(() -> slices.put(slice))));
    }

    @Override
    public void onUpdate(EndpointSlice before, EndpointSlice after) {
      run(() -> whenNewest(() -> changed(() -> slices.put(after))));
    }

    @Override
    public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
      run(() -> whenNewest(() -> changed(() -> slices.remove(slice))));
    }

    private void whenNewest(Runnable task) {
      if (this == newest) {
        task.run();
      }
    }

    /** A slice changed; during a list, or before this informer's first, the list's end reports. */
    private void changed(Runnable change) {
      change.run();
      if (this == listed && !listing) {
        report();
      }
    }
  }

  private void checkWatch() {
    Informer watched = newest;
    if (watched == null) {
      return; // no credentials yet
    }
    if (watched.watching()) {
      notWatchingSince = null;
      recovered();
      return;
    }
    Instant now = clock.instant();
    if (notWatchingSince == null) {
      notWatchingSince = now;
      return;
    }
    Duration down = Duration.between(notWatchingSince, now);
    if (listed != null && problem.isEmpty() && down.compareTo(WATCH_GRACE) >= 0) {
      // Before the first list its failures come through the exception handler instead.
      failed("lost the watch on EndpointSlices: " + whyNotWatching());
    }
    if (down.compareTo(WATCH_RESTART) >= 0) {
      newInformer();
    }
  }

  /** Asks the API server directly, since fabric8 retries a watch without saying why it failed. */
  private String whyNotWatching() {
    try {
      client
          .discovery()
          .v1()
          .endpointSlices()
          .inNamespace(config.namespace())
          .withLabel(SERVICE_LABEL, config.service())
          .list(new ListOptionsBuilder().withLimit(1L).build());
      return "the API server answers lists but the watch does not resume; reconnecting";
    } catch (KubernetesClientException e) {
      return reason(e);
    }
  }

  /** Stale from now on; a later failure with another reason only updates the reported problem. */
  private void failed(String why) {
    boolean wasStale = problem.isPresent();
    problem = Optional.of(why);
    if (wasStale) {
      report();
      return;
    }
    int kept = last == null ? 0 : last.replicas().size();
    log.warn("{} is stale: {}; keeping the last {} replicas, retrying", name, why, kept);
    report();
  }

  private void recovered() {
    if (problem.isEmpty()) {
      return;
    }
    problem = Optional.empty();
    log.info("{} recovered: watching EndpointSlices again", name);
    report();
  }

  /** Publishes the merged slices and the problem, if either changed since the last report. */
  private void report() {
    if (listed == null && problem.isEmpty()) {
      return; // nothing known yet, and nothing failed
    }
    ServiceSlices.Merge merge =
        listed == null ? new ServiceSlices.Merge(List.of(), Set.of()) : listed.slices.merge();
    logNewNotes(merge.notes());
    if (last != null && last.replicas().equals(merge.replicas()) && last.problem().equals(problem)) {
      return;
    }
    Instant now = clock.instant();
    last =
        problem
            .map(why -> SourceReport.stale(name, merge.replicas(), why, now))
            .orElseGet(() -> SourceReport.fresh(name, merge.replicas(), now));
    listener.accept(last);
  }

  private void logNewNotes(Set<String> current) {
    for (String note : current) {
      if (!notes.contains(note)) {
        log.warn("{}: {}", name, note);
      }
    }
    notes = new HashSet<>(current);
  }

  /**
   * What an operator needs from a failure: the HTTP status and message when the API server
   * answered, else why it could not be reached (the JDK's connect failures carry no message).
   */
  private String reason(Throwable error) {
    String innermost = error.getClass().getSimpleName();
    String noConnection = null; // why no connection was made, when that is known
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0 && client != null) {
        String message =
            k.getStatus() != null && k.getStatus().getMessage() != null
                ? k.getStatus().getMessage()
                : k.getMessage();
        return "API server " + masterUrl() + " answered HTTP " + k.getCode() + ": " + message;
      }
      if (t instanceof ConnectException) {
        noConnection = t.getMessage() != null ? t.getMessage() : "connection refused";
      } else if (t instanceof UnknownHostException) {
        noConnection = "unknown host " + t.getMessage();
      }
      // fabric8's own message only names the operation.
      if (!(t instanceof KubernetesClientException) && t.getMessage() != null) {
        innermost = t.getMessage();
      }
    }
    String cause = noConnection != null ? noConnection : innermost;
    return client == null ? cause : "API server " + masterUrl() + " unreachable: " + cause;
  }

  private String masterUrl() {
    String url = client.getMasterUrl().toString();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private void run(Runnable task) {
    try {
      thread.execute(() -> guarded(task));
    } catch (RejectedExecutionException closed) {
      // close() was called: no report follows.
    }
  }

  /** A source never throws at its listener or lets its thread die on a bug: it logs. */
  private void guarded(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("{} failed to handle an update", name, e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Informer watched = newest;
    if (watched != null) {
      watched.close();
    }
    KubernetesClient connected = client;
    if (connected != null) {
      connected.close();
    }
  }
}

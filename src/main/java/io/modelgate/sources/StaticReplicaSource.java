package io.modelgate.sources;

import io.modelgate.config.ReplicaConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code replicas} list of the configuration file. Host names are resolved through the JVM's
 * resolver at start and again every {@code refresh}, and a report goes out when an address
 * changed, so a Compose service that comes back at a new address is followed. A host that does not
 * resolve stays listed without an address: it gets no Envoy endpoint and its probes call it
 * UNREACHABLE. Logs once when a host stops or starts resolving. Resolution runs on the source's
 * own thread.
 */
public final class StaticReplicaSource implements ReplicaSource {
  private static final Logger log = LoggerFactory.getLogger(StaticReplicaSource.class);
  public static final String NAME = "static";

  private volatile List<ReplicaConfig> configured;
  private final Duration refresh;
  private final Clock clock;
  private final ScheduledExecutorService thread =
      SourceThread.named("modelgate-source-static");
  private final Set<String> unresolved = new HashSet<>(); // on thread only
  private List<Replica> last; // on thread only
  private volatile Consumer<SourceReport> listener;

  public StaticReplicaSource(List<ReplicaConfig> configured, Duration refresh, Clock clock) {
    this.configured = List.copyOf(configured);
    this.refresh = refresh;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(Consumer<SourceReport> listener) {
    this.listener = listener;
    thread.scheduleWithFixedDelay(
        () -> resolve(listener), 0, refresh.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** A reloaded {@code replicas} list: resolved and reported at once. */
  public void update(List<ReplicaConfig> replicas) {
    configured = List.copyOf(replicas);
    Consumer<SourceReport> started = listener;
    if (started != null) {
      thread.execute(() -> resolve(started));
    }
  }

  /** The list it reports now, to tell whether a reloaded file changed it. */
  public List<ReplicaConfig> configured() {
    return configured;
  }

  private void resolve(Consumer<SourceReport> listener) {
    try {
      List<Replica> now = new ArrayList<>(configured.size());
      for (ReplicaConfig replica : configured) {
        now.add(
            new Replica(
                replica.id(),
                replica.host(),
                address(replica.host()),
                replica.grpcPort(),
                replica.restPort(),
                replica.protocol(),
                "",
                false));
      }
      if (!now.equals(last)) {
        last = List.copyOf(now);
        listener.accept(SourceReport.fresh(NAME, last, clock.instant()));
      }
    } catch (RuntimeException e) {
      // scheduleWithFixedDelay stops for good after a task throws.
      log.error("static replica source failed to report", e);
    }
  }

  private String address(String host) {
    try {
      String ip = InetAddress.getByName(host).getHostAddress();
      if (unresolved.remove(host)) {
        log.info("replica host {} resolves again, to {}: it is back in EDS", host, ip);
      }
      return ip;
    } catch (UnknownHostException e) {
      if (unresolved.add(host)) {
        log.warn("replica host {} does not resolve: it is left out of EDS until it does", host);
      }
      return "";
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}

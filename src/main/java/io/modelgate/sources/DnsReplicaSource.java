package io.modelgate.sources;

import io.modelgate.config.DnsSourceConfig;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DNS name (typically a headless Service) whose A and AAAA records are the replicas: modelgate
 * asks the configured servers itself every {@code refresh} ({@link DnsLookup}, never the JVM's
 * cache) and reports the whole set when it changed. Each address is a replica whose host is the
 * name and whose id is made of the name and the address ({@code tfs.ml.svc.cluster.local_10.0.0.7};
 * an IPv6 address has {@code -} for {@code :}).
 *
 * <p>A lookup that fails (NXDOMAIN, SERVFAIL, REFUSED, no answer) never empties the set: the last
 * set (empty if none was ever answered) is reported once as stale, with what went wrong at first,
 * and the lookup is retried after {@code refresh}, then after twice as long each time, up to
 * {@value #MAX_BACKOFF_SECONDS} s (or {@code refresh}, if longer). One log line says it went stale
 * and one that it recovered, whatever the retries in between. Only NOERROR without records empties
 * the set, since then the name exists and lists no replica.
 *
 * <p>Lookups and reports run on the source's own daemon thread, one at a time. {@link #close} may
 * be called from any thread; it waits for a report being delivered (listeners do not block), and
 * no report starts after it returns.
 */
public final class DnsReplicaSource implements ReplicaSource {
  private static final Logger log = LoggerFactory.getLogger(DnsReplicaSource.class);
  static final int MAX_BACKOFF_SECONDS = 30;
  /** The {@code Names} rule for ids: at most this many characters. */
  private static final int MAX_ID_LENGTH = 128;
  /** Addresses listed in a change's log line; a larger change is summed up by its counts. */
  private static final int LOGGED_ADDRESSES = 8;

  private final DnsSourceConfig config;
  private final String name;
  private final Clock clock;
  private final DnsLookup lookup;
  private final Duration maxBackoff;
  private final ScheduledExecutorService thread;
  private final Object reportLock = new Object();
  private boolean closed; // guarded by reportLock
  private Consumer<SourceReport> listener; // guarded by reportLock; set once by start
  private List<Replica> last; // on thread only; null until the first answer
  private boolean failing; // on thread only
  private Duration backoff; // on thread only; the delay before the next retry while failing

  public DnsReplicaSource(DnsSourceConfig config, Clock clock) {
    this.config = config;
    this.name = "dns " + config.name();
    this.clock = clock;
    this.lookup = new DnsLookup(config.name(), config.servers());
    Duration cap = Duration.ofSeconds(MAX_BACKOFF_SECONDS);
    this.maxBackoff = config.refresh().compareTo(cap) > 0 ? config.refresh() : cap;
    this.thread =
        SourceThread.named("modelgate-source-dns-" + config.name());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(Consumer<SourceReport> listener) {
    synchronized (reportLock) {
      if (this.listener != null) {
        throw new IllegalStateException(name + " is already started");
      }
      this.listener = listener;
      schedule(Duration.ZERO);
    }
  }

  private void poll() {
    Duration next;
    try {
      next = answered(replicas(lookup.addresses()));
    } catch (DnsLookup.Failure e) {
      next = failed(e.getMessage());
    } catch (RuntimeException e) {
      // A fault inside the JDK's DNS client is one more failed lookup, not the end of discovery.
      next = failed("DNS lookup of " + config.name() + " failed: " + e);
    }
    synchronized (reportLock) {
      if (!closed) {
        schedule(next);
      }
    }
  }

  private Duration answered(List<Replica> now) {
    boolean changed = !now.equals(last);
    if (changed || failing) {
      String set = changed && last != null ? change(last, now) : countOf(now.size());
      log.info("{}: {}{}", name, failing ? "DNS answers again: " : "", set);
      last = now;
      failing = false;
      publish(SourceReport.fresh(name, now, clock.instant()));
    }
    return config.refresh();
  }

  private Duration failed(String problem) {
    if (!failing) {
      failing = true;
      List<Replica> kept = last == null ? List.of() : last;
      log.warn(
          "{}: {}; keeping the last {}, retrying with backoff up to {} s",
          name,
          problem,
          countOf(kept.size()),
          maxBackoff.toSeconds());
      publish(SourceReport.stale(name, kept, problem, clock.instant()));
      backoff = config.refresh();
    } else {
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
    }
    return backoff;
  }

  private void publish(SourceReport report) {
    synchronized (reportLock) {
      if (closed) {
        return;
      }
      try {
        listener.accept(report);
      } catch (RuntimeException e) {
        log.error("{}: the replica listener failed on a report", name, e);
      }
    }
  }

  /** Called with reportLock held, so that close cannot slip between the check and the schedule. */
  private void schedule(Duration delay) {
    thread.schedule(this::poll, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private List<Replica> replicas(List<InetAddress> addresses) {
    List<Replica> replicas = new ArrayList<>(addresses.size());
    for (InetAddress address : addresses) {
      String ip = address.getHostAddress();
      replicas.add(
          new Replica(
              id(config.name(), ip),
              config.name(),
              ip,
              config.grpcPort(),
              config.restPort(),
              config.protocol(),
              /* zone= */ "",
              /* terminating= */ false));
    }
    return List.copyOf(replicas);
  }

  /**
   * The replica id for {@code ip} found under {@code dnsName}: the name without its final dot,
   * {@code _} (which a DNS name cannot hold), and the address with {@code -} for {@code :}. A name
   * too long for the 128-character limit is cut short and ends with a hash of the whole name, so
   * that two long names stay apart.
   */
  static String id(String dnsName, String ip) {
    String base = dnsName.endsWith(".") ? dnsName.substring(0, dnsName.length() - 1) : dnsName;
    String suffix = "_" + ip.replace(':', '-');
    int room = MAX_ID_LENGTH - suffix.length();
    if (base.length() > room) {
      String hash = sha256Hex(base).substring(0, 8);
      base = base.substring(0, room - hash.length() - 1) + "-" + hash;
    }
    return base + suffix;
  }

  private static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** One log line for a change of set: what came and went, the first few of each by address. */
  private static String change(List<Replica> before, List<Replica> after) {
    List<String> added = addressesOnlyIn(after, before);
    List<String> removed = addressesOnlyIn(before, after);
    return countOf(after.size()) + " (" + listed("added", added) + "; " + listed("removed", removed) + ")";
  }

  private static String countOf(int count) {
    return count + (count == 1 ? " replica" : " replicas");
  }

  private static List<String> addressesOnlyIn(List<Replica> these, List<Replica> others) {
    Set<String> otherAddresses = others.stream().map(Replica::address).collect(Collectors.toSet());
    return these.stream().map(Replica::address).filter(a -> !otherAddresses.contains(a)).toList();
  }

  private static String listed(String what, List<String> addresses) {
    if (addresses.isEmpty()) {
      return what + " none";
    }
    if (addresses.size() <= LOGGED_ADDRESSES) {
      return what + " " + String.join(", ", addresses);
    }
    return what + " " + addresses.size() + ": " + String.join(", ", addresses.subList(0, LOGGED_ADDRESSES)) + ", ...";
  }

  @Override
  public void close() {
    synchronized (reportLock) {
      closed = true;
    }
    thread.shutdownNow();
  }
}

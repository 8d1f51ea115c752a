package io.modelgate.admin;

import io.netty.channel.Channel;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps at most {@code max} admin connections open. A connection over the bound closes the one
 * that has waited longest since it opened or was last answered, not the newcomer: slow or idle
 * clients holding every slot would otherwise lock a liveness probe out until their timeouts, and
 * could reopen as fast as they are closed. Each such close is counted and logged as one WARN line
 * at most once a minute.
 *
 * <p>Not thread-safe except {@link #evicted()}: every method runs on the admin server's single
 * event loop, which owns every admin connection.
 */
final class ConnectionBound {
  private static final Logger log = LoggerFactory.getLogger(ConnectionBound.class);
  private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final int max;
  /** Open connections, the one waiting longest first. */
  private final LinkedHashSet<Channel> waiting = new LinkedHashSet<>();
  private final AtomicLong evicted = new AtomicLong();
  private long unloggedEvictions;
  private long lastLogNanos;
  private boolean loggedOnce;

  ConnectionBound(int max) {
    this.max = max;
  }

  /** Admits a new connection, closing the longest waiting one if the bound is reached. */
  void admit(Channel channel) {
    if (waiting.size() >= max) {
      Iterator<Channel> oldest = waiting.iterator();
      Channel victim = oldest.next();
      oldest.remove();
      victim.close();
      evicted.incrementAndGet();
      unloggedEvictions++;
      logEvictions();
    }
    waiting.add(channel);
    channel.closeFuture().addListener(closed -> waiting.remove(channel));
  }

  /** Marks a connection as just answered: it is now the last to be closed for a newcomer. */
  void answered(Channel channel) {
    if (waiting.remove(channel)) {
      waiting.add(channel);
    }
  }

  /** Connections closed so far to stay within the bound. */
  long evicted() {
    return evicted.get();
  }

  private void logEvictions() {
    long now = System.nanoTime();
    if (loggedOnce && now - lastLogNanos < LOG_EVERY_NANOS) {
      return;
    }
    log.warn(
        "Admin HTTP: {} open connections is the bound; closed {} waiting connection(s) for newer ones",
        max,
        unloggedEvictions);
    loggedOnce = true;
    lastLogNanos = now;
    unloggedEvictions = 0;
  }
}

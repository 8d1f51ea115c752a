package io.modelgate.grpcserver;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/**
 * A log for events a client can trigger at will (malformed messages, NACKs, dropped streams): one
 * line per event, never a stack trace, and at most {@code burst} lines at once, then one line per
 * {@code refill}. Lines over budget are dropped and counted; the next line that is written says
 * how many were dropped before it.
 *
 * <p>Thread-safe (one lock around the budget; the line itself is written outside it). Time comes
 * from the injected {@link Ticker}.
 */
public final class RateLimitedLog {
  /** Ten lines at once, then one every six seconds: ten a minute at most, however hard the flood. */
  private static final int DEFAULT_BURST = 10;

  private static final Duration DEFAULT_REFILL = Duration.ofSeconds(6);

  private final Logger log;
  private final int burst;
  private final long refillNanos;
  private final Ticker ticker;
  private final Object lock = new Object();
  // Guarded by lock.
  private long budget;
  private long lastRefill;
  private long dropped;

  public RateLimitedLog(Logger log, int burst, Duration refill, Ticker ticker) {
    if (burst < 1 || refill.isNegative() || refill.isZero()) {
      throw new IllegalArgumentException("burst must be >= 1 and refill positive, got " + burst + ", " + refill);
    }
    this.log = log;
    this.burst = burst;
    this.refillNanos = refill.toNanos();
    this.ticker = ticker;
    this.budget = burst;
    this.lastRefill = ticker.read();
  }

  /** Ten lines at once, then one every six seconds, on the system ticker. */
  public static RateLimitedLog of(Logger log) {
    return new RateLimitedLog(log, DEFAULT_BURST, DEFAULT_REFILL, Ticker.systemTicker());
  }

  /** Logs one ERROR line ({@code format} as in SLF4J) unless the budget is spent. */
  public void error(String format, Object... args) {
    long droppedBefore = take();
    if (droppedBefore >= 0 && log.isErrorEnabled()) {
      log.error(line(format, args, droppedBefore));
    }
  }

  /** Logs one WARN line unless the budget is spent. */
  public void warn(String format, Object... args) {
    long droppedBefore = take();
    if (droppedBefore >= 0 && log.isWarnEnabled()) {
      log.warn(line(format, args, droppedBefore));
    }
  }

  /** Logs one INFO line unless the budget is spent. */
  public void info(String format, Object... args) {
    long droppedBefore = take();
    if (droppedBefore >= 0 && log.isInfoEnabled()) {
      log.info(line(format, args, droppedBefore));
    }
  }

  /** Lines dropped since the last one written, or -1 if this one must be dropped too. */
  private long take() {
    synchronized (lock) {
      long now = ticker.read();
      long earned = (now - lastRefill) / refillNanos;
      if (earned > 0) {
        budget = Math.min(burst, budget + earned);
        lastRefill = budget == burst ? now : lastRefill + earned * refillNanos;
      }
      if (budget == 0) {
        dropped++;
        return -1;
      }
      budget--;
      long droppedBefore = dropped;
      dropped = 0;
      return droppedBefore;
    }
  }

  private static String line(String format, Object[] args, long droppedBefore) {
    // Formatted here rather than by the logger so that no argument is ever taken for a throwable.
    String text = MessageFormatter.basicArrayFormat(format, args);
    return droppedBefore == 0 ? text : text + " (" + droppedBefore + " similar lines dropped before this one)";
  }
}

package io.modelgate.grpcserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The budget of a {@link RateLimitedLog} on a fake ticker, and what a shortened client text says. */
class RateLimitedLogTest {
  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;

  @Test
  void aFloodGetsTheBurstThenOneLinePerRefillThatCountsTheLinesDropped() {
    RateLimitedLog log =
        new RateLimitedLog(LoggerFactory.getLogger(RateLimitedLogTest.class), 3, Duration.ofSeconds(1), ticker);
    try (LogCapture logs = new LogCapture()) {
      for (int i = 0; i < 10; i++) {
        log.warn("flood {}", i);
      }
      assertThat(logs.linesWith("flood")).hasSize(3).last().asString().endsWith("flood 2");

      nanos.addAndGet(Duration.ofMillis(999).toNanos());
      log.warn("flood {}", 10);
      nanos.addAndGet(Duration.ofMillis(1).toNanos());
      log.warn("flood {}", 11);
      log.warn("flood {}", 12);

      assertThat(logs.linesWith("flood")).hasSize(4).last().asString()
          .endsWith("flood 11 (8 similar lines dropped before this one)");

      // A quiet minute refills the burst, not more.
      nanos.addAndGet(Duration.ofMinutes(1).toNanos());
      for (int i = 0; i < 5; i++) {
        log.warn("calm {}", i);
      }
      assertThat(logs.linesWith("calm")).hasSize(3);
      assertThat(logs.linesWith("calm 0")).singleElement().asString().endsWith("(1 similar lines dropped before this one)");
    }
  }

  @Test
  void argumentsAreNeverTakenForAThrowable() {
    RateLimitedLog log =
        new RateLimitedLog(LoggerFactory.getLogger(RateLimitedLogTest.class), 1, Duration.ofSeconds(1), ticker);
    try (LogCapture logs = new LogCapture()) {
      log.warn("closed: {}", new IllegalStateException("boom"));

      assertThat(logs.lines()).anyMatch(line -> line.endsWith("closed: java.lang.IllegalStateException: boom"));
      assertThat(logs.lines()).noneMatch(line -> line.startsWith("\tat "));
    }
  }

  @Test
  void clientTextOverTheBoundIsCutWithItsFullLength() {
    assertThat(ClientText.excerpt("short", 10)).isEqualTo("short");
    assertThat(ClientText.excerpt("x".repeat(2_000), 4)).isEqualTo("xxxx... (2000 chars)");
    // A surrogate pair is never split.
    assertThat(ClientText.excerpt("ab\uD83D\uDE00cd", 3)).isEqualTo("ab... (6 chars)");
  }
}

package io.modelgate.health;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The open Watch streams counted against {@link WatchLimits}, per connection and in all. A slot is
 * taken before a Watch is registered and given back exactly once when it ends. Thread-safe (one
 * lock; Watch streams open and close far less often than they send).
 */
final class WatchSlots {
  private final WatchLimits limits;
  private final Map<Object, Integer> perConnection = new HashMap<>(); // guarded by this
  private int total; // guarded by this

  WatchSlots(WatchLimits limits) {
    this.limits = limits;
  }

  /** Takes a slot on {@code connection}; empty if taken, else why not, for the client. */
  synchronized Optional<String> take(Object connection) {
    if (total >= limits.total()) {
      return Optional.of("too many Watch streams open on this server (" + limits.total() + "); use Check, or retry later");
    }
    int open = perConnection.getOrDefault(connection, 0);
    if (open >= limits.perConnection()) {
      return Optional.of(
          "too many Watch streams on one connection (" + limits.perConnection() + "); close some or use Check");
    }
    perConnection.put(connection, open + 1);
    total++;
    return Optional.empty();
  }

  synchronized void giveBack(Object connection) {
    // The last one out removes its connection's entry, so the map holds only live connections.
    perConnection.computeIfPresent(connection, (c, open) -> open == 1 ? null : open - 1);
    total--;
  }
}

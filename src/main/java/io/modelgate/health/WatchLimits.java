package io.modelgate.health;

/**
 * How many grpc.health.v1 Watch streams may be open at once, on one connection and in all; a
 * Watch beyond either is refused with RESOURCE_EXHAUSTED. A client-side health checker (grpc's
 * {@code healthCheckConfig}) opens one per connection. Immutable.
 */
record WatchLimits(int perConnection, int total) {
  /** 100 per connection, 10,000 in all (an open Watch costs a few kilobytes). */
  static final WatchLimits DEFAULT = new WatchLimits(100, 10_000);

  WatchLimits {
    if (perConnection < 1 || total < perConnection) {
      throw new IllegalArgumentException(
          "need 1 <= perConnection <= total, got " + perConnection + " and " + total);
    }
  }
}

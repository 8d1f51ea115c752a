package io.modelgate.routing;

import java.time.Duration;

/**
 * How long Envoy waits for the gateway filter's answer to a request it holds: the filter extends
 * Envoy's message timeout to this ({@code override_message_timeout}), and the listener's ext_proc
 * filter allows it ({@code max_message_timeout}). Longer than the hold by a margin, so the hold's
 * own answer always comes first, even after a collection pause.
 */
public final class HoldTimeouts {
  private static final Duration MARGIN = Duration.ofSeconds(1);

  private HoldTimeouts() {}

  public static Duration messageTimeout(Duration hold) {
    return hold.plus(MARGIN);
  }
}

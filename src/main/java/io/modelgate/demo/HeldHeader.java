package io.modelgate.demo;

import java.util.OptionalLong;

/** Reads the gateway filter's {@code x-modelgate-held-ms} response header. Stateless. */
final class HeldHeader {
  private HeldHeader() {}

  /** The milliseconds a request was held; empty when the header is absent or not a number. */
  static OptionalLong parse(String value) {
    if (value == null || value.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}

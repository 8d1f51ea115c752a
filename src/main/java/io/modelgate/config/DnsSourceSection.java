package io.modelgate.config;

/** Reads one {@code sources[i].dns} map. Stateless. */
final class DnsSourceSection {
  private DnsSourceSection() {}

  static DnsSourceConfig read(ConfigNode node) {
    throw node.error("DNS sources are not supported yet");
  }
}

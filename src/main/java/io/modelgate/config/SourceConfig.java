package io.modelgate.config;

import java.time.Duration;

/**
 * One entry of the {@code sources} list of a configuration file: where replicas are discovered,
 * besides the static {@code replicas} list. Immutable.
 */
public sealed interface SourceConfig permits DnsSourceConfig, KubernetesSourceConfig {

  /** How long a replica that left this source stays DRAINING in EDS before it is removed. */
  Duration drain();
}

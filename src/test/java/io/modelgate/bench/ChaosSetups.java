package io.modelgate.bench;

import io.modelgate.demo.DemoSetupException;
import io.modelgate.simulator.Simulator;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The setups the chaos benchmark runs: plain Envoy tuned as well as a user can, and modelgate
 * with its defaults or with extra settings (variants to measure a setting; MODELGATE_HEDGE needs
 * {@code xds.hedgeOnPerTryTimeout}, which the control plane must know).
 */
enum ChaosSetups {
  BASELINE(
      "Envoy, static endpoints, active HTTP health check of GET /v1/models/<m> that must answer"
          + " \"AVAILABLE\" (every 500 ms, timeout 250 ms, thresholds 1/1, no_traffic_interval 500 ms),"
          + " panic threshold 0, retries on 5xx, reset, connect-failure, refused-stream, REST 404 and"
          + " gRPC NOT_FOUND on another host, 500 ms per try",
      Map.of()),
  MODELGATE("Envoy configured by the modelgate control plane over xDS, with the gateway filter, default settings", Map.of()),
  MODELGATE_HEDGE(
      "MODELGATE with xds.hedgeOnPerTryTimeout: true", Map.of("xds", "hedgeOnPerTryTimeout: true")),
  MODELGATE_NO_HOLD(
      "MODELGATE with extproc.holdMs: 0 (requests for a model no replica serves fail at once)",
      Map.of("extproc", "holdMs: 0"));

  /** The best an operator can tune Envoy's own checking and retries to. */
  static final BaselineBootstrap.Tuning TUNED =
      new BaselineBootstrap.Tuning(Duration.ofMillis(500), Duration.ofMillis(250), 1, 1, "AVAILABLE", true);

  final String description;
  private final Map<String, String> extraYaml;

  ChaosSetups(String description, Map<String, String> extraYaml) {
    this.description = description;
    this.extraYaml = extraYaml;
  }

  /** Whether requests may leave the routing to the gateway filter (model read from the gRPC body). */
  boolean routesByBody() {
    return this != BASELINE;
  }

  ComparisonSetups.Running start(Simulator simulator, List<String> models)
      throws IOException, InterruptedException, DemoSetupException {
    return this == BASELINE
        ? ComparisonSetups.REST_HEALTH_CHECK.start(simulator, models, Map.of(), TUNED)
        : ComparisonSetups.MODELGATE.start(simulator, models, extraYaml, TUNED);
  }
}

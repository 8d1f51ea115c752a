package io.modelgate.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.HedgePolicy;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.modelgate.config.XdsConfig;
import io.modelgate.routing.ServableNotFound;

/**
 * Routes that send a request to a model's cluster, REST or gRPC. Each names the servable it
 * serves in its metadata, for the answer Envoy gives when no replica has it ({@link
 * LocalReplies}), and retries on another replica: Predict is idempotent, so a try that failed,
 * hung past the per-try timeout, or met TF Serving's {@link ServableNotFound} (the model left
 * that replica) goes elsewhere. With hedging on, a try past the per-try timeout keeps running
 * beside its retry and the first good answer wins. Immutable.
 */
final class UpstreamRoutes {
  private final XdsConfig settings;

  UpstreamRoutes(XdsConfig settings) {
    this.settings = settings;
  }

  Route rest(RouteMatch.Builder match, String cluster, String servable) {
    return route(
        match,
        cluster,
        servable,
        retryPolicy("reset,connect-failure,refused-stream,retriable-status-codes")
            // TF Serving's "Servable not found": the model left that replica.
            .addRetriableStatusCodes(ServableNotFound.HTTP_STATUS));
  }

  Route grpc(RouteMatch.Builder match, String cluster, String servable) {
    return route(
        match,
        cluster,
        servable,
        retryPolicy("reset,connect-failure,refused-stream,retriable-headers")
            // NOT_FOUND, trailers-only, so the status is in the response headers.
            .addRetriableHeaders(
                RouteMatches.exactHeader("grpc-status", Integer.toString(ServableNotFound.GRPC_STATUS))));
  }

  private Route route(RouteMatch.Builder match, String cluster, String servable, RetryPolicy.Builder retries) {
    RouteAction.Builder action = RouteAction.newBuilder().setCluster(cluster).setRetryPolicy(retries);
    if (settings.hedgeOnPerTryTimeout()) {
      // On the route, where it overrides any virtual host policy; it takes effect only with the
      // retry policy's per-try timeout and retry count, which every route here has.
      action.setHedgePolicy(HedgePolicy.newBuilder().setHedgeOnPerTryTimeout(true));
    }
    return Route.newBuilder().setMatch(match).setMetadata(LocalReplies.servable(servable)).setRoute(action).build();
  }

  /**
   * Predict is idempotent, so a failed try goes to another replica. A hung replica answers
   * nothing: the per-try timeout moves the call on instead of waiting out the route timeout.
   */
  private RetryPolicy.Builder retryPolicy(String retryOn) {
    return RetryPolicy.newBuilder()
        .setRetryOn(retryOn)
        .setNumRetries(UInt32Value.of(settings.retries()))
        .setPerTryTimeout(EnvoyValues.durationOf(settings.perTryTimeout()))
        .addRetryHostPredicate(
            RetryPolicy.RetryHostPredicate.newBuilder()
                .setName("envoy.retry_host_predicates.previous_hosts")
                .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
        .setHostSelectionRetryMaxAttempts(3);
  }
}

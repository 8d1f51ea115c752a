package io.modelgate.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One try as Envoy's passive observer (an upstream ext_proc filter in observability mode) reports
 * it with the try's request headers: which replica it went to, for which model.
 *
 * <p>The replica is found from the upstream address Envoy reports ({@code ip:port}, the address
 * modelgate put into EDS); the model from the cluster name ({@code modelgate/<model>/...}).
 * Immutable.
 */
public record PassiveObservation(String replicaId, String model) {
  private static final String CLUSTER = "xds.cluster_name";
  private static final String UPSTREAM_ADDRESS = "upstream.address";

  /** The attributes the observer filter must ask Envoy for ({@code request_attributes}). */
  public static final List<String> ATTRIBUTES = List.of(CLUSTER, UPSTREAM_ADDRESS);
  private static final String EXT_PROC_NAMESPACE = "envoy.filters.http.ext_proc";
  private static final String CLUSTER_PREFIX = "modelgate/";

  /** The try {@code request} starts, or empty when it is not to one of modelgate's replicas. */
  static Optional<PassiveObservation> of(ProcessingRequest request, ReplicaIndex replicas) {
    Struct attributes = request.getAttributesOrDefault(EXT_PROC_NAMESPACE, Struct.getDefaultInstance());
    Optional<String> model = model(text(attributes, CLUSTER));
    String address = text(attributes, UPSTREAM_ADDRESS);
    Optional<String> replica = address.isEmpty() ? Optional.empty() : replicas.replicaAt(address);
    if (model.isEmpty() || replica.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PassiveObservation(replica.get(), model.get()));
  }

  /**
   * Whether a try's response headers are TF Serving's "Servable not found": REST 404, or gRPC
   * NOT_FOUND, which TF Serving sends trailers-only, so {@code grpc-status} is among them.
   */
  static boolean servableNotFound(ProcessingRequest responseHeaders) {
    Map<String, String> headers = RequestExchange.headerMap(responseHeaders.getResponseHeaders());
    return "404".equals(headers.get(":status")) || "5".equals(headers.get("grpc-status"));
  }

  private static String text(Struct attributes, String key) {
    Value value = attributes.getFieldsOrDefault(key, Value.getDefaultInstance());
    return value.getStringValue();
  }

  /** {@code modelgate/<model>/grpc} or {@code modelgate/<model>/v<n>/rest}; model names have no '/'. */
  private static Optional<String> model(String cluster) {
    if (!cluster.startsWith(CLUSTER_PREFIX)) {
      return Optional.empty();
    }
    String rest = cluster.substring(CLUSTER_PREFIX.length());
    int slash = rest.indexOf('/');
    return slash > 0 ? Optional.of(rest.substring(0, slash)) : Optional.empty();
  }

}

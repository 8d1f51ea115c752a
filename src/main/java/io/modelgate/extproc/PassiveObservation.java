package io.modelgate.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ObserverAttributes;
import io.modelgate.routing.ServableNotFound;
import java.util.Optional;

/**
 * One try as Envoy's passive observer (an upstream ext_proc filter in observability mode) reports
 * it with the try's request headers: which replica it went to, for which model.
 *
 * <p>The replica is found from the upstream address Envoy reports ({@code ip:port}, the address
 * modelgate put into EDS); the model from the cluster name ({@link ClusterNames#parse}); both are
 * among the {@link ObserverAttributes}. Immutable.
 */
record PassiveObservation(String replicaId, String model) {

  /** The try {@code request} starts, or empty when it is not to one of modelgate's replicas. */
  static Optional<PassiveObservation> of(ProcessingRequest request, ReplicaIndex replicas) {
    Struct attributes =
        request.getAttributesOrDefault(ObserverAttributes.NAMESPACE, Struct.getDefaultInstance());
    Optional<String> model =
        ClusterNames.parse(text(attributes, ObserverAttributes.CLUSTER)).map(ClusterNames.ModelCluster::model);
    String address = text(attributes, ObserverAttributes.UPSTREAM_ADDRESS);
    Optional<String> replica = address.isEmpty() ? Optional.empty() : replicas.replicaAt(address);
    if (model.isEmpty() || replica.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PassiveObservation(replica.get(), model.get()));
  }

  /** Whether a try's response headers are TF Serving's {@link ServableNotFound}. */
  static boolean servableNotFound(ProcessingRequest responseHeaders) {
    return ServableNotFound.in(RequestExchange.headerMap(responseHeaders.getResponseHeaders()));
  }

  private static String text(Struct attributes, String key) {
    Value value = attributes.getFieldsOrDefault(key, Value.getDefaultInstance());
    return value.getStringValue();
  }
}

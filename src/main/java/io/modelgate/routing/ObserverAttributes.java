package io.modelgate.routing;

import java.util.List;

/**
 * The Envoy attributes the passive observer filter asks for with each try ({@code
 * request_attributes}) and the ext_proc service reads back: the try's cluster (see {@link
 * ClusterNames#parse}) and the upstream address it went to ({@code ip:port}, as modelgate put it
 * into EDS). Stateless.
 */
public final class ObserverAttributes {
  /** The cluster the try was routed to. */
  public static final String CLUSTER = "xds.cluster_name";

  /** The {@code ip:port} the try went to. */
  public static final String UPSTREAM_ADDRESS = "upstream.address";

  /** Every attribute the filter must ask for. */
  public static final List<String> ALL = List.of(CLUSTER, UPSTREAM_ADDRESS);

  /** Where Envoy puts them in a {@code ProcessingRequest}'s {@code attributes}. */
  public static final String NAMESPACE = "envoy.filters.http.ext_proc";

  private ObserverAttributes() {}
}

package io.modelgate.routing;

/**
 * The request headers Envoy's routes pick a model (and version) by. A gRPC client may send them
 * itself; the gateway filter removes whatever the client sent and sets them from the request it
 * read, and the routes match them exactly.
 */
public final class RoutingHeaders {
  /** The model's name. */
  public static final String MODEL = "x-model-name";

  /** The version's number, in decimal; absent for "any version of the model". */
  public static final String VERSION = "x-model-version";

  private RoutingHeaders() {}
}

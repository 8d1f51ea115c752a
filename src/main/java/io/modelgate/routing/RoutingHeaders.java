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

  /**
   * Set by the gateway filter on a request it held until a replica was ready: how long, in
   * milliseconds. Envoy's routes copy it into the response, so a client (and an access log) can
   * tell a request that waited for a model load from a slow one; a client's own is removed.
   */
  public static final String HELD_MS = "x-modelgate-held-ms";

  private RoutingHeaders() {}
}

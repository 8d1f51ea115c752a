package io.modelgate.extproc;

/** The outcomes the gateway filter counts, one per request it decides. */
public enum DecisionKind {
  /** Continued with routing headers set. */
  ROUTED,
  /**
   * Held until a replica was READY for it or the hold ran out: counted again as what it then
   * became (ROUTED, or NOT_LOADED with the wait in its message).
   */
  HELD,
  /** Answered NOT_FOUND / 404: the model is not configured. */
  UNKNOWN_MODEL,
  /** Answered INVALID_ARGUMENT / 400: the label is not configured for the model. */
  UNKNOWN_LABEL,
  /** Answered UNAVAILABLE / 503: no replica has the wanted version loaded. */
  NOT_LOADED,
  /** Answered INVALID_ARGUMENT / 400: the request cannot be read for its model. */
  MALFORMED,
  /**
   * Answered UNIMPLEMENTED / 404: not an inference RPC or REST path TF Serving documents for
   * clients (admin RPCs, other services, other paths).
   */
  NOT_SERVED,
  /** Answered 405: a documented REST path with another HTTP method. */
  METHOD_NOT_ALLOWED,
  /** Answered INVALID_ARGUMENT / 415: a content-type other than {@code application/grpc[+proto]}. */
  UNSUPPORTED_CONTENT_TYPE,
  /** Answered RESOURCE_EXHAUSTED / 413: the decompressed message exceeds the request limit. */
  TOO_LARGE
}

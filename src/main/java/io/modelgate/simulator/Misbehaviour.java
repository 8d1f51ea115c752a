package io.modelgate.simulator;

/**
 * A way a simulated replica can go wrong on the wire, set by {@link SimulatedReplica#misbehave}.
 * Each mode describes what both ports do to every request until {@link SimulatedReplica#behave}.
 * The REST port keeps speaking HTTP/1.1 (JDK server) and misbehaves inside it; the gRPC port is
 * taken over by a raw HTTP/2 responder ({@link MisbehavingGrpcPort}), because grpc-java always
 * answers with well-formed frames, {@code content-type: application/grpc} and a status.
 */
public enum Misbehaviour {
  /**
   * REST: 200 {@code application/json} with a body of binary bytes that is not JSON. gRPC: bytes
   * that are not HTTP/2 at all, sent right after the client's connection preface, then close.
   */
  GARBAGE_BYTES,
  /**
   * REST: 200 {@code application/json} with an 8 MiB body that is not JSON. gRPC: 200 {@code
   * application/grpc} and a message frame announcing 64 MiB (16 times grpc-java's default inbound
   * limit), of which only the first KiB ever comes.
   */
  HUGE_BODY,
  /**
   * REST: 200 {@code text/html} with a web server's default page. gRPC: HTTP/2 200 {@code
   * text/html} with the same page and no gRPC status.
   */
  WRONG_CONTENT_TYPE,
  /**
   * Reset before any byte of an answer. REST: the request is read, then the connection is closed.
   * gRPC: every stream gets {@code RST_STREAM(INTERNAL_ERROR)} in answer to its headers, on a
   * connection that stays up.
   */
  RESET_STREAMS
}

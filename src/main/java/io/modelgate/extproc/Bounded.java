package io.modelgate.extproc;

/**
 * Client-controlled text (a model name, a path, an encoding) as quoted in an error message: cut
 * to {@value #MAX_CHARS} characters, so an error never grows with what the client sent (a long
 * {@code grpc-message} makes gRPC clients see INTERNAL instead of the status). Stateless.
 */
final class Bounded {
  static final int MAX_CHARS = 200;

  private Bounded() {}

  static String of(String text) {
    return text.length() <= MAX_CHARS ? text : text.substring(0, MAX_CHARS) + "...";
  }
}

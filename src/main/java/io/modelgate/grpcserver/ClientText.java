package io.modelgate.grpcserver;

/**
 * Text a client chose (a service name, a node id, a NACK's {@code error_detail}), shortened for a
 * log line or an error message so that its size is ours to decide, not the client's. Stateless.
 */
public final class ClientText {
  private ClientText() {}

  /**
   * {@code text} if it has at most {@code maxChars} characters, else its first {@code maxChars}
   * followed by {@code "... (N chars)"} with its full length.
   */
  public static String excerpt(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int end = maxChars;
    // Never split a surrogate pair.
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "... (" + text.length() + " chars)";
  }
}

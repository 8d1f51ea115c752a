package io.modelgate.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * The parts of an admin HTTP request a route looks at: the method and the raw (still
 * percent-encoded) path, without the query. Every percent-escape in {@code rawPath} is well formed,
 * so a route may decode it without checking.
 */
public record AdminRequest(String method, String rawPath) {
  public AdminRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rawPath, "rawPath");
  }

  /**
   * Reads the request target of a request line: origin form ({@code /path?query}) or absolute
   * form ({@code http://host/path}).
   *
   * @throws IllegalArgumentException with a message fit for the client when the target is not a
   *     path or holds a malformed percent-escape
   */
  public static AdminRequest of(String method, String requestTarget) {
    String path = pathOf(requestTarget);
    checkEscapes(path);
    return new AdminRequest(method, path);
  }

  private static String pathOf(String target) {
    if (target.startsWith("/")) {
      int query = target.indexOf('?');
      return query < 0 ? target : target.substring(0, query);
    }
    try {
      String path = new URI(target).getRawPath();
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException("request target is not a path");
      }
      return path;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("request target is not a path");
    }
  }

  private static void checkEscapes(String path) {
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || !isHex(path.charAt(i + 1)) || !isHex(path.charAt(i + 2))) {
        String escape = path.substring(i, Math.min(i + 3, path.length()));
        throw new IllegalArgumentException("malformed percent-escape '" + escape + "' in path");
      }
    }
  }

  private static boolean isHex(char c) {
    return Character.digit(c, 16) >= 0 && c < 128;
  }
}

package io.modelgate.config;

import java.util.regex.Pattern;

/**
 * The naming rule shared by replica ids, model names and version labels: TF Serving puts model
 * names and labels into REST paths, so they are kept to letters, digits, {@code _ . -}, and to
 * {@value #MAX_LENGTH} characters, since each travels in headers, logs and Envoy resource names.
 * Stateless.
 */
public final class Names {
  public static final int MAX_LENGTH = 128;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

  private Names() {}

  public static boolean isValid(String name) {
    return name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
  }

  /** Why {@code name} is not a valid name, for an error message. */
  static String invalid(String name) {
    if (name.length() > MAX_LENGTH) {
      return "must be at most " + MAX_LENGTH + " characters, got " + name.length();
    }
    return "expected letters, digits, '_', '.' or '-', got " + ConfigNode.quote(name);
  }
}

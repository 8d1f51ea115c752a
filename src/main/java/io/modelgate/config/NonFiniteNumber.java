package io.modelgate.config;

import java.util.regex.Pattern;

/**
 * A YAML float that no configuration value accepts: {@code .nan}, {@code .inf}, {@code -.Inf} and
 * their other spellings, kept as written so that the field it was given to names it in its error.
 * Immutable.
 *
 * @param text the value as written in the file
 */
record NonFiniteNumber(String text) {
  // YAML 1.1's spellings, as SnakeYAML reads them.
  private static final Pattern NON_FINITE = Pattern.compile("[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)");

  static boolean matches(String text) {
    return NON_FINITE.matcher(text).matches();
  }

  /** As error messages show the value: as written, unquoted like any other number. */
  @Override
  public String toString() {
    return text;
  }
}

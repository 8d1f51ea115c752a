package io.modelgate.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for a host in a configuration: a DNS name (RFC 1123: dot-separated labels of 1 to
 * 63 letters, digits and inner hyphens, at most {@value #MAX_NAME_LENGTH} characters, an optional
 * final dot) or an IP literal (dotted-quad IPv4, or IPv6 without brackets or zone). These are the
 * names grpc-java's DNS resolver and Envoy accept; an underscore, for one, is refused by both.
 * Checking a host never resolves it. Stateless.
 */
final class Hosts {
  static final int MAX_NAME_LENGTH = 253;

  private static final Pattern DNS_NAME =
      Pattern.compile(
          "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
              + "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?");
  private static final Pattern IPV4 =
      Pattern.compile("(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
          + "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  // Starts with a hex digit or ':' and holds a ':', so the JDK parses it as a literal, never a name.
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** What {@link #check} accepts, for an error message. */
  static final String EXPECTED = "a DNS name or an IP address";

  private Hosts() {}

  /** Why {@code host} is not a DNS name or IP literal, if it is not. */
  static Optional<String> check(String host) {
    if (host.length() > MAX_NAME_LENGTH) {
      return Optional.of(
          "expected " + EXPECTED + " of at most " + MAX_NAME_LENGTH + " characters, got "
              + host.length() + " characters");
    }
    if (ipLiteral(host).isEmpty() && !DNS_NAME.matcher(host).matches()) {
      return Optional.of(
          "expected " + EXPECTED + " (a name is labels of letters, digits and '-' joined by"
              + " '.'), got " + ConfigNode.quote(host));
    }
    return Optional.empty();
  }

  /**
   * {@code host} as an address when it is an IPv4 or IPv6 literal, keeping the literal as its host
   * name ({@code ::} stays {@code ::} in messages and in Envoy's configuration); empty otherwise.
   */
  static Optional<InetAddress> ipLiteral(String host) {
    if (!IPV4.matcher(host).matches() && !IPV6_CHARS.matcher(host).matches()) {
      return Optional.empty();
    }
    try {
      // A literal: the JDK parses it and does no lookup.
      return Optional.of(InetAddress.getByAddress(host, InetAddress.getByName(host).getAddress()));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }
}

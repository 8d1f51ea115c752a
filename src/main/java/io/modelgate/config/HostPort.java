package io.modelgate.config;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code host:port} pair as written by an operator ({@code 127.0.0.1:8081},
 * {@code [::1]:8500}, {@code tfs-0.tfs:8500}); an IPv6 host must be in brackets, and the host
 * follows {@link Hosts}. Parsing does no name resolution. Immutable.
 */
record HostPort(String host, int port) {
  private static final Pattern HOST_PORT =
      Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([A-Za-z0-9_.-]+)):([0-9]{1,5})");

  /** Parses {@code text}; empty when it is not {@code host:port} with a port in range. */
  static Optional<HostPort> parse(String text, int minPort) {
    Matcher m = HOST_PORT.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    int port = Integer.parseInt(m.group(3));
    if (port < minPort || port > 65535) {
      return Optional.empty();
    }
    return Optional.of(new HostPort(m.group(1) != null ? m.group(1) : m.group(2), port));
  }

  /**
   * Parses {@code text} and checks its host.
   *
   * @param error makes the exception for a reason, naming the field or option at fault
   */
  static HostPort read(String text, int minPort, Function<String, ConfigException> error) {
    HostPort hostPort =
        parse(text, minPort)
            .orElseThrow(
                () -> error.apply("expected " + describe(minPort) + ", got " + ConfigNode.quote(text)));
    Hosts.check(hostPort.host()).ifPresent(problem -> {
      throw error.apply(problem);
    });
    return hostPort;
  }

  /** The address, resolved now unless the host is a literal; unresolved if the name is unknown. */
  InetSocketAddress resolve() {
    return Hosts.ipLiteral(host)
        .map(ip -> new InetSocketAddress(ip, port))
        .orElseGet(() -> new InetSocketAddress(host, port));
  }

  /** What {@link #parse} accepts, for an error message. */
  static String describe(int minPort) {
    return "host:port with a port from " + minPort + " to 65535";
  }

  /**
   * Why {@code host} cannot be a replica's host, if it cannot: a {@link Hosts} name or IP address
   * (IPv6 without brackets), and no port, which belongs in {@code grpcPort}/{@code restPort}.
   */
  static Optional<String> checkHost(String host) {
    if (host.length() <= Hosts.MAX_NAME_LENGTH
        && host.indexOf(':') >= 0
        && host.indexOf(':') == host.lastIndexOf(':')) {
      return Optional.of(
          "expected a host name or IP address without a port, got " + ConfigNode.quote(host));
    }
    return Hosts.check(host);
  }
}

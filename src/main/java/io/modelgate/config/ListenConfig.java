package io.modelgate.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where modelgate listens. {@code grpc} serves grpc.health.v1 (and reflection); {@code http}
 * serves {@code /healthz}, {@code /readyz} and the admin pages. Port 0 picks a free port.
 */
public record ListenConfig(InetSocketAddress grpc, InetSocketAddress http) {
  public ListenConfig {
    Objects.requireNonNull(grpc, "grpc");
    Objects.requireNonNull(http, "http");
  }

  /** gRPC on 127.0.0.1:8081 and HTTP on 127.0.0.1:8080, as when the file has no {@code listen}. */
  public static ListenConfig defaults() {
    return new ListenConfig(
        new InetSocketAddress("127.0.0.1", 8081), new InetSocketAddress("127.0.0.1", 8080));
  }

  public static ListenConfig loopbackEphemeral() {
    return new ListenConfig(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0));
  }

  /** {@code host:port} as an operator writes it, an IPv6 host in brackets. */
  public static String format(InetSocketAddress address) {
    String host = address.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /**
   * A listen address given as a command-line option ({@code host:port}, port 0 picks a free
   * port), resolved now.
   *
   * @throws ConfigException naming {@code option} when the value is not a resolvable address
   */
  public static InetSocketAddress parseOption(String option, String value) {
    HostPort hostPort =
        HostPort.read(value, /* minPort= */ 0, reason -> new ConfigException(null, option, reason));
    InetSocketAddress address = hostPort.resolve();
    if (address.isUnresolved()) {
      throw new ConfigException(null, option, "cannot resolve host '" + hostPort.host() + "'");
    }
    return address;
  }
}

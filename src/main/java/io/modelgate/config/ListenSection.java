package io.modelgate.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * Reads the optional {@code listen} map of a configuration file. Host names are resolved here, so
 * that a name that does not resolve is reported as a configuration error rather than a bind
 * failure. Stateless.
 */
final class ListenSection {
  private static final List<String> KEYS = List.of("grpc", "http");

  private ListenSection() {}

  /** The listen addresses of {@code node}; an empty {@code listen:} means all defaults. */
  static ListenConfig read(ConfigNode node) {
    ListenConfig defaults = ListenConfig.defaults();
    InetSocketAddress grpc = defaults.grpc();
    InetSocketAddress http = defaults.http();
    List<Map.Entry<String, ConfigNode>> entries = node.isNull() ? List.of() : node.entries();
    for (Map.Entry<String, ConfigNode> entry : entries) {
      switch (entry.getKey()) {
        case "grpc" -> grpc = address(entry.getValue());
        case "http" -> http = address(entry.getValue());
        default -> throw entry.getValue().unknownKey(KEYS);
      }
    }
    return new ListenConfig(grpc, http);
  }

  /** A {@code host:port} value, resolved now so a bad name is a configuration error. */
  static InetSocketAddress address(ConfigNode value) {
    String text = value.string(HostPort.describe(/* minPort= */ 0));
    HostPort hostPort = HostPort.read(text, /* minPort= */ 0, value::error);
    InetSocketAddress address = hostPort.resolve();
    if (address.isUnresolved()) {
      throw value.error("cannot resolve host '" + hostPort.host() + "'");
    }
    return address;
  }

  /**
   * A {@code host:port} value whose host is an IP literal, as Envoy requires of the address a
   * listener binds; never resolved here, where Envoy's host names may mean something else.
   */
  static InetSocketAddress ipAddress(ConfigNode value) {
    String text = value.string(HostPort.describe(/* minPort= */ 0));
    HostPort hostPort = HostPort.read(text, /* minPort= */ 0, value::error);
    return Hosts.ipLiteral(hostPort.host())
        .map(ip -> new InetSocketAddress(ip, hostPort.port()))
        .orElseThrow(
            () ->
                value.error(
                    "expected an IP address (Envoy binds its listener to an IP; 0.0.0.0 or [::] for"
                        + " every interface), got " + ConfigNode.quote(hostPort.host())));
  }
}

package io.modelgate.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The check that no two addresses modelgate binds share a port on overlapping hosts: the same
 * address, or a wildcard and an address it covers ({@code 0.0.0.0} covers IPv4, {@code ::} covers
 * both families, as on a dual-stack Linux host). Port 0 is a free port and never conflicts.
 * {@code xds.envoyListener} is Envoy's, not modelgate's, and is not checked. Stateless.
 */
final class ListenPorts {
  private record Listener(String field, InetSocketAddress address) {}

  private ListenPorts() {}

  /**
   * @throws ConfigException at the later of the first two conflicting fields, naming both
   */
  static void check(ConfigNode root, ModelgateConfig config) {
    List<Listener> listeners = new ArrayList<>();
    listeners.add(new Listener("listen.grpc", config.listen().grpc()));
    listeners.add(new Listener("listen.http", config.listen().http()));
    listeners.add(new Listener("xds.listen", config.xds().listen()));
    if (config.extProc().enabled()) {
      listeners.add(new Listener("extproc.listen", config.extProc().listen()));
    }
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = 0; j < i; j++) {
        Listener later = listeners.get(i);
        Listener earlier = listeners.get(j);
        if (conflict(earlier.address(), later.address())) {
          throw root.child(later.field())
              .error(
                  ListenConfig.format(later.address())
                      + " overlaps "
                      + earlier.field()
                      + " ("
                      + ListenConfig.format(earlier.address())
                      + "): two listeners cannot share a port");
        }
      }
    }
  }

  private static boolean conflict(InetSocketAddress a, InetSocketAddress b) {
    return a.getPort() != 0 && a.getPort() == b.getPort() && overlap(a.getAddress(), b.getAddress());
  }

  private static boolean overlap(InetAddress a, InetAddress b) {
    if (a.equals(b)) {
      return true;
    }
    if (a.isAnyLocalAddress() || b.isAnyLocalAddress()) {
      InetAddress wildcard = a.isAnyLocalAddress() ? a : b;
      InetAddress other = wildcard == a ? b : a;
      return !(wildcard instanceof Inet4Address) || other instanceof Inet4Address;
    }
    return false;
  }
}

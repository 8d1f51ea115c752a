package io.modelgate.xds;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IP addresses of replica hosts, as EDS needs them: Envoy accepts only IP addresses in an EDS
 * endpoint (a name, such as a Compose service, gets the whole update rejected). A name is looked
 * up through the JVM's resolver, which caches answers (networkaddress.cache.ttl, 30 s by default),
 * each time a snapshot is built, so a replica that comes back with a new address is followed at
 * the next change. A host that does not resolve has no endpoint until it does; its probes already
 * call it UNREACHABLE. Thread-safe; logs once when a host stops or starts resolving.
 */
final class ReplicaAddresses {
  private static final Logger log = LoggerFactory.getLogger(ReplicaAddresses.class);

  private final Set<String> unresolved = ConcurrentHashMap.newKeySet();

  Optional<String> ip(String host) {
    try {
      String ip = InetAddress.getByName(host).getHostAddress();
      if (unresolved.remove(host)) {
        log.info("replica host {} resolves again, to {}: it is back in EDS", host, ip);
      }
      return Optional.of(ip);
    } catch (UnknownHostException e) {
      if (unresolved.add(host)) {
        log.warn("replica host {} does not resolve: it is left out of EDS until it does", host);
      }
      return Optional.empty();
    }
  }
}

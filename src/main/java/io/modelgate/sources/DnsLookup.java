package io.modelgate.sources;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.naming.CommunicationException;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.ServiceUnavailableException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * The A and AAAA records of one DNS name, asked of DNS servers on the wire through the JDK's own
 * DNS client (JNDI {@code com.sun.jndi.dns}). That client keeps no cache and never goes through
 * {@link InetAddress}'s resolver, so each call is a fresh answer whatever {@code
 * networkaddress.cache.ttl} says. Answers too large for UDP are asked again over TCP by the
 * client. The name is taken as fully qualified: no search domains are applied.
 *
 * <p>A lookup succeeds only when both queries answer NOERROR (with records or without: a name
 * that exists with no address is an empty set). Anything else (NXDOMAIN, SERVFAIL, REFUSED, no
 * answer) is a {@link Failure} whose message says what happened, since a name that vanishes from
 * a working cluster is far more likely a DNS fault than a fleet scaled to nothing.
 *
 * <p>Stateless between calls (a JNDI context is made and closed per lookup, so a changed {@code
 * /etc/resolv.conf} is picked up); safe to call from one thread at a time.
 */
final class DnsLookup {
  /**
   * Each server is given 1 s, then 2 s in a second round: when none answers, a query gives up
   * after 3 s per server. A closed port (ICMP unreachable) fails at once.
   */
  private static final String TIMEOUT_MS = "1000";
  private static final String RETRIES = "2";
  // JNDI formats A and AAAA data as address literals; checked so that no value can ever be
  // handed to InetAddress as a name to look up.
  private static final Pattern ADDRESS = Pattern.compile("[0-9A-Fa-f:.]+");

  private final String name;
  private final String providerUrl;
  private final String serversText;

  /**
   * @param servers the DNS servers to ask, in order; empty: the system's resolvers
   */
  DnsLookup(String name, List<InetSocketAddress> servers) {
    this.name = name;
    this.providerUrl =
        servers.isEmpty()
            ? "dns:"
            : servers.stream().map(s -> "dns://" + hostPort(s) + "/").collect(Collectors.joining(" "));
    this.serversText =
        servers.isEmpty()
            ? "the system's resolvers (/etc/resolv.conf)"
            : servers.stream().map(DnsLookup::hostPort).collect(Collectors.joining(", "));
  }

  /** Why a lookup gave no usable answer, as an operator should read it. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, /* enableSuppression= */ false, /* writableStackTrace= */ false);
    }
  }

  /** The addresses {@code name} has now, IPv4 then IPv6, each once, in a stable order. */
  List<InetAddress> addresses() throws Failure {
    Hashtable<String, Object> env = new Hashtable<>();
    env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
    env.put(Context.PROVIDER_URL, providerUrl);
    env.put("com.sun.jndi.dns.timeout.initial", TIMEOUT_MS);
    env.put("com.sun.jndi.dns.timeout.retries", RETRIES);
    DirContext context = null;
    try {
      context = new InitialDirContext(env);
      Set<InetAddress> addresses = new LinkedHashSet<>();
      // One query per type: asking for both at once would send an ANY query, which servers may
      // answer with only some of the records (RFC 8482).
      query(context, "A", addresses);
      query(context, "AAAA", addresses);
      List<InetAddress> sorted = new ArrayList<>(addresses);
      sorted.sort(BY_BYTES);
      return sorted;
    } catch (NamingException e) {
      throw new Failure("cannot set up a DNS lookup of " + name + ": " + e.getExplanation());
    } finally {
      if (context != null) {
        try {
          context.close();
        } catch (NamingException e) {
          // Closing a DNS context releases nothing that can fail; nothing to report.
        }
      }
    }
  }

  private void query(DirContext context, String type, Set<InetAddress> into) throws Failure {
    try {
      Attribute records = context.getAttributes(name, new String[] {type}).get(type);
      if (records == null) {
        return; // NOERROR without records of this type
      }
      NamingEnumeration<?> values = records.getAll();
      while (values.hasMore()) {
        into.add(literal(String.valueOf(values.next()), type));
      }
    } catch (NamingException e) {
      throw new Failure("DNS lookup of " + name + " (" + type + ") failed: " + describe(e));
    }
  }

  private InetAddress literal(String text, String type) throws Failure {
    if (ADDRESS.matcher(text).matches()) {
      try {
        return InetAddress.getByName(text); // a literal: parsed, not looked up
      } catch (UnknownHostException e) {
        // falls through: not an address after all
      }
    }
    throw new Failure(
        "DNS lookup of " + name + " (" + type + ") failed: the answer holds " + text
            + ", not an address");
  }

  private String describe(NamingException e) {
    if (e instanceof NameNotFoundException) {
      return "the name does not exist (NXDOMAIN)";
    }
    if (e instanceof ServiceUnavailableException) {
      return "server failure (SERVFAIL)";
    }
    if (e instanceof CommunicationException) {
      Throwable cause = e.getRootCause();
      String why = cause == null ? e.getExplanation() : cause.toString();
      return "no answer from " + serversText + " (" + why + ")";
    }
    return e.getExplanation();
  }

  private static String hostPort(InetSocketAddress server) {
    String ip = server.getAddress().getHostAddress();
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + server.getPort();
  }

  /** IPv4 (4 bytes) before IPv6 (16), then by value. */
  private static final Comparator<InetAddress> BY_BYTES =
      Comparator.comparingInt((InetAddress a) -> a.getAddress().length)
          .thenComparing(InetAddress::getAddress, Arrays::compareUnsigned);
}

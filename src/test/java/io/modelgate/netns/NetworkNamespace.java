package io.modelgate.netns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The network namespace that {@code src/test/kube/netns/bin/java} made for this test JVM: only
 * {@code lo}, with the 198.18.0.0/15 benchmark range routed to it as local addresses. Tests tagged
 * {@value #TAG} run in it (the pom's {@code netns} Surefire execution, and only there), so they
 * may bind servers on {@link #address(int)} addresses that the API server accepts in
 * EndpointSlices, and whatever they start stays in the namespace. Stateless.
 */
public final class NetworkNamespace {
  /** The JUnit tag of tests that must run in the namespace. */
  public static final String TAG = "netns";

  private static final String RUN_HINT =
      "run it through the pom's netns execution, which starts the test JVM in src/test/kube/netns/bin/java:"
          + " mvn -B -ntp test -Dtest=<TestClass> -Dsurefire.failIfNoSpecifiedTests=false";

  private NetworkNamespace() {}

  /**
   * Fails, whatever the environment, unless this JVM runs in a namespace that script made: a netns
   * test must never bind, connect or start processes in the machine's own network.
   */
  public static void require() {
    if (!"1".equals(System.getenv("MODELGATE_NETNS"))) {
      throw new IllegalStateException("this test needs its own network namespace; " + RUN_HINT);
    }
    List<String> interfaces = interfaceNames();
    if (!interfaces.equals(List.of("lo"))) {
      throw new IllegalStateException(
          "expected a network namespace with only lo, found " + interfaces + "; " + RUN_HINT);
    }
  }

  /** The names of this JVM's network interfaces, as the JDK lists them. */
  public static List<String> interfaceNames() {
    try {
      return NetworkInterface.networkInterfaces().map(NetworkInterface::getName).sorted().toList();
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list network interfaces", e);
    }
  }

  /**
   * 198.18.0.0 plus {@code n}: an address a test server can bind in the namespace, and that the
   * API server accepts in an EndpointSlice. {@code n} from 1 to 131070 (the /15 less its ends).
   */
  public static InetAddress address(int n) {
    if (n < 1 || n > (1 << 17) - 2) {
      throw new IllegalArgumentException("n must be from 1 to 131070, got " + n);
    }
    int value = (198 << 24) | (18 << 16) | n;
    byte[] bytes = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an IPv4 address", e);
    }
  }

  /** The namespace a process is in, as its {@code /proc/<pid>/ns/net} link names it. */
  public static String namespaceOf(long pid) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "net")).toString();
  }
}

package io.modelgate.grpcserver;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * What every modelgate gRPC server (health on {@code listen.grpc}, ADS on {@code xds.listen},
 * ext_proc on {@code extproc.listen}) bounds and tolerates: the size of a request message and of
 * its headers, calls per connection, the keepalive policy, and malformed request messages
 * (answered INVALID_ARGUMENT with one rate-limited log line, see {@link #guard}). The transport's
 * own warnings about a client's stream or connection are logged the same way ({@link
 * NettyServerLogs}, installed with the first server built).
 *
 * <p><b>Keepalive.</b> A client may ping every {@value #PERMIT_KEEPALIVE_SECONDS} s or less often,
 * with or without calls open; the shipped Envoy bootstraps ping their xDS connection every 5 s.
 * grpc-java's default allows one ping per 5 minutes and answers a third faster one with GOAWAY
 * {@code too_many_pings}, which made Envoy reconnect every ~17 s. The server itself pings a
 * connection idle for {@value #KEEPALIVE_SECONDS} s and drops it if the answer takes over
 * {@value #KEEPALIVE_TIMEOUT_SECONDS} s, so a client that vanished without closing its connection
 * (a powered-off host) does not hold its streams forever.
 *
 * <p>Immutable apart from the rate-limited log it owns; thread-safe.
 */
public final class GrpcServerPolicy {
  /**
   * The shortest interval between a client's pings that is accepted; Envoy bootstraps should ping
   * every 5 s or less often, a second of margin for timing noise.
   */
  public static final int PERMIT_KEEPALIVE_SECONDS = 4;

  static final int KEEPALIVE_SECONDS = 60;
  static final int KEEPALIVE_TIMEOUT_SECONDS = 20;

  /** grpc-java's default; every header a modelgate client or Envoy sends fits many times over. */
  static final int MAX_METADATA_BYTES = 8 * 1024;

  /** A health request is one service name: 64 KiB is far more than any name modelgate accepts. */
  static final int HEALTH_MAX_MESSAGE_BYTES = 64 * 1024;

  /**
   * Envoy's DiscoveryRequests: the node (with its list of extensions: tens of kilobytes), the names of every
   * resource it subscribes to (EDS: one per cluster), and a NACK's {@code error_detail}, which
   * lists each rejected resource. 4 MiB, grpc-java's default, now stated.
   */
  static final int XDS_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

  /** Room for the rest of a ProcessingRequest around a buffered body: headers, attributes. */
  static final int EXTPROC_ENVELOPE_BYTES = 1024 * 1024;

  private final int maxMessageBytes;
  private final int maxCallsPerConnection;
  private final MalformedMessages malformed;

  private GrpcServerPolicy(String name, int maxMessageBytes, int maxCallsPerConnection) {
    this.maxMessageBytes = maxMessageBytes;
    this.maxCallsPerConnection = maxCallsPerConnection;
    this.malformed =
        new MalformedMessages(name, RateLimitedLog.of(LoggerFactory.getLogger(MalformedMessages.class)));
  }

  /**
   * grpc.health.v1 and reflection: small messages; 200 calls per connection leaves room for
   * Check beside the most Watch streams one connection may hold.
   */
  public static GrpcServerPolicy health() {
    return new GrpcServerPolicy("health", HEALTH_MAX_MESSAGE_BYTES, 200);
  }

  /** ADS: an Envoy opens one stream per connection (one per resource type without ADS). */
  public static GrpcServerPolicy xds() {
    return new GrpcServerPolicy("xDS", XDS_MAX_MESSAGE_BYTES, 100);
  }

  /**
   * ext_proc: a message carries a request body of up to {@code maxRequestBytes} plus its headers.
   * No limit on calls per connection: Envoy opens one stream per HTTP request, and does not open
   * another connection when a server's SETTINGS_MAX_CONCURRENT_STREAMS is reached but queues the
   * streams behind it (envoyproxy/envoy#13933), so a limit would stall the gateway under load.
   */
  public static GrpcServerPolicy extProc(int maxRequestBytes) {
    return new GrpcServerPolicy(
        "ext_proc", Math.addExact(maxRequestBytes, EXTPROC_ENVELOPE_BYTES), Integer.MAX_VALUE);
  }

  /** A Netty server builder on {@code address} with these limits and the keepalive policy. */
  public NettyServerBuilder newBuilder(InetSocketAddress address) {
    NettyServerLogs.install();
    return NettyServerBuilder.forAddress(address)
        .maxInboundMessageSize(maxMessageBytes)
        .maxInboundMetadataSize(MAX_METADATA_BYTES)
        .maxConcurrentCallsPerConnection(maxCallsPerConnection)
        .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** {@code service} with malformed request messages answered INVALID_ARGUMENT (see the class doc). */
  public ServerServiceDefinition guard(BindableService service) {
    return guard(service.bindService());
  }

  /** As {@link #guard(BindableService)}, for a service already bound (e.g. with interceptors). */
  public ServerServiceDefinition guard(ServerServiceDefinition service) {
    return malformed.guard(service);
  }
}

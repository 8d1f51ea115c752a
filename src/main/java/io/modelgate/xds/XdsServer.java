package io.modelgate.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.CachedProtoResourcesSerializer;
import io.grpc.Server;
import io.modelgate.config.XdsConfig;
import io.modelgate.grpcserver.GrpcServerPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ADS endpoint Envoy connects to (LDS, RDS, CDS and EDS over one stream, state of the world or
 * incremental), serving whatever snapshot the {@link XdsSnapshotPublisher} last put in the cache
 * for the Envoy's node group, with the limits and keepalive policy of {@link
 * GrpcServerPolicy#xds}.
 */
public final class XdsServer implements AutoCloseable {
  private final NodeGroups nodeGroups;
  private final SimpleCache<String> cache;
  private final XdsCallbacks callbacks;
  private final Server server;

  /**
   * @param applied hears which views Envoy has applied (from its acknowledgements); null if no one
   *     needs to know
   */
  public XdsServer(InetSocketAddress address, XdsConfig.NodeGroup nodeGroup, AppliedViews applied) {
    callbacks = new XdsCallbacks(applied == null ? version -> {} : applied::acked);
    nodeGroups = new NodeGroups(nodeGroup);
    cache = new SimpleCache<>(nodeGroups);
    // Each resource packed once per snapshot, not once per stream: the default serializer
    // re-encoded every load assignment for each Envoy (bench/xds-scale: 50 x 5.4 MB per change).
    V3DiscoveryServer discovery =
        new V3DiscoveryServer(
            List.of(callbacks),
            new NackHolding(cache, nodeGroups),
            new DefaultExecutorGroup(),
            new CachedProtoResourcesSerializer());
    GrpcServerPolicy policy = GrpcServerPolicy.xds();
    server =
        policy
            .newBuilder(address)
            .addService(policy.guard(discovery.getAggregatedDiscoveryServiceImpl()))
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for xDS on " + address, e);
    }
  }

  public XdsServer(InetSocketAddress address, XdsConfig.NodeGroup nodeGroup) {
    this(address, nodeGroup, null);
  }

  /** Every Envoy in one group. */
  public XdsServer(InetSocketAddress address) {
    this(address, XdsConfig.NodeGroup.ALL);
  }

  SimpleCache<String> cache() {
    return cache;
  }

  NodeGroups nodeGroups() {
    return nodeGroups;
  }

  /** The node groups seen so far, e.g. {@code cluster:edge} with {@code nodeGroup: cluster}. */
  public List<String> groups() {
    return nodeGroups.groups();
  }

  /** xDS streams open now. */
  public long openStreams() {
    return callbacks.openStreams();
  }

  public int port() {
    return server.getPort();
  }

  /** Of the open streams, those speaking incremental (delta) xDS. */
  public long openDeltaStreams() {
    return callbacks.openDeltaStreams();
  }

  /** NACKs of configuration this server sent, received since start: Envoys rejecting it. */
  public long nacks() {
    return callbacks.nacks();
  }

  /** NACKs naming a nonce never sent on their stream (not Envoy rejecting config), since start. */
  public long strayNacks() {
    return callbacks.strayNacks();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}

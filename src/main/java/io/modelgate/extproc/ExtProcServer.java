package io.modelgate.extproc;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.grpcserver.GrpcServerPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server Envoy's ext_proc filter connects to, serving one {@link
 * ExternalProcessorService} on one address. Listening starts in {@link #start}; {@link #close}
 * stops it, cutting open streams (Envoy then applies the filter's {@code failure_mode_allow}).
 */
public final class ExtProcServer implements AutoCloseable {
  private final Server server;

  private ExtProcServer(Server server) {
    this.server = server;
  }

  /** Listens on {@code address} (port 0 picks a free port); fails if it cannot bind. */
  public static ExtProcServer start(InetSocketAddress address, ExternalProcessorService service) {
    return start(address, service, ExtProcConfig.DEFAULT_MAX_REQUEST_BYTES);
  }

  /**
   * As above, accepting ext_proc messages that carry a buffered request body of up to {@code
   * maxRequestBytes} (gRPC's 4 MiB default would cut larger Predict requests off), with the
   * limits and keepalive policy of {@link GrpcServerPolicy#extProc}.
   */
  public static ExtProcServer start(
      InetSocketAddress address, ExternalProcessorService service, int maxRequestBytes) {
    GrpcServerPolicy policy = GrpcServerPolicy.extProc(maxRequestBytes);
    Server server =
        policy
            .newBuilder(address)
            .addService(policy.guard(ServerInterceptors.intercept(service, ObserverInterceptor.create())))
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for ext_proc on " + address, e);
    }
    return new ExtProcServer(server);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}

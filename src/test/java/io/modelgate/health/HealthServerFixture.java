package io.modelgate.health;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.modelgate.grpcserver.GrpcServerPolicy;
import io.modelgate.view.HealthView;
import io.modelgate.time.MutableClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A {@link HealthService} over {@link TestViews}, a fake clock and heartbeat, served by a real
 * Netty gRPC server on 127.0.0.1:0 with modelgate's health server policy, with a plaintext channel
 * to it. Closing stops everything it started.
 */
final class HealthServerFixture implements AutoCloseable {
  /** Allowance max(3 x 2 s, 2 s + 5 s) = 7 s. */
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);

  final TestViews views;
  final MutableClock clock = new MutableClock(TestViews.T0);
  final FakeHeartbeat heartbeat = new FakeHeartbeat(PROBE_INTERVAL);
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  final HealthService health;
  final Server server;
  final ManagedChannel channel;

  /** A fast liveness tick (10 ms of real time), so Watch streams hear clock moves promptly. */
  HealthServerFixture(HealthView initial, BindableService... extraServices) throws IOException {
    this(initial, Duration.ofMillis(10), extraServices);
  }

  HealthServerFixture(HealthView initial, Duration livenessTick, BindableService... extraServices)
      throws IOException {
    this(initial, livenessTick, WatchLimits.DEFAULT, extraServices);
  }

  HealthServerFixture(
      HealthView initial, Duration livenessTick, WatchLimits watchLimits, BindableService... extraServices)
      throws IOException {
    views = new TestViews(initial);
    heartbeat.roundStarted(clock.instant());
    health = HealthService.start(views, heartbeat, clock, scheduler, livenessTick, watchLimits);
    GrpcServerPolicy policy = GrpcServerPolicy.health();
    NettyServerBuilder builder =
        policy.newBuilder(new InetSocketAddress("127.0.0.1", 0)).addService(policy.guard(health.bindableService()));
    for (BindableService extra : extraServices) {
      builder.addService(policy.guard(extra));
    }
    server = builder.build().start();
    channel = newChannel();
  }

  ManagedChannel newChannel() {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    health.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    scheduler.shutdownNow();
  }
}

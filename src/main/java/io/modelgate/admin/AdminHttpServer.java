package io.modelgate.admin;

import io.modelgate.config.ListenConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * modelgate's plain-HTTP endpoint (health twins, admin pages): an HTTP/1.1 server on Netty with
 * {@link AdminHandler}s registered by path prefix and a JSON 404 for every other path.
 *
 * <p>Headers are read without blocking, so no client can stall the port: each connection has
 * {@link AdminHttpLimits} for sending a whole request and for idling between requests, a bounded
 * request line, headers and body (414, 431, 413), and at most a bounded number of connections
 * are open (see {@link ConnectionBound}). Only GET and HEAD are served (405 otherwise); every
 * answer, errors included, is one JSON line.
 *
 * <p>Thread-safe. One event-loop thread accepts, reads and answers; handlers run on it and must
 * be cheap. {@link #close()} releases the port.
 */
public final class AdminHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
  private static final int MAX_CHUNK = 8192;

  private final EventLoopGroup loop;
  private final Channel listener;
  private final ConnectionBound bound;
  private final AtomicBoolean closed = new AtomicBoolean();

  private AdminHttpServer(EventLoopGroup loop, Channel listener, ConnectionBound bound) {
    this.loop = loop;
    this.listener = listener;
    this.bound = bound;
  }

  /** Starts on {@link ListenConfig#http()} with {@link AdminHttpLimits#DEFAULTS}. */
  public static AdminHttpServer start(ListenConfig listen, Map<String, ? extends AdminHandler> routes)
      throws IOException {
    return start(listen.http(), routes, AdminHttpLimits.DEFAULTS);
  }

  /** Starts on {@code address} with {@link AdminHttpLimits#DEFAULTS}. */
  public static AdminHttpServer start(InetSocketAddress address, Map<String, ? extends AdminHandler> routes)
      throws IOException {
    return start(address, routes, AdminHttpLimits.DEFAULTS);
  }

  /**
   * Binds {@code address} (port 0 picks a free port) and serves {@code routes}, keyed by path
   * prefix; the longest matching prefix wins.
   *
   * @throws IOException when the address cannot be bound
   */
  public static AdminHttpServer start(
      InetSocketAddress address, Map<String, ? extends AdminHandler> routes, AdminHttpLimits limits)
      throws IOException {
    Routes table = Routes.of(routes);
    EventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("modelgate-admin-http", true));
    ConnectionBound bound = new ConnectionBound(limits.maxConnections());
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(loop)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    bound.admit(channel);
                    channel
                        .pipeline()
                        .addLast(new HttpServerCodec(limits.maxRequestLine(), limits.maxHeaders(), MAX_CHUNK))
                        .addLast(new AdminConnection(table, limits, bound));
                  }
                });
    ChannelFuture bind = bootstrap.bind(address).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
      Throwable cause = bind.cause();
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    }
    AdminHttpServer server = new AdminHttpServer(loop, bind.channel(), bound);
    log.info("Admin HTTP listening on {}", server.address());
    return server;
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  public int port() {
    return address().getPort();
  }

  /** Connections closed so far because a newer one needed their place. */
  public long connectionsClosedForBound() {
    return bound.evicted();
  }

  /** Stops accepting, drops open connections and releases the port. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    listener.close().awaitUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}

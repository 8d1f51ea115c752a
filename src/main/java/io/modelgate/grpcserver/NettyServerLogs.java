package io.modelgate.grpcserver;

import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.slf4j.LoggerFactory;

/**
 * Turns the warnings grpc-java's Netty server transport logs about one client's stream or
 * connection (java.util.logging, each with a stack trace: a request message over the size limit,
 * an HTTP/2 stream or connection error) into one rate-limited line without a stack trace. A client
 * can cause these at will; a 1,000-stream flood logged 28,000 lines. Other records pass unchanged.
 *
 * <p>Thread-safe; installing is idempotent. The configured loggers are held here, since
 * java.util.logging keeps loggers (and so their filters) only weakly.
 */
final class NettyServerLogs {
  /** The server transport's loggers, by their names in grpc-netty-shaded. */
  private static final List<Logger> TRANSPORT =
      List.of(
          Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream"),
          Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler"));

  private static final RateLimitedLog LOG = RateLimitedLog.of(LoggerFactory.getLogger(NettyServerLogs.class));
  private static final SimpleFormatter FORMATTER = new SimpleFormatter();
  private static final Filter ONE_LINE = NettyServerLogs::oneLine;

  private NettyServerLogs() {}

  static void install() {
    for (Logger logger : TRANSPORT) {
      logger.setFilter(ONE_LINE);
    }
  }

  private static boolean oneLine(LogRecord record) {
    if (record.getThrown() == null || record.getLevel().intValue() < Level.WARNING.intValue()) {
      return true;
    }
    LOG.warn(
        "gRPC server: {}: {}",
        FORMATTER.formatMessage(record),
        ClientText.excerpt(String.valueOf(record.getThrown()), 300));
    return false;
  }
}

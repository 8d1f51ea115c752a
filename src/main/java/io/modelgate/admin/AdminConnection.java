package io.modelgate.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin HTTP connection after Netty's HTTP/1.1 decoder: enforces the request deadline and
 * the body bound, answers only GET and HEAD, routes the request and writes the JSON answer.
 *
 * <p>One instance per connection, used only on its event loop. Client faults (malformed or
 * oversized request, timeout, hang-up) are answered with a JSON error where the connection still
 * allows it and logged at DEBUG, one line, no stack trace; a handler that throws is answered 500
 * and logged at ERROR with its stack trace, since that is modelgate's bug.
 */
final class AdminConnection extends SimpleChannelInboundHandler<HttpObject> {
  private static final Logger log = LoggerFactory.getLogger(AdminConnection.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Routes routes;
  private final AdminHttpLimits limits;
  private final ConnectionBound bound;
  private ScheduledFuture<?> deadline;
  /** The request whose body is being read, or null between requests. */
  private HttpRequest head;
  private long bodyBytes;

  AdminConnection(Routes routes, AdminHttpLimits limits, ConnectionBound bound) {
    this.routes = routes;
    this.limits = limits;
    this.bound = bound;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    arm(ctx, limits.requestTimeout(), "request");
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    disarm();
    super.channelInactive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
    if (message instanceof HttpRequest request) {
      if (!startRequest(ctx, request)) {
        return;
      }
    }
    if (head == null) {
      return; // the rest of a request already answered and being closed
    }
    if (message instanceof HttpContent content) {
      bodyBytes += content.content().readableBytes();
      if (bodyBytes > limits.maxBody()) {
        reject(ctx, 413, "request body over " + limits.maxBody() + " bytes");
        return;
      }
    }
    if (message instanceof LastHttpContent) {
      HttpRequest request = head;
      head = null;
      disarm();
      answer(ctx, request, dispatch(request));
    }
  }

  /** Checks a new request's line and headers; false when it was refused. */
  private boolean startRequest(ChannelHandlerContext ctx, HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        reject(ctx, 414, "request line over " + limits.maxRequestLine() + " bytes");
      } else if (cause instanceof TooLongHttpHeaderException) {
        reject(ctx, 431, "request headers over " + limits.maxHeaders() + " bytes");
      } else {
        reject(ctx, 400, "malformed HTTP request");
      }
      return false;
    }
    if (HttpUtil.getContentLength(request, -1L) > limits.maxBody()) {
      reject(ctx, 413, "request body over " + limits.maxBody() + " bytes");
      return false;
    }
    head = request;
    bodyBytes = 0;
    return true;
  }

  private AdminResponse dispatch(HttpRequest head) {
    AdminRequest request;
    try {
      request = AdminRequest.of(head.method().name(), head.uri());
    } catch (IllegalArgumentException e) {
      log.debug("Admin HTTP: {} {}: {}", head.method(), truncated(head.uri()), e.getMessage());
      return AdminResponse.error(400, e.getMessage());
    }
    if (!head.method().equals(HttpMethod.GET) && !head.method().equals(HttpMethod.HEAD)) {
      return AdminResponse.methodNotAllowed();
    }
    try {
      return routes.handlerFor(request.rawPath()).handle(request);
    } catch (Exception e) {
      log.error("Admin HTTP handler failed for {} {}", request.method(), truncated(request.rawPath()), e);
      return AdminResponse.error(500, "internal error");
    }
  }

  /** Answers a request the decoder or the bounds refused, then closes the connection. */
  private void reject(ChannelHandlerContext ctx, int status, String message) {
    log.debug("Admin HTTP: refused a request from {}: {} {}", ctx.channel().remoteAddress(), status, message);
    head = null;
    disarm();
    write(ctx, AdminResponse.error(status, message), /* head= */ false, /* keepAlive= */ false);
  }

  private void answer(ChannelHandlerContext ctx, HttpRequest request, AdminResponse response) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    write(ctx, response, request.method().equals(HttpMethod.HEAD), keepAlive);
    if (keepAlive) {
      bound.answered(ctx.channel());
      arm(ctx, limits.idleTimeout(), "idle");
    }
  }

  private void write(ChannelHandlerContext ctx, AdminResponse response, boolean head, boolean keepAlive) {
    byte[] body;
    int status = response.status();
    try {
      body = (JSON.writeValueAsString(response.body()) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      log.error("Admin HTTP: cannot write the answer as JSON", e);
      status = 500;
      body = "{\"error\":\"internal error\"}\n".getBytes(StandardCharsets.UTF_8);
    }
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status),
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    response.headers().forEach(out.headers()::set);
    out.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (!keepAlive) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ctx.writeAndFlush(out)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  if (!written.isSuccess()) {
                    log.debug("Admin HTTP: client {} went away before its answer: {}",
                        written.channel().remoteAddress(), written.cause().toString());
                    written.channel().close();
                  } else if (!keepAlive) {
                    written.channel().close();
                  }
                });
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("Admin HTTP: client {} went away: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.error("Admin HTTP: unexpected failure on {}", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }

  private void arm(ChannelHandlerContext ctx, Duration timeout, String what) {
    disarm();
    deadline =
        ctx.executor()
            .schedule(
                () -> {
                  log.debug(
                      "Admin HTTP: closed {}: no whole request within the {} timeout of {} ms",
                      ctx.channel().remoteAddress(), what, timeout.toMillis());
                  ctx.close();
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
  }

  private void disarm() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  /** A client-sent string cut to a loggable length. */
  private static String truncated(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}

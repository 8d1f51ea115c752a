package io.modelgate.grpcserver;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a gRPC service so that a request message its marshaller cannot parse is answered
 * INVALID_ARGUMENT, with one rate-limited log line, and ends the call for the service as a cancel
 * would. grpc-java parses requests itself, before any interceptor sees them; a parse failure there
 * throws out of its serializing executor, which logs it at SEVERE with a ~28-line stack trace
 * (logger {@code io.grpc.internal.SerializingExecutor}), answers UNKNOWN, and tells the service
 * nothing: java-control-plane then never heard that the stream ended and kept counting it open.
 * Here the service's methods take the raw message bytes instead, and the original marshaller is
 * applied in {@link ParsingListener}, where a failure can be answered and reported.
 *
 * <p>Thread-safe; the listeners follow gRPC's threading rules (see {@link GuardedCall}).
 */
final class MalformedMessages {
  /** Keeps the message unparsed; the stream is closed by gRPC after the listener returns. */
  private static final MethodDescriptor.Marshaller<InputStream> UNPARSED =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
          return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
          return stream;
        }
      };

  private static final int MAX_REASON_CHARS = 200;

  private final String server;
  private final RateLimitedLog log;

  /** @param server the server's name in log lines, e.g. {@code "xDS"} */
  MalformedMessages(String server, RateLimitedLog log) {
    this.server = server;
    this.log = log;
  }

  /** {@code service} with the same methods and schema, parsing its requests as described above. */
  ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            // Reflection finds the service's .proto through its schema descriptor.
            .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<InputStream, ?> unparsed = unparsed(method);
      descriptor.addMethod(unparsed.getMethodDescriptor());
      methods.add(unparsed);
    }
    ServerServiceDefinition.Builder guarded = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(guarded::addMethod);
    return guarded.build();
  }

  private <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> unparsed(
      ServerMethodDefinition<ReqT, RespT> method) {
    MethodDescriptor<ReqT, RespT> parsed = method.getMethodDescriptor();
    MethodDescriptor<InputStream, RespT> unparsed =
        parsed.toBuilder(UNPARSED, parsed.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = method.getServerCallHandler();
    return ServerMethodDefinition.create(
        unparsed, (call, headers) -> new ParsingListener<>(new GuardedCall<>(call, parsed), headers, handler));
  }

  /**
   * Parses each message with the method's own marshaller and hands it on; on the first that does
   * not parse, closes the call INVALID_ARGUMENT, tells the service the call was cancelled, and
   * drops every later event. All callbacks arrive on the call's serializing executor.
   */
  private final class ParsingListener<ReqT, RespT> extends ServerCall.Listener<InputStream> {
    private final GuardedCall<ReqT, RespT> call;
    private final ServerCall.Listener<ReqT> delegate;
    private boolean rejected;

    ParsingListener(GuardedCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> handler) {
      this.call = call;
      this.delegate = handler.startCall(call, headers);
    }

    @Override
    public void onMessage(InputStream message) {
      if (rejected) {
        return;
      }
      ReqT parsed;
      try {
        parsed = call.getMethodDescriptor().parseRequest(message);
      } catch (RuntimeException e) {
        reject(e);
        return;
      }
      delegate.onMessage(parsed);
    }

    private void reject(RuntimeException failure) {
      rejected = true;
      MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
      String reason = reason(failure);
      call.closeRejected(
          Status.INVALID_ARGUMENT.withDescription(
              "malformed " + method.getBareMethodName() + " request message: " + reason));
      log.warn(
          "{} server: rejected a malformed {} request message from {}: {}",
          server,
          method.getFullMethodName(),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
          reason);
      // The service learns the call is over the way it learns of a client's cancel.
      delegate.onCancel();
    }

    @Override
    public void onHalfClose() {
      if (!rejected) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!rejected) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!rejected) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!rejected) {
        delegate.onReady();
      }
    }
  }

  /**
   * The first sentence of the parser's own words (protobuf's are fixed phrases), without the
   * status code around them.
   */
  private static String reason(RuntimeException failure) {
    Status status = Status.fromThrowable(failure);
    Throwable cause = status.getCause() != null ? status.getCause() : failure;
    String text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    int sentence = text.indexOf(". ");
    return ClientText.excerpt(sentence > 0 ? text.substring(0, sentence + 1) : text, MAX_REASON_CHARS);
  }

  /**
   * The call as the service sees it: typed by the original method, and closable by the {@link
   * ParsingListener} while the service may still be sending on another thread. Sends and closes
   * are serialised on this object (gRPC requires them serialised, and two parties now make them);
   * once closed, later sends and closes are dropped, as on a cancelled call.
   */
  private static final class GuardedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<InputStream, RespT> call;
    private final MethodDescriptor<ReqT, RespT> method;
    private boolean closed; // guarded by this

    GuardedCall(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method) {
      this.call = call;
      this.method = method;
    }

    synchronized void closeRejected(Status status) {
      if (!closed) {
        closed = true;
        call.close(status, new Metadata());
      }
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        call.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(RespT message) {
      if (!closed) {
        call.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        call.close(status, trailers);
      }
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public synchronized void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public synchronized void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}

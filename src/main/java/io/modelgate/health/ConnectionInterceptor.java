package io.modelgate.health;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;

/**
 * Puts each call's connection (its remote address) in the call's {@link Context}, so Watch can
 * count streams per connection. Stateless.
 */
final class ConnectionInterceptor implements ServerInterceptor {
  /** The remote address, or {@link #UNKNOWN} for a transport that has none. */
  static final Context.Key<Object> CONNECTION = Context.key("modelgate.health.connection");

  static final Object UNKNOWN = "unknown connection";

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    Context context = Context.current().withValue(CONNECTION, remote == null ? UNKNOWN : remote);
    return Contexts.interceptCall(context, call, headers, next);
  }
}

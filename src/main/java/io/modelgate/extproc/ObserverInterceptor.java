package io.modelgate.extproc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.modelgate.routing.ObserverAuth;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Tells Envoy's passive observer apart from anyone else who reaches the ext_proc port: marks the
 * streams whose initial metadata carries this process's observer token ({@link ObserverAuth},
 * compared in constant time). Observer messages on other streams are ignored. Thread-safe.
 */
final class ObserverInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> KEY =
      Metadata.Key.of(ObserverAuth.HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> TRUSTED = Context.keyWithDefault("modelgate-observer", false);
  private static final byte[] TOKEN = ObserverAuth.token().getBytes(StandardCharsets.US_ASCII);

  private ObserverInterceptor() {}

  /** The interceptor for the ext_proc server. */
  static ServerInterceptor create() {
    return new ObserverInterceptor();
  }

  /** Whether the current gRPC call carried this process's observer token. */
  static boolean trusted() {
    return TRUSTED.get();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String sent = headers.get(KEY);
    boolean trusted = sent != null && MessageDigest.isEqual(sent.getBytes(StandardCharsets.US_ASCII), TOKEN);
    return Contexts.interceptCall(Context.current().withValue(TRUSTED, trusted), call, headers, next);
  }
}

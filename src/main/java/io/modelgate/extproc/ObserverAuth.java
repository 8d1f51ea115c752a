package io.modelgate.extproc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Tells Envoy's passive observer apart from anyone else who reaches the ext_proc port: modelgate
 * puts a per-process random token into the observer filter's {@code grpc_service.initial_metadata}
 * (header {@value #HEADER}), and this interceptor marks the streams that carry it (compared in
 * constant time). Observer messages on other streams are ignored. The token lives only in this
 * process's memory and in the xDS it serves, so only an Envoy configured by this process has it.
 * Thread-safe.
 */
public final class ObserverAuth implements ServerInterceptor {
  /** The metadata header the observer filter sends its token in. */
  public static final String HEADER = "x-modelgate-observer-token";

  private static final Metadata.Key<String> KEY = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> TRUSTED = Context.keyWithDefault("modelgate-observer", false);
  private static final String PROCESS_TOKEN = randomToken();

  private ObserverAuth() {}

  /** The interceptor for the ext_proc server. */
  static ServerInterceptor interceptor() {
    return new ObserverAuth();
  }

  /** The token this process's observer filters send, for the xDS resources. */
  public static String token() {
    return PROCESS_TOKEN;
  }

  /** Whether the current gRPC call carried this process's observer token. */
  static boolean trusted() {
    return TRUSTED.get();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String sent = headers.get(KEY);
    boolean trusted =
        sent != null
            && MessageDigest.isEqual(
                sent.getBytes(StandardCharsets.US_ASCII), PROCESS_TOKEN.getBytes(StandardCharsets.US_ASCII));
    return Contexts.interceptCall(Context.current().withValue(TRUSTED, trusted), call, headers, next);
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}

package io.modelgate.routing;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * How Envoy's passive observer proves it is the observer modelgate configured: the observer
 * filter sends this process's random token as gRPC initial metadata (header {@value #HEADER}),
 * and modelgate's ext_proc service trusts observer messages only on streams that carry it. The
 * token lives only in this process's memory and in the xDS it serves, so only an Envoy configured
 * by this process has it. Thread-safe.
 */
public final class ObserverAuth {
  /** The metadata header the observer filter sends its token in. */
  public static final String HEADER = "x-modelgate-observer-token";

  private static final String PROCESS_TOKEN = randomToken();

  private ObserverAuth() {}

  /** The token this process's observer filters send: 64 hex digits, fixed for the process. */
  public static String token() {
    return PROCESS_TOKEN;
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}

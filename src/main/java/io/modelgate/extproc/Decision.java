package io.modelgate.extproc;

import java.util.Objects;
import java.util.OptionalLong;

/** What the gateway filter does with one request. Immutable. */
public sealed interface Decision {

  DecisionKind kind();

  /**
   * Let the request through to the model's route: {@code x-model-name} is {@code model}, and
   * {@code x-model-version} is {@code version} when the request asked for a version or label.
   */
  record Route(String model, OptionalLong version) implements Decision {
    public Route {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(version, "version");
    }

    @Override
    public DecisionKind kind() {
      return DecisionKind.ROUTED;
    }
  }

  /**
   * No replica serves the request yet, but one may soon: wait for a health view in which one
   * does, then {@code route}; if none comes within the hold, answer {@code meanwhile}.
   */
  record Hold(Route route, Reject meanwhile) implements Decision {
    public Hold {
      Objects.requireNonNull(route, "route");
      Objects.requireNonNull(meanwhile, "meanwhile");
    }

    @Override
    public DecisionKind kind() {
      return DecisionKind.HELD;
    }
  }

  /** Answer at once with an error in the request's own protocol. */
  record Reject(DecisionKind kind, ApiProtocol protocol, String message) implements Decision {
    public Reject {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(message, "message");
      if (kind == DecisionKind.ROUTED || kind == DecisionKind.HELD) {
        throw new IllegalArgumentException("a rejection cannot be " + kind);
      }
    }

    /** The HTTP status a REST client gets. */
    public int httpStatus() {
      return switch (kind) {
        case UNKNOWN_MODEL, NOT_SERVED -> 404;
        case NOT_LOADED -> 503;
        case METHOD_NOT_ALLOWED -> 405;
        case UNSUPPORTED_CONTENT_TYPE -> 415;
        case TOO_LARGE -> 413;
        default -> 400;
      };
    }

    /**
     * The gRPC status code a gRPC client gets: NOT_FOUND, UNAVAILABLE, UNIMPLEMENTED,
     * RESOURCE_EXHAUSTED or INVALID_ARGUMENT.
     */
    public int grpcStatus() {
      return switch (kind) {
        case UNKNOWN_MODEL -> 5;
        case NOT_LOADED -> 14;
        case NOT_SERVED, METHOD_NOT_ALLOWED -> 12;
        case TOO_LARGE -> 8;
        default -> 3;
      };
    }
  }
}

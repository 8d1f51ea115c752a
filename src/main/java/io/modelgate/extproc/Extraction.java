package io.modelgate.extproc;

import java.util.Objects;

/**
 * What reading one request for its model found: {@link Found} names the model; {@link Refused}
 * is a request the gateway answers itself (malformed, compressed in a way it cannot read, not a
 * TF Serving inference call, ...), in the request's protocol, so it never reaches a replica.
 */
public sealed interface Extraction {

  record Found(ModelRequest request) implements Extraction {
    public Found {
      Objects.requireNonNull(request, "request");
    }
  }

  record Refused(DecisionKind kind, ApiProtocol protocol, String reason) implements Extraction {
    public Refused {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(reason, "reason");
    }

    static Refused malformed(ApiProtocol protocol, String reason) {
      return new Refused(DecisionKind.MALFORMED, protocol, reason);
    }
  }
}

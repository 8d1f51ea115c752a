package io.modelgate.admin;

import java.util.function.Supplier;

/**
 * {@code GET /xds} (control plane only): the xDS side as JSON, the document {@code status} gives
 * (the xDS package's {@code XdsStatus}; taken as any value so that this consumer does not import
 * another). Read-only and thread-safe if {@code status} is.
 */
public final class XdsStatusHandler implements AdminHandler {
  public static final String PATH = "/xds";

  private final Supplier<?> status;

  public XdsStatusHandler(Supplier<?> status) {
    this.status = status;
  }

  @Override
  public AdminResponse handle(AdminRequest request) {
    return AdminResponse.document(request, PATH, status);
  }
}

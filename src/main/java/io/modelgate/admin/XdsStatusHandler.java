package io.modelgate.admin;

import io.modelgate.xds.XdsStatus;
import java.util.function.Supplier;

/**
 * {@code GET /xds} (control plane only): the xDS side as JSON, {@link XdsStatus}. Read-only and
 * thread-safe.
 */
public final class XdsStatusHandler implements AdminHandler {
  public static final String PATH = "/xds";

  private final Supplier<XdsStatus> status;

  public XdsStatusHandler(Supplier<XdsStatus> status) {
    this.status = status;
  }

  @Override
  public AdminResponse handle(AdminRequest request) {
    return AdminResponse.document(request, PATH, status);
  }
}

package io.modelgate.admin;

/**
 * One admin route: turns a request into a response. Called on the admin server's event loop, so
 * it must be cheap and must not block (read an immutable view, build a small document). A handler
 * that throws is answered 500 and logged once at ERROR by {@link AdminHttpServer}.
 */
@FunctionalInterface
public interface AdminHandler {
  AdminResponse handle(AdminRequest request) throws Exception;
}

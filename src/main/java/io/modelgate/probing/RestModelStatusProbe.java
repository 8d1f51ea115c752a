package io.modelgate.probing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.sources.Replica;
import io.modelgate.tfserving.framework.Code;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ModelStatusProbe} that reads {@code GET /v1/models/<name>} from the replica's REST
 * port.
 *
 * <p>Thread-safe; shares the caller's {@link HttpClient}. Every call is asynchronous and bounded
 * by the probe timeout as a whole (connect, headers and body), and the body by {@link
 * BoundedBody#MAX_BYTES}. 200 is parsed into the reported versions, 404 means the model is not
 * found; other statuses, unparseable or oversized bodies, timeouts and connection errors become
 * {@link ProbeOutcome.Failed}.
 */
public final class RestModelStatusProbe implements ModelStatusProbe {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY_IN_MESSAGE = 200;

  private final HttpClient client;
  private final String baseUri;
  private final Duration timeout;

  public RestModelStatusProbe(Replica replica, HttpClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
    String host = replica.connectHost().contains(":") ? "[" + replica.connectHost() + "]" : replica.connectHost();
    this.baseUri = "http://" + host + ":" + replica.restPort() + "/v1/models/";
  }

  @Override
  public CompletableFuture<ProbeOutcome> probe(String model) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUri + encodePathSegment(model)))
            .timeout(timeout)
            .GET()
            .build();
    CompletableFuture<ProbeOutcome> result;
    try {
      result =
          client
              .sendAsync(request, BoundedBody.handler(BoundedBody.MAX_BYTES))
              // The request timeout stops at the response headers; this bounds a stalled body.
              .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
              .handle(
                  (response, error) -> error == null ? fromResponse(response) : fromError(error));
    } catch (RuntimeException e) {
      // sendAsync throws synchronously only when the client cannot take the request at all.
      result = CompletableFuture.completedFuture(fromError(e));
    }
    return result;
  }

  /** Nothing to release: the HTTP client is shared and owned by the caller. */
  @Override
  public void close() {}

  private static String encodePathSegment(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private ProbeOutcome fromResponse(HttpResponse<String> response) {
    int code = response.statusCode();
    if (code == 200) {
      return parseStatus(response.body());
    }
    if (code == 404) {
      return new ProbeOutcome.ModelNotFound(errorText(response.body()));
    }
    return new ProbeOutcome.Failed(
        ProbeOutcome.Failed.Kind.BAD_RESPONSE, "HTTP " + code + ": " + abbreviate(response.body()));
  }

  private ProbeOutcome fromError(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
      return new ProbeOutcome.Failed(
          ProbeOutcome.Failed.Kind.TIMEOUT, "no answer within " + timeout.toMillis() + " ms");
    }
    if (cause instanceof BoundedBody.TooLargeException) {
      return new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE, cause.getMessage());
    }
    if (cause instanceof ConnectException) {
      return new ProbeOutcome.Failed(
          ProbeOutcome.Failed.Kind.CONNECTION_FAILED, "connect failed: " + message(cause));
    }
    if (cause instanceof IOException) {
      // Reset or closed before a full response: the replica is not reachable right now.
      return new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.CONNECTION_FAILED, message(cause));
    }
    return new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE, message(cause));
  }

  /**
   * Parses {@code {"model_version_status":[{"version":"1","state":"AVAILABLE","status":{...}}]}}.
   */
  static ProbeOutcome parseStatus(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return badBody("not JSON", body);
    }
    JsonNode statuses = root.get("model_version_status");
    if (statuses == null || !statuses.isArray()) {
      return badBody("no model_version_status array", body);
    }
    List<VersionStatus> versions = new ArrayList<>();
    for (JsonNode entry : statuses) {
      JsonNode version = entry.get("version");
      if (version == null) {
        return badBody("a version without a number", body);
      }
      long number;
      try {
        // TF Serving writes int64 as a JSON string; accept a plain number too.
        number = Long.parseLong(version.asText());
      } catch (NumberFormatException e) {
        return badBody("version is not a number", body);
      }
      JsonNode status = entry.path("status");
      versions.add(
          new VersionStatus(
              number,
              versionState(entry.path("state").asText("UNKNOWN")),
              errorCode(status.get("error_code")),
              status.path("error_message").asText("")));
    }
    return new ProbeOutcome.Reported(versions);
  }

  private static VersionState versionState(String name) {
    try {
      return VersionState.valueOf(name);
    } catch (IllegalArgumentException e) {
      return VersionState.UNKNOWN;
    }
  }

  private static String errorCode(JsonNode node) {
    if (node == null || node.isNull()) {
      return "OK";
    }
    if (node.isInt()) {
      Code code = Code.forNumber(node.asInt());
      return code == null ? "CODE_" + node.asInt() : code.name();
    }
    return node.asText();
  }

  private static String errorText(String body) {
    try {
      JsonNode error = JSON.readTree(body).get("error");
      if (error != null && error.isTextual()) {
        return error.asText();
      }
    } catch (JsonProcessingException e) {
      // Not JSON: the raw body is the best description there is.
    }
    return abbreviate(body);
  }

  private static ProbeOutcome badBody(String what, String body) {
    return new ProbeOutcome.Failed(
        ProbeOutcome.Failed.Kind.BAD_RESPONSE, what + ": " + abbreviate(body));
  }

  private static String abbreviate(String text) {
    String oneLine = text.strip().replaceAll("\\s+", " ");
    return oneLine.length() <= MAX_BODY_IN_MESSAGE
        ? oneLine
        : oneLine.substring(0, MAX_BODY_IN_MESSAGE) + "...";
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}

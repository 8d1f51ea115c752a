package io.modelgate.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.routing.RoutingHeaders;
import io.modelgate.simulator.TfServingWire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * REST Predict, {@code POST /v1/models/half_plus_two:predict {"instances":[1.0,2.0]}}, over
 * HTTP/1.1 with the JDK client. Thread-safe; the client's threads are daemons and stop on
 * {@link #close()}.
 */
public final class RestPredictClient implements PredictClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BODY = "{\"instances\":[1.0,2.0]}";

  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "demo-rest-client");
            thread.setDaemon(true);
            return thread;
          });
  private final HttpClient http;
  private final URI uri;

  /** Predict of {@code model} on {@code target} (Envoy's listener, or a replica's REST port). */
  public RestPredictClient(InetSocketAddress target, String model) {
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .executor(executor)
            .build();
    this.uri =
        URI.create("http://" + target.getHostString() + ":" + target.getPort() + "/v1/models/" + model + ":predict");
  }

  @Override
  public Api api() {
    return Api.REST;
  }

  @Override
  public CompletableFuture<Answered> predict(Duration deadline) {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(deadline)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, error) -> {
              if (error != null) {
                throw new CompletionException(transportFailure(error, deadline));
              }
              try {
                return check(response);
              } catch (PredictFailure failure) {
                throw new CompletionException(failure);
              }
            });
  }

  private static Answered check(HttpResponse<String> response) throws PredictFailure {
    Optional<String> replica = response.headers().firstValue(TfServingWire.REPLICA_ID_HEADER);
    if (response.statusCode() != 200) {
      throw new PredictFailure("HTTP " + response.statusCode() + " " + oneLine(response.body()), replica);
    }
    JsonNode predictions;
    try {
      predictions = JSON.readTree(response.body()).path("predictions");
    } catch (IOException e) {
      throw new PredictFailure("HTTP 200 with a body that is not JSON: " + oneLine(response.body()), replica);
    }
    if (predictions.size() != EXPECTED.length) {
      throw new PredictFailure("wrong answer: " + oneLine(response.body()), replica);
    }
    for (int i = 0; i < EXPECTED.length; i++) {
      if ((float) predictions.get(i).asDouble(Double.NaN) != EXPECTED[i]) {
        throw new PredictFailure("wrong answer: " + oneLine(response.body()), replica);
      }
    }
    if (replica.isEmpty()) {
      throw new PredictFailure("answer without " + TfServingWire.REPLICA_ID_HEADER, replica);
    }
    return new Answered(
        replica.get(), HeldHeader.parse(response.headers().firstValue(RoutingHeaders.HELD_MS).orElse(null)));
  }

  private static PredictFailure transportFailure(Throwable error, Duration deadline) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof HttpTimeoutException) {
      return new PredictFailure("no answer within the " + deadline.toMillis() + " ms deadline", Optional.empty());
    }
    return new PredictFailure(cause.getClass().getSimpleName() + ": " + cause.getMessage(), Optional.empty());
  }

  private static String oneLine(String body) {
    String flat = body.strip().replaceAll("\\s+", " ");
    return flat.length() > 120 ? flat.substring(0, 120) + "..." : flat;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}

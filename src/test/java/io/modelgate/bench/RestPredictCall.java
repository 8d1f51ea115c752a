package io.modelgate.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * REST {@code POST /v1/models/<model>:predict {"instances":[1.0]}} over HTTP/1.1 with the JDK
 * client; right means 200 with half_plus_two's answer 2.5. Thread-safe; the JDK client keeps a
 * pool of connections to Envoy, so a warm-up phase is needed before measuring.
 */
final class RestPredictCall implements PredictCall {
  private static final String BODY = "{\"instances\":[1.0]}";

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final URI uri;

  RestPredictCall(int envoyPort, String model) {
    this.uri = URI.create("http://127.0.0.1:" + envoyPort + "/v1/models/" + model + ":predict");
  }

  @Override
  public CompletableFuture<Void> send(Duration deadline) {
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
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                throw new Failure(
                    cause instanceof HttpTimeoutException
                        ? "no answer within " + deadline.toMillis() + " ms"
                        : cause.getClass().getSimpleName() + ": " + cause.getMessage());
              }
              String body = response.body().replace(" ", "");
              if (response.statusCode() != 200 || !body.contains("[2.5]")) {
                throw new Failure("HTTP " + response.statusCode() + " " + oneLine(response.body()));
              }
              return null;
            });
  }

  private static String oneLine(String body) {
    String flat = body.strip().replaceAll("\\s+", " ");
    return flat.length() > 100 ? flat.substring(0, 100) + "..." : flat;
  }

  @Override
  public void close() {
    // The JDK 17 client has no close(); its threads are daemons and die with the benchmark.
  }
}

package io.modelgate.probing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read as UTF-8 text up to a size limit. A model status is a few hundred bytes; a
 * replica that answers megabytes (a misconfigured proxy, a file server on the wrong port) is
 * refused as soon as it passes the limit, and the connection is dropped, instead of every probe
 * buffering it whole until its timeout.
 */
final class BoundedBody implements BodySubscriber<String> {
  /** The same limit grpc-java puts on a gRPC probe's answer by default. */
  static final int MAX_BYTES = 4 << 20;

  /** Raised, through the body future, for a body over the limit. */
  static final class TooLargeException extends IOException {
    TooLargeException(int limit) {
      super("response body larger than " + limit + " bytes");
    }
  }

  private final int limit;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<String> body = new CompletableFuture<>();
  private Flow.Subscription subscription;

  private BoundedBody(int limit) {
    this.limit = limit;
  }

  static BodyHandler<String> handler(int limit) {
    return info -> new BoundedBody(limit);
  }

  @Override
  public CompletionStage<String> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (body.isDone()) {
      return;
    }
    for (ByteBuffer buffer : buffers) {
      if (bytes.size() + buffer.remaining() > limit) {
        subscription.cancel();
        body.completeExceptionally(new TooLargeException(limit));
        return;
      }
      byte[] chunk = new byte[buffer.remaining()];
      buffer.get(chunk);
      bytes.writeBytes(chunk);
    }
  }

  @Override
  public void onError(Throwable error) {
    body.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    body.complete(bytes.toString(StandardCharsets.UTF_8));
  }
}

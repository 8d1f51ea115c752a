package io.modelgate.health;

import static io.modelgate.health.TestViews.model;
import static io.modelgate.health.TestViews.ready;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.modelgate.grpcserver.LogCapture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a health client controls is bounded: the length of a service name modelgate does not know,
 * the size of a request, and the Watch streams per connection and in all. Each refusal is a clear
 * status with a short message, never the client's name echoed whole.
 */
class HealthBoundsTest {
  private static final WatchLimits LIMITS = new WatchLimits(3, 5);
  private static final String LONG_MODEL = "m".repeat(300);

  private HealthServerFixture fixture;

  @BeforeEach
  void startServer() throws Exception {
    fixture = new HealthServerFixture(TestViews.view(0, false), Duration.ofHours(1), LIMITS);
    fixture.views.publish(true, model("resnet", ready("r0")), model(LONG_MODEL, ready("r0")));
  }

  @AfterEach
  void stopServer() throws Exception {
    fixture.close();
  }

  @Test
  void checkOfAnUnknownNameAtTheLimitIsNotFoundNamingIt() {
    String name = "x".repeat(HealthGrpcService.MAX_UNKNOWN_SERVICE_BYTES);

    Status status = checkFails(name);

    assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(status.getDescription()).isEqualTo("unknown service " + name);
  }

  @Test
  void checkOfAnUnknownNameOverTheLimitIsInvalidArgumentWithoutEchoingIt() {
    Status status = checkFails("x".repeat(60_000));

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .isEqualTo("unknown service name of 60000 bytes; names of services modelgate does not know are limited to 256 bytes");
  }

  @Test
  void checkOfAMegabyteNameIsRefusedByTheMessageSizeLimit() {
    Status status = checkFails("x".repeat(1 << 20));

    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).startsWith("gRPC message exceeds maximum size 65536");
  }

  @Test
  void twoHundredOversizedMessagesLogAFewSingleLinesAndNoGrpcWarning() {
    try (LogCapture logs = new LogCapture()) {
      for (int i = 0; i < 200; i++) {
        assertThat(checkFails("x".repeat(70_000)).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      }

      // grpc-java's transport logged each with a stack trace; now ten lines at most, then one per 6 s.
      assertThat(logs.linesWith("gRPC server: Exception processing message")).hasSizeLessThanOrEqualTo(11);
      assertThat(logs.lines()).noneMatch(line -> line.startsWith("\tat "));
      assertThat(logs.records(Level.WARNING)).isEmpty();
    }
  }

  @Test
  void aKnownServiceIsAnsweredWhateverTheLengthOfItsName() throws Exception {
    assertThat(check(LONG_MODEL)).isEqualTo(ServingStatus.SERVING);
    WatchRecorder watcher = watch(fixture.channel, LONG_MODEL);
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void watchOfAnUnknownNameOverTheLimitIsRefusedAndHeldNowhere() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "y".repeat(1_000));

    Status end = watcher.end.get(5, TimeUnit.SECONDS);

    assertThat(end.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(end.getDescription()).doesNotContain("yyyy");
    assertThat(fixture.health.watcherCount()).isZero();
  }

  @Test
  void watchesBeyondTheLimitPerConnectionOrInAllAreResourceExhaustedUntilOneEnds() throws Exception {
    ManagedChannel first = fixture.newChannel();
    ManagedChannel second = fixture.newChannel();
    try {
      WatchRecorder[] onFirst = {watch(first, "resnet"), watch(first, "resnet"), watch(first, "gpt")};
      for (WatchRecorder watcher : onFirst) {
        watcher.next();
      }
      Status perConnection = watch(first, "resnet").end.get(5, TimeUnit.SECONDS);
      assertThat(perConnection.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(perConnection.getDescription())
          .isEqualTo("too many Watch streams on one connection (3); close some or use Check");

      watch(second, "resnet").next();
      watch(second, "resnet").next();
      Status inAll = watch(second, "resnet").end.get(5, TimeUnit.SECONDS);
      assertThat(inAll.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(inAll.getDescription())
          .isEqualTo("too many Watch streams open on this server (5); use Check, or retry later");
      assertThat(fixture.health.watcherCount()).isEqualTo(5);
      assertThat(check("resnet")).as("Check is not limited").isEqualTo(ServingStatus.SERVING);

      onFirst[0].cancel();
      await().atMost(Duration.ofSeconds(5)).until(() -> fixture.health.watcherCount() == 4);
      WatchRecorder again = watch(second, "resnet");
      assertThat(again.next()).as("a slot given back is taken again").isEqualTo(ServingStatus.SERVING);
    } finally {
      first.shutdownNow();
      second.shutdownNow();
    }
  }

  private ServingStatus check(String service) {
    return HealthGrpc.newBlockingStub(fixture.channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  private Status checkFails(String service) {
    return catchThrowableOfType(StatusRuntimeException.class, () -> check(service)).getStatus();
  }

  private static WatchRecorder watch(ManagedChannel channel, String service) {
    WatchRecorder recorder = new WatchRecorder();
    HealthGrpc.newStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .watch(HealthCheckRequest.newBuilder().setService(service).build(), recorder);
    return recorder;
  }
}

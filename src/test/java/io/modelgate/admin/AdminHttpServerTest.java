package io.modelgate.admin;

import static io.modelgate.admin.RawHttp.body;
import static io.modelgate.admin.RawHttp.statusLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.config.ListenConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminHttpServerTest {
  private static final AdminHttpLimits FAST =
      new AdminHttpLimits(Duration.ofMillis(300), Duration.ofMillis(300), 128, 4096, 8192, 1024);

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Socket> sockets = new ArrayList<>();
  private AdminHttpServer server;

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private void start(Map<String, AdminHandler> routes) throws IOException {
    server = AdminHttpServer.start(ListenConfig.loopbackEphemeral(), routes);
  }

  private void start(Map<String, AdminHandler> routes, AdminHttpLimits limits) throws IOException {
    server = AdminHttpServer.start(ListenConfig.loopbackEphemeral().http(), routes, limits);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static AdminHandler answering(String text) {
    return request -> AdminResponse.json(200, Map.of("route", text));
  }

  /** A connection that sends part of a request's headers and then nothing. */
  private Socket slowLoris() throws IOException {
    Socket socket = RawHttp.connect(server.port());
    sockets.add(socket);
    socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  @Test
  void portZeroBindsAFreePortOnTheGivenAddress() throws Exception {
    start(Map.of());

    assertThat(server.port()).isPositive();
    assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void longestMatchingPrefixHandlesTheRequest() throws Exception {
    start(Map.of("/status", answering("status"), "/status/models", answering("models")));

    assertThat(get("/status").body()).isEqualTo("{\"route\":\"status\"}\n");
    assertThat(get("/status/models/resnet").body()).isEqualTo("{\"route\":\"models\"}\n");
  }

  @Test
  void pathNoRouteClaimsIs404Json() throws Exception {
    start(Map.of("/status", answering("status")));

    HttpResponse<String> response = get("/nothing/here");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(response.body()).isEqualTo("{\"error\":\"not found\"}\n");
  }

  @Test
  void doubleSlashIsAPathOfItsOwnAndGets404Json() throws Exception {
    start(Map.of("/healthz", answering("healthz")));

    String answer = RawHttp.get(server.port(), "//healthz");

    assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 404 Not Found");
    assertThat(answer).contains("content-type: application/json");
    assertThat(body(answer)).isEqualTo("{\"error\":\"not found\"}\n");
  }

  @Test
  void malformedPercentEscapeGets400JsonNamingIt() throws Exception {
    start(Map.of("/readyz", answering("readyz")));

    String answer = RawHttp.get(server.port(), "/readyz/%zz");

    assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 400 Bad Request");
    assertThat(answer).contains("content-type: application/json");
    assertThat(body(answer)).isEqualTo("{\"error\":\"malformed percent-escape '%zz' in path\"}\n");
    assertThat(body(RawHttp.get(server.port(), "/readyz/a%4"))).contains("'%4'");
  }

  @Test
  void absoluteFormTargetIsServedByItsPath() throws Exception {
    start(Map.of("/status", answering("status")));

    String answer = RawHttp.get(server.port(), "http://x/status?verbose=1");

    assertThat(body(answer)).isEqualTo("{\"route\":\"status\"}\n");
  }

  @Test
  void methodsOtherThanGetAndHeadGet405JsonWithAllow() throws Exception {
    start(Map.of("/status", answering("status")));

    String answer =
        RawHttp.exchange(
            server.port(), "DELETE /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 405 Method Not Allowed");
    assertThat(answer).containsIgnoringCase("allow: GET, HEAD");
    assertThat(body(answer)).isEqualTo("{\"error\":\"method not allowed\"}\n");
  }

  @Test
  void overlongRequestLineGets414Json() throws Exception {
    start(Map.of());

    String answer = RawHttp.get(server.port(), "/" + "a".repeat(5000));

    assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 414 Request-URI Too Long");
    assertThat(body(answer)).isEqualTo("{\"error\":\"request line over 4096 bytes\"}\n");
  }

  @Test
  void oversizedHeadersGet431Json() throws Exception {
    start(Map.of());

    String answer =
        RawHttp.exchange(
            server.port(),
            "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(300) + "\r\n");

    assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 431 Request Header Fields Too Large");
    assertThat(body(answer)).isEqualTo("{\"error\":\"request headers over 8192 bytes\"}\n");
  }

  @Test
  void bodyOverTheBoundGets413JsonWhetherDeclaredOrChunked() throws Exception {
    start(Map.of("/status", answering("status")));

    String declared =
        RawHttp.exchange(server.port(), "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    String chunk = "x".repeat(2000);
    String chunked =
        RawHttp.exchange(
            server.port(),
            "GET /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n");

    for (String answer : List.of(declared, chunked)) {
      assertThat(statusLine(answer)).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
      assertThat(body(answer)).isEqualTo("{\"error\":\"request body over 1024 bytes\"}\n");
    }
    // A small body is read and ignored.
    assertThat(
            body(RawHttp.exchange(
                server.port(),
                "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")))
        .isEqualTo("{\"route\":\"status\"}\n");
  }

  @Test
  void garbageGets400Json() throws Exception {
    start(Map.of());

    String answer = RawHttp.exchange(server.port(), "\u0001\u0002 nonsense\r\n\r\n");

    assertThat(statusLine(answer)).startsWith("HTTP/1.1 400");
    assertThat(body(answer)).isEqualTo("{\"error\":\"malformed HTTP request\"}\n");
  }

  @Test
  void handlerThatThrowsGives500JsonWithoutDetails() throws Exception {
    start(
        Map.of(
            "/boom",
            request -> {
              throw new IllegalStateException("secret internals");
            }));

    HttpResponse<String> response = get("/boom");

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(response.body()).isEqualTo("{\"error\":\"internal error\"}\n");
    // The server keeps serving after a handler failure.
    assertThat(get("/elsewhere").statusCode()).isEqualTo(404);
  }

  @Test
  void slowAndIdleClientsDoNotStallHealthz() throws Exception {
    start(Map.of("/healthz", answering("alive")));
    for (int i = 0; i < 200; i++) {
      slowLoris();
    }
    for (int i = 0; i < 20; i++) {
      RawHttp.connect(server.port()); // idle: sends nothing
    }

    // The first answer also pays for loading the answering path; it is not what is measured.
    assertThat(body(RawHttp.get(server.port(), "/healthz"))).isEqualTo("{\"route\":\"alive\"}\n");
    List<Long> took = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      String answer = RawHttp.get(server.port(), "/healthz");
      took.add((System.nanoTime() - start) / 1_000_000);

      assertThat(body(answer)).isEqualTo("{\"route\":\"alive\"}\n");
    }
    // Stalled behind the slow clients, a probe would wait for their request timeout (seconds):
    // none may come near it, and all but one answer within 100 ms even on a busy host.
    assertThat(took).as("probe times, ms").allSatisfy(ms -> assertThat(ms).isLessThan(1000));
    assertThat(took.stream().filter(ms -> ms >= 100)).as("probes over 100 ms: %s", took).hasSizeLessThanOrEqualTo(1);
    assertThat(server.connectionsClosedForBound()).isGreaterThanOrEqualTo(200 - 128);
  }

  @Test
  void connectionThatNeverFinishesItsHeadersIsClosedAfterTheRequestTimeout() throws Exception {
    start(Map.of(), FAST);
    Socket socket = slowLoris();

    long start = System.nanoTime();
    assertThat(socket.getInputStream().read()).isEqualTo(-1);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    start(Map.of("/healthz", answering("alive")), FAST);
    Socket socket = RawHttp.connect(server.port());
    sockets.add(socket);
    socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

    String answer = RawHttp.readAll(socket.getInputStream());

    assertThat(answer).startsWith("HTTP/1.1 200 OK").endsWith("{\"route\":\"alive\"}\n");
  }

  @Test
  void keepAliveConnectionServesSeveralRequests() throws Exception {
    start(Map.of("/healthz", answering("alive")));
    Socket socket = RawHttp.connect(server.port());
    sockets.add(socket);
    String twice = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2);
    socket.getOutputStream().write(twice.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

    String answers = RawHttp.readAll(socket.getInputStream());

    assertThat(answers.split("HTTP/1.1 200 OK", -1)).hasSize(4);
  }

  @Test
  void clientThatHangsUpBeforeItsAnswerLogsNoError() throws Exception {
    String big = "x".repeat(4 << 20);
    start(Map.of("/big", request -> AdminResponse.json(200, Map.of("data", big))));
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (int i = 0; i < 5; i++) {
        try (Socket socket = RawHttp.connect(server.port())) {
          socket.setReceiveBufferSize(4096);
          socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          socket.getInputStream().read();
          socket.setSoLinger(true, 0); // reset, mid-answer
        }
      }
      assertThat(get("/elsewhere").statusCode()).isEqualTo(404);
    } finally {
      System.setErr(stderr);
    }

    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("ERROR", "WARN", "\tat ");
  }

  @Test
  void closeReleasesThePort() throws Exception {
    start(Map.of());
    assertThat(get("/").statusCode()).isEqualTo(404);

    server.close();
    server.close();

    assertThatThrownBy(() -> get("/")).isInstanceOf(ConnectException.class);
  }

  @Test
  void routePrefixMustBeAnAbsolutePath() {
    assertThatThrownBy(() -> start(Map.of("status", answering("x"))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

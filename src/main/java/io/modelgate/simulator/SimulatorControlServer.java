package io.modelgate.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.modelgate.probing.VersionState;
import io.modelgate.probing.VersionStatus;
import io.modelgate.tfserving.framework.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP control endpoint of a running {@link Simulator}, for the demo and out-of-process
 * checks. Routes:
 *
 * <pre>
 * GET  /replicas                                                  all replicas (JSON)
 * GET  /replicas/{id}                                             one replica (with statusCalls per model)
 * POST /replicas/{id}/{hang|unhang|stop|start}
 * POST /replicas/{id}/latency?ms=N
 * POST /replicas/{id}/models/{m}/drop
 * POST /replicas/{id}/models/{m}/labels?stable=1&amp;canary=2
 * POST /replicas/{id}/models/{m}/versions/{v}/load[?ms=N]          LOADING, AVAILABLE after N ms
 * POST /replicas/{id}/models/{m}/versions/{v}/unload[?ms=N]        UNLOADING, END after N ms
 * POST /replicas/{id}/models/{m}/versions/{v}/fail[?ms=N&amp;message=..&amp;code=NOT_FOUND]
 * POST /replicas/{id}/models/{m}/versions/{v}/roll                 rollTo (availability-preserving)
 * POST /replicas/{id}/models/{m}/versions/{v}/state?value=LOADING  set a state directly
 * </pre>
 *
 * A POST answers 200 with the replica's JSON after the change. Unknown replicas and paths get
 * 404, a wrong method 405, a bad parameter 400, always as {@code {"error": "..."}}. Thread-safe:
 * every action goes to the replica's thread-safe API; requests run on a small own pool.
 */
public final class SimulatorControlServer implements AutoCloseable {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Simulator simulator;
  private final HttpServer server;
  private final ExecutorService executor;

  private SimulatorControlServer(Simulator simulator, HttpServer server, ExecutorService executor) {
    this.simulator = simulator;
    this.server = server;
    this.executor = executor;
  }

  public static SimulatorControlServer start(Simulator simulator, String host, int port) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind control endpoint " + host + ":" + port, e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "simulator-control");
              t.setDaemon(true);
              return t;
            });
    SimulatorControlServer control = new SimulatorControlServer(simulator, server, executor);
    server.createContext("/", control::handle);
    server.setExecutor(executor);
    server.start();
    return control;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://host:port}, without a trailing slash. */
  public String baseUrl() {
    return "http://" + server.getAddress().getHostString() + ":" + port();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      Answer answer = route(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
          query(exchange.getRequestURI().getRawQuery()));
      if (answer.status() == 405) {
        exchange.getResponseHeaders().set("Allow", answer.allow());
      }
      JsonExchange.send(exchange, answer.status(), answer.json());
    } catch (IOException e) {
      // The client went away; the exchange is closed.
    }
  }

  private record Answer(int status, String json, String allow) {
    static Answer ok(Object body) {
      try {
        return new Answer(200, MAPPER.writeValueAsString(body), "");
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot happen for maps of plain values", e);
      }
    }

    static Answer error(int status, String message) {
      return new Answer(status, RestJson.error(message), "");
    }

    static Answer wrongMethod(String allow) {
      return new Answer(405, RestJson.error("method not allowed, use " + allow), allow);
    }
  }

  private Answer route(String method, String rawPath, Map<String, String> query) {
    List<String> parts = new ArrayList<>();
    for (String segment : rawPath.split("/")) {
      if (!segment.isEmpty()) {
        parts.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
      }
    }
    if (parts.isEmpty() || !parts.get(0).equals("replicas")) {
      return Answer.error(404, "unknown path " + rawPath);
    }
    if (parts.size() == 1) {
      if (!method.equals("GET")) {
        return Answer.wrongMethod("GET");
      }
      return Answer.ok(Map.of("replicas", simulator.replicas().stream().map(SimulatorControlServer::view).toList()));
    }
    SimulatedReplica replica = simulator.findReplica(parts.get(1)).orElse(null);
    if (replica == null) {
      return Answer.error(404, "no replica " + parts.get(1));
    }
    if (parts.size() == 2) {
      return method.equals("GET") ? Answer.ok(view(replica)) : Answer.wrongMethod("GET");
    }
    Action action = action(replica, parts.subList(2, parts.size()));
    if (action == null) {
      return Answer.error(404, "unknown path " + rawPath);
    }
    if (!method.equals("POST")) {
      return Answer.wrongMethod("POST");
    }
    Runnable change;
    try {
      change = action.prepare(query);
    } catch (IllegalArgumentException e) {
      return Answer.error(400, e.getMessage());
    }
    change.run();
    return Answer.ok(view(replica));
  }

  /** A control action, made from the query parameters; throws IllegalArgumentException for bad ones. */
  @FunctionalInterface
  private interface Action {
    Runnable prepare(Map<String, String> query);
  }

  /** The action behind a POST to this path, below /replicas/{id}; null for an unknown path. */
  private static Action action(SimulatedReplica replica, List<String> path) {
    if (path.size() == 1) {
      return switch (path.get(0)) {
        case "hang" -> query -> () -> replica.hang(true);
        case "unhang" -> query -> () -> replica.hang(false);
        case "stop" -> query -> replica::stop;
        case "start" -> query -> replica::start;
        case "latency" -> query -> {
          Duration latency = optionalMillis(query);
          if (latency == null) {
            throw new IllegalArgumentException("latency needs ?ms=N");
          }
          return () -> replica.setLatency(latency);
        };
        default -> null;
      };
    }
    if (path.size() < 3 || !path.get(0).equals("models")) {
      return null;
    }
    String model = path.get(1);
    if (path.size() == 3) {
      return switch (path.get(2)) {
        case "drop" -> query -> () -> replica.dropModel(model);
        case "labels" -> query -> {
          Map<String, Long> labels = new HashMap<>();
          query.forEach((label, version) -> labels.put(label, number(version, label)));
          return () -> replica.setLabels(model, labels);
        };
        default -> null;
      };
    }
    if (path.size() != 5 || !path.get(2).equals("versions")) {
      return null;
    }
    String versionText = path.get(3);
    return switch (path.get(4)) {
      case "load" -> query -> {
        long version = number(versionText, "version");
        Duration loadTime = optionalMillis(query);
        return loadTime == null
            ? () -> replica.loadModel(model, version)
            : () -> replica.loadModel(model, version, loadTime);
      };
      case "unload" -> query -> {
        long version = number(versionText, "version");
        Duration unloadTime = optionalMillis(query);
        return unloadTime == null
            ? () -> replica.unloadModel(model, version)
            : () -> replica.unloadModel(model, version, unloadTime);
      };
      case "fail" -> query -> {
        long version = number(versionText, "version");
        String message = query.getOrDefault("message", "simulated load failure");
        Code code = enumValue(Code.class, query.getOrDefault("code", "UNKNOWN"), "code");
        if (code == Code.OK || code == Code.UNRECOGNIZED) {
          throw new IllegalArgumentException("code must be an error code, got " + code);
        }
        return () -> replica.failLoad(model, version, code, message);
      };
      case "roll" -> query -> {
        long version = number(versionText, "version");
        return () -> replica.rollTo(model, version);
      };
      case "state" -> query -> {
        long version = number(versionText, "version");
        VersionState state = enumValue(VersionState.class, query.get("value"), "value");
        return () -> replica.setState(model, version, state);
      };
      default -> null;
    };
  }

  private static Map<String, Object> view(SimulatedReplica replica) {
    Map<String, Object> models = new LinkedHashMap<>();
    replica.modelStatus().forEach((model, versions) -> models.put(model, versions.stream().map(SimulatorControlServer::view).toList()));
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", replica.id());
    view.put("host", replica.host());
    view.put("grpcPort", replica.grpcPort());
    view.put("restPort", replica.restPort());
    view.put("hung", replica.hung());
    view.put("stopped", replica.stopped());
    view.put("latencyMs", replica.latency().toMillis());
    view.put("models", models);
    view.put("statusCalls", replica.statusCallCounts());
    return view;
  }

  private static Map<String, Object> view(VersionStatus version) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("version", version.version());
    view.put("state", version.state().name());
    view.put("errorCode", version.errorCode());
    view.put("errorMessage", version.errorMessage());
    return view;
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> params = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      params.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return params;
  }

  private static Duration optionalMillis(Map<String, String> query) {
    String value = query.get("ms");
    if (value == null) {
      return null;
    }
    long ms = number(value, "ms");
    if (ms < 0) {
      throw new IllegalArgumentException("ms must not be negative: " + value);
    }
    return Duration.ofMillis(ms);
  }

  private static long number(String value, String name) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
    }
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String name) {
    try {
      return Enum.valueOf(type, value == null ? "" : value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          name + " must be one of " + Arrays.toString(type.getEnumConstants()) + ", got '" + value + "'");
    }
  }
}

package io.modelgate.bench;

import io.modelgate.xds.EnvoyHosts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Where Envoy actually sends requests, over time: polls Envoy's admin {@code /clusters} every
 * {@value #POLL_MS} ms and keeps each host's request counter (tries, retries included) per
 * sample. Whatever decides endpoint health (modelgate's EDS or Envoy's own health checks), this
 * shows when traffic to a replica stopped or started. Thread-safe; {@link #close} stops polling.
 */
final class HostTrafficRecorder implements AutoCloseable {
  static final int POLL_MS = 100;

  private record Sample(long nanos, EnvoyHosts hosts) {}

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI clusters;
  private final List<Sample> samples = new ArrayList<>();
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "host-traffic-poller"));

  HostTrafficRecorder(int envoyAdminPort) {
    this.clusters = URI.create("http://127.0.0.1:" + envoyAdminPort + "/clusters");
    poller.scheduleAtFixedRate(this::poll, 0, POLL_MS, TimeUnit.MILLISECONDS);
  }

  private void poll() {
    long now = System.nanoTime();
    try {
      String text =
          http.send(HttpRequest.newBuilder(clusters).timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString())
              .body();
      EnvoyHosts hosts = EnvoyHosts.parse(text);
      synchronized (samples) {
        samples.add(new Sample(now, hosts));
      }
    } catch (IOException e) {
      // A missed sample only coarsens the timeline.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Tries sent to {@code replica} for {@code model} (every cluster of the model) in one sample. */
  private static long tries(EnvoyHosts hosts, String model, String replica) {
    String prefix = "modelgate/" + model + "/";
    long total = 0;
    for (EnvoyHosts.Host host : hosts.hosts().values()) {
      if (host.replica().equals(replica) && host.cluster().startsWith(prefix)) {
        total += host.requests();
      }
    }
    return total;
  }

  /**
   * When routing followed an event: for a replica that should stop getting the model's traffic,
   * the first sample after the last one in which its tries still grew; for one that should start,
   * the first sample in which they grew. Empty if it never did within {@code [from, to]} ("in") or
   * was still growing at {@code to} ("out").
   */
  java.util.OptionalLong followed(String model, String replica, boolean in, long from, long to) {
    List<Sample> window = new ArrayList<>();
    synchronized (samples) {
      for (int i = 1; i < samples.size(); i++) {
        Sample s = samples.get(i);
        if (s.nanos() > from && s.nanos() <= to) {
          if (window.isEmpty()) {
            window.add(samples.get(i - 1));
          }
          window.add(s);
        }
      }
    }
    int lastGrowth = -1;
    for (int i = 1; i < window.size(); i++) {
      boolean grew = tries(window.get(i).hosts(), model, replica) > tries(window.get(i - 1).hosts(), model, replica);
      if (grew && in) {
        return java.util.OptionalLong.of(window.get(i).nanos());
      }
      if (grew) {
        lastGrowth = i;
      }
    }
    if (in) {
      return java.util.OptionalLong.empty();
    }
    if (lastGrowth == window.size() - 1) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.of(lastGrowth < 0 ? from : window.get(lastGrowth + 1).nanos());
  }

  /** Tries per second per replica (all models), in one-second buckets from {@code origin}. */
  Map<String, long[]> triesPerSecond(List<String> replicas, List<String> models, long origin, int seconds) {
    Map<String, long[]> rates = new TreeMap<>();
    replicas.forEach(r -> rates.put(r, new long[seconds]));
    List<Sample> copy;
    synchronized (samples) {
      copy = List.copyOf(samples);
    }
    for (int i = 1; i < copy.size(); i++) {
      int bucket = (int) ((copy.get(i).nanos() - origin) / 1_000_000_000L);
      if (bucket < 0 || bucket >= seconds) {
        continue;
      }
      for (String replica : replicas) {
        long delta = 0;
        for (String model : models) {
          delta += tries(copy.get(i).hosts(), model, replica) - tries(copy.get(i - 1).hosts(), model, replica);
        }
        rates.get(replica)[bucket] += Math.max(0, delta);
      }
    }
    return rates;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}

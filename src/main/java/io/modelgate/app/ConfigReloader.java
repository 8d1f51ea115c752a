package io.modelgate.app;

import io.modelgate.config.ConfigException;
import io.modelgate.config.ConfigLoader;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.SourceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Reloads the configuration file while modelgate runs: when the file changes (checked every
 * {@link #POLL}, which also sees a Kubernetes ConfigMap's symlink swap) or on {@code SIGHUP}. A
 * valid file's models, static replicas and replica sources are handed on; the other sections
 * (probe, listen, xds, extproc) take effect at the next start, and a warning says which changed.
 * A file that is not valid changes nothing: its error is logged once, exactly as at start, and
 * the running configuration stays. Runs on one daemon thread of its own.
 */
final class ConfigReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);
  static final Duration POLL = Duration.ofSeconds(2);

  private final Path file;
  private final Consumer<ModelgateConfig> apply;
  private final ScheduledExecutorService thread =
      DaemonThreads.scheduler("modelgate-config-reload");
  // On thread only:
  private ModelgateConfig running;
  private String lastProblem;
  private Stamp seen;

  /** When and how big the file was: a change of either is worth reading it again. */
  private record Stamp(long modifiedMillis, long size, Object fileKey) {}

  ConfigReloader(Path file, ModelgateConfig running, Consumer<ModelgateConfig> apply) {
    this.file = file;
    this.running = running;
    this.apply = apply;
    this.seen = stamp();
  }

  void start() {
    thread.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    try {
      Signal.handle(new Signal("HUP"), signal -> thread.execute(this::reload));
    } catch (IllegalArgumentException e) {
      log.warn("SIGHUP cannot be handled here ({}); the file is still reloaded when it changes", e.getMessage());
    }
  }

  /** Reloads now, as SIGHUP does; for tests. */
  void reloadNow() throws Exception {
    thread.submit(this::reload).get();
  }

  private void poll() {
    Stamp now = stamp();
    if (!Objects.equals(now, seen)) {
      seen = now;
      reload();
    }
  }

  private Stamp stamp() {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(attributes.lastModifiedTime().toMillis(), attributes.size(), attributes.fileKey());
    } catch (IOException e) {
      return null; // unreadable: reload() says why
    }
  }

  private void reload() {
    ModelgateConfig next;
    try {
      next = ConfigLoader.load(file);
    } catch (ConfigException e) {
      if (!e.getMessage().equals(lastProblem)) {
        log.error("configuration not reloaded, the running one stays: {}", e.getMessage());
        lastProblem = e.getMessage();
      }
      return;
    } catch (RuntimeException e) {
      log.error("configuration not reloaded, the running one stays", e);
      return;
    }
    lastProblem = null;
    List<String> atRestart = new ArrayList<>();
    noteRestartOnly(atRestart, "probe", running, next, ModelgateConfig::probe);
    noteRestartOnly(atRestart, "listen", running, next, ModelgateConfig::listen);
    noteRestartOnly(atRestart, "xds", running, next, ModelgateConfig::xds);
    noteRestartOnly(atRestart, "extproc", running, next, ModelgateConfig::extProc);
    if (!atRestart.isEmpty()) {
      log.warn("{} changed in {}: takes effect at the next start", String.join(", ", atRestart), file);
    }
    String changes = changes(running, next);
    if (changes.isEmpty()) {
      return;
    }
    apply.accept(next);
    log.info("configuration reloaded from {}: {}", file, changes);
    running =
        new ModelgateConfig(
            next.replicas(), next.models(), running.probe(), running.listen(), running.xds(), running.extProc(), next.sources());
  }

  private static void noteRestartOnly(
      List<String> into, String section, ModelgateConfig before, ModelgateConfig after, Function<ModelgateConfig, Object> part) {
    if (!part.apply(before).equals(part.apply(after))) {
      into.add(section);
    }
  }

  /** "models +gpt -bert; static replicas +r3; sources changed", or "" when nothing applies. */
  private static String changes(ModelgateConfig before, ModelgateConfig after) {
    List<String> parts = new ArrayList<>();
    String models = diff(before.models().stream().map(ModelConfig::name).toList(), after.models().stream().map(ModelConfig::name).toList());
    if (!models.isEmpty()) {
      parts.add("models " + models);
    } else if (!before.models().equals(after.models())) {
      parts.add("model settings changed");
    }
    String replicas = diff(before.replicas().stream().map(ReplicaConfig::id).toList(), after.replicas().stream().map(ReplicaConfig::id).toList());
    if (!replicas.isEmpty()) {
      parts.add("static replicas " + replicas);
    } else if (!before.replicas().equals(after.replicas())) {
      parts.add("static replica settings changed");
    }
    List<SourceConfig> sources = after.sources();
    if (!before.sources().equals(sources)) {
      parts.add("replica sources changed (" + sources.size() + " now)");
    }
    return String.join("; ", parts);
  }

  private static String diff(List<String> before, List<String> after) {
    List<String> items = new ArrayList<>();
    after.stream().filter(name -> !before.contains(name)).forEach(name -> items.add("+" + name));
    before.stream().filter(name -> !after.contains(name)).forEach(name -> items.add("-" + name));
    return String.join(" ", items);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}

package io.modelgate.app;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The single-thread executors the wiring owns (probe timer, readiness and view writers, health
 * ticks, config reload): daemons, so none keeps the JVM alive, each named for thread dumps.
 */
final class DaemonThreads {
  private DaemonThreads() {}

  static ScheduledExecutorService scheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(task -> daemon(task, name));
  }

  static ExecutorService single(String name) {
    return Executors.newSingleThreadExecutor(task -> daemon(task, name));
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }
}

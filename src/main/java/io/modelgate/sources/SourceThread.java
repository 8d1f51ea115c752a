package io.modelgate.sources;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The one thread a source (or the merge of sources) runs on: a daemon, so discovery never keeps
 * the JVM alive, named for thread dumps.
 */
final class SourceThread {
  private SourceThread() {}

  static ScheduledExecutorService named(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        task -> {
          Thread thread = new Thread(task, name);
          thread.setDaemon(true);
          return thread;
        });
  }
}

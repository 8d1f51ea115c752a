package io.modelgate.grpcserver;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Everything logged while it is open: lines written to {@code System.err} (where slf4j-simple
 * writes modelgate's log, still passed through) and the java.util.logging records grpc-java
 * publishes (which go to the console handler's own copy of stderr). Close restores both.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Logger root = Logger.getLogger("");
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (isLoggable(record)) {
            records.add(record);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  public LogCapture() {
    System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
  }

  /** The lines written to stderr so far. */
  public List<String> lines() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** The lines written to stderr so far that contain {@code text}. */
  public List<String> linesWith(String text) {
    return lines().stream().filter(line -> line.contains(text)).toList();
  }

  /** The java.util.logging records at {@code level} or above published so far. */
  public List<LogRecord> records(Level level) {
    return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue()).toList();
  }

  @Override
  public void close() {
    root.removeHandler(handler);
    System.setErr(original);
  }

  private static final class Tee extends OutputStream {
    private final OutputStream passThrough;
    private final ByteArrayOutputStream copy;

    Tee(OutputStream passThrough, ByteArrayOutputStream copy) {
      this.passThrough = passThrough;
      this.copy = copy;
    }

    @Override
    public void write(int b) {
      synchronized (copy) {
        copy.write(b);
      }
      try {
        passThrough.write(b);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (copy) {
        copy.write(b, off, len);
      }
      try {
        passThrough.write(b, off, len);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void flush() throws java.io.IOException {
      passThrough.flush();
    }
  }
}

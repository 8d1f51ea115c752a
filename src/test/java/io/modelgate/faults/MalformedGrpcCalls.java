package io.modelgate.faults;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls that send bytes which are not the method's protobuf message, as a hostile or broken
 * client would: {@link #send} starts one call per message on a real channel and records the status
 * each call ends with. Thread-safe.
 */
final class MalformedGrpcCalls {
  /** A length-delimited field 1 whose length runs past the end: no protobuf parser accepts it. */
  static final byte[] NOT_PROTOBUF = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01};

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private final Map<Status.Code, LongAdder> endings = new ConcurrentHashMap<>();

  /**
   * Sends {@code calls} calls of {@code fullMethodName} carrying {@code message}, and waits until
   * every one has ended (each has a deadline of {@code deadlineMs}).
   */
  void send(ManagedChannel channel, String fullMethodName, byte[] message, int calls, long deadlineMs)
      throws InterruptedException {
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(fullMethodName)
            .setRequestMarshaller(RAW)
            .setResponseMarshaller(RAW)
            .build();
    CountDownLatch ended = new CountDownLatch(calls);
    for (int i = 0; i < calls; i++) {
      ClientCall<byte[], byte[]> call =
          channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS));
      call.start(
          new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
              endings.computeIfAbsent(status.getCode(), c -> new LongAdder()).increment();
              ended.countDown();
            }
          },
          new Metadata());
      call.request(1);
      call.sendMessage(message);
      call.halfClose();
    }
    ended.await(deadlineMs + 5_000, TimeUnit.MILLISECONDS);
  }

  /** How many calls ended with each status code so far. */
  Map<Status.Code, Long> endings() {
    Map<Status.Code, Long> counts = new ConcurrentHashMap<>();
    endings.forEach((code, count) -> counts.put(code, count.sum()));
    return counts;
  }
}

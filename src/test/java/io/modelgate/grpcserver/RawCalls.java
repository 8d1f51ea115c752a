package io.modelgate.grpcserver;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** gRPC calls that send raw bytes as request messages, as a hostile or broken client would. */
public final class RawCalls {
  /**
   * A length-delimited field 1 that claims 127 bytes and has one: no protobuf message parses it.
   */
  public static final byte[] MALFORMED = {0x0a, 0x7f, 'x'};

  /** Request and response messages as the bytes on the wire, unparsed. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  private RawCalls() {}

  /**
   * Calls {@code method} sending {@code messages} as they are, then half-closing; completes with
   * the status the call ends with (a 20 s deadline bounds a server that never answers).
   */
  public static CompletableFuture<Status> send(Channel channel, MethodDescriptor<?, ?> method, List<byte[]> messages) {
    MethodDescriptor<byte[], byte[]> raw =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(method.getType())
            .setFullMethodName(method.getFullMethodName())
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<Status> end = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            end.complete(status);
          }
        },
        new Metadata());
    call.request(Integer.MAX_VALUE);
    messages.forEach(call::sendMessage);
    call.halfClose();
    return end;
  }
}

package io.modelgate.simulator;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a unary gRPC call through the replica's {@link ResponseGate}: the response is
 * computed when the gate lets it through (so it reflects the model state at answer time), and a
 * {@link ServingError} becomes the matching status. No headers are sent before an error, so
 * errors go out trailers-only, as TF Serving's do. A bug in the simulator answers INTERNAL
 * instead of escaping: a delayed answer runs on a worker, where an escaping exception would
 * leave the call open until its deadline.
 */
final class GatedAnswers {

  private static final Logger log = LoggerFactory.getLogger(GatedAnswers.class);

  private final ResponseGate gate;

  GatedAnswers(ResponseGate gate) {
    this.gate = gate;
  }

  <T> void answer(StreamObserver<T> observer, Supplier<T> response) {
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
    // Registered before anything else: a hung call is forgotten once its client gives up, and
    // a late answer to a cancelled call is dropped quietly instead of throwing.
    call.setOnCancelHandler(() -> gate.release(call));
    gate.submit(
        call,
        () -> {
          T value;
          try {
            value = response.get();
          } catch (ServingError e) {
            call.onError(e.toGrpcStatus().asRuntimeException());
            return;
          } catch (RuntimeException e) {
            log.warn("simulator failed to answer a gRPC call", e);
            call.onError(Status.INTERNAL.withDescription("Internal error in the simulator").asRuntimeException());
            return;
          }
          call.onNext(value);
          call.onCompleted();
        });
  }
}

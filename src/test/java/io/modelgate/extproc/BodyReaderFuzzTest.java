package io.modelgate.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.PredictRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;

/**
 * Generated and mutated gRPC bodies through the gateway's body reader: repeated model_spec
 * fields anywhere, version/label switching, unknown fields, truncations, bit flips, compressed
 * frames, extra frames. For every input, the model the reader routes is the one the official
 * generated parser reads from the same bytes, or the reader refuses the request. Seeded; the seed
 * is printed, and {@code -Dfuzz.seed=N} replays a run.
 */
class BodyReaderFuzzTest {
  private static final int CASES = 20_000;
  private static final int LIMIT = 64 * 1024;
  private static final String[] NAMES = {"a", "b", "c", "", "a\u00e9", "ab"};
  private static final String[] LABELS = {"stable", "canary", ""};

  @Test
  void theRoutedModelIsWhatTheOfficialParserReadsOrTheRequestIsRefused() {
    long seed = Long.getLong("fuzz.seed", System.nanoTime());
    System.out.println("BodyReaderFuzzTest seed " + seed + " (-Dfuzz.seed=" + seed + " replays it)");
    Random random = new Random(seed);
    int routed = 0;
    int refused = 0;
    for (int i = 0; i < CASES; i++) {
      boolean multi = random.nextInt(4) == 0;
      String path = multi ? GrpcFrames.MULTI : GrpcFrames.PREDICT;
      byte[] message = multi ? multiInference(random) : predict(random);
      if (random.nextInt(3) == 0) {
        message = mutate(random, message);
      }
      String encoding = pick(random, "", "", "", "gzip", "gzip", "deflate", "identity", "snappy");
      ByteString body = body(random, message, encoding);
      Extraction extraction = GrpcBodies.extract(path, encoding, body, LIMIT);
      Optional<ModelRequest> expected = officialReading(path, encoding, body);
      if (extraction instanceof Extraction.Found found) {
        routed++;
        assertThat(expected)
            .as("case %d of seed %d: routed %s, but the official parser reads %s (%s %s)", i, seed, found.request(), expected, encoding, java.util.HexFormat.of().formatHex(body.toByteArray()))
            .contains(found.request());
      } else {
        refused++;
      }
    }
    System.out.printf("BodyReaderFuzzTest: %d routed, %d refused%n", routed, refused);
    assertThat(routed).as("cases that exercise routing").isGreaterThan(CASES / 10);
    assertThat(refused).as("cases that exercise refusal").isGreaterThan(CASES / 10);
  }

  /**
   * What the replica's parser makes of {@code body}, by the gRPC and protobuf rules written out
   * independently of the reader: one frame, inflated per {@code grpc-encoding}, parsed by the
   * generated class; MultiInference tasks agreeing on one model spec. Empty when it would fail.
   */
  private static Optional<ModelRequest> officialReading(String path, String encoding, ByteString body) {
    byte[] bytes = body.toByteArray();
    if (bytes.length < 5) {
      return Optional.empty();
    }
    int length = ByteBuffer.wrap(bytes, 1, 4).getInt();
    if (length < 0 || length != bytes.length - 5) {
      return Optional.empty();
    }
    byte[] payload = Arrays.copyOfRange(bytes, 5, bytes.length);
    try {
      if (bytes[0] == 1) {
        InputStream in =
            switch (encoding) {
              case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(payload));
              case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(payload));
              default -> null;
            };
        if (in == null) {
          return Optional.empty();
        }
        payload = in.readAllBytes();
      } else if (bytes[0] != 0) {
        return Optional.empty();
      }
      List<ModelSpec> specs =
          path.equals(GrpcFrames.MULTI)
              ? MultiInferenceRequest.parseFrom(payload).getTasksList().stream().map(InferenceTask::getModelSpec).toList()
              : List.of(PredictRequest.parseFrom(payload).getModelSpec());
      if (specs.isEmpty() || !sameChoice(specs)) {
        return Optional.empty();
      }
      ModelSpec spec = specs.get(0);
      return Optional.of(
          switch (spec.getVersionChoiceCase()) {
            case VERSION -> ModelRequest.version(spec.getName(), spec.getVersion().getValue(), ApiProtocol.GRPC);
            case VERSION_LABEL -> ModelRequest.label(spec.getName(), spec.getVersionLabel(), ApiProtocol.GRPC);
            case VERSIONCHOICE_NOT_SET -> ModelRequest.latest(spec.getName(), ApiProtocol.GRPC);
          });
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Whether every spec names the same model and version choice (other fields may differ). */
  private static boolean sameChoice(List<ModelSpec> specs) {
    ModelSpec first = specs.get(0);
    return specs.stream()
        .allMatch(
            s -> s.getName().equals(first.getName())
                && s.getVersionChoiceCase() == first.getVersionChoiceCase()
                && s.getVersion().equals(first.getVersion())
                && s.getVersionLabel().equals(first.getVersionLabel()));
  }

  private static byte[] predict(Random random) {
    return write(
        out -> {
          int fields = 1 + random.nextInt(5);
          for (int f = 0; f < fields; f++) {
            switch (random.nextInt(5)) {
              case 0, 1 -> out.writeByteArray(1, modelSpec(random));
              case 2 -> out.writeByteArray(2, mapEntry(random));
              case 3 -> out.writeString(3, "y");
              default -> unknownField(random, out);
            }
          }
        });
  }

  private static byte[] multiInference(Random random) {
    return write(
        out -> {
          int tasks = random.nextInt(4);
          for (int t = 0; t < tasks; t++) {
            byte[] task =
                write(
                    inner -> {
                      int specs = 1 + random.nextInt(2);
                      for (int s = 0; s < specs; s++) {
                        inner.writeByteArray(1, modelSpec(random));
                      }
                      inner.writeString(2, "tensorflow/serving/regress");
                    });
            out.writeByteArray(1, task);
            if (random.nextBoolean()) {
              unknownField(random, out);
            }
          }
        });
  }

  /** A ModelSpec's fields in random order and number: names, versions and labels overriding each other. */
  private static byte[] modelSpec(Random random) {
    return write(
        out -> {
          out.writeString(1, pick(random, NAMES));
          int fields = random.nextInt(4);
          for (int f = 0; f < fields; f++) {
            switch (random.nextInt(5)) {
              case 0, 1 -> out.writeString(1, pick(random, NAMES));
              case 2 ->
                  out.writeByteArray(
                      2, write(v -> v.writeInt64(1, random.nextInt(3) == 0 ? 0 : random.nextInt(4))));
              case 3 -> out.writeString(4, pick(random, LABELS));
              default -> {
                if (random.nextBoolean()) {
                  out.writeString(3, "serving_default");
                } else {
                  unknownField(random, out);
                }
              }
            }
          }
        });
  }

  private static byte[] mapEntry(Random random) {
    return write(
        out -> {
          out.writeString(1, "x");
          out.writeByteArray(2, write(t -> t.writeInt32(1, 1 + random.nextInt(3))));
        });
  }

  private static void unknownField(Random random, CodedOutputStream out) throws IOException {
    int number = 5 + random.nextInt(200);
    switch (random.nextInt(4)) {
      case 0 -> out.writeUInt64(number, random.nextLong());
      case 1 -> out.writeFixed32(number, random.nextInt());
      case 2 -> out.writeFixed64(number, random.nextLong());
      default -> out.writeByteArray(number, new byte[random.nextInt(20)]);
    }
  }

  private static byte[] mutate(Random random, byte[] message) {
    if (message.length == 0) {
      return message;
    }
    byte[] copy = message.clone();
    switch (random.nextInt(4)) {
      case 0 -> {
        return Arrays.copyOf(copy, random.nextInt(copy.length));
      }
      case 1 -> copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
      case 2 -> copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
      default -> {
        // Splice a model spec for another model somewhere in the middle.
        int at = random.nextInt(copy.length + 1);
        byte[] spec = write(out -> out.writeByteArray(1, modelSpec(random)));
        ByteArrayOutputStream spliced = new ByteArrayOutputStream();
        spliced.write(copy, 0, at);
        spliced.writeBytes(spec);
        spliced.write(copy, at, copy.length - at);
        return spliced.toByteArray();
      }
    }
    return copy;
  }

  /** One frame, usually; sometimes compressed, a second frame, trailing bytes or a wrong length. */
  private static ByteString body(Random random, byte[] message, String encoding) {
    boolean compress = random.nextBoolean() && !encoding.isEmpty();
    byte[] payload =
        compress && (encoding.equals("gzip") || encoding.equals("deflate"))
            ? compress(encoding, message)
            : message;
    int flag = compress ? 1 : random.nextInt(20) == 0 ? 2 : 0;
    ByteString frame = frame(flag, payload, payload.length + (random.nextInt(20) == 0 ? random.nextInt(5) - 2 : 0));
    return switch (random.nextInt(12)) {
      case 0 -> frame.concat(frame(0, message, message.length));
      case 1 -> frame.concat(ByteString.copyFrom(new byte[] {0}));
      case 2 -> frame.substring(0, random.nextInt(frame.size()));
      default -> frame;
    };
  }

  private static ByteString frame(int flag, byte[] payload, int length) {
    return ByteString.copyFrom(ByteBuffer.allocate(5).put((byte) flag).putInt(length).array())
        .concat(ByteString.copyFrom(payload));
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... values) {
    return values[random.nextInt(values.length)];
  }

  private interface Writer {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] write(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      writer.write(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Compression as gRPC clients do it. */
  private static byte[] compress(String encoding, byte[] data) {
    try {
      return (encoding.equals("gzip") ? GrpcBodiesTest.gzip(data) : GrpcBodiesTest.deflate(data)).toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

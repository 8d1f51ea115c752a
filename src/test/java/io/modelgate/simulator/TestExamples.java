package io.modelgate.simulator;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.modelgate.tfserving.api.ExampleList;
import io.modelgate.tfserving.api.ExampleListWithContext;
import io.modelgate.tfserving.api.Input;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Serialized {@code tensorflow.Example}s for tests, written field by field from TensorFlow's
 * example.proto / feature.proto (our protos keep examples as bytes).
 */
final class TestExamples {

  private TestExamples() {}

  /** An example with one float feature (packed, as every protobuf 3 encoder writes it). */
  static ByteString floatFeature(String key, float... values) {
    return example(key, feature(2, packedFloats(values)));
  }

  /** The same example with the older unpacked encoding of repeated floats. */
  static ByteString unpackedFloatFeature(String key, float... values) {
    return example(key, feature(2, encode(out -> {
      for (float v : values) {
        out.writeFloat(1, v);
      }
    })));
  }

  /** An example whose feature holds the given bytes as its FloatList, well-formed or not. */
  static ByteString rawFloatList(String key, ByteString floatList) {
    return example(key, feature(2, floatList));
  }

  static ByteString int64Feature(String key, long value) {
    return example(key, feature(3, encode(out -> out.writeInt64(1, value))));
  }

  static Input examples(ByteString... examples) {
    ExampleList.Builder list = ExampleList.newBuilder();
    for (ByteString example : examples) {
      list.addExamples(example);
    }
    return Input.newBuilder().setExampleList(list).build();
  }

  static Input examplesWithContext(ByteString context, ByteString... examples) {
    ExampleListWithContext.Builder list = ExampleListWithContext.newBuilder().setContext(context);
    for (ByteString example : examples) {
      list.addExamples(example);
    }
    return Input.newBuilder().setExampleListWithContext(list).build();
  }

  /** One example with x = value for each value. */
  static Input xs(float... values) {
    ExampleList.Builder list = ExampleList.newBuilder();
    for (float v : values) {
      list.addExamples(floatFeature("x", v));
    }
    return Input.newBuilder().setExampleList(list).build();
  }

  private static ByteString packedFloats(float[] values) {
    return encode(out -> {
      out.writeTag(1, /* length-delimited wire type= */ 2);
      out.writeUInt32NoTag(values.length * Float.BYTES);
      for (float v : values) {
        out.writeFloatNoTag(v);
      }
    });
  }

  /** Feature{bytes_list = 1 | float_list = 2 | int64_list = 3}. */
  private static ByteString feature(int kind, ByteString list) {
    return encode(out -> out.writeBytes(kind, list));
  }

  /** Example{features = 1: Features{map<string, Feature> feature = 1}}. */
  private static ByteString example(String key, ByteString feature) {
    ByteString entry = encode(out -> {
      out.writeString(1, key);
      out.writeBytes(2, feature);
    });
    ByteString features = encode(out -> out.writeBytes(1, entry));
    return encode(out -> out.writeBytes(1, features));
  }

  private interface Fields {
    void writeTo(CodedOutputStream out) throws IOException;
  }

  private static ByteString encode(Fields fields) {
    ByteString.Output bytes = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      fields.writeTo(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteString();
  }
}

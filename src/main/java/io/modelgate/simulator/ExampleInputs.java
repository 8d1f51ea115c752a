package io.modelgate.simulator;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.modelgate.tfserving.api.Input;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads the input of Classify, Regress and MultiInference the way the simulated half_plus_two
 * model does: for each serialized {@code tensorflow.Example}, the first value of its float
 * feature {@value TfServingWire#INPUT_KEY}, or 0 when the example has no such feature (or an
 * empty list). Our protos keep examples as bytes, so the few Example fields needed are decoded
 * here from the wire format. As in TF Serving, a context example is prepended to each example's
 * bytes, so the example's own features win over the context's (protobuf merge). Stateless.
 */
final class ExampleInputs {

  // tensorflow.Example{Features features = 1}, Features{map<string, Feature> feature = 1},
  // Feature{oneof {BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3}},
  // FloatList{repeated float value = 1}.
  private static final int EXAMPLE_FEATURES = 1;
  private static final int FEATURES_MAP = 1;
  private static final int ENTRY_KEY = 1;
  private static final int ENTRY_VALUE = 2;
  private static final int FEATURE_BYTES_LIST = 1;
  private static final int FEATURE_FLOAT_LIST = 2;
  private static final int FEATURE_INT64_LIST = 3;
  private static final int FLOAT_LIST_VALUE = 1;

  private ExampleInputs() {}

  /**
   * One value per example, in input order.
   *
   * @throws ServingError INVALID_ARGUMENT when there is no example, an example does not parse, or
   *     its feature {@value TfServingWire#INPUT_KEY} is not a float list
   */
  static float[] featureX(Input input) {
    List<ByteString> examples;
    ByteString context;
    switch (input.getKindCase()) {
      case EXAMPLE_LIST -> {
        examples = input.getExampleList().getExamplesList();
        context = ByteString.EMPTY;
      }
      case EXAMPLE_LIST_WITH_CONTEXT -> {
        examples = input.getExampleListWithContext().getExamplesList();
        context = input.getExampleListWithContext().getContext();
      }
      default -> throw ServingError.invalidArgument(TfServingWire.EMPTY_INPUT);
    }
    if (examples.isEmpty()) {
      throw ServingError.invalidArgument(TfServingWire.EMPTY_INPUT);
    }
    float[] xs = new float[examples.size()];
    for (int i = 0; i < xs.length; i++) {
      try {
        xs[i] = featureX(context.concat(examples.get(i)), i);
      } catch (IOException e) {
        throw ServingError.invalidArgument(TfServingWire.unparsableExample(i));
      }
    }
    return xs;
  }

  private static float featureX(ByteString example, int index) throws IOException {
    CodedInputStream in = example.newCodedInput();
    ByteString x = null; // the last map entry for a key wins, as when protobuf merges
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (isLengthDelimited(tag, EXAMPLE_FEATURES)) {
        ByteString features = featureNamedX(in.readBytes());
        x = features != null ? features : x;
      } else {
        skip(in, tag);
      }
    }
    return x == null ? 0f : firstFloat(x, index);
  }

  /** The serialized Feature under key "x" in serialized Features, or null when absent. */
  private static ByteString featureNamedX(ByteString features) throws IOException {
    CodedInputStream in = features.newCodedInput();
    ByteString x = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (!isLengthDelimited(tag, FEATURES_MAP)) {
        skip(in, tag);
        continue;
      }
      CodedInputStream entry = in.readBytes().newCodedInput();
      String key = "";
      ByteString value = ByteString.EMPTY;
      for (int t = entry.readTag(); t != 0; t = entry.readTag()) {
        if (isLengthDelimited(t, ENTRY_KEY)) {
          key = entry.readStringRequireUtf8();
        } else if (isLengthDelimited(t, ENTRY_VALUE)) {
          value = entry.readBytes();
        } else {
          skip(entry, t);
        }
      }
      if (key.equals(TfServingWire.INPUT_KEY)) {
        x = value;
      }
    }
    return x;
  }

  /** The first float of a serialized Feature; 0 when it holds no value at all. */
  private static float firstFloat(ByteString feature, int index) throws IOException {
    CodedInputStream in = feature.newCodedInput();
    int kind = 0;
    Float first = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field >= FEATURE_BYTES_LIST && field <= FEATURE_INT64_LIST && isLengthDelimited(tag, field)) {
        ByteString list = in.readBytes();
        if (field != kind) { // a oneof: setting another kind clears the previous one
          kind = field;
          first = null;
        }
        if (field == FEATURE_FLOAT_LIST && first == null) {
          first = firstValue(list);
        }
      } else {
        skip(in, tag);
      }
    }
    if (kind != 0 && kind != FEATURE_FLOAT_LIST) {
      throw ServingError.invalidArgument(TfServingWire.featureNotFloat(TfServingWire.INPUT_KEY, index));
    }
    return first == null ? 0f : first;
  }

  /** The first value of a serialized FloatList (packed or not), or null when it is empty. */
  private static Float firstValue(ByteString floatList) throws IOException {
    CodedInputStream in = floatList.newCodedInput();
    Float first = null; // the whole list is read, so that a truncated one is refused
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == tag(FLOAT_LIST_VALUE, WireFormat.WIRETYPE_FIXED32)) {
        float value = in.readFloat();
        first = first == null ? value : first;
      } else if (isLengthDelimited(tag, FLOAT_LIST_VALUE)) {
        ByteString packed = in.readBytes();
        if (packed.size() % Float.BYTES != 0) {
          throw new IOException("truncated packed float");
        }
        if (first == null && !packed.isEmpty()) {
          first = packed.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat();
        }
      } else {
        skip(in, tag);
      }
    }
    return first;
  }

  /** A length-delimited field: a message, string, bytes or packed list. */
  private static boolean isLengthDelimited(int tag, int field) {
    return tag == tag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  }

  private static int tag(int field, int wireType) {
    return field << 3 | wireType;
  }

  private static void skip(CodedInputStream in, int tag) throws IOException {
    if (!in.skipField(tag)) {
      throw new IOException("unexpected end-group tag");
    }
  }
}

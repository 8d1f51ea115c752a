package io.modelgate.simulator;

import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * A dense float tensor (shape + row-major values), and the simulated model: TF Serving's
 * half_plus_two, {@code y = 0.5 * x + 2} element-wise. Decodes a {@link TensorProto} with
 * TensorFlow's rules (tensor_content little-endian, or float_val where fewer values than the
 * shape repeat the last one and none means zeros). Immutable.
 */
record FloatTensor(long[] shape, float[] values) {

  /** Decodes a Predict input; refuses anything but a well-formed DT_FLOAT tensor. */
  static FloatTensor fromProto(String alias, TensorProto proto) {
    if (proto.getDtype() != DataType.DT_FLOAT) {
      throw ServingError.invalidArgument(TfServingWire.expectsFloat(typeName(proto.getDtype())));
    }
    TensorShapeProto shapeProto = proto.getTensorShape();
    if (shapeProto.getUnknownRank()) {
      throw parseError(alias);
    }
    long[] shape = shapeProto.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
    long count = 1;
    for (long dim : shape) {
      if (dim < 0 || dim > Integer.MAX_VALUE) {
        throw parseError(alias);
      }
      count *= dim;
      if (count > Integer.MAX_VALUE) {
        throw parseError(alias);
      }
    }
    float[] values = new float[(int) count];
    if (!proto.getTensorContent().isEmpty()) {
      if (proto.getTensorContent().size() != values.length * Float.BYTES) {
        throw parseError(alias);
      }
      ByteBuffer bytes = proto.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().get(values);
    } else {
      int given = proto.getFloatValCount();
      if (given > values.length) {
        throw parseError(alias);
      }
      for (int i = 0; i < values.length && given > 0; i++) {
        values[i] = proto.getFloatVal(Math.min(i, given - 1));
      }
    }
    return new FloatTensor(shape, values);
  }

  FloatTensor halfPlusTwo() {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = halfPlusTwo(values[i]);
    }
    return new FloatTensor(shape, out);
  }

  /** The simulated model on one value; Classify and Regress use it too. */
  static float halfPlusTwo(float x) {
    return 0.5f * x + 2f;
  }

  TensorProto toProto() {
    TensorShapeProto.Builder shapeProto = TensorShapeProto.newBuilder();
    for (long dim : shape) {
      shapeProto.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    TensorProto.Builder proto = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shapeProto);
    for (float value : values) {
      proto.addFloatVal(value);
    }
    return proto.build();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FloatTensor that
        && Arrays.equals(shape, that.shape)
        && Arrays.equals(values, that.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "FloatTensor" + Arrays.toString(shape) + Arrays.toString(values);
  }

  private static ServingError parseError(String alias) {
    return ServingError.invalidArgument("tensor parsing error: " + alias);
  }

  /** TensorFlow's name for a dtype, as in its error messages ("double", "int32", ...). */
  private static String typeName(DataType type) {
    return type == DataType.UNRECOGNIZED
        ? "unknown"
        : type.name().substring("DT_".length()).toLowerCase(Locale.ROOT);
  }
}

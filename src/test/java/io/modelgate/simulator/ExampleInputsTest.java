package io.modelgate.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** Wire-format corner cases of reading feature x from serialized tensorflow.Examples. */
class ExampleInputsTest {

  @Test
  void theLastEntryForXWinsWhenExamplesMerge() {
    // Concatenated serialized messages merge; a map entry for the same key replaces the earlier.
    ByteString intThenFloat = TestExamples.int64Feature("x", 1).concat(TestExamples.floatFeature("x", 5));

    assertThat(ExampleInputs.featureX(TestExamples.examples(intThenFloat))).containsExactly(5f);
  }

  @Test
  void xOfAnotherTypeIsInvalidArgument() {
    ByteString floatThenInt = TestExamples.floatFeature("x", 5).concat(TestExamples.int64Feature("x", 1));

    assertThatThrownBy(() -> ExampleInputs.featureX(TestExamples.examples(TestExamples.floatFeature("x", 1), floatThenInt)))
        .isInstanceOfSatisfying(ServingError.class, e -> {
          assertThat(e.kind()).isEqualTo(ServingError.Kind.INVALID_ARGUMENT);
          assertThat(e.getMessage()).isEqualTo("Key: x, Index: 1. Data types don't match. Expected type: float");
        });
  }

  @Test
  void aFloatListTruncatedAfterItsFirstValueIsRefused() {
    // A good packed run [1.0], then a second run that claims 5 bytes and has 1: the first value
    // alone would do, but a truncated list is malformed input.
    ByteString truncated = ByteString.copyFrom(new byte[] {0x0a, 4, 0, 0, (byte) 0x80, 0x3f, 0x0a, 5, 1});

    assertThatThrownBy(() -> ExampleInputs.featureX(TestExamples.examples(TestExamples.rawFloatList("x", truncated))))
        .isInstanceOfSatisfying(ServingError.class,
            e -> assertThat(e.getMessage()).isEqualTo("Could not parse example input at index 0"));
  }

  @Test
  void anEmptyFloatListCountsAsZero() {
    assertThat(ExampleInputs.featureX(TestExamples.examples(TestExamples.floatFeature("x"))))
        .containsExactly(0f);
  }
}

package io.modelgate.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrpcTimeoutTest {
  @Test
  void everyUnitOfTheSpecIsRead() {
    assertThat(GrpcTimeout.parse("1H")).contains(Duration.ofHours(1));
    assertThat(GrpcTimeout.parse("2M")).contains(Duration.ofMinutes(2));
    assertThat(GrpcTimeout.parse("3S")).contains(Duration.ofSeconds(3));
    assertThat(GrpcTimeout.parse("1999m")).contains(Duration.ofMillis(1999));
    assertThat(GrpcTimeout.parse("99999999u")).contains(Duration.ofNanos(99_999_999_000L));
    assertThat(GrpcTimeout.parse("5n")).contains(Duration.ofNanos(5));
  }

  @Test
  void absentOrMalformedHeadersBoundNothing() {
    for (String bad : new String[] {null, "", "S", "10", "10s", "-1S", "1.5S", "123456789S", " 1S"}) {
      assertThat(GrpcTimeout.parse(bad)).as(String.valueOf(bad)).isEqualTo(Optional.empty());
    }
  }
}

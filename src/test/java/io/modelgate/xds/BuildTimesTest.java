package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuildTimesTest {
  @Test
  void summarisesTheRecentWindowOnly() {
    BuildTimes times = new BuildTimes();
    assertThat(times.summary()).isEqualTo(new BuildTimes.Summary(0, 0, 0, 0));
    for (int i = 0; i < BuildTimes.WINDOW; i++) {
      times.add(1_000_000_000L); // 1 s builds, pushed out of the window below
    }
    for (int i = 1; i <= BuildTimes.WINDOW; i++) {
      times.add(i * 1_000_000L); // 1 ms .. 256 ms
    }
    BuildTimes.Summary summary = times.summary();
    assertThat(summary.builds()).isEqualTo(2L * BuildTimes.WINDOW);
    assertThat(summary.p50Ms()).isEqualTo(128.0);
    assertThat(summary.p99Ms()).isEqualTo(254.0);
    assertThat(summary.maxMs()).isEqualTo(256.0);
  }
}

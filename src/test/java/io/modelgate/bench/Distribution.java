package io.modelgate.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Median, p99 and max of a set of measurements in milliseconds (nearest-rank percentiles, so with
 * fewer than 100 values p99 is the max). Immutable; NaN figures when empty.
 */
record Distribution(int count, double median, double p99, double max) {

  static Distribution of(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    if (sorted.isEmpty()) {
      return new Distribution(0, Double.NaN, Double.NaN, Double.NaN);
    }
    return new Distribution(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.99), sorted.get(sorted.size() - 1));
  }

  private static double rank(List<Double> sorted, double quantile) {
    return sorted.get(Math.max(0, (int) Math.ceil(quantile * sorted.size()) - 1));
  }
}

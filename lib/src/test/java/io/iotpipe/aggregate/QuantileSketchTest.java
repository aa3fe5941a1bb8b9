package io.iotpipe.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantileSketchTest {
  private static final double[] QS = {0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1};

  @Test
  void exactUpToTheLimit() {
    QuantileSketch s = new QuantileSketch();
    s.add(20);
    s.add(10);
    assertEquals(20.0, s.quantile(0.5), "rank floor(0.5 * 2) = 1 of [10, 20]");
    assertEquals(10.0, s.quantile(0.0));
    assertEquals(20.0, s.quantile(1.0));

    List<Double> values = values(QuantileSketch.EXACT_LIMIT, 1);
    QuantileSketch all = of(values);
    assertTrue(all.isExact());
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    for (double q : QS) {
      assertEquals(sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))], all.quantile(q), "q " + q);
    }
  }

  @Test
  void aboveTheLimitWithinOnePercentOfTheExactValue() {
    List<Double> values = values(10_000, 2);
    QuantileSketch s = of(values);
    assertFalse(s.isExact());
    assertEquals(10_000, s.count());
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    for (double q : QS) {
      double exact = sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
      assertEquals(exact, s.quantile(q), Math.abs(exact) * QuantileSketch.RELATIVE_ACCURACY, "q " + q);
    }
  }

  /** The same values in any order, split and merged in any way: the same encoded sketch, so the same percentiles. */
  @Test
  void dependsOnlyOnTheValues() {
    for (int n : new int[] {50, 128, 129, 5_000}) {
      List<Double> values = values(n, 3);
      byte[] whole = of(values).getEncoded();
      List<Double> shuffled = new ArrayList<>(values);
      Collections.shuffle(shuffled, new Random(4));
      QuantileSketch merged = new QuantileSketch();
      for (int from = 0, chunk = 1; from < n; from += chunk, chunk = chunk * 3 + 1) {
        merged.merge(of(shuffled.subList(from, Math.min(n, from + chunk))));
      }
      assertArrayEquals(whole, merged.getEncoded(), n + " values");
      QuantileSketch reversed = new QuantileSketch();
      for (int i = n - 1; i >= 0; i--) {
        reversed.add(values.get(i));
      }
      assertArrayEquals(whole, reversed.getEncoded(), n + " values");
    }
  }

  @Test
  void storedFormRoundTrips() {
    for (int n : new int[] {1, 128, 1_000}) {
      QuantileSketch s = of(values(n, 5));
      QuantileSketch back = QuantileSketch.fromEncoded(s.getEncoded());
      assertEquals(s.count(), back.count());
      for (double q : QS) {
        assertEquals(s.quantile(q), back.quantile(q));
      }
    }
    QuantileSketch negative = of(Arrays.asList(-5.0, 0.0, 3.0));
    assertEquals(0.0, QuantileSketch.fromEncoded(negative.getEncoded()).quantile(0.5));
  }

  private static QuantileSketch of(List<Double> values) {
    QuantileSketch s = new QuantileSketch();
    values.forEach(s::add);
    return s;
  }

  private static List<Double> values(int n, long seed) {
    Random r = new Random(seed);
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(i % 17 == 0 ? -r.nextDouble() * 10 : 20 + r.nextGaussian() * 5);
    }
    return v;
  }
}

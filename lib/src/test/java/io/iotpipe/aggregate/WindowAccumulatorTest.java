package io.iotpipe.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WindowAccumulatorTest {
  private static final double EPS = 1e-12;

  @Test
  void statisticsOfAHandfulOfValues() {
    WindowAccumulator a = new WindowAccumulator();
    a.add(3_000_000, "c", 30);
    a.add(1_000_000, "a", 10);
    a.add(2_000_000, "b", 20);
    a.add(4_000_000, "d", 40);
    assertEquals(4, a.count());
    assertEquals(100, a.sum(), EPS);
    assertEquals(10, a.min(), EPS);
    assertEquals(40, a.max(), EPS);
    assertEquals(25, a.mean(), EPS);
    assertEquals(Math.sqrt(125), a.stddev(), EPS); // population: (225+25+25+225)/4
    assertEquals(1_000_000, a.firstMicros());
    assertEquals(10, a.firstValue(), EPS);
    assertEquals(4_000_000, a.lastMicros());
    assertEquals(40, a.lastValue(), EPS);
    // The value at 0-based rank floor(q n) of 10, 20, 30, 40.
    assertEquals(30, a.percentile(0.5), EPS);
    assertEquals(40, a.percentile(0.95), EPS);
    assertEquals(40, a.percentile(0.99), EPS);
  }

  @Test
  void firstAndLastBreakTiesOnEventTimeByEventId() {
    WindowAccumulator a = new WindowAccumulator();
    a.add(5, "b", 2);
    a.add(5, "a", 1);
    a.add(5, "c", 3);
    assertEquals(1, a.firstValue(), EPS);
    assertEquals(3, a.lastValue(), EPS);
  }

  @Test
  void mergingTwoHalvesGivesTheWhole() {
    WindowAccumulator whole = new WindowAccumulator();
    WindowAccumulator left = new WindowAccumulator();
    WindowAccumulator right = new WindowAccumulator();
    for (int i = 0; i < 150; i++) {
      double v = Math.sin(i) * 100 + i;
      whole.add(i * 1000L, "e" + i, v);
      (i % 3 == 0 ? left : right).add(i * 1000L, "e" + i, v);
    }
    left.merge(right);
    assertEquals(whole.count(), left.count());
    assertEquals(whole.sum(), left.sum(), 1e-9);
    assertEquals(whole.mean(), left.mean(), 1e-9);
    assertEquals(whole.stddev(), left.stddev(), 1e-9);
    assertEquals(whole.min(), left.min(), EPS);
    assertEquals(whole.max(), left.max(), EPS);
    assertEquals(whole.firstValue(), left.firstValue(), EPS);
    assertEquals(whole.lastValue(), left.lastValue(), EPS);
    for (double q : new double[] {0.5, 0.95, 0.99}) {
      assertEquals(whole.percentile(q), left.percentile(q), EPS, "percentile " + q);
    }
  }

  @Test
  void survivesSerialization() {
    WindowAccumulator a = new WindowAccumulator();
    a.add(7, "x", 1.5);
    a.add(9, "y", -2.5);
    WindowAccumulator b = WindowAccumulator.fromBytes(a.toBytes());
    assertEquals(a.count(), b.count());
    assertEquals(a.mean(), b.mean(), EPS);
    assertEquals(a.stddev(), b.stddev(), EPS);
    assertEquals(a.lastValue(), b.lastValue(), EPS);
    assertEquals(a.percentile(0.5), b.percentile(0.5), EPS);
    b.add(11, "z", 4);
    assertEquals(3, b.count());
  }
}

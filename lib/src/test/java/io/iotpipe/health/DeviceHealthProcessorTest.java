package io.iotpipe.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/** The state machine driven directly, reading by reading, as the streaming function drives it. */
class DeviceHealthProcessorTest {
  static final long T0 = 1_800_000_000_000_000L; // event times in epoch microseconds
  static final HealthRules RULES = HealthRules.parse("""
      inactivity { default = 10m }
      rules = [
        { name = hot, metric = temperature, condition { above = 60 }, times = 3, severity = critical, action = degrade }
        { name = low-battery, metric = battery, condition { below = 15 }, for = 2m, action = alarm }
        { name = jump, metric = temperature, condition { rate_above = 10 }, action = alarm }
      ]
      """);

  final DeviceHealthProcessor processor = new DeviceHealthProcessor(RULES);
  final DeviceHealthState st = new DeviceHealthState();
  final List<Row> out = new ArrayList<>();

  static Row reading(String id, int seconds, Map<String, Double> metrics) {
    long t = T0 + seconds * 1_000_000L;
    return RowFactory.create("key", "t1", "d1", id, t, new Timestamp(t / 1000),
        JavaConverters.mapAsScalaMap(metrics));
  }

  /**
   * One call of the streaming function: readings arriving in a micro-batch whose watermark is
   * {@code watermarkSeconds} after T0 (readings at or before it are late, later ones wait), then
   * the readings the watermark has passed are applied.
   */
  void feed(int watermarkSeconds, Row... rows) {
    Iterator<Row> it = List.of(rows).iterator();
    long watermarkMs = (T0 + watermarkSeconds * 1_000_000L) / 1000;
    processor.accept(it, st, watermarkMs, 0, out);
    processor.applyDue(st, watermarkMs, out);
  }

  /** A later call without new readings, after the watermark moved to {@code watermarkSeconds}. */
  void advance(int watermarkSeconds) {
    feed(watermarkSeconds);
  }

  List<String> emitted() {
    List<String> s = new ArrayList<>();
    for (Row r : out) {
      long sec = (r.getLong(3) - T0) / 1_000_000L;
      s.add(switch (r.getString(0)) {
        case "TRANSITION" -> sec + " " + r.getString(4) + "->" + r.getString(5) + " (" + r.getString(6) + ")";
        case "ALARM" -> sec + " " + r.getString(7) + " " + r.getString(9);
        default -> sec + " " + r.getString(0);
      });
    }
    out.clear();
    return s;
  }

  @Test
  void threeHotReadingsInARowDegradeAndACoolOneClears() {
    // Out of order within the lateness: applied in event-time order once the watermark passes.
    feed(0, reading("a", 10, Map.of("temperature", 61.0)), reading("c", 30, Map.of("temperature", 63.0)));
    feed(5, reading("b", 20, Map.of("temperature", 62.0)));
    assertEquals(List.of(), emitted(), "nothing before the watermark passes");
    advance(35);
    assertEquals(List.of("10 UNKNOWN->ONLINE (first event)", "30 hot RAISED", "30 ONLINE->DEGRADED (rule hot)"),
        emitted());
    feed(35, reading("d", 40, Map.of("temperature", 64.0)));
    advance(45);
    assertEquals(List.of(), emitted(), "raised once, not again while it holds");
    feed(45, reading("e", 50, Map.of("temperature", 50.0)));
    advance(55);
    assertEquals(List.of("50 hot CLEARED", "50 DEGRADED->ONLINE (rule hot cleared)"), emitted());
  }

  @Test
  void aStreakBrokenBeforeItsCountDoesNotFire() {
    // A minute apart: no change is fast enough for the rate rule.
    feed(0, reading("a", 10, Map.of("temperature", 61.0)), reading("b", 70, Map.of("temperature", 62.0)),
        reading("c", 130, Map.of("temperature", 55.0)), reading("d", 190, Map.of("temperature", 61.0)));
    advance(300);
    assertEquals(List.of("10 UNKNOWN->ONLINE (first event)"), emitted());
  }

  @Test
  void aDurationRuleFiresOnlyAfterHoldingThatLong() {
    feed(-1, reading("a", 0, Map.of("battery", 14.0)), reading("b", 60, Map.of("battery", 13.0)),
        reading("c", 119, Map.of("battery", 12.0)), reading("d", 120, Map.of("battery", 12.0)),
        reading("e", 180, Map.of("battery", 20.0)));
    advance(1000);
    assertEquals(List.of("0 UNKNOWN->ONLINE (first event)", "120 low-battery RAISED", "180 low-battery CLEARED"),
        emitted());
  }

  @Test
  void aRateRuleComparesWithThePreviousReading() {
    feed(-1, reading("a", 0, Map.of("temperature", 20.0)), reading("b", 60, Map.of("temperature", 25.0)),
        reading("c", 90, Map.of("temperature", 35.0)));
    advance(1000);
    assertEquals(List.of("0 UNKNOWN->ONLINE (first event)", "90 jump RAISED"), emitted(),
        "+10 in 30 s is 20 per minute");
  }

  @Test
  void lateReadingsAreMarkedNotApplied() {
    feed(0, reading("a", 10, Map.of("temperature", 61.0)));
    advance(100);
    assertEquals(List.of("10 UNKNOWN->ONLINE (first event)"), emitted());
    feed(100, reading("z", 50, Map.of("temperature", 99.0)));
    assertEquals(List.of("50 LATE"), emitted(), "behind the watermark");
  }

  @Test
  void aSilentDeviceGoesOfflineAtItsLastEventPlusTheTimeoutAndComesBack() {
    feed(0, reading("a", 10, Map.of("temperature", 20.0)));
    advance(100);
    emitted();
    processor.silent(st, out);
    assertEquals(List.of("610 ONLINE->OFFLINE (no event for 10m)"), emitted());
    feed(1000, reading("b", 1500, Map.of("temperature", 20.0)));
    advance(2000);
    assertEquals(List.of("1500 OFFLINE->ONLINE (reporting again)"), emitted());
  }

  @Test
  void aSilentDevicesWaitingReadingsAreAppliedFirst() {
    feed(0, reading("a", 10, Map.of("temperature", 61.0)), reading("b", 20, Map.of("temperature", 62.0)),
        reading("c", 30, Map.of("temperature", 63.0)));
    processor.silent(st, out);
    assertEquals(List.of("10 UNKNOWN->ONLINE (first event)", "30 hot RAISED", "30 ONLINE->DEGRADED (rule hot)",
        "630 DEGRADED->OFFLINE (no event for 10m)"), emitted());
  }

  @Test
  void aGapInEventTimeWithReadingsStillWaitingGoesOfflineOnceAndBackOnce() {
    feed(-1, reading("a", 0, Map.of("temperature", 20.0)), reading("b", 3600, Map.of("temperature", 20.0)),
        reading("c", 3610, Map.of("temperature", 20.0)), reading("d", 3620, Map.of("temperature", 20.0)));
    advance(3605);
    assertEquals(List.of("0 UNKNOWN->ONLINE (first event)", "600 ONLINE->OFFLINE (no event for 10m)",
        "3600 OFFLINE->ONLINE (reporting again)"), emitted());
    advance(4000);
    assertEquals(List.of(), emitted(), "the readings still waiting change nothing");
  }

  @Test
  void aGapInEventTimeMeansOfflineInBetween() {
    feed(-1, reading("a", 0, Map.of("temperature", 20.0)), reading("b", 3600, Map.of("temperature", 20.0)));
    advance(5000);
    assertEquals(List.of("0 UNKNOWN->ONLINE (first event)", "600 ONLINE->OFFLINE (no event for 10m)",
        "3600 OFFLINE->ONLINE (reporting again)"), emitted());
  }
}

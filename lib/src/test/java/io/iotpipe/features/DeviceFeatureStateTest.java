package io.iotpipe.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

class DeviceFeatureStateTest {
  private static final FeatureSpec SPEC = new FeatureSpec(List.of("temperature", "humidity"),
      List.of(Duration.ofMinutes(5), Duration.ofHours(1)), Duration.ofSeconds(5));
  private static final long T0 = 1_764_000_000_000_000L;

  @Test
  void aStateReadBackIsTheSameState() {
    DeviceFeatureState s = new DeviceFeatureState(SPEC);
    s.tenantId = "t1";
    s.deviceId = "dévice-1";
    s.prevMicros = T0;
    s.pending.put(new DeviceFeatureState.Pending(T0 + 1_000_000L, "e2"), new TreeMap<>(Map.of("temperature", 21.5)));
    s.pending.put(new DeviceFeatureState.Pending(T0 + 2_000_000L, "e3"),
        new TreeMap<>(Map.of("temperature", 22.0, "humidity", 40.0)));
    for (HorizonBuckets h : s.horizons) {
      h.add(T0, new double[] {20.0, Double.NaN}, new boolean[] {true, false}, 1);
      h.add(T0 + 30_000_000L, new double[] {23.0, 41.0}, new boolean[] {true, true}, 0);
    }
    byte[] bytes = s.toBytes();
    DeviceFeatureState back = DeviceFeatureState.fromBytes(bytes, SPEC);
    assertArrayEquals(bytes, back.toBytes());
    assertEquals("dévice-1", back.deviceId);
    assertEquals(s.pending, back.pending);
    assertEquals(2, back.horizons.get(1).values(0), "temperature in the hour");
    assertEquals(1, back.horizons.get(1).values(1), "humidity in the hour");
    assertEquals(1, back.horizons.get(1).missing());
  }

  /**
   * The bytes of a state after a series of events are format 2 exactly as the sorted maps before
   * the ring wrote them (captured from that code): a checkpoint written by either reads back in
   * the other. The series spans more than a horizon, so buckets were evicted and slots reused.
   */
  @Test
  void theRingWritesFormatTwoAsTheSortedMapsDid() {
    DeviceFeatureState s = new DeviceFeatureState(SPEC);
    DeviceFeatureProcessor p = new DeviceFeatureProcessor(SPEC);
    List<Row> out = new ArrayList<>();
    for (int batch = 0; batch < 3; batch++) {
      List<Row> events = new ArrayList<>();
      for (int k = 0; k < 40; k++) {
        int second = batch * 1_400 + k * 37;
        Map<String, Object> metrics = k % 3 == 0 ? Map.of("temperature", 20.0 + k * 0.25)
            : Map.of("temperature", 20.0 + k * 0.25, "humidity", 40.0 - k * 0.5);
        events.add(RowFactory.create("k", "t1", "d1", "e-" + batch + "-" + k, T0 + second * 1_000_000L, null,
            JavaConverters.mapAsScalaMap(metrics)));
      }
      // The watermark passes the previous batch's events, not this one's.
      p.process(events.iterator(), s, T0 / 1000 + (batch * 1_400 - 1) * 1000L, out);
    }
    p.process(List.<Row>of().iterator(), s, T0 / 1000 + (3 * 1_400 - 500) * 1000L, out);
    assertEquals(105, out.size(), "the events up to the last watermark have features");
    assertEquals(fixture(), HexFormat.of().formatHex(s.toBytes()));
    assertArrayEquals(s.toBytes(), DeviceFeatureState.fromBytes(s.toBytes(), SPEC).toBytes());
  }

  private static String fixture() {
    try (var in = DeviceFeatureStateTest.class.getResourceAsStream("/features/device-feature-state-format-2.hex")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

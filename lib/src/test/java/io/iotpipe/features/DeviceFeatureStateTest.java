package io.iotpipe.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DeviceFeatureStateTest {
  @Test
  void aStateReadBackIsTheSameState() {
    FeatureSpec spec = new FeatureSpec(List.of("temperature", "humidity"),
        List.of(Duration.ofMinutes(5), Duration.ofHours(1)), Duration.ofSeconds(5));
    DeviceFeatureState s = new DeviceFeatureState(spec);
    s.tenantId = "t1";
    s.deviceId = "dévice-1";
    s.prevMicros = 1_764_000_000_000_000L;
    s.pending.put(new DeviceFeatureState.Pending(1_764_000_001_000_000L, "e2"), new TreeMap<>(Map.of("temperature", 21.5)));
    s.pending.put(new DeviceFeatureState.Pending(1_764_000_002_000_000L, "e3"),
        new TreeMap<>(Map.of("temperature", 22.0, "humidity", 40.0)));
    for (HorizonBuckets h : s.horizons) {
      h.add(1_764_000_000_000_000L, Map.of("temperature", 20.0), 1);
      h.add(1_764_000_030_000_000L, Map.of("temperature", 23.0, "humidity", 41.0), 0);
    }
    byte[] bytes = s.toBytes();
    DeviceFeatureState back = DeviceFeatureState.fromBytes(bytes, spec);
    assertArrayEquals(bytes, back.toBytes());
    assertEquals("dévice-1", back.deviceId);
    assertEquals(s.pending, back.pending);
    assertEquals(2, back.horizons.get(1).metrics.get("temperature").firstEntry().getValue().n);
  }
}

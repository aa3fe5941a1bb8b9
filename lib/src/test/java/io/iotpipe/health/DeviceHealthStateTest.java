package io.iotpipe.health;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DeviceHealthStateTest {
  @Test
  void aStateReadBackIsTheSameState() {
    DeviceHealthState s = new DeviceHealthState();
    s.tenantId = "t1";
    s.deviceId = "d1";
    s.status = DeviceStatus.DEGRADED;
    s.lastEventUs = 1_764_000_000_000_000L;
    s.appliedUpToUs = 1_764_000_000_000_000L;
    s.lastSeenMs = 1_764_000_000_500L;
    s.pending.put(new DeviceHealthState.Pending(1_764_000_001_000_000L, "e2"), new TreeMap<>(Map.of("temperature", 91.0)));
    DeviceHealthState.RuleState r = s.rule("overheat");
    r.streak = 3;
    r.active = true;
    r.raisedAtUs = 1_763_999_990_000_000L;
    s.previous.put("temperature", new double[] {1.764e15, 90.0});
    byte[] bytes = s.toBytes();
    DeviceHealthState back = DeviceHealthState.fromBytes(bytes);
    assertArrayEquals(bytes, back.toBytes());
    assertEquals(DeviceStatus.DEGRADED, back.status);
    assertEquals(s.pending, back.pending);
    assertEquals(3, back.rules.get("overheat").streak);
  }
}

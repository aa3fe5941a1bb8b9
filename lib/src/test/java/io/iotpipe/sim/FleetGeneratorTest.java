package io.iotpipe.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.config.Settings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FleetGeneratorTest {
  static final Instant START = Instant.parse("2026-03-01T00:00:00Z");

  static SimulatorOptions options(Map<String, String> overrides) {
    Map<String, String> m = new HashMap<>(Map.of(
        "simulate.start", START.toString(), "simulate.tenants", "2", "simulate.devices-per-tenant", "10",
        "simulate.duration", "2h", "simulate.malformed-fraction", "0.05", "simulate.duplicate-fraction", "0.03"));
    m.putAll(overrides);
    return SimulatorOptions.from(Settings.of(m));
  }

  @Test
  void theSameSeedGivesTheSameRecords() {
    List<SimRecord> a = FleetGenerator.all(options(Map.of()), l -> {});
    List<SimRecord> b = FleetGenerator.all(options(Map.of()), l -> {});
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value(), b.get(i).value());
      assertEquals(a.get(i).arrival(), b.get(i).arrival());
    }
    List<SimRecord> c = FleetGenerator.all(options(Map.of("simulate.seed", "7")), l -> {});
    assertFalse(java.util.Arrays.equals(a.get(0).value(), c.get(0).value()));
  }

  @Test
  void recordsComeInArrivalOrderWithWhatWasAskedFor() {
    List<Map<String, Object>> truth = new ArrayList<>();
    List<SimRecord> records = FleetGenerator.all(options(Map.of()), truth::add);
    for (int i = 1; i < records.size(); i++) {
      assertFalse(records.get(i).arrival().isBefore(records.get(i - 1).arrival()), "arrival order at " + i);
    }
    Map<SimRecord.Kind, Integer> kinds = new HashMap<>();
    Set<MalformedKind> malformed = EnumSet.noneOf(MalformedKind.class);
    Map<String, SimRecord> firstCopy = new HashMap<>();
    for (SimRecord r : records) {
      kinds.merge(r.kind(), 1, Integer::sum);
      if (r.malformed() != null) {
        malformed.add(r.malformed());
      }
      if (r.kind() == SimRecord.Kind.DUPLICATE) {
        SimRecord original = firstCopy.get(r.eventId());
        assertArrayEquals(original.value(), r.value(), "a duplicate is the same bytes");
        assertTrue(r.arrival().isAfter(original.arrival()));
      } else {
        assertEquals(null, firstCopy.put(r.eventId(), r), "event ids are unique");
      }
    }
    assertEquals(EnumSet.allOf(MalformedKind.class), malformed, "every malformed kind is sent");
    // 20 devices every 10 s for 2 h is 14,400 events, less silences; fractions within loose bounds.
    int total = records.size();
    assertTrue(total > 12_000 && total < 15_500, "records: " + total);
    assertTrue(kinds.get(SimRecord.Kind.MALFORMED) > total * 0.035 && kinds.get(SimRecord.Kind.MALFORMED) < total * 0.065);
    assertTrue(kinds.get(SimRecord.Kind.DUPLICATE) > total * 0.02 && kinds.get(SimRecord.Kind.DUPLICATE) < total * 0.04);
    assertTrue(kinds.get(SimRecord.Kind.LATE_EVENT) > 0);
    assertTrue(truth.stream().anyMatch(l -> "spike".equals(l.get("kind"))));
  }

  @Test
  void silentDevicesSendNothingWhileSilent() {
    List<Map<String, Object>> truth = new ArrayList<>();
    List<SimRecord> records = FleetGenerator.all(options(Map.of("simulate.silent-fraction", "0.5")), truth::add);
    List<Map<String, Object>> silences = truth.stream().filter(l -> "silence".equals(l.get("type"))).toList();
    assertFalse(silences.isEmpty());
    Set<String> checked = new HashSet<>();
    for (Map<String, Object> s : silences) {
      Instant from = Instant.parse((String) s.get("from"));
      Instant to = Instant.parse((String) s.get("to"));
      String device = s.get("tenant_id") + "/" + s.get("device_id");
      for (SimRecord r : records) {
        if (r.key().equals(device)) {
          assertFalse(!r.eventTime().isBefore(from) && r.eventTime().isBefore(to), "event during silence: " + r);
        }
      }
      checked.add(device);
    }
    assertEquals(silences.size(), checked.size());
  }

  @Test
  void anomaliesAreVisibleInTheValues() {
    List<Map<String, Object>> truth = new ArrayList<>();
    List<SimRecord> records = FleetGenerator.all(options(Map.of("simulate.stuck-fraction", "1",
        "simulate.malformed-fraction", "0", "simulate.duplicate-fraction", "0")), truth::add);
    Map<String, Object> stuck = truth.stream().filter(l -> "stuck".equals(l.get("kind"))).findFirst().orElseThrow();
    String device = stuck.get("tenant_id") + "/" + stuck.get("device_id");
    Instant from = Instant.parse((String) stuck.get("start"));
    Instant to = Instant.parse((String) stuck.get("end"));
    String metric = (String) stuck.get("metric");
    Set<String> values = new HashSet<>();
    for (SimRecord r : records) {
      if (r.key().equals(device) && !r.eventTime().isBefore(from) && r.eventTime().isBefore(to)) {
        String json = new String(r.value(), java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + metric + "\":([-0-9.E]+)").matcher(json);
        if (m.find()) {
          values.add(m.group(1));
        }
      }
    }
    assertEquals(1, values.size(), "a stuck sensor repeats one value: " + values);
  }
}

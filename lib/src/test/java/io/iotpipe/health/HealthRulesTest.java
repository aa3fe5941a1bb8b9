package io.iotpipe.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealthRulesTest {
  @Test
  void theShippedRulesFileIsValid() {
    HealthRules r = HealthRules.load(Path.of(System.getProperty("iotpipe.home"), "conf/health-rules.conf"));
    assertTrue(r.rules().size() >= 3);
  }

  @Test
  void inactivityIsPerDeviceThenPerTenantThenTheDefault() {
    HealthRules r = HealthRules.parse("""
        inactivity { default = 10m, tenants { t2 = 5m }, devices { "t2/d9" = 30s } }
        """);
    assertEquals(Duration.ofMinutes(10), r.inactivityOf("t1", "d1"));
    assertEquals(Duration.ofMinutes(5), r.inactivityOf("t2", "d1"));
    assertEquals(Duration.ofSeconds(30), r.inactivityOf("t2", "d9"));
  }

  @Test
  void aRuleReadsWithItsDefaults() {
    HealthRules.Rule rule = HealthRules.parse("""
        rules = [ { name = hot, metric = temperature, condition { above = 60 } } ]
        """).rules().get(0);
    assertEquals("above", rule.condition().operator());
    assertEquals(60.0, rule.condition().low());
    assertEquals(1, rule.times());
    assertNull(rule.forDuration());
    assertEquals(HealthRules.Severity.WARNING, rule.severity());
    assertEquals(HealthRules.Action.ALARM, rule.action());
  }

  @Test
  void errorsNameTheRuleAndTheField() {
    assertError("rule 'hot': field 'condition': unknown operator 'abvoe'",
        "rules = [ { name = hot, metric = temperature, condition { abvoe = 60 } } ]");
    assertError("rule 'hot': field 'times': must be at least 1",
        "rules = [ { name = hot, metric = temperature, condition { above = 60 }, times = 0 } ]");
    assertError("rule 'hot': field 'for': 'soon' is not a duration",
        "rules = [ { name = hot, metric = temperature, condition { above = 60 }, for = soon } ]");
    assertError("rule 'hot': field 'severity': 'bad' is not one of [info, warning, critical]",
        "rules = [ { name = hot, metric = temperature, condition { above = 60 }, severity = bad } ]");
    assertError("rule 'hot': field 'condition.outside': expected [low, high] with low <= high",
        "rules = [ { name = hot, metric = temperature, condition { outside = [9, 1] } } ]");
    assertError("rule 'hot': field 'metric' is required", "rules = [ { name = hot, condition { above = 1 } } ]");
    assertError("rule 'hot': unknown field 'metirc'",
        "rules = [ { name = hot, metirc = t, metric = t, condition { above = 1 } } ]");
    assertError("rule 'hot': field 'name': the name is used twice",
        "rules = [ { name = hot, metric = t, condition { above = 1 } }, { name = hot, metric = t, condition { below = 1 } } ]");
    assertError("inactivity.devices: 'd1' is not tenant/device", "inactivity { devices { d1 = 1m } }");
  }

  private static void assertError(String expected, String hocon) {
    HealthRules.RulesException e = assertThrows(HealthRules.RulesException.class, () -> HealthRules.parse(hocon));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}

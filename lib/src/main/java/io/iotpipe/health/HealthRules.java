package io.iotpipe.health;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import io.iotpipe.config.Durations;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The declarative health configuration (HOCON, e.g. conf/health-rules.conf): how long a device
 * may stay silent before it is OFFLINE (per tenant, per device), how long an idle device's state
 * is kept, and the metric rules that raise alarms and degrade devices. {@link #load} validates
 * everything and names the rule and field of any error.
 */
public record HealthRules(Duration defaultInactivity, Map<String, Duration> tenantInactivity,
    Map<String, Duration> deviceInactivity, Duration retention, List<Rule> rules) implements Serializable {

  public enum Severity { INFO, WARNING, CRITICAL }

  /** What a firing rule does: only raise an alarm, or also make the device DEGRADED while it holds. */
  public enum Action { ALARM, DEGRADE }

  /** A test on one metric reading (rates: change per minute since the device's previous reading). */
  public record Condition(String operator, double low, double high) implements Serializable {
    static final List<String> OPERATORS = List.of("below", "above", "outside", "inside", "rate_above", "rate_below");

    boolean isRate() {
      return operator.startsWith("rate_");
    }

    /** Whether {@code value} (or, for rates, {@code ratePerMinute}) satisfies it. */
    boolean holds(double value, double ratePerMinute) {
      return switch (operator) {
        case "below" -> value < low;
        case "above" -> value > low;
        case "outside" -> value < low || value > high;
        case "inside" -> value >= low && value <= high;
        case "rate_above" -> ratePerMinute > low;
        case "rate_below" -> ratePerMinute < low;
        default -> throw new IllegalStateException(operator);
      };
    }
  }

  /**
   * A rule: it fires once its condition has held on every reading of the metric for at least
   * {@code forDuration} (null: no duration) and for at least {@code times} readings in a row, and
   * clears with the first reading on which the condition does not hold.
   */
  public record Rule(String name, String metric, Condition condition, Duration forDuration, int times,
      Severity severity, Action action) implements Serializable {}

  /** The inactivity timeout of one device: its own, else its tenant's, else the default. */
  public Duration inactivityOf(String tenant, String device) {
    Duration d = deviceInactivity.get(tenant + "/" + device);
    if (d != null) {
      return d;
    }
    return tenantInactivity.getOrDefault(tenant, defaultInactivity);
  }

  /** Loads and validates a rules file; errors name the file, the rule and the field. */
  public static HealthRules load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new RulesException(file + ": no such file");
    }
    Config c;
    try {
      c = ConfigFactory.parseFile(file.toFile()).resolve();
    } catch (ConfigException e) {
      throw new RulesException(file + ": " + e.getMessage());
    }
    return parse(c, file.toString());
  }

  /** Parses rules from HOCON text (tests). */
  public static HealthRules parse(String hocon) {
    try {
      return parse(ConfigFactory.parseString(hocon).resolve(), "rules");
    } catch (ConfigException e) {
      throw new RulesException("rules: " + e.getMessage());
    }
  }

  private static HealthRules parse(Config c, String where) {
    allowOnly(c.root(), Set.of("inactivity", "retention", "rules"), where);
    Duration def = Duration.ofMinutes(10);
    Map<String, Duration> tenants = new LinkedHashMap<>();
    Map<String, Duration> devices = new LinkedHashMap<>();
    if (c.hasPath("inactivity")) {
      Config in = c.getConfig("inactivity");
      allowOnly(in.root(), Set.of("default", "tenants", "devices"), where + ": inactivity");
      if (in.hasPath("default")) {
        def = duration(in, "default", where + ": inactivity");
      }
      if (in.hasPath("tenants")) {
        durations(in.getObject("tenants"), tenants, where + ": inactivity.tenants");
      }
      if (in.hasPath("devices")) {
        durations(in.getObject("devices"), devices, where + ": inactivity.devices");
        devices.keySet().forEach(k -> {
          if (!k.contains("/")) {
            throw new RulesException(where + ": inactivity.devices: '" + k + "' is not tenant/device");
          }
        });
      }
    }
    Duration retention = c.hasPath("retention") ? duration(c, "retention", where) : Duration.ofDays(7);
    List<Rule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    if (c.hasPath("rules")) {
      int i = 0;
      for (ConfigObject o : c.getObjectList("rules")) {
        Config r = o.toConfig();
        String name = r.hasPath("name") ? r.getString("name") : "#" + (i + 1);
        String at = where + ": rule '" + name + "'";
        if (!r.hasPath("name")) {
          throw new RulesException(at + ": field 'name' is required");
        }
        if (!names.add(name)) {
          throw new RulesException(at + ": field 'name': the name is used twice");
        }
        rules.add(rule(r, name, at));
        i++;
      }
    }
    return new HealthRules(def, tenants, devices, retention, rules);
  }

  private static Rule rule(Config r, String name, String at) {
    allowOnly(r.root(), Set.of("name", "metric", "condition", "for", "times", "severity", "action"), at);
    if (!r.hasPath("metric")) {
      throw new RulesException(at + ": field 'metric' is required");
    }
    if (!r.hasPath("condition")) {
      throw new RulesException(at + ": field 'condition' is required");
    }
    Config cond = r.getConfig("condition");
    if (cond.root().size() != 1) {
      throw new RulesException(at + ": field 'condition' needs exactly one of " + Condition.OPERATORS);
    }
    String op = cond.root().keySet().iterator().next();
    if (!Condition.OPERATORS.contains(op)) {
      throw new RulesException(at + ": field 'condition': unknown operator '" + op + "' (expected one of "
          + Condition.OPERATORS + ")");
    }
    Condition condition;
    try {
      if (op.equals("outside") || op.equals("inside")) {
        List<Double> range = cond.getDoubleList(op);
        if (range.size() != 2 || range.get(0) > range.get(1)) {
          throw new RulesException(at + ": field 'condition." + op + "': expected [low, high] with low <= high");
        }
        condition = new Condition(op, range.get(0), range.get(1));
      } else {
        condition = new Condition(op, cond.getDouble(op), 0);
      }
    } catch (ConfigException e) {
      throw new RulesException(at + ": field 'condition." + op + "': " + e.getMessage());
    }
    Duration forDuration = r.hasPath("for") ? duration(r, "for", at) : null;
    int times = 1;
    if (r.hasPath("times")) {
      try {
        times = r.getInt("times");
      } catch (ConfigException e) {
        throw new RulesException(at + ": field 'times': not a whole number");
      }
      if (times < 1) {
        throw new RulesException(at + ": field 'times': must be at least 1");
      }
    }
    Severity severity = choice(r, "severity", Severity.class, Severity.WARNING, at);
    Action action = choice(r, "action", Action.class, Action.ALARM, at);
    return new Rule(name, r.getString("metric"), condition, forDuration, times, severity, action);
  }

  private static <E extends Enum<E>> E choice(Config r, String field, Class<E> type, E def, String at) {
    if (!r.hasPath(field)) {
      return def;
    }
    String v = r.getString(field);
    try {
      return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> allowed = new ArrayList<>();
      for (E x : type.getEnumConstants()) {
        allowed.add(x.name().toLowerCase(Locale.ROOT));
      }
      throw new RulesException(at + ": field '" + field + "': '" + v + "' is not one of " + allowed);
    }
  }

  private static Duration duration(Config c, String field, String at) {
    String text;
    try {
      text = c.getString(field);
    } catch (ConfigException e) {
      throw new RulesException(at + ": field '" + field + "': " + e.getMessage());
    }
    try {
      Duration d = Durations.parse(text);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException("must be positive");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new RulesException(at + ": field '" + field + "': " + e.getMessage());
    }
  }

  private static void durations(ConfigObject o, Map<String, Duration> into, String at) {
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      String text = String.valueOf(e.getValue().unwrapped());
      try {
        into.put(e.getKey(), Durations.parse(text));
      } catch (IllegalArgumentException ex) {
        throw new RulesException(at + ": '" + e.getKey() + "': " + ex.getMessage());
      }
    }
  }

  private static void allowOnly(ConfigObject o, Set<String> fields, String at) {
    for (String k : o.keySet()) {
      if (!fields.contains(k)) {
        throw new RulesException(at + ": unknown field '" + k + "' (expected one of " + new java.util.TreeSet<>(fields) + ")");
      }
    }
  }

  /** An invalid rules file; the message names where. */
  public static final class RulesException extends RuntimeException {
    public RulesException(String message) {
      super(message);
    }
  }
}

package io.iotpipe.health;

import io.iotpipe.event.DeviceEvents;
import java.io.Serializable;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * The health state machine of one device. Readings are applied in event-time order once the
 * watermark has passed them (so out-of-order arrival within the allowed lateness changes
 * nothing); a silent device's waiting readings are applied when it is declared OFFLINE.
 */
final class DeviceHealthProcessor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HealthRules rules;

  DeviceHealthProcessor(HealthRules rules) {
    this.rules = rules;
  }

  /**
   * Takes in new events (already deduplicated: {@link io.iotpipe.event.EventDedup}): late ones are
   * marked, the rest wait for the watermark.
   */
  void accept(Iterator<Row> events, DeviceHealthState st, long watermarkMs, long nowMs, List<Row> out) {
    boolean any = false;
    while (events.hasNext()) {
      Row r = events.next();
      any = true;
      if (st.tenantId == null) {
        st.tenantId = r.getString(DeviceEvents.TENANT);
        st.deviceId = r.getString(DeviceEvents.DEVICE);
      }
      String id = r.getString(DeviceEvents.EVENT_ID);
      long t = r.getLong(DeviceEvents.TIME_US);
      if (t <= Math.max(watermarkMs * 1000L, st.appliedUpToUs)) {
        out.add(HealthOutput.marker(HealthOutput.LATE, st.tenantId, st.deviceId, t));
      } else {
        st.pending.put(new DeviceHealthState.Pending(t, id), new TreeMap<>(r.<String, Double>getJavaMap(DeviceEvents.METRICS)));
      }
    }
    if (any) {
      st.lastSeenMs = nowMs;
    }
  }

  /** Applies the waiting readings at or before the watermark. */
  void applyDue(DeviceHealthState st, long watermarkMs, List<Row> out) {
    while (!st.pending.isEmpty() && st.pending.firstKey().tUs() <= watermarkMs * 1000L) {
      Map.Entry<DeviceHealthState.Pending, Map<String, Double>> e = st.pending.pollFirstEntry();
      apply(st, e.getKey().tUs(), e.getValue(), out);
    }
  }

  /** The device has been silent for its inactivity timeout: apply what waits, then declare it OFFLINE. */
  void silent(DeviceHealthState st, List<Row> out) {
    while (!st.pending.isEmpty()) {
      Map.Entry<DeviceHealthState.Pending, Map<String, Double>> e = st.pending.pollFirstEntry();
      apply(st, e.getKey().tUs(), e.getValue(), out);
    }
    offline(st, out);
  }

  /** OFFLINE since the last event plus the inactivity timeout. */
  private void offline(DeviceHealthState st, List<Row> out) {
    if (st.status != DeviceStatus.OFFLINE && st.lastEventUs != Long.MIN_VALUE) {
      Duration timeout = inactivity(st);
      transition(st, DeviceStatus.OFFLINE, st.lastEventUs + timeout.toMillis() * 1000L,
          "no event for " + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT), out);
    }
  }

  Duration inactivity(DeviceHealthState st) {
    return rules.inactivityOf(st.tenantId, st.deviceId);
  }

  private void apply(DeviceHealthState st, long t, Map<String, Double> values, List<Row> out) {
    long timeoutUs = inactivity(st).toMillis() * 1000L;
    if (st.lastEventUs != Long.MIN_VALUE && t - st.lastEventUs > timeoutUs && st.status != DeviceStatus.OFFLINE) {
      // A gap in event time (a replay, or a backlog after downtime): the device was offline in between.
      offline(st, out);
    }
    if (st.status == DeviceStatus.UNKNOWN || st.status == DeviceStatus.OFFLINE) {
      transition(st, degraded(st) ? DeviceStatus.DEGRADED : DeviceStatus.ONLINE, t,
          st.status == DeviceStatus.UNKNOWN ? "first event" : "reporting again", out);
    }
    for (HealthRules.Rule rule : rules.rules()) {
      Double v = values.get(rule.metric());
      if (v == null) {
        continue; // no reading: the rule neither holds nor fails
      }
      double[] prev = st.previous.get(rule.metric());
      if (rule.condition().isRate() && prev == null) {
        continue; // a rate needs a previous reading
      }
      double rate = prev == null ? Double.NaN : (v - prev[1]) / Math.max(1e-9, (t - prev[0]) / 60e6);
      evaluate(st, rule, t, v, rule.condition().holds(v, rate), out);
    }
    values.forEach((m, v) -> st.previous.put(m, new double[] {t, v}));
    st.lastEventUs = t;
    st.appliedUpToUs = Math.max(st.appliedUpToUs, t);
  }

  private void evaluate(DeviceHealthState st, HealthRules.Rule rule, long t, double v, boolean holds, List<Row> out) {
    DeviceHealthState.RuleState r = st.rule(rule.name());
    if (holds) {
      if (r.streak == 0) {
        r.streakStartUs = t;
      }
      r.streak++;
      boolean longEnough = rule.forDuration() == null || t - r.streakStartUs >= rule.forDuration().toMillis() * 1000L;
      if (!r.active && r.streak >= rule.times() && longEnough) {
        r.active = true;
        r.raisedAtUs = t;
        out.add(HealthOutput.alarm(st.tenantId, st.deviceId, t, rule, HealthOutput.RAISED, v, t));
        if (rule.action() == HealthRules.Action.DEGRADE && st.status == DeviceStatus.ONLINE) {
          transition(st, DeviceStatus.DEGRADED, t, "rule " + rule.name(), out);
        }
      }
    } else {
      r.streak = 0;
      r.streakStartUs = Long.MIN_VALUE;
      if (r.active) {
        r.active = false;
        out.add(HealthOutput.alarm(st.tenantId, st.deviceId, t, rule, HealthOutput.CLEARED, v, r.raisedAtUs));
        if (rule.action() == HealthRules.Action.DEGRADE && st.status == DeviceStatus.DEGRADED && !degraded(st)) {
          transition(st, DeviceStatus.ONLINE, t, "rule " + rule.name() + " cleared", out);
        }
      }
    }
  }

  /** Whether a degrading rule is active. */
  private boolean degraded(DeviceHealthState st) {
    for (HealthRules.Rule rule : rules.rules()) {
      DeviceHealthState.RuleState r = st.rules.get(rule.name());
      if (rule.action() == HealthRules.Action.DEGRADE && r != null && r.active) {
        return true;
      }
    }
    return false;
  }

  private static void transition(DeviceHealthState st, DeviceStatus to, long t, String reason, List<Row> out) {
    out.add(HealthOutput.transition(st.tenantId, st.deviceId, t, st.status, to, reason));
    st.status = to;
  }
}

package io.iotpipe.spark;

import io.iotpipe.config.Durations;
import io.iotpipe.config.OptionKey;
import java.time.Duration;
import org.apache.spark.sql.streaming.Trigger;

/**
 * When a streaming job runs its micro-batches: {@code available-now} processes what is in Kafka
 * when the job starts, in batches, and stops (scheduled catch-up runs, tests); a duration runs
 * continuously with one micro-batch per interval.
 */
public record StreamTrigger(Duration interval) {
  public static final StreamTrigger AVAILABLE_NOW = new StreamTrigger(null);

  public static OptionKey<StreamTrigger> option(String name, String defaultValue) {
    return new OptionKey<>(name, "available-now|duration", parse(defaultValue),
        "available-now (process the backlog, then stop) or a micro-batch interval such as 10s",
        StreamTrigger::parse);
  }

  public static StreamTrigger parse(String text) {
    if ("available-now".equals(text.trim())) {
      return AVAILABLE_NOW;
    }
    Duration d = Durations.parse(text);
    if (d.isNegative()) {
      throw new IllegalArgumentException("'" + text + "' is negative");
    }
    return new StreamTrigger(d);
  }

  public boolean availableNow() {
    return interval == null;
  }

  public Trigger toSpark() {
    return availableNow() ? Trigger.AvailableNow() : Trigger.ProcessingTime(interval.toMillis());
  }

  @Override
  public String toString() {
    return availableNow() ? "available-now" : interval.toString();
  }
}

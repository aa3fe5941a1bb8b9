package io.iotpipe.jobs.ingest;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of job {@code ingest}; see its README. */
public record IngestOptions(
    KafkaOptions kafka,
    StorageOptions storage,
    ValidationLimits limits,
    StreamOptions stream,
    Duration dedupWindow) {

  static final String JOB = "ingest";
  static final String DEFAULT_TRIGGER = "10s";

  public static final OptionKey<Duration> DEDUP_WINDOW = OptionKey.duration("ingest.dedup-window",
      Duration.ofMinutes(10), Duration.ofSeconds(1),
      "a record whose (tenant_id, event_id) was ingested less than this long ago is dropped as a duplicate");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.add(DEDUP_WINDOW);
    return keys;
  }

  public static IngestOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new IngestOptions(KafkaOptions.from(s), storage, ValidationLimits.from(s),
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), s.get(DEDUP_WINDOW));
  }
}

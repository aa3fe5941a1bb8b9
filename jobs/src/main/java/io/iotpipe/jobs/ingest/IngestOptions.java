package io.iotpipe.jobs.ingest;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamTrigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The options of job {@code ingest}; see jobs/README.md. */
public record IngestOptions(
    KafkaOptions kafka,
    StorageOptions storage,
    ValidationLimits limits,
    String checkpoint,
    StreamTrigger trigger,
    String startingOffsets,
    Optional<Long> maxOffsetsPerTrigger,
    Duration dedupWindow) {

  public static final OptionKey<String> CHECKPOINT = OptionKey.location("ingest.checkpoint", null,
      "checkpoint folder (default: <checkpoint.root>/ingest)");
  public static final OptionKey<StreamTrigger> TRIGGER = StreamTrigger.option("ingest.trigger", "10s");
  public static final OptionKey<String> STARTING_OFFSETS = new OptionKey<>("ingest.starting-offsets",
      "earliest|latest|JSON", "earliest",
      "where a new checkpoint starts reading (a restart always continues from its checkpoint)", s -> {
        String t = s.trim();
        if (t.equals("earliest") || t.equals("latest") || t.startsWith("{")) {
          return t;
        }
        throw new IllegalArgumentException("'" + s + "' is not earliest, latest or Spark's JSON offsets");
      });
  public static final OptionKey<Long> MAX_OFFSETS = OptionKey.longInt("ingest.max-offsets-per-trigger", null,
      1, Long.MAX_VALUE, "most records per micro-batch (default: no limit)");
  public static final OptionKey<Duration> DEDUP_WINDOW = OptionKey.duration("ingest.dedup-window",
      Duration.ofMinutes(10), Duration.ofSeconds(1),
      "a record whose (tenant_id, event_id) was ingested less than this long ago is dropped as a duplicate");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(List.of(CHECKPOINT, TRIGGER, STARTING_OFFSETS, MAX_OFFSETS, DEDUP_WINDOW));
    return keys;
  }

  public static IngestOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new IngestOptions(KafkaOptions.from(s), storage, ValidationLimits.from(s),
        s.find(CHECKPOINT).orElse(storage.checkpoint("ingest")), s.get(TRIGGER), s.get(STARTING_OFFSETS),
        s.find(MAX_OFFSETS), s.get(DEDUP_WINDOW));
  }
}

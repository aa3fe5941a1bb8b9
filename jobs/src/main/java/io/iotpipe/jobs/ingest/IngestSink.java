package io.iotpipe.jobs.ingest;

import static io.iotpipe.event.EventFields.EVENT_DATE;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.KAFKA_OFFSET;
import static io.iotpipe.event.EventFields.KAFKA_PARTITION;
import static io.iotpipe.event.EventFields.KAFKA_TOPIC;
import static io.iotpipe.event.EventFields.TENANT_ID;
import static org.apache.spark.sql.functions.count_if;

import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.delta.DeltaMerge;
import io.iotpipe.event.EventParser;
import io.iotpipe.jobs.ingest.IngestOptions.WriteMode;
import io.iotpipe.spark.MicroBatch;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes one micro-batch of parsed, deduplicated records: valid events to {@code events},
 * refused records to {@code quarantine}, each exactly once even when Spark replays the batch
 * after a crash (see {@link DeltaAppend}), and reports the batch's counts.
 */
public final class IngestSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;

  /** Writes rows for a batch; production writes go through {@link DeltaAppend#once}. */
  @FunctionalInterface
  public interface BatchWriter extends java.io.Serializable {
    void write(Dataset<Row> rows, String appId, long batchId);
  }

  /** Receives each batch's counts of valid and quarantined records. */
  @FunctionalInterface
  public interface Counts extends java.io.Serializable {
    void batch(long batchId, long valid, long quarantined);
  }

  private final BatchWriter events;
  private final BatchWriter quarantine;
  private final Counts counts;

  public IngestSink(BatchWriter events, BatchWriter quarantine, Counts counts) {
    this.events = events;
    this.quarantine = quarantine;
    this.counts = counts;
  }

  /** The production sink: the two Delta tables at these paths. */
  public static IngestSink toDelta(String eventsPath, String quarantinePath, WriteMode mode, Counts counts) {
    if (mode == WriteMode.INSERT_MISSING) {
      // An event is identified as the deduplication identifies it; a refused record by its Kafka coordinates.
      return new IngestSink(
          (rows, appId, batchId) -> DeltaMerge.insertMissing(rows, eventsPath,
              List.of(EVENT_DATE, TENANT_ID, EVENT_ID), Optional.of(EVENT_DATE)),
          (rows, appId, batchId) -> DeltaMerge.insertMissing(rows, quarantinePath,
              List.of(KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET), Optional.empty()),
          counts);
    }
    return new IngestSink(
        (rows, appId, batchId) -> DeltaAppend.once(rows, eventsPath, appId, batchId),
        (rows, appId, batchId) -> DeltaAppend.once(rows, quarantinePath, appId, batchId),
        counts);
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) {
    // Read three times (counts, events, quarantine), consumed and deduplicated once.
    try (MicroBatch b = MicroBatch.cache(batch)) {
      Row c = b.counts(count_if(EventParser.isValid()), count_if(EventParser.isValid().equalTo(false)));
      long valid = c.getLong(0);
      long quarantined = c.getLong(1);
      String appId = b.appId("ingest");
      if (valid > 0) {
        events.write(EventParser.events(b.rows()), appId, batchId);
      }
      if (quarantined > 0) {
        quarantine.write(EventParser.quarantine(b.rows()), appId, batchId);
      }
      counts.batch(batchId, valid, quarantined);
    }
  }
}

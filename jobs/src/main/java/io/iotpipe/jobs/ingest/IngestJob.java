package io.iotpipe.jobs.ingest;

import static io.iotpipe.event.EventFields.INGEST_TIME;
import static io.iotpipe.event.EventFields.KAFKA_KEY;
import static io.iotpipe.event.EventFields.RAW_VALUE;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import io.delta.tables.DeltaTable;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.jobs.Job;
import io.iotpipe.jobs.ingest.IngestOptions.WriteMode;
import io.iotpipe.kafka.KafkaSource;
import io.iotpipe.spark.SparkSessions;
import io.iotpipe.spark.StreamingQueries;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job {@code ingest}: Kafka → parse and validate → Delta {@code events} (valid, deduplicated)
 * and {@code quarantine} (everything else, with a reason). See jobs/README.md.
 */
public final class IngestJob implements Job {
  public static final String QUERY_NAME = "ingest";
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String description() {
    return "Kafka -> validated, deduplicated Delta table events; refused records -> quarantine";
  }

  @Override
  public List<OptionKey<?>> options() {
    return IngestOptions.keys();
  }

  /**
   * The pipeline: every Kafka record parsed and validated (see {@link EventParser#parse}), with
   * {@code ingest_time}, and duplicates of a valid event dropped by the deduplication every job
   * shares ({@link EventDedup}), counted in the observation {@code ingest_dedup}.
   *
   * <p>The deduplication's watermark is the largest event time seen (no allowed lateness: ingest
   * has no windows to wait for); it only bounds what the deduplication remembers. Every record
   * comes out, as an event (late ones included), a quarantined record or a counted duplicate.
   */
  public static Dataset<Row> pipeline(Dataset<Row> kafkaRecords, ValidationLimits limits, EventDedup.Options dedup) {
    Dataset<Row> parsed = EventParser.parse(kafkaRecords, limits)
        .withColumn(INGEST_TIME, current_timestamp())
        // Only quarantined records keep their raw bytes and key (the events table holds the parsed
        // columns): the deduplication's shuffle and the sink's cache then carry a third less.
        .withColumn(RAW_VALUE, when(EventParser.isValid().equalTo(false), col(RAW_VALUE)))
        .withColumn(KAFKA_KEY, when(EventParser.isValid().equalTo(false), col(KAFKA_KEY)));
    Column duplicate = col(EventDedup.DUPLICATE);
    return EventDedup.apply(parsed, dedup, Duration.ZERO)
        .observe("ingest_dedup", count_if(duplicate))
        .where(not(duplicate))
        .drop(EventDedup.DUPLICATE, EventDedup.WATERMARK_MS);
  }

  /** Starts the ingest query over {@code kafkaRecords} (a stream) into {@code sink}. */
  public static StreamingQuery start(Dataset<Row> kafkaRecords, IngestSink sink, IngestOptions o)
      throws TimeoutException {
    return StreamingQueries.start(pipeline(kafkaRecords, o.limits(), o.dedup()), QUERY_NAME, o.stream(), sink);
  }

  /** Wires the production I/O: the Kafka topic, the two Delta tables, progress logging. */
  public static Running startFromOptions(SparkSession spark, IngestOptions o) throws TimeoutException {
    String events = o.storage().table(TableSpec.EVENTS);
    String quarantine = o.storage().table(TableSpec.QUARANTINE);
    WriteMode mode = writeMode(spark, o);
    TableSpec.EVENTS.createIfMissing(spark, o.storage());
    TableSpec.QUARANTINE.createIfMissing(spark, o.storage());
    IngestProgress progress = new IngestProgress(QUERY_NAME);
    spark.streams().addListener(progress);
    Dataset<Row> source = KafkaSource.stream(spark, o.kafka(), o.stream());
    StreamingQuery query = start(source, IngestSink.toDelta(events, quarantine, mode, progress), o);
    LOG.info("ingest: reading {} (trigger {}), writing {} and {} ({}), checkpoint {}", o.kafka().eventsTopic(),
        o.stream().trigger(), events, quarantine, OptionKey.spell(mode), o.stream().checkpoint());
    return new Running(query, progress);
  }

  /**
   * The write mode, and a guard against double counting: a new checkpoint reads the topic from
   * its start position again, and appending what the tables hold already would store it twice.
   * Only the operator knows whether these records are new (a new topic) or a reprocess, so a new
   * checkpoint on non-empty tables must name its write mode.
   */
  static WriteMode writeMode(SparkSession spark, IngestOptions o) {
    if (o.writeMode().isPresent()) {
      return o.writeMode().get();
    }
    if (o.stream().isNewCheckpoint(spark) && (hasRows(spark, o.storage().table(TableSpec.EVENTS))
        || hasRows(spark, o.storage().table(TableSpec.QUARANTINE)))) {
      throw new InvalidOptionException(IngestOptions.WRITE_MODE.name(), "checkpoint " + o.stream().checkpoint()
          + " is new but the tables under " + o.storage().deltaRoot() + " hold rows: reading from --"
          + "ingest.starting-offsets " + o.stream().startingOffsets() + " may store records again. Pass "
          + "insert-missing to reprocess them without duplicates, or append if the records are all new");
    }
    return WriteMode.APPEND;
  }

  private static boolean hasRows(SparkSession spark, String path) {
    return DeltaTable.isDeltaTable(spark, path) && !spark.read().format("delta").load(path).isEmpty();
  }

  /** A started ingest query and its accounting. */
  public record Running(StreamingQuery query, IngestProgress progress) {
    /** The totals of this run; call after the query ended. */
    public IngestProgress.Totals totals() throws InterruptedException {
      progress.settle(query);
      return progress.totals();
    }
  }


  @Override
  public int run(Settings settings) throws Exception {
    IngestOptions o = IngestOptions.from(settings);
    KafkaSource.requireTopic(o.kafka());
    SparkSession spark = SparkSessions.getOrCreate("iotpipe-ingest", settings.withPrefix("spark."));
    Running running = startFromOptions(spark, o);
    StreamingQueries.runUntilStopped(running.query());
    IngestProgress.Totals t = running.totals();
    LOG.info("ingest: finished: consumed {} = valid {} + quarantined {} + duplicates dropped {}",
        t.consumed(), t.valid(), t.quarantined(), t.duplicatesDropped());
    return t.unbalancedBatches() == 0 ? 0 : 1;
  }
}

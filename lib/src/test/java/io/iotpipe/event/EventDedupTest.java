package io.iotpipe.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iotpipe.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The shared deduplication on a stream of three micro-batches. */
class EventDedupTest {
  private static final StructType PARSED = StructType.fromDDL("tenant_id STRING, device_id STRING, event_id STRING, "
      + "event_time TIMESTAMP, kafka_topic STRING, kafka_partition INT, kafka_offset BIGINT, reason STRING");
  private static final long BASE_MS = java.time.Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
  /** Output rows by micro-batch: "tenant/id@offset:duplicate watermark", the watermark in ms after BASE_MS. */
  private static final Map<Long, List<String>> OUT = new ConcurrentHashMap<>();

  @Test
  void firstRecordInKafkaOrderWinsWithinTheHorizonOfEventTime() throws Exception {
    SparkSession spark = TestSpark.session();
    Path in = TestSpark.newFolder("dedup-in");
    Dataset<Row> parsed = spark.readStream().schema(PARSED).option("maxFilesPerTrigger", 1).json(in.toString());
    Dataset<Row> out = EventDedup.apply(parsed, new EventDedup.Options(Duration.ofSeconds(150), 8), Duration.ofSeconds(10));
    StreamingQuery q = out.writeStream()
        .option("checkpointLocation", TestSpark.newFolder("dedup-checkpoint").toString())
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> {
          List<String> rows = new ArrayList<>();
          for (Row r : batch.collectAsList()) {
            rows.add(r.getAs("tenant_id") + "/" + r.getAs("event_id") + "@" + r.getAs("kafka_offset") + ":"
                + r.getAs("duplicate") + " " + Math.max(0, r.<Long>getAs("watermark_ms") - BASE_MS));
          }
          rows.sort(null);
          OUT.put(id, rows);
        }).start();
    try {
      batch(in, 0, record("t1", "a", 0, 0, 1), record("t1", "a", 0, 0, 0), record("t2", "a", 1, 0, 2),
          record("t1", "b", 100, 1, 0), "{\"kafka_topic\":\"x\",\"kafka_partition\":0,\"kafka_offset\":7,"
              + "\"reason\":\"NOT_JSON\"}");
      q.processAllAvailable();
      // A copy with another payload (another time): a duplicate. c moves the clock from 100 s to 200 s.
      batch(in, 1, record("t1", "a", 5, 0, 3), record("t1", "c", 200, 0, 4));
      q.processAllAvailable();
      // Clock 200 s: a was read at clock 100 s at the latest, within the 150 s horizon; so are b and c.
      batch(in, 2, record("t1", "a", 0, 0, 5), record("t1", "b", 100, 1, 1), record("t1", "c", 200, 0, 6),
          record("t1", "d", 300, 0, 7));
      q.processAllAvailable();
      // Clock 300 s: a (read by clock 100 s) is past the horizon and forgotten; c (clock 200 s) is not.
      batch(in, 3, record("t1", "a", 0, 0, 8), record("t1", "c", 200, 0, 9));
      q.processAllAvailable();
    } finally {
      q.stop();
    }
    Map<Long, List<String>> data = new TreeMap<>(OUT);
    data.values().removeIf(List::isEmpty);
    assertEquals(List.of(
        List.of("null/null@7:false 0", "t1/a@0:false 0", "t1/a@1:true 0", "t1/b@0:false 0", "t2/a@2:false 0"),
        List.of("t1/a@3:true 90000", "t1/c@4:false 90000"),
        List.of("t1/a@5:true 190000", "t1/b@1:true 190000", "t1/c@6:true 190000", "t1/d@7:false 190000"),
        List.of("t1/a@8:false 290000", "t1/c@9:true 290000")), new ArrayList<>(data.values()));
  }

  private static String record(String tenant, String id, int seconds, int partition, long offset) {
    return String.format("{\"tenant_id\":\"%s\",\"device_id\":\"d\",\"event_id\":\"%s\",\"event_time\":"
            + "\"2026-01-01T00:%02d:%02dZ\",\"kafka_topic\":\"x\",\"kafka_partition\":%d,\"kafka_offset\":%d}",
        tenant, id, seconds / 60, seconds % 60, partition, offset);
  }

  private static void batch(Path in, int n, String... records) throws Exception {
    Path tmp = in.resolveSibling(in.getFileName() + "-" + n + ".tmp");
    Files.writeString(tmp, String.join("\n", records) + "\n");
    Files.move(tmp, in.resolve("batch-" + n + ".json"));
  }
}

package io.iotpipe.jobs.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.iotpipe.config.Settings;
import io.iotpipe.event.EventParser;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.jobs.SimulatedTopic;
import io.iotpipe.local.LocalServices;
import io.iotpipe.testing.LocalServicesExtension;
import io.iotpipe.testing.TestSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The features job on the real local Kafka, Cassandra and Delta. */
@ExtendWith(LocalServicesExtension.class)
class FeaturesIT {

  static FeaturesOptions options(String topic, String root, String keyspace) {
    LocalServices s = LocalServicesExtension.services();
    Map<String, String> m = new HashMap<>(Map.of(
        "kafka.bootstrap-servers", s.kafkaBootstrapServers(),
        "kafka.events-topic", topic,
        "cassandra.contact-points", s.cassandraHost(),
        "cassandra.port", String.valueOf(s.cassandraPort()),
        "cassandra.keyspace", keyspace,
        "delta.root", root,
        "checkpoint.root", root + "-checkpoints",
        "features.trigger", "available-now",
        "features.max-offsets-per-trigger", "1200"));
    return FeaturesOptions.from(Settings.of(m));
  }

  @Test
  void streamedFeaturesEqualTheBatchComputationAndTheOnlineStoreServesTheLatest() throws Exception {
    // No late events here: every event gets features in the stream as in the batch.
    SimulatedTopic topic = SimulatedTopic.create("features-it", Map.of("simulate.late-fraction", "0"));
    String root = TestSpark.newFolder("features").toString();
    String ks = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    FeaturesOptions o = options(topic.topic, root, ks);
    FeatureSpec spec = o.spec();
    SparkSession spark = TestSpark.session();

    FeaturesJob.Running run = FeaturesJob.startFromOptions(spark, o);
    run.query().awaitTermination();
    FeaturesProgress.Totals totals = run.totals();
    assertEquals(0, totals.late());
    assertEquals(topic.summary.duplicates(), totals.duplicates());

    Dataset<Row> streamed = spark.read().format("delta").load(FeatureStore.offline(spec).path(root)).cache();
    Dataset<Row> events = EventParser.parse(spark.read().format("kafka")
        .options(o.kafka().sparkOptions()).option("subscribe", topic.topic).load(), ValidationLimits.DEFAULTS)
        .where(EventParser.isValid())
        // The batch computation takes distinct events (as in the events table); the simulator's
        // duplicates are copies of the same bytes, so which copy stays does not matter.
        .dropDuplicates(new String[] {"tenant_id", "event_id"});
    Dataset<Row> batch = FeatureComputation.featureRows(FeatureComputation.batch(events, spec), spec).cache();

    // The stream computes an event's features once the watermark passes it; the last events of
    // the topic are still waiting. Everything else is equal, value by value.
    Timestamp maxEventTime = events.agg(org.apache.spark.sql.functions.max("event_time")).first().getTimestamp(0);
    Timestamp watermark = Timestamp.from(maxEventTime.toInstant().minus(spec.allowedLateness()));
    Dataset<Row> batchDue = batch.where(org.apache.spark.sql.functions.col("feature_time").leq(watermark));
    assertEquals(batchDue.count(), streamed.count());
    assertEquals(streamed.count(), streamed.select("event_id").distinct().count(), "one row per event");
    String[] compared = spec.names().stream().map(n -> "round(" + n + ", 9) AS " + n).toArray(String[]::new);
    String[] keys = {"tenant_id", "device_id", "event_id", "feature_time", "feature_set"};
    String[] all = new String[keys.length + compared.length];
    System.arraycopy(keys, 0, all, 0, keys.length);
    System.arraycopy(compared, 0, all, keys.length, compared.length);
    Dataset<Row> diff = streamed.selectExpr(all).exceptAll(batchDue.selectExpr(all));
    if (diff.count() > 0) {
      // Name the columns that differ in one row: a bare count is hard to debug.
      Row d = diff.first();
      Row b = batchDue.selectExpr(all).where(org.apache.spark.sql.functions.col("event_id").equalTo(d.getAs("event_id"))).first();
      StringBuilder sb = new StringBuilder();
      for (String f : d.schema().fieldNames()) {
        if (!java.util.Objects.equals(d.getAs(f), b.getAs(f))) {
          sb.append(f).append(": stream ").append((Object) d.getAs(f)).append(" batch ").append((Object) b.getAs(f)).append("; ");
        }
      }
      throw new AssertionError("stream differs from batch in " + diff.count() + " rows, e.g. event "
          + d.getAs("event_id") + ": " + sb);
    }
    assertTrue(streamed.count() > 2000, "feature rows compared: " + streamed.count());

    // Online store: the latest vector of a device, refused once older than the max age.
    Row latest = streamed.where("tenant_id = 'tenant-01' AND device_id = 'dev-00003'")
        .orderBy(org.apache.spark.sql.functions.col("feature_time").desc()).first();
    Instant featureTime = latest.<Timestamp>getAs("feature_time").toInstant();
    Duration maxAge = Duration.ofMinutes(15);
    try (CqlSession session = o.cassandra().openSession()) {
      FeatureStore.Reader reader = new FeatureStore.Reader(session, ks, maxAge);
      FeatureStore.Lookup fresh = reader.latest("tenant-01", "dev-00003", featureTime.plusSeconds(60));
      assertEquals(FeatureStore.Status.FRESH, fresh.status());
      assertEquals(featureTime, fresh.featureTime());
      assertEquals(spec.id(), fresh.featureSet());
      double[] stored = spec.names().stream().mapToDouble(n -> latest.<Double>getAs(n)).toArray();
      assertArrayEquals(stored, fresh.current(), 1e-12);
      FeatureStore.Lookup stale = reader.latest("tenant-01", "dev-00003", featureTime.plus(maxAge).plusSeconds(1));
      assertEquals(FeatureStore.Status.STALE, stale.status());
      assertThrows(IllegalStateException.class, stale::current);
      assertEquals(FeatureStore.Status.MISSING, reader.latest("tenant-01", "no-such-device", featureTime).status());
    }
  }
}

package io.iotpipe.jobs.features;

import static org.apache.spark.sql.functions.count_if;

import io.iotpipe.delta.DeltaAppend;
import io.iotpipe.features.FeatureComputation;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.features.FeatureStore;
import io.iotpipe.spark.MicroBatch;
import com.datastax.spark.connector.cql.CassandraConnector;
import java.time.Duration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes one micro-batch of feature rows to both stores: the online Cassandra table (the latest
 * vector per device, written with its feature time as write timestamp, so a replay or a late
 * write never replaces a newer vector), then the offline Delta table (idempotent append).
 */
final class FeaturesSink implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;

  /** What a batch wrote (its duplicates are observed before it: {@link FeaturesJob#pipeline}). */
  record Counts(long features, long late, long devices) {}

  interface Listener extends java.io.Serializable {
    void batch(long batchId, Counts counts);
  }

  private final FeatureSpec spec;
  private final String offlinePath;
  private final CassandraConnector cassandra;
  private final String keyspace;
  private final Duration onlineTtl;
  private final Listener listener;

  FeaturesSink(FeatureSpec spec, String offlinePath, CassandraConnector cassandra, String keyspace, Duration onlineTtl,
      Listener listener) {
    this.spec = spec;
    this.offlinePath = offlinePath;
    this.cassandra = cassandra;
    this.keyspace = keyspace;
    this.onlineTtl = onlineTtl;
    this.listener = listener;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) {
    try (MicroBatch b = MicroBatch.cache(batch)) {
      Row c = b.counts(count_if(FeatureComputation.isFeatures()), count_if(FeatureComputation.isLate()));
      long features = c.getLong(0);
      long devices = 0;
      if (features > 0) {
        // The online store first: it is what scoring reads now. Both writes are idempotent, so
        // their order changes nothing after a crash between them.
        devices = FeatureStore.writeOnline(FeatureComputation.latestFeatureRows(b.rows(), spec), spec, cassandra,
            keyspace, onlineTtl);
        DeltaAppend.once(FeatureComputation.featureRows(b.rows(), spec), offlinePath, b.appId("features"), batchId);
      }
      listener.batch(batchId, new Counts(features, c.getLong(1), devices));
    }
  }
}

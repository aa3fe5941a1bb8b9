package io.iotpipe.kafka;

import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.spark.StreamOptions;

/** Reads the events topic as a stream with the Kafka source's columns (key, value, topic, partition, offset, timestamp, ...). */
public final class KafkaSource {
  private KafkaSource() {}

  /**
   * The events topic as a stream. {@code stream.startingOffsets()} applies to a new checkpoint
   * (a restart always continues from its checkpoint); {@code stream.maxOffsetsPerTrigger()}
   * bounds a micro-batch, and with it its memory, while catching up on a backlog.
   */
  public static Dataset<Row> stream(SparkSession spark, KafkaOptions kafka, StreamOptions stream) {
    DataStreamReader r = spark.readStream()
        .format("kafka")
        .options(kafka.sparkOptions())
        .option("subscribe", kafka.eventsTopic())
        .option("startingOffsets", stream.startingOffsets())
        // Offsets that expired before they were read are data loss: stop and say so.
        .option("failOnDataLoss", "true");
    stream.maxOffsetsPerTrigger().ifPresent(n -> r.option("maxOffsetsPerTrigger", n));
    return r.load();
  }

  /**
   * Fails with a message naming the option when the events topic does not exist or the brokers
   * cannot be reached: better at start-up than a query that waits for a topic forever.
   */
  public static void requireTopic(KafkaOptions kafka) {
    java.util.Map<String, Object> props = new java.util.HashMap<>(kafka.clientProperties());
    props.put("request.timeout.ms", 10_000);
    props.put("default.api.timeout.ms", 15_000);
    try (Admin admin = Admin.create(props)) {
      Set<String> topics = admin.listTopics().names().get(20, TimeUnit.SECONDS);
      if (!topics.contains(kafka.eventsTopic())) {
        throw new InvalidOptionException(KafkaOptions.EVENTS_TOPIC.name(), "topic '" + kafka.eventsTopic()
            + "' does not exist on " + kafka.bootstrapServers());
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new InvalidOptionException(KafkaOptions.BOOTSTRAP_SERVERS.name(), "cannot reach Kafka at "
          + kafka.bootstrapServers() + " (" + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

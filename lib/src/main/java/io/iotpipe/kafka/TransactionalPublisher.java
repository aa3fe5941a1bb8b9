package io.iotpipe.kafka;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Publishes each micro-batch of a streaming query to a Kafka topic exactly once. A batch's
 * records go out in one Kafka transaction (from the driver, {@link #publish}; or one per
 * partition from the executors, {@link #publishPartitions}), which also commits "batch id + 1" as
 * the offset of a consumer group of the query's own; a replayed batch finds its id committed and
 * sends nothing.
 * A crash inside the transaction leaves records that read_committed consumers never see: the next
 * producer with the same transactional id aborts them. Consumers must read with
 * {@code isolation.level=read_committed}.
 */
public final class TransactionalPublisher implements AutoCloseable {
  private final String group;
  private final Admin admin;
  private final KafkaProducer<String, String> producer;
  private final TopicPartition marker;

  /** @param name the query's stable name, e.g. "iotpipe-score-" + its checkpointed id */
  public TransactionalPublisher(KafkaOptions kafka, String topic, String name) {
    this(kafka.clientProperties(), topic, name);
  }

  private TransactionalPublisher(Map<String, Object> clientProperties, String topic, String name) {
    this.group = name;
    this.marker = new TopicPartition(topic, 0);
    Map<String, Object> p = new HashMap<>(clientProperties);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, name);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    this.admin = Admin.create(clientProperties);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    producer.initTransactions();
  }

  /** Sends the batch's records unless batch {@code batchId} was published already; returns whether it sent. */
  public boolean publish(long batchId, List<ProducerRecord<String, String>> records) throws Exception {
    return publish(batchId, records.iterator());
  }

  /** The same, with records made as they are sent (inside the transaction: a failure there aborts it). */
  private boolean publish(long batchId, Iterator<ProducerRecord<String, String>> records) throws Exception {
    OffsetAndMetadata done = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(marker);
    if (done != null && done.offset() > batchId) {
      return false;
    }
    producer.beginTransaction();
    while (records.hasNext()) {
      producer.send(records.next());
    }
    producer.sendOffsetsToTransaction(Map.of(marker, new OffsetAndMetadata(batchId + 1)), new ConsumerGroupMetadata(group));
    producer.commitTransaction();
    return true;
  }

  /** A partition's rows as Kafka records, made on the executor that holds them. */
  @FunctionalInterface
  public interface RecordOf extends Serializable {
    ProducerRecord<String, String> record(Row row) throws Exception;
  }

  /** The publishers of this JVM by transactional id: a producer's initialization costs round trips, once per executor. */
  private static final Map<String, TransactionalPublisher> OPEN = new ConcurrentHashMap<>();

  /**
   * Publishes micro-batch {@code batchId} of {@code rows} from the executors, without a collect to
   * the driver: each non-empty partition of {@code rows} in a transaction of its own, with its own
   * transactional id and marker group ({@code name + "-p" + partition}), so that each partition of
   * the batch is published exactly once however often its task runs. That needs a partitioning
   * the replay of a batch reproduces, such as a stateful operator's output (hash partitioned by
   * key into the checkpoint's fixed number of partitions); a key's records stay in one partition
   * and keep their order. A batch is visible to read_committed consumers partition by partition.
   */
  public static void publishPartitions(Dataset<Row> rows, KafkaOptions kafka, String topic, String name, long batchId,
      RecordOf recordOf) {
    // The client settings travel with the tasks as a plain map (the options object stays on the driver).
    HashMap<String, Object> clientProperties = new HashMap<>(kafka.clientProperties());
    rows.foreachPartition((ForeachPartitionFunction<Row>) partition -> {
      if (!partition.hasNext()) {
        return;
      }
      Iterator<ProducerRecord<String, String>> records = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return partition.hasNext();
        }

        @Override
        public ProducerRecord<String, String> next() {
          try {
            return recordOf.record(partition.next());
          } catch (Exception e) {
            throw new IllegalStateException("could not make the Kafka record of a row", e);
          }
        }
      };
      String id = name + "-p" + TaskContext.getPartitionId();
      TransactionalPublisher publisher = OPEN.computeIfAbsent(id,
          k -> new TransactionalPublisher(clientProperties, topic, k));
      synchronized (publisher) {
        try {
          publisher.publish(batchId, records);
        } catch (Exception e) {
          // A producer that failed mid-transaction is unusable; the next attempt starts a new one,
          // whose initialization aborts what this one left open.
          OPEN.remove(id, publisher);
          publisher.close();
          throw e;
        }
      }
    });
  }

  @Override
  public void close() {
    producer.close();
    admin.close();
  }
}

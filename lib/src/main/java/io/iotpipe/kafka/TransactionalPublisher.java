package io.iotpipe.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes each micro-batch of a streaming query to a Kafka topic exactly once. A batch's
 * records go out in one Kafka transaction, which also commits "batch id + 1" as the offset of a
 * consumer group of the query's own; a replayed batch finds its id committed and sends nothing.
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
    this.group = name;
    this.marker = new TopicPartition(topic, 0);
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, name);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    this.admin = Admin.create(kafka.clientProperties());
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    producer.initTransactions();
  }

  /** Sends the batch's records unless batch {@code batchId} was published already; returns whether it sent. */
  public boolean publish(long batchId, List<ProducerRecord<String, String>> records)
      throws InterruptedException, ExecutionException {
    OffsetAndMetadata done = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(marker);
    if (done != null && done.offset() > batchId) {
      return false;
    }
    producer.beginTransaction();
    for (ProducerRecord<String, String> r : records) {
      producer.send(r);
    }
    producer.sendOffsetsToTransaction(Map.of(marker, new OffsetAndMetadata(batchId + 1)), new ConsumerGroupMetadata(group));
    producer.commitTransaction();
    return true;
  }

  @Override
  public void close() {
    producer.close();
    admin.close();
  }
}

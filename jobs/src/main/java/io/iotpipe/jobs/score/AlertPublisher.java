package io.iotpipe.jobs.score;

import io.iotpipe.kafka.KafkaOptions;
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
 * Publishes each micro-batch's alerts to Kafka exactly once. A batch's records go out in one
 * Kafka transaction, which also commits "batch id + 1" as the offset of a consumer group of its
 * own; a replayed batch finds its id committed and sends nothing. A crash inside the transaction
 * leaves records that read_committed consumers never see: the next producer with the same
 * transactional id aborts them.
 */
final class AlertPublisher implements AutoCloseable {
  private final String topic;
  private final String group;
  private final Admin admin;
  private final KafkaProducer<String, String> producer;
  private final TopicPartition marker;

  AlertPublisher(KafkaOptions kafka, String topic, String queryId) {
    this.topic = topic;
    this.group = "iotpipe-score-" + queryId;
    this.marker = new TopicPartition(topic, 0);
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    this.admin = Admin.create(kafka.clientProperties());
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    producer.initTransactions();
  }

  /** Sends the batch's records unless batch {@code batchId} was published already; returns whether it sent. */
  boolean publish(long batchId, List<ProducerRecord<String, String>> records) throws InterruptedException, ExecutionException {
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

  String topic() {
    return topic;
  }

  @Override
  public void close() {
    producer.close();
    admin.close();
  }
}

package io.iotpipe.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaOptionsTest {
  @Test
  void plaintextNeedsOnlyBrokers() {
    KafkaOptions k = KafkaOptions.from(Settings.of(Map.of("kafka.bootstrap-servers", "a:9092,b:9093")));
    assertEquals(Map.of("bootstrap.servers", "a:9092,b:9093", "security.protocol", "PLAINTEXT"), k.clientProperties());
    assertEquals("telemetry", k.eventsTopic());
  }

  @Test
  void brokersMustBeHostPort() {
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> KafkaOptions.from(Settings.of(Map.of("kafka.bootstrap-servers", "localhost"))));
    assertEquals("kafka.bootstrap-servers", e.key());
  }

  @Test
  void saslNeedsUserAndPasswordAndKeepsThePasswordOutOfText() {
    Settings base = Settings.of(Map.of("kafka.bootstrap-servers", "a:9092", "kafka.security-protocol", "sasl-ssl",
        "kafka.username", "svc"));
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> KafkaOptions.from(base.withEnvironment(Map.of())));
    assertTrue(e.getMessage().contains("IOTPIPE_KAFKA_PASSWORD"), e.getMessage());

    KafkaOptions k = KafkaOptions.from(base.withEnvironment(Map.of("IOTPIPE_KAFKA_PASSWORD", "s3cret")));
    assertEquals("SCRAM-SHA-512", k.clientProperties().get("sasl.mechanism"));
    assertTrue(String.valueOf(k.clientProperties().get("sasl.jaas.config")).contains("password=\"s3cret\""));
    assertFalse(k.toString().contains("s3cret"), k.toString());
    assertEquals("SASL_SSL", k.sparkOptions().get("kafka.security.protocol"));
  }
}

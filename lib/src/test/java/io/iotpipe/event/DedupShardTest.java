package io.iotpipe.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DedupShardTest {
  private static final String UUID_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  private static final List<String> IDS = List.of(UUID_ID,
      "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", // upper case: another id, kept as text
      "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg", // not hex
      "0f1e2d3c4b5a-6978-8796-a5b4c3d2e1f0-", // dashes elsewhere
      "sensor-7/42", "", "ünïcödé");
  private static final long T = 1_796_000_000_000L;

  @Test
  void everyIdOfEveryTenantIsRememberedAcrossARoundTrip() {
    DedupShard shard = new DedupShard();
    for (String id : IDS) {
      assertTrue(shard.firstTime("t1", id), id);
      assertTrue(shard.firstTime("t2", id), "the same id in another tenant is another event: " + id);
    }
    shard.advance(T, 60_000);
    DedupShard back = DedupShard.fromBytes(shard.toBytes());
    assertEquals(2 * IDS.size(), back.size());
    for (String id : IDS) {
      assertFalse(back.firstTime("t1", id), id);
      assertFalse(back.firstTime("t2", id), id);
    }
    assertTrue(back.firstTime("t1", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1"));
  }

  @Test
  void anEventIsForgottenOnceTheClockIsAHorizonPastTheClockAfterItsBatch() {
    DedupShard shard = new DedupShard();
    shard.firstTime("t1", "a");
    // Unresolved until the next touch: that touch's clock is the first one after a's batch.
    shard.advance(T, 60_000);
    shard.firstTime("t1", "b");
    DedupShard back = DedupShard.fromBytes(shard.toBytes());
    back.advance(T + 60_000, 60_000); // b gets T + 60 s; a, read at T, is exactly a horizon old: kept
    assertFalse(back.firstTime("t1", "a"));
    back.advance(T + 60_001, 60_000);
    assertTrue(back.firstTime("t1", "a"), "a is forgotten");
    assertFalse(back.firstTime("t1", "b"), "b is within the horizon");
  }

  @Test
  void canonicalUuidsTakeAboutNineteenBytes() {
    DedupShard shard = new DedupShard();
    for (int i = 0; i < 600; i++) {
      shard.firstTime("tenant-1", UUID.randomUUID().toString());
      if (i % 10 == 9) {
        shard.advance(T + 500L * i, 3_600_000);
      }
    }
    int bytes = shard.toBytes().length;
    // tenant index 1, time difference 1-3, kind 1, the UUID 16
    assertTrue(bytes <= 32 + 600 * 20, "600 ids in " + bytes + " bytes");
    assertEquals(600, DedupShard.fromBytes(shard.toBytes()).size());
  }
}

package io.iotpipe.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecentIdsTest {
  private static final String UUID_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  private static final List<String> IDS = List.of(UUID_ID,
      "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", // upper case: another id, kept as text
      "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg", // not hex
      "0f1e2d3c4b5a-6978-8796-a5b4c3d2e1f0-", // dashes elsewhere
      "sensor-7/42", "", "ünïcödé");

  @Test
  void everyIdIsRememberedAcrossARoundTripWithItsTime() throws IOException {
    RecentIds ids = new RecentIds();
    long t = 1_796_000_000_000L;
    for (int i = 0; i < IDS.size(); i++) {
      assertTrue(ids.firstTime(IDS.get(i), t + 1000L * (i % 3)), IDS.get(i)); // times go back and forth
    }
    RecentIds back = roundTrip(ids);
    for (String id : IDS) {
      assertFalse(back.firstTime(id, t + 5000), id);
    }
    assertTrue(back.firstTime("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1", t + 5000));
    // Times survive: ids are forgotten oldest first, up to the first one seen at or after the
    // cutoff, so expire(t + 1) forgets only the first id (the second was seen at t + 1000).
    back.expire(t + 1);
    assertTrue(back.firstTime(UUID_ID, t + 6000));
    assertFalse(back.firstTime(IDS.get(1), t + 6000));
  }

  @Test
  void canonicalUuidsAreStoredAsSixteenBytes() throws IOException {
    RecentIds ids = new RecentIds();
    for (int i = 0; i < 600; i++) {
      ids.firstTime(UUID.randomUUID().toString(), 1_796_000_000_000L + 500L * (i / 10));
    }
    int bytes = bytes(ids).length;
    assertTrue(bytes <= 8 + 600 * 19, "600 ids in " + bytes + " bytes");
    assertEquals(600, roundTrip(ids).size());
  }

  @Test
  void stateWrittenInTheFirstFormatIsRead() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeInt(2);
      out.writeUTF(UUID_ID);
      out.writeLong(1000L);
      out.writeUTF("sensor-7/42");
      out.writeLong(2000L);
    }
    RecentIds ids = RecentIds.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())));
    assertFalse(ids.firstTime(UUID_ID, 3000L));
    assertFalse(ids.firstTime("sensor-7/42", 3000L));
    ids.expire(1500L);
    assertTrue(ids.firstTime(UUID_ID, 3000L));
    assertFalse(ids.firstTime("sensor-7/42", 3000L));
  }

  private static byte[] bytes(RecentIds ids) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      ids.write(out);
    }
    return b.toByteArray();
  }

  private static RecentIds roundTrip(RecentIds ids) throws IOException {
    return RecentIds.read(new DataInputStream(new ByteArrayInputStream(bytes(ids))));
  }
}

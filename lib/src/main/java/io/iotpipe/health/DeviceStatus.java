package io.iotpipe.health;

/** The health of a device. */
public enum DeviceStatus {
  /** Not seen yet (the state before the first event). */
  UNKNOWN,
  /** Reporting, no degrading rule firing. */
  ONLINE,
  /** Reporting, with at least one rule of action "degrade" firing. */
  DEGRADED,
  /** Silent for longer than its inactivity timeout. */
  OFFLINE
}

// Generated from kontor-proto's close_code by scripts/gen-types.sh. Do not edit.

/** The WebSocket close codes of the event stream. */
export const CloseCode = {
  RECONNECT: 4000,
  SESSION_ENDED: 4001,
  UNAUTHENTICATED: 4003,
  SUSPENDED: 4004,
  ACCESS_ENDED: 4005,
  GOING_AWAY: 1001,
  TOO_MANY_CONNECTIONS: 4029,
} as const;
